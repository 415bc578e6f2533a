"""Output stage: one writer per output format, used by the pipeline, the API and the
benchmarks alike.

=============================  =====================================================  ==============
file (``PREFIX`` = sample)      content                                                writer
=============================  =====================================================  ==============
``PREFIX.result.json``          :class:`~triage.models.TriageResult` (the one model)   :func:`write_result_json`
``PREFIX.genes.tsv``            ranked genes with phenotype/genotype evidence          :mod:`.tsv`
``PREFIX.variants.tsv``         every annotated (variant, gene) row, ranked            :mod:`.tsv`
``PREFIX.candidates.vcf.gz``    input records + TRIAGE_* INFO fields (+ ``.tbi``)      :mod:`.vcf`
``PREFIX.report.html``          top candidates, evidence, phenotype-match heat map     :mod:`.html`
``PREFIX.phenopacket.json``     GA4GH phenopacket v2, top candidates interpreted       :mod:`.phenopacket`
``pheval/pheval_*_results/``    PhEval gene / variant / disease results (Parquet)      :mod:`.pheval`
=============================  =====================================================  ==============

JSON, HTML and the phenopacket need only the result (``triage report`` writes them
from ``result.json``); the variant table, the VCF and the PhEval files need the ranked
case behind it. Every file carries the data versions.
"""

from __future__ import annotations

import json
from pathlib import Path

from triage.errors import TriageError
from triage.models import TriageResult
from triage.outputs.common import file_prefix

FORMATS = ("json", "tsv", "vcf", "html", "phenopacket", "pheval")
#: formats written from the result alone (the others need the ranked case)
RESULT_ONLY_FORMATS = ("json", "html", "phenopacket")


def write_result_json(result: TriageResult, path: Path) -> Path:
    path.write_text(result.model_dump_json(indent=2) + "\n")
    return path


def write_outputs(result: TriageResult, out_dir: str | Path, formats=FORMATS, *, ranked=None, cfg=None,
                  phenopacket_id: str | None = None, source_vcf: str | Path | None = None) -> list[str]:
    """Write ``formats`` of one patient's result into ``out_dir``; returns the paths.

    ``ranked``: the :class:`~triage.prioritize.RankedCase` behind ``result`` (needed for
    tsv, vcf and pheval). ``cfg``: an :class:`~triage.prioritize.OutputConfig`
    (``prefix``, ``report_top``, ``candidates_only``). ``source_vcf``: the input VCF, whose
    INFO fields the candidate VCF keeps.
    """
    bad = set(formats) - set(FORMATS)
    if bad:
        raise TriageError(f"unknown output format(s) {', '.join(sorted(bad))}; choose from {', '.join(FORMATS)}")
    need = sorted(set(formats) - set(RESULT_ONLY_FORMATS))
    if need and (ranked is None or ranked.genotype is None):
        raise TriageError(f"output format(s) {', '.join(need)} need the ranked VCF case, not only a result")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sample = result.case.sample if result.case is not None else (result.query.sample or "patient")
    prefix = file_prefix(getattr(cfg, "prefix", "") or sample)
    top = getattr(cfg, "report_top", 10)
    files: list[Path] = []
    if "json" in formats:
        files.append(write_result_json(result, out / f"{prefix}.result.json"))
    if "tsv" in formats:
        from triage.outputs.tsv import genes_tsv, write_variants_tsv

        p = out / f"{prefix}.genes.tsv"
        p.write_text(genes_tsv(result))
        files += [p, write_variants_tsv(ranked, result, out / f"{prefix}.variants.tsv")]
    if "vcf" in formats:
        from triage.outputs.vcf import write_candidates_vcf

        files.append(write_candidates_vcf(ranked, result, out / f"{prefix}.candidates.vcf.gz", source_vcf=source_vcf,
                                          candidates_only=bool(getattr(cfg, "candidates_only", False))))
        files.append(out / f"{prefix}.candidates.vcf.gz.tbi")
    if "html" in formats:
        from triage.outputs.html import report_html

        p = out / f"{prefix}.report.html"
        p.write_text(report_html(result, top))
        files.append(p)
    if "phenopacket" in formats:
        from triage.outputs.phenopacket import to_phenopacket

        p = out / f"{prefix}.phenopacket.json"
        p.write_text(json.dumps(to_phenopacket(result, pid=phenopacket_id), indent=2) + "\n")
        files.append(p)
    if "pheval" in formats:
        from triage.outputs import pheval

        genes, diseases, variants = pheval.ranked_rows(ranked)
        d = out / "pheval"
        files += pheval.write_patient(d, prefix, genes, diseases, variants)
        p = d / f"{prefix}-data_versions.json"
        p.write_text(json.dumps(result.data_versions, indent=2) + "\n")
        files.append(p)
    return [str(f) for f in files]


__all__ = ["FORMATS", "RESULT_ONLY_FORMATS", "write_outputs", "write_result_json"]

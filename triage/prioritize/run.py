"""Whole jobs composed of the one path (no ranking code of their own):

* :func:`rank_phenotype` — HPO terms -> result (``triage rank``, ``POST /v1/diagnoses``);
* :func:`run_patient` — VCF + HPO terms -> result (+ every output file) for one patient
  (``triage rank --vcf``).

Both are ``resolve -> rank_case -> build_result``; the workflow, the API worker and the
benchmarks call the same three steps on a stored or spiked annotation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import TriageError
from triage.models import TriageResult
from triage.phenotype.engine import PhenotypeEngine
from triage.prioritize.case import ingest_annotate
from triage.prioritize.config import PipelineConfig
from triage.prioritize.ranker import RankedCase, Ranker, rank_case
from triage.prioritize.result import build_result

log = logging.getLogger(__name__)


def rank_phenotype(ranker: Ranker | PhenotypeEngine, observed: list[str], excluded: list[str] | None = None, *,
                   scorer: str = "lr", top: int = 20, genes: list[str] | None = None,
                   drop_unknown: bool = False, explain_top: int | None = None,
                   onset: str | None = None, treatable_only: bool = False) -> TriageResult:
    """Rank diseases and genes for a phenotype. ``onset`` (HPO onset class or ISO age) is
    scored as a term; ``genes`` restricts to the diseases of a gene panel;
    ``treatable_only`` lists only candidates with a therapy flag."""
    ranker = ranker if isinstance(ranker, Ranker) else Ranker(ranker)
    q = ranker.engine.resolve(observed, excluded, drop_unknown, onset=onset)
    return build_result(rank_case(ranker, q, scorer=scorer, genes=genes), top, explain_top,
                        treatable_only=treatable_only)


@dataclass
class PatientRun:
    """One patient's result, the ranked arrays behind it and the files written."""

    result: TriageResult
    ranked: RankedCase
    files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_patient(vcf: str | Path, observed: list[str], excluded: list[str], *, sample: str | None = None,
                ped: str | None = None, genome: str | None = None, sex: str | None = None,
                cfg: PipelineConfig | None = None, engine: PhenotypeEngine | None = None,
                hpo_dir: str | None = None, out_dir: str | Path | None = None,
                formats: tuple[str, ...] | None = None, phenopacket_id: str | None = None,
                onset: str | None = None) -> PatientRun:
    """The whole pipeline for one patient (``triage rank --vcf``).

    ``genome`` None: detected from the VCF header. ``onset``: HPO onset class or ISO 8601
    age, scored as an extra observed term. With ``out_dir`` every output of ``formats``
    (default: the config's) is written there.
    """
    from triage.variants.gene_model import GeneModel
    from triage.variants.resources import load_resources
    from triage.variants.vcf_reader import detect_build, normalize_build

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if genome is None:
        detected = detect_build(vcf)
        if detected is None:
            raise TriageError(f"{vcf}: cannot tell the genome build from the header; give --genome GRCh37|GRCh38")
        genome = detected
    genome = normalize_build(genome)
    cfg = (cfg or PipelineConfig()).with_genome(genome)
    engine = engine or PhenotypeEngine.load(hpo_dir, cfg.model)
    timings["load_engine"] = time.perf_counter() - t0
    q = engine.resolve(observed, excluded, drop_unknown=cfg.rank.drop_unknown, onset=onset)
    t1 = time.perf_counter()
    resources = load_resources(cfg.resources, Path(cfg.base_dir) if cfg.base_dir else None)
    model = GeneModel.load(cfg.annotate.gene_model or genome)
    try:
        case = ingest_annotate(vcf, sample, cfg, ped, sex, resources, model)
        gene_prior = resources.gene_prior
    finally:
        resources.close()
    timings["ingest_annotate"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    ranker = Ranker(engine, cfg, genome, gene_prior, model)
    run = rank_annotated(ranker, q, case, cfg, out_dir=out_dir, formats=formats,
                         phenopacket_id=phenopacket_id, timings=timings, t0=t2)
    for w in run.result.warnings:
        if w.code != "annotation_note":
            log.warning("%s", w.message)
    log.info("timings: %s", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return run


def rank_annotated(ranker: Ranker, q, case, cfg: PipelineConfig, *, out_dir: str | Path | None = None,
                   formats: tuple[str, ...] | None = None, phenopacket_id: str | None = None,
                   timings: dict[str, float] | None = None, t0: float | None = None) -> PatientRun:
    """Rank one annotated case and write its outputs: the second half of :func:`run_patient`,
    shared with ``triage cohort`` (one proband's candidate rows) so both rank and write
    through exactly the same code. ``q``: the resolved phenotype query."""
    timings = timings if timings is not None else {}
    t2 = t0 if t0 is not None else time.perf_counter()
    ranked = rank_case(ranker, q, case)
    result = build_result(ranked, cfg.rank.top, variants_per_gene=cfg.rank.variants_per_gene,
                          treatable_only=cfg.output.treatable_only)
    result.query.phenopacket_id = phenopacket_id
    timings["rank"] = time.perf_counter() - t2
    run = PatientRun(result, ranked, timings=timings)
    if out_dir is not None:
        from triage.outputs import write_outputs

        t3 = time.perf_counter()
        run.files = write_outputs(result, out_dir, formats or cfg.output.formats, ranked=ranked,
                                  cfg=cfg.output, phenopacket_id=phenopacket_id, source_vcf=vcf)
        # the annotation too, so the case can be re-ranked later without the VCF (triage reanalyse)
        from triage.outputs.common import file_prefix
        from triage.prioritize.case import ANNOTATED_SUFFIX

        ann_path = Path(out_dir) / f"{file_prefix(cfg.output.prefix or case.sample)}{ANNOTATED_SUFFIX}"
        case.save(ann_path)
        run.files.append(str(ann_path))
        timings["outputs"] = time.perf_counter() - t3
    return run

"""Pipeline sub-commands of the ``triage`` CLI (registered by :func:`add_subcommands`).

Each command: argparse -> a typed ``*_main`` -> pure functions of the package.

* ``triage annotate``   VCF (+ PED) -> annotated case (columnar .annotated.npz) [+ TSV of annotations]
* ``triage prioritize`` annotated case + HPO terms -> ranked once -> result.json, TSVs,
  VCF, HTML, phenopacket, PhEval files (``--formats`` picks which)
* ``triage report``     result.json -> HTML report, phenopacket (ranks nothing)
* ``triage spike``      write a background VCF with a phenopacket's causal variant(s) spiked in
* the spike-in benchmark is ``triage benchmark --background`` (:mod:`triage.benchmark.spikein`)

:func:`rank_vcf_main` is what ``triage rank --vcf`` calls (one patient, no Snakemake).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from triage.cli.common import CaseTerms, non_negative_int, read_terms, split_terms
from triage.errors import TriageError
from triage.models import TriageResult

log = logging.getLogger("triage")


def render(result: TriageResult, fmt: str) -> str:
    """The stdout form of a result (``json`` = the result model, ``tsv`` = the rank tables)."""
    if fmt == "json":
        return result.model_dump_json(indent=2) + "\n"
    from triage.outputs.tsv import result_tsv

    return result_tsv(result)


def _log_warnings(result: TriageResult) -> None:
    for w in result.warnings:
        if w.code != "annotation_note":
            log.warning("%s", w.message)


# --------------------------------------------------------------------------- triage rank --vcf
def rank_vcf_main(vcf: str, sample: str | None, ped: str | None, genome: str | None, terms: CaseTerms,
                  out_dir: str | None, fmt: str, scorer: str, top: int, hpo_dir: str | None,
                  drop_unknown: bool, config_path: str | None = None,
                  params: list[str] | None = None, treatable_only: bool = False,
                  fasta: str | None = None, candidates_only: bool = False) -> TriageResult:
    """One patient end to end: VCF + HPO terms -> ranked genes, diseases and variants.

    With ``out_dir`` every output file is written there (see :mod:`triage.outputs`) and
    nothing is printed; without it the result is printed to stdout in ``fmt``
    (``json``: the TriageResult; ``genes[].rank`` is the VCF + phenotype rank).
    ``genome`` None = detected from the VCF header. ``config_path``: workflow config
    YAML (annotation, quality, resources, scoring); ``params``: ``--param`` overrides.
    The phenopacket's sex (``terms.sex``) is used for X-linked genes when there is no PED.
    """
    from dataclasses import replace

    from triage.prioritize import PipelineConfig, run_patient

    cfg = with_fasta(PipelineConfig.from_file(config_path, genome), fasta)
    cfg = replace(cfg, rank=replace(cfg.rank, scorer=scorer, top=top, drop_unknown=drop_unknown),
                  model=cfg.model.with_overrides(params or ()),
                  output=replace(cfg.output, treatable_only=treatable_only or cfg.output.treatable_only,
                                 candidates_only=candidates_only or cfg.output.candidates_only))
    run = run_patient(vcf, terms.observed, terms.excluded, sample=sample, ped=ped, genome=genome, sex=terms.sex,
                      cfg=cfg, hpo_dir=hpo_dir, out_dir=out_dir, phenopacket_id=terms.phenopacket_id,
                      onset=terms.onset)
    if out_dir is None:
        sys.stdout.write(render(run.result, fmt))
    else:
        log.info("wrote %d files to %s", len(run.files), out_dir)
    return run.result


def with_fasta(cfg, fasta: str | None):
    """``cfg`` with ``annotation.reference_fasta`` set from ``--fasta`` (when given)."""
    from dataclasses import replace

    return replace(cfg, annotate=replace(cfg.annotate, reference_fasta=fasta)) if fasta else cfg


FASTA_HELP = ("reference FASTA of the genome build (indexed: .fai), overriding annotation.reference_fasta: "
              "exact HGVS (3' shift, dup, p.) and missense/synonymous calls")


# --------------------------------------------------------------------------- triage annotate
def annotate_main(vcf: str, sample: str | None, ped: str | None, genome: str | None, sex: str | None,
                  config: str | None, out: str, tsv: str | None, fasta: str | None = None) -> int:
    """``triage annotate``: read, QC, annotate and score a VCF; writes the typed annotated case
    (``.annotated.npz``) the prioritize step reads. ``fasta`` overrides ``annotation.reference_fasta``.
    """
    from triage.prioritize import PipelineConfig, ingest_annotate
    from triage.variants.vcf_reader import detect_build

    genome = genome or detect_build(vcf)
    if genome is None:
        raise TriageError(f"{vcf}: cannot tell the genome build from the header; give --genome")
    cfg = with_fasta(PipelineConfig.from_file(config, genome).with_genome(genome), fasta)
    case = ingest_annotate(vcf, sample, cfg, ped, sex)
    case.save(out)
    if tsv:
        _annotation_tsv(case, tsv)
    st = case.table.stats
    log.info("annotated %s: %d records, %d variants kept, %d (variant, gene) rows in %.1f s",
             case.sample, st.get("records", 0), case.table.n_variants, len(case.table), case.seconds)
    return 0


def _annotation_tsv(case, path: str) -> None:
    import numpy as np

    av = case.table
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    popf = av.population_frequency()
    with open(path, "w") as fh:
        fh.write("# " + " ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in av.versions.items()) + "\n")
        fh.write("chrom\tpos\tref\talt\tgenotype_code\tgene\tconsequence\ttranscript\thgvs_c\thgvs_p\t"
                 "pathogenicity\tpopulation_af\tclinvar\tsource\n")
        for r in range(len(av)):
            v = av.vidx[r]
            af = popf[v]
            fh.write("\t".join(str(x) for x in (
                av.chrom[v], av.pos[v], av.ref[v], av.alt[v], int(av.proband_gt[v]), av.gene[r],
                av.consequences[r], av.transcript[r] or "", av.hgvs_c[r] or "", av.hgvs_p[r] or "",
                f"{av.score[r]:.4f}", "" if np.isnan(af) else f"{af:.4g}", av.clnsig[v] or "", av.source[r],
            )) + "\n")


def add_annotate_parser(sub) -> None:
    """The ``triage annotate`` sub-command (pipeline step 1)."""
    p = sub.add_parser("annotate", help="read, QC, annotate and score a VCF (pipeline step 1)")
    p.add_argument("--vcf", required=True)
    p.add_argument("--sample", help="proband sample id (default: the only sample / the affected in --ped)")
    p.add_argument("--ped", help="PED file of the family")
    p.add_argument("--genome", help="GRCh37 or GRCh38 (default: from the VCF header)")
    p.add_argument("--sex", choices=["MALE", "FEMALE", "UNKNOWN_SEX"], help="proband sex when no PED")
    p.add_argument("--config", help="workflow config YAML (annotation, quality, resources, scoring)")
    p.add_argument("--out", required=True, help="annotated case to write (.annotated.npz: a columnar file, see docs/storage.md)")
    p.add_argument("--tsv", help="also write the annotation table as TSV")
    p.add_argument("--fasta", help=FASTA_HELP)
    p.set_defaults(func=lambda a: annotate_main(a.vcf, a.sample, a.ped, a.genome, a.sex, a.config, a.out, a.tsv,
                                                a.fasta))


# --------------------------------------------------------------------------- triage prioritize
def prioritize_main(annotated: str, hpo: list[str], exclude: list[str], phenopacket: str | None,
                    config: str | None, out_dir: str, formats: list[str], scorer: str | None,
                    top: int | None, hpo_dir: str | None, drop_unknown: bool, onset: str | None = None,
                    vcf: str | None = None, candidates_only: bool = False) -> int:
    """``triage prioritize``: rank a stored annotated case once and write ``formats``.

    ``vcf``: the VCF the case was annotated from (the candidate VCF keeps its INFO
    fields); ``candidates_only``: the candidate VCF holds only the ranked records."""
    from dataclasses import replace

    from triage.outputs import write_outputs
    from triage.phenotype.engine import PhenotypeEngine
    from triage.prioritize import AnnotatedCase, PipelineConfig, Ranker, build_result, rank_case

    terms = read_terms(hpo, exclude, phenopacket, onset)
    case = AnnotatedCase.load(annotated)
    cfg = PipelineConfig.from_file(config, case.build).with_genome(case.build)
    rk = cfg.rank
    cfg = replace(cfg, rank=replace(rk, scorer=scorer or rk.scorer, top=top if top is not None else rk.top,
                                    drop_unknown=drop_unknown or rk.drop_unknown),
                  output=replace(cfg.output, candidates_only=candidates_only or cfg.output.candidates_only))
    if terms.sex and case.ped is None and case.family.sex[case.family.proband] == 0:
        from triage.genotype.likelihood import family_for

        case.family = family_for(case.table.samples, case.sample, None, terms.sex)
    engine = PhenotypeEngine.load(hpo_dir, cfg.model)
    q = engine.resolve(terms.observed, terms.excluded, drop_unknown=cfg.rank.drop_unknown, onset=terms.onset)
    ranker = Ranker(engine, cfg, case.build, cfg.gene_prior())  # annotation used the other resources
    ranked = rank_case(ranker, q, case)
    result = build_result(ranked, cfg.rank.top, variants_per_gene=cfg.rank.variants_per_gene,
                          treatable_only=cfg.output.treatable_only)
    result.query.phenopacket_id = terms.phenopacket_id
    files = write_outputs(result, out_dir, tuple(formats), ranked=ranked, cfg=cfg.output,
                          phenopacket_id=terms.phenopacket_id, source_vcf=vcf)
    _log_warnings(result)
    log.info("wrote %s", ", ".join(files))
    return 0


def add_prioritize_parser(sub) -> None:
    """The ``triage prioritize`` sub-command (pipeline step 2) and its output options."""
    from triage.outputs import FORMATS

    p = sub.add_parser("prioritize", help="rank genes/diseases/variants of an annotated case (pipeline step 2)")
    p.add_argument("--annotated", required=True, help="output of triage annotate")
    p.add_argument("--hpo", action="append", default=[], help="observed HPO terms (comma-separated)")
    p.add_argument("--exclude", action="append", default=[], help="excluded HPO terms")
    p.add_argument("--phenopacket", help="GA4GH phenopacket v2 JSON giving the terms")
    p.add_argument("--config", help="workflow config YAML")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated subset of {','.join(FORMATS)}")
    p.add_argument("--scorer", default=None)
    p.add_argument("--top", type=non_negative_int, default=None, help="rows per list (0 = all)")
    p.add_argument("--onset", help="age at onset: an HPO onset term or an ISO 8601 age (P2Y)")
    p.add_argument("--drop-unknown", action="store_true")
    p.add_argument("--vcf", help="the VCF the case was annotated from: the candidate VCF keeps its INFO fields "
                                 "(without it: only the TRIAGE_* fields)")
    p.add_argument("--candidates-only", action="store_true",
                   help="candidate VCF: write only the ranked records (TRIAGE_RANK > 0)")
    p.set_defaults(func=lambda a: prioritize_main(
        a.annotated, split_terms(a.hpo), split_terms(a.exclude), a.phenopacket, a.config, a.out_dir,
        split_terms([a.formats]), a.scorer, a.top, a.hpo_dir, a.drop_unknown, a.onset, a.vcf,
        a.candidates_only))


# --------------------------------------------------------------------------- triage report
def report_main(result_path: str, out_dir: str, formats: list[str], top: int,
                phenopacket_id: str | None) -> int:
    """``triage report``: the HTML report and the phenopacket from a stored ``result.json``
    (the workflow's report rule: it reads the result and ranks nothing)."""
    from triage.outputs import RESULT_ONLY_FORMATS, write_outputs
    from triage.prioritize import OutputConfig

    bad = set(formats) - set(RESULT_ONLY_FORMATS)
    if bad:
        raise TriageError(f"triage report writes {', '.join(RESULT_ONLY_FORMATS)} from a result; "
                          f"{', '.join(sorted(bad))} need triage prioritize")
    try:
        result = TriageResult.model_validate_json(Path(result_path).read_text())
    except OSError as exc:
        raise TriageError(f"cannot read {result_path}: {exc.strerror}") from None
    except ValueError as exc:
        raise TriageError(f"{result_path}: not a triage result ({str(exc).splitlines()[0]})") from None
    files = write_outputs(result, out_dir, tuple(formats), cfg=OutputConfig(report_top=top),
                          phenopacket_id=phenopacket_id)
    log.info("wrote %s", ", ".join(files))
    return 0


def add_report_parser(sub) -> None:
    """The ``triage report`` sub-command (pipeline step 3): HTML report and phenopacket from a result."""
    p = sub.add_parser("report", help="HTML report and phenopacket from a result.json (pipeline step 3)")
    p.add_argument("--result", required=True, help="PREFIX.result.json written by triage prioritize / rank")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--formats", default="html,phenopacket", help="comma-separated subset of html,phenopacket,json")
    p.add_argument("--top", type=non_negative_int, default=10, help="candidates listed in the report")
    p.add_argument("--phenopacket-id", default=None, help="id of the output phenopacket")
    p.set_defaults(func=lambda a: report_main(a.result, a.out_dir, split_terms([a.formats]), a.top,
                                              a.phenopacket_id))


# --------------------------------------------------------------------------- triage spike
def spike_main(background: str, phenopacket: str, out: str, seed: int, sample: str | None,
               genome: str, config: str | None) -> int:
    """``triage spike``: write one phenopacket's causal variant(s) spiked into a background VCF,
    the same spiking the benchmark uses, for inspecting a case by hand.
    """
    from collections import Counter

    from triage.benchmark.spikein import Background, spike_lines, write_spiked_vcf
    from triage.phenotype.phenopacket import read_phenopacket
    from triage.prioritize.config import PipelineConfig

    cfg = PipelineConfig.from_file(config, genome).with_genome(genome)
    bg = Background.load(background, cfg, sample)
    case = read_phenopacket(phenopacket)
    skipped: Counter = Counter()
    spikes = spike_lines(bg, case, seed, skipped)
    if not spikes:
        raise TriageError(f"{phenopacket}: nothing to spike ({', '.join(skipped) or 'no variants'})")
    write_spiked_vcf(bg, spikes, out)
    print(json.dumps([{"chrom": s.chrom, "pos": s.pos, "ref": s.ref, "alt": s.alt, "gt": s.gt,
                       "template_record": s.template} for s in spikes], indent=2))
    return 0


def add_spike_parser(sub) -> None:
    """The ``triage spike`` sub-command."""
    p = sub.add_parser("spike", help="spike a phenopacket's causal variant(s) into a background VCF")
    p.add_argument("--background", required=True)
    p.add_argument("--phenopacket", required=True)
    p.add_argument("--out", required=True, help="output .vcf.gz (bgzipped + .tbi)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--sample", default=None)
    p.add_argument("--genome", default="GRCh38")
    p.add_argument("--config", default=None)
    p.set_defaults(func=lambda a: spike_main(a.background, a.phenopacket, a.out, a.seed, a.sample, a.genome, a.config))


# --------------------------------------------------------------------------- triage reanalyse
def reanalyse_main(results: str, out: str, hpo_dir: str | None, config: str | None, top: int) -> int:
    """``triage reanalyse``: re-rank stored cases with today's knowledge; report what changed."""
    from triage.prioritize.reanalysis import reanalyse

    reports = reanalyse(results, out, hpo_dir=hpo_dir, config=config, top=top)
    for r in reports:
        n = r.counts()
        log.info("%s: %d new and %d departed gene(s), %d new and %d departed disease(s) in the top %d",
                 r.case, n.get("gene_new", 0), n.get("gene_left", 0), n.get("disease_new", 0),
                 n.get("disease_left", 0), r.top)
    log.info("wrote %s", Path(out) / "reanalysis_summary.tsv")
    return 0


def add_reanalyse_parser(sub) -> None:
    p = sub.add_parser("reanalyse", help="re-rank stored results with the current knowledge and report changes")
    p.add_argument("--results", required=True, help="directory searched for PREFIX.result.json (+ PREFIX.annotated.*)")
    p.add_argument("--out", required=True, help="output directory (new results, reports, reanalysis_summary.tsv)")
    p.add_argument("--config", help="workflow config YAML (resources, model) of the re-ranking")
    p.add_argument("--top", type=non_negative_int, default=10, help="size of the top list compared (default 10)")
    p.set_defaults(func=lambda a: reanalyse_main(a.results, a.out, a.hpo_dir, a.config, a.top))


def add_subcommands(sub) -> None:
    add_annotate_parser(sub)
    add_prioritize_parser(sub)
    add_report_parser(sub)
    add_reanalyse_parser(sub)
    add_spike_parser(sub)

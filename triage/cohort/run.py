"""``triage cohort``: Hail narrows the cohort to each proband's candidate rows in one pass,
then every proband goes through the single-sample annotator, ranker and writers.

Which part runs where (docs/cohort.md has the table):

* Spark (Hail, :mod:`triage.cohort.steps`): import + checkpoint, split, variant QC, genotype
  QC, in-cohort AC/AN/homozygotes, gene-model interval labels, sample QC, trio de novo /
  compound-het flags, and the one sorted pass that writes every proband's carrier rows (with
  the family's genotypes and the counts minus the family) to a single text file;
* Python, one proband at a time: those rows become a small family VCF read by the same
  :func:`~triage.prioritize.case.ingest_annotate` as ``triage rank --vcf`` (same reader, gene
  model, consequences, resources, scores), the in-cohort frequency is set and the rows
  re-scored (:func:`~triage.variants.annotation.score_rows`), and
  :func:`~triage.prioritize.run.rank_annotated` ranks and writes ``OUT/<sample>/`` with the
  single-sample file names. Nothing of one proband outlives its iteration.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.cohort.samples import Proband, read_samples
from triage.errors import InputFileError
from triage.prioritize.config import PipelineConfig

log = logging.getLogger(__name__)

SUMMARY_NAME = "cohort_summary.tsv"
SUMMARY_HEADER = ("proband", "family", "candidate_variants", "top_gene", "posterior", "treatable",
                  "treatable_genes", "top_disease", "result")
INFO_AC, INFO_AN, INFO_HOM = "TRIAGE_COHORT_AC", "TRIAGE_COHORT_AN", "TRIAGE_COHORT_HOM"


@dataclass
class CohortRun:
    """What ``triage cohort`` did (also written to ``OUT/cohort_run.json``)."""

    samples: int = 0
    probands: int = 0
    variants_in: int = 0
    variants_qc: int = 0
    candidate_rows: int = 0
    ranked: int = 0
    skipped: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def _members(p: Proband, pedigree, sheet: list[Proband], vcf_samples: set[str]) -> tuple[str, ...]:
    """The proband, then its PED family, then probands of the same sheet family (in the VCF)."""
    out = [p.sample]
    if pedigree is not None and p.sample in pedigree:
        out += [m.individual for m in pedigree.family_of(p.sample)]
    if p.family:
        out += [q.sample for q in sheet if q.family == p.family]
    return tuple(s for s in dict.fromkeys(out) if s in vcf_samples)


def _vcf_header(contigs: dict[str, int], members: tuple[str, ...], filters: list[str],
                passthrough: dict[str, str], genome: str) -> str:
    lines = ["##fileformat=VCFv4.2", f"##source=triage cohort (Hail candidate rows, {genome})"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines += [f'##FILTER=<ID={f},Description="input FILTER {f}">' for f in filters if f != "PASS"]
    lines += [f'##INFO=<ID={INFO_AC},Number=1,Type=Integer,Description="ALT copies outside the family">',
              f'##INFO=<ID={INFO_AN},Number=1,Type=Integer,Description="called alleles outside the family">',
              f'##INFO=<ID={INFO_HOM},Number=1,Type=Integer,Description="homozygotes outside the family">']
    lines += list(passthrough.values())
    lines += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype (this ALT = 1; failed QC = .)">',
              '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths (other alleles summed into REF)">',
              '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
              '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">']
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *members]))
    return "\n".join(lines) + "\n"


def _counts_of(lines: list[str]) -> dict[tuple[str, int, str, str], tuple[int, int, int]]:
    """(chrom, pos, ref, alt) -> (AC, AN, hom) outside the family, from the written rows."""
    out = {}
    for ln in lines:
        f = ln.split("\t", 8)
        info = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv)
        out[(f[0], int(f[1]), f[3], f[4])] = (int(info[INFO_AC]), int(info[INFO_AN]), int(info[INFO_HOM]))
    return out


def apply_cohort_frequency(case, counts: dict, score_cfg, label: str) -> int:
    """Set ``case.table.cohort_af`` from the in-cohort counts outside the family (the
    annotator's rule: AF only with at least MIN_COHORT_SAMPLES called samples) and re-score
    the rows; returns how many variants got a frequency."""
    from triage.variants.annotation import MIN_COHORT_SAMPLES, score_rows

    t = case.table
    af = np.full(t.n_variants, np.nan)
    for i, key in enumerate(zip(t.chrom.tolist(), t.pos.tolist(), t.ref.tolist(), t.alt.tolist(), strict=True)):
        c = counts.get((key[0], int(key[1]), key[2], key[3]))
        if c is not None and c[1] >= 2 * MIN_COHORT_SAMPLES:
            af[i] = c[0] / c[1]
    t.cohort_af = af
    score_rows(t, score_cfg)
    t.versions["cohort_frequency"] = label
    t.notes.append(f"in-cohort allele frequency ({label}) used as a signal")
    return int(np.isfinite(af).sum())


def run_cohort(vcf: str | Path, samples_tsv: str | Path, out: str | Path, *, genome: str,
               cfg: PipelineConfig | None = None, ped: str | None = None, tmp_dir: str | Path,
               hpo_dir: str | None = None, engine=None, use_frequency: bool = True,
               formats: tuple[str, ...] | None = None, cohort_name: str | None = None) -> CohortRun:
    """The whole cohort: Hail steps, then rank and write every proband of ``samples_tsv``.

    Hail must be initialised by the caller (:func:`triage.cohort.spark.init_hail`).
    ``use_frequency`` False: the in-cohort frequency is not used (the trio equivalence test).
    """
    import hail as hl

    from triage.cohort import steps
    from triage.genotype.pedigree import read_ped
    from triage.phenotype.engine import PhenotypeEngine
    from triage.prioritize.case import ingest_annotate
    from triage.prioritize.ranker import Ranker
    from triage.prioritize.run import rank_annotated
    from triage.variants.gene_model import GeneModel
    from triage.variants.resources import load_resources
    from triage.variants.vcf_reader import normalize_build

    t_start = time.perf_counter()
    run = CohortRun()
    genome = normalize_build(genome)
    cfg = (cfg or PipelineConfig()).with_genome(genome)
    q = cfg.annotate.quality
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tmp_dir)
    tmp.mkdir(parents=True, exist_ok=True)
    sheet = read_samples(samples_tsv)
    pedigree = read_ped(ped) if ped else None
    name = cohort_name or Path(str(vcf).rstrip("/")).name

    # ---- Spark: import, QC, counts, gene filter (checkpointed once)
    t0 = time.perf_counter()
    mt = steps.import_cohort(vcf, genome, tmp)
    samples = mt.s.collect()
    vcf_samples = set(samples)
    for p in sheet:
        if p.sample not in vcf_samples:
            shown = ", ".join(samples[:20]) + (" ..." if len(samples) > 20 else "")
            raise InputFileError(str(samples_tsv), f"proband {p.sample!r} is not a sample of {vcf} "
                                 f"({len(samples)} samples: {shown})", p.line)
    run.samples, run.probands = len(samples), len(sheet)
    run.variants_in = mt.count_rows()
    meta: dict[str, Any] = {}  # Hail's VCF header metadata: section -> id -> attributes
    if not Path(vcf).is_dir():
        try:
            meta = hl.get_vcf_metadata(str(vcf)) or {}
        except Exception:  # BCF or a header Hail cannot parse alone: no pass-through
            meta = {}
    info_fields = set(mt.info) if "info" in mt.row else set()
    csq = next((f for f in ("CSQ", "ANN") if f in info_fields and cfg.annotate.use_preannotation), None)
    passthrough: dict[str, str] = {}
    for f in ([csq] if csq else []) + [f for f in cfg.annotate.population_af_info_fields if f in info_fields]:
        desc = (meta.get("info", {}).get(f) or {}).get("Description", f"input INFO/{f}")
        passthrough[f] = f'##INFO=<ID={f},Number=.,Type=String,Description="{desc}">'
    mt = steps.split_alleles(mt)
    mt = steps.variant_qc_filter(mt, q)
    mt = steps.genotype_qc(mt, q)
    mt = steps.cohort_counts(mt)
    model = GeneModel.load(cfg.annotate.gene_model or genome)
    # the gene model as an interval table: gene labels for the trio compound-het table. Not a
    # row filter: the annotator keeps a proband's intergenic carrier variants in the case (no
    # gene rows, but parentage checks and the variant counts of the genotype model see them),
    # so dropping them here would change the ranking.
    mt = steps.annotate_genes(mt, steps.gene_intervals(model, genome, cfg.annotate.flank))
    mt = mt.checkpoint(str(tmp / "cohort.qc.mt"), overwrite=True)
    run.variants_qc = mt.count_rows()
    run.timings["hail_import_qc"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sq = steps.sample_qc(mt).cols()
    sq = sq.select(call_rate=sq.sample_qc.call_rate, n_called=sq.sample_qc.n_called,
                   n_het=sq.sample_qc.n_het, n_hom_var=sq.sample_qc.n_hom_var,
                   n_failed_qc=hl.missing(hl.tint64))
    fails = mt.annotate_cols(nf=hl.agg.count_where(mt.qc_fail)).cols().select("nf")
    sq = sq.annotate(n_failed_qc=fails[sq.s].nf)
    sq.export(str(out / "cohort_sample_qc.tsv"))
    run.files.append(str(out / "cohort_sample_qc.tsv"))
    if ped and pedigree is not None:
        _trio_outputs(mt, ped, out, run)
    run.timings["hail_sample_qc_trios"] = time.perf_counter() - t0

    # ---- Spark: every proband's carrier rows, family genotypes, counts minus the family, sorted
    t0 = time.perf_counter()
    col = {s: i for i, s in enumerate(samples)}
    members = [_members(p, pedigree, sheet, vcf_samples) for p in sheet]
    for p, m in zip(sheet, members, strict=True):
        p.members = m
    cand_path = tmp / "cohort.candidates.tsv"
    _export_candidates(mt, [col[p.sample] for p in sheet], [[col[s] for s in m] for m in members],
                       passthrough, cand_path)
    run.timings["hail_candidates"] = time.perf_counter() - t0

    # ---- Python, one proband at a time
    t0 = time.perf_counter()
    rg = hl.get_reference(steps._reference(genome))
    contigs = {c: rg.lengths[c] for c in rg.contigs}
    filters = sorted(q.allowed_filters) if q.allowed_filters is not None else _seen_filters(cand_path)
    engine = engine or PhenotypeEngine.load(hpo_dir, cfg.model)
    resources = load_resources(cfg.resources, Path(cfg.base_dir) if cfg.base_dir else None)
    summary = ["\t".join(SUMMARY_HEADER)]
    work = tmp / "probands"
    work.mkdir(exist_ok=True)
    label = (f"in-cohort AC/AN of {name}: {len(samples)} samples, QC as quality:, the proband's family "
             f"excluded")
    try:
        ranker = Ranker(engine, cfg, genome, resources.gene_prior, model)
        for pi, lines in _groups(cand_path, len(sheet)):
            p = sheet[pi]
            run.candidate_rows += len(lines)
            if not lines:
                run.skipped.append(p.sample)
                summary.append("\t".join([p.sample, p.family, "0", "", "", "", "", "", "no candidate variants"]))
                continue
            vpath = work / f"{p.sample}.candidates.vcf"
            vpath.write_text(_vcf_header(contigs, p.members, filters, passthrough, genome) + "\n".join(lines) + "\n")
            use_ped = ped if (pedigree is not None and p.sample in pedigree) else None
            case = ingest_annotate(vpath, p.sample, cfg, use_ped, p.terms.sex, resources, model)
            if use_frequency:
                apply_cohort_frequency(case, _counts_of(lines), cfg.score, label)
            query = engine.resolve(p.terms.observed, p.terms.excluded, drop_unknown=cfg.rank.drop_unknown,
                                   onset=p.terms.onset)
            prun = rank_annotated(ranker, query, case, cfg, out_dir=out / p.sample, formats=formats,
                                  phenopacket_id=p.terms.phenopacket_id)
            vpath.unlink()
            run.ranked += 1
            summary.append(_summary_line(p, len(lines), prun.result, out / p.sample))
            del case, prun
    finally:
        resources.close()
    (out / SUMMARY_NAME).write_text("\n".join(summary) + "\n")
    run.files.append(str(out / SUMMARY_NAME))
    run.timings["python_rank"] = time.perf_counter() - t0
    run.timings["total"] = time.perf_counter() - t_start
    (out / "cohort_run.json").write_text(json.dumps({
        "cohort": name, "genome": genome, "samples": run.samples, "probands": run.probands,
        "variants_in": run.variants_in, "variants_after_qc": run.variants_qc,
        "candidate_rows": run.candidate_rows, "ranked": run.ranked, "skipped": run.skipped,
        "in_cohort_frequency": label if use_frequency else None,
        "timings_s": {k: round(v, 2) for k, v in run.timings.items()}}, indent=2) + "\n")
    return run


def _summary_line(p: Proband, n_rows: int, result, dest: Path) -> str:
    from triage.outputs.common import file_prefix

    top = result.genes[0] if result.genes else None
    treatable = [g.symbol for g in result.genes if g.therapies]
    post = "" if top is None or top.posterior is None else f"{top.posterior:.4g}"
    return "\t".join([p.sample, p.family, str(n_rows), top.symbol if top else "", post,
                      ("yes" if top.therapies else "no") if top else "", ",".join(treatable),
                      result.diseases[0].id if result.diseases else "",
                      str(dest / f"{file_prefix(p.sample)}.result.json")])


def _groups(path: Path, n: int) -> Iterator[tuple[int, list[str]]]:
    """(proband index, its VCF lines) for 0..n-1, streamed from the sorted candidates file."""
    cur = 0
    buf: list[str] = []
    with open(path) as fh:
        for raw in fh:
            pi_text, line = raw.rstrip("\n").split("\t", 1)
            pi = int(pi_text)
            while cur < pi:
                yield cur, buf
                cur, buf = cur + 1, []
            buf.append(line)
    while cur < n:
        yield cur, buf
        cur, buf = cur + 1, []


def _seen_filters(path: Path) -> list[str]:
    seen: set[str] = set()
    with open(path) as fh:
        for raw in fh:
            seen.update(raw.split("\t", 8)[7].split(";"))
    return sorted(seen - {".", "PASS"})


def _export_candidates(mt, proband_cols: list[int], member_cols: list[list[int]],
                       passthrough: dict[str, str], path: Path) -> None:
    """One Spark pass: for every row and every proband carrying its ALT, a VCF line of the
    proband's family (QC'd genotypes, this ALT = 1, counts outside the family in INFO),
    sorted by (proband, locus, alleles) and written to one text file ``index<TAB>line``."""
    import hail as hl

    from triage.cohort import steps

    if not proband_cols:
        path.write_text("")
        return
    mt = steps.carrier_rows(mt, sorted(set(proband_cols)))
    ent = mt.entry
    has = {f: f in ent for f in ("AD", "DP", "GQ")}
    lt = mt.localize_entries("ents", "cols")
    fams = hl.literal([hl.Struct(pi=i, p=p, m=m) for i, (p, m) in enumerate(zip(proband_cols, member_cols, strict=True))],
                      hl.tarray(hl.tstruct(pi=hl.tint32, p=hl.tint32, m=hl.tarray(hl.tint32))))
    a = lt.a_index

    def fmt(e):
        gt = e.GT
        sep = hl.if_else(gt.phased, "|", "/")
        g = hl.if_else(gt.ploidy == 1, hl.str(hl.int(gt[0] == a)),
                       hl.str(hl.int(gt[0] == a)) + sep + hl.str(hl.int(gt[1] == a)))
        gts = hl.or_else(hl.or_missing(hl.is_defined(e.n_alt), g), "./.")
        ad = hl.or_else(hl.str(e.ad_tot - e.AD[a]) + "," + hl.str(e.AD[a]), ".") if has["AD"] else hl.str(".")
        dp = hl.or_else(hl.str(e.DP), ".") if has["DP"] else hl.str(".")
        gq = hl.or_else(hl.str(e.GQ), ".") if has["GQ"] else hl.str(".")
        return hl.delimit([gts, ad, dp, gq], ":")

    filt = hl.if_else(hl.is_missing(lt.filters), ".",
                      hl.if_else(hl.len(lt.filters) == 0, "PASS", hl.delimit(hl.sorted(hl.array(lt.filters)), ";")))
    qual = hl.if_else(hl.is_defined(lt.qual) & (lt.qual >= 0), hl.str(lt.qual), ".")
    extra = []
    for f in passthrough:
        v = lt.info[f]
        if isinstance(v.dtype, hl.tarray):
            sv = hl.delimit(v.map(lambda x: hl.or_else(hl.str(x), ".")), ",")
        else:
            sv = hl.str(v)
        extra.append(hl.or_missing(hl.is_defined(v), f"{f}=" + sv))
    site = hl.delimit([lt.locus.contig, hl.str(lt.locus.position), hl.or_else(lt.rsid, "."),
                       lt.alleles[0], lt.alleles[1], qual, filt], "\t")

    def line(f):
        ents = f.m.map(lambda i: lt.ents[i])
        ac = lt.cohort_ac - hl.sum(ents.map(lambda e: hl.or_else(e.n_alt, 0)))
        an = lt.cohort_an - 2 * hl.len(ents.filter(lambda e: hl.is_defined(e.n_alt)))
        hom = lt.cohort_hom - hl.len(ents.filter(lambda e: e.n_alt == 2))
        info = hl.delimit(hl.array([f"{INFO_AC}=" + hl.str(ac), f"{INFO_AN}=" + hl.str(an),
                                    f"{INFO_HOM}=" + hl.str(hom)] + extra).filter(hl.is_defined), ";")
        return hl.struct(pi=f.pi, out=hl.delimit([hl.str(f.pi), site, info, "GT:AD:DP:GQ",
                                                  hl.delimit(ents.map(fmt), "\t")], "\t"))

    lt = lt.annotate(_c=fams.filter(lambda f: hl.or_else(lt.ents[f.p].n_alt > 0, False)).map(line))
    lt = lt.explode("_c")
    ht = lt.select(pi=lt._c.pi, out=lt._c.out)
    ht = ht.order_by("pi", "locus", "alleles")
    ht.select("out").export(str(path), header=False)


def _trio_outputs(mt, ped: str, out: Path, run: CohortRun) -> None:
    """``OUT/cohort_trios.tsv``: per complete trio, de novo candidates and compound-het genes
    found by Hail (``hl.trio_matrix``); the ranking recomputes them per proband with
    :mod:`triage.genotype.inheritance` (the test checks both agree)."""
    import hail as hl

    from triage.cohort import steps

    try:
        pedigree = hl.Pedigree.read(ped)
    except Exception as exc:  # Hail's own PED reader is stricter about sex codes than ours
        log.warning("Hail cannot read %s for trio_matrix (%s): no cohort_trios.tsv", ped, exc)
        return
    if not pedigree.complete_trios():
        return
    tm = steps.trio_flags(mt, pedigree)
    dn = tm.annotate_cols(n_de_novo=hl.agg.count_where(tm.de_novo)).cols()
    dn_counts = {r.id: r.n_de_novo for r in dn.select("n_de_novo").collect()}
    ch = steps.compound_het_table(tm).collect()
    genes: dict[str, list[str]] = {}
    for r in ch:
        genes.setdefault(r.proband, []).append(f"{r.gene}({len(r.pairs)})")
    lines = ["proband\tde_novo_candidates\tcompound_het_genes"]
    for pid, n in sorted(dn_counts.items()):
        lines.append(f"{pid}\t{n}\t{','.join(sorted(genes.get(pid, [])))}")
    (out / "cohort_trios.tsv").write_text("\n".join(lines) + "\n")
    run.files.append(str(out / "cohort_trios.tsv"))


__all__ = ["CohortRun", "apply_cohort_frequency", "run_cohort"]

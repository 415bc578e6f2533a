"""Spike-in benchmark: each case's causal variant(s) are inserted into a real exome and
ranked with the pipeline's own code (:func:`triage.prioritize.rank_case`).

Spiking rules (:func:`spike_lines`):

* every causal variant with a ``vcfRecord`` (chrom/pos/ref/alt, GRCh38 in the dev set)
  becomes one record; its genotype comes from ``allelicState``: heterozygous ``0/1``,
  homozygous ``1/1``, hemizygous ``1`` on X/Y of a male (``1/1`` otherwise);
* QUAL, FILTER, INFO and the FORMAT values (all but GT) are copied from a background
  record of the same zygosity chosen at random (seeded by the run seed and the case
  id, so a case always gets the same template). Templates are drawn from the records
  that pass the configured quality filter, i.e. from the records the ranking actually
  sees, so a spiked record has the same distribution of every field as the kept
  background records. A haploid call keeps the template's PL values of the 0 and 1/1
  genotypes;
* background records overlapping a spiked allele are removed;
* the ID column is blanked in *every* record, so "no rsID" can never mark the causal
  variant (the ranking does not read IDs anyway, nor INFO/AF or dbSNP flags).

The background is annotated once (:func:`triage.variants.annotation.annotate_cached`); per case
only the spiked records are read and annotated (through the same
:class:`~triage.variants.vcf_reader.VcfReader` and annotation code) and merged into the cached
table. ``summary.json`` follows :mod:`triage.benchmark.phenotype` (``gene``, ``disease``) plus a
``variant`` block with the same keys; the gene block is the VCF + phenotype ranking.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from triage.benchmark.genotype_store import GenotypeStore, StoredCase
from triage.benchmark.phenotype import (
    PHEVAL_ROWS,
    CaseRanks,
    _top_rows,
    format_rank,
    knowledge_class,
    select_cases,
    summarise,
    summarise_by_cohort,
    summarise_by_knowledge,
    truth_ranks,
)
from triage.errors import DataError, NoUsableTermsError, PhenopacketError, TriageError
from triage.outputs import pheval as pheval_files
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.phenopacket import Case, CausalVariant, find_phenopackets, read_phenopacket
from triage.prioritize import AnnotatedCase, PipelineConfig, Ranker, rank_case
from triage.variants.annotation import AnnotatedVariants, annotate_cached, annotate_vcf
from triage.variants.gene_model import normalize_contig
from triage.variants.vcf_reader import VcfReader, normalize_build

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- background
@dataclass
class Background:
    """A background VCF read once: header, raw record lines, template pools, annotation."""

    path: Path
    header: list[str]  # "##" lines + "#CHROM" line
    lines: list[str]  # raw record lines (no newline), file order
    sample_col: int  # column index of the proband in a record line
    het_pool: np.ndarray  # record indices usable as het templates
    hom_pool: np.ndarray
    chr_prefix: bool
    contigs: set[str]
    table: AnnotatedVariants | None = None
    build: str = "GRCh38"

    @property
    def annotated(self) -> AnnotatedVariants:
        """The background's annotated variants (set by :func:`load_background`)."""
        if self.table is None:
            raise DataError(f"{self.path}: the background VCF has not been annotated")
        return self.table

    @classmethod
    def load(cls, path: str | Path, cfg: PipelineConfig, sample: str | None = None) -> Background:
        """Read a background VCF once: its header and data lines (for spiking) and, through the
        product's own reader, the proband's heterozygous and homozygous sites (templates for
        spiked records of each zygosity).
        """
        path = Path(path)
        header: list[str] = []
        lines: list[str] = []
        with gzip.open(path, "rt") if _is_gz(path) else open(path) as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line:
                    continue
                (header if line.startswith("#") else lines).append(line)
        reader = VcfReader(path, sample, quality=cfg.annotate.quality)
        het, hom = [], []
        pcol = 9 + reader.all_samples.index(reader.proband)
        for chunk in reader.chunks():
            single = chunk.n_alts == 1
            pg = chunk.proband_gt
            het.extend(chunk.record_index[single & (pg == 1)].tolist())
            hom.extend(chunk.record_index[single & (pg == 2)].tolist())
        contigs = {ln.split("ID=")[1].split(",")[0].rstrip(">") for ln in header if ln.startswith("##contig=")}
        chr_prefix = any(c.startswith("chr") for c in contigs) or any(ln.startswith("chr") for ln in lines[:10])
        return cls(path, header, lines, pcol, np.array(sorted(set(het)), dtype=np.int64),
                   np.array(sorted(set(hom)), dtype=np.int64), chr_prefix, contigs,
                   build=normalize_build(cfg.annotate.genome))


def _is_gz(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


# --------------------------------------------------------------------------- spiking
@dataclass
class SpikeRecord:
    chrom: str
    pos: int
    ref: str
    alt: str
    gt: str
    template: int  # record index of the template
    line: str


def assembly_build(assembly: str | None) -> str | None:
    """"hg38", "GRCh38.p13" -> GRCh38; "hg19", "GRCh37", "b37" -> GRCh37; unknown/None -> None."""
    a = str(assembly or "").lower()
    if not a:
        return None
    if "38" in a:
        return "GRCh38"
    if "37" in a or "19" in a:
        return "GRCh37"
    return None


def case_rng(case_id: str, seed: int) -> random.Random:
    h = hashlib.sha256(f"{seed}:{case_id}".encode()).digest()
    return random.Random(int.from_bytes(h[:8], "big"))


def genotype_for(state: str | None, chrom: str, sex: str | None) -> str:
    s = (state or "").lower()
    c = normalize_contig(chrom)
    if "hemizygous" in s:
        return "1" if (c in ("X", "Y") and (sex or "").upper() == "MALE") else "1/1"
    if "homozygous" in s:
        return "1/1"
    return "0/1"


def _haploid_pl(value: str) -> str:
    parts = value.split(",")
    return f"{parts[0]},{parts[2]}" if len(parts) == 3 else value


def make_record(bg: Background, template_line: str, chrom: str, pos: int, ref: str, alt: str, gt: str) -> str:
    """A VCF data line for a spiked allele, copying QUAL/FILTER/INFO/FORMAT from a real
    background record so the spike passes the same QC; the proband's GT is set to ``gt``
    (and PL made haploid for a hemizygous call), other samples keep their values.
    """
    f = template_line.split("\t")
    fmt = f[8].split(":") if len(f) > 8 else ["GT"]
    out = [chrom, str(pos), ".", ref, alt, f[5], f[6], f[7], f[8] if len(f) > 8 else "GT"]
    for col in range(9, len(f)):
        vals = f[col].split(":")
        if col == bg.sample_col:
            vals = vals + ["."] * (len(fmt) - len(vals))
            for k, key in enumerate(fmt):
                if key == "GT":
                    vals[k] = gt
                elif key == "PL" and gt == "1":
                    vals[k] = _haploid_pl(vals[k])
        out.append(":".join(vals))
    return "\t".join(out)


def spike_lines(bg: Background, case: Case, seed: int, skipped: Counter | None = None) -> list[SpikeRecord]:
    """Spiked records for one case (empty when nothing can be spiked; reason counted)."""
    skipped = skipped if skipped is not None else Counter()
    # (variant, chrom, pos, ref, alt) of the variants with a VCF record
    with_rec = [(v, v.chrom, v.pos, v.ref, v.alt) for v in case.variants
                if v.pos is not None and v.ref and v.alt and v.chrom]
    if not with_rec:
        skipped["variant_track:no_vcf_record"] += 1
        return []
    usable: list[tuple[CausalVariant, str, int, str, str]] = []
    mismatch = symbolic = 0
    for rec in with_rec:
        v, alt = rec[0], rec[4]
        asm = assembly_build(v.assembly)
        if asm is not None and asm != bg.build:
            mismatch += 1
            continue
        if alt.startswith("<") or "[" in alt or "]" in alt or alt in (".", "*"):
            symbolic += 1
            continue
        usable.append(rec)
    if not usable:
        skipped["variant_track:assembly_mismatch" if mismatch else "variant_track:symbolic_allele"] += 1
        return []
    rng = case_rng(case.id, seed)
    out: list[SpikeRecord] = []
    seen = set()
    for v, v_chrom, v_pos, v_ref, v_alt in usable:
        c = normalize_contig(v_chrom)
        chrom = ("chrM" if c == "MT" else "chr" + c) if bg.chr_prefix else c
        key = (chrom, v_pos, v_ref.upper(), v_alt.upper())
        if key in seen:
            continue
        seen.add(key)
        gt = genotype_for(v.allelic_state, chrom, case.sex)
        pool = bg.het_pool if gt == "0/1" else bg.hom_pool
        if len(pool) == 0:
            pool = bg.het_pool if len(bg.het_pool) else bg.hom_pool
        t = int(pool[rng.randrange(len(pool))])
        out.append(SpikeRecord(chrom, int(v_pos), v_ref.upper(), v_alt.upper(), gt, t,
                               make_record(bg, bg.lines[t], chrom, int(v_pos), v_ref.upper(), v_alt.upper(), gt)))
    return out


def _sort_key(chrom: str, pos: int) -> tuple:
    c = normalize_contig(chrom)
    order = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}
    return (order.get(c, 100), c, pos)


def _overlaps(line_chrom: str, line_pos: int, line_ref_len: int, spikes: list[SpikeRecord]) -> bool:
    for s in spikes:
        if normalize_contig(line_chrom) == normalize_contig(s.chrom):
            a0, a1 = line_pos, line_pos + max(line_ref_len, 1) - 1
            b0, b1 = s.pos, s.pos + max(len(s.ref), 1) - 1
            if a0 <= b1 and b0 <= a1:
                return True
    return False


def header_with_contigs(bg: Background, spikes: list[SpikeRecord]) -> list[str]:
    hdr = list(bg.header)
    missing = sorted({s.chrom for s in spikes} - bg.contigs)
    if missing:
        at = max(i for i, ln in enumerate(hdr) if ln.startswith("##"))
        for c in missing:
            hdr.insert(at + 1, f"##contig=<ID={c}>")
    return hdr


def write_spiked_vcf(bg: Background, spikes: list[SpikeRecord], out: str | Path, blank_ids: bool = True) -> Path:
    """Background + spiked records, sorted, IDs blanked, bgzipped and tabix-indexed."""
    import pysam

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plain = out.with_suffix("") if out.suffix == ".gz" else out
    recs: list[tuple[tuple, str]] = []
    for ln in bg.lines:
        f = ln.split("\t", 5)
        pos = int(f[1])
        if _overlaps(f[0], pos, len(f[3]), spikes):
            continue
        if blank_ids:
            f[2] = "."
            ln = "\t".join(f)
        recs.append((_sort_key(f[0], pos), ln))
    for s in spikes:
        recs.append((_sort_key(s.chrom, s.pos), s.line))
    recs.sort(key=lambda x: x[0])
    with open(plain, "w") as fh:
        fh.write("\n".join(header_with_contigs(bg, spikes)) + "\n")
        for _, ln in recs:
            fh.write(ln + "\n")
    if out.suffix == ".gz":
        pysam.tabix_compress(str(plain), str(out), force=True)
        Path(plain).unlink()
        pysam.tabix_index(str(out), preset="vcf", force=True)
    return out


def spiked_table(bg: Background, spikes: list[SpikeRecord], cfg: PipelineConfig, model, tmpdir: str,
                 resources=None) -> AnnotatedVariants | None:
    """Annotate the spiked records alone (same reader + annotation code as a full VCF)."""
    path = Path(tmpdir) / f"spike-{os.getpid()}.vcf"
    recs = sorted(spikes, key=lambda s: _sort_key(s.chrom, s.pos))
    with open(path, "w") as fh:
        fh.write("\n".join(header_with_contigs(bg, spikes)) + "\n")
        for s in recs:
            fh.write(s.line + "\n")
    try:
        return annotate_vcf(path, None, cfg.annotate, resources, cfg.score, model=model)
    except TriageError as exc:
        log.debug("spiked records not usable: %s", exc)
        return None


def merge_spiked(bg_table: AnnotatedVariants, sp: AnnotatedVariants | None, spikes: list[SpikeRecord]) -> AnnotatedVariants:
    """Background table without records overlapping a spike, plus the spiked rows."""
    drop = np.zeros(bg_table.n_variants, dtype=bool)
    for s in spikes:
        c = normalize_contig(s.chrom)
        m = (bg_table.chrom_norm == c)
        if not m.any():
            continue
        idx = np.flatnonzero(m)
        p = bg_table.pos[idx]
        rl = np.array([len(r) for r in bg_table.ref[idx]])
        ov = (p <= s.pos + max(len(s.ref), 1) - 1) & (s.pos <= p + np.maximum(rl, 1) - 1)
        drop[idx[ov]] = True
    base = bg_table.drop_variants(drop) if drop.any() else bg_table
    if sp is None or sp.n_variants == 0:
        return base
    return AnnotatedVariants.concat([base, sp])


# --------------------------------------------------------------------------- evaluation
@dataclass
class SpikeCaseRanks(CaseRanks):
    variant_rank: float | None = None
    variant_rows: list = field(default_factory=list)
    true_variants: list = field(default_factory=list)  # (chrom, start, end, ref, alt) of the spikes
    stored: StoredCase | None = None  # the case's genotype change, for the genotype store


class SpikeinMethod:
    name = "triage-vcf"

    def __init__(self, engine: PhenotypeEngine, bg: Background, cfg: PipelineConfig, scorer: str,
                 seed: int, pheval: bool = True, ranker: Ranker | None = None, resources=None,
                 store: bool = False):
        self.engine, self.bg, self.cfg, self.scorer, self.seed, self.pheval = engine, bg, cfg, scorer, seed, pheval
        self.store = GenotypeStore() if store else None
        self.resources = resources
        self.has_af = bool(bg.table is not None and bg.table.stats.get("population_af_sources"))
        self.ranker = ranker or Ranker(engine, cfg, bg.build,
                                       resources.gene_prior if resources is not None else None)
        ann = engine.kb.annotations
        # the disease track ranks entities (equivalent OMIM / ORPHA ids once), as results list them
        self.groups = engine.disease_groups
        self.d_index = {d: int(self.groups.group_of[i]) for i, d in enumerate(ann.disease_ids)}
        reps = [m[0] for m in self.groups.members]
        self._rep_ids = [ann.disease_ids[r] for r in reps]
        self._rep_labels = [ann.disease_labels[r] for r in reps]
        self.gene_ids = [f"NCBIGene:{x}" for x in ann.gene_ncbi]
        self.terms_dropped = 0
        self._tmp = tempfile.mkdtemp(prefix="triage-spike-")

    def run(self, case: Case, skipped: Counter) -> SpikeCaseRanks | None:
        """Rank one spiked case: resolve its terms, spike its causal variants into the background,
        annotate only the spiked records, merge them into the background's annotated table and
        rank with the same Ranker as ``triage rank --vcf``; returns the true gene/disease ranks
        (None, with a reason counted in ``skipped``, when the case cannot be spiked).
        """
        from triage.genotype.likelihood import family_for

        eng = self.engine
        try:
            q = eng.resolve(case.observed, case.excluded, drop_unknown=True)
        except NoUsableTermsError:
            skipped["no_usable_terms"] += 1
            return None
        if not q.observed_idx:
            skipped["no_observed_terms"] += 1
            return None
        spikes = spike_lines(self.bg, case, self.seed, skipped)
        if not spikes:
            return None
        self.terms_dropped += sum(1 for w in q.warnings if w.code in ("unknown_term", "obsolete_term", "malformed_term"))
        sp = spiked_table(self.bg, spikes, self.cfg, self.ranker.gene_model, self._tmp, self.resources)
        table = merge_spiked(self.bg.annotated, sp, spikes)
        ac = AnnotatedCase(table, table.proband, family_for(table.samples, table.proband, None, case.sex),
                           None, self.bg.build, self.has_af)
        ranked = rank_case(self.ranker, q, ac, scorer=self.scorer)
        geno = ranked.genotype
        assert geno is not None  # a case with variants is always genotype-ranked
        comb = geno.combined
        ann = eng.kb.annotations
        out = SpikeCaseRanks(case.id, case.cohort, ",".join(case.genes), None, ",".join(case.diseases), None)
        # the truth's place on this case's gene axis (novel hypotheses add genes beyond the release's)
        g_index = {g: j for g in case.genes if (j := ranked.gene_position(g)) is not None}
        entity_log10 = self.groups.collapse_scores(comb.disease_log10)
        out.gene_rank, out.disease_rank = truth_ranks(case, comb.gene_log10, entity_log10,
                                                      g_index, self.d_index, skipped)
        out.knowledge = knowledge_class(case.genes, case.diseases, ann)
        if self.pheval:
            if case.genes:
                extra = ranked.genes[ranked.n_release_genes:]
                out.gene_rows = _top_rows(comb.gene_log10, self.gene_ids + [f"hgnc.symbol:{g}" for g in extra],
                                          ranked.genes, PHEVAL_ROWS, ranked.gene_order_key)
            if case.diseases:
                out.disease_rows = _top_rows(entity_log10, self._rep_ids, self._rep_labels,
                                             PHEVAL_ROWS, eng.entity_order_key)
        vr = geno.variants
        ranks = []
        for s in spikes:
            m = np.flatnonzero((table.chrom_norm == normalize_contig(s.chrom)) & (table.pos == s.pos)
                               & (table.ref == s.ref) & (table.alt == s.alt))
            ranks += [float(vr.variant_mean_rank[i]) for i in m if vr.variant_mean_rank[i] > 0]
        out.variant_rank = min(ranks) if ranks else 0.0
        out.true_variants = [(normalize_contig(s.chrom), s.pos, s.pos + len(s.ref) - 1, s.ref, s.alt) for s in spikes]
        if self.pheval:
            out.variant_rows = pheval_files.mean_rank_variant_rows(table, vr.variant_mean_rank)
        if self.store is not None:
            self.background_genotype(case.sex)
            dg, d1, d2 = self.store.delta(case.sex, geno.genotype)
            out.stored = StoredCase(case.id, case.cohort, list(case.genes), list(case.diseases),
                                    list(case.observed), list(case.excluded), case.sex,
                                    delta_genes=dg, delta_lr1=d1, delta_lr2=d2)
        return out

    def background_genotype(self, sex: str | None) -> None:
        """Add the background's genotype LRs for a proband of ``sex`` to the store (once)."""
        from triage.genotype.likelihood import family_for

        if self.store is None or self.store.has_background(sex):
            return
        t = self.bg.annotated
        ac = AnnotatedCase(t, t.proband, family_for(t.samples, t.proband, None, sex), None, self.bg.build,
                           self.has_af)
        self.store.add_background(sex, self.ranker.genotype(ac))


def _write_ranks(path: Path, ranks: list[SpikeCaseRanks]) -> None:
    fmt = format_rank
    with open(path, "w") as fh:
        fh.write("phenopacket_id\tcohort\ttrue_gene\tgene_rank\ttrue_disease\tdisease_rank\tvariant_rank\n")
        for r in ranks:
            fh.write(f"{r.case_id}\t{r.cohort}\t{r.true_gene}\t{fmt(r.gene_rank)}\t{r.true_disease}\t"
                     f"{fmt(r.disease_rank)}\t{fmt(r.variant_rank)}\n")


# --------------------------------------------------------------------------- driver
def _prepare(background, cfg, sample, cache_dir, resources=None):
    bg = Background.load(background, cfg, sample)
    bg.table = annotate_cached(background, sample, cfg.annotate, resources, cfg.score, cache_dir=cache_dir)
    return bg


_WORKER: dict = {}


def _worker_run(args):
    i, path, cohort = args
    m = _WORKER["method"]
    sk: Counter = Counter()
    t0 = time.perf_counter()
    try:
        case = read_phenopacket(path, cohort)
    except PhenopacketError as exc:
        return i, None, Counter({"malformed_phenopacket": 1}), 0.0, str(exc)
    try:
        r = m.run(case, sk)
    except TriageError as exc:
        log.warning("%s: %s", path, exc)
        sk["error"] += 1
        r = None
    return i, r, sk, time.perf_counter() - t0, None


def run_spikein_benchmark(phenopackets: str | Path, out: str | Path, background: str | Path,
                          engine: PhenotypeEngine | None = None, *, genome: str = "GRCh38",
                          scorer: str = "lr", limit: int | None = None, seed: int = 42,
                          progress: bool = True, pheval: bool = True, workers: int = 1,
                          config: str | Path | PipelineConfig | None = None, sample: str | None = None,
                          hpo_dir: str | None = None, cache_dir: str | Path | None = None,
                          store: bool = False) -> dict:
    """Spike every case into ``background`` and rank it; write OUT/summary.json etc.

    Returns the summary dict (``cases``, ``skipped``, ``gene``, ``disease``, ``variant``,
    ``seconds_per_case``, ``data_versions``, ...). ``workers`` > 1 forks processes.
    ``store``: also write ``OUT/genotype_store.json.gz``
    (:class:`~triage.benchmark.genotype_store.GenotypeStore`) for cross-validated model choices.
    """
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(phenopackets)
    cfg = config if isinstance(config, PipelineConfig) else PipelineConfig.from_file(config, genome)
    cfg = cfg.with_genome(normalize_build(genome))
    if cfg.resources.get("population"):
        log.info("population-frequency resource configured for the benchmark")
    engine = engine or PhenotypeEngine.load(hpo_dir)
    from triage.variants.resources import load_resources

    resources = load_resources(cfg.resources, Path(cfg.base_dir) if cfg.base_dir else None)
    t0 = time.perf_counter()
    bg = _prepare(background, cfg, sample, cache_dir, resources)
    t_bg = time.perf_counter() - t0
    method = SpikeinMethod(engine, bg, cfg, scorer, seed, pheval, resources=resources, store=store)
    paths = select_cases(find_phenopackets(root), limit, seed)
    jobs = [(i, p, p.parent.name if p.parent != root else "") for i, p in enumerate(paths)]
    skipped: Counter = Counter()
    results: list[tuple[int, SpikeCaseRanks]] = []
    bad_files: list[str] = []
    seconds = 0.0
    try:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc="spike-in", unit="case", disable=not progress, file=sys.stderr)
    except ImportError:  # pragma: no cover
        bar = None
    _WORKER["method"] = method
    def collect(outcomes) -> None:
        nonlocal seconds
        for i, r, sk, sec, bad in outcomes:
            skipped.update(sk)
            seconds += sec
            if bad:
                bad_files.append(bad)
            if r is not None:
                results.append((i, r))
            if bar:
                bar.update(1)

    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            collect(pool.imap_unordered(_worker_run, jobs, chunksize=16))
    else:
        collect(_worker_run(job) for job in jobs)
    if bar:
        bar.close()
    results.sort(key=lambda x: x[0])
    ranks = [r for _, r in results]
    if pheval:
        for r in ranks:
            pheval_files.write_case(out, r.case_id, r.gene_rows, r.disease_rows, r.variant_rows,
                                    truth_genes=[g for g in r.true_gene.split(",") if g],
                                    truth_diseases=[d for d in r.true_disease.split(",") if d],
                                    truth_variants=r.true_variants)
    summary = {
        "method": method.name,
        "cases": len(jobs),
        "skipped": dict(sorted(skipped.items())),
        "gene": summarise(ranks, "gene_rank"),
        "disease": summarise(ranks, "disease_rank"),
        "variant": summarise(ranks, "variant_rank"),
        "by_knowledge": summarise_by_knowledge(ranks),
        "disease_entities": method.groups.source,
        "cohort_macro": {k: summarise_by_cohort(ranks, f"{k}_rank") for k in ("gene", "disease", "variant")},
        "seconds_per_case": round(seconds / max(len(jobs), 1), 5),
        "wall_seconds": round(time.perf_counter() - t_start, 1),
        "background_annotation_seconds": round(t_bg, 2),
        "workers": workers,
        "data_versions": {**engine.data_versions, **bg.table.versions, **resources.versions,
                          "background": f"{Path(background).name} ({bg.table.n_variants} variants after QC)"},
        "model": engine.model.resolved(),
        "phenopackets": str(root),
        "background": str(background),
        "genome": cfg.annotate.genome,
        "limit": limit,
        "seed": seed,
        "population_frequency": bool(cfg.resources.get("population")),
    }
    if bad_files:
        summary["malformed_files"] = bad_files[:50]
    _write_ranks(out / "ranks.tsv", ranks)
    if method.store is not None:
        for sex in {r.stored.sex for r in ranks if r.stored is not None}:
            method.background_genotype(sex)
        method.store.cases = [r.stored for r in ranks if r.stored is not None]
        method.store.meta = {"background": str(background), "genome": cfg.annotate.genome, "seed": seed,
                             "limit": limit, "data_versions": summary["data_versions"]}
        method.store.save(out / "genotype_store.json.gz")
    with open(out / "summary.json", "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary

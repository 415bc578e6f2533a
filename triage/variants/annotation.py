"""Annotation: a :class:`~triage.variants.vcf_reader.VariantTable` + gene model (+ FASTA, resources)
-> :class:`AnnotatedVariants`, a columnar table with one row per (variant, gene).

* Genes and consequences come from the bundled gene model (:mod:`triage.variants.consequences`),
  or from the VCF's own VEP ``CSQ`` / snpEff ``ANN`` field when the record has one
  (pre-annotated input wins, per record).
* Gene symbols are current HGNC symbols (:mod:`triage.variants.gene_aliases`).
* Coding SNVs of unknown amino-acid effect (no FASTA) carry a codon-model expected
  score (:func:`triage.variants.variant_scores.coding_snv_score`).
* Population frequency, ClinVar and per-variant scores come from configured resources
  (:mod:`triage.variants.resources`) or INFO fields listed in ``population_af_info_fields``.
* A multi-sample VCF adds the in-cohort allele frequency among samples outside the
  proband's family (when at least :data:`MIN_COHORT_SAMPLES` such samples exist).

Variant-level columns (``chrom``, ``pos``, genotypes, frequencies, ClinVar ...) have
one entry per variant; row-level columns (``gene``, ``consequence`` ...) one per
(variant, gene) row and ``vidx`` points from a row to its variant. Intergenic
variants have no row and are dropped (counted in ``stats``).

:func:`annotate_vcf` streams the VCF chunk by chunk; with ``max_rows_per_gene`` it
keeps only the best-scoring rows of each gene so a genome runs in flat memory.
:func:`annotate_cached` stores the annotated table of a file (e.g. a benchmark
background) under the cache directory keyed by the file's SHA-256 and the settings, as
an ``annotated-variants`` file of :mod:`triage.variants.annotation_store` (no pickle).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import DataError
from triage.variants.consequences import (
    Reference,
    most_severe_per_gene_batch,
    normalize_allele,
)
from triage.variants.gene_aliases import current_symbol
from triage.variants.gene_model import GeneModel
from triage.variants.resources import ResourceSet, parse_csq_format, pick_entries
from triage.variants.variant_scores import (
    CLNSIG_NONE,
    ScoreConfig,
    clinvar_class,
    coding_snv_score,
    pathogenicity,
)
from triage.variants.vcf_reader import ProbandView, QualityFilter, VariantTable, VcfReader

log = logging.getLogger(__name__)

ANNOTATION_FORMAT = "4"  # part of the annotation cache key: bump when results change (4: MANE names)
#: minimum number of samples outside the proband's family for an in-cohort frequency
MIN_COHORT_SAMPLES = 5
#: hgvs_c is computed only for rows whose consequence prior reaches this score
HGVS_MIN_PRIOR = 0.05

_VAR_FIELDS = ("chrom", "chrom_norm", "pos", "ref", "alt", "qual", "filter", "record_index",
               "gt", "phased", "gq", "dp", "alt_fraction", "cohort_af", "pop_af", "pop_popmax",
               "pop_nhomalt", "clnsig", "clinvar_class", "clinvar_stars")
_ROW_FIELDS = ("vidx", "gene", "consequence", "consequences", "transcript", "hgvs_c", "hgvs_p",
               "codon_score", "revel", "alphamissense", "cadd_phred", "source", "score")


def _obj(xs) -> np.ndarray:
    a = np.empty(len(xs), dtype=object)
    a[:] = list(xs)
    return a


@dataclass
class AnnotatedVariants(ProbandView):
    samples: tuple[str, ...]
    proband_index: int
    # variant level
    chrom: np.ndarray
    chrom_norm: np.ndarray
    pos: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    qual: np.ndarray
    filter: np.ndarray
    record_index: np.ndarray
    gt: np.ndarray  # (V, S) int8 copies of ALT; -1 missing
    phased: np.ndarray  # (V, S) bool
    gq: np.ndarray  # (V,) proband
    dp: np.ndarray  # (V,) proband
    alt_fraction: np.ndarray  # (V,) proband
    cohort_af: np.ndarray  # (V,) NaN unless a cohort is available
    pop_af: np.ndarray  # (V,) NaN unknown
    pop_popmax: np.ndarray
    pop_nhomalt: np.ndarray
    clnsig: np.ndarray  # object: ClinVar text or None
    clinvar_class: np.ndarray  # int8 CLNSIG_*
    clinvar_stars: np.ndarray  # int8, -1 none
    # row level
    vidx: np.ndarray  # int64
    gene: np.ndarray
    consequence: np.ndarray
    consequences: np.ndarray  # "&"-joined, most severe first
    transcript: np.ndarray
    hgvs_c: np.ndarray
    hgvs_p: np.ndarray
    codon_score: np.ndarray
    revel: np.ndarray
    alphamissense: np.ndarray
    cadd_phred: np.ndarray
    source: np.ndarray  # "gene_model" | "vep" | "snpeff"
    score: np.ndarray  # pathogenicity (filled by score_rows)
    versions: dict[str, str] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    build: str | None = None

    @property
    def n_variants(self) -> int:
        return int(self.pos.shape[0])

    def __len__(self) -> int:
        return int(self.vidx.shape[0])

    # ------------------------------------------------------------------ reshaping
    def select_rows(self, rows: np.ndarray) -> AnnotatedVariants:
        """Keep these rows (mask or indices) and the variants they reference (reindexed)."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows, dtype=np.int64)
        rows = np.sort(rows)
        keep_v = np.unique(self.vidx[rows])
        remap = np.full(self.n_variants, -1, dtype=np.int64)
        remap[keep_v] = np.arange(len(keep_v))
        kw = {f: getattr(self, f)[keep_v] for f in _VAR_FIELDS}
        kw.update({f: getattr(self, f)[rows] for f in _ROW_FIELDS})
        kw["vidx"] = remap[self.vidx[rows]]
        return AnnotatedVariants(samples=self.samples, proband_index=self.proband_index,
                                 versions=dict(self.versions), stats=dict(self.stats),
                                 notes=list(self.notes), build=self.build, **kw)

    def drop_variants(self, vmask: np.ndarray) -> AnnotatedVariants:
        """Drop the variants where ``vmask`` is True (and their rows)."""
        return self.select_rows(~np.asarray(vmask, dtype=bool)[self.vidx])

    @classmethod
    def concat(cls, parts: list[AnnotatedVariants]) -> AnnotatedVariants:
        parts = [p for p in parts if p is not None]
        if not parts:
            raise ValueError("concat of no tables")
        first = parts[0]
        kw: dict[str, Any] = {}
        for f in _VAR_FIELDS:
            kw[f] = np.concatenate([getattr(p, f) for p in parts])
        offs = np.cumsum([0] + [p.n_variants for p in parts[:-1]])
        for f in _ROW_FIELDS:
            if f == "vidx":
                kw[f] = np.concatenate([p.vidx + o for p, o in zip(parts, offs, strict=True)])
            else:
                kw[f] = np.concatenate([getattr(p, f) for p in parts])
        stats: dict[str, Any] = {}
        for p in parts:
            for k, v in p.stats.items():
                if isinstance(v, int | float) and not isinstance(v, bool):
                    stats[k] = stats.get(k, 0) + v
                else:
                    stats.setdefault(k, v)
        notes = list(dict.fromkeys(n for p in parts for n in p.notes))
        return cls(samples=first.samples, proband_index=first.proband_index,
                   versions=dict(first.versions), stats=stats, notes=notes, build=first.build, **kw)

    @classmethod
    def empty(cls, samples: tuple[str, ...], proband_index: int) -> AnnotatedVariants:
        s = len(samples)
        f64 = np.empty(0, np.float64)
        return cls(
            samples=samples, proband_index=proband_index,
            chrom=_obj([]), chrom_norm=_obj([]), pos=np.empty(0, np.int64), ref=_obj([]), alt=_obj([]),
            qual=np.empty(0, np.float32), filter=_obj([]), record_index=np.empty(0, np.int64),
            gt=np.empty((0, s), np.int8), phased=np.empty((0, s), bool), gq=np.empty(0, np.float32),
            dp=np.empty(0, np.int32), alt_fraction=np.empty(0, np.float32), cohort_af=f64.copy(),
            pop_af=f64.copy(), pop_popmax=f64.copy(), pop_nhomalt=f64.copy(), clnsig=_obj([]),
            clinvar_class=np.empty(0, np.int8), clinvar_stars=np.empty(0, np.int8),
            vidx=np.empty(0, np.int64), gene=_obj([]), consequence=_obj([]), consequences=_obj([]),
            transcript=_obj([]), hgvs_c=_obj([]), hgvs_p=_obj([]), codon_score=f64.copy(),
            revel=f64.copy(), alphamissense=f64.copy(), cadd_phred=f64.copy(), source=_obj([]),
            score=f64.copy(),
        )

    def population_frequency(self) -> np.ndarray:
        """Per variant, the larger of AF and popmax (NaN when unknown)."""
        return np.fmax(self.pop_af, self.pop_popmax)

    def save(self, path: str | Path) -> None:
        """Write the table as an ``annotated-variants`` file (:mod:`triage.variants.annotation_store`)."""
        from triage.variants.annotation_store import save_table

        save_table(path, self)

    @classmethod
    def load(cls, path: str | Path) -> AnnotatedVariants:
        """Read a table written by :meth:`save`; DataError (naming the file) otherwise.

        Never executes anything from the file (no pickle)."""
        from triage.variants.annotation_store import load_table

        return load_table(path)


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class AnnotateConfig:
    genome: str = "GRCh38"
    gene_model: str | None = None  # path; None = bundled model of the build
    reference_fasta: str | None = None
    population_af_info_fields: tuple[str, ...] = ()
    use_preannotation: bool = True  # VEP CSQ / snpEff ANN when present
    flank: int = 5000
    max_rows_per_gene: int | None = None  # genome streaming: keep the best N rows per gene
    chunk_size: int = 20_000
    quality: QualityFilter = field(default_factory=QualityFilter)

    def key(self) -> str:
        d = asdict(self)
        d["quality"] = repr(self.quality)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def header_info(path: str | Path) -> dict[str, str]:
    """INFO id -> Description from a VCF header (cheap: reads the header only)."""
    import pysam

    try:
        with pysam.VariantFile(str(path)) as vf:
            return {k: (v.description or "") for k, v in vf.header.info.items()}
    except NotImplementedError:  # plain gzip (not BGZF): pysam cannot; cyvcf2 can
        from cyvcf2 import VCF

        try:
            vcf = VCF(str(path))
            out = {h["ID"]: h.info().get("Description", "").strip('"')
                   for h in vcf.header_iter() if h["HeaderType"] == "INFO"}
            vcf.close()
            return out
        except Exception:
            return {}
    except (OSError, ValueError):
        return {}


# --------------------------------------------------------------------------- core
def _gene_model_rows(vt: VariantTable, model: GeneModel, reference: Reference | None,
                     flank: int, indices: np.ndarray) -> list[tuple]:
    """Rows (variant, gene, consequence ...) from the gene model for these variants.

    One most severe consequence per gene of each variant
    (:func:`~triage.variants.consequences.most_severe_per_gene_batch`, the bulk form of
    ``most_severe_per_gene(annotate_variant(...))``), with the HGVS c. of rows worth naming
    and, for coding SNVs of unknown amino-acid effect, the codon-model score.
    """
    idx = indices.tolist()
    hits = most_severe_per_gene_batch(
        model, [vt.chrom[i] for i in idx], vt.pos[indices].tolist(), [vt.ref[i] for i in idx],
        [vt.alt[i] for i in idx], reference=reference, flank=flank, check_ref=reference is not None)
    out = []
    for i, per_gene in zip(idx, hits, strict=True):
        for gene, c in per_gene.items():
            codon = np.nan
            if "coding_sequence_variant" in c.consequences and c.tx is not None and c.allele is not None:
                a = c.allele
                if len(a.ref) == 1 and len(a.alt) == 1 and c.tx.cds_bounds is not None:
                    m = c.tx.mrna_offset(a.start)
                    ca, cb = c.tx.cds_bounds
                    if m is not None and ca <= m < cb:
                        c0 = m - ca
                        kind = 1 if c0 < 3 else 2 if c0 >= (cb - ca) - 3 else 0
                        v = coding_snv_score(c0 % 3, a.ref, a.alt, c.tx.strand, kind)
                        codon = np.nan if v is None else v
            hg = c.hgvs_c if c.rank <= 26 else None  # coding/splice/UTR/ncRNA exon: worth naming
            out.append((i, current_symbol(gene), c.most_severe, sys.intern("&".join(c.consequences)),
                        c.transcript, hg, c.hgvs_p, codon, "gene_model"))
    return out


def _csq_rows(vt: VariantTable, field_name: str, fields: list[str], style: str,
              indices: np.ndarray) -> tuple[list[tuple], np.ndarray, list[dict]]:
    """Rows from pre-annotation; returns (rows, handled mask over indices, extras per row)."""
    out, extras = [], []
    handled = np.zeros(len(indices), dtype=bool)
    raw = vt.info[field_name]
    for j, i in enumerate(indices.tolist()):
        entries = pick_entries(raw[i], fields, vt.ref[i], vt.alt[i], style, int(vt.alt_index[i]))
        if not entries:
            continue
        handled[j] = True
        for gene, e in entries.items():
            out.append((i, current_symbol(gene), e.consequences[0], "&".join(e.consequences),
                        e.transcript, e.hgvs_c, e.hgvs_p, np.nan, style))
            extras.append(e.extra)
    return out, handled, extras


def _float_or_nan(v: Any) -> float:
    if v is None:
        return np.nan
    if isinstance(v, tuple | list):
        vals = [_float_or_nan(x) for x in v]
        vals = [x for x in vals if not np.isnan(x)]
        return max(vals) if vals else np.nan
    s = str(v)
    if "&" in s or "," in s:
        return _float_or_nan(tuple(s.replace("&", ",").split(",")))
    try:
        return float(s)
    except ValueError:
        return np.nan


@dataclass
class _Ctx:
    model: GeneModel
    reference: Reference | None
    resources: ResourceSet
    cfg: AnnotateConfig
    score_cfg: ScoreConfig
    csq: tuple[str, list[str], str] | None  # (INFO id, fields, style)
    af_info: list[str]  # INFO ids carrying population AF
    af_csq: list[str]  # CSQ sub-fields carrying population AF
    cohort_cols: np.ndarray | None  # sample columns used for the in-cohort frequency


def annotate_table(vt: VariantTable, ctx: _Ctx) -> AnnotatedVariants:
    """Annotate one chunk (all its rows) and score it."""
    n = len(vt)
    if n == 0:
        return AnnotatedVariants.empty(vt.samples, vt.proband_index)
    allv = np.arange(n)
    rows: list[tuple] = []
    extras: list[dict | None] = []
    todo = allv
    if ctx.csq is not None:
        fid, fields, style = ctx.csq
        r, handled, ex = _csq_rows(vt, fid, fields, style, allv)
        rows += r
        extras += ex
        todo = allv[~handled]
    gm = _gene_model_rows(vt, ctx.model, ctx.reference, ctx.cfg.flank, todo)
    rows += gm
    extras += [None] * len(gm)
    if rows:
        order = np.argsort(np.array([r[0] for r in rows], dtype=np.int64), kind="stable")
        rows = [rows[k] for k in order.tolist()]
        extras = [extras[k] for k in order.tolist()]
    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(9)]
    vidx = np.asarray(cols[0], dtype=np.int64)

    # variant-level resources
    chroms, pos, refs, alts = vt.chrom, vt.pos, vt.ref, vt.alt
    pop = {"af": np.full(n, np.nan), "popmax": np.full(n, np.nan), "nhomalt": np.full(n, np.nan)}
    if ctx.resources.population is not None:
        pop = ctx.resources.population.lookup(chroms, pos, refs, alts)
    info_af = np.full(n, np.nan)
    for fid in ctx.af_info:
        vals = np.array([_float_or_nan(v) for v in vt.info[fid]], dtype=float)
        info_af = np.fmax(info_af, vals)
    clnsig = np.empty(n, dtype=object)
    stars = np.full(n, -1, dtype=np.int8)
    if ctx.resources.clinvar is not None:
        cv = ctx.resources.clinvar.lookup(chroms, pos, refs, alts)
        clnsig, stars = cv["clnsig"], cv["stars"]
    scores = {k: np.full(len(vidx), np.nan) for k in ("revel", "alphamissense", "cadd_phred")}
    for name, src in ctx.resources.scores.items():
        if name in scores:
            scores[name] = src.lookup(chroms, pos, refs, alts)[vidx] if len(vidx) else np.zeros(0)

    # per-row extras from VEP CSQ (frequencies only when mapped; predictors; ClinVar)
    if any(e for e in extras):
        csq_af = np.full(n, np.nan)
        for k, e in enumerate(extras):
            if not e:
                continue
            v = int(vidx[k])
            for f in ctx.af_csq:
                x = _float_or_nan(e.get(f))
                if not np.isnan(x):
                    csq_af[v] = np.fmax(csq_af[v], x)
            for name, keys in (("revel", ("REVEL", "REVEL_score")),
                               ("alphamissense", ("am_pathogenicity", "AlphaMissense_score")),
                               ("cadd_phred", ("CADD_PHRED", "CADD_phred"))):
                if np.isnan(scores[name][k]):
                    for key in keys:
                        x = _float_or_nan(e.get(key))
                        if not np.isnan(x):
                            scores[name][k] = x
                            break
            cs = e.get("CLIN_SIG")
            if cs and clnsig[v] is None:
                clnsig[v] = cs.replace("&", "/")
                stars[v] = 0  # VEP carries no review status
        info_af = np.fmax(info_af, csq_af)
    pop_af = np.fmax(pop["af"], info_af)

    cohort_af = np.full(n, np.nan)
    if ctx.cohort_cols is not None and len(ctx.cohort_cols):
        g = vt.gt[:, ctx.cohort_cols].astype(np.int16)
        ac = np.where(g > 0, g, 0).sum(axis=1)
        an = 2 * (g >= 0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cohort_af = np.where(an >= 2 * MIN_COHORT_SAMPLES, ac / np.maximum(an, 1), np.nan)

    p = vt.proband_index
    cls = np.array([clinvar_class(s) if s else CLNSIG_NONE for s in clnsig], dtype=np.int8)
    av = AnnotatedVariants(
        samples=vt.samples, proband_index=p,
        chrom=vt.chrom, chrom_norm=vt.chrom_norm, pos=vt.pos, ref=vt.ref, alt=vt.alt, qual=vt.qual,
        filter=vt.filter, record_index=vt.record_index, gt=vt.gt, phased=vt.phased,
        gq=vt.gq[:, p], dp=vt.dp[:, p], alt_fraction=vt.alt_fraction[:, p], cohort_af=cohort_af,
        pop_af=pop_af, pop_popmax=pop["popmax"], pop_nhomalt=pop["nhomalt"], clnsig=clnsig,
        clinvar_class=cls, clinvar_stars=stars,
        vidx=vidx, gene=_obj(cols[1]), consequence=_obj(cols[2]), consequences=_obj(cols[3]),
        transcript=_obj(cols[4]), hgvs_c=_obj(cols[5]), hgvs_p=_obj(cols[6]),
        codon_score=np.asarray(cols[7], dtype=float), revel=scores["revel"],
        alphamissense=scores["alphamissense"], cadd_phred=scores["cadd_phred"], source=_obj(cols[8]),
        score=np.zeros(len(vidx)),
    )
    av.stats = {"variants_in": n, "intergenic_or_unannotated": int(n - len(np.unique(vidx)))}
    score_rows(av, ctx.score_cfg)
    return av


def score_rows(av: AnnotatedVariants, cfg: ScoreConfig | None = None) -> np.ndarray:
    """Fill ``av.score`` with :func:`triage.variants.variant_scores.pathogenicity` (pure arrays)."""
    v = av.vidx
    has_pred = {k: bool(np.any(~np.isnan(getattr(av, k)))) for k in ("revel", "alphamissense", "cadd_phred")}
    av.score = pathogenicity(
        av.consequences, codon_score=av.codon_score,
        pop_af=av.population_frequency()[v], cohort_af=av.cohort_af[v],
        clinvar=av.clinvar_class[v], clinvar_stars=av.clinvar_stars[v],
        revel=av.revel if has_pred["revel"] else None,
        alphamissense=av.alphamissense if has_pred["alphamissense"] else None,
        cadd_phred=av.cadd_phred if has_pred["cadd_phred"] else None, cfg=cfg,
    )
    return av.score


def top_rows_per_gene(av: AnnotatedVariants, k: int) -> np.ndarray:
    """Indices of the ``k`` best-scoring rows of each gene (ties: file order)."""
    if len(av) == 0:
        return np.zeros(0, dtype=np.int64)
    genes, ginv = np.unique(av.gene.astype(str), return_inverse=True)
    order = np.lexsort((np.arange(len(av)), -av.score, ginv))
    g_sorted = ginv[order]
    start = np.r_[0, np.flatnonzero(np.diff(g_sorted)) + 1]
    rank_in = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    return np.sort(order[rank_in < k])


# --------------------------------------------------------------------------- driver
def annotate_vcf(vcf: str | Path, sample: str | None, cfg: AnnotateConfig,
                 resources: ResourceSet | None = None, score_cfg: ScoreConfig | None = None,
                 family_samples: tuple[str, ...] | None = None,
                 model: GeneModel | None = None) -> AnnotatedVariants:
    """Stream ``vcf`` (proband ``sample``) through annotation and scoring.

    ``family_samples``: PED members; they are excluded from the in-cohort frequency.
    """
    from triage.variants.vcf_reader import check_build, normalize_build

    resources = resources or ResourceSet()
    build = normalize_build(cfg.genome)
    model = model or GeneModel.load(cfg.gene_model or build)
    reference = Reference(cfg.reference_fasta, build=build) if cfg.reference_fasta else None
    hinfo = header_info(vcf)
    notes: list[str] = list(resources.notes)
    csq = None
    if cfg.use_preannotation:
        for fid, style in (("CSQ", "vep"), ("ANN", "snpeff")):
            if fid in hinfo:
                fields = parse_csq_format(hinfo[fid])
                if fields:
                    csq = (fid, fields, style)
                    notes.append(f"pre-annotated input: genes and consequences from INFO/{fid} "
                                 f"({'Ensembl VEP' if style == 'vep' else 'snpEff'}) where present")
                    break
    af_info, af_csq = [], []
    for f in cfg.population_af_info_fields:
        if f in hinfo:
            af_info.append(f)
        elif csq is not None and f in csq[1]:
            af_csq.append(f)
        else:
            notes.append(f"population_af_info_fields: {f} is neither an INFO field nor a CSQ sub-field of {Path(vcf).name}")
    info_fields = list(dict.fromkeys(([csq[0]] if csq else []) + af_info))
    reader = VcfReader(vcf, sample, quality=cfg.quality, info_fields=info_fields,
                       chunk_size=cfg.chunk_size)
    if "AF" in af_info and len(reader.all_samples) == 1:
        af_info.remove("AF")
        notes.append("INFO/AF of a single-sample VCF is the sample's allele fraction, not a population "
                     "frequency: ignored although listed in population_af_info_fields")
    detected = reader.build
    check_build(detected, build, vcf)
    fam = set(family_samples or ()) | {reader.proband}
    cohort = [i for i, s in enumerate(reader.samples) if s not in fam]
    cohort_cols = np.array(cohort, dtype=np.intp) if len(cohort) >= MIN_COHORT_SAMPLES else None
    if cohort_cols is not None:
        notes.append(f"in-cohort allele frequency over {len(cohort)} samples outside the family used as a signal")
    af_sources = (["resource:" + resources.population.version] if resources.population else []) + \
        [f"INFO/{f}" for f in af_info] + [f"{csq[0]}:{f}" for f in af_csq if csq]
    ctx = _Ctx(model, reference, resources, cfg, score_cfg or ScoreConfig(), csq, af_info, af_csq,
               cohort_cols)
    parts: list[AnnotatedVariants] = []
    try:
        for chunk in reader.chunks():
            av = annotate_table(chunk, ctx)
            if cfg.max_rows_per_gene:
                av = av.select_rows(top_rows_per_gene(av, cfg.max_rows_per_gene))
            parts.append(av)
            if cfg.max_rows_per_gene and len(parts) >= 8:  # bound memory: merge and re-reduce
                merged = AnnotatedVariants.concat(parts)
                parts = [merged.select_rows(top_rows_per_gene(merged, cfg.max_rows_per_gene))]
    finally:
        if reference is not None:
            reference.close()
    if parts:
        out = AnnotatedVariants.concat(parts)
        if cfg.max_rows_per_gene:
            out = out.select_rows(top_rows_per_gene(out, cfg.max_rows_per_gene))
    else:
        out = AnnotatedVariants.empty(reader.samples, reader.samples.index(reader.proband))
    st = reader.stats
    out.stats.update({
        "records": st.records, "rows_seen": st.rows_seen, "rows_kept": st.rows_kept,
        "dropped_filter": st.dropped_filter, "dropped_not_in_proband": st.dropped_not_in_proband,
        "genotypes_failed_qc": st.genotypes_failed_qc, "variants_annotated": out.n_variants,
        "annotation_rows": len(out),
        "contigs": dict(reader.contigs),
        "population_af_sources": ", ".join(af_sources),
    })
    out.versions = {"gene_model": model.version, **resources.versions}
    if reference is not None:
        out.versions["reference_fasta"] = reference.path.name
    out.notes = list(dict.fromkeys(notes))
    out.build = build
    for n_ in out.notes:
        if n_ not in resources.notes:  # those were logged when the resources were loaded
            log.info("%s", n_)
    return out


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def annotate_cached(vcf: str | Path, sample: str | None, cfg: AnnotateConfig,
                    resources: ResourceSet | None = None, score_cfg: ScoreConfig | None = None,
                    cache_dir: str | Path | None = None) -> AnnotatedVariants:
    """:func:`annotate_vcf` memoised on disk by file SHA-256 + settings + resource versions."""
    from triage.phenotype.knowledge import cache_dir as default_cache
    from triage.variants.annotation_store import VARIANTS_SUFFIX

    resources = resources or ResourceSet()
    key_src = json.dumps({
        "file": file_sha256(vcf), "sample": sample, "cfg": cfg.key(), "fmt": ANNOTATION_FORMAT,
        "res": resources.versions, "score": repr(score_cfg or ScoreConfig()),
    }, sort_keys=True)
    key = hashlib.sha256(key_src.encode()).hexdigest()[:24]
    cdir = Path(cache_dir) if cache_dir else default_cache() / "annotated"
    cfile = cdir / f"{Path(vcf).name}.{key}{VARIANTS_SUFFIX}"
    if cfile.exists():
        try:
            return AnnotatedVariants.load(cfile)
        except DataError as exc:
            log.warning("ignoring unreadable annotation cache %s (%s)", cfile, exc)
    av = annotate_vcf(vcf, sample, cfg, resources, score_cfg)
    try:
        av.save(cfile)
    except OSError as exc:
        log.warning("could not write annotation cache %s: %s", cfile, exc)
    return av


__all__ = [
    "AnnotateConfig", "AnnotatedVariants", "annotate_cached", "annotate_table", "annotate_vcf",
    "header_info", "score_rows", "top_rows_per_gene", "normalize_allele",
]

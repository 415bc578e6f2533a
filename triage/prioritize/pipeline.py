"""The VCF + phenotype pipeline: typed steps, one config dataclass per step.

    ingest + annotate  ->  score  ->  rank  ->  write outputs
    (annotate.py)        (variant_score.py, genotype.py)  (combine.py)  (outputs.py)

Configuration is read once at the entry point (:meth:`PipelineConfig.from_dict`, from
the workflow's ``config.yaml`` or ``triage rank --config``) and passed down as frozen
dataclasses; no module reads global configuration.

:class:`VariantRanker` holds what is shared between cases (the phenotype engine, the
disease inheritance modes, the coding length of every gene); :func:`rank_annotated`
turns an annotated VCF + HPO terms into a ranked :class:`RankedCase` and
:func:`build_result` into the shared :class:`~triage.models.TriageResult`. The
benchmark (:mod:`triage.benchmark.spikein`) calls the very same functions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage import __version__
from triage.errors import TriageError
from triage.genotype.inheritance import COMPOUND_HET, Family, modes_from_mask
from triage.genotype.likelihood import (
    GeneGenotype,
    GenotypeConfig,
    coding_kb,
    disease_inheritance,
    family_for,
    gene_genotype,
    gene_prior_scale,
    mode_label,
    mode_weights,
)
from triage.models import (
    DiseaseCandidate,
    Explanation,
    GeneCandidate,
    QuerySummary,
    TriageResult,
    VariantEvidence,
    Warning_,
)
from triage.phenotype.engine import PhenotypeEngine, ResolvedQuery, competition_ranks, sort_order
from triage.phenotype.scoring.config import PhenotypeModel
from triage.prioritize.combination import Combined, combine
from triage.variants.annotation import AnnotateConfig, AnnotatedVariants, annotate_vcf
from triage.variants.resources import ResourceSet, load_resources
from triage.variants.variant_scores import ScoreConfig
from triage.variants.vcf_reader import QualityFilter

log = logging.getLogger(__name__)

GENOTYPE_MODEL_VERSION = "genotype-lr-1 (score bins, Poisson background per coding kb)"
DEFAULT_FORMATS = ("json", "tsv", "vcf", "html", "phenopacket", "pheval")


# --------------------------------------------------------------------------- configs
@dataclass(frozen=True)
class RankConfig:
    scorer: str = "lr"
    top: int = 20
    drop_unknown: bool = False
    variants_per_gene: int = 10
    gene_less_lr: float = 1.0
    phenotype_weight: float = 1.0  # exponent on the phenotype LR (1 = as the scorer gives it)


@dataclass(frozen=True)
class OutputConfig:
    formats: tuple[str, ...] = DEFAULT_FORMATS
    report_top: int = 10
    prefix: str = ""


@dataclass(frozen=True)
class PipelineConfig:
    annotate: AnnotateConfig = field(default_factory=AnnotateConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    genotype: GenotypeConfig = field(default_factory=GenotypeConfig)
    rank: RankConfig = field(default_factory=RankConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    resources: dict = field(default_factory=dict)
    base_dir: str | None = None  # relative resource paths resolve against this
    model: PhenotypeModel = field(default_factory=PhenotypeModel)  # phenotype.model

    @classmethod
    def from_dict(cls, cfg: dict | None, genome: str | None = None, base_dir: str | None = None) -> PipelineConfig:
        """Build from the workflow config (``config/config.yaml``); unknown keys are ignored."""
        cfg = dict(cfg or {})
        ann = dict(cfg.get("annotation") or {})
        q = dict(cfg.get("quality") or {})
        quality = QualityFilter(**{k: (tuple(v) if k == "het_alt_fraction" and v is not None else v)
                                   for k, v in q.items()}) if q else QualityFilter()
        known_ann = set(AnnotateConfig.__dataclass_fields__) - {"quality", "genome"}
        bad = set(ann) - known_ann
        if bad:
            raise TriageError(f"unknown annotation option(s): {', '.join(sorted(bad))}")
        if "population_af_info_fields" in ann:
            ann["population_af_info_fields"] = tuple(ann["population_af_info_fields"] or ())
        acfg = AnnotateConfig(genome=genome or ann.pop("genome", None) or "GRCh38", quality=quality, **ann)
        pheno = dict(cfg.get("phenotype") or {})
        model = PhenotypeModel.from_dict(pheno.get("model"))
        rk = dict(cfg.get("ranking") or {})
        rcfg = RankConfig(scorer=pheno.get("scorer", "lr"), top=int(pheno.get("top", 20)),
                          drop_unknown=bool(pheno.get("drop_unknown", False)), **rk)
        out = dict(cfg.get("outputs") or {})
        ocfg = OutputConfig(formats=tuple(out.get("formats", DEFAULT_FORMATS)),
                            report_top=int(out.get("report_top", 10)))
        return cls(annotate=acfg, score=ScoreConfig.from_dict(cfg.get("scoring")),
                   genotype=GenotypeConfig.from_dict(cfg.get("genotype")), rank=rcfg, output=ocfg,
                   resources=dict(cfg.get("resources") or {}), base_dir=base_dir, model=model)

    @classmethod
    def from_file(cls, path: str | Path | None, genome: str | None = None) -> PipelineConfig:
        if path is None:
            return cls.from_dict({}, genome)
        import yaml

        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise TriageError(f"cannot read config {p}: {exc}") from None
        return cls.from_dict(data, genome, base_dir=str(p.resolve().parent.parent))

    def gene_prior(self):
        """The configured gene prior resource (the one resource ranking needs), or None."""
        if not self.resources.get("gene_prior"):
            return None
        base = Path(self.base_dir) if self.base_dir else None
        return load_resources({"gene_prior": self.resources["gene_prior"]}, base).gene_prior

    def with_genome(self, genome: str) -> PipelineConfig:
        from dataclasses import replace

        return replace(self, annotate=replace(self.annotate, genome=genome))


# --------------------------------------------------------------------------- step 1+2
@dataclass
class AnnotatedCase:
    """Product of the ingest/annotate step (picklable: stored by ``triage annotate``)."""

    table: AnnotatedVariants
    sample: str
    family: Family
    ped: str | None
    build: str
    has_population_af: bool
    seconds: float = 0.0

    def save(self, path: str | Path) -> None:
        import os
        import pickle
        import tempfile

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
            pickle.dump({"format": "annotated-case-1", "case": self}, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)

    @classmethod
    def load(cls, path: str | Path) -> AnnotatedCase:
        import pickle

        try:
            with open(path, "rb") as fh:
                obj = pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            raise TriageError(f"cannot read annotated case {path}: {exc}") from None
        if not isinstance(obj, dict) or obj.get("format") != "annotated-case-1":
            raise TriageError(f"{path}: not an annotated case of this triage version (re-run triage annotate)")
        return obj["case"]


def ingest_annotate(vcf: str | Path, sample: str | None, cfg: PipelineConfig, ped: str | None = None,
                    sex: str | None = None, resources: ResourceSet | None = None, model=None) -> AnnotatedCase:
    """Read, QC, annotate and score the VCF of one proband (PED optional)."""
    from triage.genotype.pedigree import read_ped

    t0 = time.perf_counter()
    pedigree = read_ped(ped) if ped else None
    if pedigree is not None and sample is None:
        affected = [i.individual for i in pedigree if i.is_affected]
        if len(affected) == 1:
            sample = affected[0]
    own = resources is None
    base = Path(cfg.base_dir) if cfg.base_dir else None
    resources = resources if resources is not None else load_resources(cfg.resources, base)
    try:
        fam_ids = tuple(m.individual for m in pedigree.family_of(sample)) if (pedigree and sample) else None
        table = annotate_vcf(vcf, sample, cfg.annotate, resources, cfg.score, family_samples=fam_ids,
                             model=model)
    finally:
        if own:
            resources.close()
    proband = table.proband
    family = family_for(table.samples, proband, pedigree, sex)
    missing = [m for m in family.ids if m not in table.samples]
    if pedigree is not None and missing:
        table.notes.append(f"PED members without genotypes in the VCF (treated as not genotyped): {', '.join(missing)}")
    has_af = bool(table.stats.get("population_af_sources"))
    return AnnotatedCase(table, proband, family, str(ped) if ped else None, table.build or cfg.annotate.genome,
                         has_af, time.perf_counter() - t0)


# --------------------------------------------------------------------------- step 3+4
class VariantRanker:
    """Shared state for ranking cases with one engine and one gene model."""

    def __init__(self, engine: PhenotypeEngine, genome: str, cfg: PipelineConfig | None = None,
                 gene_prior=None, model=None):
        from triage.variants.gene_model import GeneModel

        self.engine = engine
        self.cfg = cfg or PipelineConfig()
        ann = engine.kb.annotations
        self.model = model or GeneModel.load(self.cfg.annotate.gene_model or genome)
        self.hpo_genes: list[str] = list(ann.gene_symbols)
        self.gene_index = {g: i for i, g in enumerate(self.hpo_genes)}
        self.modes = disease_inheritance(engine.kb.source_dir)
        self.weights = mode_weights(ann.disease_ids, self.modes)
        self._kb: dict[str, float] = {}
        self.prior_scale: dict[str, float] | None = None
        if gene_prior is not None:
            genes = list(gene_prior.values)
            if gene_prior.transform == "lambda":
                kb = self._lengths(genes)
                vals = gene_prior.get(genes)
                # lambda given: scale so that L * r(damaging) equals it
                r = self.cfg.genotype.background_rate_per_kb[4]
                self.prior_scale = {g: float(v / (max(k, 1e-3) * r)) for g, v, k in zip(genes, vals, kb, strict=True)
                                    if np.isfinite(v)}
            else:
                sc = gene_prior_scale(gene_prior.get(genes), gene_prior.transform)
                self.prior_scale = dict(zip(genes, sc.tolist(), strict=True))

    def _lengths(self, genes: list[str]) -> list[float]:
        need = [g for g in genes if g not in self._kb]
        if need:
            for g, v in zip(need, coding_kb(self.model, need), strict=True):
                self._kb[g] = float(v)
        return [self._kb[g] for g in genes]

    def lam_kb_of(self, genes: list[str]) -> dict[str, float]:
        return dict(zip(genes, self._lengths(genes), strict=True))

    def genotype(self, case: AnnotatedCase) -> GeneGenotype:
        av = case.table
        genes = sorted(set(av.gene.astype(str).tolist())) if len(av) else []
        return gene_genotype(av, case.family, self.lam_kb_of(genes), self.cfg.genotype,
                             case.has_population_af, self.prior_scale)

    def hpo_lrs(self, gg: GeneGenotype) -> tuple[np.ndarray, np.ndarray]:
        eps = self.cfg.genotype.eps
        lr1 = np.full(len(self.hpo_genes), eps)
        lr2 = np.full(len(self.hpo_genes), eps ** 2)
        for g, i in gg.index.items():
            j = self.gene_index.get(g)
            if j is not None:
                lr1[j] = gg.lr_one[i]
                lr2[j] = gg.lr_two[i]
        return lr1, lr2


@dataclass
class RankedCase:
    query: ResolvedQuery
    scorer: str
    disease_scores: np.ndarray  # phenotype log10 prior x LR per disease
    genotype: GeneGenotype
    lr_one: np.ndarray  # per HPO gene
    lr_two: np.ndarray
    combined: Combined
    case: AnnotatedCase
    seconds: float = 0.0


def phenotype_log10(res, probabilistic: bool) -> np.ndarray:
    """Per-disease log10 weight from a phenotype ScoreResult (similarity used as is otherwise)."""
    return np.asarray(res.disease_scores, dtype=float)


def rank_annotated(ranker: VariantRanker, case: AnnotatedCase, q: ResolvedQuery, scorer: str = "lr",
                   genotype: GeneGenotype | None = None) -> RankedCase:
    t0 = time.perf_counter()
    eng = ranker.engine
    res = eng.score(q, scorer)
    gg = genotype if genotype is not None else ranker.genotype(case)
    lr1, lr2 = ranker.hpo_lrs(gg)
    ann = eng.kb.annotations
    comb = combine(ranker.cfg.rank.phenotype_weight * phenotype_log10(res, eng.scorer(scorer).probabilistic), ann.dg_ptr, ann.dg_idx,
                   len(ranker.hpo_genes), lr1, lr2, ranker.weights, ranker.cfg.rank.gene_less_lr)
    return RankedCase(q, scorer, np.asarray(res.disease_scores), gg, lr1, lr2, comb, case,
                      time.perf_counter() - t0)


# --------------------------------------------------------------------------- variant order
@dataclass
class VariantRanking:
    """All annotation rows ordered for output, plus a rank per variant."""

    row_order: np.ndarray  # rows, best first
    row_gene_rank: np.ndarray  # per row: competition rank of its gene (0 = gene not ranked)
    row_in_config: np.ndarray  # per row: part of the gene's best genotype configuration
    variant_rank: np.ndarray  # per variant: competition rank (0 = no ranked gene)
    variant_mean_rank: np.ndarray  # per variant: mean rank of ties (benchmark), 0 unranked
    row_mode_mask: np.ndarray  # per row: inheritance bitmask of its variant (triage.genotype.inheritance)
    row_comphet: np.ndarray  # per row: part of its gene's chosen compound-het pair

    def modes(self, r: int) -> list[str]:
        """Compatible inheritance modes of row ``r`` (+ "compound_het" for the chosen pair)."""
        m = modes_from_mask(int(self.row_mode_mask[r]))
        return m + [COMPOUND_HET] if self.row_comphet[r] else m


def rank_variants(ranked: RankedCase, ranker: VariantRanker) -> VariantRanking:
    av = ranked.case.table
    comb = ranked.combined
    gg = ranked.genotype
    n = len(av)
    gidx = np.array([ranker.gene_index.get(g, -1) for g in av.gene.tolist()], dtype=np.int64) if n else np.zeros(0, np.int64)
    glog = np.where(gidx >= 0, comb.gene_log10[np.maximum(gidx, 0)], -np.inf) if n else np.zeros(0)
    in_cfg = np.zeros(n, dtype=bool)
    # the configuration that dominates each gene's LR under its best disease's modes
    best_d = comb.best_disease_of_gene
    for g, i in gg.index.items():
        j = ranker.gene_index.get(g)
        w = ranker.weights[best_d[j]] if (j is not None and best_d[j] >= 0) else np.array([0.5, 0.5])
        if w[0] * gg.lr_one[i] >= w[1] * gg.lr_two[i]:
            r = gg.best_one_row[i]
            if r >= 0:
                in_cfg[r] = True
        else:
            for r in gg.two_rows[i]:
                if r >= 0:
                    in_cfg[r] = True
    order = np.lexsort((np.arange(n), -av.score, ~in_cfg, -np.where(np.isfinite(glog), glog, -1e300))) if n else np.zeros(0, np.int64)
    # gene competition ranks
    order_g = sort_order(comb.gene_log10, ranker.hpo_genes)
    granks = np.zeros(len(ranker.hpo_genes), dtype=np.int64)
    granks[order_g] = competition_ranks(comb.gene_log10, order_g)
    row_grank = np.where(gidx >= 0, granks[np.maximum(gidx, 0)], 0) if n else np.zeros(0, np.int64)
    # per variant: its best row
    V = av.n_variants
    v_rank = np.zeros(V, dtype=np.int64)
    v_mean = np.zeros(V, dtype=float)
    if n:
        first_row = np.full(V, -1, dtype=np.int64)
        vo_rows = av.vidx[order]
        _, first_pos = np.unique(vo_rows, return_index=True)  # first occurrence in output order
        first_row[vo_rows[first_pos]] = order[first_pos]
        has = first_row >= 0
        k1 = np.where(has, glog[np.maximum(first_row, 0)], -np.inf)
        k2 = np.where(has, in_cfg[np.maximum(first_row, 0)], False)
        k3 = np.where(has, av.score[np.maximum(first_row, 0)], 0.0)
        ranked_v = np.isfinite(k1)
        vo = np.flatnonzero(ranked_v)
        vo = vo[np.lexsort((vo, -k3[vo], ~k2[vo], -k1[vo]))]
        if len(vo):
            key = np.stack([k1[vo], k2[vo].astype(float), k3[vo]], axis=1)
            new = np.r_[True, np.any(key[1:] != key[:-1], axis=1)]
            pos = np.arange(1, len(vo) + 1)
            comp = np.maximum.accumulate(np.where(new, pos, 0))
            grp = np.cumsum(new) - 1
            sizes = np.bincount(grp)
            starts = np.flatnonzero(new) + 1
            v_rank[vo] = comp
            v_mean[vo] = starts[grp] + (sizes[grp] - 1) / 2.0
    row_mask = gg.variant_modes[av.vidx] if (n and len(gg.variant_modes)) else np.zeros(n, dtype=np.uint16)
    comphet = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(gg.two_kind == "compound_het").tolist():
        for r in gg.two_rows[i]:
            if r >= 0:
                comphet[r] = True
    return VariantRanking(order, row_grank, in_cfg, v_rank, v_mean, row_mask, comphet)


# --------------------------------------------------------------------------- step 4: result model
def zygosity(code: int, male_x: bool = False) -> str:
    if code == 2:
        return "hemizygous" if male_x else "homozygous"
    if code == 1:
        return "heterozygous"
    return "unknown"


def variant_evidence(av: AnnotatedVariants, r: int, vr: VariantRanking, male: bool) -> VariantEvidence:
    v = int(av.vidx[r])
    code = int(av.proband_gt[v])
    male_x = male and av.chrom_norm[v] == "X"
    gt = {0: "0/0", 1: "0/1", 2: "1" if male_x else "1/1"}.get(code, "./.")
    if av.phased[v, av.proband_index] and code == 1:
        gt = "0|1"
    af = av.population_frequency()[v]
    cl = av.clnsig[v]
    if cl:
        stars = int(av.clinvar_stars[v])
        cl = f"{cl} ({stars} star{'s' if stars != 1 else ''})" if stars >= 0 else cl
    return VariantEvidence(
        chrom=str(av.chrom[v]), pos=int(av.pos[v]), ref=str(av.ref[v]), alt=str(av.alt[v]),
        genotype=gt, zygosity=zygosity(code, male_x), consequence=av.consequences[r].replace("&", ","),
        transcript=av.transcript[r], hgvs_c=av.hgvs_c[r], hgvs_p=av.hgvs_p[r],
        population_af=None if np.isnan(af) else float(af), clinvar=cl or None,
        pathogenicity=round(float(av.score[r]), 4), inheritance_modes=vr.modes(r),
        rank=int(vr.variant_rank[v]) or None,
    )


def data_versions(engine: PhenotypeEngine, case: AnnotatedCase, extra: dict | None = None) -> dict[str, str]:
    dv = dict(engine.data_versions)
    dv.update({k: v for k, v in case.table.versions.items()})
    dv["genotype_model"] = GENOTYPE_MODEL_VERSION
    dv["triage"] = __version__
    if extra:
        dv.update(extra)
    return dv


def build_result(ranked: RankedCase, ranker: VariantRanker, top: int = 20,
                 variants_per_gene: int = 10, vr: VariantRanking | None = None) -> tuple[TriageResult, VariantRanking]:
    eng = ranker.engine
    ann = eng.kb.annotations
    sc = eng.scorer(ranked.scorer)
    comb = ranked.combined
    av = ranked.case.table
    q = ranked.query
    vr = vr or rank_variants(ranked, ranker)
    male = ranked.case.family.sex[ranked.case.family.proband] == 1
    gg = ranked.genotype

    # rows per HPO gene, in output order
    rows_of: dict[int, list[int]] = {}
    for r in vr.row_order.tolist():
        j = ranker.gene_index.get(av.gene[r], -1)
        if j >= 0:
            rows_of.setdefault(j, []).append(r)

    g_order = sort_order(comb.gene_log10, ranker.hpo_genes)
    g_ranks = competition_ranks(comb.gene_log10, g_order)
    genes: list[GeneCandidate] = []
    limit = len(g_order) if top <= 0 else min(top, len(g_order))
    pd, pg, pl = comb.pair_disease, comb.pair_gene, comb.pair_log10
    for k in range(limit):
        j = int(g_order[k])
        sel = np.flatnonzero(pg == j)
        sel = sel[np.lexsort((np.array([ann.disease_ids[d] for d in pd[sel]], dtype=object), -pl[sel]))]
        ds = [int(pd[s]) for s in sel if np.isfinite(pl[s])]
        best = ds[0] if ds else None
        gi = gg.index.get(ranker.hpo_genes[j])
        lr = None
        if best is not None:
            w = ranker.weights[best]
            lr = float(w[0] * ranked.lr_one[j] + w[1] * ranked.lr_two[j])
        expl = eng._explanation(sc, best, q) if best is not None else Explanation()
        if best is not None:
            kind = ""
            if gi is not None:
                w = ranker.weights[best]
                kind = "one allele" if w[0] * gg.lr_one[gi] >= w[1] * gg.lr_two[gi] else (gg.two_kind[gi] or "")
            expl.summary += (f"; genotype LR {lr:.3g} ({mode_label(ann.disease_ids[best], ranker.modes)}"
                             + (f", {kind}" if kind else ", no qualifying variant") + ")")
        rows = rows_of.get(j, [])[:variants_per_gene]
        genes.append(GeneCandidate(
            symbol=ranker.hpo_genes[j], rank=int(g_ranks[k]), score=round(float(comb.gene_log10[j]), 6),
            posterior=float(10.0 ** comb.gene_log10[j]),
            phenotype_score=round(float(ranked.disease_scores[best]), 6) if best is not None else None,
            genotype_score=round(float(np.log10(lr)), 6) if lr else None,
            diseases=[ann.disease_ids[d] for d in ds[:10]],
            top_disease=ann.disease_ids[best] if best is not None else None,
            variants=[variant_evidence(av, r, vr, male) for r in rows],
            explanation=expl,
        ))

    d_order = sort_order(comb.disease_log10, ann.disease_ids)
    d_ranks = competition_ranks(comb.disease_log10, d_order)
    diseases: list[DiseaseCandidate] = []
    dlimit = len(d_order) if top <= 0 else min(top, len(d_order))
    for k in range(dlimit):
        d = int(d_order[k])
        diseases.append(DiseaseCandidate(
            id=ann.disease_ids[d], label=ann.disease_labels[d], rank=int(d_ranks[k]),
            posterior=float(10.0 ** comb.disease_log10[d]), score=round(float(comb.disease_log10[d]), 6),
            genes=[ann.gene_symbols[g] for g in ann.genes_of(d)], explanation=eng._explanation(sc, d, q),
        ))
    warnings = list(q.warnings) + [Warning_(code="annotation_note", message=n) for n in ranked.case.table.notes]
    result = TriageResult(
        query=QuerySummary(observed=q.observed, excluded=q.excluded, scorer=ranked.scorer,
                           sample=ranked.case.sample),
        diseases=diseases, genes=genes, data_versions=data_versions(eng, ranked.case), warnings=warnings,
        n_diseases_ranked=int(len(d_order)), n_genes_ranked=int(len(g_order)),
    )
    return result, vr


# --------------------------------------------------------------------------- one patient
@dataclass
class PatientRun:
    result: TriageResult
    ranked: RankedCase
    variants: VariantRanking
    ranker: VariantRanker
    files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def run_patient(vcf: str | Path, observed: list[str], excluded: list[str], *, sample: str | None = None,
                ped: str | None = None, genome: str | None = None, sex: str | None = None,
                cfg: PipelineConfig | None = None, engine: PhenotypeEngine | None = None,
                hpo_dir: str | None = None, out_dir: str | Path | None = None,
                formats: tuple[str, ...] | None = None, phenopacket_id: str | None = None,
                onset: str | None = None) -> PatientRun:
    """The whole pipeline for one patient (``triage rank --vcf``).

    ``onset``: HPO onset class or ISO 8601 age, scored as an extra observed term.
    """
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
    onset_id = engine.onset_term(onset) if onset else None
    q = engine.resolve(list(observed) + ([onset_id] if onset_id else []), excluded,
                       drop_unknown=cfg.rank.drop_unknown)
    t1 = time.perf_counter()
    base = Path(cfg.base_dir) if cfg.base_dir else None
    resources = load_resources(cfg.resources, base)
    from triage.variants.gene_model import GeneModel

    model = GeneModel.load(cfg.annotate.gene_model or genome)
    try:
        case = ingest_annotate(vcf, sample, cfg, ped, sex, resources, model)
        gene_prior = resources.gene_prior
    finally:
        resources.close()
    timings["ingest_annotate"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    ranker = VariantRanker(engine, genome, cfg, gene_prior, model)
    ranked = rank_annotated(ranker, case, q, cfg.rank.scorer)
    result, vr = build_result(ranked, ranker, cfg.rank.top, cfg.rank.variants_per_gene)
    timings["rank"] = time.perf_counter() - t2
    run = PatientRun(result, ranked, vr, ranker, timings=timings)
    if out_dir is not None:
        from triage.outputs.files import write_outputs

        t3 = time.perf_counter()
        run.files = write_outputs(run, out_dir, formats or cfg.output.formats, cfg.output,
                                  phenopacket_id=phenopacket_id)
        timings["outputs"] = time.perf_counter() - t3
    for w in result.warnings:
        if w.code != "annotation_note":
            log.warning("%s", w.message)
    log.info("timings: %s", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    return run


def summary_counts(case: AnnotatedCase) -> dict[str, Any]:
    return dict(case.table.stats)

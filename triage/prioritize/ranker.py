"""Ranking a case: the one function every caller uses (:func:`rank_case`).

    query (resolved HPO terms) [+ annotated case]  ->  RankedCase  ->  TriageResult
                                  rank_case (here)      build_result (triage.prioritize.result)

The CLI (``triage rank``, ``triage prioritize``), the Snakemake rules, the API worker
and its PATCH re-ranking, ``POST /v1/diagnoses``, the spike-in benchmark and the cohort
path all go through :func:`rank_case`; there is no other ranking code.

* Without a VCF (phenotype only) the phenotype scorer's disease and gene scores are
  ranked as they are (``score`` = the scorer's score; ``posterior`` = its posterior).
* With an annotated case the phenotype posterior of every disease is combined with
  the genotype LR of its genes (:mod:`triage.prioritize.combination`); ``score`` is
  then the log10 posterior, and every variant gets a rank (:class:`VariantRanking`).

A :class:`RankedCase` holds arrays over *all* candidates (the benchmark reads truth
ranks from them); :func:`triage.prioritize.result.build_result` turns the top of them
into the result model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from triage.errors import TriageError
from triage.genotype.inheritance import COMPOUND_HET, modes_from_mask
from triage.genotype.likelihood import (
    GeneGenotype,
    coding_kb,
    disease_inheritance,
    gene_genotype,
    gene_prior_scale,
    mode_weights,
)
from triage.models import Warning_
from triage.phenotype.engine import PhenotypeEngine, ResolvedQuery
from triage.prioritize.case import AnnotatedCase
from triage.prioritize.combination import Combined, NovelPrior, combine
from triage.prioritize.config import PipelineConfig
from triage.ranks import competition_ranks, sort_order

if TYPE_CHECKING:
    from triage.prioritize.acmg import AcmgTable


class Ranker:
    """What ranking many cases shares: the phenotype engine and the pipeline config,
    plus, built on the first VCF case, the genome build's gene model, the coding length
    of every gene, the diseases' inheritance modes and the configured gene prior.

    One per (engine, config, build); cheap to create for phenotype-only ranking.
    """

    def __init__(self, engine: PhenotypeEngine, cfg: PipelineConfig | None = None, genome: str | None = None,
                 gene_prior=None, gene_model=None):
        self.engine = engine
        self.cfg = cfg or PipelineConfig()
        self.genome = genome or self.cfg.annotate.genome
        ann = engine.kb.annotations
        self.genes: list[str] = list(ann.gene_symbols)
        self.gene_index = engine.gene_index
        pairs = engine.pairs
        self.pair_disease, self.pair_gene = pairs.disease, pairs.gene
        self.gene_pair_ptr, self.gene_pairs = pairs.gene_ptr, pairs.by_gene
        self._gene_prior = gene_prior
        self._gene_model = gene_model
        self._modes: dict[str, tuple[str, ...]] | None = None
        self._weights: np.ndarray | None = None
        self._kb: dict[str, float] = {}
        self._prior_scale: dict[str, float] | None | bool = False  # False = not computed yet
        self._symbol_order: dict[str, int] | None = None
        self._n_genome_genes: int | None = None

    # ------------------------------------------------------------------ genotype context (lazy)
    @property
    def gene_model(self):
        if self._gene_model is None:
            from triage.variants.gene_model import GeneModel

            self._gene_model = GeneModel.load(self.cfg.annotate.gene_model or self.genome)
        return self._gene_model

    @property
    def modes(self) -> dict[str, tuple[str, ...]]:
        """Disease id -> HPO inheritance term ids of the release."""
        if self._modes is None:
            self._modes = disease_inheritance(self.engine.kb.source_dir)
        return self._modes

    @property
    def weights(self) -> np.ndarray:
        """(D, 2) weights of the one-allele / two-allele configurations per disease."""
        if self._weights is None:
            self._weights = mode_weights(self.engine.kb.annotations.disease_ids, self.modes)
        return self._weights

    @property
    def prior_scale(self) -> dict[str, float] | None:
        """Per-gene multiplier of the background rate from the configured gene prior."""
        if self._prior_scale is False:
            self._prior_scale = None
            gp = self._gene_prior
            if gp is not None:
                genes = list(gp.values)
                if gp.transform == "lambda":
                    kb = self.coding_kb(genes)
                    vals = gp.get(genes)
                    # lambda given: scale so that L * r(damaging) equals it
                    r = self.cfg.genotype.background_rate_per_kb[4]
                    self._prior_scale = {g: float(v / (max(k, 1e-3) * r))
                                         for g, v, k in zip(genes, vals, kb, strict=True) if np.isfinite(v)}
                else:
                    sc = gene_prior_scale(gp.get(genes), gp.transform)
                    self._prior_scale = dict(zip(genes, sc.tolist(), strict=True))
        return self._prior_scale  # type: ignore[return-value]

    def coding_kb(self, genes: list[str]) -> list[float]:
        """Longest coding length (kb) of each gene, memoised."""
        need = [g for g in genes if g not in self._kb]
        if need:
            for g, v in zip(need, coding_kb(self.gene_model, need), strict=True):
                self._kb[g] = float(v)
        return [self._kb[g] for g in genes]

    def genotype(self, case: AnnotatedCase) -> GeneGenotype:
        """Per-gene genotype LRs of a case's variants."""
        av = case.table
        genes = sorted(set(av.gene.astype(str).tolist())) if len(av) else []
        lam = dict(zip(genes, self.coding_kb(genes), strict=True))
        return gene_genotype(av, case.family, lam, self.cfg.genotype, case.has_population_af, self.prior_scale)

    # ------------------------------------------------------------------ novel hypotheses
    @property
    def symbol_order(self) -> dict[str, int]:
        """Tie-break key of every gene symbol (release genes and gene-model genes): its
        position in sorted order, so a gene axis extended per case still ties by symbol."""
        if self._symbol_order is None:
            from triage.variants.gene_aliases import current_symbol

            universe = set(self.genes) | {current_symbol(g) for g in self.gene_model.genes()}
            self._symbol_order = {g: i for i, g in enumerate(sorted(universe))}
        return self._symbol_order

    @property
    def n_genome_genes(self) -> int:
        """Protein-coding genes of the gene model (the genes a novel hypothesis spreads over)."""
        if self._n_genome_genes is None:
            self._n_genome_genes = max(self.gene_model.n_coding_genes(), len(self.genes))
        return self._n_genome_genes

    def novel_prior(self, genes: list[str], scorer, disease_scores: np.ndarray | None = None) -> NovelPrior | None:
        """The novel-hypothesis prior on a gene axis (None when off or not calibrated:
        it needs a probabilistic phenotype scorer with an explicit disease prior)."""
        rk = self.cfg.rank
        prior = getattr(scorer, "log10_prior", None)
        if rk.novel_prior <= 0 or not scorer.probabilistic or prior is None:
            return None
        n = len(genes)
        log10_w = np.full(n, -np.log10(self.n_genome_genes))
        gp = self._gene_prior
        if rk.novel_gene_weight == "gene_prior" and gp is not None and gp.transform != "lambda":
            vals = np.clip(np.asarray(gp.get(genes), dtype=float), 0.0, 1.0)
            intolerance = vals if gp.transform == "intolerance" else 1.0 - vals
            # a gene intolerant of variation (pLI 1) carries 11x the mass of a tolerant one
            # (pLI 0); unknown genes get the mean weight
            raw = np.where(np.isfinite(intolerance), 0.1 + intolerance, np.nan)
            mean = float(np.nanmean(raw)) if np.isfinite(raw).any() else 1.0
            raw = np.where(np.isfinite(raw), raw, mean)
            log10_w = log10_w + np.log10(raw / mean)
        p = np.asarray(prior, dtype=float)
        norm = float(np.log10(np.sum(10.0 ** (p - p.max()))) + p.max())
        pheno = 0.0
        if rk.novel_phenotype == "marginal" and disease_scores is not None:
            s = np.asarray(disease_scores, dtype=float) * rk.phenotype_weight
            s = s[np.isfinite(s)]
            if len(s):
                pheno = float(np.log10(np.sum(10.0 ** (s - s.max()))) + s.max()) - norm
        return NovelPrior(float(np.log10(rk.novel_prior)), log10_w, np.full(n, pheno), norm)


# --------------------------------------------------------------------------- ranked case
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


@dataclass
class GenotypeRanking:
    """The VCF part of a ranked case."""

    case: AnnotatedCase
    genotype: GeneGenotype
    lr_one: np.ndarray  # (G,) on the release's gene axis
    lr_two: np.ndarray
    combined: Combined
    variants: VariantRanking
    acmg: AcmgTable | None = None  # filled by build_result


@dataclass
class RankedCase:
    """Every candidate of one case, scored (arrays over the release's diseases / genes).

    ``-inf`` in a ranking key = not ranked. ``*_score`` and ``*_posterior`` are what the
    result shows; ``pair_score`` orders the diseases of each gene.
    """

    ranker: Ranker
    query: ResolvedQuery
    scorer: str
    genes: list[str]  # the case's gene axis: the release's genes, then other genes with a variant
    gene_order_key: np.ndarray  # (G,) tie-break key of each gene (symbol order)
    disease_key: np.ndarray  # (D,) ranking key
    disease_posterior: np.ndarray | None
    gene_key: np.ndarray  # (G,) ranking key
    gene_score: np.ndarray  # (G,) shown as GeneCandidate.score
    gene_posterior: np.ndarray | None
    pair_score: np.ndarray  # (P,) per (disease, gene) pair of the release
    phenotype_score: np.ndarray  # (D,) the phenotype scorer's disease score
    genotype: GenotypeRanking | None = None
    warnings: list[Warning_] = field(default_factory=list)
    seconds: float = 0.0
    _extra: dict[str, int] | None = field(default=None, repr=False)
    phenotype_posterior: np.ndarray | None = None  # (D,) phenotype-only posterior (ACMG PP4)

    @property
    def case(self) -> AnnotatedCase | None:
        return self.genotype.case if self.genotype is not None else None

    @property
    def n_release_genes(self) -> int:
        """Genes of the HPO release (the first part of the gene axis)."""
        return len(self.ranker.genes)

    def gene_position(self, symbol: str) -> int | None:
        """Index of ``symbol`` on the case's gene axis (None: not ranked)."""
        j = self.ranker.gene_index.get(symbol)
        if j is not None:
            return j
        if len(self.genes) > self.n_release_genes:
            k = self._extra_index().get(symbol)
            return None if k is None else self.n_release_genes + k
        return None

    def _extra_index(self) -> dict[str, int]:
        if self._extra is None:
            self._extra = {g: i for i, g in enumerate(self.genes[self.n_release_genes:])}
        return self._extra

    def novel_share(self, g: int) -> float:
        """Share of gene ``g``'s posterior carried by its novel hypothesis (0 when off)."""
        geno = self.genotype
        if geno is None or geno.combined.novel_log10 is None:
            return 0.0
        nv, tot = geno.combined.novel_log10[g], self.gene_key[g]
        return float(10.0 ** (nv - tot)) if np.isfinite(nv) and np.isfinite(tot) else 0.0

    def diseases_of_gene(self, g: int) -> list[int]:
        """Disease indices of gene ``g`` with a finite pair score, best first (ties: id)."""
        r = self.ranker
        if g >= len(r.genes):
            return []
        sel = r.gene_pairs[r.gene_pair_ptr[g]:r.gene_pair_ptr[g + 1]]
        sel = sel[np.isfinite(self.pair_score[sel])]
        if len(sel) > 1:
            key = r.engine.disease_order_key[r.pair_disease[sel]]
            sel = sel[np.lexsort((key, -self.pair_score[sel]))]
        return [int(d) for d in r.pair_disease[sel]]


def rank_case(ranker: Ranker, query: ResolvedQuery, case: AnnotatedCase | None = None, *,
              scorer: str | None = None, genes: list[str] | None = None) -> RankedCase:
    """Rank every disease and gene (and, with ``case``, every variant) for one patient.

    ``scorer``: phenotype scorer name (default: the config's). ``genes``: restrict
    phenotype-only ranking to the diseases of these genes (a panel; unknown genes are
    reported in ``warnings``).
    """
    t0 = time.perf_counter()
    eng = ranker.engine
    scorer = scorer or ranker.cfg.rank.scorer
    warnings: list[Warning_] = []
    mask = None
    if genes:
        if case is not None:
            raise TriageError("a gene panel restriction applies to phenotype-only ranking")
        mask, unknown = eng.disease_mask_for_genes(genes)
        warnings += [Warning_(code="unknown_gene", message=f"gene {g!r} has no HPO disease annotation")
                     for g in unknown]
    res = eng.score(query, scorer, mask)
    sc = eng.scorer(scorer)
    if case is None:
        g = res.gene_scores
        ranked = RankedCase(
            ranker, query, scorer, ranker.genes, eng.gene_order_key,
            disease_key=res.disease_scores, disease_posterior=res.posterior,
            gene_key=np.where(g > 0, g, -np.inf) if sc.probabilistic else g, gene_score=g,
            gene_posterior=res.gene_posterior, pair_score=res.disease_scores[ranker.pair_disease],
            phenotype_score=res.disease_scores, warnings=warnings, phenotype_posterior=res.posterior)
    else:
        gg = ranker.genotype(case)
        genes, order_key, index, lr1, lr2, comb = combine_genotype(
            ranker, res.disease_scores, scorer, gg.index, gg.lr_one, gg.lr_two)
        ranked = RankedCase(
            ranker, query, scorer, genes, order_key,
            disease_key=comb.disease_log10, disease_posterior=comb.disease_posterior,
            gene_key=comb.gene_log10, gene_score=np.round(comb.gene_log10, 6),
            gene_posterior=comb.gene_posterior, pair_score=comb.pair_log10,
            phenotype_score=np.asarray(res.disease_scores), warnings=warnings,
            phenotype_posterior=res.posterior)
        ranked.genotype = GenotypeRanking(case, gg, lr1, lr2, comb,
                                          rank_variants(ranker, case, gg, comb, index, order_key))
    ranked.seconds = time.perf_counter() - t0
    return ranked


def combine_genotype(ranker: Ranker, disease_scores: np.ndarray, scorer: str, gene_of: dict[str, int],
                     lr_one: np.ndarray, lr_two: np.ndarray):
    """The combination step of :func:`rank_case` (also what the spike-in benchmark's
    genotype store re-runs for model choices): the case's gene axis and the combined
    posteriors from the phenotype disease scores and per-gene genotype LRs.

    ``gene_of``: gene symbol -> index into ``lr_one``/``lr_two`` (genes with a variant).
    Returns ``(genes, order_key, index, lr1, lr2, combined)`` on the case's gene axis.
    """
    eng = ranker.engine
    sc = eng.scorer(scorer)
    ann = eng.kb.annotations
    genes, order_key, index = ranker.genes, eng.gene_order_key, ranker.gene_index
    novel = None
    if ranker.cfg.rank.novel_prior > 0 and sc.probabilistic:
        extra = sorted(g for g in gene_of if g not in ranker.gene_index)
        if extra:
            genes = ranker.genes + extra
            index = {**ranker.gene_index, **{g: len(ranker.genes) + i for i, g in enumerate(extra)}}
            so = ranker.symbol_order
            order_key = np.array([so.get(g, len(so)) for g in genes], dtype=np.int64)
        novel = ranker.novel_prior(genes, sc, disease_scores)
    eps = ranker.cfg.genotype.eps
    lr1 = np.full(len(genes), eps)
    lr2 = np.full(len(genes), eps ** 2)
    for g, i in gene_of.items():
        j = index.get(g)
        if j is not None:
            lr1[j] = lr_one[i]
            lr2[j] = lr_two[i]
    comb = combine(ranker.cfg.rank.phenotype_weight * np.asarray(disease_scores, dtype=float),
                   ann.dg_ptr, ann.dg_idx, len(genes), lr1, lr2, ranker.weights,
                   ranker.cfg.rank.gene_less_lr, novel)
    return genes, order_key, index, lr1, lr2, comb


# --------------------------------------------------------------------------- variant order
def rank_variants(ranker: Ranker, case: AnnotatedCase, gg: GeneGenotype, comb: Combined,
                  gene_index: dict[str, int] | None = None, gene_order_key: np.ndarray | None = None) -> VariantRanking:
    """Order every annotation row (best gene first, its best configuration first, then
    by pathogenicity) and give every variant the competition rank of its best row.

    ``gene_index`` / ``gene_order_key``: the case's gene axis (default the release's)."""
    gene_index = ranker.gene_index if gene_index is None else gene_index
    gene_order_key = ranker.engine.gene_order_key if gene_order_key is None else gene_order_key
    av = case.table
    n = len(av)
    gidx = np.array([gene_index.get(g, -1) for g in av.gene.tolist()], dtype=np.int64) if n else np.zeros(0, np.int64)
    glog = np.where(gidx >= 0, comb.gene_log10[np.maximum(gidx, 0)], -np.inf) if n else np.zeros(0)
    in_cfg = np.zeros(n, dtype=bool)
    # the configuration that dominates each gene's LR under its best disease's modes
    best_d = comb.best_disease_of_gene
    weights = ranker.weights
    for g, i in gg.index.items():
        j = gene_index.get(g)
        w = weights[best_d[j]] if (j is not None and best_d[j] >= 0) else np.array([0.5, 0.5])
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
    order_g = sort_order(comb.gene_log10, gene_order_key)
    granks = np.zeros(len(comb.gene_log10), dtype=np.int64)
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

"""Combine the phenotype and genotype evidence into disease and gene posteriors.

Over (disease D, gene g) pairs of the HPO release (``genes_to_phenotype``)::

    P(D, g | data)  ∝  (1 - pi) P_pheno(D) / |genes(D)|  x  LR_geno(g, mode(D))

and, when novel hypotheses are on (:class:`NovelPrior`), one more hypothesis per gene
with a variant, "an unknown disease of gene g" (a gene with no known disease yet, or a
known gene with a new allelic disease)::

    P(N_g | data)  ∝  pi w(g)  x  LR_pheno(N_g)  x  (LR_one(g) + LR_two(g)) / 2

``pi`` is the prior mass of diagnoses outside the knowledge base, ``w(g)`` its share
for gene g (uniform over the genome's genes, or by a constraint prior), ``LR_pheno(N_g)``
= 1 (an unknown disease predicts the patient's features no better than background:
the gene is never punished for its known diseases' annotations), the genotype LR mixes
both allele configurations (inheritance unknown).

where ``P_pheno(D)`` is the phenotype posterior (prior x phenotype LR of the
:class:`~triage.phenotype.engine.PhenotypeEngine`), ``LR_geno(g, mode)`` the genotype LR of
:mod:`triage.genotype.likelihood` mixed over the disease's inheritance modes
(``w_one x LR_one + w_two x LR_two``). A disease with no known gene keeps its
phenotype weight with a neutral genotype LR (``gene_less_lr``, default 1: any gene
could be the cause). Disease posterior = sum over its genes; gene posterior = sum over
its diseases. Everything is computed in log10 space with per-group maxima, so no
posterior underflows to a spurious tie.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.arrays import AnyArray, FloatArray, IntArray


@dataclass(frozen=True)
class NovelPrior:
    """The novel-hypothesis part of the model (arrays over the case's gene axis).

    ``log10_pi``: log10 of the prior mass of novel hypotheses; ``log10_w`` (G,): log10
    share of each gene (sums to <= 1 over the genome); ``log10_pheno`` (G,): log10
    phenotype LR of "an unknown disease of g" (0 = background); ``log10_prior_norm``:
    log10 of the sum of the phenotype scorer's (unnormalised) disease prior, so that the
    known hypotheses share exactly ``1 - pi``.
    """

    log10_pi: float
    log10_w: FloatArray
    log10_pheno: FloatArray
    log10_prior_norm: float


@dataclass
class Combined:
    pair_disease: IntArray  # (P,) disease index of each pair
    pair_gene: IntArray  # (P,) gene index
    pair_log10: FloatArray  # (P,) unnormalised log10 P(D, g)
    pair_lr: FloatArray  # (P,) genotype LR used
    disease_log10: FloatArray  # (D,) log10 posterior (normalised), -inf when not scored
    gene_log10: FloatArray  # (G,) log10 posterior (normalised), -inf when not scored
    best_disease_of_gene: IntArray  # (G,) disease index, -1 none
    log10_total: float
    novel_log10: FloatArray | None = None  # (G,) normalised log10 P(N_g | data); None = off

    @property
    def disease_posterior(self) -> FloatArray:
        """Normalised disease posterior (0 where not scored)."""
        return np.where(np.isfinite(self.disease_log10), 10.0 ** self.disease_log10, 0.0)

    @property
    def gene_posterior(self) -> FloatArray:
        """Normalised gene posterior (0 where not scored)."""
        return np.where(np.isfinite(self.gene_log10), 10.0 ** self.gene_log10, 0.0)


def group_log10_sum(keys: IntArray, vals: FloatArray, n: int) -> FloatArray:
    """log10(sum 10^vals) per key in [0, n); -inf for empty groups (exact, no underflow)."""
    out = np.full(n, -np.inf)
    ok = np.isfinite(vals)
    keys, vals = keys[ok], vals[ok]
    if len(keys) == 0:
        return out
    mx = np.full(n, -np.inf)
    np.maximum.at(mx, keys, vals)
    s = np.bincount(keys, weights=10.0 ** (vals - mx[keys]), minlength=n)
    has = s > 0
    out[has] = mx[has] + np.log10(s[has])
    return out


def disease_gene_pairs(dg_ptr: IntArray, dg_idx: AnyArray) -> tuple[IntArray, IntArray]:
    """(disease, gene) index of every pair of a CSR disease -> genes table."""
    counts = np.diff(dg_ptr)
    return np.repeat(np.arange(len(counts)), counts), np.asarray(dg_idx, dtype=np.int64)


def combine(disease_log10: FloatArray, dg_ptr: IntArray, dg_idx: AnyArray, n_genes: int,
            lr_one: FloatArray, lr_two: FloatArray, weights: FloatArray,
            gene_less_lr: float = 1.0, novel: NovelPrior | None = None) -> Combined:
    """Pure combination (arrays only).

    ``disease_log10`` (D,): log10 prior x phenotype LR (-inf = excluded); ``lr_one``,
    ``lr_two`` (G,) genotype LRs on the case's gene axis (the release's genes first, the
    pairs' gene indices refer to them; then any other gene with a variant);
    ``weights`` (D, 2) mode weights; ``novel``: the novel hypotheses (None: off).
    """
    s = np.asarray(disease_log10, dtype=float)
    if novel is not None:
        s = s + np.log10(-np.expm1(novel.log10_pi * np.log(10.0))) - novel.log10_prior_norm
    D = s.shape[0]
    pd, pg = disease_gene_pairs(dg_ptr, dg_idx)
    n_of = np.diff(dg_ptr).astype(float)
    lr = weights[pd, 0] * lr_one[pg] + weights[pd, 1] * lr_two[pg]
    with np.errstate(divide="ignore"):
        pair = s[pd] - np.log10(np.maximum(n_of[pd], 1.0)) + np.log10(lr)
    gene_less = n_of == 0
    d_log = group_log10_sum(pd, pair, D)
    if gene_less_lr > 0:
        d_log = np.where(gene_less, s + np.log10(gene_less_lr), d_log)
    g_log = group_log10_sum(pg, pair, n_genes)
    nov = None
    if novel is not None:
        with np.errstate(divide="ignore"):
            nov = novel.log10_pi + novel.log10_w + novel.log10_pheno + np.log10(0.5 * (lr_one + lr_two))
        g_log = np.logaddexp(g_log * np.log(10.0), nov * np.log(10.0)) / np.log(10.0)
    parts = [d_log[np.isfinite(d_log)]] + ([nov[np.isfinite(nov)]] if nov is not None else [])
    allv = np.concatenate(parts)
    total = float(group_log10_sum(np.zeros(len(allv), dtype=np.int64), allv, 1)[0]) if len(allv) else 0.0
    best = np.full(n_genes, -1, dtype=np.int64)
    ok = np.isfinite(pair)
    if ok.any():
        order = np.lexsort((pd[ok], -pair[ok], pg[ok]))
        gsorted = pg[ok][order]
        first = np.r_[True, gsorted[1:] != gsorted[:-1]]
        best[gsorted[first]] = pd[ok][order][first]
    return Combined(pd, pg, pair, lr, d_log - total, g_log - total, best, total,
                    nov - total if nov is not None else None)

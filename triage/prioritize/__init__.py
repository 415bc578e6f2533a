"""Prioritisation stage: phenotype x genotype combination, ranking, result assembly.

The one path every caller takes::

    ranker = Ranker(engine, cfg, genome, gene_prior)        # shared between cases
    q = engine.resolve(observed, excluded, onset=onset)      # HPO terms
    ranked = rank_case(ranker, q, case)                      # case: AnnotatedCase or None
    result = build_result(ranked, top=20)                    # the TriageResult model

``rank_phenotype`` and ``run_patient`` compose these steps for the CLI and the API.
"""

from triage.prioritize.case import AnnotatedCase, ingest_annotate
from triage.prioritize.config import OutputConfig, PipelineConfig, RankConfig
from triage.prioritize.ranker import RankedCase, Ranker, VariantRanking, rank_case
from triage.prioritize.result import build_result
from triage.prioritize.run import PatientRun, rank_annotated, rank_phenotype, run_patient

__all__ = [
    "AnnotatedCase", "OutputConfig", "PatientRun", "PipelineConfig", "RankConfig", "RankedCase",
    "Ranker", "VariantRanking", "build_result", "ingest_annotate", "rank_annotated", "rank_case",
    "rank_phenotype",
    "run_patient",
]

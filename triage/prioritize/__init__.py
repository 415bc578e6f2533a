"""Prioritisation stage: phenotype x genotype combination, ranking, result assembly."""

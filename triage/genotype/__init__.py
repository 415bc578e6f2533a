"""Genotype stage: pedigrees, inheritance modes, the per-gene genotype likelihood ratio."""

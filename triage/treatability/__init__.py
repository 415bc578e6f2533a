"""Treatability: the curated therapy table, its check, and the genotype-first screen (issue #13).

Treatability is shown, never scored: nothing here changes a candidate's probability.
"""

"""Phenotype stage: HPO ontology and annotations, phenopackets, the phenotype engine and its scorers."""

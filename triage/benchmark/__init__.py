"""Benchmarks on phenopackets: phenotype-only and spike-in (VCF + phenotype)."""

"""Variant stage: VCF reading, gene model, consequences, resources, variant scores, annotation."""

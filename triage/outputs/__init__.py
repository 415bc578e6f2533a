"""Output stage: one writer per output format."""

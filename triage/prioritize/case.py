"""The case to prioritise: one proband's annotated variants and family.

:func:`ingest_annotate` is the variant stage for one proband (read + QC the VCF,
annotate and score every variant, assemble the family from the PED or the sex);
:class:`AnnotatedCase` is its product, handed to :func:`triage.prioritize.ranker.rank_case`
and stored between the workflow's annotate and prioritize steps (and by the API, so
that new phenotypes never re-annotate).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from triage.genotype.inheritance import Family
from triage.genotype.likelihood import family_for
from triage.prioritize.config import PipelineConfig
from triage.variants.annotation import AnnotatedVariants, annotate_vcf
from triage.variants.annotation_store import CASE_SUFFIX
from triage.variants.resources import ResourceSet, load_resources

#: file name suffix of a stored annotated case (``PREFIX.annotated.npz``, a columnar file)
ANNOTATED_SUFFIX = CASE_SUFFIX


@dataclass
class AnnotatedCase:
    """Product of the ingest/annotate step (stored by ``triage annotate``)."""

    table: AnnotatedVariants
    sample: str
    family: Family
    ped: str | None
    build: str
    has_population_af: bool
    seconds: float = 0.0

    def save(self, path: str | Path) -> None:
        """Write an ``annotated-case`` file (:mod:`triage.variants.annotation_store`; no pickle)."""
        from triage.variants.annotation_store import save_case

        save_case(path, self)

    @classmethod
    def load(cls, path: str | Path) -> AnnotatedCase:
        """Read a case written by :meth:`save`; DataError naming the file (and both format
        versions for a file of another version). Never executes anything from the file."""
        from triage.variants.annotation_store import load_case_fields

        return cls(**load_case_fields(path))


def ingest_annotate(vcf: str | Path, sample: str | None, cfg: PipelineConfig, ped: str | None = None,
                    sex: str | None = None, resources: ResourceSet | None = None, model=None) -> AnnotatedCase:
    """Read, QC, annotate and score the VCF of one proband (PED optional).

    ``sample`` None: the only sample, or the only affected member of ``ped``.
    ``resources`` / ``model``: already opened resources and gene model to reuse
    (otherwise opened from ``cfg`` and closed again).
    """
    from triage.genotype.pedigree import read_ped

    t0 = time.perf_counter()
    pedigree = read_ped(ped) if ped else None
    if pedigree is not None and sample is None:
        affected = [i.individual for i in pedigree if i.is_affected]
        if len(affected) == 1:
            sample = affected[0]
    own = resources is None
    base = Path(cfg.base_dir) if cfg.base_dir else None
    resources = resources if resources is not None else load_resources(cfg.resources, base)
    try:
        fam_ids = tuple(m.individual for m in pedigree.family_of(sample)) if (pedigree and sample) else None
        table = annotate_vcf(vcf, sample, cfg.annotate, resources, cfg.score, family_samples=fam_ids,
                             model=model)
    finally:
        if own:
            resources.close()
    proband = table.proband
    family = family_for(table.samples, proband, pedigree, sex)
    missing = [m for m in family.ids if m not in table.samples]
    if pedigree is not None and missing:
        table.notes.append(f"PED members without genotypes in the VCF (treated as not genotyped): {', '.join(missing)}")
    has_af = bool(table.stats.get("population_af_sources"))
    return AnnotatedCase(table, proband, family, str(ped) if ped else None, table.build or cfg.annotate.genome,
                         has_af, time.perf_counter() - t0)

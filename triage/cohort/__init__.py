"""Cohort stage: a joint-called multi-sample VCF (or a Hail MatrixTable) on Spark via Hail,
every proband ranked by the one ranking path (``triage cohort``; docs/cohort.md).

* :mod:`triage.cohort.spark`   ``hl.init`` for local (loopback-bound) or cluster Spark; called
  only by the command's entry point and by test fixtures;
* :mod:`triage.cohort.steps`   the Hail steps, each ``MatrixTable -> MatrixTable`` (import,
  split, genotype/variant QC with the config's ``quality:`` thresholds, in-cohort counts,
  the gene model as an interval table, trio de novo / compound-het flags);
* :mod:`triage.cohort.samples` ``SAMPLES.tsv`` (proband, HPO terms or phenopacket, family);
* :mod:`triage.cohort.run`     the driver: Hail filters to each proband's candidate rows in one
  pass, then per proband the single-sample annotator, ranker and writers, one proband at a
  time (memory flat in the number of probands).

Hail is an optional dependency (the ``cohort`` extra); nothing else in the package imports
this stage.
"""

"""``triage cohort``: every proband of a joint-called cohort ranked on Hail (docs/cohort.md).

This module imports no Hail: the command starts Spark (:func:`triage.cohort.spark.init_hail`,
loopback-bound in local mode) only when it runs, and says how to install Hail when it is
missing.
"""

from __future__ import annotations

import logging

log = logging.getLogger("triage")


def cohort_main(args) -> int:
    from dataclasses import replace

    from triage.cohort.spark import default_tmp_dir, init_hail
    from triage.prioritize import PipelineConfig

    cfg = PipelineConfig.from_file(args.config, args.genome)
    if args.formats:
        cfg = replace(cfg, output=replace(cfg.output, formats=tuple(f for f in args.formats.split(",") if f)))
    hl = init_hail(args.spark_master, args.tmp_dir, driver_memory=args.driver_memory)
    from triage.cohort.run import run_cohort

    try:
        run = run_cohort(args.vcf, args.samples, args.out, genome=args.genome, cfg=cfg, ped=args.ped,
                         tmp_dir=args.tmp_dir or default_tmp_dir(), hpo_dir=args.hpo_dir,
                         use_frequency=not args.no_cohort_frequency)
    finally:
        hl.stop()
    log.info("cohort: %d samples, %d probands ranked (%d without candidates); %s",
             run.samples, run.ranked, len(run.skipped),
             ", ".join(f"{k} {v:.1f}s" for k, v in run.timings.items()))
    return 0


def add_subcommands(sub) -> None:
    from triage.cohort.spark import DEFAULT_MASTER

    p = sub.add_parser("cohort", help="rank every proband of a joint-called cohort VCF on Hail (Spark)")
    p.add_argument("--vcf", required=True, help="multi-sample VCF(.gz) / BCF, or a Hail MatrixTable directory")
    p.add_argument("--samples", required=True,
                   help="SAMPLES.tsv: sample, hpo (comma-separated) or phenopacket, [family] - one row per proband")
    p.add_argument("--ped", help="PED of the cohort's families (de novo, compound het, family excluded from frequencies)")
    p.add_argument("--genome", required=True, help="GRCh37 or GRCh38")
    p.add_argument("--out", required=True, help="output directory: OUT/<sample>/..., OUT/cohort_summary.tsv")
    p.add_argument("--config", help="workflow config YAML (quality, annotation, resources, scoring)")
    p.add_argument("--spark-master", default=DEFAULT_MASTER,
                   help=f"Spark master URL (default {DEFAULT_MASTER}, bound to 127.0.0.1; spark://..., yarn for a cluster)")
    p.add_argument("--tmp-dir", help="Hail temporary / checkpoint directory (shared storage on a cluster)")
    p.add_argument("--driver-memory", default=None, help="spark.driver.memory, e.g. 4g")
    p.add_argument("--formats", default=None, help="comma-separated output formats (default: the config's)")
    p.add_argument("--no-cohort-frequency", action="store_true",
                   help="do not use the in-cohort allele frequency in the variant score")
    p.set_defaults(func=cohort_main)

"""``triage screen``: genotype-first screening for the treatable conditions of the therapy table."""

from __future__ import annotations

import sys
from pathlib import Path


def screen_main(vcf: str, sample: str | None, genome: str | None, ped: str | None, sex: str | None,
                out: str | None, fmt: str, config: str | None, carriers: bool) -> int:
    """``triage screen``: genotype-first screen of one VCF for the therapy table's conditions;
    prints or writes the screen result (JSON or TSV).
    """
    from triage.treatability.screen import result_summary, run_screen

    res = run_screen(vcf, sample, genome, ped, sex, config)
    text = res.model_dump_json(indent=2) + "\n"
    summary = result_summary(res, carriers)
    if out:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        from triage.outputs.common import file_prefix

        stem = file_prefix(res.sample or "sample")
        (d / f"{stem}.screen.json").write_text(text)
        (d / f"{stem}.screen.tsv").write_text(summary)
    sys.stdout.write(text if fmt == "json" else summary)
    return 0


def add_subcommands(sub) -> None:
    """Register ``triage screen`` and ``triage benchmark-screen``."""
    p = sub.add_parser("screen", help="genotype-first screen of a VCF for treatable conditions (no phenotype)")
    p.add_argument("--vcf", required=True, help="VCF / VCF.gz / BCF")
    p.add_argument("--sample", help="proband sample id in a multi-sample VCF")
    p.add_argument("--genome", choices=["GRCh37", "GRCh38"], help="genome build (default: from the VCF header)")
    p.add_argument("--ped", help="PED file (parents: compound heterozygotes in trans; sex)")
    p.add_argument("--sex", choices=["MALE", "FEMALE"], help="proband sex when there is no PED (default: inferred "
                                                             "from X heterozygosity)")
    p.add_argument("--out", help="output directory (SAMPLE.screen.json and SAMPLE.screen.tsv)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="stdout: text summary (default) or the JSON result")
    p.add_argument("--carriers", action="store_true", help="list carrier findings in the text summary too")
    p.add_argument("--config", help="workflow config YAML: quality, resources (clinvar, population), screen")
    p.set_defaults(func=lambda a: screen_main(a.vcf, a.sample, a.genome, a.ped, a.sex, a.out, a.format,
                                              a.config, a.carriers))
    add_benchmark_screen_parser(sub)


def benchmark_screen_main(phenopackets: str, background: str, out: str, shared: str, limit: int | None,
                          config: str | None, progress: bool) -> int:
    """``triage benchmark-screen``: see :func:`triage.benchmark.screen.run_screen_benchmark`."""
    import json

    from triage.benchmark.screen import brief, run_screen_benchmark

    summary = run_screen_benchmark(phenopackets, background, out, shared, limit, config, progress)
    print(json.dumps(brief(summary), indent=2))
    return 0


def add_benchmark_screen_parser(sub) -> None:
    """The ``triage benchmark-screen`` sub-command and its options."""
    p = sub.add_parser("benchmark-screen", help="benchmark triage screen: positives on healthy backgrounds, "
                                                "sensitivity on spiked phenopackets of table genes")
    p.add_argument("--phenopackets", default="../shared/benchmark/phenopackets")
    p.add_argument("--background", default="../shared/data/backgrounds/Pfeiffer_exome_hg38_lifted.vcf.gz",
                   help="GRCh38 background for the spike-in part")
    p.add_argument("--shared", default="../shared", help="directory holding data/backgrounds")
    p.add_argument("--out", required=True, help="output directory (screen_benchmark.json, clinvar_like.vcf.gz)")
    p.add_argument("--limit", type=int, default=None, help="first N table-gene cases only")
    p.add_argument("--config", help="workflow config YAML (quality, resources, screen)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=lambda a: benchmark_screen_main(a.phenopackets, a.background, a.out, a.shared, a.limit,
                                                        a.config, not a.no_progress))

#!/usr/bin/env python3
"""Benchmarks of the VCF pipeline (commands, not tests): wall time and peak RSS.

exome   one exome VCF -> full outputs for one patient (``rank_vcf_main``: annotation,
        ranking, JSON/TSV/VCF/HTML/phenopacket/PhEval), median of ``--repeat`` runs, each
        in a fresh process; peak RSS from ``os.wait4`` of that process.
genome  a ~5-million-record genome VCF made by tiling a real background (below), then the
        same pipeline with ``annotation.max_rows_per_gene`` set (streaming, flat memory).
        Also runs a 1M-record prefix so the two peak RSS values can be compared.

Tiling (``tile``): the records of the background (default: the lifted Pfeiffer exome,
17,269 records) are repeated ``k = 0..K-1`` times on their own chromosome at
``POS + k * spacing`` (default spacing 10 kb; records past the chromosome end are
dropped), merged in position order with a heap (streaming), written bgzipped. Most
copies land in introns and intergenic DNA, like a genome's variants; genotype and
FORMAT/INFO fields are those of the copied record.

Examples::

    .venv/bin/python scripts/bench_pipeline.py exome --vcf ../shared/data/backgrounds/Pfeiffer_b37.vcf.gz \\
        --genome GRCh37 --hpo HP:0001156,HP:0001363,HP:0011304,HP:0010055
    .venv/bin/python scripts/bench_pipeline.py genome --records 5000000
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PFEIFFER_B37 = SHARED / "data" / "backgrounds" / "Pfeiffer_b37.vcf.gz"
PFEIFFER_HG38 = SHARED / "data" / "backgrounds" / "Pfeiffer_exome_hg38_lifted.vcf.gz"
PFEIFFER_TERMS = "HP:0001156,HP:0001363,HP:0011304,HP:0010055"

CHILD = """
import sys, json, logging
logging.basicConfig(level=logging.WARNING)
from triage.cli.pipeline import rank_vcf_main
args = json.loads(sys.argv[1])
rank_vcf_main(args["vcf"], None, None, args["genome"], args["hpo"].split(","), [], args["out"], "json", "lr", 20,
              None, False, args.get("config"))
"""


def run_child(vcf: str, genome: str, hpo: str, out: str, config: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one fresh process running the whole pipeline."""
    args = json.dumps({"vcf": vcf, "genome": genome, "hpo": hpo, "out": out, "config": config})
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", CHILD, args], cwd=REPO, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"pipeline failed (exit {p.returncode}) on {vcf}")
    return wall, ru.ru_maxrss / 1024.0  # Linux: KiB


def tile(src: Path, out: Path, n_records: int, spacing: int = 10_000) -> int:
    """Write ``out`` (bgzipped) with about ``n_records`` records tiled from ``src`` (see module doc)."""
    import pysam

    header, by_chrom, order = [], {}, []
    lengths: dict[str, int] = {}
    with gzip.open(src, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                header.append(line)
                if line.startswith("##contig="):
                    body = line.strip()[10:-1]
                    kv = dict(x.split("=", 1) for x in body.split(",") if "=" in x)
                    if "ID" in kv and "length" in kv:
                        lengths[kv["ID"]] = int(kv["length"])
                continue
            f = line.split("\t", 2)
            if f[0] not in by_chrom:
                by_chrom[f[0]] = []
                order.append(f[0])
            by_chrom[f[0]].append((int(f[1]), f[2]))
    n_src = sum(len(v) for v in by_chrom.values())
    copies = max(1, -(-int(n_records * 1.05) // n_src))  # a margin for records past chromosome ends
    plain = out.with_suffix("")
    written = 0
    with open(plain, "w") as fo:
        fo.writelines(header)
        for c in order:
            recs = by_chrom[c]
            end = lengths.get(c, 10**10)

            def shifted(k, recs=recs):
                off = k * spacing
                for p, rest in recs:
                    yield p + off, k, rest

            for p, _k, rest in heapq.merge(*(shifted(k) for k in range(copies))):
                if p > end:
                    continue
                fo.write(f"{c}\t{p}\t{rest}")
                written += 1
                if written >= n_records:
                    break
            if written >= n_records:
                break
    pysam.tabix_compress(str(plain), str(out), force=True)
    plain.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    e = sub.add_parser("exome")
    e.add_argument("--vcf", default=str(PFEIFFER_B37))
    e.add_argument("--genome", default="GRCh37")
    e.add_argument("--hpo", default=PFEIFFER_TERMS)
    e.add_argument("--repeat", type=int, default=3)
    g = sub.add_parser("genome")
    g.add_argument("--background", default=str(PFEIFFER_HG38))
    g.add_argument("--records", type=int, default=5_000_000)
    g.add_argument("--spacing", type=int, default=10_000)
    g.add_argument("--hpo", default=PFEIFFER_TERMS)
    g.add_argument("--workdir", default=None, help="where the tiled VCF goes (default: a temp dir)")
    g.add_argument("--max-rows-per-gene", type=int, default=20)
    a = ap.parse_args(argv)
    print(f"cpus available: {len(os.sched_getaffinity(0))}", file=sys.stderr)
    if a.mode == "exome":
        walls, rss = [], []
        with tempfile.TemporaryDirectory() as tmp:
            run_child(a.vcf, a.genome, a.hpo, str(Path(tmp) / "warm"))  # warm the HPO cache
            for i in range(a.repeat):
                w, r = run_child(a.vcf, a.genome, a.hpo, str(Path(tmp) / f"run{i}"))
                walls.append(w)
                rss.append(r)
                print(f"run {i + 1}: {w:.2f} s, peak RSS {r:.0f} MB", file=sys.stderr)
        print(json.dumps({"mode": "exome", "vcf": a.vcf, "wall_s_median": round(statistics.median(walls), 2),
                          "wall_s": [round(x, 2) for x in walls], "peak_rss_mb_max": round(max(rss)),
                          "peak_rss_mb": [round(x) for x in rss]}, indent=2))
        return 0
    work = Path(a.workdir) if a.workdir else Path(tempfile.mkdtemp(prefix="triage-genome-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "genome_config.yaml"
    cfg.write_text(f"annotation:\n  max_rows_per_gene: {a.max_rows_per_gene}\n")
    out: dict = {"mode": "genome", "spacing": a.spacing}
    for n in (1_000_000, a.records):
        vcf = work / f"tiled_{n}.vcf.gz"
        if not vcf.exists():
            t0 = time.perf_counter()
            written = tile(Path(a.background), vcf, n, a.spacing)
            print(f"tiled {written} records into {vcf} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        w, r = run_child(str(vcf), "GRCh38", a.hpo, str(work / f"out_{n}"), str(cfg))
        print(f"{n} records: {w:.1f} s, peak RSS {r:.0f} MB", file=sys.stderr)
        out[str(n)] = {"wall_s": round(w, 1), "peak_rss_mb": round(r)}
    out["workdir"] = str(work)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

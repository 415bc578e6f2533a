#!/usr/bin/env python3
"""Scaling benchmark of ``triage cohort`` against the single-sample path run per sample.

Cohorts: the ten real donors of ../shared/data/backgrounds/10_donors_b37_chr22.vcf.gz
(chr22, ~113k records) replicated to N = 10, 100, 1000 samples. Replicate r of donor slot j
at site s holds donor ``(a*j + b) mod 10`` with (a, b) drawn per (site, replicate) from a
hash (a in {1, 3, 7, 9}, b in 0..9; replicate 0 = the real donors), so every site keeps the
cohort's allele counts (x N/10) but no sample is a copy of a donor across sites. Sample ids
are unique (``R0003_7``). Each cohort is written once as a Hail MatrixTable (PL dropped) and
given to ``triage cohort --vcf MT_DIR`` (VCF import is timed separately at N = 10).

Per N: ``triage cohort`` (a subprocess, as a user runs it) ranks ``--probands`` samples;
wall time by stage (from OUT/cohort_run.json), peak RSS of the process tree (Python + the
Spark JVM, polled every 0.2 s), variants x samples per second of the Hail stages. The
per-proband Python cost is measured on those probands; "every sample a proband" is the Hail
time + N x that cost (extrapolated, said so in the output).

Single-sample path: ``triage rank --vcf`` on one-sample VCFs of ``--single`` donors (full
chr22, all output formats, a fresh process each: what a per-sample workflow does); its
median x N is the per-sample line of the plot.

Writes bench/cohort/results.json and docs/img/cohort_scaling.png.
Usage: .venv-cohort/bin/python scripts/bench_cohort.py [--sizes 10,100,1000] [--probands 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR") or REPO.parent / "shared")
DONORS_VCF = SHARED / "data" / "backgrounds" / "10_donors_b37_chr22.vcf.gz"
HPO = "HP:0001250,HP:0001263,HP:0000252"
PY = sys.executable


def peak_rss_run(cmd: list[str], env: dict | None = None) -> tuple[float, float, int, float]:
    """Run ``cmd``; (wall s, peak RSS MiB of its process tree, return code, peak RSS MiB of
    the Python process alone, i.e. the tree without the Spark JVM)."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = peak_py = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak, peak_py
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                procs = [root] + root.children(recursive=True)
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
                peak = max(peak, rss)
                peak_py = max(peak_py, root.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(0.2)

    th = threading.Thread(target=poll, daemon=True)
    th.start()
    _, err = proc.communicate()
    stop.set()
    th.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(err[-3000:])
    return wall, peak / 2**20, proc.returncode, peak_py / 2**20


def build_cohorts(sizes: list[int], work: Path) -> dict[int, Path]:
    """Write cohort_N.mt for every N (skipped when present)."""
    todo = [n for n in sizes if not (work / f"cohort_{n}.mt" / "_SUCCESS").exists()]
    out = {n: work / f"cohort_{n}.mt" for n in sizes}
    if not todo:
        return out
    from triage.cohort.spark import init_hail

    hl = init_hail("local[2]", work / "hail-build")
    base = hl.import_vcf(str(DONORS_VCF), reference_genome="GRCh37", force_bgz=True,
                         array_elements_required=False)
    base = base.drop("PL") if "PL" in base.entry else base
    base = base.checkpoint(str(work / "donors.mt"), overwrite=True)
    donors = base.s.collect()
    k = len(donors)
    lt = base.localize_entries("ents", "cols")
    A = hl.literal([1, 3, 7, 9])

    def perm(r):
        # a multiplicative hash of (site, replicate): deterministic, no RNG state. (No default
        # arguments in these lambdas: Hail's typecheck compares them with ==.)
        h = hl.int32(((hl.int64(lt.locus.position) * 2654435761 + hl.int64(r + 1) * 40503) % 1000003) % 40)
        a = hl.if_else(r == 0, 1, A[h // 10])
        b = hl.if_else(r == 0, 0, h % 10)
        return hl.range(k).map(lambda slot: lt.ents[(a * slot + b) % k])

    for n in todo:
        if n % k:
            raise SystemExit(f"--sizes must be multiples of {k}")
        reps = n // k

        t = lt.annotate(ents=hl.range(reps).flatmap(perm))
        cols = [hl.Struct(s=f"R{r:04d}_{j}") for r in range(reps) for j in range(k)]
        t = t.annotate_globals(cols=hl.literal(cols, hl.tarray(hl.tstruct(s=hl.tstr))))
        mt = t._unlocalize_entries("ents", "cols", ["s"])
        t0 = time.perf_counter()
        mt.write(str(out[n]), overwrite=True)
        print(f"built cohort_{n}.mt in {time.perf_counter() - t0:.0f}s", flush=True)
    hl.stop()
    return out


def single_sample_vcfs(work: Path, n: int) -> list[Path]:
    """One-sample VCFs (all records, that donor's column) of the first ``n`` donors."""
    import pysam

    paths = []
    with pysam.VariantFile(str(DONORS_VCF)) as vin:
        donors = list(vin.header.samples)
    for d in donors[:n]:
        p = work / f"single_{d}.vcf.gz"
        if not p.exists():
            with pysam.VariantFile(str(DONORS_VCF)) as vin:
                vin.subset_samples([d])
                with pysam.VariantFile(str(p), "wz", header=vin.header) as vout:
                    for rec in vin:
                        vout.write(rec)
        paths.append(p)
    return paths


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000")
    ap.add_argument("--probands", type=int, default=10, help="probands ranked per cohort")
    ap.add_argument("--single", type=int, default=3, help="donors run through the single-sample path")
    ap.add_argument("--work", default=str(REPO / "bench" / "cohort"))
    ap.add_argument("--plot", default=str(REPO / "docs" / "img" / "cohort_scaling.png"),
                    help="the scaling plot ('' for none)")
    ap.add_argument("--results", default="results.json", help="file name of the figures, in --work")
    args = ap.parse_args()
    if not DONORS_VCF.exists():
        raise SystemExit(f"{DONORS_VCF} not found (set TRIAGE_SHARED_DIR)")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",")]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    results: dict = {"machine": f"{os.cpu_count()} cores", "sizes": {}, "single": {}}

    # single-sample path, per sample
    walls, peaks = [], []
    for p in single_sample_vcfs(work, args.single):
        w, m, rc, _ = peak_rss_run([PY, "-m", "triage.cli.main", "-q", "rank", "--vcf", str(p), "--genome", "GRCh37",
                                 "--hpo", HPO, "--out", str(work / "single_out" / p.stem)], env)
        if rc == 0:
            walls.append(w)
            peaks.append(m)
        print(f"single {p.name}: {w:.1f}s, peak {m:.0f} MiB", flush=True)
    if not walls:
        raise SystemExit("every single-sample run failed (see the errors above)")
    results["single"] = {"runs_s": walls, "median_s": statistics.median(walls), "peak_mib": max(peaks)}

    # VCF import at N = 10 (the real file), all ten donors probands
    sheet = work / "samples_vcf10.tsv"
    import pysam

    with pysam.VariantFile(str(DONORS_VCF)) as vin:
        donors = list(vin.header.samples)
    sheet.write_text("sample\thpo\n" + "".join(f"{d}\t{HPO}\n" for d in donors[: args.probands]))
    out = work / "out_vcf10"
    w, m, rc, mpy = peak_rss_run([PY, "-m", "triage.cli.main", "-q", "cohort", "--vcf", str(DONORS_VCF), "--samples",
                             str(sheet), "--genome", "GRCh37", "--out", str(out), "--tmp-dir",
                             str(work / "tmp_vcf10")], env)
    if rc == 0:
        info = json.loads((out / "cohort_run.json").read_text())
        results["vcf10"] = {"wall_s": w, "peak_mib": m, "peak_python_mib": mpy, **info}
        print(f"cohort VCF N=10: {w:.0f}s peak {m:.0f} MiB {info['timings_s']}", flush=True)

    mts = build_cohorts(sizes, work)
    for n in sizes:
        sheet = work / f"samples_{n}.tsv"
        step = max(1, n // args.probands)
        probands = [f"R{(i // 10):04d}_{i % 10}" for i in range(0, n, step)][: args.probands]
        sheet.write_text("sample\thpo\n" + "".join(f"{s}\t{HPO}\n" for s in probands))
        out = work / f"out_{n}"
        w, m, rc, mpy = peak_rss_run([PY, "-m", "triage.cli.main", "-q", "cohort", "--vcf", str(mts[n]), "--samples",
                                 str(sheet), "--genome", "GRCh37", "--out", str(out), "--tmp-dir",
                                 str(work / f"tmp_{n}")], env)
        if rc != 0:
            print(f"cohort N={n}: failed (rc {rc})", flush=True)
            continue
        info = json.loads((out / "cohort_run.json").read_text())
        t = info["timings_s"]
        hail_s = t["hail_import_qc"] + t["hail_sample_qc_trios"] + t["hail_candidates"]
        per_proband = t["python_rank"] / max(1, info["ranked"])
        startup = w - t["total"]
        results["sizes"][n] = {
            "wall_s": w, "peak_mib": m, "peak_python_mib": mpy, "hail_s": hail_s, "startup_s": startup,
            "per_proband_s": per_proband, "probands": info["ranked"], "variants_in": info["variants_in"],
            "variant_samples_per_s_hail": info["variants_in"] * n / hail_s,
            "all_probands_s_extrapolated": startup + hail_s + n * per_proband,
            "single_path_s_extrapolated": n * results["single"]["median_s"],
            "timings_s": t,
        }
        r = results["sizes"][n]
        print(f"cohort N={n}: wall {w:.0f}s (hail {hail_s:.0f}s, {per_proband:.2f}s/proband x {info['ranked']}), "
              f"peak {m:.0f} MiB (Python {mpy:.0f}), {r['variant_samples_per_s_hail']:.3g} variant-samples/s; every sample a "
              f"proband ~{r['all_probands_s_extrapolated']:.0f}s vs single path {r['single_path_s_extrapolated']:.0f}s",
              flush=True)
        (work / args.results).write_text(json.dumps(results, indent=2) + "\n")
    (work / args.results).write_text(json.dumps(results, indent=2) + "\n")
    if args.plot:
        plot(results, Path(args.plot))
    return 0


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    ns = sorted(int(n) for n in results["sizes"])
    if not ns:
        return
    rs = [results["sizes"][n] if n in results["sizes"] else results["sizes"][str(n)] for n in ns]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    single = results["single"]["median_s"]
    xs = [1] + ns
    ax.plot(xs, [single * n for n in xs], "o--", label=f"single-sample path x N ({single:.1f} s/sample, measured x N)")
    ax.plot(ns, [r["all_probands_s_extrapolated"] for r in rs], "s-",
            label="triage cohort, every sample a proband (Hail measured + N x s/proband)")
    ax.plot(ns, [r["startup_s"] + r["hail_s"] for r in rs], "^-", label="triage cohort: Spark start + Hail stages (measured)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("samples in the cohort (ten real donors, permuted replicates; chr22)")
    ax.set_ylabel("wall time (s), 2 shared cores")
    ax.set_title("Cohort vs per-sample ranking")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


if __name__ == "__main__":
    raise SystemExit(main())

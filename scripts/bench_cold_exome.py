#!/usr/bin/env python3
"""Cold-process benchmark of one exome, exactly as a user runs it (a command, not a test).

Runs ``triage rank --vcf VCF --hpo TERMS`` (the installed console script of this
checkout's venv) ``--repeat`` times, each in a new process, after one warm-up run
(which fills the file cache and, if needed, the compiled HPO cache), and prints per
run and as medians:

* wall seconds of the whole process (interpreter start, imports, work, JSON output),
  and its CPU seconds (user + system: less sensitive to other load on the machine);
* peak RSS of the process (``os.wait4`` rusage, MiB);
* the stage timings the pipeline logs (``timings: load_engine ..., ingest_annotate ...,
  rank ...``) and "startup+output", the rest of the wall time (interpreter, imports,
  argument parsing, writing the JSON).

``--empty-cache`` gives every run (and no warm-up) its own empty ``TRIAGE_CACHE_DIR``:
a new user's first command. ``--save DIR`` keeps each run's stdout JSON, and
``--check REF.json`` compares each run's ranking with a reference result (same genes,
same order, same posteriors/scores to printing precision; diseases too) and exits 1
on a difference.

Example (the figures in docs/performance.md)::

    nice .venv/bin/python scripts/bench_cold_exome.py --repeat 3
    nice .venv/bin/python scripts/bench_cold_exome.py --repeat 3 --empty-cache
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR") or REPO.parent / "shared")
PFEIFFER_B37 = SHARED / "data" / "backgrounds" / "Pfeiffer_b37.vcf.gz"
PFEIFFER_TERMS = "HP:0001156,HP:0001363,HP:0011304,HP:0010055"
TIMINGS_RE = re.compile(r"timings: (.*)$", re.M)


def triage_command() -> list[str]:
    """The console script next to this interpreter (what a user of this venv types)."""
    exe = Path(sys.executable).parent / "triage"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "triage.cli.main"]


def run_once(vcf: str, hpo: str, env: dict[str, str], out: Path) -> dict:
    """One fresh process; returns wall, peak RSS, logged stage timings."""
    cmd = triage_command() + ["rank", "--vcf", vcf, "--hpo", hpo]
    with open(out, "wb") as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env, cwd=env.get("PYTHONPATH", REPO))
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        fe.seek(0)
        err = fe.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"triage rank failed (exit {code}):\n{err[-2000:]}")
    stages: dict[str, float] = {}
    m = TIMINGS_RE.search(err)
    if m:
        for part in m.group(1).split(","):
            name, _, val = part.strip().rpartition(" ")
            stages[name] = float(val.rstrip("s"))
    stages["startup+output"] = wall - sum(stages.values())
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mib": ru.ru_maxrss / 1024.0,
            "stages": stages}


def ranking_key(doc: dict) -> dict:
    """What "same ranking" means: ids, ranks and scores/posteriors as the TSV prints them."""
    def g(x):
        return None if x is None else f"{x:.6g}"

    return {
        "genes": [(c["symbol"], c["rank"], g(c["posterior"]), g(c["score"]),
                   [(v["chrom"], v["pos"], v["ref"], v["alt"], v["rank"]) for v in c["variants"]])
                  for c in doc["genes"]],
        "diseases": [(d["id"], d["rank"], g(d["posterior"]), g(d["score"])) for d in doc["diseases"]],
        "n": (doc["n_genes_ranked"], doc["n_diseases_ranked"]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vcf", default=str(PFEIFFER_B37))
    ap.add_argument("--hpo", default=PFEIFFER_TERMS)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--empty-cache", action="store_true",
                    help="each run gets its own empty TRIAGE_CACHE_DIR (a new user's first command)")
    ap.add_argument("--save", help="directory for each run's JSON output")
    ap.add_argument("--check", help="reference result JSON: fail unless every run ranks the same")
    ap.add_argument("--checkout", help="run the triage package of another checkout of the repository "
                                       "(e.g. a worktree of the base commit) with this venv: before/after")
    a = ap.parse_args(argv)
    if not Path(a.vcf).exists():
        raise SystemExit(f"{a.vcf} not found (the default needs ../shared)")
    save = Path(a.save) if a.save else Path(tempfile.mkdtemp(prefix="bench_cold_exome."))
    save.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if a.checkout:
        env["PYTHONPATH"] = str(Path(a.checkout).resolve())
        print(f"package from: {env['PYTHONPATH']}")
    print(f"command: {' '.join(triage_command())} rank --vcf {a.vcf} --hpo {a.hpo}")
    print(f"cpus: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.2f}, "
          f"empty cache per run: {a.empty_cache}")
    if not a.empty_cache:
        run_once(a.vcf, a.hpo, env, save / "warmup.json")
    runs = []
    for i in range(a.repeat):
        if a.empty_cache:
            env = dict(env, TRIAGE_CACHE_DIR=tempfile.mkdtemp(prefix="triage-cache."))
        r = run_once(a.vcf, a.hpo, env, save / f"run{i}.json")
        runs.append(r)
        st = "  ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
        print(f"run {i}: wall {r['wall']:.2f} s  cpu {r['cpu']:.2f} s  peak RSS {r['rss_mib']:.0f} MiB  ({st})")
    med = {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in runs[0]["stages"]}
    print(f"median of {len(runs)}: wall {statistics.median(r['wall'] for r in runs):.2f} s  "
          f"cpu {statistics.median(r['cpu'] for r in runs):.2f} s  "
          f"peak RSS {statistics.median(r['rss_mib'] for r in runs):.0f} MiB  "
          f"(max {max(r['rss_mib'] for r in runs):.0f})  "
          + "  ".join(f"{k} {v:.2f}" for k, v in med.items()))
    print(f"outputs in {save}")
    if a.check:
        ref = ranking_key(json.loads(Path(a.check).read_text()))
        bad = [i for i in range(len(runs))
               if ranking_key(json.loads((save / f"run{i}.json").read_text())) != ref]
        if bad:
            print(f"ranking differs from {a.check} in run(s) {bad}")
            return 1
        print(f"ranking identical to {a.check} (genes, variants, diseases, ranks, posteriors, scores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

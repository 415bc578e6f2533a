#!/usr/bin/env python
"""Speed benchmark of the phenotype engine (a command, not a test).

Reports, as JSON: warm load time of the HPO release (cache hit), engine build time,
and per-patient ranking latency (score all diseases; and the full result model with
explanations for the top 20) over real phenopackets from ../shared (or random
annotated term sets when ../shared is absent). Medians and p95 over all patients.

    .venv/bin/python scripts/bench_phenotype.py [--cases 500] [--scorer lr]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np

from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.knowledge import load_knowledge
from triage.prioritize import rank_phenotype


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=500)
    ap.add_argument("--scorer", default="lr")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--phenopackets", default=None,
                    help="benchmark phenopackets (default ../shared/benchmark/phenopackets beside the repo)")
    args = ap.parse_args()

    load_knowledge()  # make sure the cache exists
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        kb = load_knowledge()
        loads.append(time.perf_counter() - t)
    t = time.perf_counter()
    engine = PhenotypeEngine.load()
    build = time.perf_counter() - t

    rng = random.Random(args.seed)
    shared = (Path(args.phenopackets) if args.phenopackets
              else Path(__file__).resolve().parents[2] / "shared" / "benchmark" / "phenopackets")
    queries: list[tuple[list[str], list[str]]] = []
    if shared.exists():
        from triage.phenotype.phenopacket import find_phenopackets, read_phenopacket

        for p in rng.sample(find_phenopackets(shared), args.cases):
            c = read_phenopacket(p)
            queries.append((c.observed, c.excluded))
        source = str(shared)
    else:
        ids = kb.ontology.ids
        for _ in range(args.cases):
            queries.append((rng.sample(ids, rng.randint(3, 15)), []))
        source = "random terms"
    score_ms, full_ms, n_terms = [], [], []
    engine.scorer(args.scorer)
    for obs, exc in queries:
        try:
            q = engine.resolve(obs, exc, drop_unknown=True)
        except Exception:
            continue
        n_terms.append(len(q.observed_idx) + len(q.excluded_idx))
        t = time.perf_counter()
        engine.score(q, args.scorer)
        score_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        rank_phenotype(engine, obs, exc, scorer=args.scorer, top=20, drop_unknown=True)
        full_ms.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        "source": source, "patients": len(score_ms), "scorer": args.scorer,
        "median_terms_per_patient": statistics.median(n_terms),
        "diseases": kb.annotations.n_diseases,
        "warm_load_s_median": round(statistics.median(loads), 4),
        "engine_build_s": round(build, 3),
        "score_all_diseases_ms": {"median": round(statistics.median(score_ms), 3),
                                  "p95": round(float(np.percentile(score_ms, 95)), 3)},
        "rank_with_result_model_ms": {"median": round(statistics.median(full_ms), 3),
                                      "p95": round(float(np.percentile(full_ms, 95)), 3)},
    }, indent=2))


if __name__ == "__main__":
    main()

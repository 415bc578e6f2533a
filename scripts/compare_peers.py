#!/usr/bin/env python
"""Side-by-side per case and per cohort: our ranks.tsv against a peer's per-case ranks.

    .venv/bin/python scripts/compare_peers.py OUT/ranks.tsv \\
        ../shared/benchmark/peers/devall__hpo3__disease_enrich_hypergeom.tsv --track disease
    .venv/bin/python scripts/compare_peers.py OUT/ranks.tsv \\
        ../shared/benchmark/peers/devall__hpo3__gene_enrich_hypergeom.tsv --track gene

Cases are matched by cohort/file name (``<cohort>/<phenopacket id>.json``) and compared
only where both evaluated them (the peer ranks OMIM diseases only, so the disease track
is restricted to cases whose truth is OMIM; the gene track to annotated genes). Prints
JSON: top-1/top-10 of both over the shared cases, per-case wins/ties/losses (better
rank), and the cohort macro of both with the cohorts each method wins.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict

import numpy as np


def read_ours(path: str, track: str) -> dict[str, tuple[str, float]]:
    out = {}
    with open(path) as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            v = r[f"{track}_rank"]
            if v != "NA":
                out[f"{r['cohort']}/{r['phenopacket_id']}.json"] = (r["cohort"], float(v))
    return out


def read_peer(path: str) -> dict[str, float]:
    out = {}
    with open(path) as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["status"] == "ok" and r["rank"]:
                out[r["case"]] = float(r["rank"])
    return out


def topk(r: np.ndarray, k: int) -> float:
    return round(float(np.mean((r > 0) & (r <= k))), 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ours")
    ap.add_argument("peer")
    ap.add_argument("--track", choices=("disease", "gene"), required=True)
    args = ap.parse_args()
    ours, peer = read_ours(args.ours, args.track), read_peer(args.peer)
    keys = sorted(set(ours) & set(peer))
    a = np.array([ours[k][1] for k in keys])
    b = np.array([peer[k] for k in keys])
    a_eff = np.where(a > 0, a, np.inf)  # a miss is worse than any rank
    by = defaultdict(list)
    for k, x, y in zip(keys, a, b):
        by[ours[k][0]].append((x, y))
    macro = {"ours": {}, "peer": {}}
    wins = {"ours": 0, "peer": 0, "tie": 0}
    for kk in (1, 10):
        macro["ours"][f"top{kk}"] = round(float(np.mean([topk(np.array([x for x, _ in v]), kk) for v in by.values()])), 4)
        macro["peer"][f"top{kk}"] = round(float(np.mean([topk(np.array([y for _, y in v]), kk) for v in by.values()])), 4)
    for v in by.values():
        o = topk(np.array([x for x, _ in v]), 10)
        p = topk(np.array([y for _, y in v]), 10)
        wins["ours" if o > p else "peer" if p > o else "tie"] += 1
    print(json.dumps({
        "track": args.track, "cases": len(keys), "cohorts": len(by),
        "ours": {"top1": topk(a, 1), "top10": topk(a, 10)},
        "peer": {"top1": topk(b, 1), "top10": topk(b, 10)},
        "per_case": {"ours_better": int(np.sum(a_eff < b)), "peer_better": int(np.sum(a_eff > b)),
                     "same": int(np.sum(a_eff == b))},
        "cohort_macro": macro, "cohorts_better_top10": wins,
    }, indent=2))


if __name__ == "__main__":
    main()

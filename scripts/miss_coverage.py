#!/usr/bin/env python
"""How much of each patient does the true disease's annotation cover? (hits vs misses)

    .venv/bin/python scripts/miss_coverage.py OUT/ranks.tsv [--phenopackets DIR] [--top 10]

For every case of the disease track in a phenotype benchmark's ranks.tsv: the share of
the patient's observed terms that the true disease entity (any of its ORPHA/OMIM ids)
matches exactly or through a more specific disease term (the LR model's explanation
kinds ``exact`` / ``disease_more_specific``). Printed for the cases ranked within
``--top`` and for the others: a miss whose truth covers few of the patient's terms needs
knowledge the release does not have, not a better ranking.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np

from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.entities import disease_groups
from triage.phenotype.phenopacket import find_phenopackets, read_phenopacket

DIRECT = ("exact", "disease_more_specific")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ranks")
    ap.add_argument("--phenopackets",
                    default=str(Path(__file__).resolve().parents[2] / "shared" / "benchmark" / "phenopackets"))
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args()
    eng = PhenotypeEngine.load()
    groups = disease_groups(eng.kb)
    lr = eng.scorer("lr")
    d_index = {d: i for i, d in enumerate(eng.kb.annotations.disease_ids)}
    rows = {r["phenopacket_id"]: r for r in csv.DictReader(Path(args.ranks).read_text().splitlines(), delimiter="\t")
            if r["disease_rank"] != "NA"}
    root = Path(args.phenopackets)
    cov = {"hit": [], "miss": []}
    for p in find_phenopackets(root):
        case = read_phenopacket(p, p.parent.name)
        r = rows.get(case.id)
        if r is None:
            continue
        q = eng.resolve(case.observed + ([case.onset] if case.onset else []), case.excluded, drop_unknown=True)
        members = {m for d in case.diseases if d in d_index for m in groups.members[groups.group_of[d_index[d]]]}
        best = 0.0
        for m in members:
            ms = lr.explain(int(m), q.observed_idx, [])
            if ms:
                best = max(best, float(np.mean([x.kind in DIRECT for x in ms])))
        rank = float(r["disease_rank"])
        cov["hit" if 0 < rank <= args.top else "miss"].append(best)
    out = {}
    for k, v in cov.items():
        a = np.array(v)
        out[k] = {"cases": len(a), "median_coverage": round(float(np.median(a)), 3) if len(a) else None,
                  **{f"coverage_below_{t}": round(float(np.mean(a < t)), 3) for t in (0.2, 0.34, 0.5)}}
    print(json.dumps({"top": args.top, **out}, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What the ACMG PP4 threshold means on the benchmark phenopackets (docs/acmg.md).

For every phenopacket (phenotype only, `lr` scorer, the shipped model): the
phenotype-only posterior of each gene's best disease; how often the causal gene reaches
a threshold, and how many other genes do per case. Nothing is fitted: the PP4 default
(0.5) was set a priori; this reports what it implies.

Usage: .venv/bin/python scripts/acmg_pp4_threshold.py [--phenopackets ../shared/benchmark/phenopackets]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

THRESHOLDS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.5)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phenopackets", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "benchmark"
                                                  / "phenopackets"))
    args = ap.parse_args()
    from triage.errors import TriageError
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.phenopacket import find_phenopackets, read_phenopacket

    eng = PhenotypeEngine.load()
    pairs = eng.pairs
    ptr = pairs.gene_ptr
    has = ptr[1:] > ptr[:-1]
    causal: list[float] = []
    others = dict.fromkeys(THRESHOLDS, 0)
    for path in find_phenopackets(args.phenopackets):
        try:
            case = read_phenopacket(path)
            q = eng.resolve(case.observed, case.excluded, drop_unknown=True)
        except (TriageError, ValueError, KeyError):
            continue
        gi = [i for g in case.genes if (i := eng.gene_index.get(g)) is not None]
        if not gi or not q.observed:
            continue
        post = eng.score(q, "lr").posterior
        best = np.zeros(len(eng.gene_index))
        best[has] = np.maximum.reduceat(post[pairs.disease[pairs.by_gene]], ptr[:-1][has])
        causal.append(float(best[gi].max()))
        mask = np.ones(len(best), dtype=bool)
        mask[gi] = False
        for t in THRESHOLDS:
            others[t] += int((best[mask] >= t).sum())
    n = len(causal)
    c = np.array(causal)
    print(f"cases {n}")
    print("threshold\tcausal_gene_reaches\tother_genes_per_case")
    for t in THRESHOLDS:
        print(f"{t}\t{(c >= t).mean():.3f}\t{others[t] / n:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

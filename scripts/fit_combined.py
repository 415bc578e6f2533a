#!/usr/bin/env python
"""Fit the combined scorer's weights and write triage/phenotype/scoring/combined_weights.json.

    nice .venv/bin/python scripts/fit_combined.py [--phenopackets ../shared/benchmark/phenopackets]
        [--folds 5] [--seed 42] [--cohort-balance A] [--l2 L] [--fix FEATURE=VALUE ...]
        [--features NAME,NAME,...] [--out PATH]

One command reproduces the shipped file: it builds (or reuses) the feature store of
the dev cases, fits the conditional logit on all of them (the shipped weights),
cross-validates the same recipe with cohort-grouped folds (the figures written next
to the weights), and records the recipe under ``fit`` so that
``triage benchmark --folds K --scorer combined`` refits exactly this. Features and
the model: triage/phenotype/scoring/combined.py; the harness:
triage/benchmark/crossval.py.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from triage.benchmark.crossval import ScorerFit, build_store, cross_validate
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.entities import disease_groups
from triage.phenotype.knowledge import cache_dir
from triage.phenotype.scoring.combined import FEATURES, WEIGHTS_FILE

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phenopackets", default=str(REPO.parent / "shared" / "benchmark" / "phenopackets"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--cohort-balance", type=float, default=0.0,
                    help="case weight n_cohort ** -A in the likelihood (0: every case counts once)")
    ap.add_argument("--l2", type=float, default=1e-4, help="L2 penalty of the likelihood objective")
    ap.add_argument("--objective", choices=("topk", "likelihood"), default="topk",
                    help="topk: weights maximising disease top-1 + top-10 (coordinate search); "
                         "likelihood: maximum likelihood of the true diagnosis")
    ap.add_argument("--fix", action="append", default=None, metavar="FEATURE=VALUE",
                    help="pin a weight instead of fitting it (default: lr_observed and lr_excluded at "
                         "ln 10, the LR model's own scale and the meaning of an excluded term)")
    ap.add_argument("--features", default=",".join(FEATURES), help="features the combiner may use")
    ap.add_argument("--feature-cache", default=None)
    ap.add_argument("--out", default=str(REPO / "triage" / "phenotype" / "scoring" / WEIGHTS_FILE))
    args = ap.parse_args()

    fixed = {}
    if args.fix is None:
        args.fix = [f"lr_observed={np.log(10):.6f}", f"lr_excluded={np.log(10):.6f}"]
    for item in args.fix:
        k, _, v = item.partition("=")
        if k not in FEATURES:
            raise SystemExit(f"--fix {item}: unknown feature {k!r}; features: {', '.join(FEATURES)}")
        fixed[k] = float(v)
    spec = {"features": [f for f in args.features.split(",") if f], "fixed": fixed,
            "cohort_balance": args.cohort_balance, "l2": args.l2, "objective": args.objective}
    engine = PhenotypeEngine.load()
    groups = disease_groups(engine.kb)
    t0 = time.time()
    store = build_store(args.phenopackets, engine, args.feature_cache or (cache_dir() / "features"))
    sf = ScorerFit(store, engine, "combined", groups, spec)
    cv = cross_validate(store, sf.fit, sf.score, k=args.folds, seed=args.seed, describe=lambda f: f.params)
    final = sf.fit(np.arange(store.n))

    def fig(b: dict) -> dict:
        return {k: b[k] for k in ("evaluated", "top1", "top10", "mrr")}

    def cvfig(b: dict) -> dict:
        return {k: {"mean": b[k]["mean"], "sd": b[k]["sd"]} for k in ("top1", "top10", "mrr")}

    data = {
        "version": time.strftime("%Y-%m-%d"),
        "model": "conditional logit: P(D | patient) = softmax_D(sum_f w_f x_f(patient, D)); "
                 "features in triage/phenotype/scoring/combined.py",
        "weights": {f: round(float(x), 6) for f, x in zip(FEATURES, final.w)},
        "fit": spec,
        "trained_on": {"phenopackets": "../shared/benchmark/phenopackets (dev set)", "cases": int(store.n),
                       "disease_cases": int(store.disease_eval.sum()), "hpo": engine.kb.data_versions.get("hpo"),
                       "disease_entities": groups.source},
        "crossval": {"folds": args.folds, "seed": args.seed, "grouping": "cohort",
                     "cv": {k: cvfig(cv["cv"][k]) for k in ("disease", "gene", "gene_annotated")},
                     "in_sample": {k: fig(cv["in_sample"][k]) for k in ("disease", "gene", "gene_annotated")},
                     "fold_weights": cv["fold_params"]},
        "command": "nice .venv/bin/python scripts/fit_combined.py " + " ".join(
            [f"--folds {args.folds}", f"--seed {args.seed}", f"--cohort-balance {args.cohort_balance}",
             f"--l2 {args.l2}", f"--objective {args.objective}"] + [f"--fix {k}={v}" for k, v in fixed.items()]
            + ([f"--features {args.features}"] if args.features != ",".join(FEATURES) else [])),
    }
    with open(args.out, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    print(json.dumps({"weights": data["weights"], "crossval": data["crossval"]["cv"],
                      "in_sample": data["crossval"]["in_sample"], "seconds": round(time.time() - t0)}, indent=2))


if __name__ == "__main__":
    main()

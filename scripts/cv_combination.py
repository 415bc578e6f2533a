#!/usr/bin/env python3
"""Cohort-grouped cross-validation of the combination step's model choices (VCF path).

Reads the genotype store of a spike-in run (``triage benchmark --background BG --store
--out OUT`` writes ``OUT/genotype_store.json.gz``), scores every case under each setting of
a grid (the novel-hypothesis prior ``ranking.novel_prior``, its phenotype likelihood
``ranking.novel_phenotype``), then picks the setting with the best gene MRR on K-1 folds of
cohorts and scores it on the held-out fold (``triage.benchmark.crossval.cross_validate``).
Prints and writes (``--out``) the in-sample and cross-validated figures per setting and of
the chosen model, with ``by_knowledge``.

Usage: .venv/bin/python scripts/cv_combination.py STORE.json.gz [--config C] [--folds 5]
       [--priors 0,0.01,0.03,0.1,0.3] [--out cv.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace

import numpy as np

from triage.benchmark.crossval import Ranks, cross_validate, summarise_ranks
from triage.benchmark.genotype_store import GenotypeStore
from triage.phenotype.engine import PhenotypeEngine
from triage.prioritize import PipelineConfig, Ranker


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--config", default=None, help="workflow config of the spike-in run (resources, gene prior)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--priors", default="0,0.01,0.03,0.1,0.3")
    ap.add_argument("--modes", default="background,marginal")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    store = GenotypeStore.load(a.store)
    cfg = PipelineConfig.from_file(a.config, store.meta.get("genome", "GRCh38")).with_genome(
        store.meta.get("genome", "GRCh38"))
    engine = PhenotypeEngine.load(None, cfg.model)
    store.attach(engine.kb.annotations)
    ranker = Ranker(engine, cfg, cfg.annotate.genome, cfg.gene_prior())
    grid = []
    for pi, mode in itertools.product([float(x) for x in a.priors.split(",")], a.modes.split(",")):
        if pi == 0 and mode != "background":
            continue  # the mode does not matter without novel hypotheses
        grid.append({"novel_prior": pi, "novel_phenotype": mode})
    table: list[Ranks] = []
    for g in grid:
        t0 = time.perf_counter()
        d, r = store.ranks(ranker, replace(cfg.rank, **g))
        table.append(Ranks(disease=d, gene=r))
        print(f"scored {g} in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)

    def mrr(r: np.ndarray) -> float:
        r = r[~np.isnan(r)]
        return float(np.mean(np.where(r > 0, 1.0 / np.where(r > 0, r, 1.0), 0.0))) if len(r) else 0.0

    def fit(idx: np.ndarray) -> int:
        return int(np.argmax([mrr(t.gene[idx]) for t in table]))

    def score(k: int, idx: np.ndarray) -> Ranks:
        return Ranks(disease=table[k].disease[idx], gene=table[k].gene[idx])

    everything = np.arange(store.n)
    per_setting = [{"setting": g, "in_sample": summarise_ranks(table[k], store, everything)}
                   for k, g in enumerate(grid)]
    cv = cross_validate(store, fit, score, a.folds, a.seed, describe=lambda k: grid[k])
    out = {"store": a.store, "grid": per_setting, "chosen_by_cv": cv}
    text = json.dumps(out, indent=2)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")
    for s in per_setting:
        b = s["in_sample"]
        print(s["setting"], "gene top1/top10", b["gene"]["top1"], b["gene"]["top10"],
              {k: (v["top1"], v["top10"], v["evaluated"]) for k, v in b["by_knowledge"].items()})
    c = cv["cv"]
    print("CV chosen per fold:", cv["fold_params"])
    print("CV gene top1/top10:", c["gene"]["top1"]["mean"], c["gene"]["top10"]["mean"],
          {k: (v["top1"]["mean"], v["top10"]["mean"]) for k, v in c["by_knowledge"].items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())

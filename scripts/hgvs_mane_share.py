#!/usr/bin/env python3
"""How many variant names are on MANE, and what listing every transcript costs (docs/hgvs.md).

On the Pfeiffer b37 exome (../shared; no FASTA): the share of named coding/splice
(variant, gene) rows whose transcript is MANE, why the others are not, and the median
time of ``build_result`` (top 20 genes) with and without the per-transcript list.

Usage::

    .venv/bin/python scripts/hgvs_mane_share.py [--vcf ../shared/data/backgrounds/Pfeiffer_b37.vcf.gz]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

NOT_CODING = ("intron_variant", "5_prime_UTR_variant", "3_prime_UTR_variant", "non_coding_transcript_exon_variant",
              "upstream_gene_variant", "downstream_gene_variant")
PFEIFFER_TERMS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vcf", type=Path, default=REPO.parent / "shared" / "data" / "backgrounds" / "Pfeiffer_b37.vcf.gz")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)

    import triage.prioritize.result as result_mod
    from triage.phenotype.engine import PhenotypeEngine
    from triage.prioritize import build_result, run_patient
    from triage.variants.gene_model import GeneModel
    from triage.variants.hgvs import load_mane

    engine = PhenotypeEngine.load()
    run = run_patient(args.vcf, PFEIFFER_TERMS, [], genome="GRCh37", engine=engine)
    av = run.ranked.case.table
    mane = load_mane()
    model = GeneModel.load("GRCh37")
    rows = [r for r in range(len(av)) if av.hgvs_c[r] and av.consequence[r] not in NOT_CODING]
    on_mane = [r for r in rows if av.transcript[r] in mane]
    no_mane = less_severe = 0
    for r in rows:
        if av.transcript[r] in mane:
            continue
        v = int(av.vidx[r])
        txs = model.overlapping(av.chrom[v], int(av.pos[v]) - 1, int(av.pos[v]))
        if any(t.id in mane for t in txs):
            less_severe += 1
        else:
            no_mane += 1
    print(f"{len(rows)} named coding/splice rows, {len(on_mane)} on MANE ({100 * len(on_mane) / len(rows):.1f}%); "
          f"not on MANE: {no_mane} without a MANE transcript there, {less_severe} where MANE is less severe")

    def median_ms() -> tuple[float, object]:
        ts = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            res = build_result(run.ranked, top=20)
            ts.append(time.perf_counter() - t)
        return 1000 * statistics.median(ts), res

    with_list, res = median_ms()
    n_v = sum(len(g.variants) for g in res.genes)
    n_t = sum(len(v.transcripts) for g in res.genes for v in g.variants)
    namer = result_mod._variant_namer
    result_mod._variant_namer = lambda ranked: None  # type: ignore[assignment]
    try:
        without, _ = median_ms()
    finally:
        result_mod._variant_namer = namer  # type: ignore[assignment]
    print(f"build_result top 20: {n_v} variants, {n_t} transcript effects; median of {args.repeats}: "
          f"{with_list:.0f} ms with the transcript list, {without:.0f} ms without")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

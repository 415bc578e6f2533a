#!/usr/bin/env python3
"""Regenerate the cohort tests' ten-donor slice (tests/data/cohort/).

Input: ../shared/data/backgrounds/10_donors_b37_chr22.vcf.gz (Debian drop-seq-testdata
2.5.2, Expat licence: 10 human donors, GRCh37, chr22; may be vendored, see
../shared/README.md). Output: tests/data/cohort/ten_donors_b37_chr22_slice.vcf.gz (+ .tbi):
every record of chr22:24,000,000-26,000,000 unchanged (all ten donors, every FILTER,
multi-allelic records kept) except INFO reduced to KG_AF (the file's own AC/AF/MLE fields
would otherwise look like a population frequency). The in-cohort frequency test counts
directly over this file.

Usage: .venv/bin/python scripts/make_cohort_test_data.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pysam

REPO = Path(__file__).resolve().parents[1]
WINDOW = ("22", 24_000_000, 26_000_000)
OUT = REPO / "tests" / "data" / "cohort" / "ten_donors_b37_chr22_slice.vcf.gz"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    args = ap.parse_args()
    src = Path(args.shared) / "data" / "backgrounds" / "10_donors_b37_chr22.vcf.gz"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with pysam.VariantFile(str(src)) as vin:
        header = vin.header.copy()
        for key in list(header.info.keys()):
            if key != "KG_AF":
                header.info.remove_header(key)
        n = 0
        with pysam.VariantFile(str(OUT), "wz", header=header) as vout:
            for rec in vin.fetch(*WINDOW) if vin.index is not None else vin:
                if rec.chrom != WINDOW[0] or not (WINDOW[1] <= rec.pos <= WINDOW[2]):
                    continue
                new = rec.copy()
                new.translate(header)
                for key in list(new.info.keys()):
                    if key != "KG_AF":
                        del new.info[key]
                vout.write(new)
                n += 1
    pysam.tabix_index(str(OUT), preset="vcf", force=True)
    print(f"wrote {OUT} ({n} records)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

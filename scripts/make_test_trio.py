#!/usr/bin/env python3
"""Regenerate the workflow's end-to-end test data (.test/data/): a small real trio.

Input: ../shared/data/backgrounds/10_donors_b37_chr22.vcf.gz (Debian drop-seq-testdata
2.5.2, Expat licence: 10 human donors, GRCh37, chr22). Output:

* .test/data/TRIO1.chr22.vcf.gz (+ .tbi): three real donors renamed TRIO1 (proband),
  TRIO1_F and TRIO1_M, the PASS biallelic sites of chr22:22,000,000-27,000,000 where any
  of them carries an ALT allele, INFO reduced to KG_AF, FORMAT to GT:AD:DP:GQ; plus the
  SMARCB1 Coffin-Siris variant of the demo (22:24175856 GAGA>G, PMID 22426308) as a
  *de novo* call: heterozygous in TRIO1, homozygous reference in both parents. Depth and
  quality values are copied from a (seeded) random heterozygous record of each member.
* .test/data/TRIO1.ped: the pedigree (the donors are unrelated in reality: the test
  checks the workflow's wiring, not biology).

Usage: .venv/bin/python scripts/make_test_trio.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DONORS = {"TRIO1": "Genea2_P19_150119", "TRIO1_F": "ESI017_P31_140619", "TRIO1_M": "HUES72_P20_150119"}
WINDOW = (22_000_000, 27_000_000)
SPIKE = ("22", 24175856, "GAGA", "G")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--out", default=str(REPO / ".test" / "data"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    src = Path(a.shared) / "data" / "backgrounds" / "10_donors_b37_chr22.vcf.gz"
    if not src.exists():
        print(f"{src} not found", file=sys.stderr)
        return 1
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    records: list[list[str]] = []
    cols: list[int] = []
    with gzip.open(src, "rt") as fh:
        for line in fh:
            if line.startswith("##"):
                continue
            f = line.rstrip("\n").split("\t")
            if line.startswith("#CHROM"):
                cols = [f.index(d) for d in DONORS.values()]
                continue
            if f[6] != "PASS" or "," in f[4] or not (WINDOW[0] <= int(f[1]) <= WINDOW[1]):
                continue
            fmt = f[8].split(":")
            samples = []
            for c in cols:
                vals = dict(zip(fmt, f[c].split(":"), strict=False))
                gt = vals.get("GT", "./.").replace("|", "/").replace("1/0", "0/1")
                samples.append(":".join([gt, vals.get("AD", "."), vals.get("DP", "."), vals.get("GQ", ".")]))
            if not any(s.split(":")[0] in ("0/1", "1/1") for s in samples):
                continue
            kg = next((kv.split("=", 1)[1] for kv in f[7].split(";") if kv.startswith("KG_AF=")), None)
            records.append([f[0], f[1], ".", f[3], f[4], f[5], "PASS", f"KG_AF={kg}" if kg else ".",
                            "GT:AD:DP:GQ", *samples])
    rng = random.Random(a.seed)
    spike = [SPIKE[0], str(SPIKE[1]), ".", SPIKE[2], SPIKE[3], "50", "PASS", ".", "GT:AD:DP:GQ"]
    for k in range(3):
        hets = [r for r in records if r[9 + k].startswith("0/1:") and r[9 + k].split(":")[1].count(",") == 1]
        homref = [r for r in records if r[9 + k].startswith("0/0:") and r[9 + k].split(":")[1].count(",") == 1]
        t = rng.choice(hets if k == 0 else (homref or hets))
        vals = t[9 + k].split(":")
        if k == 0:
            spike.append(":".join(["0/1", *vals[1:]]))
        else:
            dp = vals[2] if vals[2] != "." else "30"
            spike.append(":".join(["0/0", f"{dp},0", dp, vals[3]]))
    records = [r for r in records if not (int(r[1]) <= SPIKE[1] + 3 and int(r[1]) + len(r[3]) - 1 >= SPIKE[1])]
    records.append(spike)
    records.sort(key=lambda r: int(r[1]))
    header = [
        "##fileformat=VCFv4.2",
        "##source=triage workflow test: donors of Debian drop-seq-testdata 2.5.2 10_donors_b37_chr22.vcf.gz "
        "(Expat licence) as a trio, chr22:22-27 Mb; one de novo record added, see scripts/make_test_trio.py",
        "##reference=GRCh37",
        "##contig=<ID=22,length=51304566>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=KG_AF,Number=A,Type=Float,Description="1000 Genomes allele frequency (from the source file)">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *DONORS]),
    ]
    import pysam

    plain = out / "TRIO1.chr22.vcf"
    with open(plain, "w") as fh:
        fh.write("\n".join(header) + "\n")
        for r in records:
            fh.write("\t".join(r) + "\n")
    gz = out / "TRIO1.chr22.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz), force=True)
    plain.unlink()
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    (out / "TRIO1.ped").write_text("#family\tindividual\tfather\tmother\tsex\tphenotype\n"
                                   "FAM1\tTRIO1\tTRIO1_F\tTRIO1_M\t2\t2\n"
                                   "FAM1\tTRIO1_F\t0\t0\t1\t1\n"
                                   "FAM1\tTRIO1_M\t0\t0\t2\t1\n")
    print(f"wrote {gz} ({len(records)} records) and TRIO1.ped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Regenerate the bundled demo (config/demo/): one real donor + one published variant.

Input: ../shared/data/backgrounds/10_donors_b37_chr22.vcf.gz (Debian drop-seq-testdata
2.5.2, Expat licence: 10 human donors, GRCh37, chr22). Output:

* config/demo/DEMO1.chr22.vcf.gz (+ .tbi): the PASS, biallelic chr22 sites where the donor
  ``--donor`` carries an ALT allele, renamed to sample DEMO1, INFO reduced to the 1000
  Genomes frequency (KG_AF) and FORMAT to GT:AD:DP:GQ, plus one added record:
  SMARCB1 NM_003073.5:c.1091_1093del p.(Lys364del), GRCh37 22:24175856 GAGA>G,
  heterozygous, the recurrent Coffin-Siris syndrome 3 variant (Tsurusaki et al. 2012,
  Nat Genet 44:376, PMID 22426308). Its AD/DP/GQ are copied from a randomly chosen
  (seeded) heterozygous record of the donor; its INFO is empty (not in 1000 Genomes).
* config/demo/DEMO1.phenopacket.json: the patient's HPO terms (typical features of
  OMIM:614608 taken from the HPO annotation; no real person's record).

Usage: .venv/bin/python scripts/make_demo.py [--shared ../shared] [--donor NAME]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPIKE = {"chrom": "22", "pos": 24175856, "ref": "GAGA", "alt": "G", "gene": "SMARCB1",
         "hgvs": "NM_003073.5:c.1091_1093del", "protein": "p.(Lys364del)", "pmid": "PMID:22426308"}
TERMS = [
    ("HP:0001263", "Global developmental delay"),
    ("HP:0001252", "Hypotonia"),
    ("HP:0000280", "Coarse facial features"),
    ("HP:0002209", "Sparse scalp hair"),
    ("HP:0000574", "Thick eyebrow"),
    ("HP:0000527", "Long eyelashes"),
    ("HP:0000998", "Hypertrichosis"),
    ("HP:0011968", "Feeding difficulties"),
    ("HP:0004322", "Short stature"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--donor", default="Genea2_P19_150119")
    ap.add_argument("--out", default=str(REPO / "config" / "demo"))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    src = Path(a.shared) / "data" / "backgrounds" / "10_donors_b37_chr22.vcf.gz"
    if not src.exists():
        print(f"{src} not found", file=sys.stderr)
        return 1
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    records: list[list[str]] = []
    col = None
    with gzip.open(src, "rt") as fh:
        for line in fh:
            if line.startswith("##"):
                continue
            f = line.rstrip("\n").split("\t")
            if line.startswith("#CHROM"):
                col = f.index(a.donor)
                continue
            if f[6] != "PASS" or "," in f[4]:
                continue
            fmt = f[8].split(":")
            vals = dict(zip(fmt, f[col].split(":"), strict=False))
            gt = vals.get("GT", "./.").replace("|", "/")
            if gt not in ("0/1", "1/0", "1/1"):
                continue
            kg = next((kv.split("=", 1)[1] for kv in f[7].split(";") if kv.startswith("KG_AF=")), None)
            info = f"KG_AF={kg}" if kg else "."
            sample = ":".join([("0/1" if gt == "1/0" else gt), vals.get("AD", "."), vals.get("DP", "."),
                               vals.get("GQ", ".")])
            records.append([f[0], f[1], f[2], f[3], f[4], f[5], "PASS", info, "GT:AD:DP:GQ", sample])
    rng = random.Random(a.seed)
    hets = [r for r in records if r[9].startswith("0/1") and "," not in r[4] and r[9].split(":")[1].count(",") == 1]
    t = rng.choice(hets)
    ad = t[9].split(":")[1:]
    spike = [SPIKE["chrom"], str(SPIKE["pos"]), ".", SPIKE["ref"], SPIKE["alt"], t[5], "PASS", ".",
             "GT:AD:DP:GQ", ":".join(["0/1", *ad])]
    records = [r for r in records if not (int(r[1]) <= SPIKE["pos"] + 3 and int(r[1]) + len(r[3]) - 1 >= SPIKE["pos"])]
    records.append(spike)
    records.sort(key=lambda r: int(r[1]))
    header = [
        "##fileformat=VCFv4.2",
        f"##source=triage demo: donor {a.donor} of Debian drop-seq-testdata 2.5.2 10_donors_b37_chr22.vcf.gz "
        "(Expat licence), PASS biallelic sites carrying an ALT allele; one record added, see config/demo/README.md",
        "##reference=GRCh37",
        "##contig=<ID=22,length=51304566>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=KG_AF,Number=A,Type=Float,Description="1000 Genomes allele frequency (from the source file)">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "DEMO1"]),
    ]
    import pysam

    plain = out / "DEMO1.chr22.vcf"
    with open(plain, "w") as fh:
        fh.write("\n".join(header) + "\n")
        for r in records:
            fh.write("\t".join(r) + "\n")
    gz = out / "DEMO1.chr22.vcf.gz"
    pysam.tabix_compress(str(plain), str(gz), force=True)
    plain.unlink()
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    pp = {
        "id": "DEMO1",
        "subject": {"id": "DEMO1", "sex": "UNKNOWN_SEX"},
        "phenotypicFeatures": [{"type": {"id": i, "label": lab}} for i, lab in TERMS],
        "metaData": {
            "created": "2026-11-25T00:00:00Z",
            "createdBy": "triage scripts/make_demo.py (typical features of OMIM:614608 from the HPO "
                         "annotation 2025-01-16; not a real person's record)",
            "resources": [{"id": "hp", "name": "human phenotype ontology",
                           "url": "http://purl.obolibrary.org/obo/hp.owl", "version": "2025-01-16",
                           "namespacePrefix": "HP", "iriPrefix": "http://purl.obolibrary.org/obo/HP_"}],
            "phenopacketSchemaVersion": "2.0",
        },
    }
    (out / "DEMO1.phenopacket.json").write_text(json.dumps(pp, indent=2) + "\n")
    print(f"wrote {gz} ({len(records)} records, template record {t[0]}:{t[1]}) and DEMO1.phenopacket.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

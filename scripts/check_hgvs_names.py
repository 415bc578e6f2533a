#!/usr/bin/env python3
"""Compare our HGVS c. names with the published ones of the benchmark phenopackets.

Each causal variant of ``../shared/benchmark/phenopackets`` with a GRCh38 ``vcfRecord``
and an ``hgvs.c`` expression on an ``NM_`` transcript (phenopacket-store writes them on
MANE Select, validated with VariantValidator) is annotated with the bundled GRCh38 gene
model (no FASTA) and our name on the same accession is compared with the published one:

* ``exact``: the same string, version included;
* ``version differs``: same accession and c. change, another accession version;
* ``differs``: another c. change (split into SNVs/MNVs and indels: without a FASTA an
  indel on a + strand transcript is named at its VCF position unless the record
  carries the repeat, see docs/hgvs.md);
* ``no transcript``: the accession is not in the gene model near the variant.

Prints the counts and, with ``--show N``, N examples of each disagreement. Reads only
../shared (nothing is written). Usage::

    .venv/bin/python scripts/check_hgvs_names.py [--phenopackets DIR] [--show 5]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from triage.variants.consequences import annotate_variant  # noqa: E402
from triage.variants.gene_model import GeneModel  # noqa: E402


def published_variants(root: Path):
    """(file, chrom, pos, ref, alt, published c. expression) of every usable causal variant."""
    for f in sorted(root.rglob("*.json")):
        try:
            d = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        for interp in d.get("interpretations", []):
            for gi in interp.get("diagnosis", {}).get("genomicInterpretations", []):
                vd = gi.get("variantInterpretation", {}).get("variationDescriptor", {})
                rec = vd.get("vcfRecord")
                if not rec or rec.get("genomeAssembly", "").lower() not in ("hg38", "grch38"):
                    continue
                for e in vd.get("expressions", []):
                    v = e.get("value", "")
                    if e.get("syntax") == "hgvs.c" and v.startswith("NM_") and ":c." in v:
                        yield f.name, rec["chrom"], int(rec["pos"]), rec["ref"], rec["alt"], v


def mane_spans() -> dict[str, tuple[str, int, int]]:
    """Versioned MANE accession -> GRCh38 (chrom, 0-based start, end) from the bundled table."""
    import gzip

    out = {}
    with gzip.open(REPO / "resources" / "mane" / "MANE.GRCh38.v0.95.tsv.gz", "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                f = line.rstrip("\n").split("\t")
                out[f[0]] = (f[8], int(f[9]) - 1, int(f[10]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phenopackets", type=Path, default=REPO.parent / "shared" / "benchmark" / "phenopackets")
    ap.add_argument("--show", type=int, default=0, help="examples of each disagreement to print")
    args = ap.parse_args(argv)
    if not args.phenopackets.is_dir():
        raise SystemExit(f"phenopackets not found: {args.phenopackets}")
    model = GeneModel.load("GRCh38")
    spans = mane_spans()
    counts: Counter[str] = Counter()
    by_span: Counter[tuple[str, str]] = Counter()
    indel_strand: Counter[tuple[str, bool]] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for name, chrom, pos, ref, alt, pub in published_variants(args.phenopackets):
        key = (chrom, pos, ref, alt, pub)
        if key in seen:  # one count per distinct published variant
            continue
        seen.add(key)
        acc_v, _, c_pub = pub.partition(":")
        acc = acc_v.split(".")[0]
        ours = None
        span = "-"
        for c in annotate_variant(model, chrom, pos, ref, alt):
            if c.transcript and c.transcript.split(".")[0] == acc:
                ours = (c.transcript, c.hgvs_c)
                tx = c.tx
                m = spans.get(c.transcript)
                if m is not None and tx is not None:
                    span = "same span as MANE" if m == (tx.chrom, tx.tx_start, tx.tx_end) else "span differs"
                strand = c.strand or "?"
                break
        if ours is None:
            kind = "no transcript"
        elif f"{ours[0]}:{ours[1]}" == pub:
            kind = "exact"
        elif ours[1] == c_pub:
            kind = "version differs"
        else:
            kind = "differs (SNV/MNV)" if len(ref) == len(alt) else "differs (indel)"
        counts[kind] += 1
        if len(ref) == len(alt) == 1:
            by_span[(span, kind)] += 1
        elif len(ref) != len(alt) and ours is not None:
            indel_strand[(strand, kind in ("exact", "version differs"))] += 1
        if kind != "exact" and len(examples[kind]) < args.show:
            examples[kind].append(f"{name}: {chrom}:{pos} {ref}>{alt} published {pub}, ours "
                                  f"{ours[0] + ':' + str(ours[1]) if ours else '-'}")
    total = sum(counts.values())
    print(f"{total} distinct published variants (GRCh38 vcfRecord + NM_ hgvs.c)")
    for kind, n in counts.most_common():
        print(f"  {kind:20s} {n:6d}  {100 * n / total:5.1f}%")
    print("\nSNVs by whether the gene model's transcript has MANE's GRCh38 span:")
    for span in ("same span as MANE", "span differs"):
        n = sum(v for (sp, _), v in by_span.items() if sp == span)
        if n:
            ok = by_span[(span, "exact")]
            rest = ", ".join(f"{k} {v}" for (sp, k), v in sorted(by_span.items()) if sp == span and k != "exact")
            print(f"  {span:20s} {n:6d} SNVs, {ok} exact ({100 * ok / n:.1f}%); {rest}")
    print("\nindels (no FASTA) by the transcript's strand: same c. change as published")
    for st in ("+", "-"):
        n = indel_strand[(st, True)] + indel_strand[(st, False)]
        if n:
            print(f"  {st} strand {n:6d} indels, {indel_strand[(st, True)]} agree "
                  f"({100 * indel_strand[(st, True)] / n:.1f}%)")
    for kind, ex in examples.items():
        print(f"\n{kind}:")
        for e in ex:
            print("  " + e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

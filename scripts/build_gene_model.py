#!/usr/bin/env python3
"""Derive the project's compact gene models from UCSC refGene tables.

Inputs (not part of the project; see ../shared/README.md):
    ../shared/data/gene_models/hg38/refGene.txt.gz   -> resources/gene_models/GRCh38.refGene.tsv.gz
    ../shared/data/gene_models/hg19/refGene.txt.gz   -> resources/gene_models/GRCh37.refGene.tsv.gz

Origin of the inputs: PyPI ``annot_utils==0.3.1`` sdist, ``annot_utils/data/{hg38,hg19}/
refGene.txt.gz`` -- UCSC refGene (NCBI RefSeq alignments) dumped 2019-07-28. Format:
genePredExt with a leading ``bin`` column, 0-based half-open coordinates. Columns:
bin, name, chrom, strand, txStart, txEnd, cdsStart, cdsEnd, exonCount, exonStarts,
exonEnds, score, name2, cdsStartStat, cdsEndStat, exonFrames.

What the script does
--------------------
* keeps every transcript on the primary chromosomes chr1-22, chrX, chrY, chrM and drops
  alt / random / fix / chrUn contigs;
* writes contigs without "chr" (``chrM`` -> ``MT``);
* drops the columns the annotator never reads (bin, exonCount, score, cdsStartStat,
  cdsEndStat, exonFrames) and stores exons relative to ``tx_start`` as
  ``offset`` / ``length`` lists, which compresses far better than absolute positions;
* marks one *preferred* transcript per gene and contig (rule below);
* sorts by contig, start, end, accession and writes gzip with ``mtime=0`` and no file
  name in the gzip header, so a rerun on the same input is byte-identical.

Preferred-transcript rule, applied per gene symbol (``name2``) and contig, so that a PAR
gene has one preferred copy on X and one on Y. MANE comes from the project's derived
table ``resources/mane/MANE.GRCh38.v0.95.tsv.gz`` (``scripts/derive_mane.py``), matched
by accession without version, so GRCh37 transcripts get the same preference:

1. the MANE Select transcript;
2. a MANE Plus Clinical transcript;
3. coding ``NM_`` before non-coding ``NR_`` (a transcript is coding when cdsStart < cdsEnd);
4. the longest CDS (sum of coding exon bases, stop codon included);
5. the longest transcript (sum of exon bases);
6. the lowest accession number (NM_000141 before NM_022970), then the lowest start.

refGene names carry no version. A transcript whose accession is in MANE is written with
MANE's version (``NM_003073`` -> ``NM_003073.5``), so every HGVS name on it carries a
version; the others keep the bare accession (no version source here). The GRCh38 run
prints how many of the versioned transcripts have exactly MANE's GRCh38 span (the rest
are an earlier RefSeq version of the same accession in the 2019 dump: usually a UTR
update, the CDS numbering is unchanged; see docs/hgvs.md).

Output format (tab-separated, gzip)::

    #triage-gene-model<TAB>build=GRCh38<TAB>source=...<TAB>version=...   (one metadata line)
    #chrom tx_start tx_end strand name gene cds_start cds_end exon_offsets exon_lengths preferred

``tx_start``/``tx_end``/``cds_start``/``cds_end`` are 0-based half-open genomic
coordinates; a non-coding transcript has ``cds_start == cds_end == tx_end`` (UCSC
convention). ``exon_offsets`` are exon starts minus ``tx_start``; ``preferred`` is 1/0.

Usage::

    .venv/bin/python scripts/build_gene_model.py            # both builds, default paths
    .venv/bin/python scripts/build_gene_model.py --shared /path/to/shared --out resources/gene_models
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "resources" / "gene_models"
DEFAULT_MANE = REPO / "resources" / "mane" / "MANE.GRCh38.v0.95.tsv.gz"
#: MANE transcripts whose refGene span differs from MANE's (written with the GRCh38 model)
SPAN_CHECK = "mane_span_differs.tsv.gz"

SOURCE = "UCSC refGene (NCBI RefSeq) via PyPI annot_utils==0.3.1"
SOURCE_VERSION = "refGene-2019-07-28"
FORMAT_VERSION = "1"
#: MANE status -> rank in the preference key (lower first)
MANE_RANK = {"select": 0, "plus_clinical": 1}

# build name -> UCSC directory name under gene_models/
BUILDS = {"GRCh38": "hg38", "GRCh37": "hg19"}

PRIMARY = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY", "chrM"]
CONTIG_ORDER = {c: i for i, c in enumerate(PRIMARY)}

COLUMNS = [
    "chrom", "tx_start", "tx_end", "strand", "name", "gene", "cds_start", "cds_end",
    "exon_offsets", "exon_lengths", "preferred",
]


def strip_chr(chrom: str) -> str:
    c = chrom[3:] if chrom.startswith("chr") else chrom
    return "MT" if c == "M" else c


def _ints(field: str) -> list[int]:
    return [int(x) for x in field.split(",") if x]


def read_refgene(path: Path) -> list[dict]:
    """Parse a refGene table, keeping primary-chromosome rows only."""
    rows = []
    with gzip.open(path, "rt") as fh:
        for lineno, line in enumerate(fh, 1):
            f = line.rstrip("\n").split("\t")
            if len(f) < 16:
                raise SystemExit(f"{path}:{lineno}: expected 16 columns, got {len(f)}")
            chrom = f[2]
            if chrom not in CONTIG_ORDER:
                continue
            starts, ends = _ints(f[9]), _ints(f[10])
            if len(starts) != int(f[8]) or len(ends) != len(starts):
                raise SystemExit(f"{path}:{lineno}: exonCount does not match exon lists")
            rows.append({
                "name": f[1], "chrom": chrom, "strand": f[3],
                "tx_start": int(f[4]), "tx_end": int(f[5]),
                "cds_start": int(f[6]), "cds_end": int(f[7]),
                "exon_starts": starts, "exon_ends": ends, "gene": f[12],
            })
    return rows


def _cds_length(r: dict) -> int:
    if r["cds_start"] >= r["cds_end"]:
        return 0
    return sum(
        max(0, min(e, r["cds_end"]) - max(s, r["cds_start"]))
        for s, e in zip(r["exon_starts"], r["exon_ends"], strict=True)
    )


def _accession_number(name: str) -> int:
    m = re.match(r"^[A-Z]{2}_(\d+)", name)
    return int(m.group(1)) if m else sys.maxsize


def read_mane(path: Path) -> dict[str, tuple[str, str, tuple[str, int, int, str]]]:
    """Accession without version -> (versioned accession, status, GRCh38 (chrom, start0, end, strand))."""
    out: dict[str, tuple[str, str, tuple[str, int, int, str]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            out[f[0].split(".")[0]] = (f[0], f[4], (f[8], int(f[9]) - 1, int(f[10]), f[11]))
    return out


def mane_version(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        head = fh.readline().rstrip("\n").split("\t")
    return dict(kv.partition("=")[::2] for kv in head[1:]).get("version", "unknown")


def preference_key(r: dict) -> tuple:
    """Sort key: the smallest key is the preferred transcript of its gene."""
    cds = _cds_length(r)
    coding_nm = r["name"].startswith("NM_") and cds > 0
    tx_len = sum(e - s for s, e in zip(r["exon_starts"], r["exon_ends"], strict=True))
    return (
        MANE_RANK.get(r.get("mane", ""), 2),
        0 if coding_nm else 1,
        -cds,
        -tx_len,
        _accession_number(r["name"]),
        r["name"],
        r["tx_start"],
    )


def mark_preferred(rows: list[dict]) -> None:
    best: dict[tuple[str, str], tuple[tuple, int]] = {}
    for i, r in enumerate(rows):
        r["preferred"] = 0
        key = (r["gene"], r["chrom"])
        k = preference_key(r)
        if key not in best or k < best[key][0]:
            best[key] = (k, i)
    for _, i in best.values():
        rows[i]["preferred"] = 1


def apply_mane(rows: list[dict], mane: dict[str, tuple[str, str, tuple[str, int, int, str]]],
               build: str) -> dict:
    """Set each row's MANE status and versioned name; counts for the log line and (GRCh38)
    the rows whose span differs from MANE's (``differs``: TSV lines)."""
    n = {"versioned": 0, "same_span": 0}
    differs: list[str] = []
    for r in rows:
        m = mane.get(r["name"])
        if m is None:
            continue
        r["mane"] = m[1]
        r["name"] = m[0]
        n["versioned"] += 1
        chrom, start, end, strand = m[2]
        if build == "GRCh38":
            if (strip_chr(r["chrom"]), r["tx_start"], r["tx_end"], r["strand"]) == (chrom, start, end, strand):
                n["same_span"] += 1
            else:
                differs.append(f"{m[0]}\t{strip_chr(r['chrom'])}:{r['tx_start']}-{r['tx_end']}\t"
                               f"{chrom}:{start}-{end}")
    n["differs"] = differs  # type: ignore[assignment]
    return n


def render(rows: list[dict], build: str, src: Path, mane_info: str = "") -> bytes:
    rows = sorted(
        rows, key=lambda r: (CONTIG_ORDER[r["chrom"]], r["tx_start"], r["tx_end"], r["name"])
    )
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = io.StringIO()
    out.write(
        "\t".join([
            "#triage-gene-model",
            f"build={build}",
            f"source={SOURCE}",
            f"version={SOURCE_VERSION}",
            f"input={BUILDS[build]}/refGene.txt.gz sha256:{digest}",
            *([f"preferred=MANE {mane_info} Select > Plus Clinical > longest CDS"] if mane_info else []),
            f"format={FORMAT_VERSION}",
            "coordinates=0-based half-open",
            f"transcripts={len(rows)}",
            "generator=scripts/build_gene_model.py",
        ])
        + "\n"
    )
    out.write("#" + "\t".join(COLUMNS) + "\n")
    for r in rows:
        t0 = r["tx_start"]
        offsets = ",".join(str(s - t0) for s in r["exon_starts"])
        lengths = ",".join(
            str(e - s) for s, e in zip(r["exon_starts"], r["exon_ends"], strict=True)
        )
        out.write(
            f"{strip_chr(r['chrom'])}\t{t0}\t{r['tx_end']}\t{r['strand']}\t{r['name']}\t"
            f"{r['gene']}\t{r['cds_start']}\t{r['cds_end']}\t{offsets}\t{lengths}\t"
            f"{r['preferred']}\n"
        )
    return out.getvalue().encode()


def write_gzip(data: bytes, dest: Path) -> None:
    """gzip with mtime=0 and an empty file name: identical input -> identical bytes."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
    ) as gz:
        gz.write(data)
    tmp.replace(dest)


def build(build_name: str, shared: Path, out_dir: Path, mane_path: Path = DEFAULT_MANE) -> Path:
    src = shared / "data" / "gene_models" / BUILDS[build_name] / "refGene.txt.gz"
    if not src.is_file():
        raise SystemExit(f"missing input {src}")
    if not mane_path.is_file():
        raise SystemExit(f"missing MANE table {mane_path} (scripts/derive_mane.py)")
    rows = read_refgene(src)
    counts = apply_mane(rows, read_mane(mane_path), build_name)
    mark_preferred(rows)
    dest = out_dir / f"{build_name}.refGene.tsv.gz"
    write_gzip(render(rows, build_name, src, f"v{mane_version(mane_path)}"), dest)
    if build_name == "GRCh38":
        # the same refGene dump on both builds: what GRCh38 shows holds for GRCh37 too
        head = (f"# MANE v{mane_version(mane_path)} transcripts whose refGene 2019-07-28 GRCh38 span differs "
                "from MANE's (an earlier RefSeq version of the accession; docs/hgvs.md). "
                "Written by scripts/build_gene_model.py\n#transcript\trefgene_span\tmane_span\n")
        write_gzip((head + "".join(x + "\n" for x in sorted(counts["differs"]))).encode(),
                   out_dir / SPAN_CHECK)
    n_pref = sum(r["preferred"] for r in rows)
    n_mane = sum(r["preferred"] and r.get("mane") == "select" for r in rows)
    span = f", {counts['same_span']} with MANE's GRCh38 span" if build_name == "GRCh38" else ""
    print(
        f"{build_name}: {len(rows)} transcripts, {n_pref} preferred ({n_mane} MANE Select), "
        f"{counts['versioned']} versioned from MANE{span}, "
        f"{dest.stat().st_size / 1e6:.2f} MB -> {dest}"
    )
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    ap.add_argument("--mane", type=Path, default=DEFAULT_MANE, help="derived MANE table")
    ap.add_argument("--build", choices=sorted(BUILDS), action="append",
                    help="build(s) to derive (default: all)")
    args = ap.parse_args(argv)
    for b in args.build or list(BUILDS):
        build(b, args.shared, args.out, args.mane)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

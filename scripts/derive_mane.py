#!/usr/bin/env python3
"""Derive the project's MANE table from the MANE summary file.

Input (not part of the project; see ../shared/README.md):
    ../shared/data/gene_models/hg38/MANE.GRCh38.v0.95.summary.txt.gz
Output:
    resources/mane/MANE.GRCh38.v0.95.tsv.gz   (see resources/mane/README.md)

MANE (Matched Annotation from NCBI and EMBL-EBI) names, per human protein-coding gene,
one *MANE Select* transcript and, for some genes, additional *MANE Plus Clinical*
transcripts, each a matched RefSeq ``NM_`` / Ensembl ``ENST`` pair with versions. The
summary is public NCBI/EMBL-EBI data. The derived table keeps the columns the
annotator needs (which transcript to report, and the accession versions to write in
HGVS), one row per MANE transcript::

    #refseq_nuc  refseq_prot  ensembl_nuc  ensembl_prot  status  symbol  ncbi_gene  hgnc  chrom  start  end  strand

``status`` is ``select`` or ``plus_clinical``; coordinates are GRCh38, 1-based
inclusive as in the summary. Rows are sorted by accession; gzip with ``mtime=0`` so a
rerun on the same input is byte-identical. The first line records the MANE release and
the input's SHA-256 prefix.

Usage::

    .venv/bin/python scripts/derive_mane.py [--shared ../shared] [--out resources/mane]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_OUT = REPO / "resources" / "mane"
MANE_VERSION = "0.95"
INPUT = Path("data/gene_models/hg38") / f"MANE.GRCh38.v{MANE_VERSION}.summary.txt.gz"
OUTPUT = f"MANE.GRCh38.v{MANE_VERSION}.tsv.gz"
STATUS = {"MANE Select": "select", "MANE Plus Clinical": "plus_clinical"}
COLUMNS = ("refseq_nuc", "refseq_prot", "ensembl_nuc", "ensembl_prot", "status", "symbol",
           "ncbi_gene", "hgnc", "chrom", "start", "end", "strand")


def read_summary(path: Path) -> list[tuple[str, ...]]:
    """Rows of the MANE summary as output tuples (SystemExit naming the line when malformed)."""
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        header = fh.readline().lstrip("#").rstrip("\n").split("\t")
        col = {name: i for i, name in enumerate(header)}
        need = ("NCBI_GeneID", "HGNC_ID", "symbol", "RefSeq_nuc", "RefSeq_prot", "Ensembl_nuc",
                "Ensembl_prot", "MANE_status", "GRCh38_chr", "chr_start", "chr_end", "chr_strand")
        missing = [n for n in need if n not in col]
        if missing:
            raise SystemExit(f"{path}: header lacks {missing}")
        for lineno, line in enumerate(fh, 2):
            f = line.rstrip("\n").split("\t")
            if len(f) != len(header):
                raise SystemExit(f"{path}:{lineno}: expected {len(header)} columns, got {len(f)}")
            status = STATUS.get(f[col["MANE_status"]])
            nuc = f[col["RefSeq_nuc"]]
            if status is None or "." not in nuc:
                raise SystemExit(f"{path}:{lineno}: unexpected status or unversioned accession {nuc!r}")
            chrom = f[col["GRCh38_chr"]]
            chrom = chrom[3:] if chrom.startswith("chr") else chrom
            out.append((nuc, f[col["RefSeq_prot"]], f[col["Ensembl_nuc"]], f[col["Ensembl_prot"]], status,
                        f[col["symbol"]], f[col["NCBI_GeneID"]].removeprefix("GeneID:"), f[col["HGNC_ID"]],
                        chrom, str(int(f[col["chr_start"]])), str(int(f[col["chr_end"]])),
                        f[col["chr_strand"]]))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = ap.parse_args(argv)
    src = args.shared / INPUT
    if not src.is_file():
        raise SystemExit(f"missing input {src}")
    rows = read_summary(src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    buf = io.StringIO()
    buf.write("\t".join(["#triage-mane", f"version={MANE_VERSION}", "source=MANE summary (NCBI/EMBL-EBI)",
                         f"input={INPUT.name} sha256:{digest}", f"transcripts={len(rows)}",
                         "coordinates=GRCh38 1-based inclusive", "generator=scripts/derive_mane.py"]) + "\n")
    buf.write("#" + "\t".join(COLUMNS) + "\n")
    for r in rows:
        buf.write("\t".join(r) + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    dest = args.out / OUTPUT
    with open(dest, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9,
                                                mtime=0) as gz:
        gz.write(buf.getvalue().encode())
    n_sel = sum(r[4] == "select" for r in rows)
    print(f"MANE v{MANE_VERSION}: {n_sel} Select, {len(rows) - n_sel} Plus Clinical -> {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

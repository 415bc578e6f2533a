"""Compact transcript model (RefSeq via UCSC refGene) with fast interval lookup.

The files are written by ``scripts/build_gene_model.py`` (see ``docs/annotation.md``):
one gzip TSV per build under ``resources/gene_models/``. Coordinates are 0-based
half-open throughout this module, like the UCSC tables they come from.

Loading keeps only numpy arrays (starts, ends, a running maximum of ends) per contig
plus the raw text rows; :class:`Transcript` objects are built on first use and cached,
so loading a whole genome takes a fraction of a second and little memory.
"""

from __future__ import annotations

import gzip
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from triage.errors import DataError

BUILDS = ("GRCh37", "GRCh38")
_BUILD_ALIASES = {
    "grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37",
    "grch38": "GRCh38", "hg38": "GRCh38",
}
#: default window for upstream_gene_variant / downstream_gene_variant (as in Ensembl VEP)
DEFAULT_FLANK = 5000


def normalize_contig(chrom: str) -> str:
    """Model contig name: no "chr" prefix, mitochondrion as "MT" ("chrM", "M" -> "MT")."""
    c = chrom[3:] if chrom[:3].lower() == "chr" else chrom
    if c in ("M", "m", "MT", "mt"):
        return "MT"
    return c.upper() if c in ("x", "y") else c


def resource_dir() -> Path:
    """Folder holding the bundled gene models (repository checkout layout)."""
    return Path(__file__).resolve().parent.parent / "resources" / "gene_models"


def bundled_path(build: str) -> Path:
    b = _BUILD_ALIASES.get(build.lower(), build)
    return resource_dir() / f"{b}.refGene.tsv.gz"


@dataclass(frozen=True, eq=False)
class Transcript:
    """One transcript. Coordinates 0-based half-open; exons in genomic (ascending) order.

    A non-coding transcript has ``cds_start == cds_end``. ``chrom`` has no "chr" prefix.
    Equality and hashing are by identity (a transcript id can map to several loci).
    """

    id: str
    gene: str
    chrom: str
    strand: str  # "+" or "-"
    tx_start: int
    tx_end: int
    cds_start: int
    cds_end: int
    exon_starts: tuple[int, ...]
    exon_ends: tuple[int, ...]
    preferred: bool = False

    @property
    def is_coding(self) -> bool:
        return self.cds_start < self.cds_end

    @property
    def exon_count(self) -> int:
        return len(self.exon_starts)

    @cached_property
    def exon_offsets(self) -> tuple[int, ...]:
        """mRNA offset (0-based, 5'->3' of the transcript) of each exon, genomic order."""
        lens = [e - s for s, e in zip(self.exon_starts, self.exon_ends, strict=True)]
        total = sum(lens)
        out, acc = [], 0
        for n in lens:
            out.append(acc)
            acc += n
        if self.strand == "-":  # offset of the exon's 5' end, i.e. its genomic end
            out = [total - o - n for o, n in zip(out, lens, strict=True)]
        return tuple(out)

    @cached_property
    def length(self) -> int:
        """Spliced (mRNA) length."""
        return sum(e - s for s, e in zip(self.exon_starts, self.exon_ends, strict=True))

    @cached_property
    def cds_bounds(self) -> tuple[int, int] | None:
        """(first, one-past-last) mRNA offsets of the CDS, stop codon included."""
        if not self.is_coding:
            return None
        if self.strand == "+":
            a = self.mrna_offset(self.cds_start)
            b = self.mrna_offset(self.cds_end - 1)
        else:
            a = self.mrna_offset(self.cds_end - 1)
            b = self.mrna_offset(self.cds_start)
        if a is None or b is None:  # CDS edge in an intron: malformed row
            return None
        return a, b + 1

    def exon_index(self, pos: int) -> int:
        """Index (genomic order) of the exon holding base ``pos``, or -1 if none."""
        i = bisect_right(self.exon_starts, pos) - 1
        if i >= 0 and pos < self.exon_ends[i]:
            return i
        return -1

    def mrna_offset(self, pos: int) -> int | None:
        """0-based mRNA offset of genomic base ``pos``; ``None`` if not exonic."""
        i = self.exon_index(pos)
        if i < 0:
            return None
        if self.strand == "+":
            return self.exon_offsets[i] + pos - self.exon_starts[i]
        return self.exon_offsets[i] + self.exon_ends[i] - 1 - pos

    def overlaps(self, start: int, end: int, flank: int = 0) -> bool:
        return self.tx_start - flank < end and self.tx_end + flank > start


class GeneModel:
    """A loaded gene model: per-contig sorted arrays and lazily built transcripts."""

    def __init__(self, rows: list[list[str]], *, version: str, build: str | None,
                 path: Path | None = None):
        self.version = version
        self.build = build
        self.path = path
        self._rows = rows
        self._tx: list[Transcript | None] = [None] * len(rows)
        self._by_contig: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        contig_rows: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            contig_rows.setdefault(r[0], []).append(i)
        for contig, idx in contig_rows.items():
            ix = np.asarray(idx, dtype=np.int64)
            starts = np.fromiter((int(rows[i][1]) for i in idx), dtype=np.int64, count=len(idx))
            ends = np.fromiter((int(rows[i][2]) for i in idx), dtype=np.int64, count=len(idx))
            order = np.argsort(starts, kind="stable")
            starts, ends, ix = starts[order], ends[order], ix[order]
            self._by_contig[contig] = (starts, ends, np.maximum.accumulate(ends), ix)
        self._genes: dict[str, list[int]] | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path_or_build: str | Path) -> GeneModel:
        """Load a model file, or the bundled one for a build name ("GRCh37"/"GRCh38")."""
        s = str(path_or_build)
        if isinstance(path_or_build, str) and (
            s in BUILDS or s.lower() in _BUILD_ALIASES
        ):
            path = bundled_path(s)
            if not path.is_file():
                raise DataError(
                    f"gene model for {s} not found at {path}; "
                    "regenerate it with scripts/build_gene_model.py"
                )
        else:
            path = Path(path_or_build)
            if not path.is_file():
                raise DataError(f"gene model file not found: {path}")
        meta: dict[str, str] = {}
        rows: list[list[str]] = []
        try:
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("#"):
                        if line.startswith("#triage-gene-model"):
                            for kv in line.rstrip("\n").split("\t")[1:]:
                                k, _, v = kv.partition("=")
                                meta[k] = v
                        continue
                    f = line.rstrip("\n").split("\t")
                    if len(f) != 11:
                        raise DataError(
                            f"{path}:{len(rows) + 1}: malformed gene model row "
                            f"({len(f)} columns, expected 11)"
                        )
                    rows.append(f)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read gene model {path}: {exc}") from exc
        if not meta:
            raise DataError(f"{path}: not a triage gene model (missing '#triage-gene-model' line)")
        build = meta.get("build")
        version = f"{build} {meta.get('version', 'unknown')} ({meta.get('source', 'unknown source')})"
        return cls(rows, version=version, build=build, path=path)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self._rows)

    def contigs(self) -> list[str]:
        return list(self._by_contig)

    def transcript(self, i: int) -> Transcript:
        tx = self._tx[i]
        if tx is None:
            f = self._rows[i]
            t0 = int(f[1])
            offs = [int(x) for x in f[8].split(",")]
            lens = [int(x) for x in f[9].split(",")]
            tx = Transcript(
                id=f[4], gene=f[5], chrom=f[0], strand=f[3], tx_start=t0, tx_end=int(f[2]),
                cds_start=int(f[6]), cds_end=int(f[7]),
                exon_starts=tuple(t0 + o for o in offs),
                exon_ends=tuple(t0 + o + n for o, n in zip(offs, lens, strict=True)),
                preferred=f[10] == "1",
            )
            self._tx[i] = tx
        return tx

    def overlapping(self, chrom: str, start: int, end: int, flank: int = 0) -> list[Transcript]:
        """Transcripts whose ``[tx_start - flank, tx_end + flank)`` meets ``[start, end)``.

        0-based half-open query. An empty query (``start == end``, an insertion point
        between bases ``start - 1`` and ``start``) matches features touching either base.
        For a VCF record use ``start = pos - 1`` and ``end = pos - 1 + len(ref)``.
        Results are ordered by transcript start.
        """
        entry = self._by_contig.get(normalize_contig(chrom))
        if entry is None:
            return []
        starts, _ends, maxend, ix = entry
        if end <= start:
            start, end = start - 1, start + 1
        hi = int(np.searchsorted(starts, end + flank, side="left"))
        lo = int(np.searchsorted(maxend, start - flank, side="right"))
        if lo >= hi:
            return []
        ends = _ends[lo:hi]
        sel = ix[lo:hi][ends + flank > start]
        return [self.transcript(int(i)) for i in sel]

    def _gene_index(self) -> dict[str, list[int]]:
        if self._genes is None:
            g: dict[str, list[int]] = {}
            for i, r in enumerate(self._rows):
                g.setdefault(r[5], []).append(i)
            self._genes = g
        return self._genes

    def genes(self) -> list[str]:
        """Sorted gene symbols."""
        return sorted(self._gene_index())

    def transcripts(self, gene: str) -> list[Transcript]:
        return [self.transcript(i) for i in self._gene_index().get(gene, [])]

    def preferred(self, gene: str) -> list[Transcript]:
        """Preferred transcript(s) of a gene: one per contig (two for PAR genes)."""
        return [t for t in self.transcripts(gene) if t.preferred]

    def __repr__(self) -> str:
        return f"GeneModel({self.version!r}, {len(self)} transcripts)"

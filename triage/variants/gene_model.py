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
import os
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add, sub
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
    """Folder holding the bundled gene models.

    ``$TRIAGE_GENE_MODEL_DIR`` when set, else ``resources/gene_models`` of the
    repository checkout this package lives in.
    """
    env = os.environ.get("TRIAGE_GENE_MODEL_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "resources" / "gene_models"


def bundled_path(build: str) -> Path:
    b = _BUILD_ALIASES.get(build.lower(), build)
    return resource_dir() / f"{b}.refGene.tsv.gz"


_NOTSET: object = object()


@dataclass(eq=False, slots=True)
class Transcript:
    """One transcript. Coordinates 0-based half-open; exons in genomic (ascending) order.

    A non-coding transcript has ``cds_start == cds_end``. ``chrom`` has no "chr" prefix.
    Equality and hashing are by identity (a transcript id can map to several loci).
    Treat instances as read-only: derived values are cached on first use.
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
    _offsets: tuple[int, ...] | None = field(default=None, init=False, repr=False)
    _cds_bounds: object = field(default=_NOTSET, init=False, repr=False)

    @property
    def is_coding(self) -> bool:
        return self.cds_start < self.cds_end

    @property
    def exon_count(self) -> int:
        return len(self.exon_starts)

    @property
    def exon_offsets(self) -> tuple[int, ...]:
        """mRNA offset (0-based, from the transcript's 5' end) of each exon, genomic order."""
        if self._offsets is None:
            lens = list(map(sub, self.exon_ends, self.exon_starts))
            if self.strand == "+":
                self._offsets = (0, *accumulate(lens[:-1]))
            else:
                lens.reverse()
                out = [0, *accumulate(lens[:-1])]
                out.reverse()
                self._offsets = tuple(out)
        return self._offsets

    @property
    def length(self) -> int:
        """Spliced (mRNA) length."""
        return sum(map(sub, self.exon_ends, self.exon_starts))

    @property
    def cds_bounds(self) -> tuple[int, int] | None:
        """(first, one-past-last) mRNA offsets of the CDS, stop codon included."""
        if self._cds_bounds is _NOTSET:
            bounds = None
            if self.is_coding:
                if self.strand == "+":
                    a = self.mrna_offset(self.cds_start)
                    b = self.mrna_offset(self.cds_end - 1)
                else:
                    a = self.mrna_offset(self.cds_end - 1)
                    b = self.mrna_offset(self.cds_start)
                if a is not None and b is not None:  # else: CDS edge in an intron
                    bounds = (a, b + 1)
            self._cds_bounds = bounds
        return self._cds_bounds  # type: ignore[return-value]

    def exon_index(self, pos: int) -> int:
        """Index (genomic order) of the exon holding base ``pos``, or -1 if none."""
        i = bisect_right(self.exon_starts, pos) - 1
        if i >= 0 and pos < self.exon_ends[i]:
            return i
        return -1

    def mrna_offset(self, pos: int) -> int | None:
        """0-based mRNA offset of genomic base ``pos``; ``None`` if not exonic."""
        i = bisect_right(self.exon_starts, pos) - 1
        if i < 0 or pos >= self.exon_ends[i]:
            return None
        if self.strand == "+":
            return self.exon_offsets[i] + pos - self.exon_starts[i]
        return self.exon_offsets[i] + self.exon_ends[i] - 1 - pos

    def overlaps(self, start: int, end: int, flank: int = 0) -> bool:
        return self.tx_start - flank < end and self.tx_end + flank > start


class GeneModel:
    """A loaded gene model: per-contig sorted numpy arrays and lazily built transcripts.

    Rows are kept as raw text lines (not tracked by the garbage collector) and parsed
    into :class:`Transcript` objects on first use.
    """

    def __init__(self, lines: list[str], *, version: str, build: str | None,
                 path: Path | None = None):
        self.version = version
        self.build = build
        self.path = path
        self._lines = lines
        self._tx: list[Transcript | None] = [None] * len(lines)
        n = len(lines)
        contig_of: list[str] = [""] * n
        starts = np.empty(n, dtype=np.int64)
        ends = np.empty(n, dtype=np.int64)
        genes: list[str] = [""] * n
        for i, line in enumerate(lines):
            f = line.split("\t", 6)
            if len(f) < 7 or line.count("\t") != 10:
                where = f"{path}: " if path else ""
                raise DataError(f"{where}malformed gene model row {i + 1}: {line[:80]!r}")
            contig_of[i] = f[0]
            starts[i] = int(f[1])
            ends[i] = int(f[2])
            genes[i] = f[5]
        self._genes_col = genes
        self._by_contig: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        contig_arr = np.asarray(contig_of)
        for contig in dict.fromkeys(contig_of):
            ix = np.flatnonzero(contig_arr == contig)
            order = np.argsort(starts[ix], kind="stable")
            ix = ix[order]
            cs, ce = starts[ix], ends[ix]
            self._by_contig[contig] = (cs, ce, np.maximum.accumulate(ce), ix)
        self._genes: dict[str, list[int]] | None = None
        self._coding: dict[str, int] | None = None
        self._n_coding: int | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path_or_build: str | Path) -> GeneModel:
        """Load a model file, or the bundled one for a build name ("GRCh37"/"GRCh38").

        Raises :class:`triage.errors.DataError` naming the path when it is missing or
        unreadable.
        """
        s = str(path_or_build)
        if isinstance(path_or_build, str) and (s in BUILDS or s.lower() in _BUILD_ALIASES):
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
        try:
            if path.suffix == ".gz":
                with gzip.open(path, "rb") as fh:
                    text = fh.read().decode("utf-8")
            else:
                text = path.read_text(encoding="utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read gene model {path}: {exc}") from exc
        lines = text.split("\n")
        if not lines[0].startswith("#triage-gene-model"):
            raise DataError(f"{path}: not a triage gene model (missing '#triage-gene-model' line)")
        meta: dict[str, str] = {}
        for kv in lines[0].split("\t")[1:]:
            k, _, v = kv.partition("=")
            meta[k] = v
        rows = [ln for ln in lines if ln and not ln.startswith("#")]
        build = meta.get("build")
        version = f"{build} {meta.get('version', 'unknown')} ({meta.get('source', 'unknown source')})"
        return cls(rows, version=version, build=build, path=path)

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self._lines)

    def contigs(self) -> list[str]:
        return list(self._by_contig)

    def transcript(self, i: int) -> Transcript:
        """The ``i``-th transcript of the file (0-based row index)."""
        tx = self._tx[i]
        if tx is None:
            tx = self._tx[i] = self._make(i)
        return tx

    def _make(self, i: int) -> Transcript:
        f = self._lines[i].split("\t")
        t0 = int(f[1])
        starts = tuple(map(t0.__add__, map(int, f[8].split(","))))
        ends = tuple(map(add, starts, map(int, f[9].split(","))))
        return Transcript(f[4], f[5], f[0], f[3], t0, int(f[2]), int(f[6]), int(f[7]),
                          starts, ends, f[10] == "1")

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
        hi = int(starts.searchsorted(end + flank, side="left"))
        lo = int(maxend.searchsorted(start - flank, side="right"))
        if lo >= hi:
            return []
        ends = _ends[lo:hi]
        sel = ix[lo:hi][ends + flank > start].tolist()
        txs = self._tx
        return [txs[i] or self.transcript(i) for i in sel]

    def _gene_index(self) -> dict[str, list[int]]:
        if self._genes is None:
            g: dict[str, list[int]] = {}
            for i, gene in enumerate(self._genes_col):
                g.setdefault(gene, []).append(i)
            self._genes = g
        return self._genes

    def genes(self) -> list[str]:
        """Sorted gene symbols."""
        return sorted(self._gene_index())

    def transcripts(self, gene: str) -> list[Transcript]:
        return [self.transcript(i) for i in self._gene_index().get(gene, [])]

    def coding_lengths(self) -> dict[str, int]:
        """Per gene: the longest CDS (bp, stop codon included) of its transcripts; for a
        gene without any usable CDS its longest mRNA. Computed once from the raw rows
        (no Transcript objects), equal to ``max(cds_bounds[1] - cds_bounds[0])``, and
        kept in the cache directory next to the compiled HPO release (JSON, keyed by the
        model file's size, mtime and version) so later processes read it in milliseconds."""
        if self._coding is None:
            self._coding, self._n_coding = self._cached_coding_lengths()
        return self._coding

    def n_coding_genes(self) -> int:
        """Number of genes with at least one coding transcript."""
        if self._n_coding is None:
            self.coding_lengths()
        return int(self._n_coding or 0)

    def _cached_coding_lengths(self) -> tuple[dict[str, int], int]:
        import hashlib
        import json
        import tempfile

        from triage.phenotype.knowledge import cache_dir

        cfile = None
        if self.path is not None:
            st = self.path.stat()
            key = hashlib.sha256(f"{self.path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.version}|2".encode())
            cfile = cache_dir() / f"coding-lengths-{key.hexdigest()[:20]}.json"
            try:
                data = json.loads(cfile.read_text())
                lengths, n = data["lengths"], data["coding_genes"]
                if isinstance(n, int) and all(isinstance(v, int) for v in lengths.values()):
                    return lengths, n
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass
        out = self._compute_coding_lengths()
        if cfile is not None:
            try:
                cfile.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile("w", dir=cfile.parent, delete=False, suffix=".tmp") as tmp:
                    json.dump({"lengths": out[0], "coding_genes": out[1]}, tmp)
                os.replace(tmp.name, cfile)
            except OSError:
                pass
        return out

    def _compute_coding_lengths(self) -> tuple[dict[str, int], int]:
        n = len(self._lines)
        cols = [ln.split("\t") for ln in self._lines]
        t0 = np.fromiter((int(f[1]) for f in cols), np.int64, n)
        cs = np.fromiter((int(f[6]) for f in cols), np.int64, n)
        ce = np.fromiter((int(f[7]) for f in cols), np.int64, n)
        n_ex = np.fromiter((f[8].count(",") + 1 for f in cols), np.int64, n)
        tx = np.repeat(np.arange(n), n_ex)
        start = t0[tx] + np.array(",".join(f[8] for f in cols).split(","), dtype=np.int64)
        length = np.array(",".join(f[9] for f in cols).split(","), dtype=np.int64)
        end = start + length
        c0, c1 = cs[tx], ce[tx]
        overlap = np.clip(np.minimum(end, c1) - np.maximum(start, c0), 0, None)
        cds = np.bincount(tx, weights=overlap, minlength=n).astype(np.int64)
        first = np.bincount(tx, weights=(start <= c0) & (c0 < end), minlength=n) > 0
        last = np.bincount(tx, weights=(start <= c1 - 1) & (c1 - 1 < end), minlength=n) > 0
        rna = np.bincount(tx, weights=length, minlength=n).astype(np.int64)
        usable = (cs < ce) & first & last  # a CDS edge in an intron is unusable
        genes, ginv = np.unique(np.asarray(self._genes_col, dtype=object), return_inverse=True)
        best_cds = np.zeros(len(genes), np.int64)
        np.maximum.at(best_cds, ginv, np.where(usable, cds, 0))
        best_rna = np.zeros(len(genes), np.int64)
        np.maximum.at(best_rna, ginv, rna)
        best = np.where(best_cds > 0, best_cds, best_rna)
        coding = np.zeros(len(genes), bool)
        np.logical_or.at(coding, ginv, cs < ce)
        return dict(zip(genes.tolist(), best.tolist(), strict=True)), int(coding.sum())

    def preferred(self, gene: str) -> list[Transcript]:
        """Preferred transcript(s) of a gene: one per contig (two for PAR genes)."""
        return [t for t in self.transcripts(gene) if t.preferred]

    def __repr__(self) -> str:
        return f"GeneModel({self.version!r}, {len(self)} transcripts)"

"""Compact transcript model (RefSeq via UCSC refGene) with fast interval lookup.

The files are written by ``scripts/build_gene_model.py`` (see ``docs/annotation.md``):
one gzip TSV per build under ``resources/gene_models/``. Coordinates are 0-based
half-open throughout this module, like the UCSC tables they come from.

Loading parses every column into numpy arrays (vectorised: a fraction of a second for
a whole genome) and builds a sorted index per contig (starts, ends, a running maximum
of ends); :class:`Transcript` objects are built from the arrays on first use and cached.
Batch methods (:meth:`GeneModel.overlap_pairs`, :meth:`GeneModel.exon_index`,
:meth:`GeneModel.cds_lengths`) serve whole VCF chunks without building them.
"""

from __future__ import annotations

import enum
import gzip
import hashlib
import logging
import os
import warnings
import zlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import sub
from pathlib import Path
from typing import Any, Final

import numpy as np

from triage.errors import DataError

log = logging.getLogger(__name__)

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


def _int_list(text: str, count: int) -> np.ndarray:
    """Comma-separated integers -> int64 array of exactly ``count`` values (ValueError otherwise)."""
    if not count:
        return np.zeros(0, np.int64)
    with warnings.catch_warnings():  # numpy warns (DeprecationWarning) where it stops parsing
        warnings.simplefilter("error")
        try:
            a = np.fromstring(text, dtype=np.int64, sep=",")
        except (DeprecationWarning, ValueError):
            raise ValueError("not a list of integers") from None
    if len(a) != count:
        raise ValueError("wrong number of values")
    return a


def bundled_path(build: str) -> Path:
    b = _BUILD_ALIASES.get(build.lower(), build)
    return resource_dir() / f"{b}.refGene.tsv.gz"


class _Unset(enum.Enum):
    """Type of the "not computed yet" marker of a cached value that may be None."""

    TOKEN = 0


_NOTSET: Final = _Unset.TOKEN


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
    _cds_bounds: tuple[int, int] | None | _Unset = field(default=_NOTSET, init=False, repr=False)

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
            return bounds
        return self._cds_bounds

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
    """A loaded gene model: per-transcript numpy columns, per-contig sorted indexes and
    lazily built :class:`Transcript` objects.

    Every column of the file is parsed into arrays at load (vectorised), so batch code
    (:meth:`overlap_pairs`, :func:`triage.variants.annotation.annotate_table`, the gene
    lengths of the genotype model) works on arrays; a :class:`Transcript` is built from
    them on first use and cached.
    """

    #: what the compiled form of a model file holds (see :meth:`load`)
    COLUMNS = ("tx_contig", "tx_id", "tx_gene", "tx_strand", "tx_start", "tx_end", "cds_start",
               "cds_end", "tx_preferred", "ex_ptr", "ex_start", "ex_end")

    def __init__(self, lines: list[str], *, version: str, build: str | None,
                 path: Path | None = None):
        """Parse the data rows of a model file (vectorised)."""
        self.path = path
        n = len(lines)
        fields = "\t".join(lines).split("\t") if n else []
        if len(fields) != 11 * n:
            self._malformed(lines)
        try:
            ints = {k: np.array(fields[k::11], dtype=np.int64) for k in (1, 2, 6, 7)}
            ex_off_txt, ex_len_txt = fields[8::11], fields[9::11]
            n_ex = np.fromiter((t.count(",") + 1 for t in ex_off_txt), dtype=np.int64, count=n)
            ex_off = _int_list(",".join(ex_off_txt), int(n_ex.sum()))
            ex_len = _int_list(",".join(ex_len_txt), int(n_ex.sum()))
        except ValueError:
            self._malformed(lines)
        if n and not np.all(np.fromiter((t.count(",") for t in ex_len_txt), dtype=np.int64, count=n) + 1 == n_ex):
            self._malformed(lines)
        ex_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_ex, out=ex_ptr[1:])
        ex_start = np.repeat(ints[1], n_ex) + ex_off
        self._setup(version, build, {
            "tx_contig": fields[0::11], "tx_id": fields[4::11], "tx_gene": fields[5::11],
            "tx_strand": fields[3::11], "tx_start": ints[1], "tx_end": ints[2], "cds_start": ints[6],
            "cds_end": ints[7], "tx_preferred": np.array([x == "1" for x in fields[10::11]], dtype=bool),
            "ex_ptr": ex_ptr, "ex_start": ex_start, "ex_end": ex_start + ex_len,
        })

    def _setup(self, version: str, build: str | None, cols: dict) -> None:
        self.version = version
        self.build = build
        #: per transcript (file row): contig (no "chr"), id, gene, strand ("+"/"-")
        self.tx_contig: list[str] = list(cols["tx_contig"])
        self.tx_id: list[str] = list(cols["tx_id"])
        self.tx_gene: list[str] = list(cols["tx_gene"])
        self.tx_strand: list[str] = list(cols["tx_strand"])
        self.tx_start, self.tx_end = cols["tx_start"], cols["tx_end"]
        self.cds_start, self.cds_end = cols["cds_start"], cols["cds_end"]
        self.tx_preferred = cols["tx_preferred"]
        self.tx_plus = np.array([x == "+" for x in self.tx_strand], dtype=bool)
        #: exons of transcript i: ex_start[ex_ptr[i]:ex_ptr[i+1]] (genomic order, 0-based)
        self.ex_ptr, self.ex_start, self.ex_end = cols["ex_ptr"], cols["ex_start"], cols["ex_end"]
        n = len(self.tx_id)
        self._tx: list[Transcript | None] = [None] * n
        self._by_contig: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        first: dict[str, int] = {}
        code = np.fromiter((first.setdefault(c, len(first)) for c in self.tx_contig), dtype=np.int64, count=n)
        by_code = np.argsort(code, kind="stable")
        bounds = np.searchsorted(code[by_code], np.arange(len(first) + 1))
        for contig, k in first.items():
            ix = by_code[bounds[k]:bounds[k + 1]]
            ix = ix[np.argsort(self.tx_start[ix], kind="stable")]
            cs, ce = self.tx_start[ix], self.tx_end[ix]
            self._by_contig[contig] = (cs, ce, np.maximum.accumulate(ce), ix)
        self._genes: dict[str, list[int]] | None = None
        self._codes: dict[str, Any] = {}
        self._lists: tuple[list, ...] | None = None

    def columns(self) -> dict:
        """The model as columns (what :meth:`load` caches)."""
        return {k: getattr(self, k) for k in self.COLUMNS}

    def _malformed(self, lines: list[str]) -> None:
        where = f"{self.path}: " if self.path else ""
        for i, line in enumerate(lines):
            f = line.split("\t")
            bad = len(f) != 11
            if not bad:
                try:
                    [int(x) for x in (f[1], f[2], f[6], f[7], *f[8].split(","), *f[9].split(","))]
                    bad = f[8].count(",") != f[9].count(",")
                except ValueError:
                    bad = True
            if bad:
                raise DataError(f"{where}malformed gene model row {i + 1}: {line[:80]!r}")
        raise DataError(f"{where}malformed gene model")

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path_or_build: str | Path) -> GeneModel:
        """Load a model file, or the bundled one for a build name ("GRCh37"/"GRCh38").

        A genome-sized model's parsed columns are kept as a :mod:`triage.columnar` file
        in the cache directory (``gene-model-<sha256 of the file>.npz``): later loads
        read that instead of parsing the text (~0.03 s instead of ~0.25 s).

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
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read gene model {path}: {exc}") from exc
        cached = _load_compiled(raw, path)
        if cached is not None:
            return cached
        try:
            text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
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
        if "preferred" in meta:  # e.g. "MANE v0.95 Select > Plus Clinical > longest CDS"
            version += f"; preferred: {meta['preferred']}"
        model = cls(rows, version=version, build=build, path=path)
        if len(rows) >= COMPILE_MIN_TRANSCRIPTS:
            _save_compiled(model, raw)
        return model

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.tx_id)

    def contigs(self) -> list[str]:
        return list(self._by_contig)

    def transcript(self, i: int) -> Transcript:
        """The ``i``-th transcript of the file (0-based row index)."""
        tx = self._tx[i]
        if tx is None:
            tx = self._tx[i] = self._make(i)
        return tx

    def _make(self, i: int) -> Transcript:
        lists = self._lists
        if lists is None:  # Python ints, sliced per transcript (cheaper than numpy scalars)
            lists = self._lists = (self.ex_ptr.tolist(), self.ex_start.tolist(), self.ex_end.tolist(),
                                   self.tx_start.tolist(), self.tx_end.tolist(),
                                   self.cds_start.tolist(), self.cds_end.tolist(),
                                   self.tx_preferred.tolist())
        ptr, exs, exe, t0, t1, c0, c1, pref = lists
        a, b = ptr[i], ptr[i + 1]
        return Transcript(self.tx_id[i], self.tx_gene[i], self.tx_contig[i], self.tx_strand[i],
                          t0[i], t1[i], c0[i], c1[i], tuple(exs[a:b]), tuple(exe[a:b]), pref[i])

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
            for i, gene in enumerate(self.tx_gene):
                g.setdefault(gene, []).append(i)
            self._genes = g
        return self._genes

    def rows_of(self, gene: str) -> list[int]:
        """File rows of a gene's transcripts (file order)."""
        return self._gene_index().get(gene, [])

    # ------------------------------------------------------------------ batch access
    def overlap_pairs(self, chroms: Sequence[str], starts: np.ndarray, ends: np.ndarray,
                      flank: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Every (query, transcript row) pair that :meth:`overlapping` would give, for many
        queries at once: query indices ascending, each query's transcripts in
        :meth:`overlapping`'s order (by transcript start)."""
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        point = ends <= starts  # an insertion point touches the bases on both sides
        s = np.where(point, starts - 1, starts)
        e = np.where(point, starts + 1, ends)
        contig_of: dict[str, str] = {}
        groups: dict[str, list[int]] = {}
        for k, c in enumerate(chroms):
            nc = contig_of.get(c)
            if nc is None:
                nc = contig_of[c] = normalize_contig(c)
            groups.setdefault(nc, []).append(k)
        qs, ts = [], []
        for contig, members in groups.items():
            entry = self._by_contig.get(contig)
            if entry is None:
                continue
            cs, ce, maxend, ix = entry
            q = np.asarray(members, dtype=np.int64)
            hi = cs.searchsorted(e[q] + flank, side="left")
            lo = maxend.searchsorted(s[q] - flank, side="right")
            cnt = np.maximum(hi - lo, 0)
            total = int(cnt.sum())
            if not total:
                continue
            qq = np.repeat(q, cnt)
            pos = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(total)
            keep = ce[pos] + flank > s[qq]
            qs.append(qq[keep])
            ts.append(ix[pos[keep]])
        if not qs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        q_all, t_all = np.concatenate(qs), np.concatenate(ts)
        order = np.argsort(q_all, kind="stable")
        return q_all[order], t_all[order]

    def exon_index(self, rows: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Per (transcript row, position): index of the last exon starting at or before
        ``pos`` (as ``bisect_right(exon_starts, pos) - 1``; -1 before the first exon)."""
        if "exon_key" not in self._codes:
            owner = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.ex_ptr))
            self._codes["exon_key"] = (owner << 32) | self.ex_start
        rows = np.asarray(rows, dtype=np.int64)
        g = self._codes["exon_key"].searchsorted((rows << 32) | np.asarray(pos, dtype=np.int64),
                                                 side="right") - 1
        return g - self.ex_ptr[rows]

    def codes(self, what: str) -> np.ndarray:
        """Integer code per transcript row of its ``"id"`` or ``"gene"``, ordered like the
        strings (equal strings, equal codes): sort keys for batch code."""
        if what not in self._codes:
            col = self.tx_id if what == "id" else self.tx_gene
            # numpy orders str arrays by code point, as Python orders str
            _, inv = np.unique(np.asarray(col, dtype=str), return_inverse=True)
            self._codes[what] = inv.astype(np.int64).reshape(-1)
        return self._codes[what]

    def cds_lengths(self) -> np.ndarray:
        """Per transcript row: exonic bases of the CDS (stop codon included) as
        ``cds_bounds`` gives them; 0 for a non-coding transcript or a CDS edge in an intron."""
        if "cds_len" not in self._codes:
            n_ex = np.diff(self.ex_ptr)
            cs = np.repeat(self.cds_start, n_ex)
            ce = np.repeat(self.cds_end, n_ex)
            ov = np.maximum(np.minimum(self.ex_end, ce) - np.maximum(self.ex_start, cs), 0)
            total = np.add.reduceat(ov, self.ex_ptr[:-1]) if len(ov) else np.zeros(0, np.int64)
            total = np.where(n_ex > 0, total, 0)

            def exonic(p: np.ndarray) -> np.ndarray:
                j = self.exon_index(np.arange(len(self)), p)
                gj = np.maximum(self.ex_ptr[:-1] + j, 0)
                return (j >= 0) & (p < self.ex_end[np.minimum(gj, len(self.ex_end) - 1)])

            coding = self.cds_start < self.cds_end
            ok = coding & exonic(self.cds_start) & exonic(self.cds_end - 1)
            self._codes["cds_len"] = np.where(ok, total, 0)
            self._codes["mrna_len"] = (np.add.reduceat(self.ex_end - self.ex_start, self.ex_ptr[:-1])
                                       if len(self.ex_start) else np.zeros(0, np.int64))
        return self._codes["cds_len"]

    def gene_max_lengths(self) -> dict[str, tuple[int, int]]:
        """Gene symbol -> (longest CDS as :meth:`cds_lengths`, longest spliced transcript)."""
        if "gene_lengths" not in self._codes:
            code = self.codes("gene")
            order = np.argsort(code, kind="stable")
            starts = np.flatnonzero(np.r_[True, np.diff(code[order]) != 0]) if len(order) else order
            cds = np.maximum.reduceat(self.cds_lengths()[order], starts) if len(order) else order
            mrna = np.maximum.reduceat(self.mrna_lengths()[order], starts) if len(order) else order
            names = [self.tx_gene[i] for i in order[starts].tolist()]
            self._codes["gene_lengths"] = dict(zip(names, zip(cds.tolist(), mrna.tolist(), strict=True),
                                                   strict=True))
        return self._codes["gene_lengths"]

    def coding_lengths(self) -> dict[str, int]:
        """Per gene: the longest CDS (bp, stop codon included) of its transcripts; for a
        gene without any usable CDS its longest mRNA (what the genotype model's gene
        length is). Equal to ``max(cds_bounds[1] - cds_bounds[0])`` over the transcripts;
        computed from the arrays, no Transcript object built."""
        if "coding_lengths" not in self._codes:
            self._codes["coding_lengths"] = {g: (c or m) for g, (c, m) in self.gene_max_lengths().items()}
        return self._codes["coding_lengths"]

    def n_coding_genes(self) -> int:
        """Number of genes with at least one coding transcript."""
        if "n_coding" not in self._codes:
            coding = self.cds_start < self.cds_end
            self._codes["n_coding"] = len({g for g, c in zip(self.tx_gene, coding.tolist(), strict=True) if c})
        return int(self._codes["n_coding"])

    def mrna_lengths(self) -> np.ndarray:
        """Per transcript row: spliced length (:attr:`Transcript.length`)."""
        self.cds_lengths()
        return self._codes["mrna_len"]

    def genes(self) -> list[str]:
        """Sorted gene symbols."""
        if "genes" not in self._codes:
            self._codes["genes"] = sorted(self._gene_index())
        return list(self._codes["genes"])

    def transcripts(self, gene: str) -> list[Transcript]:
        return [self.transcript(i) for i in self._gene_index().get(gene, [])]

    def preferred(self, gene: str) -> list[Transcript]:
        """Preferred transcript(s) of a gene: one per contig (two for PAR genes)."""
        return [t for t in self.transcripts(gene) if t.preferred]

    def __repr__(self) -> str:
        return f"GeneModel({self.version!r}, {len(self)} transcripts)"


# --------------------------------------------------------------------------- compiled form
#: bump when the compiled columns change meaning
COMPILED_FORMAT = 3  # 2: per-gene coding lengths; 3: version names the MANE preference
#: smaller models parse about as fast as their compiled form loads: not cached
COMPILE_MIN_TRANSCRIPTS = 5000
_KIND = "gene-model"


def _compiled_path(raw: bytes) -> Path:
    from triage.phenotype.knowledge import cache_dir

    key = hashlib.sha256(raw).hexdigest()[:24]
    return cache_dir() / f"gene-model-{key}.npz"


def _load_compiled(raw: bytes, path: Path) -> GeneModel | None:
    """The cached compiled form of a model file (keyed by its content), or None."""
    from triage import columnar

    cfile = _compiled_path(raw)
    if not cfile.is_file():
        return None
    try:
        head, cols = columnar.read(cfile, _KIND, COMPILED_FORMAT)
        model = GeneModel.__new__(GeneModel)
        model.path = path
        meta = head["meta"]
        model._setup(str(meta["version"]), meta["build"],
                     {k: (cols[k].tolist() if cols[k].dtype == object else cols[k]) for k in GeneModel.COLUMNS})
        # per-gene lengths, computed once when the file was compiled
        model._codes["coding_lengths"] = dict(zip(cols["length_gene"].tolist(), cols["length_bp"].tolist(),
                                                  strict=True))
        model._codes["n_coding"] = int(meta["n_coding_genes"])
        return model
    except (DataError, KeyError, TypeError, ValueError) as exc:
        log.warning("ignoring unreadable compiled gene model %s (%s)", cfile, exc)
        return None


def _save_compiled(model: GeneModel, raw: bytes) -> None:
    from triage import columnar

    cfile = _compiled_path(raw)
    try:
        lengths = model.coding_lengths()
        columnar.write(cfile, _KIND, COMPILED_FORMAT,
                       {"version": model.version, "build": model.build, "n_coding_genes": model.n_coding_genes()},
                       {**model.columns(), "length_gene": list(lengths),
                        "length_bp": np.array(list(lengths.values()), dtype=np.int64)}, compress=False)
    except OSError as exc:
        log.warning("could not write compiled gene model %s: %s", cfile, exc)

"""VCF/BCF ingest: a streaming reader that yields compact columnar chunks.

What it does, in one pass and with flat memory (one chunk in memory at a time):

* reads VCF, bgzipped or gzipped VCF and BCF through cyvcf2/htslib;
* picks the proband of a single- or multi-sample file by sample id;
* splits multiallelic records into one row per ALT, genotypes recoded relative to
  that ALT (code = number of copies of that ALT: 0 hom-ref, 1 het, 2 hom-alt,
  -1 missing; a haploid call of the ALT counts as 2, i.e. hemizygous);
* applies FILTER / QUAL (drop the row) and per-genotype GQ, DP and het allele-balance
  thresholds (the genotype becomes -1 and ``gt_failed_qc`` is set) from :class:`QualityFilter`;
* computes the in-cohort AC/AN/AF of each ALT over all samples of the file;
* detects the genome build from the ``##contig`` lengths (:func:`detect_build`).

htslib skips, mangles or rejects malformed lines without saying where they are, so a
text VCF is validated line by line *in lockstep* with cyvcf2 (Python's gzip reader,
same pass): any malformed line raises :class:`~triage.errors.InputFileError` naming
the file and the 1-based line number. BCF is binary and checked by htslib only.

Contigs are normalised internally (``chrom_norm``: no "chr", "M" -> "MT"); the
original spelling is kept in ``chrom`` for output.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import GenomeBuildError, InputFileError, TriageError

__all__ = [
    "GRCH37",
    "GRCH38",
    "QualityFilter",
    "ReadStats",
    "VariantTable",
    "VcfReader",
    "check_build",
    "detect_build",
    "detect_build_from_header",
    "iter_chunks",
    "normalize_build",
    "normalize_chrom",
    "read_vcf",
]

GRCH37 = "GRCh37"
GRCH38 = "GRCh38"

#: Primary-assembly chromosome lengths (no "chr"); MT is identical in both builds
#: (rCRS, 16569) and so is not used for detection.
_LENGTHS: dict[str, dict[str, int]] = {
    GRCH37: {
        "1": 249250621, "2": 243199373, "3": 198022430, "4": 191154276, "5": 180915260,
        "6": 171115067, "7": 159138663, "8": 146364022, "9": 141213431, "10": 135534747,
        "11": 135006516, "12": 133851895, "13": 115169878, "14": 107349540, "15": 102531392,
        "16": 90354753, "17": 81195210, "18": 78077248, "19": 59128983, "20": 63025520,
        "21": 48129895, "22": 51304566, "X": 155270560, "Y": 59373566,
    },
    GRCH38: {
        "1": 248956422, "2": 242193529, "3": 198295559, "4": 190214555, "5": 181538259,
        "6": 170805979, "7": 159345973, "8": 145138636, "9": 138394717, "10": 133797422,
        "11": 135086622, "12": 133275309, "13": 114364328, "14": 107043718, "15": 101991189,
        "16": 90338345, "17": 83257441, "18": 80373285, "19": 58617616, "20": 64444167,
        "21": 46709983, "22": 50818468, "X": 156040895, "Y": 57227415,
    },
}

_BUILD_ALIASES = {
    "grch37": GRCH37, "hg19": GRCH37, "b37": GRCH37, "hs37d5": GRCH37, "grch37p13": GRCH37,
    "37": GRCH37,
    "grch38": GRCH38, "hg38": GRCH38, "b38": GRCH38, "grch38p14": GRCH38, "38": GRCH38,
}

#: ALT alleles that are not variants of the sample: spanning deletion, gVCF non-ref.
_NON_VARIANT_ALTS = frozenset({"*", "<*>", "<NON_REF>", "<X>"})

_INT_MISSING = -2147483647  # htslib: INT32_MIN is missing, INT32_MIN + 1 is vector end


# --------------------------------------------------------------------------- contigs/build
def normalize_chrom(name: str) -> str:
    """``chr1`` -> ``1``, ``chrX`` -> ``X``, ``chrM``/``M``/``chrMT`` -> ``MT``; others unchanged."""
    n = name[3:] if name[:3].lower() == "chr" else name
    if n in ("M", "m", "MT", "mt", "Mt"):
        return "MT"
    if n in ("x", "y"):
        return n.upper()
    return n


def normalize_build(name: str) -> str:
    """Map a build alias (hg19, b37, GRCh38, ...) to ``GRCh37``/``GRCh38``."""
    key = re.sub(r"[^0-9a-z]", "", str(name).lower())
    try:
        return _BUILD_ALIASES[key]
    except KeyError:
        raise GenomeBuildError(
            f"unknown genome build {name!r}; use GRCh37 (hg19/b37) or GRCh38 (hg38)"
        ) from None


_CONTIG_RE = re.compile(r"^##contig=<(.*)>\s*$", re.MULTILINE)


def _parse_contigs(header_text: str) -> dict[str, int | None]:
    contigs: dict[str, int | None] = {}
    for m in _CONTIG_RE.finditer(header_text):
        body = m.group(1)
        cid = re.search(r"(?:^|,)ID=([^,>]+)", body)
        ln = re.search(r"(?:^|,)length=(\d+)", body)
        if cid:
            contigs[cid.group(1)] = int(ln.group(1)) if ln else None
    return contigs


def detect_build_from_header(
    contigs: Mapping[str, int | None], header_text: str = ""
) -> str | None:
    """Build from contig lengths (chr1 = 249250621 -> GRCh37, 248956422 -> GRCh38).

    Every primary chromosome whose length matches one build votes for it; a header
    with votes for both builds, or none, is undeterminable from lengths. Only then a
    single unambiguous build token in ``##reference``/``assembly=`` is used. Returns
    None when the build cannot be told.
    """
    votes = {GRCH37: 0, GRCH38: 0}
    for name, length in contigs.items():
        if length is None:
            continue
        n = normalize_chrom(name)
        for build, table in _LENGTHS.items():
            if table.get(n) == length:
                votes[build] += 1
    if votes[GRCH37] and not votes[GRCH38]:
        return GRCH37
    if votes[GRCH38] and not votes[GRCH37]:
        return GRCH38
    if votes[GRCH37] or votes[GRCH38]:
        return None  # contradictory lengths: a mixed or patched header
    found = set()
    for line in header_text.splitlines():
        if line.startswith(("##reference", "##contig", "##assembly")):
            for tok in re.findall(r"(grch3[78]|hg19|hg38|b37|hs37d5)", line.lower()):
                found.add(_BUILD_ALIASES[tok])
    return found.pop() if len(found) == 1 else None


def detect_build(path: str | Path) -> str | None:
    """Genome build of a VCF/BCF from its header (None when undeterminable)."""
    vcf = _open_cyvcf2(Path(path))
    try:
        header = vcf.raw_header
    finally:
        vcf.close()
    return detect_build_from_header(_parse_contigs(header), header)


def check_build(detected: str | None, configured: str, source: str | Path | None = None) -> str:
    """Return the normalised configured build; raise GenomeBuildError on a mismatch.

    ``detected`` None (undeterminable) is not an error: nothing can be checked.
    """
    conf = normalize_build(configured)
    if detected is None:
        return conf
    det = normalize_build(detected)
    if det != conf:
        where = f"{source}: " if source is not None else ""
        raise GenomeBuildError(
            f"{where}the VCF is {det} (its ##contig lengths, e.g. chr1 = "
            f"{_LENGTHS[det]['1']:,}, match {det}) but the configured genome build is {conf}; "
            f"lift the VCF over to {conf} or set the genome build to {det}"
        )
    return conf


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class QualityFilter:
    """Record- and genotype-level quality thresholds (None disables a threshold).

    * ``allowed_filters``: a record passes when every FILTER id is in this set
      (``None`` keeps every record whatever its FILTER);
    * ``missing_filter_passes``: FILTER ``.`` (not applied) counts as a pass;
    * ``min_qual``: record QUAL threshold (a missing QUAL passes);
    * ``min_gq`` / ``min_dp``: genotype thresholds (DP falls back to sum(AD));
    * ``het_alt_fraction``: inclusive (low, high) range of AD alt/(total) for het calls;
    * ``max_hom_ref_alt_fraction``: a hom-ref call (for this ALT) with a larger share of
      reads supporting the ALT fails (a parent with 30 % alt reads is no proof of a de novo).

    Genotype thresholds never drop a record: a failing genotype becomes missing (-1),
    so a low-quality parental hom-ref cannot confirm a de novo call. Missing GQ, DP
    or AD values are not failures (many callers omit them for hom-ref calls).
    """

    allowed_filters: frozenset[str] | None = frozenset({"PASS"})
    missing_filter_passes: bool = True
    min_qual: float | None = None
    min_gq: float | None = 20.0
    min_dp: int | None = 10
    het_alt_fraction: tuple[float, float] | None = (0.2, 0.8)
    max_hom_ref_alt_fraction: float | None = 0.15

    def __post_init__(self) -> None:
        af = self.allowed_filters
        if af is not None:
            if isinstance(af, str):
                af = [af]
            object.__setattr__(self, "allowed_filters", frozenset(str(x) for x in af))
        hr = self.max_hom_ref_alt_fraction
        if hr is not None and not (isinstance(hr, int | float) and 0.0 <= hr <= 1.0):
            raise TriageError(f"quality filter max_hom_ref_alt_fraction must be in [0, 1], got {hr!r}")
        for name in ("min_qual", "min_gq", "min_dp"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int | float) or v < 0 or math.isnan(v)):
                raise TriageError(f"quality filter {name} must be a number >= 0, got {v!r}")
        ab = self.het_alt_fraction
        if ab is not None:
            try:
                lo, hi = (float(x) for x in ab)
            except (TypeError, ValueError):
                raise TriageError(
                    f"quality filter het_alt_fraction must be (low, high), got {ab!r}"
                ) from None
            if not 0.0 <= lo <= hi <= 1.0:
                raise TriageError(
                    f"quality filter het_alt_fraction must satisfy 0 <= low <= high <= 1, got {ab!r}"
                )
            object.__setattr__(self, "het_alt_fraction", (lo, hi))

    @classmethod
    def permissive(cls) -> QualityFilter:
        """No thresholds at all: every record and every genotype is kept."""
        return cls(allowed_filters=None, min_qual=None, min_gq=None, min_dp=None,
                   het_alt_fraction=None, max_hom_ref_alt_fraction=None)

    def record_passes(self, filters: Sequence[str], qual: float | None) -> bool:
        if self.allowed_filters is not None:
            if not filters or filters == ["."]:
                if not self.missing_filter_passes:
                    return False
            elif not all(f in self.allowed_filters for f in filters):
                return False
        return not (self.min_qual is not None and qual is not None and qual < self.min_qual)


@dataclass
class ReadStats:
    """Counts of what the reader saw and dropped (records = VCF lines, rows = split ALTs)."""

    records: int = 0
    rows_seen: int = 0
    rows_kept: int = 0
    multiallelic_records: int = 0
    dropped_no_alt: int = 0
    dropped_non_variant_alt: int = 0
    dropped_filter: int = 0
    dropped_not_in_proband: int = 0
    genotypes_failed_qc: int = 0


# --------------------------------------------------------------------------- container
_ROW_FIELDS = (
    "chrom", "chrom_norm", "pos", "id", "ref", "alt", "qual", "filter", "alt_index",
    "n_alts", "record_index", "gt", "gt_failed_qc", "phased", "gq", "dp", "alt_fraction",
    "cohort_ac", "cohort_an", "cohort_af",
)


class ProbandView:
    """The proband's column of a per-sample genotype matrix; shared by the variant tables.

    Needs ``samples``, ``proband_index`` and ``gt`` (rows x samples) on the class.
    """

    samples: Sequence[str]
    proband_index: int
    gt: np.ndarray

    @property
    def proband(self) -> str:
        return self.samples[self.proband_index]

    @property
    def proband_gt(self) -> np.ndarray:
        return self.gt[:, self.proband_index]


@dataclass
class VariantTable(ProbandView):
    """Columnar variants: one row per (record, ALT); per-sample columns are (rows, samples).

    ``samples`` are the kept sample columns, ``proband_index`` indexes into them.
    ``alt_index`` is the 1-based position of ``alt`` in the record's original ALT
    list and ``n_alts`` that list's length (> 1: the row comes from a split
    multiallelic record). ``info`` maps each requested INFO id to an object array of
    raw values (Number=A: the value of this ALT; Number=R: (ref value, this ALT's
    value); Flag: bool; others, e.g. CSQ/ANN: as in the file, for all ALTs; None when absent).
    """

    samples: tuple[str, ...]
    proband_index: int
    chrom: np.ndarray  # object: contig as in the file
    chrom_norm: np.ndarray  # object: no "chr", MT for the mitochondrion
    pos: np.ndarray  # int64, 1-based
    id: np.ndarray  # object, None when "."
    ref: np.ndarray  # object
    alt: np.ndarray  # object
    qual: np.ndarray  # float32, NaN when "."
    filter: np.ndarray  # object: "PASS", "." or "f1;f2"
    alt_index: np.ndarray  # int16
    n_alts: np.ndarray  # int16
    record_index: np.ndarray  # int64, 0-based ordinal of the record in the file
    gt: np.ndarray  # int8 (rows, samples): 0, 1, 2, -1
    gt_failed_qc: np.ndarray  # bool (rows, samples): called but set to -1 by QC
    phased: np.ndarray  # bool (rows, samples)
    gq: np.ndarray  # float32 (rows, samples), NaN missing
    dp: np.ndarray  # int32 (rows, samples), -1 missing
    alt_fraction: np.ndarray  # float32 (rows, samples): AD[alt]/sum(AD), NaN missing
    cohort_ac: np.ndarray  # int32: copies of this ALT over all samples of the file
    cohort_an: np.ndarray  # int32: called alleles over all samples of the file
    cohort_af: np.ndarray  # float32: AC/AN, NaN when AN == 0
    info: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.pos.shape[0])

    def sample_gt(self, sample: str) -> np.ndarray:
        try:
            return self.gt[:, self.samples.index(sample)]
        except ValueError:
            raise KeyError(f"sample {sample!r} not loaded; loaded: {', '.join(self.samples)}") from None

    def take(self, index: np.ndarray | Sequence[int] | slice) -> VariantTable:
        """Rows selected by a boolean mask, an index array or a slice."""
        kw: dict[str, Any] = {n: getattr(self, n)[index] for n in _ROW_FIELDS}
        kw["info"] = {k: v[index] for k, v in self.info.items()}
        return VariantTable(samples=self.samples, proband_index=self.proband_index, **kw)

    @classmethod
    def concat(cls, tables: Sequence[VariantTable]) -> VariantTable:
        if not tables:
            raise ValueError("concat of no tables")
        first = tables[0]
        for t in tables[1:]:
            if t.samples != first.samples or t.info.keys() != first.info.keys():
                raise ValueError("cannot concatenate tables with different samples or INFO fields")
        kw: dict[str, Any] = {n: np.concatenate([getattr(t, n) for t in tables]) for n in _ROW_FIELDS}
        kw["info"] = {k: np.concatenate([t.info[k] for t in tables]) for k in first.info}
        return cls(samples=first.samples, proband_index=first.proband_index, **kw)

    @classmethod
    def empty(cls, samples: Sequence[str], proband_index: int,
              info_fields: Iterable[str] = ()) -> VariantTable:
        return _empty_table(tuple(samples), proband_index, tuple(info_fields))

    def key(self, i: int) -> tuple[str, int, str, str]:
        """(original chrom, pos, ref, alt) of row ``i``."""
        return (self.chrom[i], int(self.pos[i]), self.ref[i], self.alt[i])


def _obj(xs: Sequence[Any]) -> np.ndarray:
    a = np.empty(len(xs), dtype=object)
    a[:] = list(xs)
    return a


def _empty_table(samples: tuple[str, ...], proband_index: int,
                 info_fields: tuple[str, ...]) -> VariantTable:
    s = len(samples)
    return VariantTable(
        samples=samples, proband_index=proband_index,
        chrom=_obj([]), chrom_norm=_obj([]), pos=np.empty(0, np.int64), id=_obj([]),
        ref=_obj([]), alt=_obj([]), qual=np.empty(0, np.float32), filter=_obj([]),
        alt_index=np.empty(0, np.int16), n_alts=np.empty(0, np.int16),
        record_index=np.empty(0, np.int64), gt=np.empty((0, s), np.int8),
        gt_failed_qc=np.empty((0, s), bool), phased=np.empty((0, s), bool),
        gq=np.empty((0, s), np.float32), dp=np.empty((0, s), np.int32),
        alt_fraction=np.empty((0, s), np.float32), cohort_ac=np.empty(0, np.int32),
        cohort_an=np.empty(0, np.int32), cohort_af=np.empty(0, np.float32),
        info={k: _obj([]) for k in info_fields},
    )


# --------------------------------------------------------------------------- validation
def _sniff(path: Path) -> tuple[bool, bool]:
    """(compressed, is_bcf) from magic bytes, not the file name."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(3)
        except (OSError, EOFError, zlib.error):
            head = b""
        return True, head == b"BCF"
    with open(path, "rb") as fh:
        head = fh.read(3)
    return False, head == b"BCF"


class _TextValidator:
    """Reads a text VCF line by line (plain or gzip/BGZF) and checks every line.

    The header is consumed by ``__init__``; :meth:`records` then yields
    ``(line_no, chrom, pos)`` for each data line (``chrom`` None for a blank line).
    """

    def __init__(self, path: Path, compressed: bool):
        self.path = path
        opener = gzip.open if compressed else open
        self._fh = opener(path, "rt", encoding="utf-8", errors="surrogateescape")
        self.line_no = 0
        self.n_columns = 0
        try:
            self._read_header()
        except BaseException:
            self._fh.close()
            raise

    def close(self) -> None:
        self._fh.close()

    def _err(self, message: str, line: int | None = None) -> InputFileError:
        return InputFileError(str(self.path), message, self.line_no if line is None else line)

    def _next_line(self) -> str | None:
        try:
            line = self._fh.readline()
        except EOFError:
            raise InputFileError(
                str(self.path),
                f"compressed file ends unexpectedly after line {self.line_no} (truncated download?)",
                self.line_no + 1,
            ) from None
        except (OSError, zlib.error) as exc:
            raise InputFileError(
                str(self.path), f"corrupt compressed data after line {self.line_no}: {exc}",
                self.line_no + 1,
            ) from None
        if not line:
            return None
        self.line_no += 1
        return line.rstrip("\r\n")

    def _read_header(self) -> None:
        first = self._next_line()
        if first is None:
            raise InputFileError(str(self.path), "empty file: no VCF header", None)
        if not first.startswith("##fileformat=VCF"):
            raise self._err("not a VCF: the first line must be ##fileformat=VCFv4.x")
        while True:
            line = self._next_line()
            if line is None:
                raise self._err("no #CHROM header line (header is incomplete)", self.line_no + 1)
            if line.startswith("##"):
                continue
            if line.startswith("#CHROM"):
                cols = line.split("\t")
                if len(cols) < 8:
                    raise self._err(
                        f"#CHROM header line has {len(cols)} tab-separated columns, expected >= 8"
                    )
                self.n_columns = len(cols)
                return
            raise self._err("expected a ## meta line or the #CHROM header line")

    def records(self) -> Iterator[tuple[int, str | None, int]]:
        ncol = self.n_columns
        try:
            for line in self._fh:  # the line keeps its newline: no column check depends on it
                self.line_no += 1
                if line.isspace():
                    yield self.line_no, None, 0
                    continue
                n = line.count("\t") + 1
                if n != ncol:
                    raise self._err(
                        f"expected {ncol} tab-separated columns (as in the #CHROM line), found {n}"
                    )
                chrom, pos, _id, ref, alt, qual, _rest = line.split("\t", 6)
                if not chrom or chrom[0] == "#":
                    raise self._err(f"invalid CHROM {chrom!r}")
                if not pos.isdigit() or not pos.isascii():
                    raise self._err(f"POS {pos!r} is not a positive integer")
                if not ref or not alt:
                    raise self._err("empty REF or ALT column")
                if qual != ".":
                    try:
                        float(qual)
                    except ValueError:
                        raise self._err(f"QUAL {qual!r} is not a number or '.'") from None
                yield self.line_no, chrom, int(pos)
        except EOFError:
            raise InputFileError(
                str(self.path),
                f"compressed file ends unexpectedly after line {self.line_no} (truncated download?)",
                self.line_no + 1,
            ) from None
        except (OSError, zlib.error) as exc:
            raise InputFileError(
                str(self.path), f"corrupt compressed data after line {self.line_no}: {exc}",
                self.line_no + 1,
            ) from None


_HTSLIB_QUIET = False


def quiet_htslib() -> None:
    """Turn off htslib's own ``[W::...]``/``[E::...]`` stderr lines (cyvcf2's and pysam's copies).

    They would reach a user before, and instead of, our one-line error naming the file
    and line (every problem htslib warns about is checked here, with a location). Both
    wheels link htslib statically, each with its own log level; process-wide, once.
    """
    global _HTSLIB_QUIET
    if _HTSLIB_QUIET:
        return
    _HTSLIB_QUIET = True
    try:
        import ctypes

        import cyvcf2.cyvcf2 as ext

        ctypes.CDLL(ext.__file__).hts_set_log_level(0)  # HTS_LOG_OFF
    except (ImportError, OSError, AttributeError):  # pragma: no cover - other builds
        pass
    try:
        import pysam

        pysam.set_verbosity(0)
    except (ImportError, AttributeError):  # pragma: no cover
        pass


def _open_cyvcf2(path: Path, samples: Sequence[str] | None = None) -> Any:
    from cyvcf2 import VCF  # imported lazily: an optional dependency ("pipeline" extra)

    quiet_htslib()

    if not path.exists():
        raise InputFileError(str(path), "file not found")
    if path.is_dir():
        raise InputFileError(str(path), "is a directory, not a VCF file")
    try:
        return VCF(str(path), samples=list(samples) if samples is not None else None)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for bad headers
        raise InputFileError(str(path), f"not a readable VCF/BCF ({exc})") from None


# --------------------------------------------------------------------------- reader
def _info_reader(vcf: Any, name: str) -> tuple[str, str]:
    try:
        h = vcf.get_header_type(name)
    except KeyError:
        return ".", "String"
    return str(h.get("Number", ".")), str(h.get("Type", "String"))


class VcfReader:
    """Streaming reader: ``for chunk in VcfReader(path, "HG002"): ...``.

    Parameters
    ----------
    path: VCF, VCF.gz (bgzip or gzip) or BCF.
    proband: sample id of the proband; may be omitted for a single-sample file.
    samples: sample columns to keep in the chunks (default: all; must include the
        proband). The cohort AC/AN always counts every sample of the file.
    quality: thresholds (default :class:`QualityFilter()`).
    info_fields: INFO ids whose raw values are carried (e.g. ``("CSQ", "gnomADe_AF")``).
    carriers_only: drop rows where the proband's (QC-passed) genotype carries no copy
        of the ALT (default True; set False to keep every row).
    chunk_size: records read per chunk (a chunk holds their split, filtered rows;
        empty chunks are not yielded).
    validate: check every text line (line-numbered errors). Turning it off saves the
        second decompression but leaves htslib's unlocated errors.

    Attributes available after construction: ``all_samples``, ``samples``,
    ``proband``, ``contigs`` (id -> length), ``build`` (detected, or None),
    ``chr_prefix`` (True/False/None), ``stats`` (:class:`ReadStats`, filled while reading).
    """

    def __init__(
        self,
        path: str | Path,
        proband: str | None = None,
        *,
        samples: Sequence[str] | None = None,
        quality: QualityFilter | None = None,
        info_fields: Sequence[str] = (),
        carriers_only: bool = True,
        chunk_size: int = 20_000,
        validate: bool = True,
    ):
        self.path = Path(path)
        self.quality = quality if quality is not None else QualityFilter()
        self.info_fields = tuple(info_fields)
        self.carriers_only = carriers_only
        if chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")
        self.chunk_size = int(chunk_size)
        self.stats = ReadStats()
        self._validator: _TextValidator | None = None

        self._vcf: Any | None = None  # the cyvcf2.VCF; None once closed
        if not self.path.is_file():
            raise InputFileError(str(self.path), "file not found" if not self.path.exists()
                                 else "not a regular file")
        try:
            compressed, is_bcf = _sniff(self.path)
        except OSError as exc:
            raise InputFileError(str(self.path), f"cannot read file ({exc.strerror or exc})") from None
        self.is_bcf = is_bcf
        if validate and not is_bcf:  # header errors get line numbers before htslib sees them
            self._validator = _TextValidator(self.path, compressed)
        try:
            self._vcf = _open_cyvcf2(self.path)
            self.all_samples: tuple[str, ...] = tuple(self._vcf.samples)
            self._resolve_samples(proband, samples)
            header = self._vcf.raw_header
            self.contigs = _parse_contigs(header)
            self.build = detect_build_from_header(self.contigs, header)
            names = list(self.contigs)
            self.chr_prefix = (
                None if not names else all(n.lower().startswith("chr") for n in names)
            )
            self._info_specs = {k: _info_reader(self._vcf, k) for k in self.info_fields}
        except BaseException:
            self.close()
            raise
        self._consumed = False

    def _resolve_samples(self, proband: str | None, samples: Sequence[str] | None) -> None:
        avail = self.all_samples

        def listing() -> str:
            shown = ", ".join(avail[:30])
            return shown + (f", ... ({len(avail)} samples)" if len(avail) > 30 else "")

        if not avail:
            raise InputFileError(
                str(self.path), "the VCF has no sample columns (sites-only); a genotyped proband is needed"
            )
        if proband is None:
            if len(avail) > 1:
                raise InputFileError(
                    str(self.path),
                    f"multi-sample VCF: name the proband by sample id; available samples: {listing()}",
                )
            proband = avail[0]
        if proband not in avail:
            raise InputFileError(
                str(self.path), f"proband sample {proband!r} is not in the VCF; available samples: {listing()}"
            )
        keep = list(avail) if samples is None else list(dict.fromkeys(samples))
        missing = [s for s in keep if s not in avail]
        if missing:
            raise InputFileError(
                str(self.path),
                f"sample(s) {', '.join(map(repr, missing))} not in the VCF; available samples: {listing()}",
            )
        if proband not in keep:
            keep.insert(0, proband)
        self.proband = proband
        self.samples: tuple[str, ...] = tuple(keep)
        self._keep_idx = np.array([avail.index(s) for s in keep], dtype=np.intp)
        self._proband_col = avail.index(proband)
        self._all_kept = self._keep_idx.tolist() == list(range(len(avail)))

    # -- lifecycle
    def close(self) -> None:
        if self._validator is not None:
            self._validator.close()
            self._validator = None
        vcf = getattr(self, "_vcf", None)
        if vcf is not None:
            vcf.close()
            self._vcf = None

    def __enter__(self) -> VcfReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[VariantTable]:
        return self.chunks()

    # -- reading
    def _open_vcf(self) -> Any:
        """The open cyvcf2.VCF (RuntimeError once the reader is closed)."""
        if self._vcf is None:
            raise RuntimeError("the VcfReader is closed")
        return self._vcf

    def _records(self) -> Iterator[tuple[int | None, Any]]:
        """cyvcf2 records paired with their validated text line (None for BCF)."""
        path = str(self.path)
        validator = self._validator
        text = validator.records() if validator is not None else None
        it = iter(self._open_vcf())
        n = 0
        while True:
            try:
                rec = next(it)
            except StopIteration:
                break
            except Exception as exc:  # htslib parse error: locate it via the text reader
                if text is None or validator is None:
                    raise InputFileError(path, f"cannot read record {n + 1} ({exc})") from None
                # Drain the text reader: a validation or truncation error found there is
                # the precise cause (error path only, so the extra work does not matter).
                first: tuple[int, str | None, int] | None = None
                nonblank = False
                for item in text:
                    if first is None:
                        first = item
                    nonblank = nonblank or item[1] is not None
                if first is None:
                    raise InputFileError(
                        path, f"cannot read past line {validator.line_no} ({exc})"
                    ) from None
                if not nonblank:
                    break  # only blank lines left: htslib chokes on them, nothing is lost
                msg = ("empty line in the data section" if first[1] is None
                       else f"htslib cannot parse this record ({exc})")
                raise InputFileError(path, msg, first[0]) from None
            n += 1
            if text is None:
                yield None, rec
                continue
            entry = next(text, None)
            while entry is not None and entry[1] is None and rec.CHROM != "":
                entry = next(text, None)  # a blank line htslib skipped
            if entry is None:
                raise InputFileError(path, f"htslib read a record ({rec.CHROM}:{rec.POS}) "
                                           "past the end of the text")
            ln, chrom, pos = entry
            if chrom is None:  # htslib turned a blank line into an empty record: skip both
                continue
            if pos != rec.POS or chrom != rec.CHROM:
                raise InputFileError(
                    path, f"htslib read this record as {rec.CHROM}:{rec.POS} (malformed line)", ln
                )
            yield ln, rec
        if text is not None:
            rest = next(text, None)  # also surfaces truncation errors at the very end
            while rest is not None and rest[1] is None:
                rest = next(text, None)
            if rest is not None:
                raise InputFileError(path, "htslib stopped reading before this line", rest[0])

    def chunks(self) -> Iterator[VariantTable]:
        """Yield :class:`VariantTable` chunks, one per ``chunk_size`` records read (single use)."""
        if self._consumed or self._vcf is None:
            raise RuntimeError("a VcfReader can be iterated once")
        self._consumed = True
        try:
            yield from self._chunks()
        finally:
            self.close()

    def _chunks(self) -> Iterator[VariantTable]:
        qf = self.quality
        st = self.stats
        pcol = self._proband_col
        carriers_only = self.carriers_only
        info_names = tuple(self._info_specs)
        chrom_cache: dict[str, tuple[str, str]] = {}
        batch = _Batch()
        rec_index = -1
        # FORMAT fields absent from the header (e.g. a GT-only VCF) are read as missing:
        # cyvcf2 raises KeyError when asked for an undeclared field
        vcf = self._open_vcf()
        declared = set()
        for fld in ("GQ", "DP", "AD"):
            try:
                vcf.get_header_type(fld)
                declared.add(fld)
            except KeyError:
                pass
        has_gq, has_dp, has_ad = ("GQ" in declared), ("DP" in declared), ("AD" in declared)
        filter_memo: dict[tuple[str, ...], bool] = {}
        min_qual = qf.min_qual

        contigs = self.contigs
        path = str(self.path)
        for ln, rec in self._records():
            rec_index += 1
            st.records += 1
            alts = rec.ALT
            n_alts = len(alts)
            chrom = rec.CHROM
            cc = chrom_cache.get(chrom)
            if cc is None:
                if contigs and chrom not in contigs:
                    # htslib only warns (and invents the contig); a typo or a VCF cut
                    # from another reference must not pass silently
                    raise InputFileError(path, _where(ln, rec_index) + f"CHROM {chrom!r} is not declared "
                                         f"in the header (##contig lines: {_listing(contigs)})", ln)
                cc = chrom_cache[chrom] = (chrom, normalize_chrom(chrom))
            if not n_alts:
                st.dropped_no_alt += 1
                continue
            st.rows_seen += n_alts
            if n_alts > 1:
                st.multiallelic_records += 1
            qual = rec.QUAL
            filters = rec.FILTERS
            fkey = tuple(filters)
            fpass = filter_memo.get(fkey)
            if fpass is None:  # (record_passes without QUAL: the same for every record)
                fpass = filter_memo[fkey] = qf.record_passes(filters, None)
            if not fpass or (min_qual is not None and qual is not None and qual < min_qual):
                st.dropped_filter += n_alts
                continue
            g = rec.genotype
            garr = g.array() if g is not None else None
            if garr is None:
                if carriers_only:
                    st.dropped_not_in_proband += n_alts
                    continue
                garr = np.full((len(self.all_samples), 3), -1, dtype=np.int16)
            else:
                if garr.shape[1] != 3:
                    garr = _to_diploid(garr)
                if int(garr[:, :2].max()) > n_alts:
                    bad = int(np.argmax(garr[:, :2].max(axis=1)))
                    raise InputFileError(
                        path, _where(ln, rec_index) + f"genotype of sample {self.all_samples[bad]!r} "
                        f"names allele {int(garr[bad, :2].max())} but the record has {n_alts} ALT "
                        f"allele(s)", ln)
            if carriers_only and garr[pcol, 0] <= 0 and garr[pcol, 1] <= 0:
                st.dropped_not_in_proband += n_alts  # cheap pre-check: no ALT allele at all
                continue
            batch.add(
                garr, rec.format("GQ") if has_gq else None, rec.format("DP") if has_dp else None,
                rec.format("AD") if has_ad else None,
                cc, rec.POS, rec.ID, rec.REF, alts, qual,
                "PASS" if filters == ["PASS"] else (";".join(filters) if filters else "."),
                rec_index,
                [rec.INFO.get(k) for k in info_names] if info_names else (),
            )
            if len(batch) >= self.chunk_size:
                table = self._process(batch)
                batch = _Batch()
                if len(table):
                    yield table

        if st.records == 0:
            raise InputFileError(str(self.path), "no variant records (the VCF has a header only)")
        if len(batch):
            table = self._process(batch)
            if len(table):
                yield table

    def _process(self, b: _Batch) -> VariantTable:
        """Split ALTs, recode genotypes, apply genotype QC: vectorised over the batch."""
        qf = self.quality
        st = self.stats
        n_all = len(self.all_samples)
        pidx = self.samples.index(self.proband)
        # rows = (record, ALT) pairs, ALTs that are not variants dropped
        rec_of_row: list[int] = []
        k_of_row: list[int] = []
        for r, alts in enumerate(b.alts):
            for k, alt in enumerate(alts, start=1):
                if alt in _NON_VARIANT_ALTS:
                    st.dropped_non_variant_alt += 1
                else:
                    rec_of_row.append(r)
                    k_of_row.append(k)
        if not rec_of_row:
            return _empty_table(self.samples, pidx, self.info_fields)
        rr = np.asarray(rec_of_row, dtype=np.intp)
        kk = np.asarray(k_of_row, dtype=np.int16)

        G = np.stack(b.garr)  # (records, samples, 3): allele 0, allele 1, phased
        a0, a1 = G[:, :, 0], G[:, :, 1]
        haploid = a1 == -2
        missing = (a0 < 0) | (a1 == -1)
        phased_rec = (G[:, :, 2] == 1) & ~haploid & ~missing
        an_rec = ((a0 >= 0).sum(axis=1) + (a1 >= 0).sum(axis=1)).astype(np.int32)

        ra0, ra1 = a0[rr], a1[rr]
        kcol = kk[:, None]
        is0 = ra0 == kcol
        code = is0.astype(np.int8) + (ra1 == kcol)
        hap = haploid[rr]
        code[hap] = 2 * is0[hap]
        code[missing[rr]] = -1
        ac = (is0.sum(axis=1) + (ra1 == kcol).sum(axis=1)).astype(np.int32)
        an = an_rec[rr]

        gq_rec = _stack_format(b.gq, n_all, float_out=True)
        dp_rec = _stack_format(b.dp, n_all, float_out=False)
        ad_tot_rec, frac = _alt_fractions(b.ad, b.alts, n_all, rr, kk)
        dp_eff = dp_rec.astype(np.float64)
        dp_eff[dp_rec < 0] = np.nan
        fill = np.isnan(dp_eff) & ~np.isnan(ad_tot_rec)
        dp_eff[fill] = ad_tot_rec[fill]

        fail = np.zeros(code.shape, dtype=bool)
        if qf.min_gq is not None:
            fail |= (gq_rec < qf.min_gq)[rr]  # NaN compares False: missing passes
        if qf.min_dp is not None:
            fail |= (dp_eff < qf.min_dp)[rr]
        if qf.het_alt_fraction is not None:
            lo, hi = qf.het_alt_fraction
            fail |= (code == 1) & ((frac < lo) | (frac > hi))
        if qf.max_hom_ref_alt_fraction is not None:
            fail |= (code == 0) & (frac > qf.max_hom_ref_alt_fraction)
        fail &= code >= 0
        code[fail] = -1

        keep_rows = code[:, self._proband_col] > 0 if self.carriers_only else None
        if keep_rows is not None:
            st.dropped_not_in_proband += int((~keep_rows).sum())
            rr, kk, code, fail, frac, ac, an = (
                x[keep_rows] for x in (rr, kk, code, fail, frac, ac, an)
            )
        cols = None if self._all_kept else self._keep_idx

        def sel(m: np.ndarray) -> np.ndarray:
            return m if cols is None else m[:, cols]

        n_rows = rr.shape[0]
        st.rows_kept += n_rows
        failed = sel(fail)
        st.genotypes_failed_qc += int(failed.sum())
        alts_rows = [b.alts[r][k - 1] for r, k in zip(rr.tolist(), kk.tolist(), strict=True)]
        info: dict[str, np.ndarray] = {}
        for j, (name, (number, typ)) in enumerate(self._info_specs.items()):
            info[name] = _obj([
                _info_value(b.info[r][j], number, typ, k)
                for r, k in zip(rr.tolist(), kk.tolist(), strict=True)
            ])
        with np.errstate(invalid="ignore", divide="ignore"):
            af = np.where(an > 0, ac / np.maximum(an, 1), np.nan).astype(np.float32)
        return VariantTable(
            samples=self.samples,
            proband_index=pidx,
            chrom=_obj([b.chrom[r][0] for r in rr.tolist()]),
            chrom_norm=_obj([b.chrom[r][1] for r in rr.tolist()]),
            pos=np.asarray(b.pos, dtype=np.int64)[rr],
            id=_obj(b.ids)[rr],
            ref=_obj(b.ref)[rr],
            alt=_obj(alts_rows),
            qual=np.asarray(b.qual, dtype=np.float32)[rr],
            filter=_obj(b.filter)[rr],
            alt_index=kk.astype(np.int16),
            n_alts=np.asarray([len(a) for a in b.alts], dtype=np.int16)[rr],
            record_index=np.asarray(b.rec_index, dtype=np.int64)[rr],
            gt=sel(code).astype(np.int8, copy=False),
            gt_failed_qc=failed,
            phased=sel(phased_rec[rr]),
            gq=sel(gq_rec[rr]).astype(np.float32),
            dp=sel(dp_rec[rr]).astype(np.int32),
            alt_fraction=sel(frac).astype(np.float32),
            cohort_ac=ac,
            cohort_an=an,
            cohort_af=af,
            info=info,
        )


class _Batch:
    """Raw per-record values of one chunk, processed together by VcfReader._process."""

    __slots__ = ("garr", "gq", "dp", "ad", "chrom", "pos", "ids", "ref", "alts", "qual",
                 "filter", "rec_index", "info")

    garr: list[np.ndarray]  # (samples, 3) genotype arrays
    gq: list[Any]  # raw cyvcf2 FORMAT arrays (None when the field is not declared)
    dp: list[Any]
    ad: list[Any]
    chrom: list[tuple[str, str]]  # (as in the file, normalised)
    pos: list[int]
    ids: list[str | None]
    ref: list[str]
    alts: list[list[str]]
    qual: list[float]  # NaN when missing
    filter: list[str]
    rec_index: list[int]
    info: list[Sequence[Any]]  # the requested INFO values, in VcfReader._info_specs order

    def __init__(self) -> None:
        self.garr, self.gq, self.dp, self.ad = [], [], [], []
        self.chrom, self.pos, self.ids, self.ref, self.alts = [], [], [], [], []
        self.qual, self.filter, self.rec_index, self.info = [], [], [], []

    def __len__(self) -> int:
        return len(self.pos)

    def add(self, garr: np.ndarray, gq: Any, dp: Any, ad: Any, chrom: tuple[str, str], pos: int,
            rid: str | None, ref: str, alts: list[str], qual: float | None, filt: str,
            rec_index: int, info: Sequence[Any]) -> None:
        self.garr.append(garr)
        self.gq.append(gq)
        self.dp.append(dp)
        self.ad.append(ad)
        self.chrom.append(chrom)
        self.pos.append(pos)
        self.ids.append(rid)
        self.ref.append(ref)
        self.alts.append(alts)
        self.qual.append(np.nan if qual is None else qual)
        self.filter.append(filt)
        self.rec_index.append(rec_index)
        self.info.append(info)


def _where(line: int | None, rec_index: int) -> str:
    """'' for a text VCF (the error names the line); 'record N: ' for BCF."""
    return "" if line is not None else f"record {rec_index + 1}: "


def _listing(names: Iterable[str], limit: int = 10) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} contigs)" if len(names) > limit else "")


def _to_diploid(garr: np.ndarray) -> np.ndarray:
    """(samples, ploidy + 1) -> (samples, 3): haploid padded with -2, polyploid truncated."""
    out = np.full((garr.shape[0], 3), -2, dtype=np.int16)
    out[:, 0] = garr[:, 0]
    if garr.shape[1] >= 3:
        out[:, 1] = garr[:, 1]
    out[:, 2] = garr[:, -1]
    return out


def _stack_format(values: list[Any], n: int, float_out: bool) -> np.ndarray:
    """First value of a per-sample FORMAT field for each record: float (NaN missing)
    or int32 (-1 missing)."""
    shapes = {None if v is None else v.shape for v in values}
    only = next(iter(shapes)) if len(shapes) == 1 else None
    if only is not None and only[0] == n:
        m = np.stack(values)[:, :, 0].astype(np.float64)  # fast path: one shape for all
    else:
        rows = []
        for v in values:
            if v is None or v.shape[0] != n:
                rows.append(np.full(n, np.nan))
            else:
                rows.append(v[:, 0])
        m = np.stack(rows).astype(np.float64)
    m[m <= _INT_MISSING] = np.nan
    if float_out:
        return m
    out = np.where(np.isnan(m), -1, m)
    return out.astype(np.int32)


def _alt_fractions(ad: list[Any], alts: list[list[str]], n: int, rr: np.ndarray,
                   kk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(total AD per record/sample, AD[alt]/total per row/sample); NaN where unknown."""
    n_rec = len(ad)
    width = max((len(a) + 1 for a in alts), default=2)
    A = np.full((n_rec, n, width), np.nan)
    shapes = {(v.shape if v is not None else None) for v in ad}
    if len(shapes) == 1 and None not in shapes and next(iter(shapes)) == (n, width):
        A = np.stack(ad).astype(np.float64)  # fast path: every record has the same shape
    else:
        for r, v in enumerate(ad):
            if v is not None and v.shape[0] == n and v.shape[1] == len(alts[r]) + 1:
                A[r, :, : v.shape[1]] = v
    A[A <= _INT_MISSING] = np.nan
    tot = np.nansum(A, axis=2)
    tot[np.isnan(A[:, :, 0])] = np.nan  # any missing value: total unknown
    for j in range(1, width):
        col = np.isnan(A[:, :, j])
        has = np.array([len(a) >= j for a in alts])[:, None]
        tot[col & has] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = A[rr, :, kk] / tot[rr]
    frac[~(tot[rr] > 0)] = np.nan
    return tot, frac


def _info_value(value: Any, number: str, typ: str, k: int) -> Any:
    if typ == "Flag":
        return bool(value)
    if value is None:
        return None
    if number in ("A", "R"):
        vals = value if isinstance(value, tuple) else (value,)
        if number == "A":
            return vals[k - 1] if k - 1 < len(vals) else None
        return (vals[0], vals[k]) if k < len(vals) else None
    return value


# --------------------------------------------------------------------------- convenience
def iter_chunks(path: str | Path, proband: str | None = None, **kwargs: Any) -> Iterator[VariantTable]:
    """Stream :class:`VariantTable` chunks (flat memory); kwargs as for :class:`VcfReader`."""
    reader = VcfReader(path, proband, **kwargs)
    yield from reader.chunks()


def read_vcf(path: str | Path, proband: str | None = None, **kwargs: Any) -> VariantTable:
    """Read a whole (exome-sized) VCF into one :class:`VariantTable`."""
    reader = VcfReader(path, proband, **kwargs)
    parts = list(reader.chunks())
    if not parts:
        return VariantTable.empty(reader.samples, reader.samples.index(reader.proband),
                                  reader.info_fields)
    return parts[0] if len(parts) == 1 else VariantTable.concat(parts)

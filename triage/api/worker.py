"""Case runner and the background worker that executes queued cases.

``run_case`` turns a submitted case into a result: it validates and reads the VCF
with cyvcf2 (records counted, proband sample found, genome build detected from the
``##contig`` lengths and checked against the requested build; problems fail the case
with a reason a user can act on), annotates it once and ranks it.

VCF + phenotype ranking uses the workflow's own code (:mod:`triage.prioritize`):

* the VCF step validates the file (samples, genome build) and runs
  ``ingest_annotate`` once; its ``AnnotatedCase`` is stored under
  ``data_dir/annotations/`` keyed by an opaque hash of the upload, the exact sample id,
  the build and the config (same inputs -> reused);
* ranking runs ``rank_case`` + ``build_result`` (the one path) on the stored
  annotation, which is also what ``PATCH /v1/cases/{id}/phenotypes`` calls, so new
  phenotypes never re-annotate;
* both use :class:`CaseRanking`: the engine plus the workflow config of
  ``Settings.config_file`` (built-in defaults without one).

``run_patient`` is not used: it logs result warnings, which can quote patient input,
and this service keeps patient data out of its logs.

Restart safety: a case is claimed in the database (status ``running``, ``worker`` =
this worker's id, ``attempts`` + 1) and heartbeaten while it runs. On startup and
periodically, running cases whose worker is dead (same host, pid gone) or whose
heartbeat is older than the lease are re-queued; after ``max_attempts`` they are
failed with a reason. A case is therefore never silently lost.

Test hook: ``TRIAGE_TEST_CASE_DELAY=<seconds>`` makes :func:`run_case` sleep that
long (reporting progress) after reading the VCF, so tests can kill the server while
a case is running. Never set it in production.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.api.storage import CaseRow, Storage
from triage.errors import GenomeBuildError, InputFileError, TriageError
from triage.models import ScreenResult, TriageResult, Warning_
from triage.phenotype.engine import PhenotypeEngine

if TYPE_CHECKING:
    from triage.prioritize.config import PipelineConfig
    from triage.treatability.screen import ScreenConfig

log = logging.getLogger("triage.api.worker")

TEST_DELAY_ENV = "TRIAGE_TEST_CASE_DELAY"

ProgressFn = Callable[[float], None]

_CHR1 = {249250621: "GRCh37", 248956422: "GRCh38"}


class CaseCancelled(Exception):
    """The worker lost the case (deleted, or re-queued after a lost lease)."""


@dataclass
class CaseInputs:
    """What a case needs to run; stored as JSON in ``cases.inputs``."""

    observed: list[str]
    excluded: list[str] = field(default_factory=list)
    vcf_path: str | None = None
    genome_build: str = "GRCh38"
    sample: str | None = None
    sex: str | None = None
    top: int = 20
    vcf_sha256: str | None = None
    annotation_dir: str | None = None
    #: "case" (VCF + phenotype ranking) or "screen" (``POST /v1/screen``: genotype-first
    #: screen for treatable conditions, no phenotype)
    kind: str = "case"
    #: PED text of a screen job (parents: compound heterozygotes in trans; sex)
    ped_text: str | None = None

    @classmethod
    def from_case(cls, case: CaseRow, storage: Storage) -> CaseInputs:
        d = case.inputs
        return cls(
            observed=list(d.get("observed", [])), excluded=list(d.get("excluded", [])),
            vcf_path=str(storage.upload_path(case.vcf_sha256)) if case.vcf_sha256 else None,
            genome_build=d.get("genome_build", "GRCh38"), sample=d.get("sample"),
            sex=d.get("sex"), top=int(d.get("top", 20)), vcf_sha256=case.vcf_sha256,
            annotation_dir=str(storage.data_dir / "annotations"), kind=d.get("kind", "case"),
            ped_text=d.get("ped_text"),
        )

    def annotation_path(self, config_digest: str = "") -> Path | None:
        """Where this case's VCF annotation is stored: ``annotations/<vcf>-<key>.annotated.npz``
        (an ``annotated-case`` file of :mod:`triage.variants.annotation_store`, no pickle).

        The key is opaque (:func:`stored_annotation_key`): a hash of the upload, the
        *exact* proband sample id, the build and the annotation config. Sample ids are
        never turned into file names, so two ids that differ only in characters a file
        name cannot hold (``a/b`` and ``a_b``) can never share a stored annotation, and
        an id of any allowed length fits. The VCF hash prefix lets the store delete
        every annotation derived from an upload together with it.
        """
        if not (self.vcf_sha256 and self.annotation_dir):
            return None
        key = stored_annotation_key(self, config_digest)
        from triage.variants.annotation_store import CASE_SUFFIX

        return Path(self.annotation_dir) / f"{self.vcf_sha256[:32]}-{key}{CASE_SUFFIX}"


def stored_annotation_key(inputs: CaseInputs, config_digest: str = "") -> str:
    """Opaque, fixed-length key of a stored annotation (see :meth:`CaseInputs.annotation_path`)."""
    import json

    ident = json.dumps({"vcf": inputs.vcf_sha256, "sample": inputs.sample,
                        "build": normalize_build(inputs.genome_build), "config": config_digest},
                       sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(ident.encode()).hexdigest()[:40]


class StoredAnnotationMismatch(TriageError):
    """A stored annotation belongs to another sample than the case asks for (never served)."""

    code = "stored_annotation_mismatch"


def check_stored_sample(annotated: Any, inputs: CaseInputs, path: Path | str) -> None:
    """Refuse a stored annotation whose proband is not the case's sample.

    With opaque keys this cannot happen short of a hash collision or a tampered data
    directory; the check makes a wrong-patient result impossible rather than unlikely.
    """
    if inputs.sample is not None and annotated.sample != inputs.sample:
        raise StoredAnnotationMismatch(
            f"stored annotation {Path(path).name} is of another sample than this case's; "
            "it was not used")


@dataclass
class VcfSummary:
    """What the VCF step produced (today a summary; the pipeline's annotation later)."""

    records: int
    samples: int
    proband_index: int
    build_requested: str
    build_detected: str | None
    annotation: str | None = None  # path of the stored AnnotatedCase

    def message(self) -> str:
        det = self.build_detected or "not determinable from the header"
        return (f"VCF read: {self.records:,} records, {self.samples} sample(s), proband column "
                f"{self.proband_index + 1}; genome build {self.build_requested} (detected: {det}).")


@dataclass
class CaseRun:
    result: TriageResult | ScreenResult
    vcf: VcfSummary | None


# --------------------------------------------------------------------------- VCF step
def normalize_build(name: str) -> str:
    try:
        from triage.variants.vcf_reader import normalize_build as nb
    except ImportError:  # pragma: no cover - vcf_io ships with the pipeline work
        key = "".join(ch for ch in name.lower() if ch.isalnum())
        table = {"grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "37": "GRCh37",
                 "grch38": "GRCh38", "hg38": "GRCh38", "b38": "GRCh38", "38": "GRCh38"}
        if key not in table:
            raise GenomeBuildError(f"unknown genome build {name!r}; use GRCh37 or GRCh38") from None
        return table[key]
    return nb(name)


def _detect_build(vcf: Any) -> str | None:
    header = vcf.raw_header
    try:
        from triage.variants.vcf_reader import _parse_contigs, detect_build_from_header
    except ImportError:  # pragma: no cover
        try:
            lens = dict(zip(vcf.seqnames, vcf.seqlens, strict=False))
        except Exception:
            return None
        for name in ("1", "chr1"):
            if name in lens:
                return _CHR1.get(lens[name])
        return None
    return detect_build_from_header(_parse_contigs(header), header)


def sniff_vcf(path: str | Path) -> str | None:
    """None if ``path`` looks like a VCF, else the problem (for a 422 at upload time).

    The first non-empty line, after an optional gunzip (BGZF is gzip), must start
    with ``##fileformat=VCF``.
    """
    try:
        with open(path, "rb") as raw:
            magic = raw.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except (OSError, EOFError, gzip.BadGzipFile, ValueError):
        return "file is gzip-compressed but cannot be decompressed"
    for line in head.splitlines():
        if line.strip():
            if line.startswith(b"##fileformat=VCF"):
                return None
            return "not a VCF: the first line must start with '##fileformat=VCF'"
    return "empty file: a VCF must start with '##fileformat=VCF'"


GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class VcfLimits:
    """Per-case bounds on an uploaded VCF, checked while streaming it once *before*
    htslib reads it (a small ``.gz`` can expand a thousandfold: a 1 MiB upload to a 1 GiB
    header). Defaults are sized for a whole genome: a 30x WGS VCF has 4-6 M records and
    1-2 GiB of text (an annotated or joint-called one up to ~10 GiB), a header of well
    under 1 MiB (3,000+ ``##contig`` lines included) and lines of a few kB per sample.
    Settings: ``max_vcf_bytes``, ``max_vcf_header_bytes``, ``max_vcf_records``,
    ``max_vcf_line_bytes``."""

    max_bytes: int = 16 * GiB
    max_header_bytes: int = 16 * MiB
    max_records: int = 20_000_000
    max_line_bytes: int = 8 * MiB


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


def check_vcf_limits(path: str | Path, limits: VcfLimits, progress: ProgressFn = lambda p: None) -> int:
    """Stream the decompressed VCF once in 1 MiB blocks (flat memory) and return its
    number of data lines; raise :class:`InputFileError` naming the limit exceeded.

    Stops at the first block past a limit, so a gzip bomb costs at most the limit's worth
    of decompression, never the memory of its expanded size.
    """
    block = 1 << 20
    total = header = records = 0
    in_header, at_line_start, line_len = True, True, 0
    size = max(1, Path(path).stat().st_size)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        fh = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        n_blocks = 0
        while True:
            try:
                buf = fh.read(block)
            except (OSError, EOFError, zlib.error) as exc:
                raise InputFileError("vcf", f"corrupt or truncated compressed data after {total:,} "
                                            f"decompressed bytes ({type(exc).__name__})") from None
            if not buf:
                break
            total += len(buf)
            if total > limits.max_bytes:
                raise InputFileError("vcf", f"decompressed size exceeds the limit of {_fmt_bytes(limits.max_bytes)} "
                                            "per case (max_vcf_bytes); split the VCF or ask the operator to raise it")
            pos = 0
            while in_header and pos < len(buf):
                if at_line_start and buf[pos] != 0x23:  # '#': the data section starts here
                    in_header = False
                    break
                nl = buf.find(b"\n", pos)
                end = len(buf) if nl < 0 else nl + 1
                header += end - pos
                at_line_start = nl >= 0
                pos = end
                if header > limits.max_header_bytes:
                    raise InputFileError("vcf", f"header exceeds the limit of {_fmt_bytes(limits.max_header_bytes)} "
                                                "(max_vcf_header_bytes)")
            if not in_header and pos < len(buf):
                segs = (buf[pos:] if pos else buf).split(b"\n")
                records += len(segs) - 1
                if len(segs) == 1:
                    line_len += len(segs[0])
                else:
                    longest = max(line_len + len(segs[0]), max(map(len, segs[1:-1]), default=0))
                    line_len = len(segs[-1])
                    if longest > limits.max_line_bytes:
                        line_len = longest
                at_line_start = not segs[-1]
                if line_len > limits.max_line_bytes:
                    raise InputFileError("vcf", f"a data line near record {records + 1:,} is longer than the limit of "
                                                f"{_fmt_bytes(limits.max_line_bytes)} (max_vcf_line_bytes)")
                if records > limits.max_records:
                    raise InputFileError("vcf", f"more than {limits.max_records:,} records; the limit per case is "
                                                f"{limits.max_records:,} (max_vcf_records)")
            n_blocks += 1
            if n_blocks % 16 == 0:
                progress(min(0.2, 0.02 + 0.18 * raw.tell() / size))
    if not at_line_start and not in_header:
        records += 1  # last line without a newline
    if records > limits.max_records:
        raise InputFileError("vcf", f"more than {limits.max_records:,} records; the limit per case is "
                                    f"{limits.max_records:,} (max_vcf_records)")
    return records


def summarize_vcf(path: str, build: str, sample: str | None,
                  progress: ProgressFn = lambda p: None, records: int | None = None) -> VcfSummary:
    """Read the VCF once with cyvcf2; raise InputFileError/GenomeBuildError on problems.

    ``records``: the count from :func:`check_vcf_limits`; the records are then not
    iterated here (the annotation step reads and validates every one of them).
    """
    import cyvcf2

    requested = normalize_build(build)
    try:
        vcf = cyvcf2.VCF(path, lazy=True)
    except Exception as exc:
        raise InputFileError("vcf", f"cannot be read as VCF ({type(exc).__name__})") from None
    try:
        samples = list(vcf.samples)
        if sample is not None:
            if sample not in samples:
                raise InputFileError(
                    "vcf", f"sample {sample!r} is not in the VCF (it has {len(samples)} sample(s))")
            pidx = samples.index(sample)
        elif len(samples) == 1:
            pidx = 0
        elif not samples:
            raise InputFileError("vcf", "the VCF has no genotype (sample) columns")
        else:
            raise InputFileError(
                "vcf", f"the VCF has {len(samples)} samples; say which one is the proband (sample)")
        detected = _detect_build(vcf)
        if detected is not None and detected != requested:
            raise GenomeBuildError(
                f"the VCF is {detected} (from its ##contig lengths) but the case says "
                f"{requested}; lift the VCF over or submit it with genome_build={detected}")
        n = 0
        if records is not None:
            n = records
        else:
            try:
                for _ in vcf:
                    n += 1
                    if n % 20000 == 0:
                        progress(min(0.5, 0.05 + n / 2_000_000))
            except Exception as exc:
                raise InputFileError("vcf", f"unreadable after record {n} ({type(exc).__name__})") from None
    finally:
        vcf.close()
    return VcfSummary(records=n, samples=len(samples), proband_index=pidx,
                      build_requested=requested, build_detected=detected)


# --------------------------------------------------------------------------- ranking
class CaseRanking:
    """Everything ranking a case needs, shared by the worker thread, the PATCH route and
    ``POST /v1/diagnoses``: the engine, the workflow config (``Settings.config_file``:
    quality, annotation, resources, scoring; defaults without one), a phenotype-only
    :class:`~triage.prioritize.Ranker` and one VCF ranker per genome build (gene model,
    gene lengths, gene prior), built on first use."""

    def __init__(self, engine: PhenotypeEngine, config: PipelineConfig | None = None,
                 screen_config: ScreenConfig | None = None):
        from triage.prioritize import Ranker
        from triage.prioritize.config import PipelineConfig
        from triage.treatability.screen import ScreenConfig as _ScreenConfig

        self.engine = engine
        self.config = config if config is not None else PipelineConfig()
        #: ``screen:`` section of the workflow config (``POST /v1/screen``)
        self.screen_config = screen_config if screen_config is not None else _ScreenConfig()
        self.phenotype = Ranker(engine, self.config)
        self._rankers: dict[str, Any] = {}
        self._lock = threading.Lock()
        c = self.config  # what the stored annotation depends on ("" = built-in defaults)
        text = repr((c.annotate, c.score, c.resources))
        self.annotation_digest = hashlib.sha256(text.encode()).hexdigest()[:12] if config is not None else ""

    def config_for(self, genome: str):
        return self.config.with_genome(genome)

    def ranker(self, genome: str):
        from triage.prioritize import Ranker

        with self._lock:
            if genome not in self._rankers:
                cfg = self.config_for(genome)
                self._rankers[genome] = Ranker(self.engine, cfg, genome, cfg.gene_prior())
            return self._rankers[genome]


def annotate_case(inputs: CaseInputs, vcf: VcfSummary, ranking: CaseRanking) -> VcfSummary:
    """Run the workflow's ingest + annotation once and store its product (reused if present)."""
    from triage.prioritize import ingest_annotate

    path = inputs.annotation_path(ranking.annotation_digest)
    if path is None or inputs.vcf_path is None:  # (no upload: no stored annotation either)
        return vcf
    if path.exists():
        from triage.variants.annotation_store import read_case_header

        try:  # the header alone says whose annotation it is (cheap; the table is not read)
            check_stored_sample(read_case_header(path), inputs, path)
        except TriageError:
            log.warning("stored annotation %s unusable for this case; annotating again", path.name)
            path.unlink(missing_ok=True)
    if not path.exists():
        genome = normalize_build(inputs.genome_build)
        annotated = ingest_annotate(inputs.vcf_path, inputs.sample, ranking.config_for(genome),
                                    sex=inputs.sex)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        annotated.save(tmp)
        tmp.replace(path)
    vcf.annotation = str(path)
    return vcf


def rank_stored_case(ranking: CaseRanking, inputs: CaseInputs, vcf: VcfSummary | None) -> TriageResult:
    """Rank a case from its phenotype and its stored VCF annotation (cheap: no VCF reading),
    through the one path (:func:`triage.prioritize.rank_case` + ``build_result``).

    Also what ``PATCH /v1/cases/{id}/phenotypes`` calls.
    """
    from triage.prioritize import AnnotatedCase, build_result, rank_case

    case = None
    ranker = ranking.phenotype
    if vcf is not None and vcf.annotation and Path(vcf.annotation).exists():
        case = AnnotatedCase.load(vcf.annotation)
        check_stored_sample(case, inputs, vcf.annotation)
        ranker = ranking.ranker(normalize_build(inputs.genome_build))
    q = ranking.engine.resolve(inputs.observed, inputs.excluded)
    result = build_result(rank_case(ranker, q, case), inputs.top,
                          variants_per_gene=ranker.cfg.rank.variants_per_gene)
    if vcf is not None:
        result.warnings.append(Warning_(code="vcf_summary", message=vcf.message()))
    return result


def run_case(inputs: CaseInputs, ranking: CaseRanking,
             progress: ProgressFn = lambda p: None, limits: VcfLimits | None = None) -> CaseRun:
    """Run one case end to end. Raises TriageError subclasses for user-fixable problems.

    The VCF is first streamed once against ``limits`` (:func:`check_vcf_limits`;
    default :class:`VcfLimits`), so nothing reads an oversized upload.
    """
    progress(0.02)
    if inputs.kind == "screen":
        return run_screen_job(inputs, ranking, progress, limits)
    vcf = None
    if inputs.vcf_path is not None:
        n = check_vcf_limits(inputs.vcf_path, limits or VcfLimits(), progress)
        vcf = summarize_vcf(inputs.vcf_path, inputs.genome_build, inputs.sample, progress, records=n)
        progress(0.3)
        vcf = annotate_case(inputs, vcf, ranking)
    progress(0.5)
    delay = float(os.environ.get(TEST_DELAY_ENV, "0") or 0)
    if delay > 0:  # test hook only (see module docstring)
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(0.2, left))
            progress(0.5 + 0.4 * (1 - left / delay))
    result = rank_stored_case(ranking, inputs, vcf)
    progress(0.95)
    return CaseRun(result=result, vcf=vcf)


def run_screen_job(inputs: CaseInputs, ranking: CaseRanking,
                   progress: ProgressFn = lambda p: None, limits: VcfLimits | None = None) -> CaseRun:
    """A ``POST /v1/screen`` job: the same code as ``triage screen``
    (:func:`triage.prioritize.case.ingest_annotate` + :func:`triage.treatability.screen.screen_case`).

    The VCF is checked against ``limits`` and its sample and build validated first (as a
    case); the genome build is detected from the header when the request gave none. A
    PED given with the request is written to a private temporary file for the reader.
    """
    import tempfile

    from triage.prioritize.case import ingest_annotate
    from triage.treatability.screen import screen_case
    from triage.variants.vcf_reader import detect_build

    if inputs.vcf_path is None:  # pragma: no cover - the route always stores one
        raise InputFileError("vcf", "a screen needs a VCF")
    n = check_vcf_limits(inputs.vcf_path, limits or VcfLimits(), progress)
    build = inputs.genome_build or None
    if build is None:
        build = detect_build(inputs.vcf_path)
        if build is None:
            raise GenomeBuildError("the VCF header does not tell the genome build (no ##contig lengths of a "
                                   "known build); give genome_build=GRCh37 or GRCh38")
    try:
        vcf: VcfSummary | None = summarize_vcf(inputs.vcf_path, build, inputs.sample, progress, records=n)
    except InputFileError:
        # no sample and several in the VCF: fine with a PED, whose one affected member is
        # the proband (as in `triage screen`); ingest_annotate checks that below
        if inputs.sample or not inputs.ped_text:
            raise
        vcf = None
    progress(0.3)
    genome = normalize_build(build)
    cfg = ranking.config_for(genome)
    with tempfile.TemporaryDirectory(prefix="triage-screen-") as tmp:
        ped = None
        if inputs.ped_text:
            ped = str(Path(tmp) / "family.ped")
            Path(ped).write_text(inputs.ped_text)
        annotated = ingest_annotate(inputs.vcf_path, inputs.sample, cfg, ped, inputs.sex)
    progress(0.8)
    result = screen_case(annotated, None, ranking.screen_config,
                         sex_source="given (sex)" if inputs.sex and not inputs.ped_text else None)
    progress(0.95)
    return CaseRun(result=result, vcf=vcf)


def rerank_case(ranking: CaseRanking, inputs: CaseInputs,
                vcf_summary: dict[str, Any] | None) -> TriageResult:
    """Re-rank a finished case with new phenotypes, reusing its stored VCF product."""
    vcf = VcfSummary(**vcf_summary) if vcf_summary else None
    return rank_stored_case(ranking, inputs, vcf)


# --------------------------------------------------------------------------- worker
def _pid_dead(worker_id: str | None, host: str, my_pid: int) -> bool:
    """True only when ``worker_id`` ran on this host in a process that no longer exists."""
    if not worker_id:
        return True
    parts = worker_id.split(":")
    if len(parts) < 3 or parts[0] != host:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == my_pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _child_frames(exc: BaseException) -> str:
    """Code locations of a traceback (file:line function), no source text, no values."""
    import traceback

    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                       for f in reversed(traceback.extract_tb(exc.__traceback__)))


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), so a
    ``kill -9`` of the server never leaves a case process running."""
    import signal

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


#: Nice increment of case and large-ranking processes: on a busy machine the server's
#: event loop (``/healthz``, typical queries) gets the CPU before bulk work.
CHILD_NICE = 10


def _lower_priority() -> None:
    with contextlib.suppress(OSError):  # pragma: no cover
        os.nice(CHILD_NICE)


def _child_main(conn, inputs: CaseInputs, ranking: CaseRanking, limits: VcfLimits,
                parent_pid: int) -> None:
    """Body of a case process (forked from the server: the engine is shared copy-on-write).

    Computes only: every database write stays with the parent, which owns the case.
    Messages to the parent are JSON: ``["progress", p]``, then one of
    ``["done", {...}]``, ``["error", {"code", "message"}]`` (a reason for the user) or
    ``["internal", {"type", "frames"}]`` (logged by the parent, without a message).
    """
    import json
    import signal

    _die_with_parent(parent_pid)
    _lower_priority()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # uvicorn's handlers came along with fork
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops us
    ranking._lock = threading.Lock()  # a lock another thread held at fork time stays held

    def send(kind: str, payload: Any) -> None:
        conn.send_bytes(json.dumps([kind, payload]).encode())

    last = [0.0, -1.0]  # time, value of the last report

    def progress(p: float) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2 or p >= last[1] + 0.05:  # milestones always get through
            last[0], last[1] = now, p
            send("progress", p)

    try:
        run = run_case(inputs, ranking, progress, limits)
        send("done", {"result": run.result.model_dump_json(), "data_versions": run.result.data_versions,
                      "vcf": asdict(run.vcf) if run.vcf else None})
    except TriageError as exc:
        send("error", {"code": exc.code, "message": str(exc)})
    except Exception as exc:
        send("internal", {"type": type(exc).__name__, "frames": _child_frames(exc)})
    finally:
        conn.close()


@dataclass
class _Job:
    case: CaseRow
    inputs: CaseInputs
    process: Any = None
    thread: threading.Thread | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: str = ""


class CaseWorker:
    """Runs queued cases in a bounded pool of case processes, fairly between owners.

    A scheduler thread claims cases (:meth:`Storage.claim_next`: the owner with the
    fewest running cases first, at most ``max_running_per_owner`` each) while fewer than
    ``concurrency`` run. Each case runs in its own process, forked from the server so it
    shares the loaded engine: a case can be stopped at once (``DELETE``, shutdown, lost
    lease: SIGKILL), its memory and CPU never stall the event loop (``/healthz``), and a
    crash in native code fails only that case. A monitor thread per case relays
    progress to the database, heartbeats, and kills the process as soon as the case is
    no longer this worker's (deleted by any server process, or re-queued).
    """

    def __init__(self, storage: Storage, ranking: CaseRanking, *, lease_seconds: float = 60.0,
                 max_attempts: int = 3, poll_seconds: float = 1.0, on_done=None,
                 concurrency: int = 2, max_running_per_owner: int | None = None,
                 limits: VcfLimits | None = None):
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.storage = storage
        self.ranking = ranking
        self.lease = lease_seconds
        self.max_attempts = max_attempts
        self.poll = poll_seconds
        self.on_done = on_done or (lambda outcome: None)
        self.concurrency = concurrency
        self.max_running_per_owner = (max(1, concurrency - 1) if max_running_per_owner is None
                                      else max_running_per_owner)
        self.limits = limits or VcfLimits()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jobs: dict[str, _Job] = {}
        self._jobs_lock = threading.Lock()
        self._fork_lock = threading.Lock()
        self._last_reap = 0.0
        import multiprocessing as mp

        self._ctx = mp.get_context("fork")

    # ------------------------------------------------------------------ lifecycle
    def recover(self) -> list[tuple[str, str]]:
        changed = self.storage.recover_orphans(
            lambda w: _pid_dead(w, self.host, self.pid), self.lease, self.max_attempts)
        for cid, status in changed:
            log.warning("case %s: worker gone while running; now %s", cid, status)
            if status == "failed":
                self.on_done("failed")
        self._last_reap = time.monotonic()
        return changed

    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="triage-case-scheduler", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def running(self) -> list[str]:
        with self._jobs_lock:
            return list(self._jobs)

    def cancel(self, case_id: str, reason: str = "deleted") -> bool:
        """Stop a case this worker runs (its process is killed); True if it was running here."""
        with self._jobs_lock:
            job = self._jobs.get(case_id)
        if job is None:
            return False
        job.reason = reason
        job.cancel.set()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, kill running case processes and give their cases back to the
        queue (no attempt counted: the next start runs them again)."""
        self._stop.set()
        self._wake.set()
        with self._jobs_lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.reason = "shutdown"
            job.cancel.set()
        end = time.monotonic() + timeout
        for job in jobs:
            if job.thread is not None:
                job.thread.join(max(0.1, end - time.monotonic()))
        if self._thread is not None:
            self._thread.join(max(0.1, end - time.monotonic()))

    # ------------------------------------------------------------------ scheduling
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._last_reap > max(1.0, self.lease / 4):
                    self.recover()
                case = None
                if len(self._jobs) < self.concurrency:
                    case = self.storage.claim_next(self.id, self.max_running_per_owner)
            except Exception as exc:  # database trouble: back off, never die
                log.error("worker: database error (%s); retrying", type(exc).__name__)
                self._stop.wait(self.poll)
                continue
            if case is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            self._launch(case)

    def _launch(self, case: CaseRow) -> None:
        job = _Job(case=case, inputs=CaseInputs.from_case(case, self.storage))
        job.thread = threading.Thread(target=self._run_job, args=(job,), name=f"triage-case-{case.id[:8]}",
                                      daemon=True)
        # registered and started under the lock: stop() snapshots the jobs under it, so it
        # never joins a thread that has not started yet (a RuntimeError, seen under load)
        with self._jobs_lock:
            self._jobs[case.id] = job
            job.thread.start()

    def _run_job(self, job: _Job) -> None:
        cid = job.case.id
        t0 = time.perf_counter()
        log.info("case %s: running (attempt %d)", cid, job.case.attempts)
        outcome = "failed"
        try:
            outcome = self._supervise(job)
        except Exception as exc:  # our own bug: never leave the case running
            self._fail_internal(cid, exc)
        finally:
            with self._jobs_lock:
                self._jobs.pop(cid, None)
            self._wake.set()  # a slot is free
        log.info("case %s: %s in %.2f s", cid, outcome, time.perf_counter() - t0)
        self.on_done(outcome)

    def _supervise(self, job: _Job) -> str:
        import json

        cid = job.case.id
        # The case process builds what it needs (e.g. the gene model of its build, ~1 s)
        # unless this process already has it: building it here would hold the GIL of the
        # event loop. Everything already loaded here is shared copy-on-write.
        recv, send = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child_main, args=(send, job.inputs, self.ranking, self.limits, self.pid),
                                 name=f"triage-case-{cid[:8]}", daemon=True)
        job.process = proc
        import gc

        with self._fork_lock:  # no other case process may inherit this pipe's write end
            gc.freeze()  # the child's collector then leaves the shared heap alone (no copy-on-write)
            try:
                proc.start()
            finally:
                gc.unfreeze()
            send.close()
        message = None
        next_beat = time.monotonic() + max(0.5, self.lease / 4)
        next_check = time.monotonic() + 0.5
        try:
            while True:
                if job.cancel.is_set():
                    break
                try:
                    data = recv.recv_bytes() if recv.poll(0.1) else None
                except (EOFError, OSError):
                    break  # the case process ended without (another) message
                if data is not None:
                    kind, payload = json.loads(data)
                    if kind == "progress":
                        if not self.storage.heartbeat(cid, self.id, float(payload)):
                            job.reason = "lost"
                            break
                        next_beat = time.monotonic() + max(0.5, self.lease / 4)
                        continue
                    message = (kind, payload)
                    break
                now = time.monotonic()
                if now >= next_check:  # deleted (by any server process) or taken over?
                    next_check = now + 0.5
                    if not self.storage.owns(cid, self.id):
                        job.reason = "lost"
                        break
                if now >= next_beat:
                    next_beat = now + max(0.5, self.lease / 4)
                    if not self.storage.heartbeat(cid, self.id):
                        job.reason = "lost"
                        break
                if not proc.is_alive() and not recv.poll(0):
                    break
        finally:
            if proc.is_alive() and message is None:
                proc.kill()
            proc.join(10)
            recv.close()
            self._clean_partial_files(proc.pid)
        return self._settle(job, message, proc.exitcode)

    def _settle(self, job: _Job, message, exitcode: int | None) -> str:
        cid, inputs = job.case.id, job.inputs
        if message is None:
            if job.reason == "shutdown" and self.storage.release_case(cid, self.id):
                return "released"
            if job.reason in ("deleted", "lost", "shutdown") or not self.storage.owns(cid, self.id):
                # deleted while running: the process may have stored an annotation after
                # the delete removed that VCF's files; remove whatever is now unreferenced
                self.storage.discard_uploads(job.case.vcf_sha256, job.case.phenopacket_sha256)
                return "lost"
            # the case process died without an answer: native crash, OOM kill, ...
            how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
            log.error("case %s: case process ended without a result (%s)", cid, how)
            self.storage.fail_case(cid, f"the case process stopped unexpectedly ({how}); "
                                        "the input may be too large or malformed", self.id)
            return "failed"
        kind, payload = message
        if kind == "done":
            ok = self.storage.finish_case(cid, self.id, payload["result"], inputs.observed, inputs.excluded,
                                          payload["data_versions"], payload["vcf"])
            return "done" if ok else "lost"
        if kind == "error":
            # a reason the submitter can act on; stored, never logged (may quote input)
            ok = self.storage.fail_case(cid, f"{payload['code']}: {payload['message']}", self.id)
            return "failed" if ok else "lost"
        log.error("case %s: unexpected %s: %s", cid, payload.get("type"), payload.get("frames"))
        ok = self.storage.fail_case(cid, "internal error while running the case (logged with the case id)",
                                    self.id)
        return "failed" if ok else "lost"

    def _clean_partial_files(self, pid: int | None) -> None:
        """A killed case process may leave a half-written annotation (``*.<pid>.tmp``)."""
        if pid is None:
            return
        for tmp in (self.storage.data_dir / "annotations").glob(f"*.{pid}.tmp"):
            tmp.unlink(missing_ok=True)

    def _fail_internal(self, cid: str, exc: Exception) -> None:
        """An unexpected error: code locations are logged (no message, no input)."""
        log.error("case %s: unexpected %s: %s", cid, type(exc).__name__, _child_frames(exc))
        self.storage.fail_case(cid, "internal error while running the case (logged with the case id)",
                               self.id)

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

import gzip
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.api.storage import CaseRow, Storage
from triage.errors import GenomeBuildError, InputFileError, TriageError
from triage.models import TriageResult, Warning_
from triage.phenotype.engine import PhenotypeEngine

if TYPE_CHECKING:
    from triage.prioritize.config import PipelineConfig

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

    @classmethod
    def from_case(cls, case: CaseRow, storage: Storage) -> CaseInputs:
        d = case.inputs
        return cls(
            observed=list(d.get("observed", [])), excluded=list(d.get("excluded", [])),
            vcf_path=str(storage.upload_path(case.vcf_sha256)) if case.vcf_sha256 else None,
            genome_build=d.get("genome_build", "GRCh38"), sample=d.get("sample"),
            sex=d.get("sex"), top=int(d.get("top", 20)), vcf_sha256=case.vcf_sha256,
            annotation_dir=str(storage.data_dir / "annotations"),
        )

    def annotation_path(self, config_digest: str = "") -> Path | None:
        """Where this case's VCF annotation is stored: ``annotations/<vcf>-<key>.pkl``.

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
        return Path(self.annotation_dir) / f"{self.vcf_sha256[:32]}-{key}.pkl"


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
    result: TriageResult
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


def summarize_vcf(path: str, build: str, sample: str | None,
                  progress: ProgressFn = lambda p: None) -> VcfSummary:
    """Read the VCF once with cyvcf2; raise InputFileError/GenomeBuildError on problems.

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

    def __init__(self, engine: PhenotypeEngine, config: PipelineConfig | None = None):
        from triage.prioritize import Ranker
        from triage.prioritize.config import PipelineConfig

        self.engine = engine
        self.config = config if config is not None else PipelineConfig()
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
    from triage.prioritize import AnnotatedCase, ingest_annotate

    path = inputs.annotation_path(ranking.annotation_digest)
    if path is None:
        return vcf
    if path.exists():
        try:
            check_stored_sample(AnnotatedCase.load(path), inputs, path)
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
        os.replace(tmp, path)
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
             progress: ProgressFn = lambda p: None) -> CaseRun:
    """Run one case end to end. Raises TriageError subclasses for user-fixable problems."""
    progress(0.02)
    vcf = None
    if inputs.vcf_path is not None:
        vcf = summarize_vcf(inputs.vcf_path, inputs.genome_build, inputs.sample, progress)
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


class CaseWorker:
    """A daemon thread taking queued cases from the database, one at a time."""

    def __init__(self, storage: Storage, ranking: CaseRanking, *, lease_seconds: float = 60.0,
                 max_attempts: int = 3, poll_seconds: float = 1.0, on_done=None):
        self.storage = storage
        self.ranking = ranking
        self.lease = lease_seconds
        self.max_attempts = max_attempts
        self.poll = poll_seconds
        self.on_done = on_done or (lambda outcome: None)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: str | None = None
        self._last_reap = 0.0

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
        self._thread = threading.Thread(target=self._loop, name="triage-case-worker", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            cid = self._current
            if self._thread.is_alive() and cid is not None:
                # still running: give it back to the queue rather than leave it to the lease
                if self.storage.release_case(cid, self.id):
                    log.warning("case %s: released back to the queue at shutdown", cid)

    # ------------------------------------------------------------------ loop
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._last_reap > max(1.0, self.lease / 4):
                    self.recover()
                case = self.storage.claim_next(self.id)
            except Exception as exc:  # database trouble: back off, never die
                log.error("worker: database error (%s); retrying", type(exc).__name__)
                self._stop.wait(self.poll)
                continue
            if case is None:
                self._wake.wait(self.poll)
                self._wake.clear()
                continue
            self._process(case)

    def _process(self, case: CaseRow) -> None:
        cid = case.id
        self._current = cid
        lost = threading.Event()
        done = threading.Event()
        t0 = time.perf_counter()
        log.info("case %s: running (attempt %d)", cid, case.attempts)

        def beat() -> None:
            while not done.wait(max(0.5, self.lease / 4)):
                try:
                    if not self.storage.heartbeat(cid, self.id):
                        lost.set()
                        return
                except Exception:
                    pass

        hb = threading.Thread(target=beat, name=f"triage-heartbeat-{cid[:8]}", daemon=True)
        hb.start()

        last = [0.0]

        def progress(p: float) -> None:
            if lost.is_set() or self._stop.is_set():
                raise CaseCancelled()
            now = time.monotonic()
            if now - last[0] >= 0.25 or p >= 0.95:
                last[0] = now
                if not self.storage.heartbeat(cid, self.id, p):
                    lost.set()
                    raise CaseCancelled()

        outcome = "failed"
        try:
            inputs = CaseInputs.from_case(case, self.storage)
            run = run_case(inputs, self.ranking, progress)
            ok = self.storage.finish_case(
                cid, self.id, run.result.model_dump_json(), inputs.observed, inputs.excluded,
                run.result.data_versions, asdict(run.vcf) if run.vcf else None)
            outcome = "done" if ok else "lost"
        except CaseCancelled:
            outcome = "lost"
            if self._stop.is_set() and self.storage.release_case(cid, self.id):
                outcome = "released"
        except Exception as exc:
            if lost.is_set() or self.storage.get_case(cid) is None:
                outcome = "lost"  # deleted (its upload with it) or taken over while running
            elif isinstance(exc, TriageError):
                # a reason the submitter can act on; stored, never logged (may quote input)
                self.storage.fail_case(cid, f"{exc.code}: {exc}", self.id)
            else:
                self._fail_internal(cid, exc)
        finally:
            done.set()
            self._current = None
        log.info("case %s: %s in %.2f s", cid, outcome, time.perf_counter() - t0)
        self.on_done(outcome)

    def _fail_internal(self, cid: str, exc: Exception) -> None:
        """An unexpected error: the traceback (code locations only, no input) is logged."""
        import traceback

        log.error("case %s: unexpected %s\n%s", cid, type(exc).__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        self.storage.fail_case(cid, "internal error while running the case (logged with the case id)",
                               self.id)

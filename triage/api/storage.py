"""Persistent state of the service: SQLite (WAL) + content-addressed uploads.

Layout under ``data_dir``::

    triage.sqlite3          cases, rankings (history), tokens
    uploads/ab/abcdef...    uploaded files named by their sha256 (deduplicated)

Everything here is patient data: the directories are created (or tightened to) 0700
and the database with its WAL and shared-memory files 0600, whatever the umask.

One connection per thread (sqlite3 objects are not shared between threads); WAL
lets the request threads read while the worker writes, and ``busy_timeout`` makes
concurrent writers (several uvicorn worker processes) wait instead of failing.

Every state transition of a running case is conditional on the worker that claimed
it (``UPDATE ... WHERE worker = ?``), so a worker that lost its lease can never
overwrite the result of the worker that took the case over.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

SCHEMA_VERSION = 1
STATUSES = ("queued", "running", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    created_at  REAL NOT NULL,
    revoked_at  REAL
);
CREATE TABLE IF NOT EXISTS cases (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress        REAL NOT NULL DEFAULT 0,
    reason          TEXT,
    created_at      REAL NOT NULL,
    updated_at      REAL NOT NULL,
    heartbeat_at    REAL,
    worker          TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    inputs          TEXT NOT NULL,
    vcf_sha256      TEXT,
    phenopacket_sha256 TEXT,
    phenotype_sha256 TEXT NOT NULL,
    vcf_summary     TEXT,
    data_versions   TEXT,
    result          TEXT
);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, created_at);
CREATE INDEX IF NOT EXISTS cases_owner ON cases (owner);
CREATE TABLE IF NOT EXISTS rankings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    created_at  REAL NOT NULL,
    trigger     TEXT NOT NULL,
    observed    TEXT NOT NULL,
    excluded    TEXT NOT NULL,
    result      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rankings_case ON rankings (case_id, id);
"""

CASE_COLUMNS = (
    "id, owner, status, progress, reason, created_at, updated_at, heartbeat_at, worker, "
    "attempts, inputs, vcf_sha256, phenopacket_sha256, phenotype_sha256, vcf_summary, "
    "data_versions"
)


class UploadTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"upload larger than {limit} bytes")


@dataclass
class CaseRow:
    id: str
    owner: str
    status: str
    progress: float
    reason: str | None
    created_at: float
    updated_at: float
    heartbeat_at: float | None
    worker: str | None
    attempts: int
    inputs: dict[str, Any]
    vcf_sha256: str | None
    phenopacket_sha256: str | None
    phenotype_sha256: str
    vcf_summary: dict[str, Any] | None
    data_versions: dict[str, str] | None

    @property
    def kind(self) -> str:
        """``case`` (VCF + phenotype ranking) or ``screen`` (``POST /v1/screen``)."""
        return str(self.inputs.get("kind", "case"))

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> CaseRow:
        return cls(
            id=r["id"], owner=r["owner"], status=r["status"], progress=r["progress"],
            reason=r["reason"], created_at=r["created_at"], updated_at=r["updated_at"],
            heartbeat_at=r["heartbeat_at"], worker=r["worker"], attempts=r["attempts"],
            inputs=json.loads(r["inputs"]), vcf_sha256=r["vcf_sha256"],
            phenopacket_sha256=r["phenopacket_sha256"], phenotype_sha256=r["phenotype_sha256"],
            vcf_summary=json.loads(r["vcf_summary"]) if r["vcf_summary"] else None,
            data_versions=json.loads(r["data_versions"]) if r["data_versions"] else None,
        )


@dataclass
class RankingRow:
    id: int
    case_id: str
    created_at: float
    trigger: str
    observed: list[str]
    excluded: list[str]
    result: str  # TriageResult JSON


def sha256_text(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()


def private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as 0700, or tighten an existing directory to 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)


def private_file(path: Path, create: bool = False) -> None:
    """Make ``path`` 0600 (created empty first when ``create``).

    SQLite creates the ``-wal`` and ``-shm`` files with the mode of the database file,
    so a 0600 database gives 0600 companions.
    """
    if create and not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.exists():
        _tighten(path, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:  # not ours (e.g. a shared mount): say so, do not fail
        import logging

        logging.getLogger("triage.api").warning("cannot restrict the permissions of %s to %o", path, mode)


class Storage:
    """SQLite database + upload directory of one service instance (thread-safe)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.db_path = self.data_dir / "triage.sqlite3"
        self.upload_dir = self.data_dir / "uploads"
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        for d in (self.data_dir, self.upload_dir, self.data_dir / "tmp", self.data_dir / "annotations"):
            private_dir(d)
        for suffix in ("", "-wal", "-shm"):
            private_file(Path(f"{self.db_path}{suffix}"), create=suffix == "")
        con = self.conn()
        con.executescript(_SCHEMA)  # idempotent (IF NOT EXISTS); executescript commits itself
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ------------------------------------------------------------------ connections
    def conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA busy_timeout = 30000")
            self._local.con = con
            with self._lock:
                self._all.append(con)
        return con

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """An IMMEDIATE transaction (takes the write lock up front: no upgrade deadlocks)."""
        con = self.conn()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def ping(self) -> bool:
        try:
            return self.conn().execute("SELECT 1").fetchone()[0] == 1
        except sqlite3.Error:
            return False

    def close(self) -> None:
        with self._lock:
            for con in self._all:
                with suppress(sqlite3.Error):
                    con.close()
            self._all.clear()
        self._local = threading.local()

    # ------------------------------------------------------------------ uploads
    def upload_path(self, sha: str) -> Path:
        return self.upload_dir / sha[:2] / sha

    def save_upload(self, fh: BinaryIO, limit: int, chunk: int = 1 << 20) -> tuple[str, int]:
        """Copy a stream into the content-addressed store; returns (sha256, size).

        Raises :class:`UploadTooLarge` (nothing kept) when the stream exceeds ``limit``.
        """
        h = hashlib.sha256()
        size = 0
        tmp = tempfile.NamedTemporaryFile(dir=self.data_dir / "tmp", delete=False)  # noqa: SIM115 (closed below, kept on success)
        try:
            with tmp:
                while True:
                    buf = fh.read(chunk)
                    if not buf:
                        break
                    size += len(buf)
                    if size > limit:
                        raise UploadTooLarge(limit)
                    h.update(buf)
                    tmp.write(buf)
            sha = h.hexdigest()
            dest = self.upload_path(sha)
            dest.parent.mkdir(mode=0o700, exist_ok=True)
            if dest.exists():
                Path(tmp.name).unlink()
            else:
                Path(tmp.name).replace(dest)
            return sha, size
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise

    def _drop_upload_if_unused(self, con: sqlite3.Connection, sha: str | None) -> None:
        if not sha:
            return
        used = con.execute(
            "SELECT 1 FROM cases WHERE vcf_sha256 = ? OR phenopacket_sha256 = ? LIMIT 1", (sha, sha)
        ).fetchone()
        if not used:
            with suppress(FileNotFoundError):
                self.upload_path(sha).unlink()
            # annotations derived from this VCF hold genotypes too: gone with it (".pkl":
            # pickles of earlier versions: never loaded, still deleted)
            from triage.variants.annotation_store import CASE_SUFFIX

            for suffix in (CASE_SUFFIX, ".pkl"):
                for derived in (self.data_dir / "annotations").glob(f"{sha[:32]}-*{suffix}"):
                    derived.unlink(missing_ok=True)

    def discard_uploads(self, *shas: str | None) -> None:
        """Remove stored uploads that no case references (after a rejected submission)."""
        with self.tx() as con:
            for sha in shas:
                self._drop_upload_if_unused(con, sha)

    # ------------------------------------------------------------------ cases
    def create_case(self, owner: str, inputs: dict[str, Any], vcf_sha256: str | None,
                    phenopacket_sha256: str | None) -> CaseRow:
        now = time.time()
        cid = uuid.uuid4().hex
        pheno = sha256_text(json.dumps([inputs.get("observed"), inputs.get("excluded")]))
        with self.tx() as con:
            con.execute(
                "INSERT INTO cases (id, owner, status, progress, created_at, updated_at, inputs, "
                "vcf_sha256, phenopacket_sha256, phenotype_sha256) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (cid, owner, "queued", 0.0, now, now, json.dumps(inputs), vcf_sha256,
                 phenopacket_sha256, pheno),
            )
        case = self.get_case(cid)
        assert case is not None
        return case

    def get_case(self, case_id: str, owner: str | None = None, kind: str | None = None) -> CaseRow | None:
        """The job ``case_id`` (of ``owner`` and of ``kind`` when given: ``case`` or
        ``screen``, from ``inputs.kind``; jobs without one are cases)."""
        sql = f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?"
        args: tuple = (case_id,)
        if owner is not None:
            sql += " AND owner = ?"
            args += (owner,)
        r = self.conn().execute(sql, args).fetchone()
        if not r:
            return None
        case = CaseRow.from_row(r)
        if kind is not None and case.kind != kind:
            return None
        return case

    def get_result(self, case_id: str) -> str | None:
        r = self.conn().execute("SELECT result FROM cases WHERE id = ?", (case_id,)).fetchone()
        return r["result"] if r else None

    def list_cases(self, owner: str, limit: int = 100, kind: str = "case") -> list[CaseRow]:
        rows = self.conn().execute(
            f"SELECT {CASE_COLUMNS} FROM cases WHERE owner = ? "
            "AND COALESCE(json_extract(inputs, '$.kind'), 'case') = ? ORDER BY created_at DESC LIMIT ?",
            (owner, kind, limit),
        ).fetchall()
        return [CaseRow.from_row(r) for r in rows]

    def delete_case(self, case_id: str, owner: str, kind: str | None = None) -> bool:
        with self.tx() as con:
            r = con.execute("SELECT vcf_sha256, phenopacket_sha256, inputs FROM cases WHERE id = ? AND owner = ?",
                            (case_id, owner)).fetchone()
            if not r:
                return False
            if kind is not None and json.loads(r["inputs"]).get("kind", "case") != kind:
                return False
            con.execute("DELETE FROM rankings WHERE case_id = ?", (case_id,))
            con.execute("DELETE FROM cases WHERE id = ?", (case_id,))
            self._drop_upload_if_unused(con, r["vcf_sha256"])
            self._drop_upload_if_unused(con, r["phenopacket_sha256"])
        return True

    def count_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.conn().execute("SELECT status, COUNT(*) AS n FROM cases GROUP BY status"):
            counts[r["status"]] = r["n"]
        return counts

    # ------------------------------------------------------------------ job queue
    def claim_next(self, worker: str, max_running_per_owner: int | None = None) -> CaseRow | None:
        """Atomically move the next queued case to running, owned by ``worker``.

        Fair between owners: the next case is the oldest queued case of the owner with
        the fewest running cases (all workers, all processes), skipping owners that
        already run ``max_running_per_owner`` cases. One owner's many or large cases
        therefore never hold every slot while someone else's case waits.
        """
        now = time.time()
        with self.tx() as con:
            r = con.execute(
                "WITH running AS (SELECT owner, COUNT(*) AS n FROM cases WHERE status = 'running' "
                "GROUP BY owner) "
                "SELECT c.id FROM cases c LEFT JOIN running r ON r.owner = c.owner "
                "WHERE c.status = 'queued' AND (? IS NULL OR COALESCE(r.n, 0) < ?) "
                "ORDER BY COALESCE(r.n, 0), c.created_at LIMIT 1",
                (max_running_per_owner, max_running_per_owner),
            ).fetchone()
            if not r:
                return None
            con.execute(
                "UPDATE cases SET status = 'running', worker = ?, attempts = attempts + 1, "
                "heartbeat_at = ?, updated_at = ?, progress = 0, reason = NULL WHERE id = ?",
                (worker, now, now, r["id"]),
            )
        return self.get_case(r["id"])

    def owns(self, case_id: str, worker: str) -> bool:
        """True while ``worker`` still runs ``case_id`` (not deleted, not taken over)."""
        r = self.conn().execute("SELECT 1 FROM cases WHERE id = ? AND worker = ? AND status = 'running'",
                                (case_id, worker)).fetchone()
        return r is not None

    def heartbeat(self, case_id: str, worker: str, progress: float | None = None) -> bool:
        now = time.time()
        with self.tx() as con:
            if progress is None:
                cur = con.execute(
                    "UPDATE cases SET heartbeat_at = ? WHERE id = ? AND worker = ? AND status = 'running'",
                    (now, case_id, worker))
            else:
                cur = con.execute(
                    "UPDATE cases SET heartbeat_at = ?, updated_at = ?, progress = ? "
                    "WHERE id = ? AND worker = ? AND status = 'running'",
                    (now, now, max(0.0, min(1.0, progress)), case_id, worker))
            return cur.rowcount == 1

    def finish_case(self, case_id: str, worker: str, result_json: str, observed: list[str],
                    excluded: list[str], data_versions: dict[str, str],
                    vcf_summary: dict[str, Any] | None) -> bool:
        now = time.time()
        with self.tx() as con:
            cur = con.execute(
                "UPDATE cases SET status = 'done', progress = 1, reason = NULL, updated_at = ?, "
                "heartbeat_at = NULL, result = ?, data_versions = ?, vcf_summary = ? "
                "WHERE id = ? AND worker = ? AND status = 'running'",
                (now, result_json, json.dumps(data_versions),
                 json.dumps(vcf_summary) if vcf_summary is not None else None, case_id, worker))
            if cur.rowcount != 1:
                return False
            con.execute(
                "INSERT INTO rankings (case_id, created_at, trigger, observed, excluded, result) "
                "VALUES (?,?,?,?,?,?)",
                (case_id, now, "initial", json.dumps(observed), json.dumps(excluded), result_json))
        return True

    def fail_case(self, case_id: str, reason: str, worker: str | None = None) -> bool:
        now = time.time()
        sql = ("UPDATE cases SET status = 'failed', reason = ?, updated_at = ?, heartbeat_at = NULL "
               "WHERE id = ? AND status IN ('queued', 'running')")
        args: tuple = (reason, now, case_id)
        if worker is not None:
            sql += " AND worker = ?"
            args += (worker,)
        with self.tx() as con:
            return con.execute(sql, args).rowcount == 1

    def release_case(self, case_id: str, worker: str) -> bool:
        """Give a running case back to the queue without counting an attempt (clean shutdown)."""
        now = time.time()
        with self.tx() as con:
            return con.execute(
                "UPDATE cases SET status = 'queued', worker = NULL, heartbeat_at = NULL, "
                "attempts = MAX(attempts - 1, 0), progress = 0, updated_at = ? "
                "WHERE id = ? AND worker = ? AND status = 'running'", (now, case_id, worker)
            ).rowcount == 1

    def recover_orphans(self, is_dead, lease_seconds: float, max_attempts: int) -> list[tuple[str, str]]:
        """Re-queue running cases whose worker is gone; fail those out of attempts.

        ``is_dead(worker_id) -> bool`` says whether a worker is known to be dead (same
        host, process gone); otherwise a worker is presumed dead when its heartbeat is
        older than ``lease_seconds``. Returns [(case_id, new_status)].
        """
        now = time.time()
        changed: list[tuple[str, str]] = []
        with self.tx() as con:
            rows = con.execute(
                "SELECT id, worker, heartbeat_at, attempts FROM cases WHERE status = 'running'"
            ).fetchall()
            for r in rows:
                stale = r["heartbeat_at"] is None or now - r["heartbeat_at"] > lease_seconds
                if not (stale or is_dead(r["worker"])):
                    continue
                if r["attempts"] >= max_attempts:
                    con.execute(
                        "UPDATE cases SET status = 'failed', updated_at = ?, heartbeat_at = NULL, "
                        "reason = ? WHERE id = ?",
                        (now, f"the case worker stopped while running this case {r['attempts']} "
                              f"times (server crash or restart); giving up after {max_attempts} attempts",
                         r["id"]))
                    changed.append((r["id"], "failed"))
                else:
                    con.execute(
                        "UPDATE cases SET status = 'queued', worker = NULL, heartbeat_at = NULL, "
                        "progress = 0, updated_at = ? WHERE id = ?", (now, r["id"]))
                    changed.append((r["id"], "queued"))
        return changed

    # ------------------------------------------------------------------ rankings
    def add_ranking(self, case_id: str, owner: str, trigger: str, observed: list[str],
                    excluded: list[str], result_json: str, inputs: dict[str, Any]) -> bool:
        """Store a re-ranking as the case's current result and append it to its history."""
        now = time.time()
        pheno = sha256_text(json.dumps([observed, excluded]))
        with self.tx() as con:
            cur = con.execute(
                "UPDATE cases SET result = ?, updated_at = ?, inputs = ?, phenotype_sha256 = ? "
                "WHERE id = ? AND owner = ? AND status = 'done'",
                (result_json, now, json.dumps(inputs), pheno, case_id, owner))
            if cur.rowcount != 1:
                return False
            con.execute(
                "INSERT INTO rankings (case_id, created_at, trigger, observed, excluded, result) "
                "VALUES (?,?,?,?,?,?)",
                (case_id, now, trigger, json.dumps(observed), json.dumps(excluded), result_json))
        return True

    def rankings(self, case_id: str) -> list[RankingRow]:
        rows = self.conn().execute(
            "SELECT id, case_id, created_at, trigger, observed, excluded, result FROM rankings "
            "WHERE case_id = ? ORDER BY id", (case_id,)).fetchall()
        return [RankingRow(id=r["id"], case_id=r["case_id"], created_at=r["created_at"],
                           trigger=r["trigger"], observed=json.loads(r["observed"]),
                           excluded=json.loads(r["excluded"]), result=r["result"]) for r in rows]

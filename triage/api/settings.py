"""Configuration of the clinician service: one immutable dataclass.

Built explicitly (tests, ``triage serve``) or from ``TRIAGE_*`` environment variables
with :meth:`Settings.from_env` (the ``uvicorn --factory`` entry point and multi-worker
serving, where each worker process builds its own app).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MiB = 1 << 20


def default_data_dir() -> Path:
    env = os.environ.get("TRIAGE_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "triage" / "api"


def _bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {v!r}")


@dataclass(frozen=True)
class Settings:
    """Service settings. Every field has an env var ``TRIAGE_<FIELD NAME UPPERCASE>``."""

    #: SQLite database (``triage.sqlite3``) and content-addressed uploads live here.
    data_dir: Path = field(default_factory=default_data_dir)
    #: HPO release directory; None = the vendored release (see triage.phenotype.knowledge).
    hpo_dir: Path | None = None
    #: Workflow config YAML whose ``phenotype.model`` section sets the phenotype model
    #: parameters; None = the code defaults (as ``triage rank --config``).
    config_file: Path | None = None
    #: Largest accepted uploaded file (VCF or phenopacket), in bytes.
    max_upload_bytes: int = 512 * MiB
    #: Largest accepted request body for every route except the case upload.
    max_request_bytes: int = 1 * MiB
    #: Allowed browser origins; empty = no CORS middleware at all (same-origin only).
    cors_origins: tuple[str, ...] = ()
    #: Requests per minute per bearer token (case routes) or per client IP (public
    #: routes), token-bucket with a burst of the same size. 0 disables rate limiting.
    rate_limit_per_minute: int = 120
    #: When True, /v1/diagnoses and /v1/terms also need a bearer token. The case
    #: routes (uploads, patient data at rest) always need one.
    token_required: bool = False
    #: Default genome build of uploaded VCFs when the request does not give one.
    genome_build: str = "GRCh38"
    #: Start the background case worker thread in this process.
    worker_enabled: bool = True
    #: A running case whose worker has not heartbeaten for this long is re-queued.
    job_lease_seconds: float = 60.0
    #: A case whose worker died this many times is marked failed (never retried forever).
    max_attempts: int = 3
    #: Cases run at once by this server process (each in its own process, see worker.py).
    case_workers: int = 2
    #: Cases of one owner (token) running at once, over all server processes; 0 = one
    #: less than ``case_workers`` (at least 1), so another owner's case always finds a slot.
    case_max_running_per_owner: int = 0
    #: Per-case bounds on the uploaded VCF (decompressed): total bytes, header bytes,
    #: records, bytes of one line. Sized for a whole genome (see worker.VcfLimits);
    #: a case over a limit fails with a reason naming it.
    max_vcf_bytes: int = 16 * 1024 * MiB
    max_vcf_header_bytes: int = 16 * MiB
    max_vcf_records: int = 20_000_000
    max_vcf_line_bytes: int = 8 * MiB
    #: Largest ``top`` a client may ask for.
    max_top: int = 200
    #: ``POST /v1/diagnoses`` explains (term by term) the best this many diseases and
    #: genes; the rest of a longer list carry no explanation (bounds work and answer size).
    max_explained: int = 20
    #: Helper processes ranking large ``POST /v1/diagnoses`` requests (more than 40 terms
    #: or ``top`` > 50) off the event loop, per server process; forked on first use.
    large_request_workers: int = 1
    #: Serve the OpenAPI UI at ``/docs`` (assets served locally, never from a CDN).
    #: ``/openapi.json`` is always served.
    docs_enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        for name in ("hpo_dir", "config_file"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, Path(getattr(self, name)))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        for name in ("max_upload_bytes", "max_request_bytes", "max_attempts", "max_top", "max_explained", "large_request_workers", "case_workers",
                     "max_vcf_bytes", "max_vcf_header_bytes", "max_vcf_records", "max_vcf_line_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.case_max_running_per_owner < 0:
            raise ValueError("case_max_running_per_owner must be >= 0 (0 = case_workers - 1)")
        if self.rate_limit_per_minute < 0:
            raise ValueError("rate_limit_per_minute must be >= 0 (0 = off)")
        if self.job_lease_seconds <= 0:
            raise ValueError("job_lease_seconds must be positive")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "triage.sqlite3"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        """Settings from ``TRIAGE_*`` variables (e.g. ``TRIAGE_CORS_ORIGINS=a,b``)."""
        env = os.environ if environ is None else environ
        kw: dict[str, Any] = {}  # field name -> value of that field's type
        for f in fields(cls):
            raw = env.get(f"TRIAGE_{f.name.upper()}")
            if raw is None:
                continue
            default = getattr(cls, f.name, None) if f.name != "data_dir" else None
            if f.name in ("data_dir", "hpo_dir", "config_file"):
                kw[f.name] = Path(raw) if raw else None
            elif f.name == "cors_origins":
                kw[f.name] = tuple(o.strip() for o in raw.split(",") if o.strip())
            elif isinstance(default, bool):
                kw[f.name] = _bool(raw)
            elif isinstance(default, int):
                kw[f.name] = int(raw)
            elif isinstance(default, float):
                kw[f.name] = float(raw)
            else:
                kw[f.name] = raw
        if kw.get("data_dir") is None:
            kw.pop("data_dir", None)
        kw.update(overrides)
        return cls(**kw)

    def to_env(self) -> dict[str, str]:
        """Inverse of :meth:`from_env` (used to hand settings to uvicorn worker processes)."""
        out: dict[str, str] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if isinstance(v, tuple):
                v = ",".join(v)
            elif isinstance(v, bool):
                v = "1" if v else "0"
            out[f"TRIAGE_{f.name.upper()}"] = str(v)
        return out

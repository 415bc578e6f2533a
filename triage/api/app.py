"""The clinician service: ``create_app(settings) -> FastAPI``.

Run it with ``triage serve`` (see :mod:`triage.api.cli`), ``python -m triage.api serve``
or ``uvicorn --factory triage.api.app:create_app_from_env`` (settings from ``TRIAGE_*``).

Everything stateful (engine, storage, token store, rate limiter, worker, metrics)
is created per app in the lifespan handler and kept in ``app.state``; routes get
them through the typed dependencies of :mod:`triage.api.deps`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from triage import __version__
from triage.api.auth import RateLimiter, TokenStore
from triage.api.errors import install_handlers
from triage.api.metrics import Metrics
from triage.api.middleware import CatchAll, ServiceMiddleware
from triage.api.openapi import install_openapi
from triage.api.rankpool import RankPool
from triage.api.routers import cases, diagnoses, health, screen, terms
from triage.api.settings import Settings
from triage.api.storage import Storage
from triage.api.worker import CaseRanking, CaseWorker, VcfLimits
from triage.phenotype.engine import PhenotypeEngine

log = logging.getLogger("triage.api")

WEB_DIR = Path(__file__).resolve().parent / "web"

DESCRIPTION = """
Rank rare diseases and genes from a patient's HPO phenotype (`POST /v1/diagnoses`,
synchronous) or from a VCF plus phenotype (`/v1/cases`, queued, bearer token needed).

Errors are JSON: `{"error": code, "detail": message, "term": id-or-null}`.
Results are decision support for clinical review, not diagnoses.
"""


class TriageApp(FastAPI):
    """FastAPI with :class:`~triage.api.middleware.CatchAll` outside Starlette's own
    error middleware (which re-raises every exception to the server, message and all)."""

    def build_middleware_stack(self):
        return CatchAll(super().build_middleware_stack())


#: Swagger UI page: assets from the ``swagger-ui-bundle-v2`` wheel, served by us (no CDN:
#: a clinical network may have no internet, and a CDN would see who reads the docs).
_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} - API docs</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/web/docs.js"></script></body></html>
"""
_DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
             "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def swagger_ui_dir() -> Path | None:
    """The Swagger UI assets of the installed ``swagger-ui-bundle-v2``, or None."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    p = Path(str(swagger_ui_path))
    return p if (p / "swagger-ui-bundle.js").is_file() else None


def create_app(settings: Settings, engine: PhenotypeEngine | None = None) -> FastAPI:
    """Build the app. ``engine`` may be passed pre-loaded (tests share one); otherwise
    the lifespan handler loads it from ``settings.hpo_dir``."""

    # validated now, so a bad config fails `triage serve` at once with a clear message
    # (the workflow config: phenotype.model for the engine, the rest for VCF cases)
    from triage.prioritize.config import PipelineConfig

    pipeline_config = PipelineConfig.from_file(settings.config_file) if settings.config_file else None
    model = pipeline_config.model if pipeline_config else None
    from triage.treatability.screen import read_screen_config

    screen_config = read_screen_config(settings.config_file, None)[1] if settings.config_file else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        st = app.state
        st.engine_limiter = anyio.CapacityLimiter(1)
        st.storage = Storage(settings.data_dir)
        st.tokens = TokenStore(st.storage)
        st.engine = engine or await run_in_threadpool(
            PhenotypeEngine.load, str(settings.hpo_dir) if settings.hpo_dir else None, model)
        st.ranking = CaseRanking(st.engine, pipeline_config, screen_config)
        st.rank_pool = RankPool(st.engine, settings.large_request_workers)
        await run_in_threadpool(st.rank_pool.start)
        st.worker = None
        if settings.worker_enabled:
            st.worker = CaseWorker(
                st.storage, st.ranking, lease_seconds=settings.job_lease_seconds,
                max_attempts=settings.max_attempts, on_done=st.metrics.case_processed,
                concurrency=settings.case_workers,
                max_running_per_owner=settings.case_max_running_per_owner or None,
                limits=VcfLimits(settings.max_vcf_bytes, settings.max_vcf_header_bytes,
                                 settings.max_vcf_records, settings.max_vcf_line_bytes))
            st.worker.start()
        log.info("triage API ready (HPO %s, worker %s)", st.engine.data_versions.get("hpo"),
                 "on" if st.worker else "off")
        try:
            yield
        finally:
            st.rank_pool.close()
            if st.worker is not None:
                await run_in_threadpool(st.worker.stop)
            st.storage.close()

    docs_dir = swagger_ui_dir() if settings.docs_enabled else None
    app = TriageApp(
        title="triage clinician service",
        docs_url=None, redoc_url=None,  # FastAPI's pages load their scripts from a CDN
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "diagnoses", "description": "Synchronous phenotype ranking"},
            {"name": "terms", "description": "HPO autocomplete and lookup"},
            {"name": "cases", "description": "VCF + phenotype cases (bearer token)"},
            {"name": "screen", "description": "Genotype-first screen of a VCF for treatable conditions (bearer token)"},
            {"name": "health", "description": "Liveness, readiness, metrics"},
        ],
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.engine = None
    app.state.storage = None
    app.state.worker = None

    install_handlers(app)
    for r in (diagnoses.router, terms.router, cases.router, screen.router, health.router):
        app.include_router(r)
    install_openapi(app, settings.token_required)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", headers={
            "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
            "Cache-Control": "no-cache"})

    if docs_dir is not None:
        @app.get("/docs", include_in_schema=False)
        def docs() -> HTMLResponse:
            return HTMLResponse(_DOCS_HTML.format(title=html.escape(app.title)), headers={
                "Content-Security-Policy": _DOCS_CSP, "Cache-Control": "no-cache"})

        app.mount("/docs/assets", StaticFiles(directory=docs_dir), name="docs-assets")
    elif settings.docs_enabled:
        log.warning("/docs is off: the swagger-ui-bundle-v2 package (Swagger UI assets) is not installed")

    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "PATCH", "DELETE"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)
    # added last = outermost of the user middleware: sees every request and its final status
    app.add_middleware(ServiceMiddleware, settings=settings, metrics=app.state.metrics)
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn factory: ``uvicorn --factory triage.api.app:create_app_from_env``."""
    return create_app(Settings.from_env())

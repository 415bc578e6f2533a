"""Liveness, readiness and Prometheus metrics (no authentication, no patient data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from triage import __version__
from triage.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="Readiness: engine loaded, database reachable",
            responses={503: {"model": Health}})
def readyz(request: Request):
    st = request.app.state
    engine = getattr(st, "engine", None)
    storage = getattr(st, "storage", None)
    worker = getattr(st, "worker", None)
    checks = {
        "engine_loaded": engine is not None,
        "database": bool(storage is not None and storage.ping()),
        "worker": worker is None or worker.alive,
    }
    ok = all(checks.values())
    versions = None
    if engine is not None:
        versions = dict(engine.data_versions)
    body = Health(status="ready" if ok else "not_ready", checks=checks, data_versions=versions)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
def metrics(request: Request) -> PlainTextResponse:
    st = request.app.state
    engine = getattr(st, "engine", None)
    storage = getattr(st, "storage", None)
    counts = None
    if storage is not None:
        try:
            counts = storage.count_by_status()
        except Exception:
            counts = None
    info = {"version": __version__}
    if engine is not None:
        info["hpo"] = engine.data_versions.get("hpo", "unknown")
    text = st.metrics.render(counts, engine is not None, info)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")

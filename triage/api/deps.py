"""Typed FastAPI dependencies giving routes the per-app objects kept in ``app.state``.

The lifespan handler (:mod:`triage.api.app`) fills ``app.state``; nothing here or
anywhere in the package holds state at module level, so several apps (tests, one per
uvicorn worker process) never share anything by accident. They are ``async`` because
they only read attributes: FastAPI runs a plain ``def`` dependency in its thread pool,
a thread hop per dependency per request.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request

from triage.api.auth import RateLimiter, TokenStore
from triage.api.errors import ApiError
from triage.api.metrics import Metrics
from triage.api.rankpool import RankPool
from triage.api.settings import Settings
from triage.api.storage import Storage
from triage.api.worker import CaseRanking, CaseWorker
from triage.phenotype.engine import PhenotypeEngine


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> PhenotypeEngine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        raise ApiError(503, "not_ready", "the phenotype engine is not loaded yet")
    return engine


async def get_ranking(request: Request) -> CaseRanking:
    ranking = getattr(request.app.state, "ranking", None)
    if ranking is None:
        raise ApiError(503, "not_ready", "the phenotype engine is not loaded yet")
    return ranking


async def get_engine_limiter(request: Request) -> anyio.CapacityLimiter:
    """FIFO gate for engine work sent to threads (term search): one at a time per process.

    CPU-bound Python/numpy under the GIL gains nothing from parallel threads; many at
    once only add switching. (Ranking runs on the event loop itself, see diagnoses.)
    """
    return request.app.state.engine_limiter


async def get_rank_pool(request: Request) -> RankPool:
    """Helper processes for large phenotype rankings (see :mod:`triage.api.rankpool`)."""
    pool = getattr(request.app.state, "rank_pool", None)
    if pool is None:
        raise ApiError(503, "not_ready", "the phenotype engine is not loaded yet")
    return pool


async def get_storage(request: Request) -> Storage:
    storage = getattr(request.app.state, "storage", None)
    if storage is None:
        raise ApiError(503, "not_ready", "storage is not open")
    return storage


async def get_tokens(request: Request) -> TokenStore:
    return request.app.state.tokens


async def get_limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter


async def get_worker(request: Request) -> CaseWorker | None:
    return getattr(request.app.state, "worker", None)


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


EngineLimiterDep = Annotated[anyio.CapacityLimiter, Depends(get_engine_limiter)]
RankPoolDep = Annotated[RankPool, Depends(get_rank_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[PhenotypeEngine, Depends(get_engine)]
RankingDep = Annotated[CaseRanking, Depends(get_ranking)]
StorageDep = Annotated[Storage, Depends(get_storage)]
TokensDep = Annotated[TokenStore, Depends(get_tokens)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
WorkerDep = Annotated[CaseWorker | None, Depends(get_worker)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]

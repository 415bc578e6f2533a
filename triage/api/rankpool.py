"""Large ``POST /v1/diagnoses`` requests ranked in a forked helper process.

A typical query ranks in a few milliseconds on the event loop. The largest one the
schema allows (200 observed + 200 excluded terms, ``top`` 200) takes ~0.3-0.8 s, and
parts of it are single numpy calls and a pydantic serialisation that hold the GIL for
tens of milliseconds at a time: in a thread of the server process they stalled
``/healthz`` by up to ~200 ms when three ran back to back. In a separate process they
cost the event loop nothing but reading the answer from a pipe.

The helper processes are forked from the server once (at startup), so they share
the loaded engine copy-on-write and start instantly; they die with the server
(``PR_SET_PDEATHSIG``). Requests queue FIFO for ``large_request_workers`` helpers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from triage.api.errors import ApiError, status_for
from triage.errors import TriageError
from triage.phenotype.engine import PhenotypeEngine

log = logging.getLogger("triage.api")

#: Engines the forked helpers rank with, by pool (inherited through fork, never pickled).
_ENGINES: dict[int, PhenotypeEngine] = {}


def _init_helper(parent_pid: int) -> None:
    import signal

    from triage.api.worker import _die_with_parent, _lower_priority

    _die_with_parent(parent_pid)
    _lower_priority()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _rank_in_helper(key: int, body: dict[str, Any], max_top: int, max_explained: int) -> tuple:
    """Runs in the helper: ("ok", result JSON) or ("error", status, code, detail, term)."""
    from triage.api.routers.diagnoses import rank_request
    from triage.api.schemas import DiagnosisRequest

    req = DiagnosisRequest.model_validate(body)
    try:
        return ("ok", rank_request(_ENGINES[key], req, max_top, max_explained).model_dump_json())
    except ApiError as exc:
        return ("error", exc.status_code, exc.code, str(exc.detail), exc.term)
    except TriageError as exc:
        return ("error", status_for(exc), exc.code, str(exc), getattr(exc, "term_id", None))
    except Exception as exc:  # logged in the parent by type only
        return ("internal", type(exc).__name__)


class RankPool:
    """``await pool.rank(req, max_top, max_explained) -> JSON`` in a forked helper process."""

    def __init__(self, engine: PhenotypeEngine, workers: int = 1):
        self.key = id(self)
        self.workers = workers
        _ENGINES[self.key] = engine
        self._ex: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Fork the helpers now (at startup), not while serving: a fork pauses the server."""
        ex = self._executor()
        for f in [ex.submit(os.getpid) for _ in range(self.workers)]:
            f.result(timeout=60)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._ex is None:
                self._ex = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("fork"),
                                               initializer=_init_helper, initargs=(os.getpid(),))
            return self._ex

    async def rank(self, req, max_top: int, max_explained: int) -> str:
        ex = self._executor()
        try:
            out = await asyncio.wrap_future(ex.submit(_rank_in_helper, self.key, req.model_dump(),
                                                      max_top, max_explained))
        except BrokenProcessPool:
            self._reset(ex)
            raise ApiError(503, "ranking_unavailable",
                           "the ranking process stopped while answering; retry") from None
        if out[0] == "ok":
            return out[1]
        if out[0] == "error":
            _, status, code, detail, term = out
            raise ApiError(status, code, detail, term=term)
        raise RuntimeError(f"ranking helper failed with {out[1]}")

    def _reset(self, ex: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._ex is ex:
                self._ex = None
        ex.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            ex, self._ex = self._ex, None
        _ENGINES.pop(self.key, None)
        if ex is None:
            return
        procs = list(getattr(ex, "_processes", {}).values())
        ex.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.kill()
            p.join(5)

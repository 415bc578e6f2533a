"""Run the service: one uvicorn process, or N worker processes sharing a port.

uvicorn's own multi-process mode hands one listening socket to every worker. A
connection then belongs to whichever process accepted it, and the first process to
wake accepts everything pending: 32 keep-alive clients connecting at once all landed
in one worker, which served them alone while the other idled (measured with wrk).
Here each worker opens its own socket with ``SO_REUSEPORT`` instead, so the kernel
spreads new connections over the workers (by a hash of the connection's addresses),
as nginx's ``reuseport`` does. A small supervisor restarts a worker that dies and
stops all of them on SIGINT/SIGTERM.

Each worker builds its app from ``TRIAGE_*`` environment variables (the uvicorn
factory :func:`triage.api.app.create_app_from_env`), so workers share nothing but the
data directory (SQLite in WAL mode, leases for case jobs).
"""

from __future__ import annotations

import copy
import logging
import multiprocessing as mp
import os
import signal
import socket
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

log = logging.getLogger("triage.api.server")

APP_FACTORY = "triage.api.app:create_app_from_env"
#: A worker that dies sooner than this after starting counts as a failed start.
EARLY_DEATH_SECONDS = 10.0
#: Consecutive failed starts of one worker slot after which the server gives up.
MAX_FAILED_STARTS = 3


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    graceful_seconds: int = 15


def reuseport_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT (one per worker process)."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(addr)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_log_config(level: str = "info") -> dict:
    """uvicorn's logging config with timestamps, plus our ``triage`` loggers."""
    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg["formatters"]["default"]["fmt"] = "%(asctime)s %(levelprefix)s %(name)s: %(message)s"
    cfg["loggers"]["triage"] = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return cfg


def uvicorn_config(opts: ServeOptions):
    import uvicorn

    return uvicorn.Config(APP_FACTORY, factory=True, host=opts.host, port=opts.port,
                          access_log=False,  # our own access log omits paths and queries
                          log_config=uvicorn_log_config(opts.log_level), log_level=opts.log_level,
                          timeout_graceful_shutdown=opts.graceful_seconds)


def _worker_main(opts: ServeOptions, env: dict[str, str]) -> None:
    """Entry point of one worker process (spawned: imports nothing from the parent)."""
    import uvicorn

    os.environ.update(env)
    sock = reuseport_socket(opts.host, opts.port)
    uvicorn.Server(uvicorn_config(opts)).run(sockets=[sock])


def serve(opts: ServeOptions, env: dict[str, str]) -> int:
    """Serve until SIGINT/SIGTERM; returns the process exit code."""
    import uvicorn

    os.environ.update(env)
    if opts.workers <= 1 or not reuseport_supported():
        if opts.workers > 1:
            log.warning("SO_REUSEPORT unavailable: falling back to uvicorn's shared-socket workers")
        uvicorn.run(APP_FACTORY, factory=True, host=opts.host, port=opts.port, workers=opts.workers,
                    access_log=False, log_config=uvicorn_log_config(opts.log_level),
                    log_level=opts.log_level, timeout_graceful_shutdown=opts.graceful_seconds)
        return 0
    # Fail fast, in the parent, when the port is taken by a process of another kind:
    # a probe that binds (without listening) shares the port only with SO_REUSEPORT peers.
    try:
        probe = reuseport_socket(opts.host, opts.port)
        probe.close()
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", opts.host, opts.port, exc.strerror or exc)
        return 1
    return Supervisor(opts, env).run()


class Supervisor:
    """Start ``opts.workers`` worker processes, restart dead ones, stop them on a signal."""

    def __init__(self, opts: ServeOptions, env: dict[str, str]):
        self.opts, self.env = opts, env
        self.ctx = mp.get_context("spawn")
        self.procs: list[BaseProcess | None] = [None] * opts.workers
        self.started: list[float] = [0.0] * opts.workers
        self.failed: list[int] = [0] * opts.workers
        self.stopping = False

    def _start(self, slot: int) -> None:
        p = self.ctx.Process(target=_worker_main, args=(self.opts, self.env), name=f"triage-worker-{slot}",
                             daemon=False)
        p.start()
        self.procs[slot], self.started[slot] = p, time.monotonic()
        log.info("started worker %d (pid %d)", slot, p.pid)

    def _on_signal(self, signum, frame) -> None:  # noqa: ARG002 (signal handler signature)
        self.stopping = True

    def run(self) -> int:
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        log.info("serving on http://%s:%d with %d worker processes (SO_REUSEPORT)",
                 self.opts.host, self.opts.port, self.opts.workers)
        code = 0
        try:
            for slot in range(self.opts.workers):
                self._start(slot)
            while not self.stopping:
                time.sleep(0.2)
                for slot, p in enumerate(self.procs):
                    if p is None or p.is_alive() or self.stopping:
                        continue
                    early = time.monotonic() - self.started[slot] < EARLY_DEATH_SECONDS
                    self.failed[slot] = self.failed[slot] + 1 if early else 0
                    log.warning("worker %d (pid %d) exited with %s%s", slot, p.pid, p.exitcode,
                                " soon after starting" if early else "; restarting")
                    if self.failed[slot] >= MAX_FAILED_STARTS:
                        log.error("worker %d failed to start %d times; stopping", slot, self.failed[slot])
                        self.stopping, code = True, 1
                        break
                    self._start(slot)
        finally:
            self._stop_all()
            for s, h in old.items():
                signal.signal(s, h)
        return code

    def _stop_all(self) -> None:
        live = [p for p in self.procs if p is not None and p.is_alive()]
        for p in live:
            p.terminate()  # SIGTERM: uvicorn finishes in-flight requests
        deadline = time.monotonic() + self.opts.graceful_seconds + 5
        for p in live:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                log.warning("worker pid %d did not stop; killing it", p.pid)
                p.kill()
                p.join(5)

"""``triage serve --workers N``: one SO_REUSEPORT socket per worker process, supervised.

Real processes on loopback: connections are spread over the workers, a killed worker
is replaced while the others keep answering, SIGTERM stops everything, and a port
held by another program is a clear error instead of a crash loop.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest
from helpers import ServerProcess, repo_root

from triage.api.server import reuseport_supported

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not reuseport_supported(), reason="SO_REUSEPORT not available here")]


def _workers(srv: ServerProcess) -> list[psutil.Process]:
    """Live worker processes (not the multiprocessing resource tracker, not zombies)."""
    out = []
    for c in psutil.Process(srv.proc.pid).children():
        try:
            if c.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(c.cmdline()):
                out.append(c)
        except psutil.Error:  # exited meanwhile
            continue
    return out


def _connections_per_worker(srv: ServerProcess) -> dict[int, int]:
    out = {}
    for w in _workers(srv):
        out[w.pid] = sum(1 for c in w.net_connections(kind="tcp")
                         if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == srv.port)
    return out


def _listening(srv: ServerProcess) -> list[int]:
    out = []
    for w in _workers(srv):
        try:
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == srv.port
                   for c in w.net_connections(kind="tcp")):
                out.append(w.pid)
        except psutil.Error:
            continue
    return out


def _wait_ready(url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("not ready")


def test_connections_spread_over_workers_and_killed_worker_is_replaced(tmp_path):
    srv = ServerProcess(tmp_path / "data", tmp_path / "server.log", workers=2).start()
    clients = []
    try:
        end = time.monotonic() + 60  # both workers listen on the port (their own sockets)
        while len(_listening(srv)) < 2 and time.monotonic() < end:
            time.sleep(0.2)
        assert len(_listening(srv)) == 2, srv.log()
        # 24 keep-alive connections opened at once, as a load generator does
        for _ in range(24):
            c = httpx.Client(base_url=srv.url, timeout=120)  # a worker still loading holds its queue
            clients.append(c)
        for c in clients:
            r = c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "top": 1, "explain": False})
            assert r.status_code == 200, r.text
        per = _connections_per_worker(srv)
        assert len(per) == 2 and sum(per.values()) == 24, per
        # P(all 24 on one of two sockets) = 2**-23 for a uniform hash
        assert min(per.values()) > 0, f"every connection went to one worker: {per}"

        victim = _workers(srv)[0].pid
        psutil.Process(victim).kill()
        end = time.monotonic() + 60
        while time.monotonic() < end:
            pids = {w.pid for w in _workers(srv)}
            if len(pids) == 2 and victim not in pids:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"worker {victim} not replaced: {srv.log()}")
        _wait_ready(srv.url)
        for _ in range(5):  # new connections: answered by the survivor or the replacement
            assert httpx.post(f"{srv.url}/v1/diagnoses", json={"hpo": ["HP:0001363"], "top": 1},
                              timeout=120).status_code == 200
        assert "exited with" in srv.log()

        workers = _workers(srv)
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(40) == 0
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers left running: {alive}"
    finally:
        for c in clients:
            c.close()
        srv.stop()


def test_port_taken_by_another_program_is_a_clear_error(tmp_path):
    with socket.socket() as other:  # a plain listener, no SO_REUSEPORT
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "triage.api", "serve", "--port", str(port), "--workers", "2",
                            "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60,
                           cwd=str(repo_root()))
    assert r.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in r.stderr + r.stdout
    assert "Traceback" not in r.stderr + r.stdout

"""Restart safety: kill -9 the server while a case runs; after a restart the case
completes (or, after too many crashes, fails with a reason). Never silently lost.

Uses the documented test hook TRIAGE_TEST_CASE_DELAY to keep the case running.
"""

from __future__ import annotations

import time

import httpx
import pytest
from helpers import ServerProcess, make_vcf

from triage.api.auth import TokenStore
from triage.api.storage import Storage

pytestmark = pytest.mark.slow


def _token(data_dir) -> dict[str, str]:
    storage = Storage(data_dir)
    try:
        return {"Authorization": f"Bearer {TokenStore(storage).create_token('restart-test')}"}
    finally:
        storage.close()


def _submit(url: str, h: dict) -> str:
    r = httpx.post(f"{url}/v1/cases", headers=h, files={"vcf": ("p.vcf", make_vcf())},
                   data={"hpo": "HP:0001156,HP:0001363"}, timeout=30)
    assert r.status_code == 202, r.text
    return r.json()["id"]


def _wait(url: str, h: dict, cid: str, until, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    s = None
    while time.monotonic() < end:
        s = httpx.get(f"{url}/v1/cases/{cid}", headers=h, timeout=10).json()
        if until(s):
            return s
        time.sleep(0.1)
    raise AssertionError(f"timeout; last status {s}")


def test_kill9_while_running_then_restart_completes(tmp_path):
    data, log = tmp_path / "data", tmp_path / "server.log"
    h = _token(data)
    srv = ServerProcess(data, log, env={"TRIAGE_TEST_CASE_DELAY": "30"}).start()
    try:
        cid = _submit(srv.url, h)
        s = _wait(srv.url, h, cid, lambda s: s["status"] == "running" and s["progress"] >= 0.5)
        assert s["attempts"] == 1
        srv.kill9()
    finally:
        srv.stop()

    srv = ServerProcess(data, log).start()  # no delay this time
    try:
        s = _wait(srv.url, h, cid, lambda s: s["status"] in ("done", "failed"))
        assert s["status"] == "done", s
        assert s["attempts"] == 2
        r = httpx.get(f"{srv.url}/v1/cases/{cid}/result", headers=h, timeout=10)
        assert r.status_code == 200 and r.json()["diseases"]
        hist = httpx.get(f"{srv.url}/v1/cases/{cid}/history", headers=h, timeout=10).json()["rankings"]
        assert len(hist) == 1
    finally:
        srv.stop()
    text = log.read_text()
    assert cid in text and "HP:0001156" not in text and "p.vcf" not in text


def test_repeated_crashes_fail_with_reason(tmp_path):
    data, log = tmp_path / "data", tmp_path / "server.log"
    h = _token(data)
    cid = None
    for attempt in (1, 2, 3):
        srv = ServerProcess(data, log, env={"TRIAGE_TEST_CASE_DELAY": "30", "TRIAGE_MAX_ATTEMPTS": "3"}).start()
        try:
            if cid is None:
                cid = _submit(srv.url, h)
            s = _wait(srv.url, h, cid, lambda s: s["status"] == "running")
            assert s["attempts"] == attempt
            srv.kill9()
        finally:
            srv.stop()
    srv = ServerProcess(data, log, env={"TRIAGE_MAX_ATTEMPTS": "3"}).start()
    try:
        s = httpx.get(f"{srv.url}/v1/cases/{cid}", headers=h, timeout=10).json()
        assert s["status"] == "failed" and "3 times" in s["reason"], s
        r = httpx.get(f"{srv.url}/v1/cases/{cid}/result", headers=h, timeout=10)
        assert r.status_code == 409 and "failed" in r.json()["detail"]
    finally:
        srv.stop()

"""Hardening regressions of the service (issue 15): bad phenopackets, gzip bombs,
cancellation, fairness, large public requests, unhandled errors, file modes, /docs."""

from __future__ import annotations

import pytest

from .api_helpers import make_vcf

BAD_PHENOPACKETS = {
    "subject_string": b'{"subject": "bob"}',
    "interpretations_int": b'{"id": "x", "interpretations": [1]}',
    "interpretations_object": b'{"id": "x", "interpretations": {}}',
    "iso8601_int": b'{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "onset": {"age": {"iso8601duration": 5}}}]}',
    "huge_integer": b'{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}}], "id": ' + b"9" * 5000 + b"}",
    "deeply_nested": b'{"subject": ' + b"[" * 20000 + b"]" * 20000 + b"}",
    "excluded_string": b'{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "excluded": "false"}]}',
}


@pytest.mark.parametrize("name", sorted(BAD_PHENOPACKETS))
def test_bad_phenopacket_422_not_500(make_client, name):
    from .api_helpers import auth

    c = make_client(raise_server_exceptions=False, worker_enabled=False)
    files = {"vcf": ("p.vcf", make_vcf(), "application/octet-stream"),
             "phenopacket": ("pp.json", BAD_PHENOPACKETS[name], "application/json")}
    r = c.post("/v1/cases", headers=auth(c), files=files)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "bad_phenopacket" and body["detail"].startswith("phenopacket: ")


# --------------------------------------------------------------------------- finding 10: data at rest
def _mode(p) -> int:
    import os

    return os.stat(p).st_mode & 0o777


def test_data_dir_private_and_db_files_0600(client, headers):
    from .api_helpers import submit, wait_case

    case = submit(client, headers)
    assert wait_case(client, headers, case["id"])["status"] == "done"
    st = client.app.state.storage
    d = st.data_dir
    for sub in (d, d / "uploads", d / "tmp", d / "annotations"):
        assert _mode(sub) == 0o700, (sub, oct(_mode(sub)))
    for f in ("triage.sqlite3", "triage.sqlite3-wal", "triage.sqlite3-shm"):
        assert (d / f).exists() and _mode(d / f) == 0o600, (f, oct(_mode(d / f)))
    for up in (d / "uploads").rglob("*"):
        assert _mode(up) == (0o700 if up.is_dir() else 0o600), up


def test_existing_world_readable_data_dir_tightened(tmp_path):
    import os
    import sqlite3

    from triage.api.storage import Storage

    d = tmp_path / "old"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    sqlite3.connect(d / "triage.sqlite3").close()
    os.chmod(d / "triage.sqlite3", 0o644)
    s = Storage(d)
    s.conn().execute("SELECT 1")
    assert _mode(d) == 0o700 and _mode(d / "triage.sqlite3") == 0o600
    s.close()


# --------------------------------------------------------------------------- finding 11: unhandled errors
SECRET = "PATIENT-SECRET-HP:0001156-Smith"


def test_unhandled_exception_logs_type_and_request_id_only(engine, tmp_path):
    """A real uvicorn server: the exception text reaches neither our log nor uvicorn's."""
    import asyncio
    import logging
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from triage.api.app import create_app
    from triage.api.settings import Settings

    app = create_app(Settings(data_dir=tmp_path / "d", rate_limit_per_minute=0, worker_enabled=False),
                     engine=engine)

    @app.get("/v1/boom", include_in_schema=False)
    def boom():
        raise RuntimeError(SECRET)

    @app.get("/v1/boom-async", include_in_schema=False)
    async def boom_async():
        raise KeyError(SECRET)

    records: list[logging.LogRecord] = []

    class Grab(logging.Handler):
        def emit(self, record):
            records.append(record)

    grab = Grab(level=logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error", "triage")]
    for lg in loggers:
        lg.addHandler(grab)
    old = logging.getLogger("triage.api").level
    logging.getLogger("triage.api").setLevel(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False, lifespan="on"))
    th = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    th.start()
    try:
        end = time.monotonic() + 30
        while not server.started and time.monotonic() < end:
            time.sleep(0.05)
        for path in ("/v1/boom", "/v1/boom-async"):
            r = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)
            assert r.status_code == 500
            body = r.json()
            assert body["error"] == "internal_error" and SECRET not in r.text
            rid = r.headers["x-request-id"]
            assert rid in body["detail"]
            time.sleep(0.2)
            text = "\n".join(rec.getMessage() + (str(rec.exc_info[1]) if rec.exc_info else "")
                             for rec in records)
            assert SECRET not in text, text
            assert "Exception in ASGI application" not in text, text
            mine = list({id(rec): rec.getMessage() for rec in records
                         if rid in rec.getMessage() and rec.levelno >= logging.ERROR}.values())
            assert len(mine) == 1 and ("RuntimeError" in mine[0] or "KeyError" in mine[0]), mine
    finally:
        server.should_exit = True
        th.join(10)
        for lg in loggers:
            lg.removeHandler(grab)
        logging.getLogger("triage.api").setLevel(old)


# --------------------------------------------------------------------------- finding 12: /docs offline
def test_docs_served_locally_without_cdn(client):
    import re

    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "http://" not in html and "https://" not in html and "cdn" not in html.lower()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs and all(u.startswith("/") and not u.startswith("//") for u in refs), refs
    for u in refs:
        a = client.get(u)
        assert a.status_code == 200 and len(a.content) > 50, u
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src" not in csp  # scripts: 'self' only
    assert "<script>" not in html, "no inline script (the CSP forbids it)"
    assert client.get("/redoc").status_code == 404  # its page loads from a CDN too


def test_docs_can_be_disabled(make_client):
    c = make_client(docs_enabled=False, worker_enabled=False)
    assert c.get("/docs").status_code == 404
    assert c.get("/openapi.json").status_code == 200

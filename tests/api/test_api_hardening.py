"""Hardening regressions of the service (issue 15): bad phenopackets, gzip bombs,
cancellation, fairness, large public requests, unhandled errors, file modes, /docs."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from helpers import make_vcf

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
    from helpers import auth

    c = make_client(raise_server_exceptions=False, worker_enabled=False)
    files = {"vcf": ("p.vcf", make_vcf(), "application/octet-stream"),
             "phenopacket": ("pp.json", BAD_PHENOPACKETS[name], "application/json")}
    r = c.post("/v1/cases", headers=auth(c), files=files)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "bad_phenopacket" and body["detail"].startswith("phenopacket: ")


# --------------------------------------------------------------------------- finding 10: data at rest
def _mode(p) -> int:
    return Path(p).stat().st_mode & 0o777


def test_data_dir_private_and_db_files_0600(client, headers):
    from helpers import submit, wait_case

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
    import sqlite3

    from triage.api.storage import Storage

    d = tmp_path / "old"
    d.mkdir(mode=0o755)
    d.chmod(0o755)
    sqlite3.connect(d / "triage.sqlite3").close()
    (d / "triage.sqlite3").chmod(0o644)
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


# --------------------------------------------------------------------------- findings 5-6: bounded case work
def big_vcf(n: int) -> bytes:
    """A valid gzipped VCF of ``n`` heterozygous SNVs on chr1: about 7 s of annotation per
    100,000 on the 2-core machine, during which the annotation step reports no progress."""
    import gzip

    from helpers import GRCH38_CHR1

    lines = ["##fileformat=VCFv4.2", f"##contig=<ID=chr1,length={GRCH38_CHR1}>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1"]
    lines += [f"chr1\t{1_000_000 + i * 37}\t.\tA\tG\t50\tPASS\t.\tGT\t0/1" for i in range(n)]
    return gzip.compress(("\n".join(lines) + "\n").encode(), 1)


def gzip_bomb(header_mib: int = 1024) -> bytes:
    """About 1 MiB of gzip that expands to a ``header_mib`` MiB VCF header (1 GiB by
    default): one 1 MiB ``##`` header line per gzip member, the member repeated."""
    import gzip

    first = gzip.compress(b"##fileformat=VCFv4.2\n")
    member = gzip.compress(b"##x=" + b"A" * ((1 << 20) - 5) + b"\n", 9)
    tail = gzip.compress(b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
                         b"chr1\t1000\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n")
    return first + member * header_mib + tail


def _cpu_seconds(proc) -> float:
    import psutil

    total = sum(proc.cpu_times()[:2])
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def test_check_vcf_limits_units(tmp_path):
    import gzip

    from triage.api.worker import VcfLimits, check_vcf_limits
    from triage.errors import InputFileError

    p = tmp_path / "b.vcf.gz"
    p.write_bytes(gzip_bomb(40))
    with pytest.raises(InputFileError, match="header exceeds the limit of 16 MiB"):
        check_vcf_limits(p, VcfLimits())
    q = tmp_path / "ok.vcf.gz"
    q.write_bytes(big_vcf(1000))
    assert check_vcf_limits(q, VcfLimits()) == 1000
    with pytest.raises(InputFileError, match="more than 999 records"):
        check_vcf_limits(q, VcfLimits(max_records=999))
    with pytest.raises(InputFileError, match="decompressed size exceeds the limit of 4 KiB"):
        check_vcf_limits(q, VcfLimits(max_bytes=4096))
    r = tmp_path / "long.vcf"
    r.write_bytes(b"##fileformat=VCFv4.2\n#CHROM\n" + b"x" * 5000 + b"\n")
    with pytest.raises(InputFileError, match="longer than the limit"):
        check_vcf_limits(r, VcfLimits(max_line_bytes=4096))
    with pytest.raises(InputFileError, match="corrupt or truncated"):
        t = tmp_path / "trunc.vcf.gz"
        t.write_bytes(gzip.compress(b"##fileformat=VCFv4.2\n" * 1000)[:-30])
        check_vcf_limits(t, VcfLimits())


@pytest.mark.slow
def test_gzip_bomb_fails_with_reason_and_healthz_stays_fast(tmp_path):
    """A 1 MiB .gz expanding to a 1 GiB header, on a real server: the case fails naming
    the header limit, and /healthz answers within 100 ms all the while."""
    import time

    import httpx
    from helpers import ServerProcess

    from triage.api.auth import TokenStore
    from triage.api.storage import Storage

    data = tmp_path / "data"
    token = TokenStore(Storage(data)).create_token("bomb")
    srv = ServerProcess(data, tmp_path / "server.log").start()
    try:
        h = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            bomb = gzip_bomb()
            assert len(bomb) < 2 << 20
            r = c.post("/v1/cases", headers=h, data={"hpo": "HP:0001156"},
                       files={"vcf": ("bomb.vcf.gz", bomb, "application/gzip")})
            assert r.status_code == 202, r.text
            cid = r.json()["id"]
            lat, status, t0 = [], None, time.monotonic()
            while time.monotonic() - t0 < 60:
                t = time.perf_counter()
                assert c.get("/healthz").status_code == 200
                lat.append(time.perf_counter() - t)
                status = c.get(f"/v1/cases/{cid}", headers=h).json()
                if status["status"] in ("done", "failed"):
                    break
                time.sleep(0.01)
            took = time.monotonic() - t0
            # keep probing a little after the end (the case process may still be exiting)
            for _ in range(20):
                t = time.perf_counter()
                c.get("/healthz")
                lat.append(time.perf_counter() - t)
        assert status["status"] == "failed", status
        assert "header exceeds the limit of 16 MiB" in status["reason"], status
        assert took < 20, took
        lat.sort()
        print(f"gzip bomb: failed after {took:.2f} s; /healthz n={len(lat)} "
              f"median {lat[len(lat) // 2] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
        assert lat[int(len(lat) * 0.99)] < 0.1 and lat[-1] < 0.3, \
            f"/healthz took {lat[-1] * 1000:.0f} ms during the bomb"
    finally:
        srv.stop()


@pytest.mark.slow
def test_delete_stops_a_running_case_at_once(make_client):
    """DELETE kills the case process, also during annotation (which reports no progress)."""
    import time

    import psutil
    from helpers import auth, submit

    c = make_client(case_workers=1)
    h = auth(c)
    case = submit(c, h, vcf=big_vcf(300_000), genome_build="GRCh38")
    end = time.monotonic() + 60
    while time.monotonic() < end:
        st = c.get(f"/v1/cases/{case['id']}", headers=h).json()
        if st["status"] == "running":
            break
        assert st["status"] in ("queued", "running"), st
        time.sleep(0.05)
    time.sleep(4.0)  # the VCF checked, resources loaded, the annotation under way
    assert c.get(f"/v1/cases/{case['id']}", headers=h).json()["status"] == "running"
    assert c.delete(f"/v1/cases/{case['id']}", headers=h).status_code == 204
    t0 = time.monotonic()
    time.sleep(1.0)
    me = psutil.Process()
    cpu0 = _cpu_seconds(me)
    time.sleep(2.0)
    used = _cpu_seconds(me) - cpu0
    assert used < 0.3, f"{used:.2f} CPU-s used in the 2 s after DELETE: the case still runs"
    worker = c.app.state.worker
    assert getattr(worker, "running", None) == [], "the worker still holds the case"
    assert time.monotonic() - t0 < 10
    assert not list((c.app.state.storage.data_dir / "annotations").glob("*")), "nothing left of it"


@pytest.mark.slow
def test_one_owners_large_cases_do_not_starve_another_owner(make_client):
    import time

    from helpers import auth, submit, wait_case

    c = make_client(case_workers=2)
    a, b = auth(c, "lab-a"), auth(c, "lab-b")
    big = big_vcf(300_000)
    a_ids = [submit(c, a, vcf=big, genome_build="GRCh38", top=str(5 + i))["id"] for i in range(3)]
    time.sleep(0.3)
    t0 = time.monotonic()
    small = submit(c, b, genome_build="GRCh38")
    st = wait_case(c, b, small["id"], timeout=90)
    took = time.monotonic() - t0
    assert st["status"] == "done", st
    states = [c.get(f"/v1/cases/{i}", headers=a).json()["status"] for i in a_ids]
    assert states.count("running") == 1, states  # owner cap: case_workers - 1
    assert "done" not in states, f"lab-b waited for lab-a's cases ({took:.1f} s): {states}"
    for i in a_ids:
        c.delete(f"/v1/cases/{i}", headers=a)


def test_settings_validate_pool_and_limits():
    from triage.api.settings import Settings

    s = Settings.from_env({"TRIAGE_CASE_WORKERS": "4", "TRIAGE_MAX_VCF_RECORDS": "100"})
    assert s.case_workers == 4 and s.max_vcf_records == 100
    for bad in ({"case_workers": 0}, {"max_vcf_bytes": 0}, {"case_max_running_per_owner": -1}):
        with pytest.raises(ValueError):
            Settings(**bad)


# --------------------------------------------------------------------------- finding 7: large public requests
def largest_request(engine) -> dict:
    """The largest body the schema allows: 200 observed + 200 excluded terms, top 200, explained."""
    import random

    ids = [i for i in engine.kb.ontology.ids if i.startswith("HP:")]
    terms = random.Random(7).sample(ids, 400)
    return {"hpo": terms[:200], "excluded": terms[200:], "top": 200, "explain": True}


def test_largest_request_is_bounded(client, engine):
    r = client.post("/v1/diagnoses", json=largest_request(engine))
    assert r.status_code == 200
    body = r.json()
    assert len(body["diseases"]) == 200
    explained = [d for d in body["diseases"] if d["explanation"]["matches"]]
    assert len(explained) == 20 and explained == body["diseases"][:20]
    assert any(w["code"] == "explanations_limited" for w in body["warnings"])
    assert len(r.content) < 8 << 20, f"{len(r.content) / 1e6:.1f} MB"


@pytest.mark.slow
def test_healthz_fast_while_largest_requests_run(tmp_path, engine):
    """Three of the largest allowed public requests at once, on a real server: /healthz
    answers within 100 ms throughout."""
    import json
    import subprocess
    import sys
    import time

    import httpx
    from helpers import ServerProcess

    srv = ServerProcess(tmp_path / "data", tmp_path / "server.log").start()
    try:
        # the big clients run in their own processes: their parsing of 4 MB answers must
        # not delay this process's /healthz probe
        script = ("import json, os, sys, time, httpx\nos.nice(19)\n"
                  "body = json.loads(sys.argv[2])\n"
                  "with httpx.Client(base_url=sys.argv[1], timeout=120) as c:\n"
                  "    for _ in range(2):\n"
                  "        t = time.perf_counter()\n"
                  "        r = c.post('/v1/diagnoses', json=body)\n"
                  "        print(r.status_code, time.perf_counter() - t, len(r.content), flush=True)\n")
        body = json.dumps(largest_request(engine))
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            c.get("/healthz")
            procs = [subprocess.Popen([sys.executable, "-c", script, srv.url, body], stdout=subprocess.PIPE,
                                      text=True) for _ in range(3)]
            lat = []
            while any(p.poll() is None for p in procs):
                t = time.perf_counter()
                assert c.get("/healthz").status_code == 200
                lat.append(time.perf_counter() - t)
                time.sleep(0.01)
        out = [line.split() for p in procs for line in p.stdout.read().splitlines()]
        codes = [int(o[0]) for o in out]
        took = sorted(float(o[1]) for o in out)
        assert codes == [200] * 6, codes
        lat.sort()
        print(f"6 largest requests (3 clients at once): {took[len(took) // 2]:.2f} s median each, "
              f"{int(out[0][2]) / 1e6:.1f} MB; /healthz n={len(lat)} median {lat[len(lat) // 2] * 1000:.1f} ms, "
              f"p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
        # within 100 ms: p99 strictly; a single probe may lose its core to another process
        # on a shared 2-core machine (seen: one of ~400 probes at 115 ms under load 6)
        assert len(lat) > 20 and lat[int(len(lat) * 0.99)] < 0.1, f"/healthz p99 {lat[int(len(lat) * 0.99)]:.3f} s"
        assert lat[-1] < 0.3, f"/healthz took {lat[-1] * 1000:.0f} ms"
    finally:
        srv.stop()


# --------------------------------------------------------------------------- OpenAPI contract
def test_openapi_documents_the_real_error_answers(client):
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                if code[0] in "45" and not (code == "503" and not path.startswith("/v1/")):
                    assert resp["content"]["application/json"]["schema"] == ref, (path, method, code)
    diag = spec["paths"]["/v1/diagnoses"]["post"]["responses"]
    assert {"400", "413", "422", "429", "500"} <= set(diag)
    assert spec["components"]["schemas"]["ErrorBody"]["properties"]["detail"]["type"] == "string"
    assert "text/html" in spec["paths"]["/v1/cases/{case_id}/report"]["get"]["responses"]["200"]["content"]
    # and the answers are what the document says
    r = client.post("/v1/diagnoses", content=b'{"hpo": ["\xff"]}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and isinstance(r.json()["detail"], str) and "UTF-8" in r.json()["detail"]
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "top": "10"})
    assert r.status_code == 422 and isinstance(r.json()["detail"], str) and r.json()["errors"]
    assert client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "explain": 0}).status_code == 422


def test_405_allow_lists_every_method_of_the_path(client, headers):
    r = client.request("OPTIONS", "/v1/cases", headers=headers)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "POST"}
    r = client.request("PUT", "/v1/cases/abc", headers=headers)
    assert r.status_code == 405 and set(r.headers["allow"].split(", ")) >= {"GET", "DELETE"}

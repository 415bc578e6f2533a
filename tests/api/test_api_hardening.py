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

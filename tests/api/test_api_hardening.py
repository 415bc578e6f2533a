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

"""GET /v1/terms, /v1/terms/{id}, /healthz, /readyz, /metrics, the web page."""

from __future__ import annotations

import re


def test_autocomplete(client):
    r = client.get("/v1/terms", params={"q": "brachyd", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "brachyd" and 1 <= len(body["results"]) <= 5
    assert body["results"][0] == {"id": "HP:0001156", "label": "Brachydactyly", "matched_synonym": None}


def test_autocomplete_by_id_and_no_hit(client):
    assert client.get("/v1/terms", params={"q": "HP:0001156"}).json()["results"][0]["id"] == "HP:0001156"
    assert client.get("/v1/terms", params={"q": "zzzzqqq"}).json()["results"] == []


def test_autocomplete_validation(client):
    for params in ({}, {"q": ""}, {"q": "a", "limit": 0}, {"q": "a", "limit": 51}, {"q": "x" * 101}):
        r = client.get("/v1/terms", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"] == "invalid_request"


def test_get_term(client):
    r = client.get("/v1/terms/HP:0001156")
    assert r.status_code == 200
    body = r.json()
    assert body["label"] == "Brachydactyly" and body["submitted_id"] is None
    assert body["parents"] and all(p["id"].startswith("HP:") for p in body["parents"])
    assert body["hpo_version"] == "2025-01-16"


def test_get_term_alt_and_obsolete_resolved(client, engine):
    r = client.get("/v1/terms/HP:0000057")
    assert r.status_code == 200
    assert r.json()["submitted_id"] == "HP:0000057" and r.json()["id"] == engine.kb.ontology.resolve("HP:0000057")


def test_get_term_errors(client, engine):
    r = client.get("/v1/terms/HP:9999999")
    assert r.status_code == 404
    assert r.json() == {"error": "unknown_term", "term": "HP:9999999", "detail": r.json()["detail"]}
    obsolete = next(iter(engine.kb.ontology.obsolete))
    r = client.get(f"/v1/terms/{obsolete}")
    assert r.status_code == 404 and r.json()["error"] == "obsolete_term"
    r = client.get("/v1/terms/notaterm")
    assert r.status_code == 422 and r.json()["error"] == "malformed_term" and r.json()["term"] == "notaterm"


def test_healthz_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}, "data_versions": None}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"engine_loaded": True, "database": True, "worker": True}


def test_readyz_not_ready_when_db_gone(client):
    storage = client.app.state.storage
    client.app.state.storage = None
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["status"] == "not_ready"
        assert r.json()["checks"]["database"] is False
    finally:
        client.app.state.storage = storage


def test_metrics(client, headers):
    from helpers import submit, wait_case

    client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "top": 1})
    client.get("/v1/terms/HP:9999999")
    c = submit(client, headers)
    wait_case(client, headers, c["id"])
    text = client.get("/metrics").text
    assert re.search(r'triage_http_requests_total\{method="POST",route="/v1/diagnoses",status="200",pid="\d+"\} 1', text)
    assert 'route="/v1/terms/{term_id}",status="404"' in text
    assert 'route="/v1/cases/{case_id}"' in text
    assert "HP:9999999" not in text and c["id"] not in text, "no raw paths in labels"
    assert re.search(r'triage_http_request_duration_seconds_bucket\{method="POST",route="/v1/diagnoses",pid="\d+",le="\+Inf"\} 1', text)
    assert 'triage_cases{status="done"} 1' in text and 'triage_cases{status="queued"} 0' in text
    assert "triage_engine_loaded 1" in text
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")


def test_web_page_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert 'id="term-input"' in r.text and "aria-live" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for f in ("app.js", "style.css"):
        assert client.get(f"/web/{f}").status_code == 200
    assert client.get("/web/../settings.py").status_code == 404

"""POST /v1/diagnoses and the error contract shared by every route."""

from __future__ import annotations

import logging

import pytest

from triage.api.settings import Settings


def test_rank_ok(client):
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156", "HP:0001363", "HP:0011304"],
                                           "excluded": ["HP:0000238"], "top": 5})
    assert r.status_code == 200
    body = r.json()
    assert len(body["diseases"]) == 5 and len(body["genes"]) <= 5
    assert [d["rank"] for d in body["diseases"]] == sorted(d["rank"] for d in body["diseases"])
    assert body["diseases"][0]["posterior"] > 0
    assert body["diseases"][0]["explanation"]["matches"], "term-by-term explanation expected"
    assert body["data_versions"]["hpo"] == "2025-01-16"
    assert "hpo_source" not in body["data_versions"], "server paths must not leak"
    assert {t["id"] for t in body["query"]["excluded"]} == {"HP:0000238"}
    assert r.headers["cache-control"] == "no-store"


def test_default_top_and_schema(client):
    body = client.post("/v1/diagnoses", json={"hpo": ["HP:0001250"]}).json()
    assert len(body["diseases"]) == 20
    assert body["schema_version"]


def test_unknown_term_422_names_it(client):
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156", "HP:9999999"]})
    assert r.status_code == 422
    assert r.json()["error"] == "unknown_term"
    assert r.json()["term"] == "HP:9999999"
    assert "HP:9999999" in r.json()["detail"]


def test_malformed_term_422_names_it(client):
    r = client.post("/v1/diagnoses", json={"hpo": ["brachydactyly"]})
    assert r.status_code == 422
    assert r.json() == {"error": "malformed_term", "term": "brachydactyly",
                        "detail": r.json()["detail"]}


def test_obsolete_without_replacement_422(client, engine):
    tid = next(iter(engine.kb.ontology.obsolete))
    r = client.post("/v1/diagnoses", json={"hpo": [tid]})
    assert r.status_code == 422
    assert r.json()["error"] == "obsolete_term" and r.json()["term"] == tid


def test_alt_id_mapped_with_warning(client):
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0000057", "HP:0001156"]})
    assert r.status_code == 200
    codes = {(w["code"], w["term"]) for w in r.json()["warnings"]}
    assert ("term_mapped", "HP:0000057") in codes


def test_no_terms_422(client):
    r = client.post("/v1/diagnoses", json={"hpo": []})
    assert r.status_code == 422 and r.json()["error"] == "no_usable_terms"


def test_malformed_json_422(client):
    r = client.post("/v1/diagnoses", content=b'{"hpo": ["HP:0001156"', headers={"content-type": "application/json"})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_request" and "JSON" in body["detail"]


def test_wrong_types_and_extra_fields_422(client):
    for payload in ({"hpo": "HP:0001156"}, {"hpo": [1, 2]}, {"hpo": ["HP:0001156"], "bogus": 1},
                    {"hpo": ["HP:0001156"], "top": 0}, {"hpo": ["HP:0001156"], "scorer": "nope"},
                    {"hpo": ["HP:0001156"], "sex": "robot"}, ["HP:0001156"]):
        r = client.post("/v1/diagnoses", json=payload)
        assert r.status_code == 422, payload
        assert r.json()["error"] == "invalid_request"
        assert r.json()["errors"], "per-field problems listed"


def test_top_above_max_422(make_client):
    c = make_client(max_top=50)
    r = c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "top": 51})
    assert r.status_code == 422 and "50" in r.json()["detail"]


def test_gene_restriction(client):
    body = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156", "HP:0001363"],
                                              "genes": ["FGFR2", "NOTAGENE1"]}).json()
    assert body["diseases"] and all("FGFR2" in d["genes"] for d in body["diseases"])
    assert any(w["code"] == "unknown_gene" for w in body["warnings"])


def test_sex_and_onset(client):
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "sex": "Female", "onset": "HP:0003577"})
    assert r.status_code == 200
    assert [w["code"] for w in r.json()["warnings"]].count("field_not_scored") == 1  # sex only
    assert "HP:0003577" in {t["id"] for t in r.json()["query"]["observed"]}, "onset is scored as a term"
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "onset": "P2Y"})
    assert r.status_code == 200 and len(r.json()["query"]["observed"]) == 2
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "onset": "yesterday"})
    assert r.status_code == 422 and "yesterday" in r.json()["detail"]
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "onset": "HP:0001156"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_onset" and r.json()["term"] == "HP:0001156"
    r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "onset": "HP:1234567"})
    assert r.status_code == 422 and r.json()["term"] == "HP:1234567"


def test_explain_false(client):
    body = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156", "HP:0001363"], "explain": False, "top": 3}).json()
    assert len(body["diseases"]) == 3 and all(not d["explanation"]["matches"] for d in body["diseases"])


def test_resnik_scorer(client):
    body = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "scorer": "resnik", "top": 3}).json()
    assert body["query"]["scorer"] == "resnik" and len(body["diseases"]) == 3


def test_request_too_large_413(make_client):
    c = make_client(max_request_bytes=2000)
    r = c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"] * 200})
    assert r.status_code == 413
    assert r.json()["error"] == "too_large"


def test_streamed_body_too_large_413(make_client):
    c = make_client(max_request_bytes=2000)

    def gen():
        yield b'{"hpo": ['
        for _ in range(300):
            yield b'"HP:0001156",'
        yield b'"HP:0001156"]}'

    r = c.post("/v1/diagnoses", content=gen(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_rate_limit_429(make_client):
    c = make_client(rate_limit_per_minute=3)
    codes = [c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"], "top": 1}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.get("/v1/terms", params={"q": "brachy"})
    assert r.status_code == 429
    assert r.json()["error"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    assert c.get("/healthz").status_code == 200, "health is never rate limited"


def test_token_required_for_public_routes(make_client):
    from helpers import auth

    c = make_client(token_required=True)
    assert c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"]}).status_code == 401
    h = auth(c)
    assert c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"]}, headers=h).status_code == 200


def test_unhandled_error_is_json_500_without_internals(make_client, monkeypatch, caplog):
    c = make_client(raise_server_exceptions=False)

    def boom(q, *a, **k):
        # the message quotes patient input; tracebacks show source lines, so build it at runtime
        raise RuntimeError("secret " + " ".join(t.id for t in q.observed))

    monkeypatch.setattr(c.app.state.engine, "score", boom)
    with caplog.at_level(logging.ERROR, logger="triage.api"):
        r = c.post("/v1/diagnoses", json={"hpo": ["HP:0001156"]})
    assert r.status_code == 500
    assert r.json()["error"] == "internal_error"
    assert "secret" not in r.text and "Traceback" not in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "RuntimeError" in logged and "/v1/diagnoses" in logged
    assert "HP:0001156" not in logged, "the exception message (patient input) is never logged"


def test_cors_off_by_default(client):
    r = client.options("/v1/diagnoses", headers={"Origin": "https://evil.example",
                                                 "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_on_when_configured(make_client):
    c = make_client(cors_origins=("https://clinic.example",))
    r = c.options("/v1/diagnoses", headers={"Origin": "https://clinic.example",
                                            "Access-Control-Request-Method": "POST"})
    assert r.headers.get("access-control-allow-origin") == "https://clinic.example"
    r = c.options("/v1/diagnoses", headers={"Origin": "https://evil.example",
                                            "Access-Control-Request-Method": "POST"})
    assert r.headers.get("access-control-allow-origin") != "https://evil.example"


def test_unknown_route_and_method_are_json(client):
    r = client.get("/v1/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get("/v1/diagnoses")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_openapi_has_examples(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/diagnoses"]["post"]
    assert op["requestBody"]["content"]["application/json"]["examples"]
    assert "/v1/cases/{case_id}/phenotypes" in spec["paths"]
    assert "multipart/form-data" in spec["paths"]["/v1/cases"]["post"]["requestBody"]["content"]


def test_settings_from_env_roundtrip(tmp_path):
    s = Settings(data_dir=tmp_path, cors_origins=("https://a", "https://b"), rate_limit_per_minute=7,
                 token_required=True, job_lease_seconds=2.5)
    assert Settings.from_env(s.to_env()) == s
    assert Settings.from_env({"TRIAGE_DATA_DIR": str(tmp_path), "TRIAGE_CORS_ORIGINS": ""}).cors_origins == ()


def test_config_file_sets_the_model_of_the_service(tmp_path):
    """TRIAGE_CONFIG_FILE / --config: phenotype.model reaches the engine the lifespan loads,
    and the answer's data_versions carries the matching parameter digest."""
    from fastapi.testclient import TestClient

    from triage.api.app import create_app
    from triage.phenotype.scoring.config import PhenotypeModel

    cfg = tmp_path / "config.yaml"
    cfg.write_text("phenotype:\n  model:\n    lr: {prior: uniform}\nquality:\n  min_gq: 35\n")
    s = Settings(data_dir=tmp_path / "d", config_file=cfg, worker_enabled=False, rate_limit_per_minute=0)
    assert Settings.from_env(s.to_env()) == s
    with TestClient(create_app(s)) as client:
        eng = client.app.state.engine
        assert eng.model == PhenotypeModel.from_dict({"lr": {"prior": "uniform"}})
        # VCF cases follow the same workflow config, and their stored annotation is keyed by it
        ranking = client.app.state.ranking
        assert ranking.engine is eng and ranking.config.annotate.quality.min_gq == 35
        assert ranking.annotation_digest
        r = client.post("/v1/diagnoses", json={"hpo": ["HP:0001156"]})
        assert r.status_code == 200
        assert r.json()["data_versions"]["model_params"] == eng.data_versions["model_params"]


def test_bad_model_config_fails_at_start_with_the_key(tmp_path):
    import subprocess
    import sys

    from triage.api.app import create_app
    from triage.errors import ConfigError

    cfg = tmp_path / "config.yaml"
    cfg.write_text("phenotype:\n  model:\n    lr: {gama: 0.2}\n")
    with pytest.raises(ConfigError, match="lr.gama"):
        create_app(Settings(data_dir=tmp_path / "d", config_file=cfg))
    r = subprocess.run([sys.executable, "-m", "triage.api", "serve", "--data-dir", str(tmp_path / "d"),
                        "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "lr.gama" in r.stderr and "Traceback" not in r.stderr


def test_diagnoses_carry_therapy_flags_and_filter(client):
    sma = ["HP:0001252", "HP:0003701", "HP:0001284", "HP:0001308", "HP:0002747", "HP:0003202", "HP:0002093"]
    r = client.post("/v1/diagnoses", json={"hpo": sma, "onset": "HP:0003593", "top": 5})
    assert r.status_code == 200
    top = r.json()["diseases"][0]
    assert top["id"] == "OMIM:253300"
    inns = {(t["inn"], t["agency"]) for t in top["therapies"]}
    assert ("onasemnogene abeparvovec", "FDA") in inns and ("nusinersen", "EMA") in inns
    only = client.post("/v1/diagnoses", json={"hpo": sma, "onset": "HP:0003593", "top": 5,
                                              "treatable_only": True}).json()
    assert only["diseases"] and all(d["therapies"] for d in only["diseases"])
    assert all(g["therapies"] for g in only["genes"])

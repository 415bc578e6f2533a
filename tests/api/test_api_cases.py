"""/v1/cases: auth, ownership, uploads, the worker, results, re-ranking, deletion."""

from __future__ import annotations

import gzip
import json
import logging

import pytest
from helpers import GRCH37_CHR1, auth, make_vcf, submit, wait_case

from triage.phenotype.phenopacket import parse_phenopacket


# --------------------------------------------------------------------------- auth
def test_missing_token_401(client):
    for method, path in [("get", "/v1/cases"), ("get", "/v1/cases/abc"), ("get", "/v1/cases/abc/result"),
                         ("get", "/v1/cases/abc/history"), ("delete", "/v1/cases/abc"),
                         ("patch", "/v1/cases/abc/phenotypes")]:
        r = getattr(client, method)(path)
        assert r.status_code == 401, path
        assert r.json()["error"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.post("/v1/cases", files={"vcf": ("a.vcf", make_vcf())}, data={"hpo": "HP:0001156"})
    assert r.status_code == 401


def test_invalid_and_revoked_token_401(client):
    for bad in ("Bearer nope", "Bearer trg_1234_abc", "Basic dXNlcjpwYXNz", "Bearer "):
        assert client.get("/v1/cases", headers={"Authorization": bad}).status_code == 401, bad
    tokens = client.app.state.tokens
    plain = tokens.create_token("to-revoke")
    h = {"Authorization": f"Bearer {plain}"}
    assert client.get("/v1/cases", headers=h).status_code == 200
    assert tokens.revoke_token(tokens.token_id(plain))
    assert client.get("/v1/cases", headers=h).status_code == 401
    # tampered secret with a valid id
    other = tokens.create_token("x")
    assert client.get("/v1/cases", headers={"Authorization": f"Bearer {other}x"}).status_code == 401


def test_tokens_stored_hashed(client):
    plain = client.app.state.tokens.create_token("hash-check")
    raw = client.app.state.storage.db_path.read_bytes()
    assert plain.encode() not in raw
    secret = plain.split("_", 2)[2]
    assert secret.encode() not in raw


def test_other_owner_gets_404(client, headers):
    case = submit(client, headers)
    wait_case(client, headers, case["id"])
    other = auth(client, "someone-else")
    for path in ("", "/result", "/report", "/phenopacket", "/history"):
        r = client.get(f"/v1/cases/{case['id']}{path}", headers=other)
        assert r.status_code == 404, path
        assert r.json()["error"] == "case_not_found"
    assert client.patch(f"/v1/cases/{case['id']}/phenotypes", headers=other, json={"add": ["HP:0004322"]}).status_code == 404
    assert client.delete(f"/v1/cases/{case['id']}", headers=other).status_code == 404
    assert client.get("/v1/cases", headers=other).json()["cases"] == []
    assert client.get(f"/v1/cases/{case['id']}", headers=headers).status_code == 200


def test_case_rate_limit_per_token(make_client):
    c = make_client(rate_limit_per_minute=2)
    h1, h2 = auth(c, "a"), auth(c, "b")
    assert [c.get("/v1/cases", headers=h1).status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/v1/cases", headers=h2).status_code == 200, "buckets are per token"


# --------------------------------------------------------------------------- happy path
def test_case_lifecycle(client, headers):
    case = submit(client, headers, sample="PROBAND", genome_build="hg38", top="7")
    assert case["status"] == "queued" and case["links"]["self"] == f"/v1/cases/{case['id']}"
    s = wait_case(client, headers, case["id"])
    assert s["status"] == "done" and s["progress"] == 1.0 and s["reason"] is None
    assert s["genome_build"] == "GRCh38" and s["has_vcf"] and s["n_observed"] == 2
    assert s["data_versions"]["hpo"] == "2025-01-16"
    res = client.get(f"/v1/cases/{case['id']}/result", headers=headers).json()
    assert len(res["diseases"]) == 7
    summary = [w for w in res["warnings"] if w["code"] == "vcf_summary"]
    assert summary and "3 records" in summary[0]["message"]
    listed = client.get("/v1/cases", headers=headers).json()["cases"]
    assert [c["id"] for c in listed] == [case["id"]]


def test_gzipped_vcf_and_multisample(client, headers):
    case = submit(client, headers, vcf=make_vcf(samples=("MOTHER", "KID", "FATHER"), gz=True), sample="KID")
    assert wait_case(client, headers, case["id"])["status"] == "done"


def test_phenopacket_input(client, headers):
    pp = {"id": "p1", "subject": {"id": "KID", "sex": "FEMALE"},
          "phenotypicFeatures": [{"type": {"id": "HP:0001156"}}, {"type": {"id": "HP:0001363"}},
                                 {"type": {"id": "HP:0000238"}, "excluded": True}]}
    case = submit(client, headers, phenopacket=json.dumps(pp).encode())
    s = wait_case(client, headers, case["id"])
    assert s["status"] == "done" and s["n_observed"] == 2 and s["n_excluded"] == 1
    out = client.get(f"/v1/cases/{case['id']}/phenopacket", headers=headers).json()
    assert out["subject"]["sex"] == "FEMALE"


def test_report_and_phenopacket_export(client, headers):
    case = submit(client, headers, sample="PROBAND")
    wait_case(client, headers, case["id"])
    r = client.get(f"/v1/cases/{case['id']}/report", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Brachydactyly" in r.text and "<script" not in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    pp = client.get(f"/v1/cases/{case['id']}/phenopacket", headers=headers).json()
    assert pp["metaData"]["phenopacketSchemaVersion"] == "2.0"
    assert pp["subject"]["id"] == "PROBAND"
    interp = pp["interpretations"]
    assert len(interp) == 10
    assert all(i["progressStatus"] == "IN_PROGRESS" for i in interp)
    gis = [g for i in interp for g in i["diagnosis"]["genomicInterpretations"]]
    assert gis and all(g["interpretationStatus"] == "CANDIDATE" and g["gene"]["valueId"].startswith("NCBIGene:")
                       for g in gis)
    parsed = parse_phenopacket(pp, "export")  # our own reader accepts it
    assert parsed.observed == ["HP:0001156", "HP:0001363"]
    assert parsed.diseases[0] == interp[0]["diagnosis"]["disease"]["id"]


# --------------------------------------------------------------------------- failures in the worker
@pytest.mark.parametrize("vcf,data,needle", [
    (make_vcf(samples=("A", "B")), {}, "2 samples"),
    (make_vcf(samples=("A",)), {"sample": "NOPE"}, "not in the VCF"),
    (make_vcf(chr1_length=GRCH37_CHR1), {"genome_build": "GRCh38"}, "GRCh37"),
    (b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", {}, "no genotype"),
])
def test_case_fails_with_reason(client, headers, vcf, data, needle):
    case = submit(client, headers, vcf=vcf, **data)
    s = wait_case(client, headers, case["id"])
    assert s["status"] == "failed" and needle in s["reason"], s
    r = client.get(f"/v1/cases/{case['id']}/result", headers=headers)
    assert r.status_code == 409 and r.json()["error"] == "case_not_done" and needle in r.json()["detail"]


def test_grch37_vcf_with_grch37_build_ok(client, headers):
    case = submit(client, headers, vcf=make_vcf(chr1_length=GRCH37_CHR1), genome_build="b37")
    assert wait_case(client, headers, case["id"])["status"] == "done"


# --------------------------------------------------------------------------- upload validation
def test_not_a_vcf_422(client, headers):
    for content, needle in [(b"hello world\n", "##fileformat=VCF"), (gzip.compress(b"PK\x03\x04 zip?"), "##fileformat=VCF"),
                            (b"\x1f\x8bnot really gzip", "cannot be decompressed"), (b"\n\n", "empty")]:
        r = client.post("/v1/cases", headers=headers, files={"vcf": ("x.vcf", content)}, data={"hpo": "HP:0001156"})
        assert r.status_code == 422, content
        assert r.json()["error"] == "not_a_vcf" and needle in r.json()["detail"]
    uploads = client.app.state.storage.upload_dir
    assert not [p for p in uploads.rglob("*") if p.is_file()], "rejected uploads are not kept"


def test_oversize_upload_413(make_client):
    c = make_client(max_upload_bytes=4096, max_request_bytes=1024)
    h = auth(c)
    big = make_vcf(n=400)
    assert len(big) > 4096 + 1024
    r = c.post("/v1/cases", headers=h, files={"vcf": ("big.vcf", big)}, data={"hpo": "HP:0001156"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    mid = make_vcf(n=125)  # over the file limit, under the request limit
    assert 4096 < len(mid) < 4096 + 900
    r = c.post("/v1/cases", headers=h, files={"vcf": ("mid.vcf", mid)}, data={"hpo": "HP:0001156"})
    assert r.status_code == 413 and "VCF larger" in r.json()["detail"]


def test_upload_field_validation(client, headers):
    vcf = {"vcf": ("x.vcf", make_vcf())}

    def post(files, data):
        return client.post("/v1/cases", headers=headers, files=files, data=data)

    r = post({}, {"hpo": "HP:0001156"})
    assert r.status_code == 422 and r.json()["error"] == "vcf_required"
    r = post(vcf, {})
    assert r.status_code == 422 and r.json()["error"] == "phenotype_required"
    r = post(vcf | {"phenopacket": ("p.json", b"{}")}, {"hpo": "HP:0001156"})
    assert r.status_code == 422 and r.json()["error"] == "phenotype_required"
    r = post(vcf, {"hpo": "HP:0001156,HP:9999999"})
    assert r.status_code == 422 and r.json()["term"] == "HP:9999999"
    r = post(vcf, {"hpo": "HP:0001156", "genome_build": "hg17"})
    assert r.status_code == 422 and r.json()["error"] == "genome_build_mismatch"
    r = post(vcf, {"hpo": "HP:0001156", "top": "lots"})
    assert r.status_code == 422
    r = post(vcf, {"hpo": "HP:0001156", "sex": "x"})
    assert r.status_code == 422
    r = post(vcf, {"hpo": "HP:0001156", "colour": "blue"})
    assert r.status_code == 422 and "colour" in r.json()["detail"]
    r = post(vcf | {"phenopacket": ("p.json", b"{not json")}, {})
    assert r.status_code == 422 and r.json()["error"] == "bad_phenopacket"
    r = post(vcf | {"phenopacket": ("p.json", b'{"foo": 1}')}, {})
    assert r.status_code == 422 and r.json()["error"] == "bad_phenopacket"
    r = client.post("/v1/cases", headers=headers, json={"hpo": ["HP:0001156"]})
    assert r.status_code == 422 and r.json()["error"] == "vcf_required"


def test_result_409_while_queued(make_client):
    c = make_client(worker_enabled=False)
    h = auth(c)
    case = submit(c, h)
    assert c.get(f"/v1/cases/{case['id']}", headers=h).json()["status"] == "queued"
    for path in ("/result", "/report", "/phenopacket"):
        r = c.get(f"/v1/cases/{case['id']}{path}", headers=h)
        assert r.status_code == 409 and r.json()["error"] == "case_not_done"
    r = c.patch(f"/v1/cases/{case['id']}/phenotypes", headers=h, json={"add": ["HP:0004322"]})
    assert r.status_code == 409
    assert c.get(f"/v1/cases/{case['id']}/history", headers=h).json()["rankings"] == []


def test_case_deleted_after_the_done_check_is_404(client, headers, monkeypatch):
    # a DELETE landing between done_case() and the read of the result: the stored
    # result is gone, which is the unknown-case 404 (it was a 500, or an empty 200)
    ids = [submit(client, headers)["id"] for _ in range(4)]
    for cid in ids:
        assert wait_case(client, headers, cid)["status"] == "done"
    storage = client.app.state.storage
    get_case = storage.get_case

    def get_then_delete(case_id, owner=None, kind=None):
        row = get_case(case_id, owner, kind)
        if row is not None:
            storage.delete_case(case_id, row.owner)
        return row

    monkeypatch.setattr(storage, "get_case", get_then_delete)
    calls = [("get", "/result", None), ("get", "/report", None), ("get", "/phenopacket", None),
             ("patch", "/phenotypes", {"add": ["HP:0001156"]})]  # unchanged: the stored result
    for cid, (method, path, body) in zip(ids, calls, strict=True):
        r = client.request(method, f"/v1/cases/{cid}{path}", headers=headers, json=body)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json() == {"error": "case_not_found", "detail": "no such case for this token",
                            "term": None}


# --------------------------------------------------------------------------- re-ranking
def test_patch_reranks_and_keeps_history(client, headers):
    case = submit(client, headers, hpo="HP:0001156,HP:0001363")
    cid = case["id"]
    wait_case(client, headers, cid)
    first = client.get(f"/v1/cases/{cid}/result", headers=headers).json()

    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers,
                     json={"add": ["HP:0004322"], "add_excluded": ["HP:0000238"]})
    assert r.status_code == 200
    second = r.json()
    assert {t["id"] for t in second["query"]["observed"]} == {"HP:0001156", "HP:0001363", "HP:0004322"}
    assert [t["id"] for t in second["query"]["excluded"]] == ["HP:0000238"]
    assert any(w["code"] == "vcf_summary" for w in second["warnings"]), "VCF product reused"
    assert client.get(f"/v1/cases/{cid}/result", headers=headers).json() == second

    # moving a term from excluded to observed, removing one (given by its alt id mapping)
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers,
                     json={"add": ["HP:0000238"], "remove": ["HP:0001363"]})
    third = r.json()
    assert {t["id"] for t in third["query"]["observed"]} == {"HP:0001156", "HP:0004322", "HP:0000238"}
    assert third["query"]["excluded"] == []

    # unchanged -> no new history entry
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, json={"add": ["HP:0001156"]})
    assert r.status_code == 200

    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers,
                     json={"replace": True, "hpo": ["HP:0001250"], "excluded": []})
    assert [t["id"] for t in r.json()["query"]["observed"]] == ["HP:0001250"]

    hist = client.get(f"/v1/cases/{cid}/history", headers=headers).json()["rankings"]
    assert [h["version"] for h in hist] == [1, 2, 3, 4]
    assert [h["trigger"] for h in hist] == ["initial"] + ["phenotypes_patched"] * 3
    assert hist[0]["observed"] == ["HP:0001156", "HP:0001363"]
    assert hist[0]["top_diseases"][0]["id"] == first["diseases"][0]["id"]
    assert hist[-1]["observed"] == ["HP:0001250"]
    assert client.get(f"/v1/cases/{cid}", headers=headers).json()["n_observed"] == 1


def test_patch_errors(client, headers):
    case = submit(client, headers)
    cid = case["id"]
    wait_case(client, headers, cid)
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, json={"add": ["HP:9999999"]})
    assert r.status_code == 422 and r.json()["term"] == "HP:9999999"
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, json={"replace": True, "add": ["HP:0001156"]})
    assert r.status_code == 422
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, json={"hpo": ["HP:0001156"]})
    assert r.status_code == 422
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, json={"replace": True})
    assert r.status_code == 422 and r.json()["error"] == "no_usable_terms"
    r = client.patch(f"/v1/cases/{cid}/phenotypes", headers=headers, content=b"{", )
    assert r.status_code == 422
    assert len(client.get(f"/v1/cases/{cid}/history", headers=headers).json()["rankings"]) == 1


# --------------------------------------------------------------------------- deletion
def test_delete_case_and_uploads(client, headers):
    storage = client.app.state.storage
    vcf = make_vcf(n=5)
    a = submit(client, headers, vcf=vcf)
    b = submit(client, headers, vcf=vcf)  # same content: one stored file
    wait_case(client, headers, a["id"])
    wait_case(client, headers, b["id"])
    files = [p for p in storage.upload_dir.rglob("*") if p.is_file()]
    assert len(files) == 1
    annotations = list((storage.data_dir / "annotations").glob("*.annotated.npz"))
    assert len(annotations) == 1, "the workflow's annotation is stored once, content-addressed"
    assert client.delete(f"/v1/cases/{a['id']}", headers=headers).status_code == 204
    assert files[0].exists(), "still used by case b"
    assert annotations[0].exists()
    assert client.get(f"/v1/cases/{a['id']}", headers=headers).status_code == 404
    assert client.get(f"/v1/cases/{a['id']}/history", headers=headers).status_code == 404
    assert client.delete(f"/v1/cases/{b['id']}", headers=headers).status_code == 204
    assert not files[0].exists()
    assert not annotations[0].exists(), "genotype-bearing annotation deleted with the VCF"
    assert client.delete(f"/v1/cases/{b['id']}", headers=headers).status_code == 404
    assert storage.conn().execute("SELECT COUNT(*) FROM rankings").fetchone()[0] == 0


# --------------------------------------------------------------------------- privacy of logs
def test_logs_carry_no_patient_data(client, headers, caplog):
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/terms", params={"q": "brachydactyly"})
        client.get("/v1/terms/HP:0004322")
        client.post("/v1/diagnoses", json={"hpo": ["HP:0001363"]})
        client.post("/v1/diagnoses", json={"hpo": ["HP:9999999"]})
        case = submit(client, headers, vcf=make_vcf(samples=("JANE_DOE_123",)), hpo="HP:0011304",
                      sample="JANE_DOE_123")
        wait_case(client, headers, case["id"])
        bad = submit(client, headers, vcf=make_vcf(samples=("JOHN_ROE_9",)), hpo="HP:0011304", sample="X_SAMPLE")
        assert wait_case(client, headers, bad["id"])["status"] == "failed"
    # the server's records (the test client's own httpx log shows full URLs)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert case["id"] in text, "case ids are logged"
    assert "/v1/terms/{term_id}" in text and " 422 " in text
    for secret in ("brachydactyly", "HP:0004322", "HP:0001363", "HP:9999999", "HP:0011304",
                   "JANE_DOE", "JOHN_ROE", "X_SAMPLE", "patient.vcf"):
        assert secret not in text, secret

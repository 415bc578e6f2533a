"""POST /v1/screen: genotype-first screen of an uploaded VCF for treatable conditions
(issue 13 part 3), run as a job like a case; the same code as ``triage screen``.

The VCFs carry real frameshifts: positions come from the bundled GRCh38 gene model.
"""

from __future__ import annotations

import time

import pytest
from helpers import auth

from triage.variants.gene_model import GeneModel

PED_TRIO = "f\tkid\tdad\tmum\t1\t2\nf\tdad\t0\t0\t1\t1\nf\tmum\t0\t0\t2\t1\n"


@pytest.fixture(scope="module")
def grch38():
    return GeneModel.load("GRCh38")


def cds_positions(model, gene: str, n: int = 1) -> tuple[str, list[int]]:
    """(chrom, n 1-based positions) inside one coding exon of the gene's preferred transcript."""
    tx = [t for t in model.preferred(gene) if t.is_coding][0]
    for a, b in zip(tx.exon_starts, tx.exon_ends, strict=True):
        lo, hi = max(a, tx.cds_start), min(b, tx.cds_end)
        if hi - lo >= 40 * n:
            return tx.chrom, [lo + 10 + 30 * k + 1 for k in range(n)]
    raise AssertionError(f"no long coding exon in {gene}")


def vcf_bytes(records: list[tuple[str, int, list[str]]], samples: list[str], reference: bool = True) -> bytes:
    """1-bp deletions (frameshifts) at ``(chrom, pos, genotypes)``."""
    lines = ["##fileformat=VCFv4.2", *(["##reference=GRCh38"] if reference else []),
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">']
    lines += [f"##contig=<ID=chr{c}>" for c in sorted({r[0] for r in records})]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples))
    ad = {"0/0": "30,0", "0/1": "15,15", "1/1": "0,30"}
    for chrom, pos, gts in sorted(records):
        cols = [f"{g}:{ad[g]}:30:60" for g in gts]
        lines.append(f"chr{chrom}\t{pos}\t.\tAC\tA\t50\tPASS\t.\tGT:AD:DP:GQ\t" + "\t".join(cols))
    return ("\n".join(lines) + "\n").encode()


def post_screen(client, headers, vcf: bytes, ped: str | None = None, **data):
    files = {"vcf": ("patient.vcf", vcf, "application/octet-stream")}
    if ped is not None:
        files["ped"] = ("family.ped", ped.encode(), "text/plain")
    return client.post("/v1/screen", headers=headers, files=files, data=data)


def wait_screen(client, headers, sid: str, timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = client.get(f"/v1/screen/{sid}", headers=headers).json()
        if s["status"] in ("done", "failed"):
            return s
        time.sleep(0.05)
    raise AssertionError(f"screen {sid} not finished after {timeout} s: {s}")


def test_homozygous_lof_is_a_positive_finding_with_therapies(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "ARSA")
    r = post_screen(client, headers, vcf_bytes([(c, p, ["1/1"])], ["kid"]))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and r.headers["location"] == body["links"]["self"] == f"/v1/screen/{body['id']}"
    s = wait_screen(client, headers, body["id"])
    assert s["status"] == "done", s
    assert s["genome_build"] is None  # detected from the header by the job
    res = client.get(body["links"]["result"], headers=headers).json()
    assert res["build"] == "GRCh38" and res["sample"] == "kid"
    assert [f["gene"] for f in res["findings"]] == ["ARSA"] and res["carriers"] == []
    f = res["findings"][0]
    assert f["genotype"] == "homozygous" and f["inheritance"] == "AR" and "OMIM:250100" in f["condition_ids"]
    assert any("frameshift_variant" in e for e in f["evidence"])
    assert {(t["product"], t["agency"]) for t in f["therapies"]} >= {("Libmeldy / Lenmeldy", "FDA")}
    assert f["variants"][0]["zygosity"] == "homozygous" and f["variants"][0]["genotype"] == "1/1"
    assert res["data_versions"]["therapy_table"] and res["data_versions"]["screen_model"].startswith("screen-")
    assert any(w["code"] == "no_clinvar" for w in res["warnings"])
    assert res["genes_screened"] > 50
    # screens are not cases, and cases are not screens
    assert client.get(f"/v1/cases/{body['id']}", headers=headers).status_code == 404
    assert client.get("/v1/cases", headers=headers).json()["cases"] == []
    assert [x["id"] for x in client.get("/v1/screen", headers=headers).json()["screens"]] == [body["id"]]


def test_carrier_listed_separately_and_filterable(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "ARSA")
    sid = post_screen(client, headers, vcf_bytes([(c, p, ["0/1"])], ["kid"])).json()["id"]
    assert wait_screen(client, headers, sid)["status"] == "done"
    res = client.get(f"/v1/screen/{sid}/result", headers=headers).json()
    assert res["findings"] == [] and [f["gene"] for f in res["carriers"]] == ["ARSA"]
    assert res["carriers"][0]["genotype"].startswith("carrier")
    assert client.get(f"/v1/screen/{sid}/result?carriers=false", headers=headers).json()["carriers"] == []


def test_trio_with_ped_in_trans(client, headers, grch38):
    c, (p1, p2) = cds_positions(grch38, "ARSA", 2)
    vcf = vcf_bytes([(c, p1, ["0/1", "0/1", "0/0"]), (c, p2, ["0/1", "0/0", "0/1"])], ["kid", "dad", "mum"])
    sid = post_screen(client, headers, vcf, ped=PED_TRIO, genome_build="hg38").json()["id"]
    s = wait_screen(client, headers, sid)
    assert s["status"] == "done", s
    res = client.get(f"/v1/screen/{sid}/result", headers=headers).json()
    assert res["sample"] == "kid" and res["sex"] == "male"  # proband = the PED's affected member
    assert res["findings"][0]["genotype"] == "compound heterozygous (in trans by parental genotypes)"


def test_hemizygous_x_linked_with_given_sex(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "F9")
    vcf = vcf_bytes([(c, p, ["1/1"])], ["boy"])
    sid = post_screen(client, headers, vcf, sex="male").json()["id"]
    assert wait_screen(client, headers, sid)["status"] == "done"
    res = client.get(f"/v1/screen/{sid}/result", headers=headers).json()
    assert res["sex"] == "male" and res["findings"][0]["gene"] == "F9"
    assert res["findings"][0]["genotype"] == "hemizygous"


def test_owner_isolation(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "ARSA")
    sid = post_screen(client, headers, vcf_bytes([(c, p, ["1/1"])], ["kid"])).json()["id"]
    other = auth(client, "someone else")
    for path in (f"/v1/screen/{sid}", f"/v1/screen/{sid}/result"):
        r = client.get(path, headers=other)
        assert r.status_code == 404 and r.json()["error"] == "screen_not_found"
    assert client.delete(f"/v1/screen/{sid}", headers=other).status_code == 404
    assert client.get("/v1/screen", headers=other).json()["screens"] == []
    assert client.get(f"/v1/screen/{sid}").status_code == 401
    assert post_screen(client, {}, vcf_bytes([(c, p, ["1/1"])], ["kid"])).status_code == 401
    wait_screen(client, headers, sid)
    assert client.delete(f"/v1/screen/{sid}", headers=headers).status_code == 204
    assert client.get(f"/v1/screen/{sid}", headers=headers).status_code == 404


def test_a_case_is_not_a_screen(client, headers):
    from helpers import submit

    cid = submit(client, headers)["id"]
    assert client.get(f"/v1/screen/{cid}", headers=headers).status_code == 404
    assert client.delete(f"/v1/screen/{cid}", headers=headers).status_code == 404
    assert client.get(f"/v1/cases/{cid}", headers=headers).status_code == 200


@pytest.mark.parametrize("kw, error, needle", [
    ({"vcf": None}, "vcf_required", "vcf"),
    ({"vcf": b"hello\n"}, "not_a_vcf", "fileformat"),
    ({"ped": "f\tkid\tdad\n"}, "invalid_ped", "ped"),
    ({"sex": "robot"}, "invalid_request", "sex"),
    ({"genome_build": "hg17"}, None, "hg17"),
    ({"hpo": "HP:0001156"}, "invalid_request", "hpo"),
])
def test_bad_requests_are_422_json(client, headers, grch38, kw, error, needle):
    c, (p,) = cds_positions(grch38, "ARSA")
    files = {}
    vcf = kw.pop("vcf", vcf_bytes([(c, p, ["1/1"])], ["kid"]))
    if vcf is not None:
        files["vcf"] = ("v.vcf", vcf, "application/octet-stream")
    if "ped" in kw:
        files["ped"] = ("f.ped", kw.pop("ped").encode(), "text/plain")
    r = client.post("/v1/screen", headers=headers, files=files, data=kw)
    assert r.status_code == 422, r.text
    body = r.json()
    if error:
        assert body["error"] == error
    assert needle in body["detail"].lower()


def test_sample_not_in_vcf_fails_with_reason(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "ARSA")
    sid = post_screen(client, headers, vcf_bytes([(c, p, ["1/1"])], ["kid"]), sample="nobody").json()["id"]
    s = wait_screen(client, headers, sid)
    assert s["status"] == "failed" and "nobody" in s["reason"]
    r = client.get(f"/v1/screen/{sid}/result", headers=headers)
    assert r.status_code == 409 and r.json()["error"] == "screen_not_done"


def test_undeterminable_build_fails_with_reason(client, headers, grch38):
    c, (p,) = cds_positions(grch38, "ARSA")
    sid = post_screen(client, headers, vcf_bytes([(c, p, ["1/1"])], ["kid"], reference=False)).json()["id"]
    s = wait_screen(client, headers, sid)
    assert s["status"] == "failed" and "genome_build" in s["reason"]


def test_upload_limit_is_413(make_client, grch38):
    client = make_client(max_upload_bytes=200)
    c, (p,) = cds_positions(grch38, "ARSA")
    r = post_screen(client, auth(client), vcf_bytes([(c, p, ["1/1"])], ["kid"]))
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_queued_screen_result_is_409(make_client, grch38):
    client = make_client(worker_enabled=False)
    h = auth(client)
    c, (p,) = cds_positions(grch38, "ARSA")
    sid = post_screen(client, h, vcf_bytes([(c, p, ["1/1"])], ["kid"])).json()["id"]
    assert client.get(f"/v1/screen/{sid}", headers=h).json()["status"] == "queued"
    r = client.get(f"/v1/screen/{sid}/result", headers=h)
    assert r.status_code == 409 and "queued" in r.json()["detail"]

"""Cases: VCF + phenotype uploads run by the background worker; owner-only access.

Every route needs a bearer token; a case is visible to the token that created it
only (anything else is a 404, so ids of other people's cases cannot be probed).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from triage.api.auth import Owner
from triage.api.deps import EngineDep, RankingDep, SettingsDep, StorageDep, WorkerDep
from triage.api.errors import ApiError
from triage.api.routers import forms
from triage.api.schemas import (
    CaseAccepted,
    CaseHistory,
    CaseLinks,
    CaseList,
    CaseStatus,
    HistoryEntry,
    PhenotypePatch,
    RankedDisease,
    RankedGene,
)
from triage.api.storage import CaseRow, Storage, UploadTooLarge
from triage.api.worker import CaseInputs, normalize_build, rerank_case, sniff_vcf
from triage.models import TriageResult
from triage.outputs.html import report_html
from triage.outputs.phenopacket import to_phenopacket
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.phenopacket import loads_phenopacket, parse_phenopacket


def result_top(case) -> int:
    """How many candidates a case's report lists (its ``top``)."""
    return int(case.inputs.get("top", 20) or 20)

router = APIRouter(prefix="/v1", tags=["cases"])

CaseId = Annotated[str, Path(max_length=64, description="Case id returned by POST /v1/cases")]

_E = forms.ERROR
_COMMON: forms.Responses = forms.owner_responses("case")

_SEXES = ("male", "female", "other", "unknown")
_TERM_SPLIT = re.compile(r"[\s,;]+")
MAX_TOP = 200

_UPLOAD_BODY = forms.vcf_upload_body(
    "VCF or VCF.gz (bgzip/gzip) of the proband (multi-sample: give `sample`)",
    {
        "phenopacket": {"type": "string", "format": "binary",
                        "description": "GA4GH phenopacket v2 JSON (instead of `hpo`)"},
        "hpo": {"type": "string", "description": "Observed HPO terms, comma-separated (instead of `phenopacket`)",
                "example": "HP:0001156,HP:0001363,HP:0011304"},
        "excluded": {"type": "string", "description": "Excluded HPO terms, comma-separated"},
        "genome_build": {"type": "string", "description": "GRCh38 (default) or GRCh37 (aliases hg38, hg19, b37)",
                         "example": "GRCh38"},
        "sample": {"type": "string", "description": "Proband sample id in the VCF"},
        "sex": {"type": "string", "enum": list(_SEXES)},
        "top": {"type": "integer", "minimum": 1, "maximum": MAX_TOP, "default": 20},
    },
)


# --------------------------------------------------------------------------- helpers
def links(cid: str) -> CaseLinks:
    base = f"/v1/cases/{cid}"
    return CaseLinks(self=base, result=f"{base}/result", report=f"{base}/report",
                     phenopacket=f"{base}/phenopacket", history=f"{base}/history")


def status_of(case: CaseRow) -> CaseStatus:
    return CaseStatus(
        id=case.id, status=case.status, progress=round(case.progress, 3), reason=case.reason,
        attempts=case.attempts, created_at=case.created_at, updated_at=case.updated_at,
        genome_build=case.inputs.get("genome_build", ""), has_vcf=case.vcf_sha256 is not None,
        n_observed=len(case.inputs.get("observed", [])), n_excluded=len(case.inputs.get("excluded", [])),
        data_versions=case.data_versions, links=links(case.id))


def own_case(storage: Storage, case_id: str, owner: str) -> CaseRow:
    case = storage.get_case(case_id, owner, kind="case")
    if case is None:
        raise ApiError(404, "case_not_found", "no such case for this token")
    return case


def done_case(storage: Storage, case_id: str, owner: str) -> CaseRow:
    case = own_case(storage, case_id, owner)
    if case.status != "done":
        detail = f"the case is {case.status}; its result is not available"
        if case.status == "failed" and case.reason:
            detail += f" (failed: {case.reason})"
        raise ApiError(409, "case_not_done", detail)
    return case


def result_json(storage: Storage, case_id: str) -> str:
    """The stored result of a case :func:`done_case` found; a 404 (as for an unknown
    case) when the case was deleted in between."""
    result = storage.get_result(case_id)
    if result is None:
        raise ApiError(404, "case_not_found", "no such case for this token")
    return result


def _terms(raw: str | None) -> list[str]:
    return [t for t in _TERM_SPLIT.split(raw or "") if t]


def _read_phenopacket(upload: UploadFile, limit: int) -> tuple[Any, bytes]:
    upload.file.seek(0)
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "too_large", f"phenopacket larger than {limit} bytes")
    return loads_phenopacket(data, "phenopacket"), data


# --------------------------------------------------------------------------- routes
@router.post(
    "/cases", status_code=202, response_model=CaseAccepted, summary="Submit a case (VCF + phenotype)",
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses=_COMMON | {413: _E | {"description": "Upload too large"},
                         422: _E | {"description": "Not a VCF, bad phenopacket, unknown term, bad field"}},
)
async def create_case(request: Request, owner: Owner, engine: EngineDep, storage: StorageDep,
                      settings: SettingsDep, worker: WorkerDep) -> JSONResponse:
    """Multipart upload; the case is queued and run in the background (poll `GET /v1/cases/{id}`).

    The body is read only after the token was checked.
    """
    form = await request.form(max_files=2, max_fields=16)
    try:
        return await _create_case(form, owner, engine, storage, settings, worker)
    finally:
        await form.close()


async def _create_case(form, owner: str, engine: PhenotypeEngine, storage: Storage, settings,
                       worker) -> JSONResponse:
    allowed = {"vcf", "phenopacket", "hpo", "excluded", "genome_build", "sample", "sex", "top"}
    unknown = sorted(set(form.keys()) - allowed)
    if unknown:
        raise ApiError(422, "invalid_request", f"unknown form field(s): {', '.join(unknown[:5])}")
    vcf = forms.upload(form, "vcf")
    if vcf is None:
        raise ApiError(422, "vcf_required", "a VCF file (form field 'vcf') is required")
    pp_file = forms.upload(form, "phenopacket")
    hpo = forms.field(form, "hpo")
    excluded_raw = forms.field(form, "excluded")
    sample = forms.field(form, "sample", 256)
    sex = forms.field(form, "sex", 16)
    build = normalize_build(forms.field(form, "genome_build", 32) or settings.genome_build)
    top_raw = forms.field(form, "top", 8)
    try:
        top = int(top_raw) if top_raw is not None else 20
    except ValueError:
        raise ApiError(422, "invalid_request", "top must be an integer") from None
    if not 1 <= top <= min(MAX_TOP, settings.max_top):
        raise ApiError(422, "invalid_request", f"top must be between 1 and {min(MAX_TOP, settings.max_top)}")
    if sex is not None:
        sex = sex.lower()
        if sex not in _SEXES:
            raise ApiError(422, "invalid_request", f"sex must be one of {', '.join(_SEXES)}")

    pp_sha = None
    if (pp_file is None) == (hpo is None and excluded_raw is None):
        raise ApiError(422, "phenotype_required",
                       "give exactly one phenotype source: a 'phenopacket' file or 'hpo' (comma-separated terms)")
    if pp_file is not None:
        doc, _ = _read_phenopacket(pp_file, settings.max_request_bytes)
        pcase = parse_phenopacket(doc, "phenopacket")
        observed, excluded = pcase.observed, pcase.excluded
        if sex is None and isinstance(pcase.sex, str) and pcase.sex:
            s = pcase.sex.lower().replace("_sex", "")
            sex = s if s in _SEXES else None
    else:
        observed, excluded = _terms(hpo), _terms(excluded_raw)
    if len(observed) + len(excluded) > 1000:
        raise ApiError(422, "invalid_request", "at most 1000 terms per case")
    engine.resolve(observed, excluded)  # unknown/malformed/obsolete -> 422 naming the term

    # files last: nothing is written for a request that fails the checks above
    if pp_file is not None:
        pp_file.file.seek(0)
        pp_sha, _ = await run_in_threadpool(storage.save_upload, pp_file.file, settings.max_request_bytes)
    try:
        vcf.file.seek(0)
        vcf_sha, _ = await run_in_threadpool(storage.save_upload, vcf.file, settings.max_upload_bytes)
    except UploadTooLarge as exc:
        raise ApiError(413, "too_large", f"VCF larger than the limit of {exc.limit} bytes") from None
    problem = await run_in_threadpool(sniff_vcf, storage.upload_path(vcf_sha))
    if problem is not None:
        storage.discard_uploads(vcf_sha, pp_sha)
        raise ApiError(422, "not_a_vcf", f"vcf: {problem}")

    inputs = {"observed": observed, "excluded": excluded, "genome_build": build, "sample": sample,
              "sex": sex, "top": top}
    case = storage.create_case(owner, inputs, vcf_sha, pp_sha)
    if worker is not None:
        worker.notify()
    body = CaseAccepted(id=case.id, status="queued", links=links(case.id))
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.links.self})


@router.get("/cases", response_model=CaseList, summary="List this token's cases", responses=_COMMON)
def list_cases(owner: Owner, storage: StorageDep,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> CaseList:
    return CaseList(cases=[status_of(c) for c in storage.list_cases(owner, limit)])


@router.get("/cases/{case_id}", response_model=CaseStatus, summary="Case status and progress",
            responses=_COMMON)
def get_case(case_id: CaseId, owner: Owner, storage: StorageDep) -> CaseStatus:
    return status_of(own_case(storage, case_id, owner))


@router.get("/cases/{case_id}/result", response_model=TriageResult, summary="Current ranking of a finished case",
            responses=_COMMON | {409: _E | {"description": "The case is not done (queued, running or failed)"}})
def get_result(case_id: CaseId, owner: Owner, storage: StorageDep) -> Response:
    done_case(storage, case_id, owner)
    return Response(result_json(storage, case_id), media_type="application/json")


@router.get("/cases/{case_id}/report", response_class=HTMLResponse, summary="HTML report of a finished case",
            responses=_COMMON | {409: _E | {"description": "The case is not done"}})
def get_report(case_id: CaseId, owner: Owner, storage: StorageDep) -> HTMLResponse:
    case = done_case(storage, case_id, owner)
    result = TriageResult.model_validate_json(result_json(storage, case_id))
    html = report_html(result, top=result_top(case), case_id=case.id, submitted_at=case.created_at,
                       ranking_version=len(storage.rankings(case_id)))
    return HTMLResponse(html, headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"})


@router.get("/cases/{case_id}/phenopacket", summary="GA4GH phenopacket v2 with candidate interpretations",
            responses=_COMMON | {200: {"content": {"application/json": {}}},
                                 409: _E | {"description": "The case is not done"}})
def get_phenopacket(case_id: CaseId, owner: Owner, storage: StorageDep, engine: EngineDep) -> dict[str, Any]:
    case = done_case(storage, case_id, owner)
    result = TriageResult.model_validate_json(result_json(storage, case_id))
    ann = engine.kb.annotations
    gene_ids = {s: f"NCBIGene:{n}" for s, n in zip(ann.gene_symbols, ann.gene_ncbi, strict=True) if n}
    return to_phenopacket(result, pid=f"triage-{case.id}", sample=case.inputs.get("sample"),
                          sex=case.inputs.get("sex"), gene_ids=gene_ids, created_at=case.created_at)


@router.patch(
    "/cases/{case_id}/phenotypes", response_model=TriageResult,
    summary="Change the phenotype of a finished case and re-rank (no re-annotation)",
    responses=_COMMON | {409: _E | {"description": "The case is not done"},
                         422: _E | {"description": "Unknown/malformed term or invalid body"}},
)
def patch_phenotypes(case_id: CaseId, patch: PhenotypePatch, owner: Owner, storage: StorageDep,
                     ranking: RankingDep) -> Response:
    """Adds/removes terms (or replaces the phenotype), re-ranks with the stored VCF product
    and appends the new ranking to the case history. An unchanged phenotype returns the
    current ranking without a new history entry."""
    case = done_case(storage, case_id, owner)
    onto = ranking.engine.kb.ontology
    obs = list(case.inputs.get("observed", []))
    exc = list(case.inputs.get("excluded", []))
    if patch.replace:
        if patch.add or patch.add_excluded or patch.remove:
            raise ApiError(422, "invalid_request", "replace=true takes hpo/excluded, not add/add_excluded/remove")
        new_obs, new_exc = list(patch.hpo), list(patch.excluded)
    else:
        if patch.hpo or patch.excluded:
            raise ApiError(422, "invalid_request", "hpo/excluded need replace=true; use add/add_excluded/remove")
        drop = {onto.resolve(t) for t in patch.remove}
        moved_obs = {onto.resolve(t) for t in patch.add}
        moved_exc = {onto.resolve(t) for t in patch.add_excluded}
        new_obs = [t for t in obs if onto.resolve(t) not in drop | moved_exc]
        new_exc = [t for t in exc if onto.resolve(t) not in drop | moved_obs]
        have = {onto.resolve(t) for t in new_obs}
        new_obs += [t for t in dict.fromkeys(patch.add) if onto.resolve(t) not in have]
        have_e = {onto.resolve(t) for t in new_exc}
        new_exc += [t for t in dict.fromkeys(patch.add_excluded) if onto.resolve(t) not in have_e]
    if new_obs == obs and new_exc == exc:
        return Response(result_json(storage, case_id), media_type="application/json")
    inputs = dict(case.inputs, observed=new_obs, excluded=new_exc)
    ci = CaseInputs.from_case(case, storage)
    ci.observed, ci.excluded = new_obs, new_exc
    result = rerank_case(ranking, ci, case.vcf_summary)
    payload = result.model_dump_json()
    if not storage.add_ranking(case_id, owner, "phenotypes_patched", new_obs, new_exc, payload, inputs):
        raise ApiError(409, "case_changed", "the case changed while re-ranking (deleted?); retry")
    return Response(payload, media_type="application/json")


@router.get("/cases/{case_id}/history", response_model=CaseHistory, summary="Earlier rankings of a case",
            responses=_COMMON)
def get_history(case_id: CaseId, owner: Owner, storage: StorageDep) -> CaseHistory:
    own_case(storage, case_id, owner)
    entries = []
    for v, r in enumerate(storage.rankings(case_id), start=1):
        res = json.loads(r.result)
        diseases, genes = res.get("diseases", [])[:10], res.get("genes", [])[:10]
        entries.append(HistoryEntry(
            version=v, created_at=r.created_at, trigger=r.trigger, observed=r.observed, excluded=r.excluded,
            top_diseases=[RankedDisease(id=d["id"], label=d["label"], rank=d["rank"], posterior=d.get("posterior"))
                          for d in diseases],
            top_genes=[RankedGene(symbol=g["symbol"], rank=g["rank"], posterior=g.get("posterior"))
                       for g in genes]))
    return CaseHistory(id=case_id, rankings=entries)


@router.delete("/cases/{case_id}", status_code=204, summary="Delete a case, its history and its uploads",
               responses=_COMMON)
def delete_case(case_id: CaseId, owner: Owner, storage: StorageDep, worker: WorkerDep) -> Response:
    """Uploaded files are removed unless another case uses the same content. A running
    case is stopped at once: its case process is killed (by this server process, or
    within a second by the one running it)."""
    if not storage.delete_case(case_id, owner, kind="case"):
        raise ApiError(404, "case_not_found", "no such case for this token")
    if worker is not None:
        worker.cancel(case_id, "deleted")
    return Response(status_code=204)

"""Screens: genotype-first screening of an uploaded VCF for treatable conditions (issue 13).

``POST /v1/screen`` runs the code of ``triage screen``
(:func:`triage.treatability.screen.screen_case` on the pipeline's ingest/annotate step),
limited to the genes of the conditions in the therapy table, without a phenotype.
Annotating a VCF takes seconds (exome) to minutes (genome), so a screen is a job like a
case: stored in the same table (``inputs.kind = "screen"``), run by the same bounded,
owner-fair worker under the same VCF limits, and visible only to the token that
submitted it (anything else is a 404). Poll ``GET /v1/screen/{id}``, then read
``GET /v1/screen/{id}/result`` (a :class:`~triage.models.ScreenResult`).
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from triage.api.auth import Owner
from triage.api.deps import SettingsDep, StorageDep, WorkerDep
from triage.api.errors import ApiError
from triage.api.routers import forms
from triage.api.schemas import ScreenAccepted, ScreenLinks, ScreenList, ScreenStatus
from triage.api.storage import CaseRow, Storage, UploadTooLarge
from triage.api.worker import normalize_build, sniff_vcf
from triage.errors import TriageError
from triage.models import ScreenResult

router = APIRouter(prefix="/v1", tags=["screen"])

ScreenId = Annotated[str, Path(max_length=64, description="Screen id returned by POST /v1/screen")]

_E = forms.ERROR
_COMMON: forms.Responses = forms.owner_responses("screen")

#: Largest accepted PED file (text; a family of any realistic size is a few kB)
MAX_PED_BYTES = 64 * 1024

_SEXES = ("male", "female")

_UPLOAD_BODY = forms.vcf_upload_body(
    "VCF or VCF.gz (bgzip/gzip); multi-sample: give `sample` or a `ped`",
    {
        "ped": {"type": "string", "format": "binary",
                "description": "PED file of the family (parents: compound heterozygotes in trans; sex)"},
        "genome_build": {"type": "string",
                         "description": "GRCh37 or GRCh38 (aliases hg19, hg38, b37); default: from the "
                                        "VCF's ##contig lengths", "example": "GRCh38"},
        "sample": {"type": "string", "description": "Proband sample id in the VCF"},
        "sex": {"type": "string", "enum": list(_SEXES),
                "description": "Proband sex when there is no PED (default: inferred from X heterozygosity)"},
    },
)


def screen_links(sid: str) -> ScreenLinks:
    base = f"/v1/screen/{sid}"
    return ScreenLinks(self=base, result=f"{base}/result")


def screen_status(job: CaseRow) -> ScreenStatus:
    return ScreenStatus(
        # status: one of the four values by the table's CHECK constraint
        id=job.id, status=cast(Any, job.status), progress=round(job.progress, 3), reason=job.reason,
        attempts=job.attempts, created_at=job.created_at, updated_at=job.updated_at,
        genome_build=job.inputs.get("genome_build"), data_versions=job.data_versions, links=screen_links(job.id))


def own_screen(storage: Storage, sid: str, owner: str) -> CaseRow:
    job = storage.get_case(sid, owner, kind="screen")
    if job is None:
        raise ApiError(404, "screen_not_found", "no such screen for this token")
    return job


def _read_ped(upload) -> str:
    """The PED upload as text, checked by the project's PED reader (422 naming the line)."""
    import tempfile

    from triage.genotype.pedigree import read_ped

    upload.file.seek(0)
    data = upload.file.read(MAX_PED_BYTES + 1)
    if len(data) > MAX_PED_BYTES:
        raise ApiError(413, "too_large", f"ped larger than {MAX_PED_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_ped", "ped: not UTF-8 text") from None
    with tempfile.NamedTemporaryFile("w", suffix=".ped", prefix="triage-ped-") as fh:
        fh.write(text)
        fh.flush()
        try:
            read_ped(fh.name)
        except TriageError as exc:
            # the reader names the temporary file; the client knows it as "ped"
            raise ApiError(422, "invalid_ped", str(exc).replace(fh.name, "ped")) from None
    return text


@router.post(
    "/screen", status_code=202, response_model=ScreenAccepted,
    summary="Screen a VCF for treatable conditions (genotype-first, no phenotype)",
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses=_COMMON | {413: _E | {"description": "Upload too large"},
                         422: _E | {"description": "Not a VCF, bad PED, bad field"}},
)
async def create_screen(request: Request, owner: Owner, storage: StorageDep, settings: SettingsDep,
                        worker: WorkerDep) -> JSONResponse:
    """Multipart upload; the screen is queued and run in the background like a case (poll
    `GET /v1/screen/{id}`, then `GET /v1/screen/{id}/result`). The same code as
    `triage screen`: only genes of the therapy table's conditions; positive findings and
    carriers (one allele of a recessive condition) listed separately, each with its
    evidence and the condition's therapies."""
    form = await request.form(max_files=2, max_fields=8)
    try:
        return await _create_screen(form, owner, storage, settings, worker)
    finally:
        await form.close()


async def _create_screen(form, owner: str, storage: Storage, settings, worker) -> JSONResponse:
    allowed = {"vcf", "ped", "genome_build", "sample", "sex"}
    unknown = sorted(set(form.keys()) - allowed)
    if unknown:
        raise ApiError(422, "invalid_request", f"unknown form field(s): {', '.join(unknown[:5])}")
    vcf = forms.upload(form, "vcf")
    if vcf is None:
        raise ApiError(422, "vcf_required", "a VCF file (form field 'vcf') is required")
    ped_file = forms.upload(form, "ped")
    sample = forms.field(form, "sample", 256)
    sex = forms.field(form, "sex", 16)
    build_raw = forms.field(form, "genome_build", 32)
    build = normalize_build(build_raw) if build_raw is not None else None
    if sex is not None:
        sex = sex.lower()
        if sex not in _SEXES:
            raise ApiError(422, "invalid_request", f"sex must be one of {', '.join(_SEXES)}")
    ped_text = await run_in_threadpool(_read_ped, ped_file) if ped_file is not None else None
    try:
        vcf.file.seek(0)
        vcf_sha, _ = await run_in_threadpool(storage.save_upload, vcf.file, settings.max_upload_bytes)
    except UploadTooLarge as exc:
        raise ApiError(413, "too_large", f"VCF larger than the limit of {exc.limit} bytes") from None
    problem = await run_in_threadpool(sniff_vcf, storage.upload_path(vcf_sha))
    if problem is not None:
        storage.discard_uploads(vcf_sha)
        raise ApiError(422, "not_a_vcf", f"vcf: {problem}")
    inputs: dict[str, Any] = {"kind": "screen", "observed": [], "excluded": [], "genome_build": build, "sample": sample,
              "sex": sex, "ped_text": ped_text}
    job = storage.create_case(owner, inputs, vcf_sha, None)
    if worker is not None:
        worker.notify()
    body = ScreenAccepted(id=job.id, status="queued", links=screen_links(job.id))
    return JSONResponse(body.model_dump(), status_code=202, headers={"Location": body.links.self})


@router.get("/screen", response_model=ScreenList, summary="List this token's screens", responses=_COMMON)
def list_screens(owner: Owner, storage: StorageDep,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ScreenList:
    return ScreenList(screens=[screen_status(j) for j in storage.list_cases(owner, limit, kind="screen")])


@router.get("/screen/{screen_id}", response_model=ScreenStatus, summary="Screen status and progress",
            responses=_COMMON)
def get_screen(screen_id: ScreenId, owner: Owner, storage: StorageDep) -> ScreenStatus:
    return screen_status(own_screen(storage, screen_id, owner))


@router.get("/screen/{screen_id}/result", response_model=ScreenResult, summary="Findings of a finished screen",
            responses=_COMMON | {409: _E | {"description": "The screen is not done (queued, running or failed)"}})
def get_screen_result(screen_id: ScreenId, owner: Owner, storage: StorageDep,
                      carriers: Annotated[bool, Query(description="Include carrier findings")] = True) -> Response:
    job = own_screen(storage, screen_id, owner)
    if job.status != "done":
        detail = f"the screen is {job.status}; its result is not available"
        if job.status == "failed" and job.reason:
            detail += f" (failed: {job.reason})"
        raise ApiError(409, "screen_not_done", detail)
    payload = storage.get_result(screen_id) or "{}"
    if not carriers:
        res = ScreenResult.model_validate_json(payload)
        payload = res.model_copy(update={"carriers": []}).model_dump_json()
    return Response(payload, media_type="application/json")


@router.delete("/screen/{screen_id}", status_code=204, summary="Delete a screen and its upload",
               responses=_COMMON)
def delete_screen(screen_id: ScreenId, owner: Owner, storage: StorageDep, worker: WorkerDep) -> Response:
    if not storage.delete_case(screen_id, owner, kind="screen"):
        raise ApiError(404, "screen_not_found", "no such screen for this token")
    if worker is not None:
        worker.cancel(screen_id, "deleted")
    return Response(status_code=204)

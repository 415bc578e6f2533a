"""What the upload routers (cases, screen) share: multipart form fields, the OpenAPI
description of a VCF upload body, and the error responses every owner-only route documents.

FastAPI cannot describe a hand-parsed multipart body by itself (the routes read the form
directly, to stream the VCF to disk under a size limit), so each route passes
:func:`vcf_upload_body` as ``openapi_extra={"requestBody": ...}``.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile

from triage.api.errors import ApiError, ErrorBody

#: FastAPI's ``responses``: status code -> OpenAPI response object
Responses = dict[int | str, dict[str, Any]]

#: An error response documented with the API's JSON error body
ERROR: dict[str, Any] = {"model": ErrorBody}


def owner_responses(resource: str) -> Responses:
    """401 / 404 / 429 of a route whose ``resource`` ("case", "screen") only its token sees."""
    return {401: ERROR | {"description": "Missing, invalid or revoked bearer token"},
            404: ERROR | {"description": f"No such {resource} for this token"},
            429: ERROR | {"description": "Rate limited"}}


def vcf_upload_body(vcf_description: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of a multipart upload: a required ``vcf`` file (described by
    ``vcf_description``) and the route's other form ``properties``, in that order."""
    return {
        "required": True,
        "content": {"multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["vcf"],
                "properties": {"vcf": {"type": "string", "format": "binary", "description": vcf_description},
                               **properties},
            },
            "encoding": {"vcf": {"contentType": "application/octet-stream, application/gzip, text/plain"}},
        }},
    }


def field(form, name: str, max_len: int = 10_000) -> str | None:
    """A text form field, stripped (None when absent or empty); 422 for a file or an over-long value."""
    v = form.get(name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise ApiError(422, "invalid_request", f"{name} must be a form field, not a file")
    v = v.strip()
    if len(v) > max_len:
        raise ApiError(422, "invalid_request", f"{name} is longer than {max_len} characters")
    return v or None


def upload(form, name: str) -> UploadFile | None:
    """An uploaded file of the form (None when absent); 422 when ``name`` is a text field."""
    v = form.get(name)
    if v is None or (isinstance(v, str) and not v):
        return None
    if not isinstance(v, UploadFile):
        raise ApiError(422, "invalid_request", f"{name} must be an uploaded file")
    return v

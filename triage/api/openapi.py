"""The OpenAPI document, made to tell the truth about error answers.

FastAPI documents every 422 as its own ``HTTPValidationError`` (``detail``: an array);
this service answers every error with :class:`~triage.api.errors.ErrorBody`
(``detail``: a string, ``errors``: the array). It also documents neither the 400 of an
unparseable body (not UTF-8, broken multipart), nor the middleware's 413 and 429, nor
the 500/503 every route can give. :func:`install_openapi` rewrites the generated
document once: every error status a route can answer is listed with ``ErrorBody``.
schemathesis checks the answers against it (tests/api/test_api_fuzz_openapi.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from triage.api.errors import ErrorBody

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}

#: status -> description, added to operations where it applies
_BODY = {"400": "Body cannot be parsed (not UTF-8 JSON, broken multipart)",
         "413": "Body larger than the configured limit"}
_V1 = {"429": "Rate limited (`Retry-After` says when to retry)",
       "503": "Not ready (engine loading or storage closed)"}
_ALL = {"500": "Internal error: no details; `detail` and `X-Request-ID` give the request id"}


def _is_error(code: str) -> bool:
    return code[:1] in ("4", "5")


def build_openapi(app: FastAPI, token_required: bool) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes, tags=app.openapi_tags)
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    defs = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    comps.update(defs.pop("$defs", {}))
    comps["ErrorBody"] = defs
    for path, ops in schema.get("paths", {}).items():
        for _method, op in ops.items():
            responses = op.setdefault("responses", {})
            extra: dict[str, str] = dict(_ALL)
            if path.startswith("/v1/"):
                extra |= _V1
                if token_required:
                    extra.setdefault("401", "Missing, invalid or revoked bearer token")
            if "requestBody" in op:
                extra |= _BODY
            if op.get("parameters") or "requestBody" in op:
                extra.setdefault("422", "Invalid request (a field of the wrong type or range, or an "
                                        "HPO id that is malformed, unknown or obsolete: see `error`, `term`)")
            for code, desc in extra.items():
                responses.setdefault(code, {"description": desc})
            for code, resp in responses.items():
                if _is_error(code) and code != "503" or code == "503" and path.startswith("/v1/"):
                    resp["content"] = _ERR
    for name in ("HTTPValidationError", "ValidationError"):
        comps.pop(name, None)
    return schema


def install_openapi(app: FastAPI, token_required: bool) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, token_required)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented schema override

"""Error bodies of the API and the exception handlers that produce them.

Every error answer has the same JSON shape, :class:`ErrorBody`::

    {"error": "unknown_term", "detail": "unknown HPO term id 'HP:9999999': ...", "term": "HP:9999999"}

Domain errors (:class:`triage.errors.TriageError`) map to 4xx by their class; request
validation errors to 422; anything unexpected to a bare 500 whose body says nothing
about internals. Logs never carry messages (they can quote patient terms): only the
exception class, the request id and the route (see :func:`triage.api.middleware.log_unhandled`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from triage.errors import (
    DataError,
    GenomeBuildError,
    InputFileError,
    NoUsableTermsError,
    PhenopacketError,
    TriageError,
    UnknownScorerError,
    UnknownTermError,
)

log = logging.getLogger("triage.api")


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Body of every 4xx/5xx answer."""

    error: str = Field(description="Stable machine-readable code", examples=["unknown_term"])
    detail: str = Field(description="Human-readable message naming the offending input")
    term: str | None = Field(default=None, description="The HPO id at fault, when there is one")
    errors: list[ValidationItem] | None = Field(
        default=None, description="Per-field problems (request validation errors only)")


class ApiError(HTTPException):
    """An HTTP error with a stable code; raised by routes and dependencies.

    A subclass of FastAPI's HTTPException so FastAPI re-raises it unchanged even
    from inside request-body parsing (the body-size limit relies on that).
    """

    def __init__(self, status_code: int, code: str, detail: str, term: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code
        self.term = term


_STATUS: list[tuple[type[TriageError], int]] = [
    (UnknownTermError, 422),  # includes MalformedTermError, ObsoleteTermError
    (NoUsableTermsError, 422),
    (UnknownScorerError, 422),
    (PhenopacketError, 422),
    (InputFileError, 422),
    (GenomeBuildError, 422),
    (DataError, 503),
]


def status_for(exc: TriageError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 422  # any other input problem the engine names


def error_response(status: int, code: str, detail: str, term: str | None = None,
                   headers: Mapping[str, str] | None = None, errors: list[dict] | None = None) -> JSONResponse:
    body = ErrorBody(error=code, detail=detail, term=term,
                     errors=[ValidationItem(**e) for e in errors] if errors is not None else None)
    return JSONResponse(body.model_dump(exclude_none=True) | {"term": term}, status_code=status,
                        headers=headers)


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 422: "invalid_request", 429: "rate_limited",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document lists for the request's path (for ``Allow``)."""
    import re

    table = getattr(request.app.state, "_allow_table", None)
    if table is None:
        table = []
        for path, ops in request.app.openapi().get("paths", {}).items():
            rx = re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$")
            table.append((rx, sorted(m.upper() for m in ops)))
        request.app.state._allow_table = table
    path = request.scope.get("path", "")
    for rx, methods in table:
        if rx.match(path):
            return methods
    return []


def route_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(TriageError)
    async def _triage_error(request: Request, exc: TriageError) -> JSONResponse:
        return error_response(status_for(exc), exc.code, str(exc), getattr(exc, "term_id", None))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, ApiError):
            return error_response(exc.status_code, exc.code, str(exc.detail), exc.term, exc.headers)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = exc.headers
        detail = str(exc.detail)
        if exc.status_code == 405:
            # Starlette names the methods of the first route of the path only (GET and
            # POST /v1/cases are two routes): list every method the path has
            headers = dict(headers or {}, Allow=", ".join(allowed_methods(request)))
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "request body cannot be parsed (it must be UTF-8 JSON)"
        return error_response(exc.status_code, code, detail, None, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        items = []
        for e in exc.errors():
            loc = [p if isinstance(p, int) else str(p) for p in e.get("loc", ())]
            items.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
        first = items[0] if items else None
        summary = "invalid request"
        if first and first["type"] == "json_invalid":
            pos = first["loc"][1] if len(first["loc"]) > 1 else "?"
            summary = f"request body is not valid JSON (error at character {pos})"
        elif first:
            summary = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            if len(items) > 1:
                summary += f" (and {len(items) - 1} more problem(s))"
        return error_response(422, "invalid_request", summary, None, errors=items)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        # Type and request id only, never the message (may quote patient input); the
        # re-raise that follows is swallowed by middleware.CatchAll, so the server never
        # logs it either.
        from triage.api.middleware import log_unhandled, request_id_of

        log_unhandled(request.scope, exc)
        return error_response(500, "internal_error",
                              f"internal server error; logged as request {request_id_of(request.scope)}", None)

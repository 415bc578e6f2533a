"""One pure-ASGI middleware for what every request needs.

* request-body size limit (``Content-Length`` checked up front, streamed bodies
  counted) -> 413 JSON; the case upload route gets ``max_upload_bytes`` more;
* metrics (count + latency histogram by route template) and a one-line access log
  holding only method, route template, status, duration and the case id -- never
  the raw path, query string, body or file names (they can carry patient data);
* security headers (no caching of /v1 answers, nosniff, no referrer, no framing).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from triage.api.errors import ApiError, error_response
from triage.api.metrics import Metrics
from triage.api.settings import Settings

access_log = logging.getLogger("triage.api.access")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


_CASE_ID = re.compile(r"[0-9a-f]{32}")


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return path
    if scope.get("path", "").startswith("/web/"):
        return "/web/{file}"
    return "unmatched"


log = logging.getLogger("triage.api")


def request_id_of(scope: Scope) -> str:
    """The id :class:`CatchAll` gave this request (also the ``X-Request-ID`` answer header)."""
    return (scope.get("state") or {}).get("request_id", "-")


def log_unhandled(scope: Scope, exc: BaseException) -> None:
    """The one log line of an unhandled exception: its type, the request id and the route
    template -- never the message (it can quote patient input). Code locations (file,
    line, function; no source text, no values) follow at DEBUG level."""
    state = scope.setdefault("state", {})
    if state.get("exception_logged"):
        return
    state["exception_logged"] = True
    log.error("unhandled %s (request %s, %s %s)", type(exc).__name__, request_id_of(scope),
              scope.get("method", ""), _route_label(scope))
    if log.isEnabledFor(logging.DEBUG):
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        log.debug("request %s: %s", request_id_of(scope),
                  " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)))


class CatchAll:
    """Outermost ASGI layer: every exception ends here, is logged by
    :func:`log_unhandled` and becomes a JSON 500 (if no answer has started).

    Starlette's ServerErrorMiddleware calls our 500 handler and then *re-raises*, so the
    server (uvicorn: "Exception in ASGI application") logs the exception with its
    message. Nothing is re-raised past this layer. Also assigns the request id.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        started = [False]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            log_unhandled(scope, exc)
            if not started[0]:
                resp = error_response(500, "internal_error",
                                      f"internal server error; logged as request {rid}")
                with contextlib.suppress(Exception):  # client gone
                    await resp(scope, receive, send_wrapper)


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, metrics: Metrics):
        self.app = app
        self.settings = settings
        self.metrics = metrics

    def body_limit(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path", "").rstrip("/") == "/v1/cases":
            return self.settings.max_upload_bytes + self.settings.max_request_bytes
        return self.settings.max_request_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        method = scope.get("method", "")
        status = [500]
        limit = self.body_limit(scope)
        no_store = scope.get("path", "").startswith("/v1/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers.extend(_SECURITY_HEADERS)
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            clen = None
            for k, v in scope.get("headers", []):
                if k == b"content-length":
                    try:
                        clen = int(v)
                    except ValueError:
                        clen = None
                    break
            if clen is not None and clen > limit:
                resp = error_response(413, "too_large",
                                      f"request body of {clen} bytes exceeds the limit of {limit} bytes")
                await resp(scope, receive, send_wrapper)
                return

            received = [0]

            async def receive_wrapper() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    received[0] += len(message.get("body", b""))
                    if received[0] > limit:
                        raise ApiError(413, "too_large",
                                       f"request body exceeds the limit of {limit} bytes")
                return message

            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            dt = time.perf_counter() - t0
            route = _route_label(scope)
            self.metrics.observe_request(method, route, status[0], dt)
            cid = (scope.get("path_params") or {}).get("case_id")
            if not (isinstance(cid, str) and _CASE_ID.fullmatch(cid)):
                cid = None  # only real case ids: a path segment could carry anything
            if access_log.isEnabledFor(logging.INFO):
                access_log.info("%s %s %d %.1fms%s", method, route, status[0], dt * 1000,
                                f" case={cid}" if cid else "")

"""Bearer tokens, per-token/IP rate limiting and the FastAPI dependencies using them.

Tokens look like ``trg_<id>_<secret>``. Only ``sha256(token)`` is stored (table
``tokens``); the id part is public (it names the token in ``triage token list`` and
is the owner of the cases created with it) and lets verification be one indexed
lookup plus a constant-time comparison. Plaintext is shown once, by ``create_token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from triage.api.errors import ApiError
from triage.api.storage import Storage

TOKEN_PREFIX = "trg"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    created_at: float
    revoked_at: float | None = None


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class TokenStore:
    """Create, revoke, list and verify API tokens (kept in the service database)."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def create_token(self, name: str) -> str:
        """Create a token named ``name``; returns the plaintext (shown once, never stored)."""
        name = name.strip()
        if not name:
            raise ValueError("token name must not be empty")
        tid = secrets.token_hex(4)
        plaintext = f"{TOKEN_PREFIX}_{tid}_{secrets.token_urlsafe(32)}"
        with self.storage.tx() as con:
            con.execute("INSERT INTO tokens (id, name, hash, created_at) VALUES (?,?,?,?)",
                        (tid, name, _hash(plaintext), time.time()))
        return plaintext

    @staticmethod
    def token_id(plaintext: str) -> str | None:
        parts = plaintext.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
            return None
        return parts[1]

    def revoke_token(self, token_id: str) -> bool:
        """Revoke by id; True if a live token was revoked. Its cases stay (owner = id)."""
        with self.storage.tx() as con:
            cur = con.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                              (time.time(), token_id))
            return cur.rowcount == 1

    def list_tokens(self) -> list[TokenInfo]:
        rows = self.storage.conn().execute(
            "SELECT id, name, created_at, revoked_at FROM tokens ORDER BY created_at").fetchall()
        return [TokenInfo(r["id"], r["name"], r["created_at"], r["revoked_at"]) for r in rows]

    def verify(self, plaintext: str) -> TokenInfo | None:
        tid = self.token_id(plaintext)
        if tid is None:
            return None
        r = self.storage.conn().execute(
            "SELECT id, name, hash, created_at, revoked_at FROM tokens WHERE id = ?", (tid,)).fetchone()
        if r is None or r["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(r["hash"], _hash(plaintext)):
            return None
        return TokenInfo(r["id"], r["name"], r["created_at"], None)


class RateLimiter:
    """In-memory token buckets keyed by token id or client IP (per process).

    Capacity and refill are both ``per_minute`` (a client may burst a minute's worth).
    The number of tracked keys is bounded (least recently seen dropped first).
    """

    def __init__(self, per_minute: int, max_keys: int = 10_000):
        self.per_minute = per_minute
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, key: str) -> float:
        """Take one token for ``key``; returns 0 if allowed, else seconds until allowed."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait


def bearer(request: Request) -> str | None:
    h = request.headers.get("authorization")
    if not h:
        return None
    scheme, _, value = h.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="triage"'})


def _limit(limiter, key: str) -> None:
    wait = limiter.check(key)
    if wait > 0:
        retry = max(1, int(wait + 0.999))
        raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s",
                       headers={"Retry-After": str(retry)})


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def require_owner(request: Request) -> str:
    """Dependency of every case route: a valid bearer token; returns its id (the owner)."""
    tokens: TokenStore = request.app.state.tokens
    limiter: RateLimiter = request.app.state.limiter
    plaintext = bearer(request)
    if plaintext is None:
        _limit(limiter, f"ip:{client_ip(request)}")
        raise _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    info = tokens.verify(plaintext)
    if info is None:
        _limit(limiter, f"ip:{client_ip(request)}")
        raise _unauthorized("invalid or revoked token")
    _limit(limiter, f"tok:{info.id}")
    request.state.token_id = info.id
    return info.id


async def public_access(request: Request) -> None:
    """Dependency of /v1/diagnoses and /v1/terms: rate limit per IP (per token when one
    is required by ``token_required``).

    Async so that the common path (an in-memory rate-limit check) stays on the event
    loop; only a token check, which reads the database, goes to the thread pool.
    """
    if request.app.state.settings.token_required:
        await run_in_threadpool(require_owner, request)
        return
    _limit(request.app.state.limiter, f"ip:{client_ip(request)}")


Owner = Annotated[str, Depends(require_owner)]

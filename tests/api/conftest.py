"""Fixtures of the API tests: a fresh app + data dir per test, sharing the session
``engine`` fixture of tests/conftest.py."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from fastapi.testclient import TestClient  # noqa: E402
from helpers import auth  # noqa: E402

from triage.api.app import create_app  # noqa: E402
from triage.api.settings import Settings  # noqa: E402


@pytest.fixture
def make_client(engine, tmp_path) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)`` -> a started TestClient (lifespan run) on a temp data dir."""
    stack: list[TestClient] = []

    def make(**overrides) -> TestClient:
        overrides.setdefault("data_dir", tmp_path / f"data{len(stack)}")
        overrides.setdefault("rate_limit_per_minute", 0)
        raise_exc = overrides.pop("raise_server_exceptions", True)
        app = create_app(Settings(**overrides), engine=engine)
        client = TestClient(app, raise_server_exceptions=raise_exc)
        client.__enter__()
        stack.append(client)
        return client

    yield make
    for c in reversed(stack):
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def headers(client) -> dict[str, str]:
    return auth(client)

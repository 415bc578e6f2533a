"""Shared fixtures. The real vendored HPO release is used wherever possible."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared of the checkout; TRIAGE_SHARED_DIR points elsewhere (e.g. from a git worktree)
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR") or REPO.parent / "shared")
MINI_HPO = REPO / "tests" / "data" / "mini_hpo"


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the test with a reason when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared absent ({p} not found): development data not available")
    return p


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Tests never write to the user's cache except the compiled real release (reused)."""
    yield


@pytest.fixture(scope="session")
def engine():
    from triage.phenotype.engine import PhenotypeEngine

    return PhenotypeEngine.load()


@pytest.fixture(scope="session")
def mini_kb():
    from triage.phenotype.knowledge import load_knowledge

    return load_knowledge(MINI_HPO, use_cache=False)

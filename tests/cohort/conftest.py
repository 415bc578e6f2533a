"""Hail fixtures of the cohort tests: one local Spark session (loopback only) per test run.

Skipped with a reason when Hail is not importable: the main environment cannot hold Hail
next to the dev tools (hail pins rich<13), so ``make test`` runs this directory again in
``.venv-cohort`` (see the Makefile)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def hail_session(tmp_path_factory):
    pytest.importorskip("hail", reason="Hail not installed in this environment (make test runs the "
                                       "cohort tests in .venv-cohort: pip install -e '.[cohort]')")
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark (scripts/install_system_deps.sh installs openjdk-17-jre-headless)")
    from triage.cohort.spark import init_hail

    hl = init_hail("local[2]", tmp_path_factory.mktemp("hail"))
    yield hl
    hl.stop()

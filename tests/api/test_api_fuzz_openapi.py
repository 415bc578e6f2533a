"""Property test against the app's own OpenAPI spec (schemathesis, every default check).

``case.call_and_validate`` runs all of schemathesis's default checks: no 5xx, status
codes, content types, headers and bodies conforming to the documented responses
(``response_schema_conformance``: every 4xx is the documented ``ErrorBody``), allowed
methods (405 + ``Allow``), schema-invalid requests rejected, schema-valid ones accepted.

One documented exception to "schema-valid means accepted": an HPO id, a VCF or an onset
is checked against the HPO release and the file content, not by the schema, so a
well-formed string that is not a known term (or a file that is not a VCF or PED) is a 422
naming it. ``positive_data_acceptance`` therefore also expects 422 on the five operations
that take such content (CONFIG below); every other check is unchanged.

Bounded: EXAMPLES_PER_OPERATION per operation, in-process ASGI, under a minute. Case
routes are exercised with a valid bearer token so the generator reaches the handlers.
"""

from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis not installed (dev extra)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from triage.api.app import create_app  # noqa: E402
from triage.api.auth import TokenStore  # noqa: E402
from triage.api.settings import Settings  # noqa: E402
from triage.api.storage import Storage  # noqa: E402
from triage.phenotype.engine import PhenotypeEngine  # noqa: E402

EXAMPLES_PER_OPERATION = 12  # x 17 operations, plus schemathesis's coverage phase

#: 422 is also an accepted answer to schema-valid data where the content (HPO ids, VCF,
#: onset) is checked by the service itself (see the module docstring).
CONFIG = schemathesis.config.SchemathesisConfig.from_str(r"""
[[operations]]
include-path-regex = '^/v1/(diagnoses|cases|screen|terms/[{]term_id[}]|cases/[{]case_id[}]/phenotypes)$'
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
""")



def _build():
    import tempfile

    data_dir = tempfile.mkdtemp(prefix="triage-fuzz-")
    token = TokenStore(Storage(data_dir)).create_token("fuzz")
    engine = PhenotypeEngine.load()
    app = create_app(Settings(data_dir=data_dir, rate_limit_per_minute=0, max_upload_bytes=1 << 20),
                     engine=engine)
    return app, token, engine


APP, TOKEN, ENGINE = _build()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)
#: when the first example ran (not import time: in a full run other modules' tests run
#: between collection and this test)
STARTED: list[float] = []


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_openapi_contract_all_checks(case):
    if not STARTED:
        STARTED.append(time.monotonic())
    response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:500])
    if response.status_code >= 400 and response.headers.get("content-type", [""])[0].startswith("application/json"):
        body = response.json()
        assert {"error", "detail", "term"} <= set(body), body
    assert time.monotonic() - STARTED[0] < 120, "fuzzing budget exceeded"


# --------------------------------------------------------------------------- deeper: realistic bodies
# Random strings rarely look like HPO ids; these bodies mix real, alternative, obsolete,
# unknown and junk ids, real and junk genes, and out-of-range options.
_ONTO = ENGINE.kb.ontology
_IDS = _ONTO.ids
_GENES = ENGINE.kb.annotations.gene_symbols

term = st.one_of(
    st.sampled_from(_IDS), st.sampled_from(_IDS), st.sampled_from(sorted(_ONTO.alt_map)),
    st.sampled_from(sorted(_ONTO.obsolete)), st.from_regex(r"HP:\d{7}", fullmatch=True), st.text(max_size=12),
)
body = st.fixed_dictionaries(
    {"hpo": st.lists(term, max_size=15)},
    optional={
        "excluded": st.lists(term, max_size=5),
        "genes": st.lists(st.one_of(st.sampled_from(_GENES), st.text(max_size=8)), max_size=5),
        "top": st.integers(min_value=-2, max_value=300),
        "sex": st.sampled_from(["male", "FEMALE", "other", "unknown", "x"]),
        "onset": st.one_of(st.sampled_from(["HP:0003577", "HP:0003593", "HP:0001156", "P2Y", "P0D", "P-1Y"]), term),
        "explain": st.booleans(),
        "scorer": st.sampled_from(["lr", "resnik", "bogus"]),
    },
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("fz"), rate_limit_per_minute=0,
                              worker_enabled=False), engine=ENGINE)
    with TestClient(app) as c:
        yield c


@given(payload=body)
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_diagnoses_realistic_bodies_never_5xx(fuzz_client, payload):
    r = fuzz_client.post("/v1/diagnoses", json=payload)
    assert r.status_code in (200, 422), (payload, r.status_code, r.text[:300])
    if r.status_code == 200:
        assert len(r.json()["diseases"]) <= (payload.get("top") or 20)
    else:
        assert r.json()["error"] and "term" in r.json()

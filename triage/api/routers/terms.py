"""HPO term autocomplete and lookup."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query

from triage.api.auth import public_access
from triage.api.deps import EngineDep, EngineLimiterDep
from triage.api.errors import ApiError, ErrorBody
from triage.api.schemas import TermDetail, TermHit, TermParent, TermSearchResponse
from triage.errors import MalformedTermError, UnknownTermError

router = APIRouter(prefix="/v1", tags=["terms"], dependencies=[Depends(public_access)])


@router.get("/terms", response_model=TermSearchResponse, summary="Autocomplete HPO terms")
async def search_terms(
    engine: EngineDep,
    gate: EngineLimiterDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Label, synonym or HP id prefix",
                            examples=["brachyd"])],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> TermSearchResponse:
    """Best matches first: exact id, exact label, label prefix, word prefix, substring."""
    hits = await anyio.to_thread.run_sync(engine.kb.ontology.search, q, limit, limiter=gate)
    return TermSearchResponse(query=q, results=[TermHit(id=i, label=lab, matched_synonym=syn)
                                                for i, lab, syn in hits])


@router.get(
    "/terms/{term_id}",
    response_model=TermDetail,
    summary="Look up one HPO term",
    responses={404: {"model": ErrorBody, "description": "Unknown or obsolete-without-replacement id"},
               422: {"model": ErrorBody, "description": "Malformed id"}},
)
def get_term(
    engine: EngineDep,
    term_id: Annotated[str, Path(max_length=64, examples=["HP:0001156"])],
) -> TermDetail:
    """Alternative and obsolete ids resolve to the current term (`submitted_id` says so)."""
    onto = engine.kb.ontology
    try:
        pid = onto.resolve(term_id)
    except MalformedTermError:
        raise
    except UnknownTermError as exc:
        raise ApiError(404, exc.code, str(exc), term=term_id) from None
    i = onto.index[pid]
    return TermDetail(
        id=pid, label=onto.labels[i],
        submitted_id=term_id if term_id.strip() != pid else None,
        synonyms=list(onto.synonyms[i]),
        parents=[TermParent(id=onto.ids[p], label=onto.labels[p]) for p in onto.parents[i]],
        hpo_version=onto.version,
    )

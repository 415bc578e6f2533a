"""POST /v1/diagnoses: synchronous phenotype ranking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from triage.api.auth import public_access
from triage.api.deps import EngineDep, SettingsDep
from triage.api.errors import ApiError, ErrorBody
from triage.api.schemas import DiagnosisRequest
from triage.models import TriageResult, Warning_
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.phenopacket import check_onset_term
from triage.prioritize import rank_phenotype

router = APIRouter(prefix="/v1", tags=["diagnoses"], dependencies=[Depends(public_access)])

DEFAULT_TOP = 20

_EXAMPLES = {
    "brachydactyly": {
        "summary": "Observed and excluded terms",
        "value": {"hpo": ["HP:0001156", "HP:0001363", "HP:0011304"], "excluded": ["HP:0000238"], "top": 10},
    },
    "panel": {
        "summary": "Restricted to a gene panel",
        "value": {"hpo": ["HP:0001250", "HP:0001263", "HP:0000252"], "genes": ["SCN1A", "CDKL5", "MECP2"]},
    },
    "obsolete": {
        "summary": "An alternative id is mapped (see warnings)",
        "value": {"hpo": ["HP:0000057", "HP:0001156"], "sex": "female", "onset": "P3Y", "explain": False},
    },
}


def check_onset(engine: PhenotypeEngine, onset: str) -> str:
    """An HPO id must be an onset class (under HP:0003674, 422 ``invalid_onset`` naming it);
    ISO 8601 ages go to the engine. The same check as the CLI's ``--onset``."""
    if not onset.strip().upper().startswith("HP"):
        return onset
    return check_onset_term(engine.kb.ontology, onset)


def rank_request(engine: PhenotypeEngine, req: DiagnosisRequest, max_top: int) -> TriageResult:
    top = DEFAULT_TOP if req.top is None else req.top
    if top > max_top:
        raise ApiError(422, "invalid_request", f"top must be <= {max_top}")
    onset = check_onset(engine, req.onset) if req.onset is not None else None
    result = rank_phenotype(engine, req.hpo, req.excluded, scorer=req.scorer, top=top,
                            genes=req.genes or None, explain_top=None if req.explain else 0, onset=onset,
                            treatable_only=req.treatable_only)
    if req.sex is not None:
        result.warnings.append(Warning_(code="field_not_scored",
                                        message="sex is recorded but not used by the current scorers"))
    return result


@router.post(
    "/diagnoses",
    response_model=TriageResult,
    summary="Rank diseases and genes for a phenotype",
    responses={422: {"model": ErrorBody, "description": "Unknown, malformed or obsolete term (named in `term`) or invalid body"},
               429: {"model": ErrorBody, "description": "Rate limited"}},
)
async def post_diagnoses(
    engine: EngineDep,
    settings: SettingsDep,
    req: Annotated[DiagnosisRequest, Body(openapi_examples=_EXAMPLES)],
) -> Response:
    """Rank the phenotype synchronously (tens of milliseconds) and return a `TriageResult`.

    Obsolete and alternative ids are mapped to current terms (reported in `warnings`);
    unknown or malformed ids are a 422 naming the id in `term`.
    """
    # Ranked on the event loop, not in a thread: it is CPU-bound (a few ms), so a
    # thread adds a hop and GIL hand-offs with the loop and serves no one faster. Each
    # worker process thus answers one ranking at a time, in arrival order; the largest
    # allowed request (max_top results, explained) takes tens of milliseconds.
    result = rank_request(engine, req, settings.max_top)
    # Serialised directly: the model is already validated, re-validating a large result
    # through response_model would only cost time.
    return Response(result.model_dump_json(), media_type="application/json")

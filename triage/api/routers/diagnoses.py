"""POST /v1/diagnoses: synchronous phenotype ranking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from triage.api.auth import public_access
from triage.api.deps import EngineDep, RankPoolDep, SettingsDep
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


#: A request with more terms than this, or a larger ``top``, is "large": ranked in a
#: helper process (:mod:`triage.api.rankpool`) instead of on the event loop.
LARGE_TERMS = 40
LARGE_TOP = 50


def is_large(req: DiagnosisRequest) -> bool:
    top = DEFAULT_TOP if req.top is None else req.top
    return len(req.hpo) + len(req.excluded) > LARGE_TERMS or top > LARGE_TOP or len(req.genes or ()) > 500


def rank_request(engine: PhenotypeEngine, req: DiagnosisRequest, max_top: int,
                 max_explained: int | None = None) -> TriageResult:
    """Rank one request. Term-by-term explanations are built for the best
    ``max_explained`` diseases and genes only (the rest carry none): with 400 terms, an
    explanation per candidate made the answer of ``top=200`` 42 MB and 2 s of work."""
    top = DEFAULT_TOP if req.top is None else req.top
    if top > max_top:
        raise ApiError(422, "invalid_request", f"top must be <= {max_top}")
    onset = check_onset(engine, req.onset) if req.onset is not None else None
    explain_top = 0 if not req.explain else (top if max_explained is None else min(top, max_explained))
    result = rank_phenotype(engine, req.hpo, req.excluded, scorer=req.scorer, top=top,
                            genes=req.genes or None, explain_top=explain_top, onset=onset,
                            treatable_only=req.treatable_only)
    if req.explain and explain_top < top:
        result.warnings.append(Warning_(
            code="explanations_limited",
            message=f"term-by-term explanations are given for the best {explain_top} diseases and genes only"))
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
    pool: RankPoolDep,
    req: Annotated[DiagnosisRequest, Body(openapi_examples=_EXAMPLES)],
) -> Response:
    """Rank the phenotype synchronously (milliseconds for a typical query) and return a
    `TriageResult`.

    Obsolete and alternative ids are mapped to current terms (reported in `warnings`);
    unknown or malformed ids are a 422 naming the id in `term`. Explanations are given
    for the best `max_explained` (20) candidates.
    """
    if is_large(req):
        # Large (up to 400 terms, top 200: up to ~0.8 s): in a forked helper process
        # (FIFO), so the event loop keeps answering (/healthz, small queries); see rankpool.
        body = await pool.rank(req, settings.max_top, settings.max_explained)
    else:
        # Typical queries (a few ms) rank on the event loop itself: a thread would add a
        # hop and GIL hand-offs with the loop and serve no one faster.
        body = _rank_json(engine, req, settings)
    return Response(body, media_type="application/json")


def _rank_json(engine: PhenotypeEngine, req: DiagnosisRequest, settings) -> str:
    # Serialised directly: the model is already validated, re-validating a large result
    # through response_model would only cost time.
    return rank_request(engine, req, settings.max_top, settings.max_explained).model_dump_json()

"""Request and response models of the API that are not part of :mod:`triage.models`.

Results themselves are :class:`triage.models.TriageResult`, the same class the CLI
and the pipeline write, so an API answer and a result file are interchangeable.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

#: An HPO id (HP:0000000; HP_0000000 and surrounding blanks accepted). Checked by the
#: ontology, not by a schema pattern, so that a malformed, unknown or obsolete id is a
#: 422 whose ``error`` says which (``malformed_term``, ``unknown_term``, ...) and whose
#: ``term`` names it.
TermId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
GeneSymbol = Annotated[str, StringConstraints(min_length=1, max_length=64)]

MAX_TERMS = 200


class _Req(BaseModel):
    # strict: JSON types as documented (no "10" for 10, no 0 for false)
    model_config = ConfigDict(extra="forbid", strict=True)


class DiagnosisRequest(_Req):
    """A phenotype to rank diseases and genes for."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"hpo": ["HP:0001156", "HP:0001363", "HP:0011304"], "excluded": ["HP:0000238"],
         "top": 10},
    ]})

    hpo: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS,
                              description="Observed HPO terms (obsolete/alternative ids are mapped)")
    excluded: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS,
                                   description="HPO terms explicitly absent in the patient")
    sex: Literal["male", "female", "other", "unknown"] | None = Field(
        default=None, description="Recorded; not used by the current scorers")
    onset: TermId | None = Field(
        default=None, description="Age of onset: an HPO onset term (under HP:0003674) or an ISO 8601 age "
                                  "such as P2Y; scored as the corresponding onset class")
    genes: list[GeneSymbol] | None = Field(
        default=None, max_length=5000,
        description="Restrict the ranking to diseases of these genes (e.g. a gene panel)")
    top: int | None = Field(default=None, ge=1, description="Number of diseases and genes returned (default 20)")
    scorer: Literal["lr", "resnik"] = Field(default="lr", description="Phenotype scorer")
    explain: bool = Field(default=True, description="Term-by-term explanations for every returned "
                                                    "candidate (false: about 40% less work per request)")
    treatable_only: bool = Field(default=False, description="List only candidates with an approved or "
                                                            "established treatment (ranks unchanged)")

    @field_validator("sex", mode="before")
    @classmethod
    def _lower_sex(cls, v):
        return v.lower() if isinstance(v, str) else v


class TermHit(BaseModel):
    id: str = Field(examples=["HP:0001156"])
    label: str = Field(examples=["Brachydactyly"])
    matched_synonym: str | None = Field(default=None, description="The synonym that matched, if not the label")


class TermSearchResponse(BaseModel):
    query: str
    results: list[TermHit]


class TermParent(BaseModel):
    id: str
    label: str


class TermDetail(BaseModel):
    id: str = Field(description="Primary id of the term")
    label: str
    submitted_id: str | None = Field(default=None, description="The id asked for, when it was an alt/obsolete id")
    synonyms: list[str] = Field(default_factory=list)
    parents: list[TermParent] = Field(default_factory=list)
    hpo_version: str


class CaseLinks(BaseModel):
    self: str
    result: str
    report: str
    phenopacket: str
    history: str


JobState = Literal["queued", "running", "done", "failed"]


class _JobStatus(BaseModel):
    """What every queued job (a case, a screen) reports of itself; subclasses add their own fields."""

    id: str
    status: JobState
    progress: float = Field(ge=0, le=1)
    reason: str | None = Field(default=None, description="Why the job failed")
    attempts: int
    created_at: float = Field(description="Unix time")
    updated_at: float


class CaseAccepted(BaseModel):
    id: str
    status: JobState
    links: CaseLinks


class CaseStatus(_JobStatus):
    genome_build: str
    has_vcf: bool
    n_observed: int
    n_excluded: int
    data_versions: dict[str, str] | None = None
    links: CaseLinks


class CaseList(BaseModel):
    cases: list[CaseStatus]


class PhenotypePatch(_Req):
    """New phenotypes for a finished case; the case is re-ranked without re-reading its VCF."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"add": ["HP:0004322"], "add_excluded": [], "remove": []},
        {"replace": True, "hpo": ["HP:0001156", "HP:0004322"], "excluded": []},
    ]})

    add: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS, description="Observed terms to add")
    add_excluded: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS,
                                       description="Excluded terms to add")
    remove: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS,
                                 description="Terms to drop (observed or excluded)")
    replace: bool = Field(default=False, description="Replace the phenotype by hpo/excluded")
    hpo: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS, description="With replace=true")
    excluded: list[TermId] = Field(default_factory=list, max_length=MAX_TERMS, description="With replace=true")


class RankedDisease(BaseModel):
    id: str
    label: str
    rank: int
    posterior: float | None = None


class RankedGene(BaseModel):
    symbol: str
    rank: int
    posterior: float | None = None


class HistoryEntry(BaseModel):
    version: int = Field(description="1 = the initial ranking, then one per phenotype change")
    created_at: float
    trigger: Literal["initial", "phenotypes_patched"]
    observed: list[str]
    excluded: list[str]
    top_diseases: list[RankedDisease] = Field(description="Up to 10 best diseases of that ranking")
    top_genes: list[RankedGene] = Field(default_factory=list,
                                        description="Up to 10 best genes of that ranking (VCF cases)")


class CaseHistory(BaseModel):
    id: str
    rankings: list[HistoryEntry]


class ScreenLinks(BaseModel):
    self: str
    result: str


class ScreenAccepted(BaseModel):
    id: str
    status: JobState
    links: ScreenLinks


class ScreenStatus(_JobStatus):
    genome_build: str | None = Field(default=None, description="As requested (None: from the VCF header)")
    data_versions: dict[str, str] | None = None
    links: ScreenLinks


class ScreenList(BaseModel):
    screens: list[ScreenStatus]


class Health(BaseModel):
    status: Literal["ok", "ready", "not_ready"]
    checks: dict[str, bool] = Field(default_factory=dict)
    data_versions: dict[str, str] | None = None

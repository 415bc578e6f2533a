"""The one data model of the project (pydantic v2).

The CLI and the Snakemake pipeline write these objects as JSON and the API returns
the very same classes, so a result file and an API answer are interchangeable.
Field names are a contract read by later tools and CI: add fields, never rename.
``schema_version`` is bumped on any incompatible change.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from triage import SCHEMA_VERSION


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- phenotype
class TermRef(_Model):
    """An HPO term as the patient gave it and as it was resolved."""

    id: str = Field(description="Primary HPO id after mapping obsolete/alternative ids")
    label: str
    submitted_id: str | None = Field(
        default=None, description="The id as submitted, when it differed (alt_id/replaced_by)"
    )


class TermMatch(_Model):
    """How one patient term contributed to one candidate: the explanation unit."""

    query_id: str = Field(description="Patient HPO term")
    query_label: str
    excluded: bool = Field(default=False, description="True for an explicitly absent term")
    match_type: Literal[
        "exact", "disease_more_specific", "query_more_specific", "shared_ancestor", "unmatched",
        "excluded_absent", "excluded_present", "contradicted",
    ]
    disease_term_id: str | None = Field(default=None, description="Annotated disease term used")
    disease_term_label: str | None = None
    common_ancestor_id: str | None = Field(
        default=None, description="Term through which the match was made (for ancestor matches)"
    )
    frequency: float | None = Field(default=None, description="P(term | disease) used")
    likelihood_ratio: float | None = Field(default=None, description="LR of this term for this disease, breadth factor included (LR scorer)")
    similarity: float | None = Field(default=None, description="IC of the match (Resnik scorer)")


class Explanation(_Model):
    matches: list[TermMatch] = Field(default_factory=list)
    summary: str = ""


class DiseaseCandidate(_Model):
    id: str = Field(examples=["OMIM:101600"], description="The entity's representative id (OMIM when it has one)")
    label: str
    equivalent_ids: list[str] = Field(default_factory=list, description="Other ids of the same disease "
                                      "(e.g. its ORPHA entry): one disease, one entry")
    rank: int = Field(ge=1, description="1-based; tied scores share the lowest rank (competition ranking)")
    posterior: float | None = Field(
        default=None, description="Posterior probability over all diseases (probabilistic scorers)"
    )
    score: float = Field(description="Scorer's score: log10 likelihood ratio (lr) or similarity")
    genes: list[str] = Field(default_factory=list, description="Associated gene symbols")
    explanation: Explanation = Field(default_factory=Explanation)
    therapies: list[Therapy] = Field(default_factory=list,
                                     description="Approved / established treatments of this disease (never scored)")
    first_seen: str | None = Field(default=None, description="Date (YYYY-MM-DD) this candidate first appeared "
                                                            "in the case's results (set by reanalysis)")


class AcmgCriterion(_Model):
    """One ACMG/AMP criterion a variant meets, at the strength the evidence supports."""

    code: str = Field(description="Criterion code of Richards et al. 2015, e.g. PVS1, PM2, BA1")
    label: str = Field(description="Code with its ClinGen SVI strength modifier when not the default, "
                                   "e.g. PM2_Supporting, PVS1_Strong")
    strength: Literal["supporting", "moderate", "strong", "very_strong", "stand_alone"]
    direction: Literal["pathogenic", "benign"]
    points: int = Field(description="Tavtigian 2020 points: +-1 supporting, 2 moderate, 4 strong, 8 very strong; "
                                    "0 for the stand-alone BA1")
    reason: str = Field(description="The evidence behind the criterion, with its values and source")


class AcmgAssessment(_Model):
    """Automated, provisional ACMG/AMP evidence of one variant: decision support for a
    reviewer, never a clinical classification (see docs/acmg.md)."""

    classification: Literal["Pathogenic", "Likely pathogenic", "Uncertain significance", "Likely benign",
                            "Benign"] = Field(description="Class from the summed points (Tavtigian 2020); BA1 "
                                                          "is stand-alone Benign")
    points: int = Field(description="Sum of the criteria's points")
    criteria: list[AcmgCriterion] = Field(default_factory=list)
    method: str = Field(description="How the assessment was made (automated, provisional)")
    caveats: list[str] = Field(default_factory=list)
    not_assessed: dict[str, str] = Field(default_factory=dict,
                                         description="Criterion code -> why it could not be assessed here")


class TranscriptEffect(_Model):
    """The variant on one transcript of its gene (every transcript is listed; see docs/hgvs.md)."""

    transcript: str = Field(description="RefSeq accession, with its version where known (MANE transcripts: "
                                        "NM_003073.5; the bundled refGene names carry none)")
    consequence: str = Field(description="Sequence Ontology terms on this transcript, most severe first, comma-separated")
    hgvs_c: str | None = Field(default=None, description="HGVS c./n. without the transcript prefix")
    hgvs_p: str | None = Field(default=None, description="Predicted HGVS p. in parentheses, p.(Lys364del)")
    protein: str | None = Field(default=None, description="RefSeq protein accession with version (MANE transcripts)")
    mane: Literal["select", "plus_clinical"] | None = Field(default=None, description="MANE status (v0.95)")
    reported: bool = Field(default=False, description="the transcript the variant's name is given on")
    hgvs_note: str | None = Field(default=None, description="why a name is absent or may not be final")


class VariantEvidence(_Model):
    """A variant supporting a gene candidate (filled by the VCF pipeline)."""

    chrom: str
    pos: int
    ref: str
    alt: str
    genotype: str | None = None
    zygosity: str | None = None
    consequence: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = Field(default=None, description="HGVS c./n. on `transcript` (join as "
                               "transcript:hgvs_c); MANE Select preferred among equally severe transcripts")
    hgvs_p: str | None = Field(default=None, description="Predicted HGVS p. on `protein`, p.(Lys364del)")
    protein: str | None = Field(default=None, description="RefSeq protein of `transcript`, versioned (MANE)")
    hgvs_note: str | None = Field(default=None, description="Why a name is absent or may not be final "
                                                            "(no reference FASTA)")
    transcripts: list[TranscriptEffect] = Field(default_factory=list,
                                                description="The variant on every transcript of the gene "
                                                            "(gene-model annotation)")
    population_af: float | None = None
    clinvar: str | None = None
    pathogenicity: float | None = None
    inheritance_modes: list[str] = Field(default_factory=list)
    rank: int | None = None
    acmg: AcmgAssessment | None = Field(default=None, description="ACMG/AMP-style evidence (VCF cases; "
                                                                   "automated, provisional)")


class NovelHypothesis(_Model):
    """The gene's evidence is carried by "an unknown disease of this gene" (VCF results)."""

    kind: Literal["novel_gene", "novel_disease"] = Field(
        description="novel_gene: the gene has no known disease in the release; novel_disease: "
                    "its known diseases do not match the patient (a new allelic disease)")
    posterior: float = Field(description="P(an unknown disease of this gene | data)")
    share: float = Field(description="share of the gene's posterior carried by this hypothesis")
    message: str


class GeneCandidate(_Model):
    symbol: str
    rank: int = Field(ge=1)
    score: float = Field(description="Gene score (posterior-derived for the LR scorer)")
    posterior: float | None = None
    phenotype_score: float | None = None
    genotype_score: float | None = None
    diseases: list[str] = Field(default_factory=list, description="Disease ids of this gene, best first")
    top_disease: str | None = None
    top_disease_label: str | None = Field(default=None, description="Label of top_disease")
    ncbi_gene_id: str | None = Field(default=None, description="NCBIGene:<id> of the symbol (HPO release)")
    novel: NovelHypothesis | None = Field(
        default=None, description="set when a novel-gene / novel-disease hypothesis carries most of the gene's posterior")
    therapies: list[Therapy] = Field(default_factory=list,
                                     description="Approved / established treatments of the gene's conditions (never scored)")
    first_seen: str | None = Field(default=None, description="Date (YYYY-MM-DD) this candidate first appeared "
                                                            "in the case's results (set by reanalysis)")
    variants: list[VariantEvidence] = Field(default_factory=list)
    explanation: Explanation = Field(default_factory=Explanation)


class Warning_(_Model):
    code: str
    message: str
    term: str | None = None


class QuerySummary(_Model):
    observed: list[TermRef] = Field(default_factory=list)
    excluded: list[TermRef] = Field(default_factory=list)
    scorer: str
    sample: str | None = None
    phenopacket_id: str | None = Field(default=None, description="id of the input phenopacket the terms came from")


class CaseSummary(_Model):
    """The proband and input behind a VCF + phenotype result (absent for phenotype only)."""

    sample: str = Field(description="Proband sample id, exactly as in the VCF")
    sex: Literal["MALE", "FEMALE", "UNKNOWN_SEX"] = "UNKNOWN_SEX"
    genome_build: str | None = None
    family: list[str] = Field(default_factory=list, description="Family members analysed (PED), proband first")
    counts: dict[str, int] = Field(default_factory=dict,
                                   description="Input counts: records, variants annotated, genotypes failing QC, ...")


class TriageResult(_Model):
    """Top-level result of ``triage rank`` and ``POST /v1/diagnoses``."""

    schema_version: str = SCHEMA_VERSION
    query: QuerySummary
    case: CaseSummary | None = Field(default=None, description="Proband and VCF input (VCF results only)")
    diseases: list[DiseaseCandidate] = Field(default_factory=list)
    genes: list[GeneCandidate] = Field(default_factory=list)
    data_versions: dict[str, str] = Field(default_factory=dict)
    warnings: list[Warning_] = Field(default_factory=list)
    n_diseases_ranked: int = 0
    n_genes_ranked: int = 0
    created: str | None = Field(default=None, description="When this ranking was made (UTC, ISO 8601)")


# --------------------------------------------------------------------------- treatability (#13)
class Therapy(_Model):
    """An approved (tier 1) or established (tier 2) treatment of a candidate's condition.

    One object per product and agency for tier 1 (e.g. Zolgensma/FDA and Zolgensma/EMA);
    one per kind of treatment for tier 2. Filled from the curated table
    (``triage/data/therapies.yaml``); treatability never changes a candidate's score.
    """

    product: str = Field(description="Brand name(s) (tier 1) or the treatment examples (tier 2)")
    inn: str | None = Field(default=None, description="International non-proprietary name (tier 1)")
    modality: str = Field(description="AAV gene therapy, lentiviral HSC, CRISPR-edited HSC, ASO, siRNA, "
                                      "small molecule, enzyme replacement or other")
    agency: str | None = Field(default=None, description="FDA, EMA, MHRA, PMDA, ... (None for tier 2)")
    approved: str | None = Field(default=None, description="First approval by this agency: YYYY, YYYY-MM or YYYY-MM-DD")
    pathway: str | None = Field(default=None, description="standard, FDA Accelerated Approval, EMA conditional MA, "
                                                          "EMA exceptional circumstances, MHRA conditional MA, other")
    status: str = Field(description="approved, withdrawn, not renewed; 'established' for tier 2 treatments")
    restrictions: str | None = Field(default=None, description="Age / genotype restrictions as stated (e.g. exon amenability)")
    source: str = Field(description="Regulator page or publication (URL or PMID)")
    tier: int = Field(default=1, description="1 = gene/cell/RNA-targeted therapy; 2 = established treatment kind")
    kind: str | None = Field(default=None, description="Tier 2: diet, cofactor, enzyme replacement, HSCT, ...")
    condition: str | None = Field(default=None, description="Condition id of the therapy table")
    verification: str | None = Field(default=None, description="verified, partly_verified or unverified (table review)")


class ScreenVariant(_Model):
    """A qualifying allele of a screen finding."""

    chrom: str
    pos: int
    ref: str
    alt: str
    genotype: str | None = None
    zygosity: str | None = None
    consequence: str | None = None
    transcript: str | None = None
    hgvs_c: str | None = None
    hgvs_p: str | None = None
    population_af: float | None = None
    clinvar: str | None = None
    evidence: list[str] = Field(default_factory=list, description="Why this allele qualifies")


class ScreenFinding(_Model):
    """One gene x treatable condition with a qualifying genotype (or a carrier genotype)."""

    gene: str
    condition: str = Field(description="Condition id of the therapy table")
    condition_name: str
    condition_ids: list[str] = Field(default_factory=list, description="OMIM / ORPHA ids of the condition")
    inheritance: str = Field(description="AR, AD, XLR or XLD (therapy table)")
    mechanism: str
    genotype: str = Field(description="homozygous, compound heterozygous (...), hemizygous, heterozygous, carrier (...)")
    evidence: list[str] = Field(default_factory=list)
    variants: list[ScreenVariant] = Field(default_factory=list)
    therapies: list[Therapy] = Field(default_factory=list)
    tier: int = 1
    notes: list[str] = Field(default_factory=list)


class ScreenResult(_Model):
    """Top-level result of ``triage screen`` (genotype-first, treatable conditions only)."""

    schema_version: str = SCHEMA_VERSION
    sample: str | None = None
    sex: str = "unknown"
    sex_source: str = ""
    build: str | None = None
    clinvar: bool = Field(default=False, description="A ClinVar resource was configured")
    population_frequency: bool = Field(default=False, description="A population-frequency source was configured")
    findings: list[ScreenFinding] = Field(default_factory=list, description="Positive findings")
    carriers: list[ScreenFinding] = Field(default_factory=list, description="One allele of a recessive condition")
    genes_screened: int = 0
    genes_with_variants: int = 0
    conditions_screened: int = 0
    data_versions: dict[str, str] = Field(default_factory=dict)
    warnings: list[Warning_] = Field(default_factory=list)


# forward references: candidates carry Therapy flags defined further down
DiseaseCandidate.model_rebuild()
GeneCandidate.model_rebuild()
TriageResult.model_rebuild()

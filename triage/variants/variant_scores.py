"""Variant pathogenicity in [0, 1]: pure, vectorised functions over numpy arrays.

The score of one (variant, gene) row is built in four steps, each a pure function so
the whole thing can run inside a Spark/Hail UDF later:

1. **consequence prior** (:data:`CONSEQUENCE_SCORES`): the highest-scoring Sequence
   Ontology term of the row (the most severe transcript consequence of the gene). Loss of function (frameshift, stop_gained, splice
   donor/acceptor, start_lost, transcript_ablation) 0.95; missense / in-frame /
   unresolved coding change 0.6; splice region 0.3; UTR 0.08-0.1; synonymous and
   intron 0.05; up/downstream 0.02; intergenic 0.
2. **codon model** for a coding SNV whose amino-acid change is unknown (no reference
   FASTA, so the consequence is ``coding_sequence_variant``): the expected score over
   the 61 sense codons that carry the variant's reference base at its codon position
   (uniform codon weights), each codon scored by the consequence its mutation would
   have (synonymous / missense / stop_gained / stop_lost / start_lost). A third-base
   transition is nearly always synonymous (score ~0.05), a first- or second-base
   change nearly always missense (~0.6). The first codon is start_lost; the last
   codon stop_lost or stop_retained.
3. **predictors** (REVEL, AlphaMissense, CADD; only when configured or present in a
   VEP CSQ): for missense-like rows the consequence prior is replaced by the mean of
   the available predictor-derived values.
4. **population frequency** (only from configured resources or explicitly mapped INFO
   fields, never the INFO/AF of a single-sample VCF): multiplied by
   ``1 / (1 + (af / AF_HALF)^2)`` (AF_HALF = 0.5 %: 0.05 % -> x0.99, 0.5 % -> x0.5,
   2 % -> x0.06). The in-cohort frequency of a multi-sample VCF is applied the same way
   with its own (weaker) half point.
5. **ClinVar**: pathogenic / likely pathogenic with >= 1 review star -> at least 0.95
   (0 stars: at least 0.8); benign / likely benign with >= 1 star -> at most 0.05.

The ID column (rsIDs) and INFO flags such as dbSNP membership are never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------- constants
LOF_SCORE = 0.95
MISSENSE_SCORE = 0.6
SPLICE_REGION_SCORE = 0.3
SYNONYMOUS_SCORE = 0.05

#: prior pathogenicity of the most severe consequence (SO term) of a variant in a gene
CONSEQUENCE_SCORES: dict[str, float] = {
    "transcript_ablation": LOF_SCORE,
    "splice_acceptor_variant": LOF_SCORE,
    "splice_donor_variant": LOF_SCORE,
    "stop_gained": LOF_SCORE,
    "frameshift_variant": LOF_SCORE,
    "start_lost": LOF_SCORE,
    "stop_lost": 0.7,
    "transcript_amplification": 0.6,
    "feature_elongation": 0.6,
    "feature_truncation": 0.6,
    "inframe_insertion": MISSENSE_SCORE,
    "inframe_deletion": MISSENSE_SCORE,
    "missense_variant": MISSENSE_SCORE,
    "protein_altering_variant": MISSENSE_SCORE,
    "coding_sequence_variant": MISSENSE_SCORE,
    "splice_donor_5th_base_variant": 0.4,
    "splice_region_variant": SPLICE_REGION_SCORE,
    "splice_donor_region_variant": SPLICE_REGION_SCORE,
    "splice_polypyrimidine_tract_variant": 0.15,
    "incomplete_terminal_codon_variant": 0.3,
    "mature_miRNA_variant": 0.3,
    "start_retained_variant": SYNONYMOUS_SCORE,
    "stop_retained_variant": SYNONYMOUS_SCORE,
    "synonymous_variant": SYNONYMOUS_SCORE,
    "5_prime_UTR_variant": 0.1,
    "3_prime_UTR_variant": 0.08,
    "non_coding_transcript_exon_variant": 0.08,
    "intron_variant": 0.05,
    "NMD_transcript_variant": 0.05,
    "non_coding_transcript_variant": 0.05,
    "coding_transcript_variant": 0.05,
    "upstream_gene_variant": 0.02,
    "downstream_gene_variant": 0.02,
    "TFBS_ablation": 0.02,
    "TFBS_amplification": 0.02,
    "TF_binding_site_variant": 0.02,
    "regulatory_region_ablation": 0.02,
    "regulatory_region_amplification": 0.02,
    "regulatory_region_variant": 0.02,
    "intergenic_variant": 0.0,
    "sequence_variant": 0.02,
}
UNKNOWN_CONSEQUENCE_SCORE = 0.02

#: consequences whose score a missense predictor may replace
MISSENSE_LIKE = frozenset({
    "missense_variant", "coding_sequence_variant", "protein_altering_variant",
    "inframe_insertion", "inframe_deletion",
})
LOF_TERMS = frozenset(t for t, s in CONSEQUENCE_SCORES.items() if s >= LOF_SCORE)

#: population allele frequency at which the score is halved
AF_HALF = 0.005
#: in-cohort allele frequency (multi-sample VCF, samples outside the family) at which
#: the score is halved: weaker than a population resource (a cohort is small and may
#: share ancestry or disease)
COHORT_AF_HALF = 0.1

CLINVAR_PATHOGENIC_MIN = 0.95
CLINVAR_PATHOGENIC_NOSTAR_MIN = 0.8
CLINVAR_BENIGN_MAX = 0.05

# ClinVar classes (int8 codes in annotated tables)
CLNSIG_NONE, CLNSIG_PATHOGENIC, CLNSIG_BENIGN, CLNSIG_UNCERTAIN, CLNSIG_CONFLICTING, CLNSIG_OTHER = range(6)
CLNSIG_NAMES = ("", "pathogenic", "benign", "uncertain", "conflicting", "other")

_REVIEW_STARS = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_single_submitter": 1,
    "no_assertion_criteria_provided": 0,
    "no_assertion_provided": 0,
    "no_classification_provided": 0,
    "no_interpretation_for_the_single_variant": 0,
}


def clinvar_class(clnsig: str | None) -> int:
    """ClinVar CLNSIG text (VCF ``Likely_pathogenic`` or VEP ``likely_pathogenic`` spelling,
    several values joined by ``/ , | &``) -> CLNSIG_* code."""
    if not clnsig:
        return CLNSIG_NONE
    s = clnsig.strip().lower().replace(" ", "_")
    if "conflicting" in s:
        return CLNSIG_CONFLICTING
    tokens = {t.strip("_") for t in re.split(r"[/,|&;]", s) if t.strip("_")}
    path = any(t in ("pathogenic", "likely_pathogenic") or t.startswith(("pathogenic_", "likely_pathogenic_"))
               for t in tokens)
    benign = any(t in ("benign", "likely_benign") for t in tokens)
    if path and benign:
        return CLNSIG_CONFLICTING
    if path:
        return CLNSIG_PATHOGENIC
    if benign:
        return CLNSIG_BENIGN
    if any(t.startswith("uncertain") for t in tokens):
        return CLNSIG_UNCERTAIN
    return CLNSIG_OTHER


def review_stars(revstat: str | None) -> int:
    """ClinVar CLNREVSTAT -> gold stars (0-4); unknown text -> 0."""
    if not revstat:
        return 0
    s = revstat.strip().lower().replace(" ", "_")
    return _REVIEW_STARS.get(s, 1 if s.startswith("criteria_provided") else 0)


# --------------------------------------------------------------------------- codon model
_B = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {a + b + c: _AA[16 * i + 4 * j + k]
               for i, a in enumerate(_B) for j, b in enumerate(_B) for k, c in enumerate(_B)}
_BASE_INDEX = {"A": 0, "C": 1, "G": 2, "T": 3}


def _codon_change_score(ref_codon: str, alt_codon: str, first: bool, last: bool) -> float:
    ra, aa = CODON_TABLE[ref_codon], CODON_TABLE[alt_codon]
    if first:
        return CONSEQUENCE_SCORES["start_lost"] if alt_codon != "ATG" else SYNONYMOUS_SCORE
    if last:
        return SYNONYMOUS_SCORE if aa == "*" else CONSEQUENCE_SCORES["stop_lost"]
    if ra == aa:
        return SYNONYMOUS_SCORE
    if aa == "*":
        return CONSEQUENCE_SCORES["stop_gained"]
    return MISSENSE_SCORE


def _build_codon_expectations() -> np.ndarray:
    """E[score] indexed [kind, codon_pos, ref_base, alt_base]; kind 0 internal, 1 first, 2 last.

    Internal codons: the 61 sense codons, uniform; first codon: ATG; last: the 3 stops.
    Bases are in transcript orientation. NaN where ref == alt or no codon fits.
    """
    out = np.full((3, 3, 4, 4), np.nan)
    sense = [c for c, a in CODON_TABLE.items() if a != "*"]
    stops = [c for c, a in CODON_TABLE.items() if a == "*"]
    for kind, pool in ((0, sense), (1, ["ATG"]), (2, stops)):
        for k in range(3):
            for r, ri in _BASE_INDEX.items():
                for a, ai in _BASE_INDEX.items():
                    if r == a:
                        continue
                    vals = []
                    for c in pool:
                        if c[k] != r:
                            continue
                        alt = c[:k] + a + c[k + 1:]
                        vals.append(_codon_change_score(c, alt, kind == 1, kind == 2))
                    if vals:
                        out[kind, k, ri, ai] = float(np.mean(vals))
    return out


CODON_EXPECTATION = _build_codon_expectations()
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def coding_snv_score(codon_pos: int, ref: str, alt: str, strand: str, codon_kind: int = 0) -> float | None:
    """Expected score of a coding SNV of unknown amino-acid effect (see module doc).

    ``codon_pos`` 0-2 within the codon, ``ref``/``alt`` genomic (+ strand) bases,
    ``codon_kind`` 0 internal, 1 first (start) codon, 2 last (stop) codon.
    ``None`` when the bases are not plain A/C/G/T.
    """
    r, a = ref.upper(), alt.upper()
    if strand == "-":
        r, a = _COMP.get(r, "N"), _COMP.get(a, "N")
    ri, ai = _BASE_INDEX.get(r), _BASE_INDEX.get(a)
    if ri is None or ai is None or not 0 <= codon_pos <= 2:
        return None
    v = CODON_EXPECTATION[codon_kind, codon_pos, ri, ai]
    return None if np.isnan(v) else float(v)


# --------------------------------------------------------------------------- scoring
@dataclass(frozen=True)
class ScoreConfig:
    """Knobs of the variant score (global constants; see the module docstring)."""

    consequence_scores: dict[str, float] = field(default_factory=lambda: dict(CONSEQUENCE_SCORES))
    af_half: float = AF_HALF
    cohort_af_half: float = COHORT_AF_HALF
    use_codon_model: bool = True
    clinvar_pathogenic_min: float = CLINVAR_PATHOGENIC_MIN
    clinvar_pathogenic_nostar_min: float = CLINVAR_PATHOGENIC_NOSTAR_MIN
    clinvar_benign_max: float = CLINVAR_BENIGN_MAX

    @classmethod
    def from_dict(cls, d: dict | None) -> ScoreConfig:
        d = dict(d or {})
        cs = dict(CONSEQUENCE_SCORES)
        cs.update(d.pop("consequence_scores", None) or {})
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            from triage.errors import TriageError
            raise TriageError(f"unknown scoring option(s): {', '.join(sorted(unknown))}")
        return cls(consequence_scores=cs, **d)


def _terms_prior(terms: str, table: dict[str, float], skip: str | None = None) -> float:
    vals = [table.get(t, UNKNOWN_CONSEQUENCE_SCORE) for t in terms.split("&") if t and t != skip]
    return max(vals) if vals else (0.0 if skip and skip in terms else UNKNOWN_CONSEQUENCE_SCORE)


def consequence_prior(consequences: np.ndarray, table: dict[str, float] | None = None,
                      codon_score: np.ndarray | None = None) -> np.ndarray:
    """Score per row: the highest score among its SO terms (``"&"``-joined strings).

    With ``codon_score`` (NaN where not applicable), the unresolved
    ``coding_sequence_variant`` term of a row counts with the codon-model value instead
    of the table value.
    """
    table = CONSEQUENCE_SCORES if table is None else table
    arr = np.asarray(consequences, dtype=object)
    if arr.shape[0] == 0:
        return np.zeros(0)
    uniq, inv = np.unique(arr.astype(str), return_inverse=True)
    inv = inv.reshape(-1)
    full = np.array([_terms_prior(u, table) for u in uniq], dtype=np.float64)
    p = full[inv]
    if codon_score is not None:
        csv = "coding_sequence_variant"
        has = np.array([csv in u.split("&") for u in uniq])
        if has.any():
            other = np.array([_terms_prior(u, table, skip=csv) for u in uniq], dtype=np.float64)
            cs = np.asarray(codon_score, dtype=float)
            use = has[inv] & ~np.isnan(cs)
            p = np.where(use, np.maximum(other[inv], np.where(use, cs, 0.0)), p)
    return p


def predictor_score(revel: np.ndarray | None = None, alphamissense: np.ndarray | None = None,
                    cadd_phred: np.ndarray | None = None, n: int | None = None) -> np.ndarray:
    """Mean of the available predictor-derived pathogenicities per row (NaN when none).

    REVEL and AlphaMissense (0-1): 0.05 + 0.9 x score; CADD PHRED: (phred - 10) / 25
    clipped to [0.05, 0.95] (PHRED 20 -> 0.4, 30 -> 0.8).
    """
    parts = []
    if revel is not None:
        parts.append(0.05 + 0.9 * np.clip(np.asarray(revel, dtype=float), 0, 1))
    if alphamissense is not None:
        parts.append(0.05 + 0.9 * np.clip(np.asarray(alphamissense, dtype=float), 0, 1))
    if cadd_phred is not None:
        parts.append(np.clip((np.asarray(cadd_phred, dtype=float) - 10.0) / 25.0, 0.05, 0.95))
    if not parts:
        return np.full(n or 0, np.nan)
    m = np.vstack(parts)
    with np.errstate(invalid="ignore"):
        cnt = np.sum(~np.isnan(m), axis=0)
        tot = np.nansum(m, axis=0)
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def frequency_factor(af: np.ndarray, half: float = AF_HALF) -> np.ndarray:
    """1 / (1 + (af/half)^2); NaN (unknown frequency) -> 1 (no evidence either way)."""
    af = np.asarray(af, dtype=float)
    f = 1.0 / (1.0 + (af / half) ** 2)
    return np.where(np.isnan(af), 1.0, f)


def apply_clinvar(p: np.ndarray, cls: np.ndarray, stars: np.ndarray,
                  cfg: ScoreConfig | None = None) -> np.ndarray:
    cfg = cfg or ScoreConfig()
    cls = np.asarray(cls)
    stars = np.asarray(stars)
    out = np.asarray(p, dtype=float).copy()
    path = cls == CLNSIG_PATHOGENIC
    out = np.where(path & (stars >= 1), np.maximum(out, cfg.clinvar_pathogenic_min), out)
    out = np.where(path & (stars < 1), np.maximum(out, cfg.clinvar_pathogenic_nostar_min), out)
    return np.where((cls == CLNSIG_BENIGN) & (stars >= 1), np.minimum(out, cfg.clinvar_benign_max), out)


def pathogenicity(consequences: np.ndarray, *, codon_score: np.ndarray | None = None,
                  pop_af: np.ndarray | None = None, cohort_af: np.ndarray | None = None,
                  clinvar: np.ndarray | None = None, clinvar_stars: np.ndarray | None = None,
                  revel: np.ndarray | None = None, alphamissense: np.ndarray | None = None,
                  cadd_phred: np.ndarray | None = None, cfg: ScoreConfig | None = None) -> np.ndarray:
    """Pathogenicity in [0, 1] per row. Every optional array may be None (not available).

    ``consequences``: the row's SO terms, ``"&"``-joined (a single term is fine).

    ``codon_score``: expected score of coding SNVs from :func:`coding_snv_score` (NaN
    for other rows); used when the consequence is the unresolved ``coding_sequence_variant``.
    """
    cfg = cfg or ScoreConfig()
    csq = np.asarray(consequences, dtype=object)
    n = csq.shape[0]
    p = consequence_prior(csq, cfg.consequence_scores,
                          codon_score if cfg.use_codon_model else None)
    if revel is not None or alphamissense is not None or cadd_phred is not None:
        pr = predictor_score(revel, alphamissense, cadd_phred, n)
        first = np.array([str(c).split("&")[0] for c in csq], dtype=object)
        ml = np.isin(first, list(MISSENSE_LIKE))
        p = np.where(ml & ~np.isnan(pr), pr, p)
    if pop_af is not None:
        p = p * frequency_factor(pop_af, cfg.af_half)
    if cohort_af is not None:
        p = p * frequency_factor(cohort_af, cfg.cohort_af_half)
    if clinvar is not None:
        stars = np.zeros(n, dtype=np.int8) if clinvar_stars is None else clinvar_stars
        p = apply_clinvar(p, clinvar, stars, cfg)
    return np.clip(p, 0.0, 1.0)

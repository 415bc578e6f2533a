"""ACMG/AMP-style evidence per variant: the criteria our data support, each with its
reason, and a combined class -- **automated and provisional decision support, not a
clinical classification**. See ``docs/acmg.md`` for every rule, threshold and source.

Implemented criteria (Richards et al. 2015, *Genet Med* 17:405, PMID 25741868, with
the ClinGen SVI refinements cited at each rule):

========  =====================================================================  ============================
code      decided from                                                           needs
========  =====================================================================  ============================
PVS1      null consequence + LoF-mechanism gene list + gene-model NMD analysis   ``acmg.lof_genes``
          (Abou Tayoun et al. 2018, PMID 30192042)
PS2/PM6   de novo genotypes (both parents called hom-ref) + a parentage check;   parents in PED and VCF
          strength by the SVI de novo points (v1.1) with our phenotype fit
PM2       absent from the population resource (recessive: AF < 0.01 %),         ``resources.population``
          always at Supporting (SVI PM2 recommendation v1.0, 2020)
PM3       recessive disease: in trans (phased by parents) with a ClinVar P/LP    ``resources.clinvar``
          variant, or homozygous; SVI PM3 points (v1.0)
PP3/BP4   REVEL / AlphaMissense / CADD at the ClinGen calibrated thresholds      a score resource
          (Pejaver et al. 2022, PMID 36413997; AlphaMissense: Bergquist et al.
          2025, PMID 40084623)
PP4       phenotype-only posterior of the gene's best disease >= 0.5             a probabilistic scorer
PP5/BP6   ClinVar assertion; off by default (SVI: do not use; Biesecker &        ``acmg.clinvar_pp5_bp6``
          Harrison 2018, PMID 29543229)
BA1/BS1   population AF > 5 % (BA1; Ghosh et al. 2018, PMID 30311383) / above   any population frequency
          the disorder's expected maximum (BS1; documented defaults)
========  =====================================================================  ============================

The combined class uses the Bayesian point system (Tavtigian et al. 2018, PMID
29300386; 2020, PMID 32720330): supporting 1, moderate 2, strong 4, very strong 8
points (benign negative); Pathogenic >= 10, Likely pathogenic 6..9, Uncertain 0..5,
Likely benign -1..-6, Benign <= -7; BA1 is stand-alone benign. :func:`richards_class`
implements the 2015 combining rules themselves; where the two disagree the
assessment says so.

Everything is computed for all rows of a ranked case at once (numpy arrays;
:func:`assess_case` -> :class:`AcmgTable`); only PVS1 (null rows) and PM3 (rows with a
P/LP partner) walk rows one by one. :meth:`AcmgTable.assessment` turns one row into
the result model's :class:`~triage.models.AcmgAssessment` with its reasons.
"""

from __future__ import annotations

import gzip
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import TriageError
from triage.models import AcmgAssessment, AcmgCriterion

ACMG_METHOD_VERSION = "acmg-1"
METHOD = ("automated, provisional: ACMG/AMP 2015 criteria (Richards et al.) with ClinGen SVI "
          "specifications, combined with the Bayesian point system (Tavtigian et al. 2018/2020); "
          f"triage {ACMG_METHOD_VERSION}. Decision support only, not a clinical classification.")

# --------------------------------------------------------------------------- strengths
NONE, SUPPORTING, MODERATE, STRONG, VERY_STRONG, STAND_ALONE = range(6)
STRENGTH_NAMES = ("", "supporting", "moderate", "strong", "very_strong", "stand_alone")
STRENGTH_LABELS = ("", "Supporting", "Moderate", "Strong", "VeryStrong", "StandAlone")
#: Tavtigian 2020 points per strength (stand-alone BA1 has no points: it decides alone)
STRENGTH_POINTS = np.array([0, 1, 2, 4, 8, 0], dtype=np.int64)

PATHOGENIC, BENIGN = "pathogenic", "benign"
CLASSES = ("Pathogenic", "Likely pathogenic", "Uncertain significance", "Likely benign", "Benign")
P, LP, VUS, LB, B = CLASSES


@dataclass(frozen=True)
class CriterionDef:
    code: str
    direction: str
    default: int  # strength of the unmodified code
    text: str


CRITERIA: dict[str, CriterionDef] = {c.code: c for c in (
    CriterionDef("PVS1", PATHOGENIC, VERY_STRONG, "null variant in a gene where loss of function is a known mechanism"),
    CriterionDef("PS2", PATHOGENIC, STRONG, "de novo, maternity and paternity confirmed"),
    CriterionDef("PM2", PATHOGENIC, MODERATE, "absent from controls (or extremely rare for a recessive disorder)"),
    CriterionDef("PM3", PATHOGENIC, MODERATE, "recessive disorder: detected in trans with a pathogenic variant"),
    CriterionDef("PM6", PATHOGENIC, MODERATE, "assumed de novo, maternity and paternity not confirmed"),
    CriterionDef("PP3", PATHOGENIC, SUPPORTING, "computational evidence of a deleterious effect"),
    CriterionDef("PP4", PATHOGENIC, SUPPORTING, "phenotype highly specific for the gene's disease"),
    CriterionDef("PP5", PATHOGENIC, SUPPORTING, "reputable source reports the variant as pathogenic"),
    CriterionDef("BA1", BENIGN, STAND_ALONE, "allele frequency above 5 %"),
    CriterionDef("BS1", BENIGN, STRONG, "allele frequency greater than expected for the disorder"),
    CriterionDef("BP4", BENIGN, SUPPORTING, "computational evidence of no impact"),
    CriterionDef("BP6", BENIGN, SUPPORTING, "reputable source reports the variant as benign"),
)}
#: display order (ACMG: very strong, strong, moderate, supporting; pathogenic, then benign)
ORDER = tuple(CRITERIA)
NOT_IMPLEMENTED = ("PS1", "PS3", "PS4", "PM1", "PM4", "PM5", "PP1", "PP2", "BS2", "BS3", "BS4",
                   "BP1", "BP2", "BP3", "BP5", "BP7")


def label(code: str, strength: int) -> str:
    """ClinGen SVI nomenclature: the bare code at its default strength, else
    ``CODE_Strength`` (``PM2_Supporting``, ``PVS1_Strong``, ``BP4_VeryStrong``)."""
    return code if strength == CRITERIA[code].default else f"{code}_{STRENGTH_LABELS[strength]}"


def signed_points(code: str, strength: int) -> int:
    p = int(STRENGTH_POINTS[strength])
    return -p if CRITERIA[code].direction == BENIGN else p


# --------------------------------------------------------------------------- combining
def classify_points(points: int, ba1: bool = False) -> str:
    """Tavtigian et al. 2020 point scale (BA1 stand-alone benign)."""
    if ba1:
        return B
    if points >= 10:
        return P
    if points >= 6:
        return LP
    if points >= 0:
        return VUS
    if points >= -6:
        return LB
    return B


def points_and_class(applied: Iterable[tuple[str, int]]) -> tuple[int, str]:
    """Sum of the points of ``(code, strength)`` pairs and the point-system class."""
    pts, ba1 = 0, False
    for code, s in applied:
        if s == NONE:
            continue
        ba1 |= code == "BA1" and s == STAND_ALONE
        pts += signed_points(code, s)
    return pts, classify_points(pts, ba1)


def richards_class(applied: Iterable[tuple[str, int]]) -> str:
    """The combining rules of Richards et al. 2015 (Table 5), criteria counted at their
    applied strength (a PM2_Supporting counts as a supporting criterion; benign very
    strong, which the 2015 rules do not have, counts as strong). Pathogenic and benign
    criteria that both reach a class give Uncertain significance."""
    n = {(d, s): 0 for d in (PATHOGENIC, BENIGN) for s in range(6)}
    for code, s in applied:
        if s != NONE:
            n[(CRITERIA[code].direction, s)] += 1
    pvs, ps = n[(PATHOGENIC, VERY_STRONG)], n[(PATHOGENIC, STRONG)]
    pm, pp = n[(PATHOGENIC, MODERATE)], n[(PATHOGENIC, SUPPORTING)]
    ba = n[(BENIGN, STAND_ALONE)]
    bs = n[(BENIGN, STRONG)] + n[(BENIGN, VERY_STRONG)]
    bp = n[(BENIGN, SUPPORTING)] + n[(BENIGN, MODERATE)]  # 2015 rules have no benign moderate
    path = None
    if ((pvs >= 1 and (ps >= 1 or pm >= 2 or (pm >= 1 and pp >= 1) or pp >= 2)) or ps >= 2
            or (ps >= 1 and (pm >= 3 or (pm >= 2 and pp >= 2) or (pm >= 1 and pp >= 4)))):
        path = P
    elif ((pvs >= 1 and pm >= 1) or (ps >= 1 and pm >= 1) or (ps >= 1 and pp >= 2) or pm >= 3
          or (pm >= 2 and pp >= 2) or (pm >= 1 and pp >= 4)):
        path = LP
    benign = B if (ba >= 1 or bs >= 2) else (LB if ((bs >= 1 and bp >= 1) or bp >= 2) else None)
    if path and benign:
        return VUS
    return path or benign or VUS


# --------------------------------------------------------------------------- SVI points
def svi_points_strength(points: float) -> int:
    """SVI point totals of the de novo (v1.1) and PM3 (v1.0) recommendations:
    0.5 supporting, 1 moderate, 2 strong, 4 very strong."""
    if points >= 4:
        return VERY_STRONG
    if points >= 2:
        return STRONG
    if points >= 1:
        return MODERATE
    if points >= 0.5:
        return SUPPORTING
    return NONE


#: phenotype fit tiers used by the de novo points
PHENO_NOT_CONSISTENT, PHENO_CONSISTENT, PHENO_HIGHLY_SPECIFIC = 0, 1, 2
PHENO_TIER_TEXT = ("not consistent with", "consistent with", "highly specific for")


def de_novo_points(confirmed: bool, tier: int) -> float:
    """SVI de novo recommendation v1.1, points of one proband: confirmed 2 / 1 / 0,
    assumed 1 / 0.5 / 0 for a phenotype highly specific for / consistent with / not
    consistent with the gene's disease."""
    table = (0.0, 1.0, 2.0) if confirmed else (0.0, 0.5, 1.0)
    return table[tier]


#: SVI PM3 v1.0 points per observation
PM3_TRANS_PLP, PM3_PHASE_UNKNOWN_PLP, PM3_HOMOZYGOUS = 1.0, 0.5, 0.5


def pm3_pair_points(gv: np.ndarray, gw: np.ndarray, father: int, mother: int) -> tuple[float, str]:
    """SVI PM3 points of a het variant ``v`` of the proband with a P/LP het partner ``w``
    in the same gene (``gv``, ``gw``: genotypes over the Family members; parent indices,
    -1 when absent): 1.0 in trans (one from each called parent), 0 in cis (both from
    one parent), 0.5 when the phase is unknown (parents absent) or unresolved."""
    if father < 0 or mother < 0:
        return PM3_PHASE_UNKNOWN_PLP, "unknown"
    if min(gv[father], gv[mother], gw[father], gw[mother]) < 0:
        return PM3_PHASE_UNKNOWN_PLP, "unresolved"
    vp = gv[father] >= 1 and gv[mother] == 0
    vm = gv[mother] >= 1 and gv[father] == 0
    wp = gw[father] >= 1 and gw[mother] == 0
    wm = gw[mother] >= 1 and gw[father] == 0
    if (vp and wm) or (vm and wp):
        return PM3_TRANS_PLP, "trans"
    if (vp and wp) or (vm and wm):
        return 0.0, "cis"
    return PM3_PHASE_UNKNOWN_PLP, "unresolved"


# --------------------------------------------------------------------------- predictors
@dataclass(frozen=True)
class PredictorThresholds:
    """Lower bounds of PP3 (supporting, moderate, strong) and upper bounds of BP4
    (supporting, moderate, strong, very strong); None where the tool does not reach the
    strength. Score intervals of Pejaver et al. 2022 Table 2 / Bergquist et al. 2025."""

    name: str
    pp3: tuple[float | None, float | None, float | None]
    bp4: tuple[float | None, float | None, float | None, float | None]
    missense_only_table: bool  # scores exist for missense substitutions only
    source: str


PREDICTORS: dict[str, PredictorThresholds] = {
    "revel": PredictorThresholds("REVEL", (0.644, 0.773, 0.932), (0.290, 0.183, 0.016, 0.003), True,
                                 "Pejaver et al. 2022 (PMID 36413997)"),
    "alphamissense": PredictorThresholds("AlphaMissense", (0.792, 0.906, 0.990), (0.169, 0.070, None, None), True,
                                         "Bergquist et al. 2025 (PMID 40084623)"),
    "cadd_phred": PredictorThresholds("CADD", (25.3, 28.1, None), (22.7, 17.3, 0.15, None), False,
                                      "Pejaver et al. 2022 (PMID 36413997)"),
}


def predictor_strength(scores: np.ndarray, t: PredictorThresholds) -> tuple[np.ndarray, np.ndarray]:
    """(PP3 strength, BP4 strength) per score (0 where none or NaN)."""
    s = np.asarray(scores, dtype=float)
    pp3 = np.zeros(s.shape, dtype=np.int8)
    bp4 = np.zeros(s.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for k, thr in enumerate(t.pp3):
            if thr is not None:
                pp3 = np.where(s >= thr, k + 1, pp3).astype(np.int8)
        for k, thr in enumerate(t.bp4):
            if thr is not None:
                bp4 = np.where(s <= thr, k + 1, bp4).astype(np.int8)
    return pp3, bp4


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class AcmgConfig:
    """``acmg:`` block of the workflow config (all optional; see docs/acmg.md)."""

    enabled: bool = True
    #: gene list where loss of function is an established disease mechanism (PVS1):
    #: a path, or {path, gene_column, score_column, scores}
    lof_genes: str | None = None
    lof_gene_column: str | None = None
    lof_score_column: str | None = None
    lof_scores: tuple[str, ...] = ("3", "30")  # ClinGen HI scores: sufficient evidence, AR
    ba1_af: float = 0.05
    bs1_af: float = 0.015  # recessive, X-linked, mixed or unknown modes
    bs1_af_dominant: float = 0.001  # every mode of the disease dominant (AD/XLD)
    pm2_max_af_recessive: float = 0.0001
    pp4_min_posterior: float = 0.5
    consistent_min_posterior: float = 0.01
    predictors: tuple[str, ...] = ("revel", "alphamissense", "cadd_phred")
    clinvar_pp5_bp6: bool = False
    clinvar_min_stars: int = 1
    parentage_max_opposite_hom: float = 0.02
    parentage_min_sites: int = 50
    ba1_exceptions: tuple[str, ...] = ()  # "chrom-pos-ref-alt" keys exempt from BA1
    base_dir: str | None = None

    @classmethod
    def from_dict(cls, d: dict | None, base_dir: str | None = None) -> AcmgConfig:
        """The ``acmg:`` config section; unknown keys are a ConfigError, relative paths resolve
        against ``base_dir`` (the config file's directory).
        """
        d = dict(d or {})
        lof = d.pop("lof_genes", None)
        if isinstance(lof, dict):
            lof = dict(lof)
            d["lof_gene_column"] = lof.pop("gene_column", None)
            d["lof_score_column"] = lof.pop("score_column", None)
            if "scores" in lof:
                d["lof_scores"] = tuple(str(s) for s in lof.pop("scores") or ())
            path = lof.pop("path", None)
            if lof:
                raise TriageError(f"acmg.lof_genes: unknown key(s) {', '.join(sorted(lof))}")
            lof = path
        known = set(cls.__dataclass_fields__) - {"lof_genes", "base_dir"}
        bad = set(d) - known
        if bad:
            raise TriageError(f"unknown acmg option(s): {', '.join(sorted(bad))}")
        for k in ("predictors", "ba1_exceptions", "lof_scores"):
            if k in d:
                d[k] = tuple(str(x) for x in d[k] or ())
        for p in d.get("predictors", ()):
            if p not in PREDICTORS:
                raise TriageError(f"acmg.predictors: unknown predictor {p!r}; choose from {', '.join(PREDICTORS)}")
        for k in ("ba1_af", "bs1_af", "bs1_af_dominant", "pm2_max_af_recessive", "pp4_min_posterior",
                  "consistent_min_posterior", "parentage_max_opposite_hom"):
            if k in d:
                v = float(d[k])
                if not 0.0 <= v <= 1.0:
                    raise TriageError(f"acmg.{k} must be a fraction in [0, 1] (0.05 = 5 %), got {v}")
                d[k] = v
        return cls(lof_genes=str(lof) if lof else None, base_dir=base_dir, **d)

    def lof_path(self) -> Path | None:
        if not self.lof_genes:
            return None
        p = Path(self.lof_genes)
        if not p.is_absolute() and not p.exists() and self.base_dir:
            p = Path(self.base_dir) / p
        return p


@dataclass(frozen=True)
class LofGeneList:
    genes: frozenset[str]
    version: str


def load_lof_genes(cfg: AcmgConfig) -> LofGeneList | None:
    """The configured LoF-mechanism gene list (None when not configured)."""
    p = cfg.lof_path()
    if p is None:
        return None
    if not p.is_file():
        raise TriageError(f"acmg.lof_genes: file not found: {p}")
    st = p.stat()
    return _read_lof_genes(str(p), st.st_size, st.st_mtime_ns, cfg.lof_gene_column, cfg.lof_score_column,
                           cfg.lof_scores)


@lru_cache(maxsize=8)
def _read_lof_genes(path: str, size: int, mtime: int,  # noqa: ARG001 (size, mtime: cache key)
                    gene_column: str | None, score_column: str | None,
                    scores: tuple[str, ...]) -> LofGeneList:
    """A plain gene list (one symbol per line, first column) or a table with a header:
    a ClinGen dosage-sensitivity curation file (``#Gene Symbol``, ``Haploinsufficiency
    Score``) keeps the genes whose score is in ``scores`` (default 3 and 30)."""
    from triage.variants.gene_aliases import current_symbol

    raw = Path(path).read_bytes()
    text = (gzip.decompress(raw) if path.endswith(".gz") else raw).decode("utf-8", errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header: list[str] | None = None
    body: list[str] = []
    for ln in lines:
        if ln.startswith("#"):
            cols = ln.lstrip("#").split("\t")
            if len(cols) > 1 and any(c.strip().lower() in ("gene symbol", "gene", "symbol", "gene_symbol")
                                      for c in cols):
                header = [c.strip().lower() for c in cols]
            continue
        body.append(ln)
    if header is None and body and "\t" in body[0]:
        first = [c.strip().lower() for c in body[0].split("\t")]
        if any(c in ("gene symbol", "gene", "symbol", "gene_symbol") for c in first):
            header, body = first, body[1:]
    gi, si = 0, None
    if header is not None:
        want = [gene_column.lower()] if gene_column else ["gene symbol", "gene_symbol", "symbol", "gene"]
        gi = next((header.index(c) for c in want if c in header), 0)
        swant = [score_column.lower()] if score_column else ["haploinsufficiency score"]
        si = next((header.index(c) for c in swant if c in header), None)
        if score_column and si is None:
            raise TriageError(f"acmg.lof_genes {path}: no column {score_column!r}")
    genes: set[str] = set()
    for ln in body:
        f = ln.split("\t")
        if len(f) <= gi:
            continue
        if si is not None and (len(f) <= si or f[si].strip() not in scores):
            continue
        g = f[gi].strip()
        if g:
            genes.add(current_symbol(g))
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return LofGeneList(frozenset(genes), f"{Path(path).name} ({len(genes)} genes, sha256={digest})")


# --------------------------------------------------------------------------- disease modes
DOMINANT_TERMS = frozenset({"HP:0000006", "HP:0001423"})  # AD, XLD
RECESSIVE_TERMS = frozenset({"HP:0000007", "HP:0001419"})  # AR, XLR


@dataclass(frozen=True)
class ModeGroup:
    all_dominant: bool
    all_recessive: bool
    any_recessive: bool
    text: str


def mode_group(terms: Sequence[str]) -> ModeGroup:
    """How the disease's HPO inheritance terms set the frequency thresholds: the
    recessive PM2 allowance needs every mode recessive, the dominant BS1 threshold every
    mode dominant (unknown or mixed modes take the threshold that asserts less)."""
    from triage.genotype.likelihood import MODE_LABELS

    t = set(terms)
    txt = "/".join(MODE_LABELS.get(x, x) for x in terms) or "unknown"
    return ModeGroup(bool(t) and t <= DOMINANT_TERMS, bool(t) and t <= RECESSIVE_TERMS,
                     bool(t & RECESSIVE_TERMS) or "HP:0001417" in t or "HP:0032113" in t, txt)


# --------------------------------------------------------------------------- PVS1
NULL_TERMS = ("transcript_ablation", "exon_loss_variant", "stop_gained", "frameshift_variant",
              "splice_donor_variant", "splice_acceptor_variant", "start_lost")
_KIND = {"transcript_ablation": "gene_deletion", "exon_loss_variant": "exon_deletion",
         "stop_gained": "nonsense", "frameshift_variant": "frameshift", "splice_donor_variant": "splice",
         "splice_acceptor_variant": "splice", "start_lost": "start_lost"}


@dataclass(frozen=True)
class NullStructure:
    """What the gene model says about a null variant (None = not determinable)."""

    transcript: str | None = None
    nmd: bool | None = None  # predicted to undergo NMD
    frame_preserved: bool | None = None  # splice / exon deletion: exon skipping keeps the frame
    removed_fraction: float | None = None  # share of the protein removed or altered
    detail: str = ""


def pvs1_decision(kind: str, lof_mechanism: bool, s: NullStructure) -> tuple[int, str]:
    """The ClinGen SVI PVS1 decision tree (Abou Tayoun et al. 2018, Fig. 1) as far as a
    gene model supports it: no functional-domain, hotspot or alternative-transcript data,
    so "critical region" is never known and the 10 % rule decides; where the tree cannot
    be walked to the end the weakest remaining outcome is taken."""
    if not lof_mechanism:
        return NONE, ""
    big = s.removed_fraction is not None and s.removed_fraction > 0.10
    frac = f"{100 * s.removed_fraction:.0f} % of the protein" if s.removed_fraction is not None else ""
    tx = f" ({s.transcript})" if s.transcript else ""
    if kind == "gene_deletion":
        return VERY_STRONG, "full gene deletion"
    if kind in ("nonsense", "frameshift"):
        if s.nmd is None:
            return MODERATE, f"{kind}: position in the transcript not determinable{tx}; weakest outcome taken"
        if s.nmd:
            return VERY_STRONG, f"{kind} predicted to undergo NMD{tx}{s.detail}"
        if big:
            return STRONG, f"{kind} escaping NMD{tx}{s.detail}, removes {frac} (> 10 %)"
        return MODERATE, f"{kind} escaping NMD{tx}{s.detail}, removes {frac} (<= 10 %)"
    if kind in ("splice", "exon_deletion"):
        what = "canonical splice site (exon skipping assumed)" if kind == "splice" else "exon deletion"
        if s.frame_preserved is None:
            return MODERATE, f"{what}: effect on the reading frame not determinable{tx}; weakest outcome taken"
        if not s.frame_preserved:
            if s.nmd:
                return VERY_STRONG, f"{what}: frameshift predicted to undergo NMD{tx}{s.detail}"
            if s.nmd is None:
                return MODERATE, f"{what}: frameshift, NMD not determinable{tx}; weakest outcome taken"
            if big:
                return STRONG, f"{what}: frameshift escaping NMD{tx}{s.detail}, alters {frac} (> 10 %)"
            return MODERATE, f"{what}: frameshift escaping NMD{tx}{s.detail}, alters {frac} (<= 10 %)"
        if big:
            return STRONG, f"{what}: in-frame, removes {frac} (> 10 %){tx}{s.detail}"
        return MODERATE, f"{what}: in-frame, removes {frac} (<= 10 %){tx}{s.detail}"
    if kind == "start_lost":
        return SUPPORTING, ("initiation codon: pathogenic variants upstream of the next in-frame start codon "
                            "are not checked (weakest outcome)")
    return NONE, ""


def _tx_order(tx, i: int) -> int:
    return i if tx.strand == "+" else tx.exon_count - 1 - i


def _exon_end_offset(tx, t: int) -> int:
    """mRNA offset one past the end of the exon at transcript-order index ``t``."""
    i = t if tx.strand == "+" else tx.exon_count - 1 - t
    return tx.exon_offsets[i] + (tx.exon_ends[i] - tx.exon_starts[i])


def null_structure(tx, kind: str, pos: int, ref: str, alt: str) -> NullStructure:
    """NMD and protein-fraction facts of a null variant on transcript ``tx`` (a
    :class:`~triage.variants.gene_model.Transcript`; VCF 1-based ``pos``)."""
    if tx is None or not tx.is_coding or tx.cds_bounds is None:
        return NullStructure(getattr(tx, "id", None))
    ca, cb = tx.cds_bounds
    prot_len = max((cb - ca) // 3 - 1, 1)
    n = tx.exon_count
    pen_end = _exon_end_offset(tx, n - 2) if n >= 2 else None

    def nmd_at(m: int) -> bool:
        # NMD expected unless the stop lies in the last exon or the 3'-most 50 nt of the penultimate
        return n >= 2 and pen_end is not None and m < pen_end - 50

    if kind in ("nonsense", "frameshift"):
        if len(ref) == len(alt):
            lo, hi = pos - 1, pos - 1 + len(ref) - 1
        elif len(ref) > len(alt):  # deletion (VCF padding base first)
            lo, hi = pos, pos + len(ref) - 2
        else:  # insertion between pos-1 and pos (0-based)
            lo, hi = pos - 1, pos
        rng = range(lo, hi + 1) if tx.strand == "+" else range(hi, lo - 1, -1)
        m = next((o for g in rng if (o := tx.mrna_offset(g)) is not None), None)
        if m is None or not ca <= m < cb:
            return NullStructure(tx.id)
        codon = (m - ca) // 3
        frac = max(0.0, 1.0 - codon / prot_len)
        detail = f", c.{m - ca + 1} in exon {_tx_order(tx, tx.exon_index(_genomic(tx, m)))+1}/{n}"
        if kind == "frameshift":
            detail += " (new stop codon position not computed: the frameshift's start was used)"
        return NullStructure(tx.id, nmd_at(m), None, frac, detail)
    if kind == "splice":
        # the exon whose boundary the variant touches is assumed skipped
        g = pos - 1
        best = None
        for i in range(n - 1):
            for gi, d in ((i, abs(g - tx.exon_ends[i])), (i + 1, abs(g - (tx.exon_starts[i + 1] - 1)))):
                if d <= 3 and (best is None or d < best[1]):
                    best = (gi, d)
        if best is None:
            return NullStructure(tx.id)
        i = best[0]
        return _skip_structure(tx, [i], prot_len, nmd_at, "skipping")
    if kind == "exon_deletion":
        lo, hi = pos, pos + len(ref) - 1  # deleted bases after the padding base (0-based)
        exons = [i for i in range(n) if tx.exon_starts[i] >= lo and tx.exon_ends[i] <= hi]
        if not exons:
            return NullStructure(tx.id)
        return _skip_structure(tx, exons, prot_len, nmd_at, "deletion")
    return NullStructure(tx.id)


def _genomic(tx, m: int) -> int:
    """Genomic base of mRNA offset ``m`` (inverse of mrna_offset, exonic)."""
    for i in range(tx.exon_count):
        o = tx.exon_offsets[i]
        ln = tx.exon_ends[i] - tx.exon_starts[i]
        if o <= m < o + ln:
            return tx.exon_starts[i] + (m - o) if tx.strand == "+" else tx.exon_ends[i] - 1 - (m - o)
    return tx.tx_start


def _skip_structure(tx, exons: list[int], prot_len: int, nmd_at, what: str) -> NullStructure:
    """Exons (genomic indices) lost from the mRNA: frame, NMD, altered share."""
    n = tx.exon_count
    ts = sorted(_tx_order(tx, i) for i in exons)
    if any(tx.exon_starts[i] < tx.cds_start or tx.exon_ends[i] > tx.cds_end for i in exons):
        return NullStructure(tx.id, detail=f"; exon {ts[0] + 1}/{n} holds the start or stop codon")
    lost = sum(tx.exon_ends[i] - tx.exon_starts[i] for i in exons)
    ca, cb = tx.cds_bounds
    first = min(tx.exon_offsets[i] for i in exons)
    names = ", ".join(str(t + 1) for t in ts)
    detail = f", exon {names}/{n} {what} ({lost} nt)"
    if lost % 3 == 0:
        return NullStructure(tx.id, None, True, (lost // 3) / prot_len, detail)
    # frameshift from the first lost exon on; the new stop lies downstream of the junction
    frac = max(0.0, 1.0 - ((first - ca) // 3) / prot_len)
    nmd = ts[-1] <= n - 3 and nmd_at(first)
    return NullStructure(tx.id, nmd, False, frac, detail)


def pick_transcript(model, gene: str, tx_id: str | None, chrom: str, pos: int, ref: str):
    """The row's transcript in the gene model (id with or without version), else the
    gene's preferred coding transcript at the variant, else its longest coding one."""
    if model is None:
        return None
    from triage.variants.gene_aliases import REFGENE_TO_HGNC

    names = {gene} | {k for k, v in REFGENE_TO_HGNC.items() if v == gene}
    txs = [t for t in model.overlapping(chrom, pos - 1, pos - 1 + max(len(ref), 1)) if t.gene in names]
    if not txs:
        return None
    if tx_id:
        base = tx_id.split(".")[0]
        for t in txs:
            if t.id == tx_id or t.id.split(".")[0] == base:
                return t
    coding = [t for t in txs if t.is_coding and t.cds_bounds is not None]
    pref = [t for t in coding if t.preferred]
    pool = pref or coding
    if not pool:
        return None
    return max(pool, key=lambda t: (t.cds_bounds[1] - t.cds_bounds[0], t.id))


# --------------------------------------------------------------------------- parentage
@dataclass(frozen=True)
class Parentage:
    """Whether the genotypes support the PED's parents of the proband (autosomes only):
    the share of the proband's hom-alt sites at which a called parent is hom-ref
    ("opposite homozygotes": near 0 for true parents, a few per cent or more otherwise)."""

    has_parents: bool
    confirmed: bool | None  # None: too few informative sites
    text: str


def parentage_check(gt: np.ndarray, autosomal: np.ndarray, father: int, mother: int, proband: int,
                    max_rate: float = 0.02, min_sites: int = 50) -> Parentage:
    """``gt`` (variants, members) in Family order; ``father``/``mother`` member indices (-1 none)."""
    if father < 0 or mother < 0:
        return Parentage(False, None, "parents not both in the PED")
    child = gt[:, proband]
    parts, ok = [], True
    for name, p in (("father", father), ("mother", mother)):
        inf = autosomal & (child == 2) & (gt[:, p] >= 0)
        k = int(inf.sum())
        if k < min_sites:
            return Parentage(True, None, f"parentage not checked: {k} informative sites for the {name} "
                                         f"(< {min_sites})")
        rate = float(((gt[:, p] == 0) & inf).sum()) / k
        parts.append(f"{name} {100 * rate:.2f} % of {k}")
        ok &= rate <= max_rate
    txt = ("genotypes consistent with both parents" if ok else "genotypes INCONSISTENT with the PED's parents") + \
        f" (opposite homozygotes: {', '.join(parts)}; limit {100 * max_rate:g} %)"
    return Parentage(True, ok, txt)


# --------------------------------------------------------------------------- the table
@dataclass
class AcmgTable:
    """Criteria strengths of every annotation row of a ranked case (int8 arrays) and
    the facts their reasons quote; :meth:`assessment` builds one row's model."""

    cfg: AcmgConfig
    strength: dict[str, np.ndarray]
    points: np.ndarray  # (rows,) int
    classification: np.ndarray  # (rows,) object
    reasons: dict[str, dict[int, str]]  # code -> row -> reason (criteria decided row by row)
    facts: dict[str, Any]  # arrays and case facts the reason strings read
    not_assessed: dict[str, str]  # case-level: code -> why
    version: str = ""

    def codes(self, r: int) -> list[str]:
        """Labels of the criteria met by row ``r`` in display order."""
        return [label(c, int(self.strength[c][r])) for c in ORDER if self.strength[c][r]]

    def criteria_text(self, r: int) -> str:
        return ",".join(self.codes(r))

    def assessment(self, r: int) -> AcmgAssessment:
        """The ACMG assessment of variant row ``r``: every criterion met with its strength, points and
        reason, the Tavtigian point total and the combined class (automated, provisional).
        """
        crit = [AcmgCriterion(code=c, label=label(c, s), strength=STRENGTH_NAMES[s],
                              direction=CRITERIA[c].direction, points=signed_points(c, s),
                              reason=self._reason(c, r))
                for c in ORDER if (s := int(self.strength[c][r]))]
        applied = [(c.code, int(self.strength[c.code][r])) for c in crit]
        caveats = list(self.facts["case_caveats"])
        rich = richards_class(applied)
        cls = str(self.classification[r])
        if rich != cls:
            caveats.append(f"the Richards 2015 combining rules give {rich!r} for these criteria "
                           f"(the point system is used here)")
        caveats += self._row_caveats(r)
        na = dict(self.not_assessed)
        f = self.facts
        if f["predictable"][r] and not f["pred_name"][r] and "PP3" not in na:
            na["PP3"] = na["BP4"] = "no configured predictor has a score for this variant"
        return AcmgAssessment(criteria=crit, points=int(self.points[r]), classification=cls,
                              method=METHOD, caveats=caveats, not_assessed=na)

    # -------------------------------------------------------------- reasons
    def _reason(self, code: str, r: int) -> str:
        if code in self.reasons and r in self.reasons[code]:
            return self.reasons[code][r]
        f = self.facts
        v = int(f["vidx"][r])
        af = f["af"][v]
        src = f["af_source"]
        if code == "BA1":
            return f"population allele frequency {af:.3g} > {self.cfg.ba1_af:g} ({src})"
        if code == "BS1":
            thr, grp = self._bs1(r)
            return f"population allele frequency {af:.3g} > {thr:g}, the maximum expected for a {grp} disorder ({src})"
        if code == "PM2":
            mg = f["mode_text"][r]
            if math.isnan(af):
                return f"absent from the population resource ({f['pop_version']}); Supporting per ClinGen SVI 2020"
            return (f"allele frequency {af:.3g} < {self.cfg.pm2_max_af_recessive:g} in the population resource "
                    f"for a recessive disorder ({mg}); Supporting per ClinGen SVI 2020")
        if code in ("PP3", "BP4"):
            name, val = f["pred_name"][r], f["pred_value"][r]
            t = PREDICTORS[name]
            s = int(self.strength[code][r])
            cut = (t.pp3 if code == "PP3" else t.bp4)[s - 1]  # set: the criterion was met at s
            op = ">=" if code == "PP3" else "<="
            return f"{t.name} {val:.3g} {op} {cut:g} ({STRENGTH_NAMES[s].replace('_', ' ')}; {t.source})"
        if code == "PP4":
            return (f"phenotype-only posterior {f['pheno_post'][r]:.3g} of {f['disease'][r]} "
                    f">= {self.cfg.pp4_min_posterior:g} (phenotype highly specific for the disease)")
        if code in ("PP5", "BP6"):
            return f"ClinVar {f['clnsig'][v]} ({int(f['stars'][v])} stars); enabled by acmg.clinvar_pp5_bp6"
        return CRITERIA[code].text

    def _bs1(self, r: int) -> tuple[float, str]:
        if self.facts["all_dominant"][r]:
            return self.cfg.bs1_af_dominant, "dominant"
        return self.cfg.bs1_af, "recessive or unknown-mode"

    def _row_caveats(self, r: int) -> list[str]:
        out = []
        f = self.facts
        if f["is_null"][r] and not self.strength["PVS1"][r] and "PVS1" not in self.not_assessed:
            out.append(f"null variant, but {f['gene'][r]} is not in the loss-of-function-mechanism list "
                       f"({f['lof_version']}): PVS1 not applied")
        if r in self.reasons.get("_pp4_suppressed", {}):
            out.append(self.reasons["_pp4_suppressed"][r])
        if r in self.reasons.get("_de_novo_note", {}):
            out.append(self.reasons["_de_novo_note"][r])
        return out


def case_table(ranked) -> AcmgTable | None:
    """The ACMG table of a ranked VCF case, computed once and kept on its genotype part
    (None for phenotype-only cases or with ``acmg.enabled: false``)."""
    geno = ranked.genotype
    cfg = getattr(ranked.ranker.cfg, "acmg", None) or AcmgConfig()
    if geno is None or not cfg.enabled:
        return None
    if geno.acmg is None:
        geno.acmg = assess_case(ranked, cfg)
    return geno.acmg


def frequency_criteria(af: np.ndarray, has_frequency: bool, has_resource: bool, all_dominant: np.ndarray,
                       all_recessive: np.ndarray, cfg: AcmgConfig,
                       exempt: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(BA1, BS1, PM2) strengths per row from the population allele frequency ``af``
    (max of AF and popmax; NaN = not seen in any configured source).

    * BA1 (stand-alone): AF > ``ba1_af`` (5 %; Ghosh et al. 2018), unless ``exempt``;
    * BS1 (strong): AF > ``bs1_af_dominant`` (0.1 %) when every mode of the gene's
      disease is dominant, else > ``bs1_af`` (1.5 %);
    * PM2 (supporting, ClinGen SVI 2020): only with a population *resource*
      (``has_resource``): absent from it, or for a disorder whose every mode is
      recessive AF < ``pm2_max_af_recessive`` (0.01 %).
    """
    af = np.asarray(af, dtype=float)
    n = af.shape[0]
    known = ~np.isnan(af)
    ba1 = np.zeros(n, dtype=np.int8)
    bs1 = np.zeros(n, dtype=np.int8)
    pm2 = np.zeros(n, dtype=np.int8)
    ex = np.zeros(n, dtype=bool) if exempt is None else np.asarray(exempt, dtype=bool)
    with np.errstate(invalid="ignore"):
        if has_frequency:
            is_ba1 = known & (af > cfg.ba1_af) & ~ex
            ba1[is_ba1] = STAND_ALONE
            bs1[known & ~is_ba1 & (af > np.where(all_dominant, cfg.bs1_af_dominant, cfg.bs1_af))] = STRONG
        if has_resource:
            pm2[~known | (np.asarray(all_recessive, dtype=bool) & (af < cfg.pm2_max_af_recessive))] = SUPPORTING
    return ba1, bs1, pm2


def computational_criteria(scores: dict[str, np.ndarray], predictors: Sequence[str], missense: np.ndarray,
                           coding_snv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(PP3, BP4, predictor name, score) per row: one tool per variant (ClinGen: never
    count several tools), the first of ``predictors`` with a score for the row.
    REVEL and AlphaMissense tables hold missense substitutions only, so a score marks
    a coding SNV (consequence unresolved without a FASTA) as missense; CADD scores
    every variant and is used for rows called missense only."""
    n = len(missense)
    pp3 = np.zeros(n, dtype=np.int8)
    bp4 = np.zeros(n, dtype=np.int8)
    name = np.full(n, "", dtype=object)
    value = np.full(n, np.nan)
    for p_ in predictors:
        t = PREDICTORS[p_]
        vals = np.asarray(scores[p_], dtype=float)
        usable = ~np.isnan(vals) & (np.asarray(missense, bool) | (np.asarray(coding_snv, bool) & t.missense_only_table))
        usable &= name == ""
        name[usable] = p_
        value[usable] = vals[usable]
        a, b = predictor_strength(np.where(usable, vals, np.nan), t)
        pp3 = np.where(usable, a, pp3).astype(np.int8)
        bp4 = np.where(usable, b, bp4).astype(np.int8)
    return pp3, bp4, name, value


def phenotype_tier(posterior: np.ndarray, cfg: AcmgConfig) -> np.ndarray:
    """Phenotype fit of each row's gene from the phenotype-only posterior of its best
    disease: highly specific (>= ``pp4_min_posterior``, the PP4 threshold), consistent
    (>= ``consistent_min_posterior``) or not consistent (lower, or NaN)."""
    p_ = np.asarray(posterior, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(p_ >= cfg.pp4_min_posterior, PHENO_HIGHLY_SPECIFIC,
                        np.where(p_ >= cfg.consistent_min_posterior, PHENO_CONSISTENT, PHENO_NOT_CONSISTENT))


def _terms_has(consequences: np.ndarray, terms: Iterable[str]) -> np.ndarray:
    """Rows whose "&"-joined consequences contain any of ``terms`` (one test per distinct string)."""
    ts = frozenset(terms)
    memo: dict[str, bool] = {}
    out = np.zeros(len(consequences), dtype=bool)
    for i, c in enumerate(consequences.tolist()):
        h = memo.get(c)
        if h is None:
            h = memo[c] = not ts.isdisjoint(c.split("&"))
        out[i] = h
    return out


def _chrom_classes(chroms: np.ndarray) -> np.ndarray:
    from triage.genotype.inheritance import chromosome_class

    memo: dict[str, str] = {}
    return np.array([memo.get(c) or memo.setdefault(c, chromosome_class(str(c))) for c in chroms.tolist()],
                    dtype=object)


def assess_case(ranked, cfg: AcmgConfig | None = None) -> AcmgTable:
    """Criteria of every annotation row of a ranked VCF case (the one ACMG entry point)."""
    from triage.genotype.inheritance import DE_NOVO, MODE_BITS
    from triage.variants.variant_scores import CLNSIG_BENIGN, CLNSIG_PATHOGENIC

    cfg = cfg or getattr(ranked.ranker.cfg, "acmg", None) or AcmgConfig()
    geno = ranked.genotype
    case = geno.case
    av = case.table
    ranker = ranked.ranker
    n = len(av)
    zeros = np.zeros(n, dtype=np.int8)
    st = {c: zeros.copy() for c in ORDER}
    reasons: dict[str, dict[int, str]] = {c: {} for c in ("PVS1", "PS2", "PM6", "PM3", "_pp4_suppressed",
                                                           "_de_novo_note")}
    not_assessed: dict[str, str] = {}
    case_caveats = ["automated and provisional: review every criterion before use; criteria needing "
                    "literature, functional, segregation or case data are not assessed "
                    f"({', '.join(NOT_IMPLEMENTED)})"]
    vidx = av.vidx
    af = av.population_frequency()
    versions = av.versions or {}
    pop_version = versions.get("population_frequency")
    af_sources = str(av.stats.get("population_af_sources") or "")
    has_freq = bool(af_sources)
    gene = av.gene.astype(str) if n else np.zeros(0, dtype=object)

    # ---- gene-level context: best disease, its modes, the phenotype-only posterior
    comb = geno.combined
    gidx = np.array([ranker.gene_index.get(g, -1) for g in gene.tolist()], dtype=np.int64)
    best = np.where(gidx >= 0, comb.best_disease_of_gene[np.maximum(gidx, 0)], -1) if n else np.zeros(0, np.int64)
    dis_ids = ranker.engine.kb.annotations.disease_ids
    modes = ranker.modes
    groups: dict[int, ModeGroup] = {}
    for d in set(best.tolist()):
        groups[d] = mode_group(modes.get(dis_ids[d], ())) if d >= 0 else mode_group(())
    all_dom = np.array([groups[d].all_dominant for d in best.tolist()], dtype=bool)
    all_rec = np.array([groups[d].all_recessive for d in best.tolist()], dtype=bool)
    any_rec = np.array([groups[d].any_recessive for d in best.tolist()], dtype=bool)
    mode_text = np.array([groups[d].text for d in best.tolist()], dtype=object)
    disease = np.array([dis_ids[d] if d >= 0 else "" for d in best.tolist()], dtype=object)
    ppost_all = getattr(ranked, "phenotype_posterior", None)
    if ppost_all is not None:
        pheno_post = np.where(best >= 0, np.asarray(ppost_all)[np.maximum(best, 0)], np.nan)
    else:
        pheno_post = np.full(n, np.nan)
        not_assessed["PP4"] = f"the {ranked.scorer} phenotype scorer gives no posterior"
    tier = phenotype_tier(pheno_post, cfg)

    # ---- population frequency: BA1, BS1, PM2
    afr = af[vidx] if n else np.zeros(0)
    exempt = np.zeros(n, dtype=bool)
    if cfg.ba1_exceptions and n:
        keys = set(cfg.ba1_exceptions)
        exempt = np.array([f"{av.chrom_norm[v]}-{av.pos[v]}-{av.ref[v]}-{av.alt[v]}" in keys
                           for v in vidx.tolist()], dtype=bool)
    st["BA1"], st["BS1"], st["PM2"] = frequency_criteria(afr, has_freq, bool(pop_version), all_dom, all_rec,
                                                         cfg, exempt)
    if not has_freq:
        not_assessed["BA1"] = not_assessed["BS1"] = "no population frequency configured"
    if pop_version:
        case_caveats.append("PM2 assumes the population resource covers the variant's position "
                            "(coverage is not checked)")
    else:
        not_assessed["PM2"] = ("no population-frequency resource configured (resources.population); "
                               "absence cannot be asserted" + (f"; frequencies from {af_sources} are used "
                                                               "for BA1/BS1 only" if has_freq else ""))

    # ---- predictors: PP3 / BP4 (one tool per row: the first of acmg.predictors with a value)
    snv_v = (np.fromiter(map(len, av.ref.tolist()), np.int64, av.n_variants) == 1) & \
        (np.fromiter(map(len, av.alt.tolist()), np.int64, av.n_variants) == 1)
    snv = snv_v[vidx] if n else np.zeros(0, bool)
    missense = _terms_has(av.consequences, ["missense_variant"])
    coding_snv = snv & _terms_has(av.consequences, ["coding_sequence_variant"])
    scores = {p_: getattr(av, p_) for p_ in PREDICTORS}
    configured = [p_ for p_ in cfg.predictors if n and np.any(~np.isnan(scores[p_]))]
    st["PP3"], st["BP4"], pred_name, pred_value = computational_criteria(scores, configured, missense, coding_snv)
    if not configured:
        not_assessed["PP3"] = not_assessed["BP4"] = ("no missense predictor (REVEL, AlphaMissense, CADD) "
                                                    "configured (resources.scores)")

    # ---- ClinVar assertions: PP5 / BP6 only when asked for
    cls_v, stars_v = av.clinvar_class, av.clinvar_stars
    if cfg.clinvar_pp5_bp6:
        ok = stars_v[vidx] >= cfg.clinvar_min_stars
        st["PP5"][(cls_v[vidx] == CLNSIG_PATHOGENIC) & ok] = SUPPORTING
        st["BP6"][(cls_v[vidx] == CLNSIG_BENIGN) & ok] = SUPPORTING
    else:
        not_assessed["PP5"] = not_assessed["BP6"] = ("not used: ClinGen SVI recommends against PP5/BP6 "
                                                    "(Biesecker & Harrison 2018); enable with acmg.clinvar_pp5_bp6")

    # ---- de novo: PS2 / PM6
    fam = case.family
    gt = fam.genotypes(av.gt, av.samples) if av.n_variants else np.zeros((0, len(fam)), np.int8)
    p = fam.proband
    ccls = _chrom_classes(av.chrom_norm)
    autosomal = ccls == "A"
    is_x = ccls == "X"
    male = fam.sex[p] == 1
    par = parentage_check(gt, autosomal, fam.father[p], fam.mother[p], p, cfg.parentage_max_opposite_hom,
                          cfg.parentage_min_sites)
    if not par.has_parents:
        not_assessed["PS2"] = not_assessed["PM6"] = "parents not both in the PED: de novo status unknown"
    else:
        case_caveats.append(par.text)
        dn_v = (geno.genotype.variant_modes & MODE_BITS[DE_NOVO]) != 0 if av.n_variants else np.zeros(0, bool)
        for r in np.flatnonzero(dn_v[vidx]).tolist() if n else []:
            t = int(tier[r])
            fit = PHENO_TIER_TEXT[t]
            ptxt = (f"phenotype {fit} {disease[r]} (phenotype-only posterior {pheno_post[r]:.3g})"
                    if disease[r] and not np.isnan(pheno_post[r]) else "phenotype fit unknown (gene without HPO disease)")
            if par.confirmed is False:
                reasons["_de_novo_note"][r] = ("de novo by genotype, but the genotypes are inconsistent with the "
                                               "PED's parents: PS2/PM6 not applied")
                continue
            confirmed = bool(par.confirmed)
            pts = de_novo_points(confirmed, t)
            s = svi_points_strength(pts)
            code = "PS2" if confirmed else "PM6"
            if s == NONE:
                reasons["_de_novo_note"][r] = f"de novo by genotype, but {ptxt}: {code} not applied (0 SVI points)"
                continue
            st[code][r] = s
            called = ("mother genotyped hom-ref (male proband, X)" if male and is_x[int(vidx[r])]
                      else "both parents genotyped hom-ref")
            base = (f"{called}, parentage consistent with the genotypes" if confirmed else
                    f"{called}; parentage not confirmed")
            reasons[code][r] = f"de novo: {base}; {ptxt}; {pts:g} SVI de novo points"

    # ---- PP4 (the phenotype counted once: not on top of a de novo weighted as highly specific)
    pp4 = tier == PHENO_HIGHLY_SPECIFIC
    for r in np.flatnonzero(pp4 & ((st["PS2"] > 0) | (st["PM6"] > 0))).tolist():
        pp4[r] = False
        reasons["_pp4_suppressed"][r] = ("PP4 not added: the phenotype's specificity is already counted in the "
                                         "de novo points")
    st["PP4"][pp4] = SUPPORTING

    # ---- PVS1
    is_null = _terms_has(av.consequences, NULL_TERMS)
    lof = load_lof_genes(cfg)
    if lof is None:
        not_assessed["PVS1"] = ("no loss-of-function-mechanism gene list configured (acmg.lof_genes): "
                                "null variants are flagged but PVS1 is not applied")
    else:
        model = ranker.gene_model
        for r in np.flatnonzero(is_null).tolist():
            g = gene[r]
            if g not in lof.genes:
                continue
            v = int(vidx[r])
            terms = av.consequences[r].split("&")
            term = next(t for t in NULL_TERMS if t in terms)
            kind = _KIND[term]
            tx = pick_transcript(model, g, av.transcript[r], str(av.chrom[v]), int(av.pos[v]), av.ref[v]) \
                if kind not in ("gene_deletion", "start_lost") else None
            s_ = null_structure(tx, kind, int(av.pos[v]), av.ref[v], av.alt[v]) if tx is not None else NullStructure()
            s, why = pvs1_decision(kind, True, s_)
            if s:
                st["PVS1"][r] = s
                reasons["PVS1"][r] = f"{why}; loss of function is a mechanism for {g} ({lof.version})"

    # ---- PM3 (recessive disease; partner ClinVar P/LP, phased by parents when both are called)
    pgt = gt[:, p] if av.n_variants else np.zeros(0, np.int8)
    f_, m_ = fam.father[p], fam.mother[p]
    has_clinvar = "clinvar" in versions
    plp_v = (cls_v == CLNSIG_PATHOGENIC) & (stars_v >= 1) if av.n_variants else np.zeros(0, bool)
    if not has_clinvar:
        not_assessed["PM3"] = "no ClinVar resource configured: the partner variant's classification is unknown"
    rows_of_gene: dict[str, list[int]] = {}
    if n:
        cand = any_rec & (pgt[vidx] >= 1) & ~(male & is_x[vidx])
        for r in np.flatnonzero(cand).tolist():
            rows_of_gene.setdefault(gene[r], []).append(r)
    for rows in rows_of_gene.values():
        for r in rows:
            v = int(vidx[r])
            best_pts, why = 0.0, ""
            if pgt[v] == 2 and autosomal[v]:
                if st["PM2"][r]:
                    best_pts, why = PM3_HOMOZYGOUS, "homozygous in the proband for a recessive disorder, rare (PM2 met)"
                else:
                    continue
            elif has_clinvar:
                for r2 in rows:
                    w = int(vidx[r2])
                    if w == v or pgt[w] != 1 or pgt[v] != 1 or not plp_v[w]:
                        continue
                    partner = f"{av.chrom[w]}:{av.pos[w]} {av.ref[w]}>{av.alt[w]} (ClinVar {av.clnsig[w]})"
                    pts, phase = pm3_pair_points(gt[v], gt[w], f_, m_)
                    txt = {"trans": f"in trans (phased by parents) with P/LP {partner}",
                           "unresolved": f"with P/LP {partner}, phase not resolved by the parents",
                           "unknown": f"with P/LP {partner}, phase unknown (parents not genotyped)"}.get(phase, "")
                    if pts > best_pts:
                        best_pts, why = pts, txt
            s = svi_points_strength(best_pts)
            if s:
                st["PM3"][r] = s
                reasons["PM3"][r] = f"{why}; {best_pts:g} SVI PM3 points (recessive: {mode_text[r]})"

    # ---- combine (points, class) for every row
    row_points = np.zeros(n, dtype=np.int64)
    for c in ORDER:
        sp = STRENGTH_POINTS[st[c]]
        row_points += -sp if CRITERIA[c].direction == BENIGN else sp
    cls = np.empty(n, dtype=object)
    cls[:] = VUS
    cls[row_points >= 0] = VUS
    cls[row_points >= 6] = LP
    cls[row_points >= 10] = P
    cls[row_points < 0] = LB
    cls[row_points <= -7] = B
    cls[st["BA1"] == STAND_ALONE] = B
    facts = {
        "vidx": vidx, "af": af, "af_source": af_sources or "none", "pop_version": pop_version or "",
        "mode_text": mode_text, "all_dominant": all_dom, "pheno_post": pheno_post, "disease": disease,
        "pred_name": pred_name, "pred_value": pred_value, "clnsig": av.clnsig, "stars": stars_v, "gene": gene,
        "is_null": is_null, "lof_version": lof.version if lof else "", "case_caveats": case_caveats,
        "predictable": missense | coding_snv,
    }
    version = ACMG_METHOD_VERSION + (f"; lof_genes={lof.version}" if lof else "")
    return AcmgTable(cfg, st, row_points, cls, reasons, facts, not_assessed, version)


__all__ = [
    "ACMG_METHOD_VERSION", "AcmgConfig", "AcmgTable", "CRITERIA", "case_table", "NullStructure", "PREDICTORS", "assess_case",
    "classify_points", "computational_criteria", "de_novo_points", "frequency_criteria",
    "phenotype_tier", "pm3_pair_points", "label", "load_lof_genes", "mode_group", "null_structure",
    "parentage_check", "pick_transcript", "points_and_class", "predictor_strength", "pvs1_decision",
    "richards_class", "svi_points_strength",
]

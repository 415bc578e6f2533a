"""Genotype likelihood ratio per gene and mode (LIRICAL-like), as pure numpy functions.

For a gene g the question is how unusual its variants are for a healthy person
compared with a patient whose disease is caused by g. Two allele configurations:

* ``one`` (dominant-like: AD, XD, mitochondrial, de novo): the best single allele
  compatible with a dominant mode (:mod:`triage.genotype.inheritance`: in a singleton a het
  call, not hom-alt; with a PED the segregation rules);
* ``two`` (recessive-like: AR, XR): the best biallelic configuration -- a hom-alt (or
  hemizygous) allele, or the two best het alleles (compound het; phased by parents
  when both are genotyped: pairs in cis are excluded, pairs proven in trans count
  double).

Pathogenicity scores (:mod:`triage.variants.variant_scores`) are grouped into six bins
(:data:`BIN_EDGES`). For each bin b:

* ``CAUSAL_BIN_FRACTION[b]`` = c_b, the share of disease-causing alleles in that bin
  (adapted from published class proportions of Mendelian disease variants: about 38 %
  protein-truncating / canonical splice, 52 % missense or in-frame, 6 % splice region
  or uncertain coding, 4 % other);
* ``BACKGROUND_RATE_PER_KB[b]`` = r_b, the number of alleles of that bin a healthy
  person carries per kb of coding sequence. From the 1000 Genomes phase 3 paper
  (Auton et al. 2015, PMID 26432245: a typical genome carries 149-182
  protein-truncating and 10,000-12,000 peptide-altering variant sites) over ~34 Mb
  of coding sequence: 0.005 truncating and 0.33 missense per kb. A second table
  (:data:`RARE_BACKGROUND_RATE_PER_KB`) is used when a population-frequency source is
  configured (only rare alleles keep high scores; ~3 % of coding sites, ~10 % of
  truncating ones). ``HOM_FRACTION`` (0.35; 0.02 with frequencies) is the share of a
  healthy person's variant sites that are homozygous.

These constants are global, were set from the literature before any benchmark run
and are not fitted per case. The expected count of background alleles of bin b in
gene g is ``lambda_gb = L_g * r_b`` where L_g is the gene's coding length in kb
(longest CDS in the gene model; at least 0.3 kb), optionally rescaled by a gene-prior
table (:class:`triage.variants.resources.GenePriorTable`).

Likelihood ratio of "best allele in bin b" (Poisson background, the causal allele
present with probability 1 - EPS)::

    LR_one(b) = EPS + (1 - EPS) * (C_below(b) + c_b / (1 - exp(-lambda_gb * het)))

(``C_below`` the causal share of lower bins: the causal allele may hide below a
background one; ``het`` = 1 - HOM_FRACTION, only het calls count for a dominant
mode; 0.5 for a male X.) A gene with no compatible allele gets ``EPS`` (a variant may
have been missed: not zero). For ``two`` the same form with the chance G(b) that a
healthy person carries >= 2 allele copies at bin >= b::

    LR_two(b) = EPS^2 + (1 - EPS^2) * (D_below(b) + d_b * (1 - G(b+1)) / (G(b) - G(b+1)))

with d_b the distribution of the weaker causal allele (half homozygous, half the
minimum of two draws from c). A gene with one qualifying het allele only gets
``2 EPS * LR_one-core`` (one allele missed), none ``EPS^2``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from triage.arrays import AnyArray, BoolArray, FloatArray, IntArray, ObjectArray
from triage.genotype.inheritance import (
    AD,
    AR,
    DE_NOVO,
    MODE_BITS,
    MT,
    XD,
    XR,
    Family,
    chromosome_class,
    compatible_modes,
    compound_het_pairs,
)
from triage.genotype.pedigree import FEMALE, MALE, Pedigree

if TYPE_CHECKING:
    from triage.variants.annotation import AnnotatedVariants
    from triage.variants.gene_model import GeneModel

log = logging.getLogger(__name__)

#: lower edges of the score bins; bin b holds scores in [EDGES[b], EDGES[b+1])
BIN_EDGES = np.array([0.0, 0.03, 0.08, 0.2, 0.5, 0.9])
BIN_NAMES = ("minimal", "low", "uncertain_low", "uncertain", "damaging", "lof_or_pathogenic")
CAUSAL_BIN_FRACTION = np.array([0.005, 0.015, 0.02, 0.06, 0.52, 0.38])
BACKGROUND_RATE_PER_KB = np.array([0.3, 0.8, 0.1, 0.1, 0.33, 0.005])
RARE_BACKGROUND_RATE_PER_KB = np.array([1.0, 1.0, 0.1, 0.003, 0.01, 0.0005])
HOM_FRACTION = 0.35
RARE_HOM_FRACTION = 0.02
EPS = 0.01
#: a de novo allele (both parents called hom-ref) is this much rarer in a healthy trio
DE_NOVO_RATE_FACTOR = 0.01
MIN_GENE_KB = 0.3
DEFAULT_GENE_KB = 1.5

ONE, TWO = 0, 1

# HPO inheritance terms (phenotype.hpoa aspect "I") -> weights of (one, two)
_MODE_TERMS = {
    "HP:0000006": (1.0, 0.0),  # autosomal dominant
    "HP:0000007": (0.0, 1.0),  # autosomal recessive
    "HP:0001417": (0.5, 0.5),  # X-linked
    "HP:0001419": (0.0, 1.0),  # X-linked recessive
    "HP:0001423": (1.0, 0.0),  # X-linked dominant
    "HP:0001427": (1.0, 0.0),  # mitochondrial
    "HP:0001450": (1.0, 0.0),  # Y-linked
    "HP:0003745": (1.0, 0.0),  # sporadic
    "HP:0001442": (1.0, 0.0),  # somatic mosaicism
    "HP:0032113": (0.5, 0.5),  # semidominant
    "HP:0010984": (1.0, 0.0),  # digenic
}
MODE_LABELS = {
    "HP:0000006": "AD", "HP:0000007": "AR", "HP:0001417": "XL", "HP:0001419": "XLR",
    "HP:0001423": "XLD", "HP:0001427": "MT", "HP:0001450": "YL", "HP:0003745": "sporadic",
    "HP:0001442": "somatic", "HP:0032113": "semidominant", "HP:0010984": "digenic",
}


# --------------------------------------------------------------------------- disease modes
@lru_cache(maxsize=4)
def disease_inheritance(hpo_dir: str) -> dict[str, tuple[str, ...]]:
    """Disease id -> HPO inheritance term ids (phenotype.hpoa rows with aspect "I").

    Read from the release's compiled file when there is a current one (a few ms),
    else parsed from phenotype.hpoa (:func:`triage.phenotype.hpo_annotations.load_inheritance`).
    """
    from triage.phenotype.hpo_annotations import load_inheritance
    from triage.phenotype.knowledge import compiled_inheritance

    modes = compiled_inheritance(hpo_dir)
    if modes is not None:
        return modes
    d = Path(hpo_dir)
    if not any(p.exists() for p in (d / "phenotype.hpoa", d / "phenotype.hpoa.gz")):
        log.warning("no phenotype.hpoa in %s: disease inheritance modes unknown", hpo_dir)
        return {}
    return load_inheritance(d)


def mode_weights(disease_ids: list[str], modes: dict[str, tuple[str, ...]]) -> FloatArray:
    """(D, 2) weights of the one/two-allele configurations (rows sum to 1).

    A disease with several modes averages them; no known mode -> (0.5, 0.5).
    """
    w = np.full((len(disease_ids), 2), 0.5)
    for i, d in enumerate(disease_ids):
        ts = [_MODE_TERMS[t] for t in modes.get(d, ()) if t in _MODE_TERMS]
        if ts:
            one = sum(t[0] for t in ts)
            two = sum(t[1] for t in ts)
            w[i] = (one / (one + two), two / (one + two))
    return w


def mode_label(disease_id: str, modes: dict[str, tuple[str, ...]]) -> str:
    """The disease's inheritance modes as short labels ("AD/AR"), "unknown" when none."""
    return "/".join(MODE_LABELS.get(t, t) for t in modes.get(disease_id, ())) or "unknown"


# --------------------------------------------------------------------------- config
@dataclass(frozen=True)
class GenotypeConfig:
    eps: float = EPS
    causal_bin_fraction: tuple[float, ...] = tuple(CAUSAL_BIN_FRACTION)
    background_rate_per_kb: tuple[float, ...] = tuple(BACKGROUND_RATE_PER_KB)
    rare_background_rate_per_kb: tuple[float, ...] = tuple(RARE_BACKGROUND_RATE_PER_KB)
    hom_fraction: float = HOM_FRACTION
    rare_hom_fraction: float = RARE_HOM_FRACTION
    de_novo_rate_factor: float = DE_NOVO_RATE_FACTOR
    max_frequency: dict[str, float] = field(default_factory=dict)  # per-mode cut-offs (inheritance)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> GenotypeConfig:
        """The config from a workflow's ``genotype`` mapping (lists become tuples)."""
        d = dict(d or {})
        for k in ("causal_bin_fraction", "background_rate_per_kb", "rare_background_rate_per_kb"):
            if k in d:
                d[k] = tuple(float(x) for x in d[k])
                if len(d[k]) != len(BIN_EDGES):
                    from triage.errors import TriageError
                    raise TriageError(f"genotype.{k} needs {len(BIN_EDGES)} values (one per score bin)")
        return cls(**d)


def score_bin(score: AnyArray | float) -> IntArray:
    """The :data:`BIN_EDGES` bin of each pathogenicity score."""
    b: IntArray = np.clip(np.searchsorted(BIN_EDGES, np.asarray(score, dtype=float), side="right") - 1,
                          0, len(BIN_EDGES) - 1)
    return b


# --------------------------------------------------------------------------- LR kernels
def lr_one(bins: IntArray, lam_kb: FloatArray, factor: FloatArray | float, rates: FloatArray,
           cfg: GenotypeConfig) -> FloatArray:
    """LR of "best dominant-compatible allele in bin b" (vectorised over genes).

    ``lam_kb``: coding kb of each gene; ``factor``: share of background alleles that
    would qualify (het share, 0.5 for male X, x de novo factor)."""
    c = np.asarray(cfg.causal_bin_fraction)
    c_below = np.concatenate([[0.0], np.cumsum(c)[:-1]])
    b = np.asarray(bins, dtype=np.int64)
    mu = np.asarray(lam_kb, dtype=float) * rates[b] * factor
    core: FloatArray = c_below[b] + c[b] / -np.expm1(-np.maximum(mu, 1e-12))
    return cfg.eps + (1.0 - cfg.eps) * core


def _recessive_causal(c: FloatArray) -> FloatArray:
    ge = np.cumsum(c[::-1])[::-1]  # P(score bin >= b)
    gt: FloatArray = np.concatenate([ge[1:], [0.0]])
    min2 = ge ** 2 - gt ** 2
    return 0.5 * c + 0.5 * min2


def _p_two_or_more(lam_kb: FloatArray, rate_ge: FloatArray, het: FloatArray, hom: FloatArray) -> FloatArray:
    mu = lam_kb * rate_ge
    mu_het = mu * het
    mu_hom = mu * hom
    return 1.0 - np.exp(-(mu_het + mu_hom)) * (1.0 + mu_het)


def lr_two(bins: IntArray, lam_kb: FloatArray, het: FloatArray | float, hom: FloatArray | float,
           rates: FloatArray, cfg: GenotypeConfig, trans_proven: BoolArray | bool = False) -> FloatArray:
    """LR of "best biallelic configuration's weaker allele in bin b" (vectorised).

    ``het``/``hom``: shares of background alleles that are het / hom (male X: 0 / 0.5)."""
    c = np.asarray(cfg.causal_bin_fraction)
    d = _recessive_causal(c)
    d_below = np.concatenate([[0.0], np.cumsum(d)[:-1]])
    rate_ge = np.cumsum(rates[::-1])[::-1]
    rate_gt = np.concatenate([rate_ge[1:], [0.0]])
    b = np.asarray(bins, dtype=np.int64)
    lam = np.asarray(lam_kb, dtype=float)
    het = np.broadcast_to(np.asarray(het, dtype=float), lam.shape)
    hom = np.broadcast_to(np.asarray(hom, dtype=float), lam.shape)
    g_b = _p_two_or_more(lam, rate_ge[b], het, hom)
    g_next = _p_two_or_more(lam, rate_gt[b], het, hom)
    p0 = np.maximum(g_b - g_next, 1e-300)
    core = d_below[b] + d[b] * (1.0 - g_next) / p0
    core = core * np.where(np.asarray(trans_proven), 2.0, 1.0)
    e2 = cfg.eps ** 2
    return e2 + (1.0 - e2) * core


# --------------------------------------------------------------------------- gene lengths
def coding_kb(model: GeneModel, genes: list[str]) -> FloatArray:
    """Longest CDS (kb) per gene symbol (current symbols mapped back to the model's);
    NaN for a gene the model does not have. At least :data:`MIN_GENE_KB`."""
    from triage.variants.gene_aliases import REFGENE_TO_HGNC

    back = {v: k for k, v in REFGENE_TO_HGNC.items()}
    lengths = model.coding_lengths()
    out = np.full(len(genes), np.nan)
    for i, g in enumerate(genes):
        best = lengths.get(g) or lengths.get(back.get(g, g))
        if best:
            out[i] = max(best / 1000.0, MIN_GENE_KB)
    return out


def gene_prior_scale(values: AnyArray, transform: str) -> FloatArray:
    """Multiplier of the background rate from a gene-prior table (NaN -> 1)."""
    v = np.asarray(values, dtype=float)
    if transform == "intolerance":
        s = 1.0 - 0.8 * np.clip(v, 0, 1)
    elif transform == "tolerance_percentile":
        s = 0.2 + 0.8 * np.clip(v, 0, 1)
    else:
        s = np.ones_like(v)
    return np.where(np.isnan(v), 1.0, s)


# --------------------------------------------------------------------------- per-gene evidence
@dataclass
class GeneGenotype:
    """Per-gene genotype evidence (arrays over ``genes``)."""

    genes: list[str]
    lr_one: FloatArray  # (G,)
    lr_two: FloatArray  # (G,)
    best_one_row: IntArray  # row index into the annotated table, -1 none
    two_rows: IntArray  # (G, 2) rows of the best biallelic configuration (-1 none)
    two_kind: ObjectArray  # object: "hom", "hemizygous", "compound_het", "single_het", ""
    variant_modes: AnyArray  # (V,) uint16 inheritance bitmask per variant
    lam_kb: FloatArray
    index: dict[str, int] = field(default_factory=dict)

    def lr(self, w_one: float, w_two: float, g: int) -> float:
        """Genotype LR of gene ``g`` mixed over the two allele configurations."""
        return w_one * float(self.lr_one[g]) + w_two * float(self.lr_two[g])


def _group_best(keys: IntArray, vals: FloatArray, n: int) -> tuple[FloatArray, IntArray]:
    """Per group key in [0, n): max value and the row achieving it (first on ties)."""
    best = np.full(n, -np.inf)
    arg = np.full(n, -1, dtype=np.int64)
    if len(keys) == 0:
        return best, arg
    order = np.lexsort((np.arange(len(keys)), -vals, keys))
    k = keys[order]
    first = np.r_[True, k[1:] != k[:-1]]
    sel = order[first]
    best[keys[sel]] = vals[sel]
    arg[keys[sel]] = sel
    return best, arg


def _group_second(keys: IntArray, vals: FloatArray, n: int) -> tuple[FloatArray, IntArray, IntArray]:
    """Per group: the second-best value and the rows of the best two (-1 when < 2)."""
    second = np.full(n, -np.inf)
    r1 = np.full(n, -1, dtype=np.int64)
    r2 = np.full(n, -1, dtype=np.int64)
    if len(keys) == 0:
        return second, r1, r2
    order = np.lexsort((np.arange(len(keys)), -vals, keys))
    k = keys[order]
    first = np.r_[True, k[1:] != k[:-1]]
    pos = np.flatnonzero(first)
    nxt = pos + 1
    ok = (nxt < len(order))
    ok[ok] = k[nxt[ok]] == k[pos[ok]]
    g = k[pos[ok]]
    second[g] = vals[order[nxt[ok]]]
    r1[g] = order[pos[ok]]
    r2[g] = order[nxt[ok]]
    return second, r1, r2


def gene_genotype(av: AnnotatedVariants, family: Family, lam_kb_of: dict[str, float], cfg: GenotypeConfig | None = None,
                  has_population_af: bool = False, prior_scale: dict[str, float] | None = None,
                  row_mask: BoolArray | None = None) -> GeneGenotype:
    """Genotype LRs for every gene with rows in ``av`` (an AnnotatedVariants table).

    ``family``: members in any order (columns found by sample id); a singleton for a
    lone proband. ``lam_kb_of``: gene -> coding kb (missing -> DEFAULT_GENE_KB).
    ``row_mask``: rows to consider (default all).
    """
    cfg = cfg or GenotypeConfig()
    rates = np.asarray(cfg.rare_background_rate_per_kb if has_population_af else cfg.background_rate_per_kb)
    h = cfg.rare_hom_fraction if has_population_af else cfg.hom_fraction
    n_var = av.n_variants
    gt = family.genotypes(av.gt, av.samples) if n_var else np.zeros((0, len(family)), np.int8)
    pop = av.population_frequency()
    inh = compatible_modes(gt, av.chrom_norm.tolist() if n_var else [], family, pop_af=pop,
                           max_freq=cfg.max_frequency or None)
    vm = inh.mask
    rows = np.arange(len(av)) if row_mask is None else np.flatnonzero(row_mask)
    genes_u, ginv = np.unique(av.gene[rows].astype(str), return_inverse=True) if len(rows) else (np.array([], dtype=str), np.zeros(0, dtype=np.int64))
    genes = genes_u.tolist()
    G = len(genes)
    lam = np.array([lam_kb_of.get(g, np.nan) for g in genes], dtype=float)
    lam = np.where(np.isnan(lam), DEFAULT_GENE_KB, lam)
    if prior_scale:
        lam = lam * np.array([prior_scale.get(g, 1.0) for g in genes])
    v = av.vidx[rows]
    s = av.score[rows]
    proband = family.proband
    sex = family.sex[proband]
    male = sex == MALE
    cls = np.array([chromosome_class(c) for c in av.chrom_norm], dtype=object) if n_var else np.zeros(0, dtype=object)
    is_x_v = cls == "X"
    pg = gt[:, proband] if n_var else np.zeros(0, np.int8)

    # ---- one allele (dominant-like)
    one_bits = MODE_BITS[AD] | MODE_BITS[XD] | MODE_BITS[MT] | MODE_BITS[DE_NOVO]
    one_ok = (vm[v] & one_bits) != 0
    best1, arg1 = _group_best(ginv[one_ok], s[one_ok], G)
    arg1 = np.where(arg1 >= 0, rows[one_ok][np.maximum(arg1, 0)] if one_ok.any() else -1, -1)
    gene_x = np.zeros(G, dtype=bool)
    if len(rows):
        np.logical_or.at(gene_x, ginv, is_x_v[v])
    factor = np.where(gene_x & male, 0.5, 1.0 - h)
    dn = np.zeros(G, dtype=bool)
    has1 = arg1 >= 0
    if has1.any():
        dn[has1] = (vm[av.vidx[arg1[has1]]] & MODE_BITS[DE_NOVO]) != 0
    factor = factor * np.where(dn, cfg.de_novo_rate_factor, 1.0)
    lr1 = np.where(has1, lr_one(score_bin(np.where(has1, best1, 0.0)), lam, factor, rates, cfg), cfg.eps)

    # ---- two alleles (recessive-like)
    two_bits = MODE_BITS[AR] | MODE_BITS[XR]
    hom_ok = ((vm[v] & two_bits) != 0) & ((pg[v] == 2) | (male & is_x_v[v]))
    bh, ah = _group_best(ginv[hom_ok], s[hom_ok], G)
    ah = np.where(ah >= 0, rows[hom_ok][np.maximum(ah, 0)] if hom_ok.any() else -1, -1)
    # compound het candidates: proband het, not a male X, rare enough for AR
    ar_cut = (cfg.max_frequency or {}).get(AR, 0.02)
    rare_ar = ~(pop > ar_cut)
    het_ok = (pg[v] == 1) & ~(male & is_x_v[v]) & rare_ar[v] if n_var else np.zeros(0, bool)
    has_parents = family.father[proband] >= 0 and family.mother[proband] >= 0
    sec = np.full(G, -np.inf)
    p1 = np.full(G, -1, dtype=np.int64)
    p2 = np.full(G, -1, dtype=np.int64)
    trans = np.zeros(G, dtype=bool)
    if has_parents and het_ok.any():
        cand_rows = rows[het_ok]
        # variant-level pairs within each gene via triage.genotype.inheritance
        sub_v = av.vidx[cand_rows]
        pairs = compound_het_pairs(gt[sub_v], family, av.gene[cand_rows].tolist(),
                                   x_chromosome=is_x_v[sub_v])
        gidx = {g: i for i, g in enumerate(genes)}
        for q in pairs:
            ra, rb = cand_rows[q.first], cand_rows[q.second]
            val = min(av.score[ra], av.score[rb])
            gi = gidx[q.gene]
            better = val > sec[gi] or (val == sec[gi] and q.phased_by_parents and not trans[gi])
            if better:
                sec[gi], p1[gi], p2[gi], trans[gi] = val, ra, rb, q.phased_by_parents
    elif het_ok.any():
        sec, a1, a2 = _group_second(ginv[het_ok], s[het_ok], G)
        hr = rows[het_ok]
        p1 = np.where(a1 >= 0, hr[np.maximum(a1, 0)], -1)
        p2 = np.where(a2 >= 0, hr[np.maximum(a2, 0)], -1)
    best_single, a_single = _group_best(ginv[het_ok], s[het_ok], G) if het_ok.any() else (np.full(G, -np.inf), np.full(G, -1))
    single_rows = np.where(a_single >= 0, rows[het_ok][np.maximum(a_single, 0)] if het_ok.any() else -1, -1)

    het_share = np.where(gene_x & male, 0.0, 1.0 - h)
    hom_share = np.where(gene_x & male, 0.5, h)
    lr_h = np.where(ah >= 0, lr_two(score_bin(np.where(ah >= 0, bh, 0)), lam, het_share, hom_share, rates, cfg), 0.0)
    lr_p = np.where(p2 >= 0, lr_two(score_bin(np.where(p2 >= 0, sec, 0)), lam, het_share, hom_share, rates, cfg, trans), 0.0)
    core1 = (lr_one(score_bin(np.where(single_rows >= 0, best_single, 0)), lam, 1.0 - h, rates, cfg) - cfg.eps) / (1 - cfg.eps)
    lr_s = np.where(single_rows >= 0, 2 * cfg.eps * core1, 0.0)
    cands = np.vstack([np.full(G, cfg.eps ** 2), lr_s, lr_p, lr_h])
    pick = np.argmax(cands, axis=0)
    lr2 = cands[pick, np.arange(G)]
    kinds = np.array(["", "single_het", "compound_het", "hemizygous"], dtype=object)[pick]
    kinds = np.where((pick == 3) & ~(gene_x & male), "hom", kinds)
    two_rows = np.full((G, 2), -1, dtype=np.int64)
    two_rows[pick == 3, 0] = ah[pick == 3]
    two_rows[pick == 2, 0] = p1[pick == 2]
    two_rows[pick == 2, 1] = p2[pick == 2]
    two_rows[pick == 1, 0] = single_rows[pick == 1]
    return GeneGenotype(genes=genes, lr_one=lr1, lr_two=lr2, best_one_row=arg1, two_rows=two_rows,
                        two_kind=kinds, variant_modes=vm, lam_kb=lam,
                        index={g: i for i, g in enumerate(genes)})


def family_for(samples: tuple[str, ...], proband: str, pedigree: Pedigree | None = None,  # noqa: ARG001 (uniform call)
               sex: str | None = None) -> Family:
    """The Family to analyse: from a PED when given, else a singleton of ``sex``."""
    if pedigree is not None:
        return Family.from_pedigree(pedigree, proband)
    code = {"MALE": MALE, "FEMALE": FEMALE, "male": MALE, "female": FEMALE, "1": MALE, "2": FEMALE}.get(str(sex), 0)
    return Family.singleton(proband, code)

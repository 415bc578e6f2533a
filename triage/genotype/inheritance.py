"""Mode-of-inheritance compatibility: pure functions over genotype arrays.

Genotype codes (as produced by :mod:`triage.variants.vcf_reader`): 0 hom-ref, 1 het, 2 hom-alt
(or hemizygous), -1 missing ("no call"). A genotype matrix has one row per variant
and one column per :class:`Family` member (ungenotyped members are all -1).

The rules follow Exomiser/Jannovar (``de.charite.compbio.jannovar.mendel``):

* members with unknown affection status are ignored, no-calls never exclude a
  variant (they are permissive) but at least one affected member must carry it;
* the proband is always treated as affected;
* ``AD``: every affected is het (not hom-ref, not hom-alt), no unaffected carries it;
* ``AR`` (homozygous): every affected hom-alt, unaffected parents of an affected are
  carriers (het), no unaffected is hom-alt;
* ``AR`` compound het: two different het variants in one gene (the proband het for
  both, other affected members het or no-call), one inherited from
  each parent when the parents are genotyped (a variant is paternal when the father
  carries it and the mother is hom-ref, and vice versa; no-calls are permissive);
  without parents any two het variants are a *possible* compound het. Unaffected
  members may not be hom-alt for either, and may not carry the same pair in trans
  (unaffected full siblings carrying both het are excluded, as in Jannovar);
* ``XR``: on X, affected females hom-alt, affected males (and unknown sex) het or
  hom-alt (a male het call is taken as a hemizygous mis-call); the father of an
  affected female must be affected and not hom-ref, her mother a carrier; no
  unaffected male carries it, no unaffected female is hom-alt. Females may also be
  compound het on X (reported as XR + compound_het);
* ``XD``: on X, affected females het, affected males het/hom-alt, no unaffected carries it;
* ``MT``: on the mitochondrion, every affected carries it (het = heteroplasmy); unaffected
  members are not checked (low heteroplasmy);
* ``de_novo``: proband het (males on X: het or hemizygous), both parents genotyped and
  called hom-ref (on X for a male only the mother is required hom-ref), no unaffected
  member carries it. Autosomes and X only.

A per-mode maximum population allele frequency (fractions: 0.001 = 0.1 %) is applied
to ``pop_af`` (NaN = unknown = passes). The result is a bitmask per variant
(:data:`MODE_BITS` + :data:`COMPOUND_HET_BIT`) and the modes per gene.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from triage.errors import InputFileError, TriageError
from triage.genotype.pedigree import AFFECTED, FEMALE, MALE, UNAFFECTED, UNKNOWN, Pedigree

__all__ = [
    "AD",
    "AR",
    "COMPOUND_HET",
    "COMPOUND_HET_BIT",
    "DEFAULT_MAX_FREQUENCY",
    "DE_NOVO",
    "MODES",
    "MODE_BITS",
    "MT",
    "XD",
    "XR",
    "CompoundHetPair",
    "Family",
    "InheritanceResult",
    "autosomal_dominant",
    "autosomal_recessive_hom",
    "chromosome_class",
    "compatible_modes",
    "compound_het_pairs",
    "de_novo",
    "mitochondrial",
    "modes_from_mask",
    "x_dominant",
    "x_recessive",
]

AD = "AD"
AR = "AR"
XR = "XR"
XD = "XD"
MT = "MT"
DE_NOVO = "de_novo"
COMPOUND_HET = "compound_het"
MODES: tuple[str, ...] = (AD, AR, XR, XD, MT, DE_NOVO)
MODE_BITS: dict[str, int] = {m: 1 << i for i, m in enumerate(MODES)}
COMPOUND_HET_BIT = 1 << len(MODES)

#: Exomiser's defaults (AD/XD 0.1 %, AR/XR 2 %, MT 0.2 %), as fractions; de novo as AD.
DEFAULT_MAX_FREQUENCY: dict[str, float] = {
    AD: 0.001, AR: 0.02, XR: 0.02, XD: 0.001, MT: 0.002, DE_NOVO: 0.001,
}

# chromosome classes
AUTOSOMAL, X_CHROM, Y_CHROM, MITO = "A", "X", "Y", "MT"


def chromosome_class(chrom: str) -> str:
    """"A" (autosome or unplaced), "X", "Y" or "MT" for a contig name with or without "chr"."""
    c = chrom[3:] if chrom[:3].lower() == "chr" else chrom
    c = c.upper()
    if c == "X":
        return X_CHROM
    if c == "Y":
        return Y_CHROM
    if c in ("M", "MT"):
        return MITO
    return AUTOSOMAL


def modes_from_mask(mask: int) -> list[str]:
    """Mode names set in a bitmask, in :data:`MODES` order (the compound-het flag excluded)."""
    mask = int(mask)
    return [m for m in MODES if mask & MODE_BITS[m]]


# --------------------------------------------------------------------------- family
@dataclass(frozen=True)
class Family:
    """The members whose genotypes are examined, with sex, status and parent links.

    ``father``/``mother`` are indices into the members (-1: unknown or not listed).
    ``sex`` uses the PED codes (0 unknown, 1 male, 2 female); ``affected`` too
    (0 unknown, 1 unaffected, 2 affected). The proband is always treated as affected.
    """

    ids: tuple[str, ...]
    sex: tuple[int, ...]
    affected: tuple[int, ...]
    father: tuple[int, ...]
    mother: tuple[int, ...]
    proband: int = 0

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("sex", "affected", "father", "mother"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Family.{name} has {len(getattr(self, name))} entries, expected {n}")
        if not 0 <= self.proband < n:
            raise ValueError("Family.proband out of range")
        if len(set(self.ids)) != n:
            raise ValueError("Family.ids must be unique")
        for lst in (self.father, self.mother):
            for i, p in enumerate(lst):
                if p != -1 and not (0 <= p < n and p != i):
                    raise ValueError(f"invalid parent index {p} for member {self.ids[i]!r}")
        aff = list(self.affected)
        aff[self.proband] = AFFECTED
        object.__setattr__(self, "affected", tuple(aff))

    def __len__(self) -> int:
        return len(self.ids)

    # -- constructors
    @classmethod
    def singleton(cls, sample_id: str = "proband", sex: int = UNKNOWN) -> Family:
        return cls((sample_id,), (sex,), (AFFECTED,), (-1,), (-1,), 0)

    @classmethod
    def trio(
        cls,
        child: str = "child",
        father: str = "father",
        mother: str = "mother",
        *,
        child_sex: int = UNKNOWN,
        father_affected: int = UNAFFECTED,
        mother_affected: int = UNAFFECTED,
    ) -> Family:
        """Proband first (column 0), then father (1), mother (2)."""
        return cls(
            (child, father, mother),
            (child_sex, MALE, FEMALE),
            (AFFECTED, father_affected, mother_affected),
            (1, -1, -1),
            (2, -1, -1),
            0,
        )

    @classmethod
    def from_pedigree(cls, pedigree: Pedigree, proband: str) -> Family:
        """Members of the proband's PED family, in file order.

        Raises InputFileError when the proband is missing from the PED or is marked
        unaffected (an inheritance analysis of an unaffected proband makes no sense).
        """
        p = pedigree.individual(proband)
        if p.affected == UNAFFECTED:
            raise InputFileError(
                pedigree.path, f"proband {proband!r} is marked unaffected (column 6 = 1)", p.line
            )
        members = pedigree.family_of(proband)
        idx = {m.individual: i for i, m in enumerate(members)}
        return cls(
            tuple(m.individual for m in members),
            tuple(m.sex for m in members),
            tuple(m.affected for m in members),
            tuple(idx.get(m.father, -1) if m.father else -1 for m in members),
            tuple(idx.get(m.mother, -1) if m.mother else -1 for m in members),
            idx[proband],
        )

    # -- genotypes
    def columns(self, samples: Sequence[str]) -> np.ndarray:
        """Index of each member in ``samples`` (-1 for members without genotypes)."""
        pos = {s: i for i, s in enumerate(samples)}
        if self.ids[self.proband] not in pos:
            raise TriageError(
                f"proband {self.ids[self.proband]!r} has no genotypes (samples: {', '.join(samples)})"
            )
        return np.array([pos.get(m, -1) for m in self.ids], dtype=np.intp)

    def genotypes(self, gt: np.ndarray, samples: Sequence[str]) -> np.ndarray:
        """Reorder a (variants, samples) matrix to (variants, members); absent members -1."""
        gt = np.asarray(gt)
        cols = self.columns(samples)
        out = np.full((gt.shape[0], len(self.ids)), -1, dtype=np.int8)
        have = cols >= 0
        out[:, have] = gt[:, cols[have]]
        return out

    # -- helpers
    def _idx(self, pred: object) -> list[int]:
        return [i for i in range(len(self.ids)) if pred(i)]  # type: ignore[operator]

    @property
    def affected_idx(self) -> list[int]:
        return self._idx(lambda i: self.affected[i] == AFFECTED)

    @property
    def unaffected_idx(self) -> list[int]:
        return self._idx(lambda i: self.affected[i] == UNAFFECTED)


def _as_matrix(gt: np.ndarray, family: Family) -> np.ndarray:
    g = np.asarray(gt)
    if g.ndim == 1:
        g = g[:, None]
    if g.ndim != 2 or g.shape[1] != len(family):
        raise ValueError(
            f"genotype matrix must be (variants, {len(family)} members), got shape {np.shape(gt)}"
        )
    return g.astype(np.int8, copy=False)


# --------------------------------------------------------------------------- single-variant modes
def autosomal_dominant(gt: np.ndarray, family: Family) -> np.ndarray:
    """Per-variant AD compatibility (chromosome not checked)."""
    g = _as_matrix(gt, family)
    ok = np.ones(g.shape[0], dtype=bool)
    n_het = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        ok &= (g[:, i] != 0) & (g[:, i] != 2)
        n_het += g[:, i] == 1
    for i in family.unaffected_idx:
        ok &= (g[:, i] != 1) & (g[:, i] != 2)
    return ok & (n_het > 0)


def _unaffected_parents_of_affected(family: Family) -> list[int]:
    out: set[int] = set()
    for i in family.affected_idx:
        for p in (family.father[i], family.mother[i]):
            if p >= 0 and family.affected[p] == UNAFFECTED:
                out.add(p)
    return sorted(out)


def autosomal_recessive_hom(gt: np.ndarray, family: Family) -> np.ndarray:
    """Per-variant AR (homozygous) compatibility."""
    g = _as_matrix(gt, family)
    ok = np.ones(g.shape[0], dtype=bool)
    n_hom = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        ok &= (g[:, i] != 0) & (g[:, i] != 1)
        n_hom += g[:, i] == 2
    for p in _unaffected_parents_of_affected(family):
        ok &= (g[:, p] != 0) & (g[:, p] != 2)
    for i in family.unaffected_idx:
        ok &= g[:, i] != 2
    return ok & (n_hom > 0)


def x_recessive(gt: np.ndarray, family: Family) -> np.ndarray:
    """Per-variant XR (hom/hemizygous) compatibility (X chromosome assumed)."""
    g = _as_matrix(gt, family)
    ok = np.ones(g.shape[0], dtype=bool)
    n_var = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        col = g[:, i]
        ok &= col != 0
        if family.sex[i] == FEMALE:
            ok &= col != 1
            n_var += col == 2
        else:  # male or unknown: a het call is a hemizygous mis-call
            n_var += (col == 1) | (col == 2)
        if family.sex[i] == FEMALE:
            f, m = family.father[i], family.mother[i]
            if f >= 0:
                if family.affected[f] == UNAFFECTED:
                    ok[:] = False  # a carrier father of an affected daughter is hemizygous: affected
                ok &= g[:, f] != 0
            if m >= 0:
                ok &= g[:, m] != 0
    for i in family.unaffected_idx:
        col = g[:, i]
        if family.sex[i] == MALE:
            ok &= (col != 1) & (col != 2)
        else:
            ok &= col != 2
    return ok & (n_var > 0)


def x_dominant(gt: np.ndarray, family: Family) -> np.ndarray:
    """Per-variant XD compatibility (X chromosome assumed)."""
    g = _as_matrix(gt, family)
    ok = np.ones(g.shape[0], dtype=bool)
    n_var = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        col = g[:, i]
        ok &= col != 0
        if family.sex[i] == FEMALE:
            ok &= col != 2
            n_var += col == 1
        else:
            n_var += (col == 1) | (col == 2)
    for i in family.unaffected_idx:
        ok &= (g[:, i] != 1) & (g[:, i] != 2)
    return ok & (n_var > 0)


def mitochondrial(gt: np.ndarray, family: Family) -> np.ndarray:
    """Per-variant MT compatibility: every affected carries it (MT chromosome assumed)."""
    g = _as_matrix(gt, family)
    ok = np.ones(g.shape[0], dtype=bool)
    n_var = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        ok &= g[:, i] != 0
        n_var += g[:, i] > 0
    return ok & (n_var > 0)


def de_novo(gt: np.ndarray, family: Family, chrom_class: np.ndarray | str = AUTOSOMAL) -> np.ndarray:
    """Per-variant de novo candidates; all False unless both parents of the proband
    are members. ``chrom_class``: one class for all variants or an array of classes."""
    g = _as_matrix(gt, family)
    n = g.shape[0]
    p = family.proband
    f, m = family.father[p], family.mother[p]
    if f < 0 or m < 0:
        return np.zeros(n, dtype=bool)
    cls = np.broadcast_to(np.asarray(chrom_class, dtype=object), (n,))
    is_x = cls == X_CHROM
    is_auto = cls == AUTOSOMAL
    child = g[:, p]
    male = family.sex[p] == MALE
    if male:
        ok_x = ((child == 1) | (child == 2)) & (g[:, m] == 0)
    else:
        ok_x = (child == 1) & (g[:, f] == 0) & (g[:, m] == 0)
    ok_a = (child == 1) & (g[:, f] == 0) & (g[:, m] == 0)
    ok = (is_auto & ok_a) | (is_x & ok_x)
    for i in family.unaffected_idx:
        if i not in (f, m):
            ok &= (g[:, i] != 1) & (g[:, i] != 2)
    return ok


# --------------------------------------------------------------------------- compound het
@dataclass(frozen=True)
class CompoundHetPair:
    gene: str
    first: int  # variant index (first < second)
    second: int
    mode: str  # AR or XR
    phased_by_parents: bool  # both variants' parental origin confirmed by called parents


def _origins(g: np.ndarray, family: Family, i: int, x: bool) -> tuple[np.ndarray, np.ndarray]:
    """(can be paternal, can be maternal) of each variant for member ``i``; no-calls permissive."""
    f, m = family.father[i], family.mother[i]
    n = g.shape[0]
    carry_f = np.ones(n, dtype=bool) if f < 0 else (
        (g[:, f] == 1) | (g[:, f] == -1) | ((g[:, f] == 2) if x else False)
    )
    ref_f = np.ones(n, dtype=bool) if f < 0 else (g[:, f] == 0) | (g[:, f] == -1)
    carry_m = np.ones(n, dtype=bool) if m < 0 else (g[:, m] == 1) | (g[:, m] == -1)
    ref_m = np.ones(n, dtype=bool) if m < 0 else (g[:, m] == 0) | (g[:, m] == -1)
    return carry_f & ref_m, carry_m & ref_f


def _strict_origins(g: np.ndarray, family: Family, i: int, x: bool) -> tuple[np.ndarray, np.ndarray]:
    """Origins proven by called parents (both parents genotyped, no no-calls)."""
    f, m = family.father[i], family.mother[i]
    n = g.shape[0]
    if f < 0 or m < 0:
        z = np.zeros(n, dtype=bool)
        return z, z
    carry_f = (g[:, f] == 1) | ((g[:, f] == 2) if x else False)
    return carry_f & (g[:, m] == 0), (g[:, m] == 1) & (g[:, f] == 0)


def _comphet_candidates(g: np.ndarray, family: Family, x: bool) -> np.ndarray:
    ok = np.ones(g.shape[0], dtype=bool)
    n_het = np.zeros(g.shape[0], dtype=np.int32)
    for i in family.affected_idx:
        if x and family.sex[i] != FEMALE:
            return np.zeros(g.shape[0], dtype=bool)  # males are hemizygous on X
        ok &= (g[:, i] == 1) | (g[:, i] == -1)
        n_het += g[:, i] == 1
    for i in family.unaffected_idx:
        if x and family.sex[i] == MALE:
            ok &= (g[:, i] != 1) & (g[:, i] != 2)
        else:
            ok &= g[:, i] != 2
    return ok & (n_het > 0) & (g[:, family.proband] == 1)


def compound_het_pairs(
    gt: np.ndarray,
    family: Family,
    genes: Sequence[str | Sequence[str] | None],
    candidate: np.ndarray | None = None,
    *,
    x_chromosome: bool | np.ndarray = False,
) -> list[CompoundHetPair]:
    """All compatible compound-het pairs of variants within each gene.

    ``candidate`` optionally restricts the variants considered (e.g. frequency and
    consequence filters); ``x_chromosome`` (bool or per-variant array) selects the X
    rules (affected all female; pairs are XR). Autosomal and X variants never pair.
    """
    g = _as_matrix(gt, family)
    n = g.shape[0]
    if len(genes) != n:
        raise ValueError(f"genes has {len(genes)} entries for {n} variants")
    xarr = np.broadcast_to(np.asarray(x_chromosome, dtype=bool), (n,))
    cand = np.ones(n, dtype=bool) if candidate is None else np.asarray(candidate, dtype=bool)
    cand_a = cand & ~xarr & _comphet_candidates(g, family, x=False)
    cand_x = cand & xarr & _comphet_candidates(g, family, x=True)

    by_gene: dict[str, list[int]] = {}
    for v in np.flatnonzero(cand_a | cand_x).tolist():
        gs = genes[v]
        if gs is None:
            continue
        for gene in (gs,) if isinstance(gs, str) else gs:
            if gene:
                by_gene.setdefault(gene, []).append(v)

    aff = family.affected_idx
    unaff = family.unaffected_idx
    p = family.proband
    siblings_of_affected = {
        u for u in unaff for a in aff
        if family.father[u] >= 0 and family.mother[u] >= 0
        and family.father[u] == family.father[a] and family.mother[u] == family.mother[a]
    }
    pairs: list[CompoundHetPair] = []
    for gene in sorted(by_gene):
        for x in (False, True):
            idx = np.array([v for v in by_gene[gene] if xarr[v] == x], dtype=np.intp)
            if idx.size < 2:
                continue
            sub = g[idx]
            ok = np.ones((idx.size, idx.size), dtype=bool)
            np.fill_diagonal(ok, False)
            for a in aff:
                pat, mat = _origins(sub, family, a, x)
                ok &= np.outer(pat, mat) | np.outer(mat, pat)
                het_or_nc = (sub[:, a] == 1) | (sub[:, a] == -1)
                ok &= np.outer(het_or_nc, het_or_nc)
            for u in unaff:
                het = sub[:, u] == 1
                both = np.outer(het, het)
                if u in siblings_of_affected:
                    ok &= ~both
                else:
                    spat, smat = _strict_origins(sub, family, u, x)
                    ok &= ~(both & (np.outer(spat, smat) | np.outer(smat, spat)))
            spat, smat = _strict_origins(sub, family, p, x)
            phased = np.outer(spat, smat) | np.outer(smat, spat)
            ii, jj = np.nonzero(np.triu(ok, 1))
            for a_, b_ in zip(ii.tolist(), jj.tolist(), strict=True):
                pairs.append(CompoundHetPair(
                    gene, int(idx[a_]), int(idx[b_]), XR if x else AR, bool(phased[a_, b_])
                ))
    return pairs


# --------------------------------------------------------------------------- all modes
@dataclass
class InheritanceResult:
    mask: np.ndarray  # uint16 per variant: MODE_BITS | COMPOUND_HET_BIT
    pairs: list[CompoundHetPair] = field(default_factory=list)
    gene_modes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    compound_het_genes: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return int(self.mask.shape[0])

    def modes(self, i: int) -> list[str]:
        """Compatible modes of variant ``i`` (AR/XR include compound-het membership)."""
        return modes_from_mask(int(self.mask[i]))

    def is_compound_het(self, i: int) -> bool:
        return bool(self.mask[i] & COMPOUND_HET_BIT)

    @property
    def compound_het(self) -> np.ndarray:
        return (self.mask & COMPOUND_HET_BIT) != 0

    def has(self, mode: str) -> np.ndarray:
        """Boolean array: variants compatible with ``mode`` (or with the compound-het flag)."""
        bit = COMPOUND_HET_BIT if mode == COMPOUND_HET else MODE_BITS[mode]
        return (self.mask & bit) != 0

    def partners(self, i: int) -> list[int]:
        return [q.second if q.first == i else q.first for q in self.pairs if i in (q.first, q.second)]


def _max_frequency(max_freq: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_MAX_FREQUENCY)
    for k, v in (max_freq or {}).items():
        if k not in MODE_BITS:
            raise TriageError(f"unknown inheritance mode {k!r} in frequency cut-offs; use {', '.join(MODES)}")
        v = float(v)
        if not 0.0 <= v <= 1.0:
            raise TriageError(
                f"frequency cut-off for {k} must be a fraction in [0, 1] (0.001 = 0.1 %), got {v}"
            )
        out[k] = v
    return out


def compatible_modes(
    gt: np.ndarray,
    chrom: Sequence[str] | np.ndarray,
    family: Family,
    *,
    genes: Sequence[str | Sequence[str] | None] | None = None,
    pop_af: np.ndarray | None = None,
    max_freq: Mapping[str, float] | None = None,
) -> InheritanceResult:
    """Per-variant and per-gene compatible modes of inheritance.

    ``gt``: (variants, members) in ``family`` order (see :meth:`Family.genotypes`); a
    1-D array is a singleton. ``chrom``: contig per variant (with or without "chr").
    ``genes``: gene symbol(s) per variant (needed for compound hets and gene modes).
    ``pop_af``: population allele frequency per variant (NaN = unknown = passes).
    ``max_freq``: per-mode maximum frequency overriding :data:`DEFAULT_MAX_FREQUENCY`.
    """
    g = _as_matrix(gt, family)
    n = g.shape[0]
    chrom = list(chrom)
    if len(chrom) != n:
        raise ValueError(f"chrom has {len(chrom)} entries for {n} variants")
    classes = {c: chromosome_class(c) for c in set(chrom)}
    cls = np.array([classes[c] for c in chrom], dtype=object)
    is_a, is_x, is_mt = cls == AUTOSOMAL, cls == X_CHROM, cls == MITO

    if pop_af is None:
        af = np.full(n, np.nan)
    else:
        af = np.asarray(pop_af, dtype=np.float64)
        if af.shape != (n,):
            raise ValueError(f"pop_af has shape {af.shape}, expected ({n},)")
    cut = _max_frequency(max_freq)

    def rare(mode: str) -> np.ndarray:
        return ~(af > cut[mode])  # NaN passes

    mask = np.zeros(n, dtype=np.uint16)
    parts = {
        AD: is_a & autosomal_dominant(g, family),
        AR: is_a & autosomal_recessive_hom(g, family),
        XR: is_x & x_recessive(g, family),
        XD: is_x & x_dominant(g, family),
        MT: is_mt & mitochondrial(g, family),
        DE_NOVO: de_novo(g, family, cls),
    }
    for mode, ok in parts.items():
        mask |= np.where(ok & rare(mode), MODE_BITS[mode], 0).astype(np.uint16)

    single = mask.copy()  # before compound-het bits
    pairs: list[CompoundHetPair] = []
    gene_modes: dict[str, tuple[str, ...]] = {}
    if genes is not None:
        if len(genes) != n:
            raise ValueError(f"genes has {len(genes)} entries for {n} variants")
        cand = (is_a & rare(AR)) | (is_x & rare(XR))
        pairs = compound_het_pairs(g, family, genes, cand, x_chromosome=is_x)
        pair_bits: dict[tuple[str, int], int] = {}
        for q in pairs:
            bits = MODE_BITS[q.mode] | COMPOUND_HET_BIT
            mask[q.first] |= bits
            mask[q.second] |= bits
            pair_bits[(q.gene, q.first)] = bits
            pair_bits[(q.gene, q.second)] = bits
        # a compound-het AR/XR bit counts for the gene of its pair only
        acc: dict[str, int] = {}
        for v in np.flatnonzero(mask).tolist():
            gs = genes[v]
            if gs is None:
                continue
            for gene in (gs,) if isinstance(gs, str) else gs:
                if gene:
                    acc[gene] = acc.get(gene, 0) | int(single[v]) | pair_bits.get((gene, v), 0)
        gene_modes = {k: tuple(modes_from_mask(b)) for k, b in acc.items() if modes_from_mask(b)}
    return InheritanceResult(mask, pairs, gene_modes, frozenset(q.gene for q in pairs))

"""Mode-of-inheritance truth tables, compound hets, frequency cut-offs, real trio."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from triage.errors import InputFileError, TriageError
from triage.genotype.inheritance import (
    AD,
    AR,
    COMPOUND_HET,
    COMPOUND_HET_BIT,
    DE_NOVO,
    MODE_BITS,
    MT,
    XD,
    XR,
    Family,
    chromosome_class,
    compatible_modes,
    compound_het_pairs,
    de_novo,
    modes_from_mask,
)
from triage.genotype.pedigree import AFFECTED, FEMALE, MALE, UNAFFECTED, UNKNOWN, parse_ped

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "backgrounds"

# genotype codes
R, H, A, N = 0, 1, 2, -1  # hom-ref, het, hom-alt (or hemizygous), no call

SINGLE = Family.singleton("p")
TRIO = Family.trio()  # columns: child (sex unknown), father, mother; parents unaffected


def modes(rows: list[list[int]], fam: Family, chrom: str = "1", **kw: object) -> list[list[str]]:
    gt = np.array(rows, dtype=np.int8)
    res = compatible_modes(gt, [chrom] * len(rows), fam, **kw)  # type: ignore[arg-type]
    return [res.modes(i) for i in range(len(rows))]


# --------------------------------------------------------------------------- autosomal
@pytest.mark.parametrize(
    ("gt", "expected"),
    [([H], [AD]), ([A], [AR]), ([R], []), ([N], [])],
)
def test_singleton_autosomal(gt: list[int], expected: list[str]) -> None:
    assert modes([gt], SINGLE) == [expected]


@pytest.mark.parametrize(
    ("child", "father", "mother", "expected"),
    [
        (H, R, R, [AD, DE_NOVO]),  # de novo dominant
        (H, H, R, []),  # unaffected father carries it: not AD
        (H, N, R, [AD]),  # no call in a parent is permissive for AD, but no de novo
        (A, H, H, [AR]),  # both parents carriers
        (A, H, R, []),  # unaffected parents of an affected must be het for AR
        (A, A, H, []),  # unaffected hom-alt father
        (A, N, H, [AR]),
        (H, H, H, []),
        (R, H, R, []),
    ],
)
def test_trio_unaffected_parents_autosomal(child: int, father: int, mother: int,
                                           expected: list[str]) -> None:
    assert modes([[child, father, mother]], TRIO) == [expected]


def test_affected_father_dominant_transmission() -> None:
    fam = Family.trio(father_affected=AFFECTED)
    assert modes([[H, H, R]], fam) == [[AD]]
    # an affected father without the variant: not AD, yet genotypically de novo
    assert modes([[H, R, R]], fam) == [[DE_NOVO]]
    assert modes([[H, A, R]], fam) == [[]]  # affected must be het for AD (Exomiser)


def test_unknown_status_members_are_ignored() -> None:
    fam = Family.trio(father_affected=UNKNOWN, mother_affected=UNKNOWN)
    assert modes([[H, H, R]], fam) == [[AD]]
    assert modes([[A, R, A]], fam) == [[AR]]


# --------------------------------------------------------------------------- de novo
def test_de_novo_requires_called_hom_ref_parents() -> None:
    fam = TRIO
    gt = np.array([[H, R, R], [H, N, R], [A, R, R], [H, R, H], [N, R, R]], dtype=np.int8)
    assert de_novo(gt, fam).tolist() == [True, False, False, False, False]
    assert de_novo(np.array([[H]]), SINGLE).tolist() == [False]  # no parents: never de novo
    # parents in the pedigree but not sequenced -> all no-calls -> not de novo
    fam4 = Family(("kid", "dad", "mum", "sib"), (MALE, MALE, FEMALE, FEMALE),
                  (AFFECTED, UNAFFECTED, UNAFFECTED, UNAFFECTED), (1, -1, -1, 1), (2, -1, -1, 2))
    g4 = fam4.genotypes(np.array([[H, R]]), ["kid", "sib"])
    assert g4.tolist() == [[H, N, N, R]]
    assert modes(g4.tolist(), fam4) == [[AD]]
    # an unaffected sibling with the same "de novo" variant: rejected
    assert de_novo(np.array([[H, R, R, H]]), fam4).tolist() == [False]


def test_de_novo_on_x_in_a_male() -> None:
    boy = Family.trio(child_sex=MALE)
    gt = np.array([[A, R, R], [A, N, R], [A, R, H]], dtype=np.int8)
    assert de_novo(gt, boy, "X").tolist() == [True, True, False]  # father irrelevant on X
    assert de_novo(gt, boy, "MT").tolist() == [False, False, False]
    res = compatible_modes(gt, ["X"] * 3, boy)
    assert res.modes(0) == [XR, XD, DE_NOVO]


# --------------------------------------------------------------------------- compound het
def _ch(rows: list[list[int]], fam: Family, genes: list[str | None], chrom: str = "1"):
    gt = np.array(rows, dtype=np.int8)
    return compatible_modes(gt, [chrom] * len(rows), fam, genes=genes)


def test_compound_het_phased_by_parents() -> None:
    res = _ch([[H, H, R], [H, R, H]], TRIO, ["G1", "G1"])
    assert res.modes(0) == [AR] and res.modes(1) == [AR]
    assert res.compound_het.tolist() == [True, True]
    assert len(res.pairs) == 1
    pair = res.pairs[0]
    assert (pair.gene, pair.first, pair.second, pair.mode, pair.phased_by_parents) == (
        "G1", 0, 1, AR, True)
    assert res.gene_modes == {"G1": (AR,)}
    assert res.compound_het_genes == frozenset({"G1"})
    assert res.partners(0) == [1]


def test_compound_het_same_parent_rejected() -> None:
    res = _ch([[H, H, R], [H, H, R]], TRIO, ["G1", "G1"])  # both from the father: cis
    assert res.pairs == [] and res.compound_het.tolist() == [False, False]
    assert res.modes(0) == [] and res.gene_modes == {}


@pytest.mark.parametrize(
    ("rows", "n_pairs", "phased"),
    [
        ([[H, H, R], [H, R, H], [H, R, H]], 2, True),  # one paternal + two maternal -> 2 pairs
        ([[H, H, R], [H, R, R]], 0, None),  # de novo + inherited: not paired (Exomiser)
        ([[H, H, H], [H, R, H]], 0, None),  # both parents het: origin unknown, rejected
        ([[H, H, R], [H, N, N]], 1, False),  # parents not called at one variant: possible
        ([[H, H, R], [A, H, H]], 0, None),  # the hom-alt one is AR hom, not part of a pair
    ],
)
def test_compound_het_trio_table(rows: list[list[int]], n_pairs: int, phased: bool | None) -> None:
    res = _ch(rows, TRIO, ["G"] * len(rows))
    assert len(res.pairs) == n_pairs
    if phased is not None:
        assert {p.phased_by_parents for p in res.pairs} == {phased}


def test_compound_het_without_parents_is_possible() -> None:
    res = _ch([[H], [H], [H], [A]], SINGLE, ["G1", "G1", "G2", "G1"])
    assert [(p.first, p.second, p.phased_by_parents) for p in res.pairs] == [(0, 1, False)]
    assert res.modes(0) == [AD, AR] and res.is_compound_het(0)
    assert res.modes(2) == [AD] and not res.is_compound_het(2)  # alone in its gene
    assert res.gene_modes == {"G1": (AD, AR), "G2": (AD,)}


def test_compound_het_needs_genes() -> None:
    res = compatible_modes(np.array([[H], [H]]), ["1", "1"], SINGLE)
    assert res.pairs == [] and res.gene_modes == {}
    assert compound_het_pairs(np.array([[H], [H]]), SINGLE, [None, None]) == []


def test_compound_het_unaffected_sibling_with_both_rejected() -> None:
    fam = Family(("kid", "dad", "mum", "sib"), (MALE, MALE, FEMALE, FEMALE),
                 (AFFECTED, UNAFFECTED, UNAFFECTED, UNAFFECTED), (1, -1, -1, 1), (2, -1, -1, 2))
    ok = _ch([[H, H, R, H], [H, R, H, R]], fam, ["G", "G"])
    assert len(ok.pairs) == 1  # sibling carries only the paternal one
    bad = _ch([[H, H, R, H], [H, R, H, H]], fam, ["G", "G"])
    assert bad.pairs == []  # the unaffected sibling has the same compound het


def test_multi_gene_variant_counts_its_pair_only_in_that_gene() -> None:
    res = _ch([[H], [H]], SINGLE, [("G1", "G2"), "G1"])  # type: ignore[list-item]
    assert [(p.gene, p.first, p.second) for p in res.pairs] == [("G1", 0, 1)]
    assert res.gene_modes == {"G1": (AD, AR), "G2": (AD,)}


# --------------------------------------------------------------------------- X-linked
BOY = Family.trio(child_sex=MALE)
GIRL = Family.trio(child_sex=FEMALE)


@pytest.mark.parametrize(
    ("fam", "row", "expected"),
    [
        (Family.singleton("p", MALE), [A], [XR, XD]),
        (Family.singleton("p", MALE), [H], [XR, XD]),  # male het on X: hemizygous mis-call
        (Family.singleton("p", FEMALE), [H], [XD]),
        (Family.singleton("p", FEMALE), [A], [XR]),
        (Family.singleton("p", FEMALE), [R], []),
        (BOY, [A, R, H], [XR]),  # carrier mother, inherited: not XD (unaffected mother carries)
        (BOY, [A, H, H], []),  # unaffected father hemizygous: impossible for XR/XD
        (GIRL, [A, A, H], []),  # unaffected father would be affected
        (GIRL, [H, R, R], [XD, DE_NOVO]),
    ],
)
def test_x_linked_truth_table(fam: Family, row: list[int], expected: list[str]) -> None:
    assert modes([row], fam, chrom="chrX") == [expected]


def test_x_recessive_affected_daughter_needs_affected_father() -> None:
    fam = Family.trio(child_sex=FEMALE, father_affected=AFFECTED)
    assert modes([[A, A, H]], fam, chrom="X") == [[XR]]
    assert modes([[A, R, H]], fam, chrom="X") == [[]]  # father hom-ref
    assert modes([[A, A, R]], fam, chrom="X") == [[]]  # mother not a carrier


def test_x_linked_family_with_unaffected_brother() -> None:
    fam = Family(("boy", "mum", "bro"), (MALE, FEMALE, MALE), (AFFECTED, UNAFFECTED, UNAFFECTED),
                 (-1, -1, -1), (-1, -1, 1))
    assert modes([[A, H, R]], fam, chrom="X") == [[XR]]
    assert modes([[A, H, A]], fam, chrom="X") == [[]]  # unaffected brother hemizygous
    assert modes([[A, H, H]], fam, chrom="X") == [[]]  # a male het call counts as carrying


def test_x_compound_het_in_a_girl() -> None:
    res = _ch([[H], [H]], Family.singleton("p", FEMALE), ["G", "G"], chrom="X")
    assert [p.mode for p in res.pairs] == [XR]
    assert res.modes(0) == [XR, XD] and res.is_compound_het(0)
    boy = _ch([[H], [H]], Family.singleton("p", MALE), ["G", "G"], chrom="X")
    assert boy.pairs == []  # males are hemizygous: no compound het on X


def test_x_modes_never_on_autosomes_and_vice_versa() -> None:
    fam = Family.singleton("p", MALE)
    assert modes([[A]], fam, chrom="7") == [[AR]]
    assert modes([[A]], fam, chrom="X") == [[XR, XD]]
    assert modes([[A]], fam, chrom="Y") == [[]]


# --------------------------------------------------------------------------- mitochondrial
def test_mitochondrial() -> None:
    assert modes([[A], [H], [R]], SINGLE, chrom="chrM") == [[MT], [MT], []]
    assert modes([[A, R, A]], TRIO, chrom="MT") == [[MT]]  # unaffected carriers allowed
    assert modes([[R, R, A]], TRIO, chrom="MT") == [[]]


# --------------------------------------------------------------------------- frequency
def test_frequency_cut_offs_per_mode() -> None:
    gt = np.array([[H], [H], [H], [A], [A]], dtype=np.int8)
    af = np.array([0.0005, 0.005, np.nan, 0.01, 0.05])
    res = compatible_modes(gt, ["1"] * 5, SINGLE, pop_af=af)
    assert [res.modes(i) for i in range(5)] == [[AD], [], [AD], [AR], []]
    res = compatible_modes(gt, ["1"] * 5, SINGLE, pop_af=af, max_freq={AD: 0.01, AR: 0.1})
    assert [res.modes(i) for i in range(5)] == [[AD], [AD], [AD], [AR], [AR]]
    # compound hets use the AR cut-off for both variants
    res = compatible_modes(gt[:3], ["1"] * 3, SINGLE, genes=["G"] * 3,
                           pop_af=np.array([0.005, 0.03, np.nan]))
    assert [(p.first, p.second) for p in res.pairs] == [(0, 2)]
    with pytest.raises(TriageError, match="fraction"):
        compatible_modes(gt, ["1"] * 5, SINGLE, max_freq={AR: 2.0})
    with pytest.raises(TriageError, match="unknown inheritance mode"):
        compatible_modes(gt, ["1"] * 5, SINGLE, max_freq={"ARX": 0.1})


# --------------------------------------------------------------------------- plumbing
def test_mask_bits_and_helpers() -> None:
    assert modes_from_mask(MODE_BITS[AD] | MODE_BITS[DE_NOVO] | COMPOUND_HET_BIT) == [AD, DE_NOVO]
    assert len(set(MODE_BITS.values()) | {COMPOUND_HET_BIT}) == 7
    res = compatible_modes(np.array([[H], [H]]), ["1", "1"], SINGLE, genes=["G", "G"])
    assert res.has(COMPOUND_HET).tolist() == [True, True]
    assert res.has(AD).tolist() == [True, True] and res.has(XR).tolist() == [False, False]
    assert [chromosome_class(c) for c in ("chr1", "X", "chrY", "chrM", "MT", "GL000192.1")] == [
        "A", "X", "Y", "MT", "MT", "A"]
    with pytest.raises(ValueError):
        compatible_modes(np.array([[H, R]]), ["1"], SINGLE)


def test_family_from_pedigree() -> None:
    ped = parse_ped("f kid dad mum 2 2\nf dad 0 0 1 1\nf mum 0 0 2 0\ng x 0 0 1 2\n", "t.ped")
    fam = Family.from_pedigree(ped, "kid")
    assert fam.ids == ("kid", "dad", "mum")
    assert fam.father == (1, -1, -1) and fam.mother == (2, -1, -1)
    assert fam.sex == (FEMALE, MALE, FEMALE) and fam.affected == (AFFECTED, UNAFFECTED, UNKNOWN)
    assert fam.columns(["mum", "kid", "zzz"]).tolist() == [1, -1, 0]
    with pytest.raises(InputFileError, match="not in the PED"):
        Family.from_pedigree(ped, "HG002")
    with pytest.raises(InputFileError, match="marked unaffected"):
        Family.from_pedigree(ped, "dad")
    with pytest.raises(TriageError, match="no genotypes"):
        fam.columns(["dad", "mum"])
    # a proband with unknown status is treated as affected
    assert Family.from_pedigree(parse_ped("f a 0 0 1 0\n"), "a").affected == (AFFECTED,)


# --------------------------------------------------------------------------- GIAB trio
def _bcsq_genes(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    genes = {c.split("|")[1] for c in value.split(",") if c.count("|") >= 1 and c.split("|")[1]}
    return tuple(sorted(genes)) or None


def test_giab_ashkenazi_trio() -> None:
    vcf = SHARED / "ashk-trio_b37_chr1-2.vcf.gz"
    ped_path = SHARED / "ashk-trio.ped"
    if not (vcf.exists() and ped_path.exists()):
        pytest.skip(f"../shared absent: {vcf} / {ped_path}")
    pytest.importorskip("cyvcf2")
    from triage.genotype.pedigree import read_ped
    from triage.variants.vcf_reader import QualityFilter, VariantTable, VcfReader

    qf = QualityFilter(allowed_filters={"PASS"}, min_gq=20, min_dp=10, het_alt_fraction=(0.2, 0.8),
                       max_hom_ref_alt_fraction=0.15)
    reader = VcfReader(vcf, "HG002", quality=qf, info_fields=("BCSQ",))
    t = VariantTable.concat(list(reader))
    assert reader.build == "GRCh37" and reader.stats.records == 9940 and len(t) == 6710
    fam = Family.from_pedigree(read_ped(ped_path), "HG002")
    g = fam.genotypes(t.gt, t.samples)
    genes = [_bcsq_genes(v) for v in t.info["BCSQ"]]
    res = compatible_modes(g, t.chrom_norm, fam, genes=genes)

    # de novo: few, and each one is child het with both parents confidently hom-ref
    dn = np.flatnonzero(res.has(DE_NOVO))
    assert [t.key(int(i)) for i in dn] == [
        ("1", 15752321, "TCTGA", "T"), ("1", 155036260, "C", "T"), ("1", 200080462, "A", "AT")]
    for i in dn:
        assert g[i].tolist() == [H, R, R] and (t.gq[i] >= 20).all() and (t.dp[i] >= 10).all()

    # compound hets: the trio's pairs are a strict subset of what the proband alone allows
    solo = compatible_modes(t.proband_gt, t.chrom_norm, Family.singleton("HG002", MALE),
                            genes=genes)
    trio_pairs = {(p.gene, p.first, p.second) for p in res.pairs}
    solo_pairs = {(p.gene, p.first, p.second) for p in solo.pairs}
    assert trio_pairs < solo_pairs
    assert (len(trio_pairs), len(solo_pairs)) == (1053, 15203)
    assert sum(p.phased_by_parents for p in res.pairs) == 911
    for p in res.pairs:
        a, b = g[p.first], g[p.second]
        pat = lambda v: v[1] in (H, N) and v[2] in (R, N)  # noqa: E731
        mat = lambda v: v[2] in (H, N) and v[1] in (R, N)  # noqa: E731
        assert (pat(a) and mat(b)) or (mat(a) and pat(b))
        if p.phased_by_parents:  # one from each parent, proven by called genotypes
            assert {(a[1], a[2]), (b[1], b[2])} == {(H, R), (R, H)}
        else:  # only a no-call in a parent leaves the phase open
            assert N in (a[1], a[2], b[1], b[2])
    # never two variants proven to come from the same parent
    strict_pat = (g[:, 1] == H) & (g[:, 2] == R)
    assert not any(strict_pat[p.first] and strict_pat[p.second] for p in res.pairs)

    # with the parents declared unaffected, AD keeps only variants absent from both
    fam_u = dataclasses.replace(fam, affected=(AFFECTED, UNAFFECTED, UNAFFECTED))
    res_u = compatible_modes(g, t.chrom_norm, fam_u, genes=genes)
    ad = res_u.has(AD)
    assert int(ad.sum()) == 53 and int(res.has(AD).sum()) == 4127
    assert not np.isin(g[ad][:, 1:], [H, A]).any()
    assert set(np.flatnonzero(res_u.has(DE_NOVO))) <= set(np.flatnonzero(ad))

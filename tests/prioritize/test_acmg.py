"""Truth tables of the ACMG/AMP criteria and combining rules (triage.prioritize.acmg).

Every rule is checked on its own inputs, at and around its thresholds; the combining
rules of Richards et al. 2015 are checked against the Tavtigian point system, including
the two documented disagreements and conflicting evidence.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from triage.errors import TriageError
from triage.prioritize import acmg as A
from triage.prioritize.acmg import (
    LB,
    LP,
    MODERATE,
    NONE,
    PHENO_CONSISTENT,
    PHENO_HIGHLY_SPECIFIC,
    PHENO_NOT_CONSISTENT,
    STAND_ALONE,
    STRONG,
    SUPPORTING,
    VERY_STRONG,
    VUS,
    AcmgConfig,
    B,
    NullStructure,
    P,
)
from triage.variants.gene_model import Transcript

CFG = AcmgConfig()


# --------------------------------------------------------------------------- labels, points
def test_labels_follow_svi_nomenclature():
    assert A.label("PVS1", VERY_STRONG) == "PVS1"
    assert A.label("PVS1", STRONG) == "PVS1_Strong"
    assert A.label("PM2", SUPPORTING) == "PM2_Supporting"
    assert A.label("PS2", MODERATE) == "PS2_Moderate"
    assert A.label("BP4", VERY_STRONG) == "BP4_VeryStrong"
    assert A.label("BA1", STAND_ALONE) == "BA1"
    assert A.signed_points("PP3", STRONG) == 4 and A.signed_points("BS1", STRONG) == -4
    assert A.signed_points("BP4", VERY_STRONG) == -8 and A.signed_points("BA1", STAND_ALONE) == 0


@pytest.mark.parametrize("points,cls", [
    (20, P), (10, P), (9, LP), (6, LP), (5, VUS), (0, VUS), (-1, LB), (-6, LB), (-7, B), (-20, B)])
def test_point_scale_tavtigian_2020(points, cls):
    assert A.classify_points(points) == cls


def test_ba1_is_stand_alone():
    assert A.points_and_class([("PVS1", VERY_STRONG), ("PS2", STRONG), ("BA1", STAND_ALONE)]) == (12, B)
    assert A.richards_class([("BA1", STAND_ALONE)]) == B


def _crit(pvs=0, ps=0, pm=0, pp=0, bs=0, bp=0) -> list[tuple[str, int]]:
    """Criteria at given counts per strength (codes re-used: only direction and strength count)."""
    return ([("PVS1", VERY_STRONG)] * pvs + [("PS2", STRONG)] * ps + [("PM3", MODERATE)] * pm
            + [("PP3", SUPPORTING)] * pp + [("BS1", STRONG)] * bs + [("BP4", SUPPORTING)] * bp)


# the combinations of Richards et al. 2015 Table 5 at their minimal counts
RICHARDS_RULES = [
    # Pathogenic
    (dict(pvs=1, ps=1), P), (dict(pvs=1, pm=2), P), (dict(pvs=1, pm=1, pp=1), P), (dict(pvs=1, pp=2), P),
    (dict(ps=2), P), (dict(ps=1, pm=3), P), (dict(ps=1, pm=2, pp=2), P), (dict(ps=1, pm=1, pp=4), P),
    # Likely pathogenic
    (dict(pvs=1, pm=1), LP), (dict(ps=1, pm=1), LP), (dict(ps=1, pm=2), LP), (dict(ps=1, pp=2), LP),
    (dict(pm=3), LP), (dict(pm=2, pp=2), LP), (dict(pm=1, pp=4), LP),
    # Benign / likely benign
    (dict(bs=2), B), (dict(bs=1, bp=1), LB), (dict(bp=2), LB),
]
#: where Tavtigian et al. (2018, 2020) found the 2015 rules and the Bayesian model disagree
POINT_SYSTEM_DIFFERS = {(("pm", 1), ("pvs", 1)): P,  # 10 points: Pathogenic (2015 rules: LP)
                        (("ps", 2),): LP}  # 8 points: Likely pathogenic (2015 rules: P)


@pytest.mark.parametrize("counts,cls", RICHARDS_RULES)
def test_richards_rules_and_point_system(counts, cls):
    crit = _crit(**counts)
    assert A.richards_class(crit) == cls
    pts, by_points = A.points_and_class(crit)
    expected = POINT_SYSTEM_DIFFERS.get(tuple(sorted(counts.items())), cls)
    assert by_points == expected, (counts, pts)


def test_richards_just_below_each_rule_is_weaker():
    assert A.richards_class(_crit(pvs=1)) == VUS  # PVS1 alone: 2015 rules VUS ...
    assert A.points_and_class(_crit(pvs=1)) == (8, LP)  # ... 8 points LP (documented difference)
    assert A.richards_class(_crit(pm=2)) == VUS and A.points_and_class(_crit(pm=2))[1] == VUS
    assert A.richards_class(_crit(ps=1, pp=1)) == VUS and A.points_and_class(_crit(ps=1, pp=1))[1] == VUS
    assert A.richards_class(_crit(pm=1, pp=3)) == VUS and A.points_and_class(_crit(pm=1, pp=3))[1] == VUS
    assert A.richards_class(_crit(bp=1)) == VUS and A.points_and_class(_crit(bp=1))[1] == LB
    assert A.richards_class(_crit(bs=1)) == VUS and A.points_and_class(_crit(bs=1))[1] == LB
    assert A.richards_class([]) == VUS and A.points_and_class([]) == (0, VUS)


def test_conflicting_evidence():
    # 2015 rules: pathogenic and benign criteria that both reach a class -> VUS
    assert A.richards_class(_crit(pvs=1, ps=1, bs=2)) == VUS
    assert A.richards_class(_crit(ps=1, pm=1, bp=2)) == VUS
    # the point system weighs them: 8 + 4 - 8 = 4 (VUS); 4 + 2 - 2 = 4 (VUS); 8 + 4 + 2 - 1 = 13 (P)
    assert A.points_and_class(_crit(pvs=1, ps=1, bs=2)) == (4, VUS)
    assert A.points_and_class(_crit(ps=1, pm=1, bp=2)) == (4, VUS)
    assert A.points_and_class(_crit(pvs=1, ps=1, pm=1, bp=1)) == (13, P)
    assert A.richards_class(_crit(pvs=1, ps=1, pm=1, bp=1)) == P  # one BP reaches no benign class
    assert A.points_and_class(_crit(pp=1, bs=2)) == (-7, B)


def test_point_system_is_monotone_in_every_criterion():
    for counts in itertools.product(range(2), range(3), range(4), range(5), range(3), range(3)):
        base = A.points_and_class(_crit(*counts))[0]
        for k in range(4):  # one more pathogenic criterion never lowers the points
            more = list(counts)
            more[k] += 1
            assert A.points_and_class(_crit(*more))[0] > base
        for k in (4, 5):
            more = list(counts)
            more[k] += 1
            assert A.points_and_class(_crit(*more))[0] < base


# --------------------------------------------------------------------------- SVI points
@pytest.mark.parametrize("points,strength", [(0, NONE), (0.25, NONE), (0.5, SUPPORTING), (0.75, SUPPORTING),
                                             (1, MODERATE), (1.5, MODERATE), (2, STRONG), (3.5, STRONG),
                                             (4, VERY_STRONG), (8, VERY_STRONG)])
def test_svi_points_to_strength(points, strength):
    assert A.svi_points_strength(points) == strength


@pytest.mark.parametrize("confirmed,tier,points,label", [
    (True, PHENO_HIGHLY_SPECIFIC, 2.0, "PS2"), (True, PHENO_CONSISTENT, 1.0, "PS2_Moderate"),
    (True, PHENO_NOT_CONSISTENT, 0.0, None), (False, PHENO_HIGHLY_SPECIFIC, 1.0, "PM6"),
    (False, PHENO_CONSISTENT, 0.5, "PM6_Supporting"), (False, PHENO_NOT_CONSISTENT, 0.0, None)])
def test_de_novo_points_svi_v1_1(confirmed, tier, points, label):
    assert A.de_novo_points(confirmed, tier) == points
    s = A.svi_points_strength(points)
    code = "PS2" if confirmed else "PM6"
    assert (A.label(code, s) if s else None) == label


@pytest.mark.parametrize("gv,gw,father,mother,expected", [
    # genotypes over (proband, father, mother)
    ((1, 1, 0), (1, 0, 1), 1, 2, (1.0, "trans")),  # one allele from each parent
    ((1, 0, 1), (1, 1, 0), 1, 2, (1.0, "trans")),
    ((1, 1, 0), (1, 1, 0), 1, 2, (0.0, "cis")),  # both from the father
    ((1, 0, 1), (1, 0, 1), 1, 2, (0.0, "cis")),
    ((1, 1, 1), (1, 1, 0), 1, 2, (0.5, "unresolved")),  # a het parent for both alleles' site
    ((1, -1, 0), (1, 0, 1), 1, 2, (0.5, "unresolved")),  # a parent not called
    ((1,), (1,), -1, -1, (0.5, "unknown")),  # no parents: phase unknown
])
def test_pm3_points_svi_v1(gv, gw, father, mother, expected):
    assert A.pm3_pair_points(np.array(gv), np.array(gw), father, mother) == expected
    s = A.svi_points_strength(expected[0])  # 1.0: PM3 (moderate), 0.5: PM3_Supporting, 0: none
    assert s == {1.0: MODERATE, 0.5: SUPPORTING, 0.0: NONE}[expected[0]]


def test_phenotype_tiers():
    t = A.phenotype_tier(np.array([0.9, 0.5, 0.49, 0.01, 0.009, np.nan]), CFG)
    assert t.tolist() == [2, 2, 1, 1, 0, 0]


# --------------------------------------------------------------------------- frequency
def _freq(af, has_freq=True, resource=True, dom=False, rec=False, exempt=None, cfg=CFG):
    a = np.array([af], dtype=float)
    ba1, bs1, pm2 = A.frequency_criteria(a, has_freq, resource, np.array([dom]), np.array([rec]), cfg,
                                         None if exempt is None else np.array([exempt]))
    return int(ba1[0]), int(bs1[0]), int(pm2[0])


@pytest.mark.parametrize("af,dom,rec,expected", [
    # (BA1, BS1, PM2)
    (np.nan, False, False, (0, 0, SUPPORTING)),  # absent from the resource
    (0.00005, False, True, (0, 0, SUPPORTING)),  # recessive, below 0.01 %
    (0.0001, False, True, (0, 0, 0)),  # recessive, at 0.01 %: not "below"
    (0.00005, False, False, (0, 0, 0)),  # present, unknown mode: absence required
    (0.00005, True, False, (0, 0, 0)),  # present, dominant: absence required
    (0.0011, True, False, (0, STRONG, 0)),  # dominant: > 0.1 %
    (0.001, True, False, (0, 0, 0)),  # dominant: at 0.1 %, not greater
    (0.0011, False, True, (0, 0, 0)),  # recessive: 0.1 % is expected
    (0.016, False, True, (0, STRONG, 0)),  # recessive: > 1.5 %
    (0.016, False, False, (0, STRONG, 0)),  # unknown mode: recessive threshold
    (0.05, False, False, (0, STRONG, 0)),  # 5 % exactly: BS1, not BA1 (BA1 is "> 5 %")
    (0.0501, True, False, (STAND_ALONE, 0, 0)),  # BA1 excludes BS1
    (0.6, False, True, (STAND_ALONE, 0, 0)),
])
def test_frequency_criteria(af, dom, rec, expected):
    assert _freq(af, dom=dom, rec=rec) == expected


def test_frequency_criteria_need_their_sources():
    assert _freq(np.nan, resource=False) == (0, 0, 0)  # no resource: PM2 never asserted
    assert _freq(0.00001, resource=False, rec=True) == (0, 0, 0)
    assert _freq(0.3, has_freq=False, resource=False) == (0, 0, 0)  # no frequency source at all
    assert _freq(0.3, resource=False) == (STAND_ALONE, 0, 0)  # an INFO-field frequency serves BA1
    assert _freq(0.3, exempt=True) == (0, STRONG, 0)  # BA1 exception list (e.g. HFE C282Y)
    cfg = AcmgConfig(bs1_af=0.005, ba1_af=0.1)
    assert _freq(0.006, cfg=cfg) == (0, STRONG, 0) and _freq(0.09, cfg=cfg) == (0, STRONG, 0)


# --------------------------------------------------------------------------- predictors
@pytest.mark.parametrize("tool,score,pp3,bp4", [
    # REVEL, Pejaver et al. 2022 Table 2
    ("revel", 0.932, STRONG, 0), ("revel", 0.931, MODERATE, 0), ("revel", 0.773, MODERATE, 0),
    ("revel", 0.772, SUPPORTING, 0), ("revel", 0.644, SUPPORTING, 0), ("revel", 0.643, 0, 0),
    ("revel", 0.291, 0, 0), ("revel", 0.290, 0, SUPPORTING), ("revel", 0.183, 0, MODERATE),
    ("revel", 0.016, 0, STRONG), ("revel", 0.003, 0, VERY_STRONG), ("revel", 0.0, 0, VERY_STRONG),
    # CADD phred, Pejaver et al. 2022 Table 2 (no PP3_Strong)
    ("cadd_phred", 40.0, MODERATE, 0), ("cadd_phred", 28.1, MODERATE, 0), ("cadd_phred", 28.0, SUPPORTING, 0),
    ("cadd_phred", 25.3, SUPPORTING, 0), ("cadd_phred", 25.2, 0, 0), ("cadd_phred", 22.8, 0, 0),
    ("cadd_phred", 22.7, 0, SUPPORTING), ("cadd_phred", 17.3, 0, MODERATE), ("cadd_phred", 0.15, 0, STRONG),
    # AlphaMissense, Bergquist et al. 2025 (PMID 40084623)
    ("alphamissense", 0.990, STRONG, 0), ("alphamissense", 0.989, MODERATE, 0), ("alphamissense", 0.906, MODERATE, 0),
    ("alphamissense", 0.905, SUPPORTING, 0), ("alphamissense", 0.792, SUPPORTING, 0), ("alphamissense", 0.791, 0, 0),
    ("alphamissense", 0.170, 0, 0), ("alphamissense", 0.169, 0, SUPPORTING), ("alphamissense", 0.070, 0, MODERATE),
    ("alphamissense", 0.0, 0, MODERATE),
])
def test_predictor_thresholds(tool, score, pp3, bp4):
    a, b = A.predictor_strength(np.array([score]), A.PREDICTORS[tool])
    assert (int(a[0]), int(b[0])) == (pp3, bp4)


def test_one_predictor_per_variant_and_missense_only():
    scores = {"revel": np.array([0.95, np.nan, 0.1, 0.95, 0.95]),
              "alphamissense": np.array([0.1, 0.95, 0.95, 0.95, 0.95]),
              "cadd_phred": np.array([30.0, 30.0, 30.0, 30.0, 30.0])}
    missense = np.array([True, True, True, False, False])
    coding_snv = np.array([False, False, False, True, False])  # consequence unresolved (no FASTA)
    pp3, bp4, name, _ = A.computational_criteria(scores, ["revel", "alphamissense", "cadd_phred"], missense,
                                                 coding_snv)
    assert name.tolist() == ["revel", "alphamissense", "revel", "revel", ""]
    assert pp3.tolist() == [STRONG, MODERATE, 0, STRONG, 0] and bp4.tolist() == [0, 0, MODERATE, 0, 0]
    # CADD scores every variant: used for rows called missense only
    pp3, _, name, _ = A.computational_criteria(scores, ["cadd_phred"], missense, coding_snv)
    assert name.tolist() == ["cadd_phred"] * 3 + ["", ""] and pp3.tolist() == [MODERATE] * 3 + [0, 0]
    # nothing configured: nothing asserted
    pp3, bp4, name, _ = A.computational_criteria(scores, [], missense, coding_snv)
    assert not pp3.any() and not bp4.any() and set(name.tolist()) == {""}


# --------------------------------------------------------------------------- PVS1
S_NMD = NullStructure("NM_1", nmd=True, removed_fraction=0.9)
S_ESC_BIG = NullStructure("NM_1", nmd=False, removed_fraction=0.3)
S_ESC_SMALL = NullStructure("NM_1", nmd=False, removed_fraction=0.05)


@pytest.mark.parametrize("kind,s,strength", [
    ("nonsense", S_NMD, VERY_STRONG), ("frameshift", S_NMD, VERY_STRONG),
    ("nonsense", S_ESC_BIG, STRONG), ("nonsense", S_ESC_SMALL, MODERATE),
    ("frameshift", S_ESC_BIG, STRONG), ("frameshift", S_ESC_SMALL, MODERATE),
    ("nonsense", NullStructure(), MODERATE),  # not determinable: weakest outcome
    ("splice", NullStructure("t", nmd=True, frame_preserved=False, removed_fraction=0.8), VERY_STRONG),
    ("splice", NullStructure("t", nmd=False, frame_preserved=False, removed_fraction=0.3), STRONG),
    ("splice", NullStructure("t", nmd=False, frame_preserved=False, removed_fraction=0.05), MODERATE),
    ("splice", NullStructure("t", nmd=None, frame_preserved=False, removed_fraction=0.5), MODERATE),
    ("splice", NullStructure("t", frame_preserved=True, removed_fraction=0.2), STRONG),
    ("splice", NullStructure("t", frame_preserved=True, removed_fraction=0.1), MODERATE),  # not > 10 %
    ("splice", NullStructure(), MODERATE),
    ("exon_deletion", NullStructure("t", nmd=True, frame_preserved=False, removed_fraction=0.8), VERY_STRONG),
    ("exon_deletion", NullStructure("t", frame_preserved=True, removed_fraction=0.02), MODERATE),
    ("gene_deletion", NullStructure(), VERY_STRONG),
    ("start_lost", NullStructure(), SUPPORTING),
])
def test_pvs1_decision_tree(kind, s, strength):
    got, reason = A.pvs1_decision(kind, True, s)
    assert got == strength and reason
    assert A.pvs1_decision(kind, False, s) == (NONE, "")  # LoF not a known mechanism: never PVS1


def _tx(strand: str, exon_starts=(100, 300, 500, 700), exon_ends=(200, 400, 600, 900), cds=(150, 800)) -> Transcript:
    return Transcript("NM_TEST.1", "GENE", "1", strand, exon_starts[0], exon_ends[-1], cds[0], cds[1],
                      tuple(exon_starts), tuple(exon_ends), True)


def test_nmd_plus_strand():
    tx = _tx("+")  # mRNA 0..500; CDS offsets 50..400 (115 codons + stop); penultimate exon ends at 300
    early = A.null_structure(tx, "nonsense", 151, "C", "T")  # c.1
    assert early.nmd is True and early.removed_fraction == pytest.approx(1.0)
    assert A.pvs1_decision("nonsense", True, early)[0] == VERY_STRONG
    late_pen = A.null_structure(tx, "nonsense", 561, "C", "T")  # offset 260: last 50 nt of the penultimate exon
    assert late_pen.nmd is False and late_pen.removed_fraction == pytest.approx(1 - 70 / 115)
    assert A.pvs1_decision("nonsense", True, late_pen)[0] == STRONG
    edge = A.null_structure(tx, "nonsense", 550, "C", "T")  # offset 249: 51 nt before the junction
    assert edge.nmd is True
    last = A.null_structure(tx, "nonsense", 791, "C", "T")  # last exon, near the stop
    assert last.nmd is False and last.removed_fraction < 0.1
    assert A.pvs1_decision("nonsense", True, last)[0] == MODERATE
    fs = A.null_structure(tx, "frameshift", 160, "CA", "C")  # deletion after the padding base
    assert fs.nmd is True and "new stop codon" in fs.detail
    utr = A.null_structure(tx, "nonsense", 101, "C", "T")  # 5' UTR: not in the CDS
    assert utr.nmd is None and A.pvs1_decision("nonsense", True, utr)[0] == MODERATE


def test_nmd_minus_strand():
    tx = _tx("-")  # transcript order: exon 4 (genomic last) first; penultimate = genomic exon 2
    assert A.null_structure(tx, "nonsense", 561, "C", "T").nmd is True  # genomic exon 3 = 2nd in transcript
    assert A.null_structure(tx, "nonsense", 351, "C", "T").nmd is True  # offset 349 < 400 - 50
    assert A.null_structure(tx, "nonsense", 331, "C", "T").nmd is False  # offset 369: last 50 nt
    assert A.null_structure(tx, "nonsense", 151, "C", "T").nmd is False  # last exon (genomic first)


def test_splice_exon_skipping():
    tx = _tx("+")
    donor = A.null_structure(tx, "splice", 401, "G", "A")  # +1 of intron 2: exon 2 (100 nt) skipped
    assert donor.frame_preserved is False and donor.nmd is True and "exon 2/4" in donor.detail
    assert A.pvs1_decision("splice", True, donor)[0] == VERY_STRONG
    acceptor = A.null_structure(tx, "splice", 499, "G", "A")  # -2 of exon 3: skipping the penultimate exon
    assert acceptor.frame_preserved is False and acceptor.nmd is False
    assert A.pvs1_decision("splice", True, acceptor)[0] == STRONG
    inframe = _tx("+", exon_ends=(200, 400, 599, 900))  # exon 3 of 99 nt: skipping keeps the frame
    s = A.null_structure(inframe, "splice", 499, "G", "A")
    assert s.frame_preserved is True and s.removed_fraction == pytest.approx(33 / 115)  # 33 of 115 codons
    assert A.pvs1_decision("splice", True, s)[0] == STRONG
    first = A.null_structure(tx, "splice", 201, "G", "A")  # donor of exon 1, which holds the start codon
    assert first.frame_preserved is None and A.pvs1_decision("splice", True, first)[0] == MODERATE


# --------------------------------------------------------------------------- parentage, modes, config
def test_parentage_check():
    rng = np.random.default_rng(1)
    n = 400
    child = np.where(rng.random(n) < 0.5, 2, 1)
    # true parents: a hom-alt child has a carrier in each parent
    father = np.where(child == 2, rng.choice([1, 2], n), rng.choice([0, 1, 2], n))
    mother = np.where(child == 2, rng.choice([1, 2], n), rng.choice([0, 1, 2], n))
    gt = np.stack([child, father, mother], axis=1).astype(np.int8)
    auto = np.ones(n, dtype=bool)
    ok = A.parentage_check(gt, auto, 1, 2, 0)
    assert ok.has_parents and ok.confirmed is True and "consistent" in ok.text
    unrelated = gt.copy()
    unrelated[:, 2] = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
    bad = A.parentage_check(unrelated, auto, 1, 2, 0)
    assert bad.confirmed is False and "INCONSISTENT" in bad.text
    few = A.parentage_check(gt[:40], auto[:40], 1, 2, 0)
    assert few.confirmed is None and "not checked" in few.text
    assert A.parentage_check(gt, ~auto, 1, 2, 0).confirmed is None  # X / MT sites never count
    assert A.parentage_check(gt, auto, -1, 2, 0).has_parents is False


def test_mode_groups():
    g = A.mode_group(["HP:0000006"])
    assert g.all_dominant and not g.all_recessive and not g.any_recessive
    g = A.mode_group(["HP:0000007"])
    assert g.all_recessive and g.any_recessive and not g.all_dominant
    g = A.mode_group(["HP:0000006", "HP:0000007"])
    assert not g.all_dominant and not g.all_recessive and g.any_recessive and g.text == "AD/AR"
    g = A.mode_group([])
    assert not (g.all_dominant or g.all_recessive or g.any_recessive) and g.text == "unknown"


def test_lof_gene_lists(tmp_path):
    plain = tmp_path / "lof.txt"
    plain.write_text("# genes with LoF as the mechanism\nAHDC1\nSMARCB1\n\nNSD1\n")
    lof = A.load_lof_genes(AcmgConfig(lof_genes=str(plain)))
    assert lof.genes == {"AHDC1", "SMARCB1", "NSD1"} and "3 genes" in lof.version
    clingen = tmp_path / "ClinGen_gene_curation_list_GRCh38.tsv"
    clingen.write_text("#ClinGen dosage sensitivity\n#Gene Symbol\tGene ID\tHaploinsufficiency Score\tTriplosensitivity Score\n"
                       "AHDC1\t27245\t3\t0\nGENE2\t1\t2\t0\nGENE3\t2\t30\t0\nGENE4\t3\t40\t0\n")
    assert A.load_lof_genes(AcmgConfig(lof_genes=str(clingen))).genes == {"AHDC1", "GENE3"}
    cfg = AcmgConfig.from_dict({"lof_genes": {"path": str(clingen), "scores": [3, 2]}})
    assert A.load_lof_genes(cfg).genes == {"AHDC1", "GENE2"}
    assert A.load_lof_genes(AcmgConfig()) is None
    with pytest.raises(TriageError, match="not found"):
        A.load_lof_genes(AcmgConfig(lof_genes=str(tmp_path / "missing.txt")))


def test_config_errors_are_clear():
    with pytest.raises(TriageError, match="unknown acmg option"):
        AcmgConfig.from_dict({"pm2_af": 0.1})
    with pytest.raises(TriageError, match="fraction"):
        AcmgConfig.from_dict({"ba1_af": 5})
    with pytest.raises(TriageError, match="unknown predictor"):
        AcmgConfig.from_dict({"predictors": ["sift"]})
    cfg = AcmgConfig.from_dict({"predictors": ["cadd_phred"], "clinvar_pp5_bp6": True})
    assert cfg.predictors == ("cadd_phred",) and cfg.clinvar_pp5_bp6


def test_config_schema_has_every_acmg_option():
    from pathlib import Path

    import yaml

    schema = yaml.safe_load((Path(__file__).resolve().parents[2] / "workflow/schemas/config.schema.yaml").read_text())
    props = set(schema["properties"]["acmg"]["properties"])
    fields = set(AcmgConfig.__dataclass_fields__) - {"base_dir", "lof_gene_column", "lof_score_column", "lof_scores"}
    assert props == fields

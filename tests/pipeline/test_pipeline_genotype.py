"""Genotype likelihood ratios and the phenotype x genotype combination, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from triage.genotype.inheritance import Family
from triage.genotype.likelihood import (
    BACKGROUND_RATE_PER_KB,
    CAUSAL_BIN_FRACTION,
    HOM_FRACTION,
    GenotypeConfig,
    disease_inheritance,
    gene_genotype,
    lr_one,
    lr_two,
    mode_weights,
    score_bin,
)
from triage.genotype.pedigree import FEMALE, MALE
from triage.prioritize.combination import combine, group_log10_sum
from triage.variants.annotation import AnnotatedVariants

EPS = GenotypeConfig().eps


def _obj(xs):
    a = np.empty(len(xs), dtype=object)
    a[:] = list(xs)
    return a


def make_table(variants: list[dict], samples=("P",)) -> AnnotatedVariants:
    """variants: dicts with chrom, pos, gene, score, gt (list per sample), phased (optional)."""
    n = len(variants)
    s = len(samples)
    nan = np.full(n, np.nan)
    return AnnotatedVariants(
        samples=tuple(samples), proband_index=0,
        chrom=_obj([v["chrom"] for v in variants]), chrom_norm=_obj([v["chrom"].replace("chr", "") for v in variants]),
        pos=np.array([v["pos"] for v in variants], dtype=np.int64), ref=_obj(["A"] * n), alt=_obj(["G"] * n),
        qual=np.full(n, 50.0, np.float32), filter=_obj(["PASS"] * n), record_index=np.arange(n),
        gt=np.array([v["gt"] for v in variants], dtype=np.int8).reshape(n, s),
        phased=np.zeros((n, s), bool), gq=np.full(n, 99.0, np.float32), dp=np.full(n, 30, np.int32),
        alt_fraction=np.full(n, 0.5, np.float32), cohort_af=nan.copy(), pop_af=nan.copy(),
        pop_popmax=nan.copy(), pop_nhomalt=nan.copy(), clnsig=_obj([None] * n),
        clinvar_class=np.zeros(n, np.int8), clinvar_stars=np.full(n, -1, np.int8),
        vidx=np.arange(n, dtype=np.int64), gene=_obj([v["gene"] for v in variants]),
        consequence=_obj(["x"] * n), consequences=_obj(["x"] * n), transcript=_obj([None] * n),
        hgvs_c=_obj([None] * n), hgvs_p=_obj([None] * n), codon_score=nan.copy(), revel=nan.copy(),
        alphamissense=nan.copy(), cadd_phred=nan.copy(), source=_obj(["test"] * n),
        score=np.array([v["score"] for v in variants], dtype=float),
    )


def hand_lr_one(b: int, kb: float, factor: float, eps: float = EPS) -> float:
    c = CAUSAL_BIN_FRACTION
    mu = kb * BACKGROUND_RATE_PER_KB[b] * factor
    return eps + (1 - eps) * (sum(c[:b]) + c[b] / (1 - math.exp(-mu)))


def hand_lr_two(b: int, kb: float, het: float, hom: float, eps: float = EPS, trans: bool = False) -> float:
    c = list(CAUSAL_BIN_FRACTION)
    ge = [sum(c[k:]) for k in range(len(c))] + [0.0]
    d = [0.5 * c[k] + 0.5 * (ge[k] ** 2 - ge[k + 1] ** 2) for k in range(len(c))]
    r = list(BACKGROUND_RATE_PER_KB)
    rge = [sum(r[k:]) for k in range(len(r))] + [0.0]

    def g(k):
        mu = kb * rge[k]
        return 1 - math.exp(-(mu * het + mu * hom)) * (1 + mu * het)

    core = sum(d[:b]) + d[b] * (1 - g(b + 1)) / (g(b) - g(b + 1))
    if trans:
        core *= 2
    return eps ** 2 + (1 - eps ** 2) * core


def test_score_bins():
    assert score_bin(np.array([0.0, 0.02, 0.05, 0.1, 0.3, 0.6, 0.95, 1.0])).tolist() == [0, 0, 1, 2, 3, 4, 5, 5]


def test_lr_kernels_by_hand():
    h = HOM_FRACTION
    cfg = GenotypeConfig()
    rates = np.asarray(cfg.background_rate_per_kb)
    for b, kb in ((5, 1.0), (4, 1.5), (4, 30.0), (1, 2.0)):
        got = lr_one(np.array([b]), np.array([kb]), 1 - h, rates, cfg)[0]
        assert got == pytest.approx(hand_lr_one(b, kb, 1 - h), rel=1e-9)
        got2 = lr_two(np.array([b]), np.array([kb]), 1 - h, h, rates, cfg)[0]
        assert got2 == pytest.approx(hand_lr_two(b, kb, 1 - h, h), rel=1e-9)
    # a loss-of-function allele in a 1-kb gene is strong evidence; a missense in a 30-kb gene is not
    assert hand_lr_one(5, 1.0, 1 - h) > 50
    assert hand_lr_one(4, 30.0, 1 - h) < 1.0
    # proven trans doubles the evidence part of a compound het
    t = lr_two(np.array([4]), np.array([1.0]), 1 - h, h, rates, cfg, np.array([True]))[0]
    assert t == pytest.approx(hand_lr_two(4, 1.0, 1 - h, h, trans=True), rel=1e-9)


def test_gene_genotype_configurations():
    kb = {"A": 1.0, "B": 2.0, "C": 1.5, "D": 1.2, "E": 1.0}
    av = make_table([
        {"chrom": "1", "pos": 100, "gene": "A", "score": 0.95, "gt": [1]},  # het LoF
        {"chrom": "1", "pos": 200, "gene": "B", "score": 0.6, "gt": [2]},  # hom missense
        {"chrom": "2", "pos": 300, "gene": "C", "score": 0.95, "gt": [1]},  # two hets
        {"chrom": "2", "pos": 310, "gene": "C", "score": 0.6, "gt": [1]},
        {"chrom": "X", "pos": 400, "gene": "D", "score": 0.6, "gt": [2]},  # hemizygous (male)
        {"chrom": "1", "pos": 500, "gene": "E", "score": 0.05, "gt": [1]},  # synonymous-like
    ])
    h = HOM_FRACTION
    gg = gene_genotype(av, Family.singleton("P", MALE), kb)
    i = gg.index
    # A: dominant = best het allele; recessive = one allele seen, the other missed (2 eps x core)
    assert gg.lr_one[i["A"]] == pytest.approx(hand_lr_one(5, 1.0, 1 - h))
    core = (hand_lr_one(5, 1.0, 1 - h) - EPS) / (1 - EPS)
    assert gg.lr_two[i["A"]] == pytest.approx(2 * EPS * core)
    assert gg.two_kind[i["A"]] == "single_het"
    # B: a hom-alt call is not a dominant allele in a singleton (Jannovar AD rule)
    assert gg.lr_one[i["B"]] == pytest.approx(EPS)
    assert gg.lr_two[i["B"]] == pytest.approx(hand_lr_two(4, 2.0, 1 - h, h))
    assert gg.two_kind[i["B"]] == "hom"
    # C: compound het; the weaker allele (0.6) sets the bin
    assert gg.lr_two[i["C"]] == pytest.approx(hand_lr_two(4, 1.5, 1 - h, h))
    assert gg.two_kind[i["C"]] == "compound_het" and set(gg.two_rows[i["C"]]) == {2, 3}
    assert gg.lr_one[i["C"]] == pytest.approx(hand_lr_one(5, 1.5, 1 - h))
    # D: male X: hemizygous counts as two copies (background: one X, no het share)
    assert gg.two_kind[i["D"]] == "hemizygous"
    assert gg.lr_two[i["D"]] == pytest.approx(hand_lr_two(4, 1.2, 0.0, 0.5))
    assert gg.lr_one[i["D"]] == pytest.approx(hand_lr_one(4, 1.2, 0.5))
    # E: a synonymous-like allele is barely better than nothing
    assert EPS < gg.lr_one[i["E"]] < 0.1
    # female: the same X hom call is a hom, the het share applies
    gf = gene_genotype(av, Family.singleton("P", FEMALE), kb)
    assert gf.two_kind[gf.index["D"]] == "hom"


def test_trio_phasing_excludes_cis_pairs_and_doubles_trans():
    fam = Family.trio("P", "F", "M")
    kb = {"G": 1.0, "H": 1.0}
    av = make_table([
        {"chrom": "1", "pos": 100, "gene": "G", "score": 0.95, "gt": [1, 1, 0]},  # from father
        {"chrom": "1", "pos": 150, "gene": "G", "score": 0.6, "gt": [1, 0, 1]},  # from mother: trans
        {"chrom": "1", "pos": 200, "gene": "H", "score": 0.95, "gt": [1, 1, 0]},  # both from father: cis
        {"chrom": "1", "pos": 250, "gene": "H", "score": 0.6, "gt": [1, 1, 0]},
    ], samples=("P", "F", "M"))
    gg = gene_genotype(av, fam, kb)
    h = HOM_FRACTION
    assert gg.two_kind[gg.index["G"]] == "compound_het"
    assert gg.lr_two[gg.index["G"]] == pytest.approx(hand_lr_two(4, 1.0, 1 - h, h, trans=True))
    assert gg.two_kind[gg.index["H"]] != "compound_het"
    # inherited from an unaffected father: not a dominant (AD) allele in this trio
    assert gg.lr_one[gg.index["H"]] == pytest.approx(EPS)


def test_de_novo_is_stronger_than_inherited():
    fam = Family.trio("P", "F", "M")
    av = make_table([{"chrom": "1", "pos": 100, "gene": "G", "score": 0.6, "gt": [1, 0, 0]}], samples=("P", "F", "M"))
    dn = gene_genotype(av, fam, {"G": 1.0}).lr_one[0]
    single = gene_genotype(make_table([{"chrom": "1", "pos": 100, "gene": "G", "score": 0.6, "gt": [1]}]),
                           Family.singleton("P"), {"G": 1.0}).lr_one[0]
    assert dn > 10 * single


def test_mode_weights_and_hpoa_parsing(tmp_path):
    (tmp_path / "phenotype.hpoa").write_text(
        "#version: test\ndatabase_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier\taspect\tbiocuration\n"
        "OMIM:1\tA\t\tHP:0000006\tPMID:1\tTAS\t\t\t\t\tI\tx\n"
        "OMIM:2\tB\t\tHP:0000007\tPMID:1\tTAS\t\t\t\t\tI\tx\n"
        "OMIM:3\tC\t\tHP:0000006\tPMID:1\tTAS\t\t\t\t\tI\tx\n"
        "OMIM:3\tC\t\tHP:0000007\tPMID:1\tTAS\t\t\t\t\tI\tx\n"
        "OMIM:4\tD\t\tHP:0001419\tPMID:1\tTAS\t\t\t\t\tI\tx\n"
        "OMIM:5\tE\t\tHP:0001250\tPMID:1\tTAS\t\t\t\t\tP\tx\n")
    modes = disease_inheritance(str(tmp_path))
    assert modes["OMIM:1"] == ("HP:0000006",) and "OMIM:5" not in modes
    w = mode_weights(["OMIM:1", "OMIM:2", "OMIM:3", "OMIM:4", "OMIM:5"], modes)
    assert w.tolist() == [[1, 0], [0, 1], [0.5, 0.5], [0, 1], [0.5, 0.5]]


def test_combination_by_hand():
    # diseases: D0 -> genes {0, 1}, D1 -> {1}, D2 -> no gene
    dg_ptr = np.array([0, 2, 3, 3])
    dg_idx = np.array([0, 1, 1])
    s = np.array([1.0, 0.0, 0.5])
    lr1 = np.array([10.0, 1.0])
    lr2 = np.array([0.1, 0.1])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    c = combine(s, dg_ptr, dg_idx, 2, lr1, lr2, w)
    p00 = 10 ** 1.0 / 2 * 10  # P(D0) / |genes(D0)| x LR
    p01 = 10 ** 1.0 / 2 * 1
    p11 = 10 ** 0.0 / 1 * 0.1
    p2 = 10 ** 0.5 * 1.0  # gene-less disease: neutral genotype LR
    tot = p00 + p01 + p11 + p2
    assert c.gene_posterior.tolist() == pytest.approx([p00 / tot, (p01 + p11) / tot])
    assert c.disease_posterior.tolist() == pytest.approx([(p00 + p01) / tot, p11 / tot, p2 / tot])
    assert c.disease_posterior.sum() == pytest.approx(1.0)
    assert c.best_disease_of_gene.tolist() == [0, 0]
    # excluded diseases (-inf) take no mass
    c2 = combine(np.array([1.0, -np.inf, 0.5]), dg_ptr, dg_idx, 2, lr1, lr2, w)
    assert c2.disease_posterior[1] == 0.0 and c2.gene_posterior[1] == pytest.approx(p01 / (p00 + p01 + p2))


def test_group_log10_sum_no_underflow():
    v = np.array([-400.0, -401.0, 5.0])
    out = group_log10_sum(np.array([0, 0, 1]), v, 3)
    assert out[0] == pytest.approx(-400 + math.log10(1.1)) and out[1] == 5.0 and out[2] == -np.inf

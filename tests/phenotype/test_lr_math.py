"""LR and Resnik maths on a hand-made ontology, against values computed by hand.

Mini ontology (tests/data/mini_hpo): All > Phenotypic abnormality > {A > {A1, A2}, B > {B1}}.
Diseases: D1 = {A1: 1/1, B: Very frequent}, D2 = {A2: 50%}, D3 = {B1: no frequency, NOT A1}.
With ratio smoothing (n+1)/(m+2): P(A1|D1) = 2/3. Very frequent = 0.895, missing = 0.6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.scoring import ModelParams, build_matrices
from triage.prioritize import rank_phenotype

# the plain LIRICAL-like maths; the breadth factor and the literature prior are tested apart
LR = dict(gamma=0.15, eps=0.02, not_lr=0.05, delta=0.9, prior="uniform", size_exponent=0.0)


@pytest.fixture(scope="module")
def mini_engine(mini_kb):
    return PhenotypeEngine(mini_kb, ModelParams(), {"lr": LR})


def _idx(kb, tid):
    return kb.ontology.idx(tid)


def test_frequencies_and_background(mini_kb):
    m = build_matrices(mini_kb, ModelParams())
    F = m.F.toarray()
    d1, d2, d3 = 0, 1, 2
    a1, a, b, b1 = (_idx(mini_kb, t) for t in ("HP:0000011", "HP:0000010", "HP:0000020", "HP:0000021"))
    assert F[d1, a1] == pytest.approx(2 / 3)
    assert F[d1, b] == pytest.approx(0.895)
    assert F[d2, _idx(mini_kb, "HP:0000012")] == pytest.approx(0.5)
    assert F[d3, b1] == pytest.approx(0.6)
    assert F[d3, a1] == 0  # NOT annotations are not frequencies
    P = m.P_csc.toarray()
    assert P[d1, a] == pytest.approx(2 / 3)  # propagated from A1
    assert P[d3, b] == pytest.approx(0.6)
    assert m.bg[a1] == pytest.approx((2 / 3) / 3)
    assert m.bg[a] == pytest.approx((2 / 3 + 0.5) / 3)
    assert m.bg[b] == pytest.approx((0.895 + 0.6) / 3)
    assert m.ic[a1] == pytest.approx(math.log(3))
    assert m.ic[a] == pytest.approx(math.log(3 / 2))


def test_observed_term_lrs_by_match_type(mini_engine, mini_kb):
    q = mini_engine.resolve(["HP:0000011"])
    res = mini_engine.score(q, "lr")
    bg_a1, bg_a, bg_root = (2 / 3) / 3, (2 / 3 + 0.5) / 3, (0.895 + 0.5 + 0.6) / 3
    lr_d1 = 0.02 + 0.98 * ((2 / 3) / bg_a1)  # exact match
    lr_d2 = 0.02 + 0.98 * (0.15 * 0.5 / bg_a)  # shared ancestor A, discounted by gamma
    lr_d3 = 0.05  # NOT A1 caps the LR
    assert bg_root > 0
    expected = np.log10([lr_d1, lr_d2, lr_d3])
    assert res.term_scores[0] == pytest.approx(expected, rel=1e-6)  # float32 term cache
    post = np.array([lr_d1, lr_d2, lr_d3])
    post /= post.sum()
    assert res.posterior == pytest.approx(post)
    # genes: GENEA has D1 and D2, GENEB has D3
    gi = {g: i for i, g in enumerate(mini_kb.annotations.gene_symbols)}
    assert res.gene_posterior[gi["GENEA"]] == pytest.approx(post[0] + post[1])
    assert res.gene_posterior[gi["GENEB"]] == pytest.approx(post[2])


def test_more_general_query_uses_descendant_annotation(mini_engine):
    # Patient says "Abnormality A"; D1 is annotated with the more specific A1.
    res = mini_engine.score(mini_engine.resolve(["HP:0000010"]), "lr")
    bg_a = (2 / 3 + 0.5) / 3
    assert 10 ** res.term_scores[0, 0] == pytest.approx(0.02 + 0.98 * (2 / 3) / bg_a)
    assert 10 ** res.term_scores[0, 1] == pytest.approx(0.02 + 0.98 * 0.5 / bg_a)


def test_excluded_term_lr(mini_engine):
    res = mini_engine.score(mini_engine.resolve(["HP:0000011"], ["HP:0000020"]), "lr")
    k, bg_b = 0.1, (0.895 + 0.6) / 3
    exp = [(1 - k * 0.895) / (1 - k * bg_b), 1 / (1 - k * bg_b), (1 - k * 0.6) / (1 - k * bg_b)]
    assert 10 ** res.term_scores[1] == pytest.approx(exp)


def test_explanations_name_the_matching_terms(mini_engine):
    r = rank_phenotype(mini_engine, ["HP:0000011"], ["HP:0000020"], top=3)
    assert [d.id for d in r.diseases] == ["OMIM:000001", "OMIM:000002", "OMIM:000003"]
    m = r.diseases[0].explanation.matches
    assert m[0].match_type == "exact" and m[0].disease_term_id == "HP:0000011"
    assert m[0].likelihood_ratio == pytest.approx(0.02 + 0.98 * 3.0, abs=1e-3)
    assert m[1].excluded and m[1].match_type == "excluded_present"
    m2 = r.diseases[1].explanation.matches[0]
    assert m2.match_type == "shared_ancestor" and m2.common_ancestor_id == "HP:0000010"
    assert m2.disease_term_id == "HP:0000012"
    m3 = r.diseases[2].explanation.matches[0]
    assert m3.match_type == "contradicted"


def test_query_more_specific_than_annotation(mini_engine):
    # D3 is annotated with B1; D1 with B (general). Patient has B1 -> D1 matched via B.
    r = rank_phenotype(mini_engine, ["HP:0000021"], top=3)
    by_id = {d.id: d for d in r.diseases}
    m = by_id["OMIM:000001"].explanation.matches[0]
    assert m.match_type == "query_more_specific" and m.disease_term_id == "HP:0000020"
    assert by_id["OMIM:000003"].explanation.matches[0].match_type == "exact"


def test_resnik_similarity(mini_engine):
    res = mini_engine.score(mini_engine.resolve(["HP:0000011"]), "resnik")
    assert res.disease_scores == pytest.approx([math.log(3), math.log(1.5), 0.0])
    assert res.posterior is None


def test_literature_prior_shifts_posterior(mini_kb):
    eng = PhenotypeEngine(mini_kb, ModelParams(), {"lr": {**LR, "prior": "literature"}})
    # no PMIDs in the mini annotations; D1's 1/1 annotation is a one-patient series, so
    # its prior is (1 + 0) * (1 + 1) ** 0.5 against 1 for D2 and D3
    a = eng.score(eng.resolve(["HP:0000011"]), "lr").posterior
    b = PhenotypeEngine(mini_kb, ModelParams(), {"lr": LR}).score(eng.resolve(["HP:0000011"]), "lr").posterior
    expected = b * np.array([2 ** 0.5, 1.0, 1.0])
    assert a == pytest.approx(expected / expected.sum())
    no_cohort = PhenotypeEngine(mini_kb, ModelParams(), {"lr": {**LR, "prior": "literature", "cohort_weight": 0.0}})
    assert no_cohort.score(eng.resolve(["HP:0000011"]), "lr").posterior == pytest.approx(b)


def test_breadth_factor_scales_every_observed_term(mini_kb):
    """N_D = max(1, sum of direct frequencies): D1 2/3 + 0.895, D2 and D3 -> 1; median 1."""
    plain = PhenotypeEngine(mini_kb, ModelParams(), {"lr": LR})
    broad = PhenotypeEngine(mini_kb, ModelParams(), {"lr": {**LR, "size_exponent": 0.4}})
    factor = np.array([(1 / (2 / 3 + 0.895)) ** 0.4, 1.0, 1.0])
    q = plain.resolve(["HP:0000011", "HP:0000021"])
    a, b = plain.score(q, "lr"), broad.score(q, "lr")
    assert 10 ** b.term_scores == pytest.approx(10 ** a.term_scores * factor, rel=1e-5)
    assert b.disease_scores == pytest.approx(a.disease_scores + 2 * np.log10(factor), abs=1e-5)
    # explanations carry the same factor, so they still sum to the score
    r = rank_phenotype(broad, ["HP:0000011", "HP:0000021"], top=3)
    d1 = next(d for d in r.diseases if d.id == "OMIM:000001")
    lrs = [m.likelihood_ratio for m in d1.explanation.matches]
    assert np.log10(lrs).sum() == pytest.approx(b.disease_scores[0], abs=1e-4)
    # raw matches hold Python floats (round() on numpy scalars doubled the API's explanation cost)
    sc = broad.scorer("lr")
    q_obs = q.observed_idx
    raw = sc.explain_many([0, 1], q_obs, []) + [sc.explain(0, q_obs, [])]
    assert all(type(m.value) is float for ms in raw for m in ms)

"""Rank ties, sort order, result model contract on the real release."""

from __future__ import annotations

import numpy as np
import pytest

from triage.errors import NoUsableTermsError, UnknownScorerError, UnknownTermError
from triage.prioritize import rank_phenotype
from triage.ranks import competition_ranks, mean_rank_of, sort_order


def test_competition_ranks_share_ties():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9])
    ids = ["a", "b", "c", "d", "e"]
    order = sort_order(scores, ids)
    assert [ids[i] for i in order] == ["b", "e", "a", "c", "d"]
    assert competition_ranks(scores, order).tolist() == [1, 1, 3, 3, 5]


def test_mean_rank_for_benchmark():
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9])
    assert mean_rank_of(scores, 1) == 1.5
    assert mean_rank_of(scores, 0) == 3.5
    assert mean_rank_of(scores, 3) == 5.0
    assert mean_rank_of(np.array([1.0, -np.inf]), 1) == 0.0


def test_sort_order_drops_masked():
    scores = np.array([1.0, -np.inf, 2.0])
    assert sort_order(scores, ["a", "b", "c"]).tolist() == [2, 0]


PFEIFFER = ["HP:0001363", "HP:0011304", "HP:0010055", "HP:0000316", "HP:0000327"]


@pytest.mark.parametrize("scorer", ["lr", "resnik"])
def test_rank_result_contract(engine, scorer):
    r = rank_phenotype(engine, PFEIFFER, scorer=scorer, top=10)
    assert r.schema_version
    assert len(r.diseases) == 10 and len(r.genes) == 10
    scores = [d.score for d in r.diseases]
    assert scores == sorted(scores, reverse=True)
    ranks = [d.rank for d in r.diseases]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    for a, b in zip(r.diseases, r.diseases[1:]):
        assert (a.rank == b.rank) == (a.score == b.score)
    assert all(len(d.explanation.matches) == len(PFEIFFER) for d in r.diseases)
    dumped = r.model_dump()
    assert {"diseases", "genes", "data_versions", "warnings"} <= set(dumped)
    assert {"id", "label", "rank", "posterior", "score", "genes", "explanation"} <= set(dumped["diseases"][0])
    assert {"symbol", "rank", "score", "diseases"} <= set(dumped["genes"][0])


def test_pfeiffer_terms_rank_fgfr_genes(engine):
    r = rank_phenotype(engine, PFEIFFER, top=10)
    top_genes = [g.symbol for g in r.genes[:5]]
    assert "FGFR2" in top_genes
    pf = [d for d in r.diseases if d.id == "OMIM:101600"]
    assert pf and pf[0].rank <= 5
    post = [d.posterior for d in rank_phenotype(engine, PFEIFFER, top=0).diseases]
    assert sum(post) == pytest.approx(1.0, abs=1e-6)


def test_gene_restriction(engine):
    r = rank_phenotype(engine, PFEIFFER, genes=["FGFR2"], top=0)
    assert r.diseases and all("FGFR2" in d.genes for d in r.diseases)
    assert {g.symbol for g in r.genes} >= {"FGFR2"}


def test_errors(engine):
    with pytest.raises(UnknownTermError):
        rank_phenotype(engine, ["HP:0001363", "HP:9999999"])
    r = rank_phenotype(engine, ["HP:0001363", "HP:9999999"], drop_unknown=True, top=1)
    assert any(w.code == "unknown_term" and w.term == "HP:9999999" for w in r.warnings)
    with pytest.raises(NoUsableTermsError):
        rank_phenotype(engine, ["HP:9999999"], drop_unknown=True)
    with pytest.raises(UnknownScorerError):
        rank_phenotype(engine, PFEIFFER, scorer="nope")


def test_redundant_and_mapped_terms(engine):
    r = rank_phenotype(engine, ["HP:0001250", "HP:0000707", "HP:0000284"], top=1)
    codes = {w.code for w in r.warnings}
    assert {"redundant_terms", "term_mapped"} <= codes
    assert [t.id for t in r.query.observed] == ["HP:0001250", "HP:0000707", "HP:0000315"]
    assert r.query.observed[2].submitted_id == "HP:0000284"


def test_top_order_matches_full_sort_with_ties():
    from triage.ranks import top_order

    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        scores = rng.integers(0, 5, n).astype(float)
        scores[rng.random(n) < 0.2] = -np.inf
        keys = rng.permutation(n)
        full = sort_order(scores, keys)
        for k in (1, 3, 10, 100, 0):
            part, n_finite = top_order(scores, keys, k)
            expect = full if k <= 0 else full[:k]
            assert part.tolist() == expect.tolist()
            assert n_finite == int(np.isfinite(scores).sum())

"""Novel-gene / novel-disease hypotheses of the combination step (hand-computed and on the demo)."""

from __future__ import annotations

import numpy as np
import pytest

from triage.prioritize.combination import NovelPrior, combine


def _toy(novel: NovelPrior | None):
    # 2 diseases: D0 with gene 0, D1 with gene 1; a third gene (2) outside the release
    dg_ptr = np.array([0, 1, 2])
    dg_idx = np.array([0, 1])
    s = np.log10(np.array([0.5 * 100.0, 0.5 * 1.0]))  # prior 1/2 each (normalised: norm 0) x LR
    lr1 = np.array([10.0, 1.0, 50.0])
    lr2 = np.array([1.0, 1.0, 30.0])
    w = np.array([[1.0, 0.0], [1.0, 0.0]])
    return combine(s, dg_ptr, dg_idx, 3, lr1, lr2, w, 1.0, novel)


def test_novel_hypotheses_by_hand():
    pi = 0.1
    nov = NovelPrior(np.log10(pi), np.log10(np.full(3, 1 / 20000)), np.zeros(3), 0.0)
    c = _toy(nov)
    known = np.array([0.9 * 0.5 * 100 * 10, 0.9 * 0.5 * 1 * 1])
    novel = pi / 20000 * 0.5 * (np.array([10.0, 1.0, 50.0]) + np.array([1.0, 1.0, 30.0]))
    total = known.sum() + novel.sum()
    assert 10 ** c.disease_log10 == pytest.approx(known / total)
    gene = np.array([known[0], known[1], 0.0]) + novel
    assert 10 ** c.gene_log10 == pytest.approx(gene / total)
    assert 10 ** c.novel_log10 == pytest.approx(novel / total)
    # diseases keep their order and relative weights; the gene outside the release is ranked
    assert np.isfinite(c.gene_log10[2]) and c.best_disease_of_gene[2] == -1


def test_no_novel_prior_is_the_known_model():
    c = _toy(None)
    assert c.novel_log10 is None
    assert np.isneginf(c.gene_log10[2])
    assert 10 ** c.disease_log10 == pytest.approx(np.array([500, 0.5]) / 500.5)


@pytest.mark.parametrize("pi", [0.0, 0.1])
def test_demo_with_and_without_novel_hypotheses(engine, pi):
    """The demo's SMARCB1 stays first; with pi > 0 genes outside the release are ranked and
    flagged as novel-gene hypotheses, with pi = 0 none is."""
    from dataclasses import replace

    from conftest import REPO

    from triage.phenotype.phenopacket import read_phenopacket
    from triage.prioritize import PipelineConfig, Ranker, build_result, ingest_annotate, rank_case

    cfg = PipelineConfig().with_genome("GRCh37")
    cfg = replace(cfg, rank=replace(cfg.rank, novel_prior=pi))
    case = ingest_annotate(REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz", None, cfg)
    pp = read_phenopacket(REPO / "config" / "demo" / "DEMO1.phenopacket.json")
    ranked = rank_case(Ranker(engine, cfg, "GRCh37"), engine.resolve(pp.observed, pp.excluded), case)
    res = build_result(ranked, top=0, explain_top=5)
    assert res.genes[0].symbol == "SMARCB1" and res.genes[0].novel is None
    novel_genes = [g for g in res.genes if g.novel is not None and g.novel.kind == "novel_gene"]
    if pi == 0:
        assert not novel_genes and len(ranked.genes) == ranked.n_release_genes
    else:
        assert novel_genes and len(ranked.genes) > ranked.n_release_genes
        g = novel_genes[0]
        assert g.top_disease is None and g.variants and "novel disease gene" in g.explanation.summary
        assert g.symbol not in set(engine.kb.annotations.gene_symbols)
    total = sum(g.posterior for g in res.genes)  # the rest sits on diseases without a known gene
    assert 0.99 < total <= 1.0 + 1e-9

"""One disease entity across sources: ORPHA<->OMIM equivalents, collapsing, pooled annotations."""

from __future__ import annotations

import numpy as np
import pytest

from triage.phenotype.entities import (
    EQUIVALENTS_FILE,
    derive_equivalents,
    direct_term_sets,
    disease_groups,
    label_tokens,
)


def test_label_tokens_normalise_roman_numerals_and_generic_words():
    assert label_tokens("Thanatophoric dysplasia, type II") == label_tokens("Thanatophoric dysplasia type 2")
    assert label_tokens("Hurler syndrome") == frozenset({"hurler"})


def test_shipped_table_is_the_derivation_of_the_vendored_release(engine):
    from importlib import resources

    from triage.phenotype.entities import read_equivalents

    version, pairs = read_equivalents(
        resources.files("triage.phenotype").joinpath("data", EQUIVALENTS_FILE).read_text())
    ann = engine.kb.annotations
    assert version == ann.version
    derived = [(a, b) for a, b, _r, _s in derive_equivalents(ann, direct_term_sets(ann))]
    assert derived == pairs  # rerun scripts/build_disease_groups.py after changing the rules
    assert ("ORPHA:399", "OMIM:143100") in pairs  # Huntington disease


def test_groups_pair_orpha_with_one_omim_and_never_two_omim(engine):
    g = disease_groups(engine.kb)
    ids = engine.kb.annotations.disease_ids
    assert EQUIVALENTS_FILE in g.source
    sizes = [len(m) for m in g.members]
    assert sum(sizes) == len(ids) and max(sizes) >= 2
    for m in g.members:
        omim = [d for d in m if ids[d].startswith("OMIM:")]
        assert len(omim) <= 1
        if len(m) > 1:
            assert ids[m[0]].startswith("OMIM:")  # the representative
    hd = g.group_of[ids.index("OMIM:143100")]
    assert g.group_of[ids.index("ORPHA:399")] == hd
    assert g.ids(engine.kb.annotations, hd)[0] == "OMIM:143100"


def test_collapse_takes_the_best_member_and_sums_posteriors(engine):
    g = disease_groups(engine.kb)
    ids = engine.kb.annotations.disease_ids
    s = np.zeros(len(ids))
    s[ids.index("ORPHA:399")] = 5.0
    gs = g.collapse_scores(s)
    assert gs.shape == (g.n_groups,) and gs[g.group_of[ids.index("OMIM:143100")]] == 5.0
    p = np.full(len(ids), 1.0 / len(ids))
    assert g.collapse_posterior(p).sum() == pytest.approx(1.0)
    assert g.best_member(s)[g.group_of[ids.index("OMIM:143100")]] == ids.index("ORPHA:399")


def test_pooled_entity_annotations_score_members_alike(engine):
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.scoring import ModelParams

    eng = PhenotypeEngine(engine.kb, ModelParams(entities=True), {})
    ids = engine.kb.annotations.disease_ids
    q = eng.resolve(["HP:0002072", "HP:0000726", "HP:0000716"])
    res = eng.score(q, "lr")
    a, b = ids.index("OMIM:143100"), ids.index("ORPHA:399")
    assert res.disease_scores[a] == pytest.approx(res.disease_scores[b])
    plain = engine.score(engine.resolve(["HP:0002072", "HP:0000726", "HP:0000716"]), "lr")
    assert plain.disease_scores[a] != pytest.approx(plain.disease_scores[b])
    assert eng.data_versions["model_params"] != engine.data_versions["model_params"]


def test_benchmark_credits_a_grouped_truth(tmp_path, engine):
    """A case whose OMIM truth has an ORPHA twin ranks no worse with entities."""
    from helpers import make_phenopacket

    from triage.benchmark.phenotype import run_benchmark

    src = tmp_path / "pp" / "HTT"
    src.mkdir(parents=True)
    make_phenopacket(src / "a.json", "a", ["HP:0002072", "HP:0000726", "HP:0000716"], "OMIM:143100", "HTT")
    grouped = run_benchmark(src.parent, tmp_path / "g", engine, progress=False, pheval=False)
    plain = run_benchmark(src.parent, tmp_path / "p", engine, progress=False, pheval=False,
                          group_diseases=False)
    assert grouped["disease"]["mrr"] >= plain["disease"]["mrr"] > 0
    assert grouped["disease_entities"] and plain["disease_entities"] is None

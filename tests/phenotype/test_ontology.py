"""Ontology loading, id mapping, ancestors, cache."""

from __future__ import annotations

import pytest

from triage.errors import MalformedTermError, ObsoleteTermError, UnknownTermError
from triage.phenotype.knowledge import load_knowledge


def test_vendored_release_loads(engine):
    kb = engine.kb
    assert kb.ontology.version == "2025-01-16"
    assert kb.annotations.version == "2025-01-16"
    assert len(kb.ontology) > 18000
    assert kb.annotations.n_diseases > 12000
    assert kb.annotations.n_genes > 5000
    assert engine.data_versions["hpo"] == "2025-01-16"


def test_primary_alt_and_obsolete_ids(engine):
    o = engine.kb.ontology
    assert o.resolve("HP:0001250") == "HP:0001250"
    assert o.label("HP:0001250") == "Seizure"
    # HP:0000284 is an alternative/obsolete id of "Abnormality of the orbital region"
    assert o.resolve("HP:0000284") == "HP:0000315"
    with pytest.raises(ObsoleteTermError) as exc:
        o.resolve("HP:0003295")  # obsolete, no replacement (consider HP:0030339)
    assert "HP:0003295" in str(exc.value) and "HP:0030339" in str(exc.value)
    with pytest.raises(UnknownTermError) as exc:
        o.resolve("HP:9999999")
    assert exc.value.term_id == "HP:9999999"
    with pytest.raises(MalformedTermError):
        o.resolve("seizure")
    assert o.resolve(" HP_0001250 ") == "HP:0001250"


def test_ancestors_and_redundancy(engine):
    o = engine.kb.ontology
    assert o.ancestors("HP:0001250") == {"HP:0000001", "HP:0000118", "HP:0000707", "HP:0012638", "HP:0001250"}
    seizure, nervous = o.idx("HP:0001250"), o.idx("HP:0000707")
    assert o.is_ancestor(nervous, seizure) and not o.is_ancestor(seizure, nervous)
    assert o.remove_redundant([nervous, seizure]) == [seizure]


def test_search_labels_synonyms_ids(engine):
    o = engine.kb.ontology
    hits = o.search("brachydac", 5)
    assert hits[0][0] == "HP:0001156"
    assert o.search("HP:0000284")[0][0] == "HP:0000315"
    syn = o.search("Brachydactyly type D", 3)
    assert syn[0][0] == "HP:0005627" and syn[0][2] == "Brachydactyly type D"
    assert o.search("   ") == []


def test_information_content_is_monotone(engine):
    o, ic = engine.kb.ontology, engine.mats.ic
    # a term is never more informative than its descendant
    for child in ("HP:0001250", "HP:0001156", "HP:0011304"):
        c = o.idx(child)
        for a in o.ancestors_idx(c):
            assert ic[a] <= ic[c] + 1e-12


def test_cache_round_trip_and_reuse(tmp_path, monkeypatch, mini_kb):
    from triage.phenotype import knowledge

    MINI_HPO = knowledge.REPO_ROOT / "tests" / "data" / "mini_hpo"

    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path))
    kb1 = load_knowledge(MINI_HPO)
    files = list(tmp_path.glob("hpo-*.npz"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr(knowledge, "build_knowledge", lambda d: calls.append(d))
    kb2 = load_knowledge(MINI_HPO)  # must come from the cache, not a rebuild
    assert calls == []
    assert kb2.ontology.ids == kb1.ontology.ids
    # a corrupt cache is ignored and rebuilt
    files[0].write_bytes(b"not a columnar file")
    monkeypatch.setattr(knowledge, "build_knowledge", lambda d: kb1)
    assert load_knowledge(MINI_HPO).ontology.ids == kb1.ontology.ids
    monkeypatch.setattr(knowledge, "build_knowledge", lambda d: calls.append(d))
    assert load_knowledge(MINI_HPO).ontology.ids == kb1.ontology.ids and calls == []  # rewritten


def test_other_release_directory(tmp_path, mini_kb):
    from triage.errors import DataError

    with pytest.raises(DataError):
        load_knowledge(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="hp.obo"):
        load_knowledge(tmp_path / "empty")
    assert mini_kb.ontology.version == "2099-01-01"
    assert mini_kb.ontology.resolve("HP:0000098") == "HP:0000011"  # alt_id
    assert mini_kb.ontology.resolve("HP:0000099") == "HP:0000011"  # replaced_by

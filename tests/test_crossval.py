"""Cohort-grouped cross-validation, the feature store, by_knowledge and the new scorers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import hypergeom
from tests_helpers import make_phenopacket

from triage.benchmark.crossval import (
    ScorerFit,
    build_store,
    cohort_folds,
    cross_validate,
    fit_conditional_logit,
    fit_topk_linear,
    lr_weights,
    score_linear,
)
from triage.benchmark.phenotype import knowledge_class, run_benchmark
from triage.errors import TriageError
from triage.phenotype.scoring.combined import FEATURES, LN10, FeatureModel, load_weights
from triage.phenotype.scoring.hypergeom import log10_sf


# ----------------------------------------------------------------------- folds
def test_cohort_folds_never_split_a_cohort_and_balance_cases():
    cohorts = ["big"] * 40 + [f"c{i}" for i in range(30) for _ in range(i % 4 + 1)]
    folds = cohort_folds(cohorts, 5, seed=3)
    by = {}
    for c, f in zip(cohorts, folds):
        by.setdefault(c, set()).add(int(f))
    assert all(len(v) == 1 for v in by.values())  # a cohort sits in one fold
    sizes = np.bincount(folds, minlength=5)
    assert sizes.min() > 0 and sizes.max() == 40  # the big cohort alone in its fold
    assert (cohort_folds(cohorts, 5, seed=3) == folds).all()  # seeded
    assert not (cohort_folds(cohorts, 5, seed=4) == folds).all()
    with pytest.raises(TriageError):
        cohort_folds(cohorts, 1)
    with pytest.raises(TriageError):
        cohort_folds(["a", "b"], 3)


def test_cross_validate_fits_on_other_folds_only():
    """The fit never sees a held-out case: a 'memorising' fit scores 0 out of fold."""

    class Store:
        n = 12
        cohorts = np.array([f"c{i // 2}" for i in range(12)])
        gene_annotated = np.ones(12, dtype=bool)
        knowledge = np.array(["known"] * 12)

    from triage.benchmark.crossval import Ranks

    def fit(train):
        return set(train.tolist())

    def score(seen, idx):
        r = np.array([1.0 if i in seen else 0.0 for i in idx])
        return Ranks(disease=r, gene=r.copy())

    out = cross_validate(Store(), fit, score, k=3, seed=0, describe=sorted)
    assert out["in_sample"]["disease"]["top1"] == 1.0
    assert out["cv"]["disease"]["top1"]["mean"] == 0.0 and len(out["cv"]["disease"]["top1"]["folds"]) == 3
    assert sum(out["fold_cases"]) == 12 and out["cv"]["disease"]["evaluated"] == 12


# ---------------------------------------------------------------- hypergeometric
@pytest.mark.parametrize("M,b,n", [(19000, 40, 12), (500, 300, 40), (19000, 3000, 60), (50, 3, 5)])
def test_log10_sf_matches_scipy(M, b, n):
    k = np.arange(0, min(b, n) + 2)
    ours = log10_sf(k, M, np.full(len(k), b), n)
    ref = np.where(k > 0, hypergeom.logsf(k - 1, M, b, n) / np.log(10), 0.0)
    ref = np.where(k > min(b, n), 0.0, ref)  # impossible overlaps are scored 0 (never occur)
    assert ours == pytest.approx(ref, abs=1e-6)


def test_hypergeom_scorer_ranks_by_overlap(mini_kb):
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.scoring import ModelParams

    mini_engine = PhenotypeEngine(mini_kb, ModelParams(), {})
    res = mini_engine.score(mini_engine.resolve(["HP:0000011"]), "hypergeom")
    ids = mini_engine.kb.annotations.disease_ids
    d1 = ids.index("OMIM:000001")
    assert res.disease_scores[d1] == max(res.disease_scores) and res.disease_scores[d1] > 0
    assert res.posterior is None
    q = mini_engine.resolve(["HP:0000011"])
    (m,) = mini_engine.scorer("hypergeom").explain(d1, q.observed_idx, [])
    assert m.kind == "exact" and m.value == 1.0  # the term is in the overlap


def test_resnik_fast_kernel_equals_reference(engine):
    sc = engine.scorer("resnik")
    for h in (5, 1000, engine.kb.ontology.index["HP:0001250"], engine.kb.ontology.index["HP:0000118"]):
        assert sc._term_sim(h) == pytest.approx(sc._term_sim_reference(h), abs=1e-5)


# ---------------------------------------------------------------- combined scorer
def test_lr_is_a_linear_form_of_the_features(engine):
    """lr_weights() . features == the LR scorer's score (ln units), term for term."""
    fm = FeatureModel(engine.kb, engine.mats)
    q = engine.resolve(["HP:0001250", "HP:0001263", "HP:0000252"], ["HP:0001631"])
    X = fm.features(q.observed_idx, q.excluded_idx)
    lr = engine.score(q, "lr").disease_scores
    assert lr_weights() @ X / LN10 == pytest.approx(lr, abs=1e-4)


def test_combined_scorer_uses_the_weights_file(engine, tmp_path):
    data = load_weights()
    assert set(data["weights"]) <= set(FEATURES)
    q = engine.resolve(["HP:0001250", "HP:0001263"])
    res = engine.score(q, "combined")
    assert res.posterior.sum() == pytest.approx(1.0)
    assert 0 < res.gene_posterior.sum() <= 1.0 + 1e-9  # diseases without a gene keep the rest
    # a weights file equal to the LR model ranks exactly as lr
    f = tmp_path / "w.json"
    f.write_text(json.dumps({"weights": dict(zip(FEATURES, lr_weights().tolist()))}))
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.scoring.config import PhenotypeModel

    eng2 = PhenotypeEngine(engine.kb, engine.params, {"combined": {"weights": str(f)}})
    assert PhenotypeModel.from_dict({"combined": {"weights": str(f)}}).scorer_kwargs("combined")
    a = eng2.score(q, "combined").disease_scores
    b = engine.score(q, "lr").disease_scores
    assert np.argsort(-a)[:20].tolist() == np.argsort(-b)[:20].tolist()


def test_bad_weights_file_is_a_config_error(tmp_path):
    from triage.errors import ConfigError

    f = tmp_path / "w.json"
    f.write_text(json.dumps({"weights": {"no_such_feature": 1}}))
    with pytest.raises(ConfigError, match="feature names"):
        load_weights(f)
    with pytest.raises(ConfigError):
        load_weights(tmp_path / "missing.json")
    # not a JSON object, or a weight that is not a number: the same error, never a traceback
    for bad in ([1, 2], {"weights": {"resnik": "high"}}, {"weights": {"resnik": True}}):
        f.write_text(json.dumps(bad))
        with pytest.raises(ConfigError, match="feature names"):
            load_weights(f)


# -------------------------------------------------------------------- fitting
def _toy_pools(seed=0, m=300, P=30):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, P, len(FEATURES)))
    true_w = np.zeros(len(FEATURES))
    true_w[0], true_w[5] = 2.0, 1.0
    s = X @ true_w + rng.gumbel(size=(m, P))
    truth = np.zeros((m, P), dtype=bool)
    truth[np.arange(m), s.argmax(axis=1)] = True
    return X, np.ones((m, P), dtype=bool), truth, true_w


def test_conditional_logit_recovers_weights():
    X, valid, truth, true_w = _toy_pools()
    w = fit_conditional_logit(X, valid, truth, l2=0.0, w0=np.zeros(len(FEATURES)))
    assert w[0] / w[5] == pytest.approx(2.0, rel=0.3)
    assert abs(w[1]) < 0.4


def test_topk_search_improves_the_objective_and_keeps_fixed_weights():
    X, valid, truth, true_w = _toy_pools(1)
    w0 = np.zeros(len(FEATURES))
    w0[0] = 2.0
    w, obj = fit_topk_linear(X, valid, truth, w0, free=[5])
    assert w[0] == 2.0 and w[5] > 0
    assert all(w[f] == 0 for f in range(1, 5))


# ------------------------------------------------------------------ by_knowledge
def test_knowledge_class(engine):
    ann = engine.kb.annotations
    assert knowledge_class(["FGFR2"], ["OMIM:101600"], ann) == "known"
    assert knowledge_class(["FGFR2"], ["OMIM:999999"], ann) == "disease_newer"
    assert knowledge_class(["FGFR2"], ["OMIM:143100"], ann) == "disease_newer"  # HD is not FGFR2's
    assert knowledge_class(["NOTAGENE1"], ["OMIM:101600"], ann) == "gene_unannotated"
    assert knowledge_class(["NOTAGENE1", "FGFR2"], ["OMIM:101600"], ann) == "known"
    assert knowledge_class([], [], ann) == "gene_unannotated"


# ------------------------------------------------------ store + CLI integration
def _cases(src):
    terms = {
        "FGFR2": (["HP:0001363", "HP:0011304", "HP:0010055"], "OMIM:101600"),
        "HTT": (["HP:0002072", "HP:0000726", "HP:0000716"], "OMIM:143100"),
        "FBN1": (["HP:0001166", "HP:0001083", "HP:0002616"], "OMIM:154700"),
    }
    for gene, (obs, dis) in terms.items():
        (src / gene).mkdir(parents=True, exist_ok=True)
        for i in range(3):
            make_phenopacket(src / gene / f"{gene}_{i}.json", f"{gene}_{i}", obs[: 3 - (i % 2)], dis, gene)
    (src / "NEW").mkdir()
    make_phenopacket(src / "NEW" / "n.json", "n", ["HP:0001363"], "OMIM:999999", "NOTAGENE1")


def test_store_reproduces_the_engine_and_folds_cli(tmp_path, engine, capsys):
    src = tmp_path / "pp"
    _cases(src)
    store = build_store(src, engine, tmp_path / "cache", progress=False)
    assert store.n == 10 and store.X.shape == (10, len(FEATURES), engine.kb.annotations.n_diseases)
    assert list(store.knowledge).count("gene_unannotated") == 1
    # the store's LR ranks are the benchmark's ranks
    s = run_benchmark(src, tmp_path / "out", engine, progress=False, group_diseases=False, pheval=False)
    r = score_linear(store, lr_weights(), np.arange(store.n), G=engine.mats.G)
    ranks = {row.split("\t")[0]: row.split("\t") for row in
             (tmp_path / "out" / "ranks.tsv").read_text().splitlines()[1:]}
    for i, cid in enumerate(store.case_ids):
        d = ranks[cid][5]
        assert (np.isnan(r.disease[i]) and d == "NA") or float(d) == pytest.approx(r.disease[i])
        assert float(ranks[cid][3]) == pytest.approx(r.gene[i])
    assert s["by_knowledge"]["gene_unannotated"]["evaluated"] == 1
    assert s["by_knowledge"]["known"]["evaluated"] == 9
    # cached: the second call reads the same directory
    assert build_store(src, engine, tmp_path / "cache", progress=False).directory == store.directory
    sf = ScorerFit(store, engine, "lr")
    fitted = sf.fit(np.arange(store.n))
    assert set(fitted.params) == {"size_exponent", "cohort_weight"}
    from triage.cli.main import main

    out = tmp_path / "cv"
    assert main(["benchmark", "--phenopackets", str(src), "--out", str(out), "--folds", "2",
                 "--feature-cache", str(tmp_path / "cache"), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    cv = summary["crossval"]
    assert cv["folds"] == 2 and cv["cases"] == 10 and cv["cohorts"] == 4
    assert set(cv["cv"]["disease"]["top1"]) == {"mean", "sd", "folds"}
    assert set(cv["in_sample"]) >= {"disease", "gene", "gene_annotated", "by_knowledge", "cohort_macro"}
    assert len(cv["fold_params"]) == 2
    assert summary["disease_entities"]
    assert "crossval" in json.loads(capsys.readouterr().out)
    assert main(["benchmark", "--phenopackets", str(src), "--out", str(out), "--folds", "1"]) == 2

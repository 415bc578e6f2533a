"""The fast scoring kernels give exactly what the plain reference forms give.

``AncestorColumnMax`` (hub vectors + small columns), ``not_closure`` (NOT annotations
pushed down the DAG) and ``dense_block`` (sub-blocks without scipy fancy indexing)
replace slower code in the hot path of every ranking; each is checked here against
the straightforward computation, on the hand-made ontology (with every term a hub, so
that path is exercised) and on a sample of the real HPO release.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from triage.phenotype.scoring import ModelParams, build_matrices
from triage.phenotype.scoring.matrices import (
    AncestorColumnMax,
    column_max,
    dense_block,
    not_closure,
)


def _reference(mats, onto, h, w_anc, f=lambda x: x):
    anc = onto.ancestors_idx(h)
    return f(column_max(mats.W_csc, anc, np.where(anc == h, 1.0, w_anc), mats.n_diseases)).astype(np.float32)


def _log_lr(x):
    return np.clip(np.log10(0.02 + 0.98 * x), -6.0, 6.0)


@pytest.mark.parametrize("hub_min", [1, 2, 10_000])
def test_ancestor_column_max_on_mini_ontology(mini_kb, hub_min):
    mats = build_matrices(mini_kb, ModelParams())
    onto = mini_kb.ontology
    for f in (lambda x: x, _log_lr):
        k = AncestorColumnMax(mats.W_csc, onto.anc_ptr, onto.anc_idx, 0.15, f, hub_min_entries=hub_min)
        for h in range(mats.n_terms):
            assert np.array_equal(k(h), _reference(mats, onto, h, 0.15, f)), onto.ids[h]
    if hub_min == 1:
        assert k._up, "hub path not exercised"


def test_ancestor_column_max_on_real_release(engine):
    mats, onto = engine.mats, engine.kb.ontology
    k = AncestorColumnMax(mats.W_csc, onto.anc_ptr, onto.anc_idx, 0.15, _log_lr, hub_min_entries=512)
    rng = np.random.default_rng(7)
    annotated = np.flatnonzero(np.diff(mats.W_csc.indptr))
    terms = np.concatenate([rng.choice(annotated, 300, replace=False), rng.choice(mats.n_terms, 100)])
    for h in terms.tolist():
        assert np.array_equal(k(h), _reference(mats, onto, h, 0.15, _log_lr)), onto.ids[h]
    assert k._up, "no hub met"


def test_lr_scorer_uses_the_exact_kernel(engine):
    sc = engine.scorer("lr")
    rng = np.random.default_rng(3)
    for h in rng.choice(engine.mats.n_terms, 200, replace=False).tolist():
        ref = np.clip(np.log10(sc._observed_lr(h)), sc.min_log10_lr, sc.max_log10_lr).astype(np.float32)
        ref += sc._log_size
        assert np.array_equal(sc._observed_log_lr(h), ref), engine.kb.ontology.ids[h]


def test_not_closure_pushes_not_annotations_down(mini_kb):
    mats = build_matrices(mini_kb, ModelParams())
    onto = mini_kb.ontology
    C = not_closure(mats.NOT_csr, onto.anc_ptr, onto.anc_idx).toarray()
    d3, a1, a = 2, onto.idx("HP:0000011"), onto.idx("HP:0000010")
    assert C[d3, a1] == 1  # NOT A1: an observed A1 contradicts D3
    assert C[d3, a] == 0  # the parent A does not
    assert C.sum() == 1
    for h in range(mats.n_terms):  # against the scan over ancestors
        anc = onto.ancestors_idx(h)
        ref = column_max(mats.NOT_csc, anc, np.ones(len(anc)), mats.n_diseases) > 0
        assert np.array_equal(C[:, h] > 0, ref)


def test_dense_block_matches_scipy_indexing():
    rng = np.random.default_rng(0)
    for seed in range(100):
        n_rows, n_cols = int(rng.integers(1, 40)), int(rng.integers(1, 50))
        m = sp.random(n_rows, n_cols, density=float(rng.random()), format="csr", random_state=seed)
        rows = rng.integers(0, n_rows, int(rng.integers(0, 8)))
        cols = rng.integers(0, n_cols, int(rng.integers(0, 15)))  # repeats and any order
        got = dense_block(m, rows, cols)
        want = m[rows][:, cols].toarray() if len(rows) and len(cols) else np.zeros((len(rows), len(cols)))
        assert got.shape == want.shape and np.array_equal(got, want)

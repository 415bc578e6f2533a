"""Sparse matrices shared by the phenotype scorers (pure numpy / scipy.sparse).

Notation: D diseases, T ontology terms.

* ``F`` (D x T): P(term | disease) for directly annotated terms, from hpoa frequencies.
* ``P`` (D x T): propagated probability that the disease shows the term *or a
  descendant of it* (an observation of a child implies the parent). Default
  propagation takes the max over descendants; ``noisy_or`` combines them.
* ``bg`` (T): background frequency of a term across diseases = mean of P's column,
  i.e. P(term) for a patient drawn from a uniformly chosen disease.
* ``ic`` (T): information content, -ln(fraction of diseases annotated to the term
  or a descendant); used by the Resnik scorer.
* ``W = P / bg`` (CSC): the likelihood ratio of a term given the disease, the
  kernel of the LR scorer.
* ``NOT`` (CSC, binary): explicit NOT annotations (disease known to lack the term).
* ``G`` (D x genes, CSR): 1/|genes(d)| for each disease-gene pair, so that gene
  posteriors are a proper marginal of disease posteriors.

Everything is built from plain arrays so the same code runs inside a Hail/Spark
job (the matrices can be broadcast).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from triage.arrays import AnyArray, Float32Array, FloatArray, IntArray
from triage.phenotype.hpo_annotations import FREQ_NONE, FREQ_RATIO, Annotations
from triage.phenotype.knowledge import Knowledge


@dataclass(frozen=True)
class ModelParams:
    """Hyper-parameters of the annotation model (global, never per case or cohort)."""

    missing_frequency: float = 0.6  # P(term|disease) when hpoa gives no frequency
    ratio_alpha: float = 1.0  # Beta prior for n/m counts: (n + a) / (m + a + b)
    ratio_beta: float = 1.0
    min_frequency: float = 0.02  # floor on any annotated frequency
    propagation: str = "max"  # "max" or "noisy_or"
    # pool the annotations of equivalent ORPHA/OMIM entries (triage.phenotype.entities):
    # every member of a disease entity is scored on the entity's union of features
    entities: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ModelMatrices:
    params: ModelParams
    F: sp.csr_matrix
    P_csc: sp.csc_matrix
    P_csr: sp.csr_matrix
    S_csr: sp.csr_matrix  # 1 + best direct annotation below each propagated term
    W_csc: sp.csc_matrix
    W_csr: sp.csr_matrix
    NOT_csc: sp.csc_matrix
    NOT_csr: sp.csr_matrix
    IC_csc: sp.csc_matrix  # IC(a) where P[d,a] > 0
    IC_csr: sp.csr_matrix
    bg: FloatArray
    ic: FloatArray
    G: sp.csr_matrix
    n_diseases: int
    n_terms: int
    # the annotations the matrices were built from (kb.annotations, or with
    # ``entities`` the entity-pooled copy); priors read PMIDs and n/m from here
    annotations: Annotations | None = None


def direct_frequencies(kb: Knowledge, params: ModelParams) -> sp.csr_matrix:
    """Disease x term matrix of P(term | disease) for direct (non-NOT) annotations."""
    ann = kb.annotations
    D, T = ann.n_diseases, len(kb.ontology)
    keep = ~ann.ann_not
    d, t = ann.ann_disease[keep].astype(np.int64), ann.ann_term[keep].astype(np.int64)
    kind, n, m = ann.ann_kind[keep], ann.ann_n[keep].astype(np.float64), ann.ann_m[keep]
    key = d * T + t
    uniq, inv = np.unique(key, return_inverse=True)
    # n/m counts from several publications are pooled before smoothing
    is_ratio = kind == FREQ_RATIO
    num = np.zeros(len(uniq))
    den = np.zeros(len(uniq))
    np.add.at(num, inv[is_ratio], n[is_ratio])
    np.add.at(den, inv[is_ratio], m[is_ratio].astype(np.float64))
    ratio_p = np.where(
        den > 0, (num + params.ratio_alpha) / (den + params.ratio_alpha + params.ratio_beta), -1.0
    )
    val = np.full(len(uniq), -1.0)
    vals = np.where(kind == FREQ_NONE, params.missing_frequency, n)
    np.maximum.at(val, inv[~is_ratio], vals[~is_ratio])
    p = np.maximum(ratio_p, val)
    p = np.clip(p, params.min_frequency, 1.0)
    return sp.csr_matrix((p, (uniq // T, uniq % T)), shape=(D, T))


def propagate(kb: Knowledge, F: sp.csr_matrix, mode: str = "max") -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """P[d, a] = combination over direct terms t of d with a ancestor-or-self of t.

    Also returns S[d, a] = 1 + the direct term t with the highest frequency below a
    (the disease term an explanation names); +1 so that term 0 is not an implicit zero.
    """
    onto = kb.ontology
    D, T = F.shape
    Fc = F.tocoo()
    f_row, f_col, f_val = Fc.row.astype(np.int64), Fc.col.astype(np.int64), Fc.data
    # direct annotations best first (highest frequency, then lowest term id): after a
    # stable grouping by (disease, ancestor) the first entry of each group is its best
    o = np.lexsort((f_col, -f_val))
    f_row, f_col, f_val = f_row[o], f_col[o], f_val[o]
    counts = np.diff(onto.anc_ptr)[f_col]
    n = int(counts.sum())
    if n == 0:
        return sp.csr_matrix((D, T)), sp.csr_matrix((D, T), dtype=np.int64)
    # every (annotation, ancestor) pair in one vectorised step
    ent = np.repeat(np.arange(len(f_row), dtype=np.int64), counts)
    pos = np.repeat(onto.anc_ptr[f_col] - (np.cumsum(counts) - counts), counts)
    pos += np.arange(n, dtype=np.int64)
    key = np.repeat(f_row * T, counts)
    key += onto.anc_idx[pos]
    del pos
    # one sort of (key, annotation rank) packed in an int64 groups the pairs by key, best first
    bits = max(1, len(f_row).bit_length())
    if int(key.max()).bit_length() + bits < 63:
        packed = np.sort((key << bits) | ent)
        key, ent = packed >> bits, packed & ((1 << bits) - 1)
    else:  # pragma: no cover - more than 2**63 (disease, term, annotation) combinations
        order = np.lexsort((ent, key))
        key, ent = key[order], ent[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    uniq = key[first]
    vals = f_val[ent]
    if mode == "max":
        agg = vals[first]
    elif mode == "noisy_or":
        agg = 1.0 - np.exp(np.add.reduceat(np.log1p(-np.minimum(vals, 0.999)), first))
    else:
        raise ValueError(f"unknown propagation mode {mode!r}")
    r, c = uniq // T, uniq % T
    P = sp.csr_matrix((agg, (r, c)), shape=(D, T))
    S = sp.csr_matrix((f_col[ent[first]] + 1, (r, c)), shape=(D, T), dtype=np.int64)
    return P, S


def gene_matrix(kb: Knowledge) -> sp.csr_matrix:
    """G (D x genes): 1/|genes(d)| for every disease-gene pair of the release."""
    ann = kb.annotations
    counts = np.diff(ann.dg_ptr)
    rows = np.repeat(np.arange(ann.n_diseases), counts)
    w = np.repeat(1.0 / np.maximum(counts, 1), counts)
    return sp.csr_matrix((w, (rows, ann.dg_idx)), shape=(ann.n_diseases, ann.n_genes))


def build_matrices(kb: Knowledge, params: ModelParams | None = None) -> ModelMatrices:
    """Every matrix the scorers need, built once per release and parameter set."""
    params = params or ModelParams()
    if params.entities:
        from dataclasses import replace

        from triage.phenotype.entities import disease_groups, merge_entity_annotations

        kb = replace(kb, annotations=merge_entity_annotations(kb.annotations, disease_groups(kb)))
    D, T = kb.annotations.n_diseases, len(kb.ontology)
    F = direct_frequencies(kb, params)
    P, S = propagate(kb, F, params.propagation)
    bg = np.asarray(P.sum(axis=0)).ravel() / D
    present = np.asarray((P > 0).sum(axis=0)).ravel()
    with np.errstate(divide="ignore"):
        ic = np.where(present > 0, -np.log(np.maximum(present, 1) / D), 0.0)
    P_csc = P.tocsc()
    W = P_csc.copy()
    W.data = W.data / bg[_col_of(W)]
    IC = P_csc.copy()
    IC.data = ic[_col_of(IC)]
    ann = kb.annotations
    notmask = ann.ann_not
    NOT = sp.csc_matrix(
        (np.ones(notmask.sum()), (ann.ann_disease[notmask], ann.ann_term[notmask])), shape=(D, T)
    )
    NOT.data[:] = 1.0
    return ModelMatrices(
        params=params, F=F, P_csc=P_csc, P_csr=P.tocsr(), S_csr=S, W_csc=W, W_csr=W.tocsr(), NOT_csc=NOT,
        NOT_csr=NOT.tocsr(), IC_csc=IC, IC_csr=IC.tocsr(), bg=bg, ic=ic,
        G=gene_matrix(kb), n_diseases=D, n_terms=T, annotations=kb.annotations,
    )


def _col_of(m: sp.csc_matrix) -> IntArray:
    """Column index of every stored element of a CSC matrix."""
    return np.repeat(np.arange(m.shape[1]), np.diff(m.indptr))


def row_lookup(m: sp.csr_matrix, row: int, cols: IntArray) -> AnyArray:
    """Values m[row, cols] (0 where absent) for a CSR matrix with sorted indices."""
    s, e = m.indptr[row], m.indptr[row + 1]
    rc = m.indices[s:e]
    out: AnyArray = np.zeros(len(cols), dtype=m.dtype)
    if e == s:
        return out
    pos = np.minimum(np.searchsorted(rc, cols), e - s - 1)
    hit = rc[pos] == cols
    out[hit] = m.data[s:e][pos[hit]]
    return out


def not_closure(NOT: sp.csr_matrix, anc_ptr: IntArray, anc_idx: IntArray) -> sp.csc_matrix:
    """C[d, h] = 1 where disease d has a NOT annotation at h or at an ancestor of h (CSC).

    An observed h then contradicts d (the patient has every ancestor of h); one column
    lookup replaces a scan over the ancestors of h.
    """
    D, T = NOT.shape
    not_terms = np.unique(NOT.indices)
    counts = np.diff(anc_ptr)
    term_of = np.repeat(np.arange(T), counts)
    sel = np.isin(anc_idx, not_terms)
    # A[a, h] = 1 when a (a NOT-annotated term) is a reflexive ancestor of h
    A = sp.csr_matrix((np.ones(int(sel.sum())), (anc_idx[sel], term_of[sel])), shape=(T, T))
    C = (NOT.astype(np.float64) @ A).tocsc()
    C.data[:] = 1.0
    C.sort_indices()
    return C


def dense_block(m: sp.csr_matrix, rows: IntArray | list[int], cols: IntArray) -> AnyArray:
    """Dense ``m[rows][:, cols]`` (0 where absent) for a CSR matrix, in plain numpy.

    Same values as scipy's fancy indexing, without its per-call overhead (the
    explanations of one result take about ten such blocks of ~40 rows). ``cols`` may
    repeat and be unsorted.
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    out: AnyArray = np.zeros((len(rows), len(cols)), dtype=m.dtype)
    if not len(rows) or not len(cols):
        return out
    ucols, inv = np.unique(cols, return_inverse=True)
    starts = m.indptr[rows]
    counts = m.indptr[rows + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return out
    # positions of every stored element of the selected rows, and their row numbers
    row_of = np.repeat(np.arange(len(rows)), counts)
    pos = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(starts, counts)
    c = m.indices[pos]
    j = np.searchsorted(ucols, c)
    np.minimum(j, len(ucols) - 1, out=j)
    hit = ucols[j] == c
    block: AnyArray = np.zeros((len(rows), len(ucols)), dtype=m.dtype)
    block[row_of[hit], j[hit]] = m.data[pos[hit]]
    return block[:, inv.ravel()]


def column_max(m: sp.csc_matrix, cols: IntArray, weights: FloatArray, n_rows: int,
               out: FloatArray | None = None) -> FloatArray:
    """out[r] = max over c in cols of weights[c] * m[r, c] (0 where no entry).

    The kernel of both scorers: for one query term, ``cols`` are its ancestors.
    """
    if out is None:
        out = np.zeros(n_rows)
    indptr, indices, data = m.indptr, m.indices, m.data
    for c, w in zip(cols, weights):
        s, e = indptr[c], indptr[c + 1]
        if s == e:
            continue
        r = indices[s:e]
        out[r] = np.maximum(out[r], data[s:e] * w)
    return out


def _identity(x: FloatArray) -> FloatArray:
    return x


class AncestorColumnMax:
    """``f(max(m[r, h], w_anc * max over proper ancestors a of h of m[r, a]))`` for all r.

    The per-term kernel of both scorers (LR: ``f`` = clipped log10 of the LR; Resnik:
    identity), faster than :func:`column_max` over all ancestors. ``f`` must be
    monotone non-decreasing and vectorised, so it commutes with the max. ``m`` is
    propagated (a disease annotated below a term has an entry at the term), so columns
    grow towards the root: a few hundred "hub" terms near the top hold thousands of
    entries each and dominated the cost. For a hub ``p`` the dense vector
    ``f(w_anc * max over reflexive ancestors of p of m[:, p])`` is built once (lazily,
    float32, ~50 KB); a query term then needs only its own column, the small columns of
    its non-hub ancestors and the vectors of its lowest hub ancestors. Exact: the same
    values as ``f`` of :func:`column_max` (tested).
    """

    def __init__(self, m: sp.csc_matrix, anc_ptr: IntArray, anc_idx: IntArray, w_anc: float,
                 f: Callable[[FloatArray], FloatArray] | None = None,
                 hub_min_entries: int = 256) -> None:
        self.m = m
        self.n_rows = m.shape[0]
        self.anc_ptr, self.anc_idx = anc_ptr, anc_idx
        self.w_anc = w_anc
        self.f: Callable[[FloatArray], FloatArray] = f if f is not None else _identity
        self.is_hub = np.diff(m.indptr) >= hub_min_entries
        self.floor = np.float32(self.f(np.zeros(1))[0])
        self._up: dict[int, Float32Array] = {}

    def _ancestors(self, t: int) -> IntArray:
        return self.anc_idx[self.anc_ptr[t] : self.anc_ptr[t + 1]]

    def _hub_up(self, p: int) -> Float32Array:
        v = self._up.get(p)
        if v is None:
            anc = self._ancestors(p)
            v = self.f(self.w_anc * column_max(self.m, anc, np.ones(len(anc)), self.n_rows)).astype(np.float32)
            v.setflags(write=False)
            self._up[p] = v
        return v

    def __call__(self, h: int) -> Float32Array:
        indptr, indices, data = self.m.indptr, self.m.indices, self.m.data
        anc = self._ancestors(h)
        proper = anc[anc != h]
        hub = self.is_hub[proper]
        hubs = proper[hub].tolist()
        # a dense max costs ~1 us: cheaper to take every hub ancestor than to find the lowest
        out: Float32Array
        if hubs:
            out = self._hub_up(hubs[0]).copy()
            for p in hubs[1:]:
                np.maximum(out, self._hub_up(p), out=out)
        else:
            out = np.full(self.n_rows, self.floor, dtype=np.float32)
        # every remaining stored entry: the small ancestor columns, then the term's own
        cols = np.append(proper[~hub], h)
        starts = indptr[cols]
        counts = indptr[cols + 1] - starts
        total = int(counts.sum())
        if total:
            idx = np.arange(total) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
            w = np.full(total, self.w_anc)
            if counts[-1]:
                w[-counts[-1]:] = 1.0
            vals = self.f(data[idx] * w).astype(np.float32)
            np.maximum.at(out, indices[idx], vals)
        return out

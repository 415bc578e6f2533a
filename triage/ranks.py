"""Ranking helpers shared by every ranked list (kernel: numpy only).

Conventions, the same everywhere a list is ranked:

* order: score descending, then candidate id ascending, so output is reproducible;
  ``-inf`` marks a candidate that is not ranked (excluded, or no evidence at all);
* reported ranks are competition ranks ("1224"): tied scores share the best rank;
* benchmark ranks are mean ranks of the tie group, so a tie is never a free win.
"""

from __future__ import annotations

import numpy as np

from triage.arrays import AnyArray, FloatArray, IntArray


def competition_ranks(scores: FloatArray, order: IntArray) -> IntArray:
    """1-based ranks for ``scores`` visited in ``order`` (descending); ties share the best rank."""
    s = scores[order]
    ranks = np.empty(len(order), dtype=np.int64)
    if len(order) == 0:
        return ranks
    new_group = np.empty(len(order), dtype=bool)
    new_group[0] = True
    new_group[1:] = s[1:] != s[:-1]
    pos = np.arange(1, len(order) + 1)
    ranks[:] = np.maximum.accumulate(np.where(new_group, pos, 0))
    return ranks


def mean_rank_of(scores: FloatArray, idx: int) -> float:
    """Rank of element ``idx`` with ties sharing the mean rank (benchmark convention)."""
    v = scores[idx]
    if not np.isfinite(v):
        return 0.0
    better = int(np.sum(scores > v))
    tied = int(np.sum(scores == v))
    return better + (tied + 1) / 2.0


def sort_order(scores: FloatArray, ids: list[str] | AnyArray) -> IntArray:
    """Indices by score descending, then id ascending; -inf (excluded candidates) dropped.

    ``ids`` may be the id strings or, faster, precomputed integer id ranks.
    """
    finite = np.flatnonzero(np.isfinite(scores))
    if isinstance(ids, np.ndarray) and ids.dtype.kind in "iu":
        keys = ids[finite]
    else:
        keys = np.array(ids, dtype=object)[finite]
    order = np.lexsort((keys, -scores[finite]))
    return finite[order]


def top_order(scores: FloatArray, keys: AnyArray, k: int) -> tuple[IntArray, int]:
    """The first ``k`` indices of ``sort_order`` (all when k <= 0) and the number of finite scores.

    Partial selection: only candidates scoring at least the k-th best value are sorted,
    so ties at the boundary are kept in id order exactly as a full sort would.
    """
    finite = np.isfinite(scores)
    n = int(finite.sum())
    if k <= 0 or k >= n:
        return sort_order(scores, keys), n
    vals = np.where(finite, scores, -np.inf)
    kth = np.partition(vals, len(vals) - k)[len(vals) - k]
    cand = np.flatnonzero(vals >= kth)
    order = cand[np.lexsort((keys[cand], -vals[cand]))]
    return order[:k], n


def id_ranks(ids: list[str]) -> IntArray:
    """Position of every id in sorted order (an integer tie-break key for sort_order)."""
    r = np.empty(len(ids), dtype=np.int64)
    r[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    return r

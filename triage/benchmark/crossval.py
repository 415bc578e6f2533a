"""Cohort-grouped cross-validation of phenotype model choices.

Every fitted choice (a combiner's weights, a prior's exponent, the breadth exponent)
is fitted on K-1 folds and scored on the held-out fold; folds split **cohorts** (the
folder of a phenopacket: one gene or disease), never the cases of one cohort. The
reported figure is the mean over held-out folds with its spread (sd over folds),
beside the in-sample figure (fitted and scored on all cases).

The harness is generic: :func:`cross_validate` takes a ``fit(train_idx) -> params``
and a ``score(params, idx) -> Ranks`` function. For the phenotype scorers it runs on
a :class:`FeatureStore`: every case's feature matrix (the combined scorer's
:data:`~triage.phenotype.scoring.combined.FEATURES` for every disease) computed once
with the engine's own code and cached on disk, so a fit or a score is a matrix
product instead of a benchmark run (the LR model is a linear form of the same
features: :func:`lr_weights`). :data:`FITTERS` holds the fit of each scorer name.

Fitting uses a candidate pool per case (the top :data:`POOL` diseases of each base
model, plus the truth), scoring always ranks all diseases.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.benchmark.phenotype import (
    KNOWLEDGE_CLASSES,
    TOPS,
    knowledge_class,
    select_cases,
)
from triage.errors import NoUsableTermsError, PhenopacketError, TriageError
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.phenopacket import find_phenopackets, read_phenopacket
from triage.phenotype.scoring.combined import FEATURES, LN10, FeatureModel

log = logging.getLogger(__name__)
STORE_VERSION = "1"
POOL = 200  # candidates per base model in a case's fitting pool
F_LR, F_BREADTH, F_EXC, F_PMID, F_COHORT, F_HG, F_RESNIK = range(len(FEATURES))


# ------------------------------------------------------------------------ folds
def cohort_folds(cohorts: Sequence[str], k: int, seed: int = 0) -> np.ndarray:
    """Fold number (0..k-1) of every case; all cases of a cohort share a fold.

    Cohorts are shuffled with ``seed``, then dealt largest first to the fold with the
    fewest cases so far, so folds have similar sizes even with one 462-case cohort.
    """
    if k < 2:
        raise TriageError(f"--folds needs at least 2 folds, got {k}")
    names = sorted(set(cohorts))
    if len(names) < k:
        raise TriageError(f"{len(names)} cohorts cannot make {k} folds")
    sizes = dict.fromkeys(names, 0)
    for c in cohorts:
        sizes[c] += 1
    rng = np.random.default_rng(seed)
    order = [names[i] for i in rng.permutation(len(names))]
    order.sort(key=lambda c: -sizes[c])  # stable: ties keep the shuffled order
    load = np.zeros(k, dtype=np.int64)
    fold_of: dict[str, int] = {}
    for c in order:
        f = int(np.argmin(load))
        fold_of[c] = f
        load[f] += sizes[c]
    return np.array([fold_of[c] for c in cohorts], dtype=np.int64)


# ------------------------------------------------------------------ rank summaries
@dataclass
class Ranks:
    """Per-case ranks of one scoring (NaN = track not evaluated, 0 = miss)."""

    disease: np.ndarray
    gene: np.ndarray


def _block(r: np.ndarray) -> dict:
    r = r[~np.isnan(r)]
    n = len(r)
    out: dict = {"evaluated": n}
    hit = r > 0
    for k in TOPS:
        out[f"top{k}"] = round(float(np.mean(hit & (r <= k))), 4) if n else 0.0
    out["mrr"] = round(float(np.mean(np.where(hit, 1.0 / np.where(hit, r, 1.0), 0.0))), 4) if n else 0.0
    return out


def _macro(r: np.ndarray, cohorts: np.ndarray) -> dict:
    ok = ~np.isnan(r)
    out: dict = {"cohorts": int(len(set(cohorts[ok].tolist())))}
    for k in TOPS:
        fr = [float(np.mean((r[ok & (cohorts == c)] > 0) & (r[ok & (cohorts == c)] <= k)))
              for c in sorted(set(cohorts[ok].tolist()))]
        out[f"top{k}"] = round(float(np.mean(fr)), 4) if fr else 0.0
    return out


def summarise_ranks(ranks: Ranks, store: FeatureStore, idx: np.ndarray) -> dict:
    """The benchmark's blocks (disease, gene, gene_annotated, by_knowledge, cohort_macro)."""
    d, g = ranks.disease, ranks.gene
    ann = store.gene_annotated[idx]
    kn = store.knowledge[idx]
    coh = store.cohorts[idx]
    return {
        "disease": _block(d), "gene": _block(g), "gene_annotated": _block(g[ann]),
        "by_knowledge": {c: _block(g[kn == c]) for c in KNOWLEDGE_CLASSES},
        "cohort_macro": {"disease": _macro(d, coh), "gene": _macro(g, coh)},
    }


def _spread(blocks: list[dict]) -> dict:
    """Mean and sd over folds of every number in nested blocks of the same shape."""
    first = blocks[0]
    out: dict = {}
    for key, v in first.items():
        if isinstance(v, dict):
            out[key] = _spread([b[key] for b in blocks])
        else:
            vals = np.array([b[key] for b in blocks], dtype=float)
            if key in ("evaluated", "cohorts"):
                out[key] = int(vals.sum())
            else:
                out[key] = {"mean": round(float(vals.mean()), 4), "sd": round(float(vals.std(ddof=1)), 4),
                            "folds": [round(float(x), 4) for x in vals]}
    return out


def cross_validate(store: FeatureStore, fit: Callable[[np.ndarray], Any],
                   score: Callable[[Any, np.ndarray], Ranks], k: int = 5, seed: int = 0,
                   describe: Callable[[Any], Any] | None = None, progress: bool = False) -> dict:
    """Grouped K-fold CV over cohorts: fit on K-1 folds, score the held-out fold.

    Returns ``in_sample`` (fit and score on all cases), ``cv`` (mean / sd / per-fold
    value of every figure over the held-out folds) and the parameters of each fit.
    """
    folds = cohort_folds(list(store.cohorts), k, seed)
    everything = np.arange(store.n)
    blocks, params = [], []
    for f in range(k):
        test, train = everything[folds == f], everything[folds != f]
        p = fit(train)
        blocks.append(summarise_ranks(score(p, test), store, test))
        params.append(describe(p) if describe else p)
        if progress:
            print(f"crossval: fold {f + 1}/{k} done", file=sys.stderr)
    p_all = fit(everything)
    return {
        "folds": k, "seed": seed, "grouping": "cohort (phenopacket folder)",
        "cases": int(store.n), "cohorts": int(len(set(store.cohorts.tolist()))),
        "fold_cases": [int((folds == f).sum()) for f in range(k)],
        "in_sample": summarise_ranks(score(p_all, everything), store, everything),
        "cv": _spread(blocks),
        "fold_params": params,
        "in_sample_params": describe(p_all) if describe else p_all,
    }


# ------------------------------------------------------------------ feature store
@dataclass
class FeatureStore:
    """Feature matrices of benchmark cases, (cases, features, diseases) float32, on disk."""

    directory: Path
    X: np.ndarray  # memmap (n, F, D)
    case_ids: list[str]
    cohorts: np.ndarray  # str, per case
    disease_ptr: np.ndarray  # truth diseases of case i: disease_idx[ptr[i]:ptr[i+1]]
    disease_idx: np.ndarray
    disease_eval: np.ndarray  # bool: the disease track is evaluated (a truth in the release)
    gene_ptr: np.ndarray
    gene_idx: np.ndarray
    gene_eval: np.ndarray  # bool: the case names a causal gene
    gene_annotated: np.ndarray
    knowledge: np.ndarray  # str: knowledge_class
    pool: np.ndarray = field(repr=False)  # (n, P) int32 candidate pool, -1 padded

    @property
    def n(self) -> int:
        return len(self.case_ids)

    def truth_diseases(self, i: int) -> np.ndarray:
        return self.disease_idx[self.disease_ptr[i] : self.disease_ptr[i + 1]]

    def truth_genes(self, i: int) -> np.ndarray:
        return self.gene_idx[self.gene_ptr[i] : self.gene_ptr[i + 1]]


def _store_key(engine: PhenotypeEngine, paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"v": STORE_VERSION, "features": FEATURES, "data": engine.kb.data_versions,
                         "annotation": engine.params.as_dict()}, sort_keys=True, default=str).encode())
    for p in paths:
        st = p.stat()
        h.update(f"{p.relative_to(root)}\t{st.st_size}\t{int(st.st_mtime)}\n".encode())
    return h.hexdigest()[:16]


def build_store(phenopackets: str | Path, engine: PhenotypeEngine, cache_dir: str | Path,
                limit: int | None = None, seed: int = 42, progress: bool = True) -> FeatureStore:
    """Features of every usable case under ``phenopackets`` (cached by content key).

    Cases are read and their terms resolved exactly as the benchmark does (onset as a
    term, unknown terms dropped); unusable cases are left out (the benchmark counts them).
    """
    root = Path(phenopackets)
    paths = select_cases(find_phenopackets(root), limit, seed)
    key = _store_key(engine, paths, root)
    final_dir = Path(cache_dir) / f"features-{key}"
    if (final_dir / "meta.json").exists():
        return load_store(final_dir)
    # built in a private directory and renamed at the end: concurrent runs never share files
    import os

    directory = Path(cache_dir) / f".features-{key}.{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    fm = FeatureModel(engine.kb, engine.mats)
    ann = engine.kb.annotations
    d_index = {d: i for i, d in enumerate(ann.disease_ids)}
    g_index = {g: i for i, g in enumerate(ann.gene_symbols)}
    annotated = set(ann.gene_symbols)
    D, F = ann.n_diseases, len(FEATURES)
    tmp = directory / "X.partial.npy"
    X = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(paths), F, D))
    meta: dict[str, list] = {k: [] for k in ("case_ids", "cohorts", "diseases", "disease_eval", "genes",
                                             "gene_eval", "gene_annotated", "knowledge")}
    pools = []
    try:
        from tqdm import tqdm
        it = tqdm(paths, desc="features", unit="case", disable=not progress, file=sys.stderr)
    except ImportError:  # pragma: no cover
        it = paths
    n = 0
    default_w = lr_weights()
    for p in it:
        cohort = p.parent.name if p.parent != root else ""
        try:
            case = read_phenopacket(p, cohort)
            q = engine.resolve(case.observed + ([case.onset] if case.onset else []), case.excluded,
                               drop_unknown=True)
        except (PhenopacketError, NoUsableTermsError):
            continue
        if not q.observed_idx:
            continue
        x = fm.features(q.observed_idx, q.excluded_idx)
        X[n] = x
        didx = [d_index[d] for d in case.diseases if d in d_index]
        meta["case_ids"].append(case.id)
        meta["cohorts"].append(cohort)
        meta["diseases"].append(didx)
        meta["disease_eval"].append(bool(didx))
        meta["genes"].append([g_index[g] for g in case.genes if g in g_index])
        meta["gene_eval"].append(bool(case.genes))
        meta["gene_annotated"].append(any(g in annotated for g in case.genes))
        meta["knowledge"].append(knowledge_class(case.genes, case.diseases, ann))
        pools.append(_pool(x, default_w, didx))
        n += 1
    X.flush()
    del X
    # shrink to the usable cases: rewrite only when some were dropped
    final = directory / "X.npy"
    src = np.load(tmp, mmap_mode="r")
    if n == src.shape[0]:
        del src
        tmp.rename(final)
    else:
        out = np.lib.format.open_memmap(final, mode="w+", dtype=np.float32, shape=(n, F, D))
        for s in range(0, n, 256):
            out[s : s + 256] = src[s : min(n, s + 256)]
        out.flush()
        del out, src
        tmp.unlink()
    P = max(len(x) for x in pools) if pools else 1
    pool = np.full((n, P), -1, dtype=np.int32)
    for i, x in enumerate(pools):
        pool[i, : len(x)] = x
    np.save(directory / "pool.npy", pool)
    with open(directory / "meta.json", "w") as fh:
        json.dump({"version": STORE_VERSION, "features": FEATURES, "phenopackets": str(root),
                   "limit": limit, "seed": seed, **meta}, fh)
    try:
        directory.rename(final_dir)
    except OSError:  # another run finished the same store first
        import shutil

        shutil.rmtree(directory, ignore_errors=True)
    return load_store(final_dir)


def _pool(x: np.ndarray, w_lr: np.ndarray, truth: list[int]) -> np.ndarray:
    """Candidate pool of one case: top POOL by the LR model, hypergeom and Resnik, plus the truth."""
    parts = [np.asarray(truth, dtype=np.int64)]
    for s in (w_lr @ x, x[F_HG], x[F_RESNIK]):
        parts.append(np.argpartition(-s, POOL)[:POOL])
    return np.unique(np.concatenate(parts)).astype(np.int32)


def load_store(directory: str | Path) -> FeatureStore:
    """Load a feature store written by the benchmark (``meta.json`` + columnar arrays) for
    cross-validation without re-ranking any case.
    """
    directory = Path(directory)
    with open(directory / "meta.json") as fh:
        meta = json.load(fh)
    if meta.get("version") != STORE_VERSION or tuple(meta.get("features", ())) != FEATURES:
        raise TriageError(f"feature store {directory} is of another version; delete it")

    def csr(lists):
        ptr = np.zeros(len(lists) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(x) for x in lists])
        idx = np.array([v for x in lists for v in x], dtype=np.int64)
        return ptr, idx

    dptr, didx = csr(meta["diseases"])
    gptr, gidx = csr(meta["genes"])
    return FeatureStore(
        directory=directory, X=np.load(directory / "X.npy", mmap_mode="r"),
        case_ids=meta["case_ids"], cohorts=np.array(meta["cohorts"]), disease_ptr=dptr,
        disease_idx=didx, disease_eval=np.array(meta["disease_eval"], dtype=bool),
        gene_ptr=gptr, gene_idx=gidx, gene_eval=np.array(meta["gene_eval"], dtype=bool),
        gene_annotated=np.array(meta["gene_annotated"], dtype=bool),
        knowledge=np.array(meta["knowledge"]), pool=np.load(directory / "pool.npy"),
    )


# ---------------------------------------------------------------------- scoring
def lr_weights(size_exponent: float = 0.4, cohort_weight: float = 0.5, prior_weight: float = 1.0,
               prior: str = "literature") -> np.ndarray:
    """The LR scorer as weights of the feature vector (natural-log units)."""
    w = np.zeros(len(FEATURES))
    w[F_LR] = w[F_EXC] = 1.0
    w[F_BREADTH] = size_exponent
    if prior == "literature":
        w[F_PMID] = prior_weight
        w[F_COHORT] = prior_weight * cohort_weight
    return w * LN10


def _mean_rank(scores: np.ndarray, truth: np.ndarray) -> float:
    best = 0.0
    for t in truth:
        v = scores[t]
        if not np.isfinite(v):
            continue
        r = float(np.sum(scores > v)) + (float(np.sum(scores == v)) + 1.0) / 2.0
        best = r if best == 0.0 else min(best, r)
    return best


def score_linear(store: FeatureStore, w: np.ndarray, idx: np.ndarray, G=None, groups=None,
                 gene_mode: str = "posterior", chunk: int = 128) -> Ranks:
    """Exact ranks over all diseases (and genes) of the linear score ``w . x``.

    ``G`` (D x genes, 1/|genes(D)|) gives gene ranks by posterior, as the engine does
    (``gene_mode="max"``: a gene scores as its best disease, as non-probabilistic scorers do);
    ``groups`` (a :class:`~triage.phenotype.entities.DiseaseGroups`) ranks every
    disease entity once (by its best member) and credits any member of the truth's entity.
    """
    idx = np.asarray(idx, dtype=np.int64)
    d_rank = np.full(len(idx), np.nan)
    g_rank = np.full(len(idx), np.nan)
    w32 = np.asarray(w, dtype=np.float64)
    for s in range(0, len(idx), chunk):
        sel = idx[s : s + chunk]
        S = np.einsum("f,cfd->cd", w32, np.asarray(store.X[sel], dtype=np.float64))
        GP = None
        if G is not None and gene_mode == "posterior":
            post = np.exp(S - S.max(axis=1, keepdims=True))
            post /= post.sum(axis=1, keepdims=True)
            GP = np.asarray((G.T @ post.T).T)
            GP = np.where(GP > 0, GP, -np.inf)
        elif G is not None:
            Gc = G.tocsc()
            nonempty = np.flatnonzero(np.diff(Gc.indptr))
            GP = np.full((len(sel), Gc.shape[1]), -np.inf)
            for j in range(len(sel)):
                GP[j, nonempty] = np.maximum.reduceat(S[j][Gc.indices], Gc.indptr[nonempty])
        for j, i in enumerate(sel):
            pos = s + j
            if store.disease_eval[i]:
                truth = store.truth_diseases(i)
                if groups is not None:
                    gs = groups.collapse_scores(S[j])
                    d_rank[pos] = _mean_rank(gs, np.unique(groups.group_of[truth]))
                else:
                    d_rank[pos] = _mean_rank(S[j], truth)
            if GP is not None and store.gene_eval[i]:
                g_rank[pos] = _mean_rank(GP[j], store.truth_genes(i))
    return Ranks(d_rank, g_rank)


# ---------------------------------------------------------------------- fitting
def pool_arrays(store: FeatureStore, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Xp (m, P, F) float64, valid (m, P) bool, is_truth (m, P) bool) for the disease cases of idx."""
    idx = np.asarray([i for i in idx if store.disease_eval[i]], dtype=np.int64)
    P = store.pool.shape[1]
    Xp = np.zeros((len(idx), P, len(FEATURES)))
    valid = np.zeros((len(idx), P), dtype=bool)
    truth = np.zeros((len(idx), P), dtype=bool)
    for j, i in enumerate(idx):
        cand = store.pool[i]
        ok = cand >= 0
        c = cand[ok]
        Xp[j, ok] = np.asarray(store.X[i][:, c], dtype=np.float64).T
        valid[j, ok] = True
        truth[j, ok] = np.isin(c, store.truth_diseases(i))
    return Xp, valid, truth


def fit_conditional_logit(Xp: np.ndarray, valid: np.ndarray, truth: np.ndarray,
                          case_weight: np.ndarray | None = None, l2: float = 1e-3,
                          w0: np.ndarray | None = None, fixed: dict[int, float] | None = None
                          ) -> np.ndarray:
    """Maximum-likelihood weights of ``P(truth) = sum_truth softmax(w . x)`` over each pool.

    ``l2`` penalises the weights (per case, so it does not grow with the training set);
    ``fixed`` pins some weights (feature index -> value).
    """
    from scipy.optimize import minimize

    m, P, F = Xp.shape
    cw = np.ones(m) if case_weight is None else case_weight
    cw = cw / cw.sum()
    fixed = fixed or {}
    free = [f for f in range(F) if f not in fixed]
    base = np.zeros(F)
    for f, v in fixed.items():
        base[f] = v

    def full(v):
        w = base.copy()
        w[free] = v
        return w

    def obj(v):
        w = full(v)
        s = np.where(valid, Xp @ w, -np.inf)
        mx = s.max(axis=1, keepdims=True)
        e = np.exp(s - mx)
        z = e.sum(axis=1)
        et = np.where(truth, e, 0.0)
        zt = et.sum(axis=1)
        ll = np.log(zt) - np.log(z)
        p_all = e / z[:, None]
        p_tr = et / zt[:, None]
        grad = np.einsum("m,mpf->f", cw, (p_tr - p_all)[:, :, None] * Xp)
        f = -float(cw @ ll) + l2 * float(v @ v)
        return f, -grad[free] + 2 * l2 * v

    x0 = (w0 if w0 is not None else lr_weights())[free]
    res = minimize(obj, x0, jac=True, method="L-BFGS-B")
    return full(res.x)


def fit_topk_linear(Xp: np.ndarray, valid: np.ndarray, truth: np.ndarray, w0: np.ndarray,
                    free: Sequence[int], case_weight: np.ndarray | None = None, rounds: int = 6,
                    steps: Sequence[float] = (-1.0, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1.0)
                    ) -> tuple[np.ndarray, float]:
    """Weights maximising disease top-1 + top-10 on the pools, by coordinate search.

    Only the ``free`` weights move (the others, e.g. ``lr_observed``, fix the scale
    of the posterior); each step is a multiple of ln 10 x 1/sd of the feature over the
    pools, halved every round. Deterministic. Returns (weights, objective).
    """
    cw = np.ones(len(Xp)) if case_weight is None else case_weight / case_weight.mean()
    scale = np.array([float(np.std(Xp[..., f][valid])) or 1.0 for f in range(Xp.shape[2])])

    def objective(w):
        s = np.where(valid, Xp @ w, -np.inf)
        st = np.where(truth, s, -np.inf).max(axis=1)
        better = (s > st[:, None]).sum(axis=1)
        tied = ((s == st[:, None]) & valid).sum(axis=1)
        r = better + (tied + 1) / 2.0
        return float(np.mean(cw * (r <= 1)) + np.mean(cw * (r <= 10)))

    w = np.asarray(w0, dtype=np.float64).copy()
    best = objective(w)
    step = LN10
    for _ in range(rounds):
        improved = False
        for f in free:
            for d in steps:
                cand = w.copy()
                cand[f] += d * step / scale[f]
                v = objective(cand)
                if v > best + 1e-9:
                    best, w, improved = v, cand, True
        step /= 2.0
        if not improved and step < LN10 / 16:
            break
    return w, best


def cohort_case_weights(cohorts: np.ndarray, alpha: float) -> np.ndarray:
    """Case weight ``n_cohort ** -alpha`` (alpha 1: every cohort counts the same)."""
    names, inv, counts = np.unique(cohorts, return_inverse=True, return_counts=True)
    return counts[inv].astype(float) ** -alpha


def pool_topk(Xp: np.ndarray, valid: np.ndarray, truth: np.ndarray, w: np.ndarray,
              tops=(1, 10)) -> dict[int, float]:
    """Disease top-k within the pools (mean rank of ties), for grid searches."""
    s = np.where(valid, Xp @ w, -np.inf)
    st = np.where(truth, s, -np.inf).max(axis=1)
    better = (s > st[:, None]).sum(axis=1)
    tied = ((s == st[:, None]) & valid).sum(axis=1)
    r = better + (tied + 1) / 2.0
    return {k: float(np.mean(r <= k)) for k in tops}




# ------------------------------------------------------------- fitters per scorer
#: (size_exponent, cohort_weight) grid of the ``lr`` fit
#: the candidate pool of the disease-evaluated cases (:meth:`ScorerFit.pool`)
_Pool = tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, int], np.ndarray]
LR_GRID = tuple((s, c) for s in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6) for c in (0.0, 0.25, 0.5, 0.75, 1.0))


@dataclass
class Fitted:
    """A fitted choice: weights of the linear score, how genes aggregate, and a description."""

    w: np.ndarray
    gene_mode: str  # "posterior" (sum of P(D)/|genes(D)|) or "max" (best disease)
    params: dict


class ScorerFit:
    """fit/score pair of a named scorer over a feature store (for :func:`cross_validate`)."""

    def __init__(self, store: FeatureStore, engine: PhenotypeEngine, scorer: str,
                 groups=None, weights_spec: dict | None = None):
        self.store, self.engine, self.scorer, self.groups = store, engine, scorer, groups
        self.G = engine.mats.G
        self.spec = weights_spec or {}
        self._pool: _Pool | None = None

    def pool(self) -> _Pool:
        """(Xp, valid, truth, case -> pool row, disease-evaluated cases), built once."""
        if self._pool is None:
            Xp, valid, truth = pool_arrays(self.store, np.arange(self.store.n))
            cases = np.flatnonzero(self.store.disease_eval)
            self._pool = (Xp, valid, truth, {int(c): j for j, c in enumerate(cases)}, cases)
        return self._pool

    def _train_rows(self, train: np.ndarray) -> np.ndarray:
        pos = self.pool()[3]
        return np.array([pos[int(i)] for i in train if int(i) in pos], dtype=np.int64)

    def fit(self, train: np.ndarray) -> Fitted:
        """Fit the scorer's global parameters on the training cases only (one cohort-grouped
        fold's training side): the linear-score weights, the gene aggregation and a description.
        """
        if self.scorer == "lr":
            Xp, valid, truth, _, _ = self.pool()
            rows = self._train_rows(train)
            best: tuple[float, float, float] | None = None
            for s, c in LR_GRID:
                w = lr_weights(s, c)
                tk = pool_topk(Xp[rows], valid[rows], truth[rows], w)
                key = tk[1] + tk[10]
                if best is None or key > best[0] + 1e-12:
                    best = (key, s, c)
            assert best is not None  # LR_GRID is not empty
            _, s, c = best
            return Fitted(lr_weights(s, c), "posterior", {"size_exponent": s, "cohort_weight": c})
        if self.scorer == "combined":
            Xp, valid, truth, _, cases = self.pool()
            rows = self._train_rows(train)
            feats = self.spec.get("features", list(FEATURES))
            fixed = {f: 0.0 for f, name in enumerate(FEATURES) if name not in feats}
            for name, v in (self.spec.get("fixed") or {}).items():
                fixed[FEATURES.index(name)] = float(v)
            cw = cohort_case_weights(self.store.cohorts[cases[rows]], float(self.spec.get("cohort_balance", 0.0)))
            if self.spec.get("objective", "topk") == "likelihood":
                w = fit_conditional_logit(Xp[rows], valid[rows], truth[rows], cw,
                                          l2=float(self.spec.get("l2", 1e-4)), fixed=fixed)
            else:
                w0 = lr_weights()
                for f, v in fixed.items():
                    w0[f] = v
                free = [f for f in range(len(FEATURES)) if f not in fixed]
                w, _ = fit_topk_linear(Xp[rows], valid[rows], truth[rows], w0, free, cw)
            return Fitted(w, "posterior", {f: round(float(x), 4) for f, x in zip(FEATURES, w)})
        # nothing fitted: the scorer's own linear form
        if self.scorer == "hypergeom":
            w = np.zeros(len(FEATURES))
            w[F_HG] = 1.0
            return Fitted(w, "max", {})
        if self.scorer == "resnik":
            w = np.zeros(len(FEATURES))
            w[F_RESNIK] = 1.0
            return Fitted(w, "max", {})
        raise TriageError(f"--folds: no cross-validation fit for scorer {self.scorer!r}")

    def score(self, fitted: Fitted, idx: np.ndarray) -> Ranks:
        return score_linear(self.store, fitted.w, idx, G=self.G, groups=self.groups,
                            gene_mode=fitted.gene_mode)


def run_crossval(phenopackets, engine: PhenotypeEngine, scorer: str, k: int, seed: int,
                 cache_dir: str | Path, limit: int | None = None, groups=None,
                 progress: bool = True, weights_spec: dict | None = None) -> dict:
    """``triage benchmark --folds K``: the ``crossval`` block of summary.json."""
    store = build_store(phenopackets, engine, cache_dir, limit=limit, seed=seed, progress=progress)
    if weights_spec is None and scorer == "combined":
        from triage.phenotype.scoring.combined import load_weights

        weights_spec = load_weights(engine.scorer_params.get("combined", {}).get("weights") or None).get("fit", {})
    sf = ScorerFit(store, engine, scorer, groups, weights_spec)
    out = cross_validate(store, sf.fit, sf.score, k=k, seed=seed, describe=lambda f: f.params,
                         progress=progress)
    out["scorer"] = scorer
    out["fitted"] = {"lr": f"size_exponent x cohort_weight on the grid {sorted({s for s, _ in LR_GRID})} "
                           f"x {sorted({c for _, c in LR_GRID})} (disease top-1 + top-10 on the fitting pools)",
                     "combined": "combiner weights by the recipe of the weights file's 'fit' "
                                 "(objective topk: disease top-1 + top-10 on the fitting pools; "
                                 "likelihood: maximum likelihood of the true diagnosis)",
                     }.get(scorer, "nothing (no fitted choice)")
    out["disease_entities"] = groups.source if groups is not None else None
    out["feature_store"] = str(store.directory)
    return out


__all__ = ["FeatureStore", "Fitted", "Ranks", "ScorerFit", "build_store", "cohort_folds",
           "cross_validate", "fit_conditional_logit", "load_store", "lr_weights", "run_crossval",
           "score_linear", "summarise_ranks"]

"""Phenotype engine: resolve terms, score with a named scorer, build the result model.

This is the one entry point the CLI, the pipeline, the benchmark and the API use::

    engine = PhenotypeEngine.load()            # vendored HPO release, cached
    result = engine.rank(["HP:0001156", "HP:0001363"], scorer="lr", top=20)

Ranks use competition ranking ("1224"): tied scores share the best rank of the tie
group; rows are sorted by score descending, then by id so output is reproducible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from triage.errors import NoUsableTermsError, UnknownTermError
from triage.models import (
    DiseaseCandidate,
    Explanation,
    GeneCandidate,
    QuerySummary,
    TermRef,
    TriageResult,
    Warning_,
)
from triage.phenotype.knowledge import Knowledge, load_knowledge
from triage.phenotype.scoring import ModelParams, Scorer, ScoreResult, build_matrices, get_scorer
from triage.phenotype.scoring.config import PhenotypeModel

log = logging.getLogger(__name__)


def competition_ranks(scores: np.ndarray, order: np.ndarray) -> np.ndarray:
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


def mean_rank_of(scores: np.ndarray, idx: int) -> float:
    """Rank of element ``idx`` with ties sharing the mean rank (benchmark convention)."""
    v = scores[idx]
    if not np.isfinite(v):
        return 0.0
    better = int(np.sum(scores > v))
    tied = int(np.sum(scores == v))
    return better + (tied + 1) / 2.0


def sort_order(scores: np.ndarray, ids: list[str] | np.ndarray) -> np.ndarray:
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


def top_order(scores: np.ndarray, keys: np.ndarray, k: int) -> tuple[np.ndarray, int]:
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


def id_ranks(ids: list[str]) -> np.ndarray:
    """Position of every id in sorted order (an integer tie-break key for sort_order)."""
    r = np.empty(len(ids), dtype=np.int64)
    r[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    return r


@dataclass
class ResolvedQuery:
    observed: list[TermRef]
    excluded: list[TermRef]
    observed_idx: list[int]
    excluded_idx: list[int]
    warnings: list[Warning_] = field(default_factory=list)


@dataclass
class PhenotypeEngine:
    kb: Knowledge
    params: ModelParams
    scorer_params: dict[str, dict]

    def __post_init__(self) -> None:
        self.mats = build_matrices(self.kb, self.params)
        self._scorers: dict[str, Scorer] = {}
        self._disease_index = {d: i for i, d in enumerate(self.kb.annotations.disease_ids)}
        self._gene_index = {g: i for i, g in enumerate(self.kb.annotations.gene_symbols)}
        self._gene_diseases: list[list[int]] | None = None
        self._disease_order_key = id_ranks(self.kb.annotations.disease_ids)
        self._gene_order_key = id_ranks(self.kb.annotations.gene_symbols)

    @classmethod
    def load(cls, hpo_dir: str | None = None, model: PhenotypeModel | None = None) -> PhenotypeEngine:
        """The HPO release of ``hpo_dir`` (None: vendored) with ``model``'s parameters
        (None: the code defaults; see :mod:`triage.phenotype.scoring.config`)."""
        model = model or PhenotypeModel()
        return cls(load_knowledge(hpo_dir), model.annotation,
                   {name: model.scorer_kwargs(name) for name in model.scorers})

    @property
    def model(self) -> PhenotypeModel:
        """The parameters in use, as the validated config object."""
        return PhenotypeModel(annotation=self.params, scorers=self.scorer_params)

    @property
    def data_versions(self) -> dict[str, str]:
        """HPO release, software version and a digest of the model parameters in use."""
        import hashlib
        import json

        from triage import __version__

        params = {"model": self.params.as_dict(), "scorers": self.scorer_params}
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
        return {**self.kb.data_versions, "triage": __version__, "model_params": digest}

    def scorer(self, name: str) -> Scorer:
        if name not in self._scorers:
            self._scorers[name] = get_scorer(name, self.kb, self.mats, **self.scorer_params.get(name, {}))
        return self._scorers[name]

    # ------------------------------------------------------------------ terms
    def resolve(self, observed: list[str], excluded: list[str] | None = None,
                drop_unknown: bool = False) -> ResolvedQuery:
        """Map submitted ids to primary terms; unknown ids raise unless ``drop_unknown``."""
        onto = self.kb.ontology
        warnings: list[Warning_] = []

        def one(tid: str) -> TermRef | None:
            try:
                pid = onto.resolve(tid)
            except UnknownTermError as exc:
                if not drop_unknown:
                    raise
                warnings.append(Warning_(code=exc.code, message=str(exc), term=tid))
                return None
            if pid != tid.strip():
                warnings.append(Warning_(code="term_mapped", term=tid,
                                         message=f"{tid} mapped to current term {pid} ({onto.label(pid)})"))
            return TermRef(id=pid, label=onto.label(pid), submitted_id=tid if pid != tid.strip() else None)

        obs = [r for r in (one(t) for t in observed) if r]
        exc = [r for r in (one(t) for t in (excluded or [])) if r]
        obs = list({r.id: r for r in obs}.values())
        obs_ids = {r.id for r in obs}
        clash = [r for r in exc if r.id in obs_ids]
        for r in clash:
            warnings.append(Warning_(code="observed_and_excluded", term=r.id,
                                     message=f"{r.id} given as both observed and excluded; kept as observed"))
        exc = list({r.id: r for r in exc if r.id not in obs_ids}.values())
        if not obs and not exc:
            raise NoUsableTermsError("no usable HPO terms in the query")
        o_idx = onto.remove_redundant([onto.index[r.id] for r in obs])
        dropped = len(obs) - len(o_idx)
        if dropped:
            warnings.append(Warning_(code="redundant_terms",
                                     message=f"{dropped} observed term(s) are ancestors of other observed terms and were not scored separately"))
        return ResolvedQuery(obs, exc, o_idx, [onto.index[r.id] for r in exc], warnings)

    # ------------------------------------------------------------------ ranking
    def gene_diseases(self) -> list[list[int]]:
        if self._gene_diseases is None:
            ann = self.kb.annotations
            gd: list[list[int]] = [[] for _ in range(ann.n_genes)]
            for d in range(ann.n_diseases):
                for g in ann.genes_of(d):
                    gd[int(g)].append(d)
            self._gene_diseases = gd
        return self._gene_diseases

    def disease_mask_for_genes(self, genes: list[str]) -> tuple[np.ndarray, list[str]]:
        mask = np.zeros(self.kb.annotations.n_diseases, dtype=bool)
        unknown = []
        gd = self.gene_diseases()
        for g in genes:
            gi = self._gene_index.get(g.strip().upper()) if g.strip().upper() in self._gene_index else self._gene_index.get(g.strip())
            if gi is None:
                unknown.append(g)
                continue
            mask[gd[gi]] = True
        return mask, unknown

    def score(self, q: ResolvedQuery, scorer: str = "lr", mask: np.ndarray | None = None) -> ScoreResult:
        return self.scorer(scorer).score(q.observed_idx, q.excluded_idx, mask)

    def onset_term(self, onset: str | None) -> str | None:
        """Onset as an HPO onset-class id: accepts an HPO id or an ISO 8601 age (P2Y, P0D)."""
        from triage.phenotype.phenopacket import iso_age_days, onset_class

        if not onset:
            return None
        onset = onset.strip()
        if onset.upper().startswith("HP"):
            return self.kb.ontology.resolve(onset)
        days = iso_age_days(onset)
        if days is None:
            from triage.errors import TriageError

            raise TriageError(f"onset {onset!r} is neither an HPO onset term nor an ISO 8601 age such as P2Y")
        return onset_class(days)

    def rank(self, observed: list[str], excluded: list[str] | None = None, scorer: str = "lr",
             top: int = 20, genes: list[str] | None = None, drop_unknown: bool = False,
             explain_top: int | None = None, onset: str | None = None) -> TriageResult:
        """Rank diseases and genes. ``onset`` (HPO onset class or ISO age) is scored as a term."""
        onset_id = self.onset_term(onset)
        q = self.resolve(list(observed) + ([onset_id] if onset_id else []), excluded, drop_unknown)
        mask = None
        if genes:
            mask, unknown = self.disease_mask_for_genes(genes)
            for g in unknown:
                q.warnings.append(Warning_(code="unknown_gene", message=f"gene {g!r} has no HPO disease annotation", term=None))
        res = self.score(q, scorer, mask)
        return self.build_result(q, res, scorer, top, explain_top)

    def build_result(self, q: ResolvedQuery, res: ScoreResult, scorer: str, top: int = 20,
                     explain_top: int | None = None) -> TriageResult:
        ann = self.kb.annotations
        sc = self.scorer(scorer)
        explain_top = top if explain_top is None else explain_top
        d_order, n_diseases = top_order(res.disease_scores, self._disease_order_key, top)
        g_scores = res.gene_scores
        g_order, n_genes = top_order(np.where(g_scores > 0, g_scores, -np.inf) if sc.probabilistic else g_scores,
                                     self._gene_order_key, top)
        gd = self.gene_diseases()
        best_of: dict[int, int | None] = {}
        for g in g_order.tolist():
            ds = [d for d in gd[g] if np.isfinite(res.disease_scores[d])]
            best_of[g] = max(ds, key=lambda d: (res.disease_scores[d], -self._disease_order_key[d])) if ds else None
        # every explanation of this result in one vectorised call
        wanted = list(dict.fromkeys(
            [int(d) for d in d_order[:explain_top]]
            + [b for g in g_order[:explain_top].tolist() if (b := best_of[g]) is not None]))
        cache = self._explanations(sc, wanted, q)

        def explain(d: int) -> Explanation:
            return cache[d] if d in cache else self._explanation(sc, d, q)

        d_ranks = competition_ranks(res.disease_scores, d_order)
        diseases: list[DiseaseCandidate] = []
        limit = len(d_order) if top <= 0 else min(top, len(d_order))
        for k in range(limit):
            d = int(d_order[k])
            expl = Explanation()
            if k < explain_top:
                expl = explain(d)
            diseases.append(DiseaseCandidate(
                id=ann.disease_ids[d], label=ann.disease_labels[d], rank=int(d_ranks[k]),
                posterior=float(res.posterior[d]) if res.posterior is not None else None,
                score=round(float(res.disease_scores[d]), 6),
                genes=[ann.gene_symbols[g] for g in ann.genes_of(d)], explanation=expl,
            ))
        g_ranks = competition_ranks(g_scores, g_order)
        genes: list[GeneCandidate] = []
        glimit = len(g_order) if top <= 0 else min(top, len(g_order))
        for k in range(glimit):
            g = int(g_order[k])
            ds = sorted(gd[g], key=lambda d: (-res.disease_scores[d], ann.disease_ids[d]))
            ds = [d for d in ds if np.isfinite(res.disease_scores[d])]
            best = ds[0] if ds else None
            genes.append(GeneCandidate(
                symbol=ann.gene_symbols[g], rank=int(g_ranks[k]), score=float(g_scores[g]),
                posterior=float(res.gene_posterior[g]) if res.gene_posterior is not None else None,
                phenotype_score=float(res.disease_scores[best]) if best is not None else None,
                diseases=[ann.disease_ids[d] for d in ds[:10]],
                top_disease=ann.disease_ids[best] if best is not None else None,
                explanation=explain(best) if (best is not None and k < explain_top) else Explanation(),
            ))
        return TriageResult(
            query=QuerySummary(observed=q.observed, excluded=q.excluded, scorer=scorer),
            diseases=diseases, genes=genes, data_versions=self.data_versions, warnings=q.warnings,
            n_diseases_ranked=n_diseases, n_genes_ranked=n_genes,
        )

    def _explanation(self, sc: Scorer, d: int, q: ResolvedQuery) -> Explanation:
        return self._explanations(sc, [d], q)[d]

    def _explanations(self, sc: Scorer, diseases: list[int], q: ResolvedQuery) -> dict[int, Explanation]:
        if not diseases:
            return {}
        all_matches = sc.explain_many(diseases, q.observed_idx, q.excluded_idx)
        return {d: self._to_explanation(sc, m, q) for d, m in zip(diseases, all_matches)}

    def _to_explanation(self, sc: Scorer, matches: list, q: ResolvedQuery) -> Explanation:
        onto = self.kb.ontology
        ids, labels = onto.ids, onto.labels
        terms = q.observed_idx + q.excluded_idx
        n_obs = len(q.observed_idx)
        prob = sc.probabilistic
        # plain dicts validated in one call: pydantic-core does this faster than
        # constructing ~200 TermMatch objects per result one by one (hot path of the API)
        out = [{
            "query_id": ids[h], "query_label": labels[h], "excluded": i >= n_obs, "match_type": m.kind,
            "disease_term_id": ids[m.disease_term] if m.disease_term is not None else None,
            "disease_term_label": labels[m.disease_term] if m.disease_term is not None else None,
            "common_ancestor_id": ids[m.common_ancestor] if m.common_ancestor is not None else None,
            "frequency": round(m.frequency, 4) if m.frequency is not None else None,
            "likelihood_ratio": round(m.value, 4) if prob else None,
            "similarity": None if prob else round(m.value, 4),
        } for i, (h, m) in enumerate(zip(terms, matches))]
        n_exact = sum(1 for m in out[:n_obs] if m["match_type"] in ("exact", "disease_more_specific"))
        summary = f"{n_exact}/{n_obs} observed terms matched directly"
        if prob:
            best = sorted((m for m in out if m["likelihood_ratio"]), key=lambda m: -m["likelihood_ratio"])[:3]
            if best:
                summary += "; strongest: " + ", ".join(
                    f"{m['query_label']} (LR {m['likelihood_ratio']:.1f})" for m in best)
        return Explanation.model_validate({"matches": out, "summary": summary})

"""Phenotype engine: one HPO release with the model's parameters, its scorers, term
resolution and explanations::

    engine = PhenotypeEngine.load()            # vendored HPO release, cached
    q = engine.resolve(["HP:0001156", "HP:0001363"], onset="P2Y")
    res = engine.score(q, "lr")                # arrays over every disease and gene

Ranking a case and building the result model is :mod:`triage.prioritize` (one path for
the phenotype-only and the VCF case).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from triage.errors import NoUsableTermsError, UnknownTermError
from triage.models import (
    Explanation,
    TermRef,
    Warning_,
)
from triage.phenotype.knowledge import Knowledge, load_knowledge
from triage.phenotype.scoring import ModelParams, Scorer, ScoreResult, build_matrices, get_scorer
from triage.phenotype.scoring.config import PhenotypeModel
from triage.ranks import id_ranks

if TYPE_CHECKING:
    from triage.phenotype.entities import DiseaseGroups

log = logging.getLogger(__name__)


@dataclass
class ResolvedQuery:
    observed: list[TermRef]
    excluded: list[TermRef]
    observed_idx: list[int]
    excluded_idx: list[int]
    warnings: list[Warning_] = field(default_factory=list)


@dataclass(frozen=True)
class DiseaseGenePairs:
    """The (disease, gene) pairs of the release (``genes_to_phenotype``), with the pairs
    of each gene as a CSR index (``by_gene[gene_ptr[g]:gene_ptr[g+1]]``)."""

    disease: np.ndarray  # (P,) disease index
    gene: np.ndarray  # (P,) gene index
    gene_ptr: np.ndarray  # (G+1,)
    by_gene: np.ndarray  # (P,) pair indices grouped by gene

    @classmethod
    def of(cls, dg_ptr: np.ndarray, dg_idx: np.ndarray, n_genes: int) -> DiseaseGenePairs:
        counts = np.diff(dg_ptr)
        disease = np.repeat(np.arange(len(counts)), counts)
        gene = np.asarray(dg_idx, dtype=np.int64)
        ptr = np.r_[0, np.cumsum(np.bincount(gene, minlength=n_genes))]
        return cls(disease, gene, ptr, np.argsort(gene, kind="stable"))


@dataclass(repr=False)
class PhenotypeEngine:
    kb: Knowledge
    params: ModelParams
    scorer_params: dict[str, dict]

    def __repr__(self) -> str:
        return f"PhenotypeEngine(hpo={self.kb.ontology.version}, diseases={self.kb.annotations.n_diseases})"

    def __post_init__(self) -> None:
        self.mats = build_matrices(self.kb, self.params)
        self._scorers: dict[str, Scorer] = {}
        self._disease_index = {d: i for i, d in enumerate(self.kb.annotations.disease_ids)}
        self._gene_index = {g: i for i, g in enumerate(self.kb.annotations.gene_symbols)}
        ann = self.kb.annotations
        self._groups: DiseaseGroups | None = None
        self._entity_order_key: np.ndarray | None = None
        #: the release's (disease, gene) pairs
        self.pairs = DiseaseGenePairs.of(ann.dg_ptr, ann.dg_idx, ann.n_genes)
        self._gene_diseases: list[list[int]] | None = None
        #: integer tie-break keys: position of each disease id / gene symbol in sorted order
        self.disease_order_key = id_ranks(self.kb.annotations.disease_ids)
        self.gene_order_key = id_ranks(self.kb.annotations.gene_symbols)

    @classmethod
    def load(cls, hpo_dir: str | None = None, model: PhenotypeModel | None = None) -> PhenotypeEngine:
        """The HPO release of ``hpo_dir`` (None: vendored) with ``model``'s parameters
        (None: the code defaults; see :mod:`triage.phenotype.scoring.config`)."""
        model = model or PhenotypeModel()
        return cls(load_knowledge(hpo_dir), model.annotation,
                   {name: model.scorer_kwargs(name) for name in model.scorers})

    @property
    def disease_groups(self) -> DiseaseGroups:
        """Disease entities of the release (:mod:`triage.phenotype.entities`): equivalent
        ORPHA/OMIM entries grouped, so results list each disease once with all its ids."""
        if self._groups is None:
            from triage.phenotype.entities import disease_groups

            self._groups = disease_groups(self.kb)
            ids = self.kb.annotations.disease_ids
            self._entity_order_key = id_ranks([ids[m[0]] for m in self._groups.members])
        return self._groups

    @property
    def entity_order_key(self) -> np.ndarray:
        """Tie-break key of each disease entity (its representative id's sorted position)."""
        if self._entity_order_key is None:
            _ = self.disease_groups  # builds the groups and their key
        assert self._entity_order_key is not None
        return self._entity_order_key

    @property
    def gene_index(self) -> dict[str, int]:
        """Gene symbol -> index on the release's gene axis."""
        return self._gene_index

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
                drop_unknown: bool = False, onset: str | None = None) -> ResolvedQuery:
        """Map submitted ids to primary terms; unknown ids raise unless ``drop_unknown``.

        ``onset`` (an HPO onset class or an ISO 8601 age) is scored as one more observed term.
        """
        onto = self.kb.ontology
        onset_id = self.onset_term(onset)
        if onset_id:
            observed = list(observed) + [onset_id]
        warnings: list[Warning_] = []

        def one(tid: str) -> TermRef | None:
            """Resolve one term id (alt ids followed); unknown ids raise unless ``drop_unknown``."""
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
        """For each gene index, the indices of its annotated diseases (built once, memoised)."""
        if self._gene_diseases is None:
            ann = self.kb.annotations
            gd: list[list[int]] = [[] for _ in range(ann.n_genes)]
            for d in range(ann.n_diseases):
                for g in ann.genes_of(d):
                    gd[int(g)].append(d)
            self._gene_diseases = gd
        return self._gene_diseases

    def disease_mask_for_genes(self, genes: list[str]) -> tuple[np.ndarray, list[str]]:
        """Boolean mask of the diseases of ``genes`` (symbols, case-insensitive) and the symbols
        that are not in the release.
        """
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
        from triage.phenotype.phenopacket import check_onset_term, iso_age_days, onset_class

        if not onset:
            return None
        onset = onset.strip()
        if onset.upper().startswith("HP"):
            return check_onset_term(self.kb.ontology, onset)
        days = iso_age_days(onset)
        if days is None:
            from triage.errors import TriageError

            raise TriageError(f"onset {onset!r} is neither an HPO onset term nor an ISO 8601 age such as P2Y")
        return onset_class(days)

    def explanations(self, scorer: str, diseases: list[int], q: ResolvedQuery) -> dict[int, Explanation]:
        """Term-by-term explanations of ``diseases`` (indices) for query ``q``, in one
        vectorised call of the scorer (the hot path of a result)."""
        if not diseases:
            return {}
        sc = self.scorer(scorer)
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

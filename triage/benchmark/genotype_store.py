"""Genotype store of a spike-in run: what each case's spike changed, so that the model
choices of the combination step (the novel-hypothesis prior, its spread over genes, the
phenotype weight) can be cross-validated by cohort in seconds instead of re-running the
benchmark.

Every spike-in case shares the background exome, so its per-gene genotype LRs differ
from the background's only in the genes its spiked records touch. The store keeps the
background's LRs (one set per proband sex: X-linked genes differ) and, per case, the
genes whose LRs the spike changed, plus the case's terms and truth. :meth:`gene_ranks`
re-runs the very combination code of :func:`triage.prioritize.rank_case`
(:func:`~triage.prioritize.ranker.combine_genotype`) with the phenotype scores of the
engine, for any :class:`~triage.prioritize.config.RankConfig`.

The genotype model itself (bins, background rates) is not re-fitted here: it is global
and set from the literature (:mod:`triage.genotype.likelihood`).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from triage.errors import DataError, NoUsableTermsError
from triage.ranks import mean_rank_of

STORE_FORMAT = "genotype-store-1"


@dataclass
class StoredCase:
    case_id: str
    cohort: str
    genes: list[str]
    diseases: list[str]
    observed: list[str]
    excluded: list[str]
    sex: str | None
    knowledge: str = ""
    delta_genes: list[str] = field(default_factory=list)
    delta_lr1: list[float] = field(default_factory=list)
    delta_lr2: list[float] = field(default_factory=list)


@dataclass
class GenotypeStore:
    """Background LRs per sex + the per-case changes (see the module docstring)."""

    background: dict[str, tuple[list[str], list[float], list[float]]] = field(default_factory=dict)
    cases: list[StoredCase] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    @staticmethod
    def sex_key(sex: str | None) -> str:
        return {"MALE": "MALE", "FEMALE": "FEMALE"}.get(str(sex).upper(), "UNKNOWN_SEX")

    def add_background(self, sex: str | None, gg) -> None:
        self.background[self.sex_key(sex)] = (list(gg.genes), [float(x) for x in gg.lr_one],
                                              [float(x) for x in gg.lr_two])

    def has_background(self, sex: str | None) -> bool:
        return self.sex_key(sex) in self.background

    def delta(self, sex: str | None, gg) -> tuple[list[str], list[float], list[float]]:
        """Genes whose LRs in ``gg`` differ from the background of that sex (or are new)."""
        genes, l1, l2 = self.background[self.sex_key(sex)]
        bg = {g: (a, b) for g, a, b in zip(genes, l1, l2, strict=True)}
        out: tuple[list[str], list[float], list[float]] = ([], [], [])
        for g, i in gg.index.items():
            a, b = float(gg.lr_one[i]), float(gg.lr_two[i])
            if bg.get(g) != (a, b):
                out[0].append(g)
                out[1].append(a)
                out[2].append(b)
        return out

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        doc = {"format": STORE_FORMAT, "meta": self.meta, "background": self.background,
               "cases": [asdict(c) for c in self.cases]}
        with gzip.open(path, "wt") as fh:
            json.dump(doc, fh)
        return path

    @classmethod
    def load(cls, path: str | Path) -> GenotypeStore:
        """Read a genotype store (``genotype_store.json.gz``) written by ``triage benchmark --store``."""
        try:
            with gzip.open(path, "rt") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read genotype store {path}: {exc}") from None
        if doc.get("format") != STORE_FORMAT:
            raise DataError(f"{path}: genotype store format {doc.get('format')!r}, expected {STORE_FORMAT!r}; "
                            "re-run the spike-in benchmark with --store")
        bg = {k: (v[0], v[1], v[2]) for k, v in doc["background"].items()}
        return cls(bg, [StoredCase(**c) for c in doc["cases"]], doc.get("meta", {}))

    # ------------------------------------------------------------------ cross-validation view
    def attach(self, annotations) -> GenotypeStore:
        """Fill what :func:`triage.benchmark.crossval.cross_validate` reads of a store
        (``n``, ``cohorts``, ``knowledge``, ``gene_annotated``) from the release's annotations."""
        from triage.benchmark.phenotype import knowledge_class

        genes = set(annotations.gene_symbols)
        self.n = len(self.cases)
        self.cohorts = np.array([c.cohort for c in self.cases], dtype=object)
        self.knowledge = np.array([knowledge_class(c.genes, c.diseases, annotations) for c in self.cases],
                                  dtype=object)
        self.gene_annotated = np.array([any(g in genes for g in c.genes) for c in self.cases], dtype=bool)
        return self

    # ------------------------------------------------------------------ evaluation
    def gene_ranks(self, ranker, rank_cfg=None, indices=None, scorer: str = "lr") -> np.ndarray:
        """Mean rank of each case's best causal gene under ``rank_cfg`` (0 = not ranked,
        NaN = case without a causal gene). ``indices``: cases to score (default all)."""
        return self.ranks(ranker, rank_cfg, indices, scorer)[1]

    def ranks(self, ranker, rank_cfg=None, indices=None, scorer: str = "lr") -> tuple[np.ndarray, np.ndarray]:
        """(disease entity rank, gene rank) of each case's truth, as the spike-in benchmark
        ranks them (NaN = track not evaluated, 0 = miss)."""
        from triage.prioritize import Ranker
        from triage.prioritize.ranker import combine_genotype

        if rank_cfg is not None:
            ranker = Ranker(ranker.engine, replace(ranker.cfg, rank=rank_cfg), ranker.genome,
                            ranker._gene_prior, ranker.gene_model)
        eng = ranker.engine
        idx = range(len(self.cases)) if indices is None else indices
        bgs: dict[str, tuple[dict[str, int], np.ndarray, np.ndarray]] = {}
        for k, (genes, bg1, bg2) in self.background.items():
            bgs[k] = ({g: i for i, g in enumerate(genes)}, np.array(bg1), np.array(bg2))
        out = np.full(len(self.cases), np.nan)
        dout = np.full(len(self.cases), np.nan)
        groups = eng.disease_groups
        d_index = {d: int(groups.group_of[j]) for j, d in enumerate(eng.kb.annotations.disease_ids)}
        for i in idx:
            c = self.cases[i]
            if not c.genes and not c.diseases:
                continue
            try:
                q = eng.resolve(c.observed, c.excluded, drop_unknown=True)
            except NoUsableTermsError:
                continue
            res = eng.score(q, scorer)
            index, l1, l2 = bgs[self.sex_key(c.sex)]
            if c.delta_genes:
                index = dict(index)
                l1, l2 = l1.copy(), l2.copy()
                new = [g for g in c.delta_genes if g not in index]
                for g in new:
                    index[g] = len(index)
                if new:
                    l1 = np.concatenate([l1, np.zeros(len(new))])
                    l2 = np.concatenate([l2, np.zeros(len(new))])
                for g, a, b in zip(c.delta_genes, c.delta_lr1, c.delta_lr2, strict=True):
                    l1[index[g]] = a
                    l2[index[g]] = b
            genes, _key, gindex, _l1, _l2, comb = combine_genotype(ranker, res.disease_scores, scorer,
                                                                    index, l1, l2)
            if c.genes:
                ranks = [mean_rank_of(comb.gene_log10, gindex[g]) for g in c.genes if g in gindex]
                ranks = [r for r in ranks if r > 0]
                out[i] = min(ranks) if ranks else 0.0
            dl = [d_index[d] for d in c.diseases if d in d_index]
            if dl:
                ent = groups.collapse_scores(comb.disease_log10)
                ranks = [r for r in (mean_rank_of(ent, j) for j in dl) if r > 0]
                dout[i] = min(ranks) if ranks else 0.0
        return dout, out

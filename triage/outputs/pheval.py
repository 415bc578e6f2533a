"""PhEval result files: ranked genes, diseases and variants as PhEval reads them.

One writer for the pipeline (``pheval/PREFIX-pheval_{gene,variant,disease}_result.tsv``)
and both benchmarks (one file per case under ``pheval/``). Callers hand over rows;
:func:`ranked_rows` makes them from a ranked case (competition ranks), the benchmarks
from their own truth-ranking arrays (mean ranks of ties).

Rows: gene ``(rank, score, symbol, identifier)``, disease ``(rank, score, name,
identifier)``, variant ``(rank, score, chrom, start, end, ref, alt)`` (chrom without
"chr", 1-based inclusive coordinates).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from triage.ranks import competition_ranks, sort_order
from triage.variants.gene_model import normalize_contig

GENE_HEADER = ("rank", "score", "gene_symbol", "gene_identifier")
DISEASE_HEADER = ("rank", "score", "disease_name", "disease_identifier")
VARIANT_HEADER = ("rank", "score", "chrom", "start", "end", "ref", "alt")
DEFAULT_ROWS = 100


def _write(path: Path, header: tuple[str, ...], rows: Iterable[tuple], fmt: tuple[str, ...]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fh.write("\t".join(header) + "\n")
        for row in rows:
            fh.write("\t".join(format(x, f) for x, f in zip(row, fmt, strict=True)) + "\n")
    return path


def write_gene_results(path: Path, rows: Iterable[tuple]) -> Path:
    return _write(path, GENE_HEADER, rows, ("g", ".6g", "", ""))


def write_disease_results(path: Path, rows: Iterable[tuple]) -> Path:
    return _write(path, DISEASE_HEADER, rows, ("g", ".6g", "", ""))


def write_variant_results(path: Path, rows: Iterable[tuple]) -> Path:
    return _write(path, VARIANT_HEADER, rows, ("g", ".4g", "", "d", "d", "", ""))


def variant_row(av, v: int, rank: float, score: float) -> tuple:
    """A variant row from variant ``v`` of an annotated table."""
    pos = int(av.pos[v])
    return (rank, score, normalize_contig(str(av.chrom[v])), pos, pos + len(av.ref[v]) - 1,
            str(av.ref[v]), str(av.alt[v]))


def ranked_rows(ranked, n: int = DEFAULT_ROWS) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Gene, disease and variant rows (top ``n`` each) of a ranked VCF case."""
    ann = ranked.ranker.engine.kb.annotations
    eng = ranked.ranker.engine
    post_g = ranked.gene_posterior
    post_d = ranked.disease_posterior
    go = sort_order(ranked.gene_key, ranked.gene_order_key)[:n]
    gr = competition_ranks(ranked.gene_key, go)
    nrel = ranked.n_release_genes
    genes = [(int(gr[k]), float(post_g[g]) if post_g is not None else float(ranked.gene_key[g]),
              ranked.genes[g], f"NCBIGene:{ann.gene_ncbi[g]}" if g < nrel else f"hgnc.symbol:{ranked.genes[g]}")
             for k, g in enumerate(go.tolist())]
    do = sort_order(ranked.disease_key, eng.disease_order_key)[:n]
    dr = competition_ranks(ranked.disease_key, do)
    diseases = [(int(dr[k]), float(post_d[d]) if post_d is not None else float(ranked.disease_key[d]),
                 ann.disease_labels[d], ann.disease_ids[d]) for k, d in enumerate(do.tolist())]
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


def write_case(out: Path, case_id: str, genes: list[tuple] = (), diseases: list[tuple] = (),  # type: ignore[assignment]
               variants: list[tuple] = (), gene_dir: str = "pheno_gene_results",  # type: ignore[assignment]
               disease_dir: str = "pheno_disease_results", variant_dir: str = "variant_results") -> list[Path]:
    """A benchmark case's PhEval files under ``out/pheval/<kind>/<case>-pheval_<kind>_result.tsv``."""
    safe = case_id.replace("/", "_")
    base = out / "pheval"
    paths = []
    if genes:
        paths.append(write_gene_results(base / gene_dir / f"{safe}-pheval_gene_result.tsv", genes))
    if diseases:
        paths.append(write_disease_results(base / disease_dir / f"{safe}-pheval_disease_result.tsv", diseases))
    if variants:
        paths.append(write_variant_results(base / variant_dir / f"{safe}-pheval_variant_result.tsv", variants))
    return paths

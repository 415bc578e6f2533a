"""Tab-separated outputs: the disease and gene tables of a result, the variant table.

* :func:`genes_table` — one row per gene candidate (``PREFIX.genes.tsv`` of the
  pipeline and the gene part of ``triage rank --format tsv``); the variant columns
  are empty for a phenotype-only result; ``hypothesis`` is ``known_disease``,
  ``novel_gene`` (no known disease of the gene) or ``novel_disease`` (its known diseases
  do not match: a new allelic disease);
* :func:`diseases_table` — one row per disease candidate: one disease, one row, its
  representative ``id`` (OMIM when it has one) and its ``equivalent_ids`` (ORPHA, ...);
* :func:`result_tsv` — both tables, as ``triage rank --format tsv`` prints them;
* :func:`write_variants_tsv` — every annotated (variant, gene) row of a VCF case in
  output order (``PREFIX.variants.tsv``), streamed.

Column names follow the JSON fields of :class:`~triage.models.TriageResult`. Every
table starts with the ``# triage ...`` line of data versions. The ``acmg_*`` columns
are the automated, provisional ACMG/AMP evidence of :mod:`triage.prioritize.acmg`
(class, summed points, criteria labels such as ``PM2_Supporting``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from triage.models import TriageResult
from triage.outputs.common import fmt, fmt_prob, versions_line

GENE_COLUMNS = ["rank", "symbol", "posterior", "score", "phenotype_score", "genotype_score", "hypothesis",
                "top_disease", "top_disease_label", "n_variants", "best_variant", "best_consequence", "best_hgvs",
                "best_pathogenicity", "diseases", "therapies", "explanation", "best_acmg_class",
                "best_acmg_criteria"]
DISEASE_COLUMNS = ["rank", "id", "label", "equivalent_ids", "posterior", "score", "genes", "therapies", "explanation"]
VARIANT_COLUMNS = ["variant_rank", "gene_rank", "gene", "chrom", "pos", "ref", "alt", "genotype", "zygosity",
                   "consequence", "transcript", "hgvs_c", "hgvs_p", "pathogenicity", "population_af",
                   "cohort_af", "clinvar", "clinvar_stars", "inheritance_modes", "in_best_configuration",
                   "gq", "dp", "source", "acmg_class", "acmg_points", "acmg_criteria"]


def _table(columns: list[str], rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def gene_rows(result: TriageResult) -> Iterator[list[str]]:
    for g in result.genes:
        v = g.variants[0] if g.variants else None
        hgvs = ""
        if v is not None:
            hgvs = (f"{v.transcript}:{v.hgvs_c}" if v.hgvs_c else "") + (f" {v.hgvs_p}" if v.hgvs_p else "")
        hypothesis = g.novel.kind if g.novel is not None else ("known_disease" if g.top_disease else "")
        yield [str(g.rank), g.symbol, fmt_prob(g.posterior, 6, "1"), fmt(g.score), fmt(g.phenotype_score),
               fmt(g.genotype_score), hypothesis, g.top_disease or "", g.top_disease_label or "",
               str(len(g.variants)),
               f"{v.chrom}:{v.pos}:{v.ref}:{v.alt}" if v else "", (v.consequence or "") if v else "",
               hgvs.strip(), fmt(v.pathogenicity, 4) if v else "", ",".join(g.diseases),
               therapies_cell(g.therapies), g.explanation.summary, v.acmg.classification if v and v.acmg else "",
               ",".join(c.label for c in v.acmg.criteria) if v and v.acmg else ""]


def genes_table(result: TriageResult) -> str:
    """The gene candidates as a TSV table (header row first)."""
    return _table(GENE_COLUMNS, gene_rows(result))


def diseases_table(result: TriageResult) -> str:
    """The disease candidates as a TSV table (header row first)."""
    return _table(DISEASE_COLUMNS, ([str(d.rank), d.id, d.label, ",".join(d.equivalent_ids),
                                     fmt_prob(d.posterior, 6, "1"), fmt(d.score),
                                     ",".join(d.genes), therapies_cell(d.therapies), d.explanation.summary]
                                    for d in result.diseases))


def therapies_cell(therapies) -> str:
    """``Zolgensma (FDA 2019; EMA 2020 EMA conditional MA); Spinraza (...)``: one cell per candidate."""
    by: dict[str, list[str]] = {}
    for t in therapies:
        name = t.product if t.tier == 1 else f"{t.kind or t.modality}: {t.product}"
        tag = " ".join(x for x in (t.agency, (t.approved or "")[:4],
                                   t.pathway if t.pathway not in (None, "standard") else None,
                                   t.status if t.status not in ("approved", "established") else None) if x)
        by.setdefault(name, [])
        if tag:
            by[name].append(tag)
    return "; ".join(f"{n} ({'; '.join(v)})" if v else n for n, v in by.items())


def genes_tsv(result: TriageResult) -> str:
    """``PREFIX.genes.tsv``: versions line + gene table."""
    return versions_line(result) + "\n" + genes_table(result)


def result_tsv(result: TriageResult) -> str:
    """``triage rank --format tsv``: diseases, then genes, each headed by a ``#`` line; warnings last."""
    parts = [versions_line(result) + "\n", "# diseases\n", diseases_table(result), "# genes\n",
             genes_table(result)]
    parts += [f"# warning {w.code}: {w.message}\n" for w in result.warnings]
    return "".join(parts)


# --------------------------------------------------------------------------- variants
def variant_rows(ranked, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """One dict per annotated (variant, gene) row of a ranked VCF case, in output order."""
    from triage.prioritize.acmg import case_table
    from triage.prioritize.result import genotype_string, zygosity

    geno = ranked.genotype
    acmg = case_table(ranked)
    av = geno.case.table
    vr = geno.variants
    gene_index = ranked.ranker.gene_index
    fam = geno.case.family
    male = fam.sex[fam.proband] == 1
    popf = av.population_frequency()
    for r in vr.row_order.tolist()[: limit or None]:
        v = int(av.vidx[r])
        code = int(av.proband_gt[v])
        male_x = male and av.chrom_norm[v] == "X"
        af = popf[v]
        yield {
            "variant_rank": int(vr.variant_rank[v]) or "", "gene_rank": int(vr.row_gene_rank[r]) or "",
            "gene": av.gene[r], "in_hpo": av.gene[r] in gene_index, "chrom": av.chrom[v], "pos": int(av.pos[v]),
            "ref": av.ref[v], "alt": av.alt[v], "genotype": genotype_string(code, male_x),
            "zygosity": zygosity(code, male_x),
            "consequence": av.consequences[r].replace("&", ","), "transcript": av.transcript[r] or "",
            "hgvs_c": av.hgvs_c[r] or "", "hgvs_p": av.hgvs_p[r] or "",
            "pathogenicity": round(float(av.score[r]), 4),
            "population_af": "" if np.isnan(af) else f"{af:.3g}",
            "cohort_af": "" if np.isnan(av.cohort_af[v]) else f"{av.cohort_af[v]:.3g}",
            "clinvar": av.clnsig[v] or "", "clinvar_stars": int(av.clinvar_stars[v]) if av.clnsig[v] else "",
            "inheritance_modes": ",".join(vr.modes(r)), "in_best_configuration": bool(vr.row_in_config[r]),
            "gq": "" if np.isnan(av.gq[v]) else f"{av.gq[v]:.0f}", "dp": int(av.dp[v]) if av.dp[v] >= 0 else "",
            "source": av.source[r],
            "acmg_class": str(acmg.classification[r]) if acmg is not None else "",
            "acmg_points": int(acmg.points[r]) if acmg is not None else "",
            "acmg_criteria": acmg.criteria_text(r) if acmg is not None else "",
        }


def write_variants_tsv(ranked, result: TriageResult, path: Path) -> Path:
    """``PREFIX.variants.tsv``, streamed row by row (a genome has hundreds of thousands)."""
    with open(path, "w", newline="") as fh:
        fh.write(versions_line(result) + "\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(VARIANT_COLUMNS)
        for row in variant_rows(ranked):
            w.writerow([row[c] for c in VARIANT_COLUMNS])
    return path

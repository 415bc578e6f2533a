"""Per-sample outputs of the VCF pipeline.

``write_outputs(run, out_dir, formats)`` writes, for one patient (``PREFIX`` defaults
to the sample id):

=============================  ===============================================================
``PREFIX.result.json``          :class:`~triage.models.TriageResult` (the shared result model)
``PREFIX.genes.tsv``            ranked genes with phenotype/genotype evidence
``PREFIX.variants.tsv``         every annotated (variant, gene) row, ranked
``PREFIX.candidates.vcf.gz``    variants with TRIAGE_* INFO fields (+ ``.tbi``)
``PREFIX.report.html``          top candidates, evidence, inline SVG of the phenotype match
``PREFIX.phenopacket.json``     GA4GH phenopacket v2 with interpretations of the top candidates
``pheval/PREFIX-pheval_{gene,variant,disease}_result.tsv``  PhEval-style results
=============================  ===============================================================

Every file carries the data versions (HPO, gene model, resources, triage): a ``#``
header line in TSVs, ``##triage_data_version`` lines in the VCF, a section of the
HTML, ``metaData`` of the phenopacket, ``data_versions`` of the JSON; the PhEval
tables keep PhEval's plain header and get ``pheval/PREFIX-data_versions.json``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import html
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from triage import __version__
from triage.models import TriageResult
from triage.variants.gene_model import normalize_contig

FORMATS = ("json", "tsv", "vcf", "html", "phenopacket", "pheval")
GENO = {"heterozygous": ("GENO:0000135", "heterozygous"), "homozygous": ("GENO:0000136", "homozygous"),
        "hemizygous": ("GENO:0000134", "hemizygous")}


def _versions_line(result: TriageResult) -> str:
    return (f"# triage {__version__} schema {result.schema_version} "
            + " ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in result.data_versions.items()))


def _fmt(x: Any, nd: int = 6) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        return f"{x:.{nd}g}"
    return str(x)


# --------------------------------------------------------------------------- TSV
def genes_tsv(run) -> str:
    import io

    res: TriageResult = run.result
    buf = io.StringIO()
    buf.write(_versions_line(res) + "\n")
    w = csv.writer(buf, delimiter="\t", lineterminator="\n")
    w.writerow(["rank", "symbol", "posterior", "log10_posterior", "phenotype_log10", "genotype_log10_lr",
                "top_disease", "top_disease_label", "n_variants", "best_variant", "best_consequence",
                "best_hgvs", "best_pathogenicity", "diseases", "explanation"])
    labels = {d.id: d.label for d in res.diseases}
    ann = run.ranker.engine.kb.annotations
    dlabel = dict(zip(ann.disease_ids, ann.disease_labels, strict=True))
    for g in res.genes:
        v = g.variants[0] if g.variants else None
        w.writerow([g.rank, g.symbol, _fmt(g.posterior), _fmt(g.score), _fmt(g.phenotype_score),
                    _fmt(g.genotype_score), g.top_disease or "",
                    labels.get(g.top_disease or "", dlabel.get(g.top_disease or "", "")), len(g.variants),
                    f"{v.chrom}:{v.pos}:{v.ref}:{v.alt}" if v else "", v.consequence if v else "",
                    (f"{v.transcript}:{v.hgvs_c}" if v and v.hgvs_c else "") + (f" {v.hgvs_p}" if v and v.hgvs_p else ""),
                    _fmt(v.pathogenicity, 4) if v else "", ",".join(g.diseases), g.explanation.summary])
    return buf.getvalue()


def variant_rows(run, limit: int | None = None):
    """Yield one dict per annotated (variant, gene) row, in output order."""
    av = run.ranked.case.table
    vr = run.variants
    gene_index = run.ranker.gene_index
    male = run.ranked.case.family.sex[run.ranked.case.family.proband] == 1
    popf = av.population_frequency()
    for r in vr.row_order.tolist()[: limit or None]:
        v = int(av.vidx[r])
        code = int(av.proband_gt[v])
        male_x = male and av.chrom_norm[v] == "X"
        af = popf[v]
        yield {
            "variant_rank": int(vr.variant_rank[v]) or "", "gene_rank": int(vr.row_gene_rank[r]) or "",
            "gene": av.gene[r], "in_hpo": av.gene[r] in gene_index, "chrom": av.chrom[v], "pos": int(av.pos[v]),
            "ref": av.ref[v], "alt": av.alt[v],
            "genotype": {0: "0/0", 1: "0/1", 2: "1" if male_x else "1/1"}.get(code, "./."),
            "zygosity": {1: "heterozygous", 2: "hemizygous" if male_x else "homozygous"}.get(code, "unknown"),
            "consequence": av.consequences[r].replace("&", ","), "transcript": av.transcript[r] or "",
            "hgvs_c": av.hgvs_c[r] or "", "hgvs_p": av.hgvs_p[r] or "",
            "pathogenicity": round(float(av.score[r]), 4),
            "population_af": "" if np.isnan(af) else f"{af:.3g}",
            "cohort_af": "" if np.isnan(av.cohort_af[v]) else f"{av.cohort_af[v]:.3g}",
            "clinvar": av.clnsig[v] or "", "clinvar_stars": int(av.clinvar_stars[v]) if av.clnsig[v] else "",
            "inheritance_modes": ",".join(vr.modes(r)), "in_best_configuration": bool(vr.row_in_config[r]),
            "gq": "" if np.isnan(av.gq[v]) else f"{av.gq[v]:.0f}", "dp": int(av.dp[v]) if av.dp[v] >= 0 else "",
            "source": av.source[r],
        }


VARIANT_COLUMNS = ["variant_rank", "gene_rank", "gene", "chrom", "pos", "ref", "alt", "genotype", "zygosity",
                   "consequence", "transcript", "hgvs_c", "hgvs_p", "pathogenicity", "population_af",
                   "cohort_af", "clinvar", "clinvar_stars", "inheritance_modes", "in_best_configuration",
                   "gq", "dp", "source"]


def write_variants_tsv(run, path: Path) -> Path:
    """Streamed row by row (a genome has hundreds of thousands of rows)."""
    with open(path, "w", newline="") as fh:
        fh.write(_versions_line(run.result) + "\n")
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(VARIANT_COLUMNS)
        for row in variant_rows(run):
            w.writerow([row[c] for c in VARIANT_COLUMNS])
    return path


# --------------------------------------------------------------------------- VCF
def write_candidates_vcf(run, path: Path) -> Path:
    """Annotated variants as a bgzipped, tabix-indexed VCF with TRIAGE_* INFO fields."""
    import pysam

    av = run.ranked.case.table
    vr = run.variants
    res = run.result
    contigs: dict[str, int | None] = dict(av.stats.get("contigs") or {})
    # per variant, its first row in output order (its best gene)
    best_row = np.full(av.n_variants, -1, dtype=np.int64)
    if len(vr.row_order):
        vo = av.vidx[vr.row_order]
        _, first = np.unique(vo, return_index=True)
        best_row[vo[first]] = vr.row_order[first]
    sample = run.ranked.case.sample
    lines = ["##fileformat=VCFv4.2",
             f"##fileDate={_dt.date.today():%Y%m%d}",
             f"##source=triage {__version__}"]
    for k, v in res.data_versions.items():
        lines.append(f"##triage_data_version=<ID={k},Value=\"{str(v).replace(chr(34), chr(39))}\">")
    used = sorted({str(c) for c in av.chrom}, key=lambda c: _contig_order(c, contigs))
    for c in list(contigs) or used:
        if c in used or not contigs:
            ln = contigs.get(c)
            lines.append(f"##contig=<ID={c}" + (f",length={ln}" if ln else "") + ">")
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=TRIAGE_GENE,Number=1,Type=String,Description="Gene of the variant\'s best-ranked gene candidate (HGNC symbol)">',
        '##INFO=<ID=TRIAGE_RANK,Number=1,Type=Integer,Description="Rank of the variant across all candidates (1 = best; 0 = gene not ranked)">',
        '##INFO=<ID=TRIAGE_GENE_RANK,Number=1,Type=Integer,Description="Rank of TRIAGE_GENE (VCF + phenotype; 0 = not ranked)">',
        '##INFO=<ID=TRIAGE_CSQ,Number=1,Type=String,Description="Consequence(s)|transcript|HGVS c.|HGVS p. in TRIAGE_GENE">',
        '##INFO=<ID=TRIAGE_SCORE,Number=1,Type=Float,Description="Variant pathogenicity score in [0,1]">',
        '##INFO=<ID=TRIAGE_MODES,Number=.,Type=String,Description="Compatible inheritance modes">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality (from the input)">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth (from the input)">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    male = run.ranked.case.family.sex[run.ranked.case.family.proband] == 1
    have = np.flatnonzero(best_row >= 0)
    corder = {c: _contig_order(c, contigs) for c in {str(x) for x in av.chrom[have]}}
    crank = {c: i for i, c in enumerate(sorted(corder, key=corder.get))}
    ckey = np.array([crank[str(c)] for c in av.chrom[have]], dtype=np.int64)
    have = have[np.lexsort((av.pos[have], ckey))]  # genomic order, streamed out
    plain = path.with_suffix("")
    with open(plain, "w") as fh:
        fh.write("\n".join(lines) + "\n")
        for v in have.tolist():
            r = int(best_row[v])
            code = int(av.proband_gt[v])
            gt = {1: "0/1", 2: "1" if (male and av.chrom_norm[v] == "X") else "1/1"}.get(code, "./.")
            csq = "|".join([av.consequences[r], av.transcript[r] or "", av.hgvs_c[r] or "", av.hgvs_p[r] or ""])
            csq = csq.replace(";", ",").replace("=", ":").replace(" ", "_")
            info = [f"TRIAGE_GENE={av.gene[r]}", f"TRIAGE_RANK={int(vr.variant_rank[v])}",
                    f"TRIAGE_GENE_RANK={int(vr.row_gene_rank[r])}", f"TRIAGE_CSQ={csq}",
                    f"TRIAGE_SCORE={float(av.score[r]):.4f}"]
            modes = vr.modes(r)
            if modes:
                info.append("TRIAGE_MODES=" + ",".join(modes))
            q = av.qual[v]
            gq = "." if np.isnan(av.gq[v]) else str(int(av.gq[v]))
            dp = str(int(av.dp[v])) if av.dp[v] >= 0 else "."
            fh.write("\t".join([str(av.chrom[v]), str(int(av.pos[v])), ".", av.ref[v], av.alt[v],
                                "." if np.isnan(q) else f"{q:g}", av.filter[v] or ".", ";".join(info),
                                "GT:GQ:DP", f"{gt}:{gq}:{dp}"]) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    os.unlink(plain)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def _contig_order(c: str, contigs: dict) -> tuple:
    names = list(contigs)
    if c in names:
        return (0, names.index(c), "")
    n = normalize_contig(c)
    order = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}
    return (1, order.get(n, 100), n)


# --------------------------------------------------------------------------- phenopacket
def phenopacket(run, pid: str | None = None, top: int = 5) -> dict:
    res: TriageResult = run.result
    case = run.ranked.case
    sex = {1: "MALE", 2: "FEMALE"}.get(case.family.sex[case.family.proband], "UNKNOWN_SEX")
    subject = case.sample
    feats = [{"type": {"id": t.id, "label": t.label}} for t in res.query.observed]
    feats += [{"type": {"id": t.id, "label": t.label}, "excluded": True} for t in res.query.excluded]
    build = case.build
    interps = []
    dlabel = {d.id: d.label for d in res.diseases}
    ann = run.ranker.engine.kb.annotations
    all_labels = dict(zip(ann.disease_ids, ann.disease_labels, strict=True))
    ncbi = dict(zip(ann.gene_symbols, ann.gene_ncbi, strict=True))
    for g in res.genes[:top]:
        gis = []
        for v in g.variants:
            if v.rank is None or (v.pathogenicity or 0) < 0.2:
                continue
            vd: dict[str, Any] = {
                "id": f"{g.symbol}-{v.chrom}-{v.pos}-{v.ref}-{v.alt}",
                "geneContext": {"valueId": f"NCBIGene:{ncbi.get(g.symbol, '')}", "symbol": g.symbol},
                "vcfRecord": {"genomeAssembly": build, "chrom": v.chrom, "pos": str(v.pos), "ref": v.ref,
                              "alt": v.alt},
                "moleculeContext": "genomic",
            }
            ex = []
            if v.hgvs_c and v.transcript:
                ex.append({"syntax": "hgvs.c", "value": f"{v.transcript}:{v.hgvs_c}"})
            if v.hgvs_p:
                ex.append({"syntax": "hgvs.p", "value": v.hgvs_p})
            if ex:
                vd["expressions"] = ex
            if v.zygosity in GENO:
                gid, lab = GENO[v.zygosity]
                vd["allelicState"] = {"id": gid, "label": lab}
            vd["extensions"] = [{"name": "triage_pathogenicity", "value": f"{v.pathogenicity}"},
                                {"name": "triage_consequence", "value": v.consequence or ""}]
            gis.append({"subjectOrBiosampleId": subject, "interpretationStatus": "CANDIDATE",
                        "variantInterpretation": {"acmgPathogenicityClassification": "NOT_PROVIDED",
                                                  "therapeuticActionability": "UNKNOWN_ACTIONABILITY",
                                                  "variationDescriptor": vd}})
            if len(gis) >= 2:
                break
        if not gis:
            gis.append({"subjectOrBiosampleId": subject, "interpretationStatus": "CANDIDATE",
                        "gene": {"valueId": f"NCBIGene:{ncbi.get(g.symbol, '')}", "symbol": g.symbol}})
        did = g.top_disease
        interps.append({
            "id": f"{pid or subject}-triage-{g.rank}-{g.symbol}",
            "progressStatus": "IN_PROGRESS",
            "summary": f"triage rank {g.rank}: {g.symbol} (posterior {g.posterior:.3g}); {g.explanation.summary}",
            "diagnosis": {"disease": {"id": did or "", "label": dlabel.get(did, all_labels.get(did, ""))},
                          "genomicInterpretations": gis},
        })
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": pid or f"{subject}-triage",
        "subject": {"id": subject, "sex": sex},
        "phenotypicFeatures": feats,
        "interpretations": interps,
        "metaData": {
            "created": created,
            "createdBy": f"triage {__version__}",
            "resources": [{"id": "hp", "name": "human phenotype ontology",
                           "url": "http://purl.obolibrary.org/obo/hp.owl",
                           "version": res.data_versions.get("hpo", ""), "namespacePrefix": "HP",
                           "iriPrefix": "http://purl.obolibrary.org/obo/HP_"}],
            "phenopacketSchemaVersion": "2.0",
            "externalReferences": [{"id": k, "description": str(v)} for k, v in res.data_versions.items()],
        },
    }


# --------------------------------------------------------------------------- PhEval
def write_pheval(run, out: Path, prefix: str, n: int = 100) -> list[Path]:
    from triage.phenotype.engine import competition_ranks, sort_order

    out.mkdir(parents=True, exist_ok=True)
    comb = run.ranked.combined
    ann = run.ranker.engine.kb.annotations
    paths = []
    go = sort_order(comb.gene_log10, ann.gene_symbols)[:n]
    gr = competition_ranks(comb.gene_log10, go)
    p = out / f"{prefix}-pheval_gene_result.tsv"
    with open(p, "w") as fh:
        fh.write("rank\tscore\tgene_symbol\tgene_identifier\n")
        for k, g in enumerate(go.tolist()):
            fh.write(f"{gr[k]}\t{10 ** comb.gene_log10[g]:.6g}\t{ann.gene_symbols[g]}\tNCBIGene:{ann.gene_ncbi[g]}\n")
    paths.append(p)
    do = sort_order(comb.disease_log10, ann.disease_ids)[:n]
    dr = competition_ranks(comb.disease_log10, do)
    p = out / f"{prefix}-pheval_disease_result.tsv"
    with open(p, "w") as fh:
        fh.write("rank\tscore\tdisease_name\tdisease_identifier\n")
        for k, d in enumerate(do.tolist()):
            fh.write(f"{dr[k]}\t{10 ** comb.disease_log10[d]:.6g}\t{ann.disease_labels[d]}\t{ann.disease_ids[d]}\n")
    paths.append(p)
    av = run.ranked.case.table
    vr = run.variants
    p = out / f"{prefix}-pheval_variant_result.tsv"
    seen = set()
    with open(p, "w") as fh:
        fh.write("rank\tscore\tchrom\tstart\tend\tref\talt\n")
        for r in vr.row_order.tolist():
            v = int(av.vidx[r])
            if v in seen or vr.variant_rank[v] == 0:
                continue
            seen.add(v)
            fh.write(f"{vr.variant_rank[v]}\t{av.score[r]:.4g}\t{normalize_contig(str(av.chrom[v]))}\t{av.pos[v]}\t"
                     f"{int(av.pos[v]) + len(av.ref[v]) - 1}\t{av.ref[v]}\t{av.alt[v]}\n")
            if len(seen) >= n:
                break
    paths.append(p)
    p = out / f"{prefix}-data_versions.json"
    p.write_text(json.dumps(run.result.data_versions, indent=2) + "\n")
    paths.append(p)
    return paths


# --------------------------------------------------------------------------- HTML
_LR_COLORS = [(-1.0, "#b2182b"), (-0.3, "#ef8a62"), (0.3, "#f7f7f7"), (1.0, "#d1e5f0"), (2.0, "#67a9cf"),
              (99, "#2166ac")]


def _lr_color(lr: float | None, match_type: str) -> str:
    if match_type in ("unmatched",) or lr is None:
        return "#eeeeee"
    x = math.log10(max(lr, 1e-9))
    for edge, col in _LR_COLORS:
        if x < edge:
            return col
    return _LR_COLORS[-1][1]


def phenotype_svg(result: TriageResult, top: int = 8) -> str:
    """Term x candidate heat map of log10 LR (inline SVG, no plotting library)."""
    genes = [g for g in result.genes[:top] if g.explanation.matches]
    if not genes:
        return ""
    terms = [(m.query_id, m.query_label, m.excluded) for m in genes[0].explanation.matches]
    cw, ch, left, topm = 86, 22, 300, 110
    w = left + cw * len(genes) + 20
    h = topm + ch * len(terms) + 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" '
             f'aria-label="phenotype match of the top candidates" font-family="sans-serif" font-size="11">']
    for j, g in enumerate(genes):
        x = left + j * cw + cw / 2
        parts.append(f'<text x="{x}" y="{topm - 8}" transform="rotate(-35 {x} {topm - 8})" '
                     f'font-weight="bold">{html.escape(g.symbol)} (#{g.rank})</text>')
    for i, (tid, label, exc) in enumerate(terms):
        y = topm + i * ch
        lab = ("NOT " if exc else "") + f"{label} ({tid})"
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{html.escape(lab[:52])}</text>')
        for j, g in enumerate(genes):
            m = g.explanation.matches[i] if i < len(g.explanation.matches) else None
            lr = m.likelihood_ratio if m else None
            col = _lr_color(lr, m.match_type if m else "unmatched")
            tip = (f"{g.symbol}: {m.match_type}" + (f" via {m.disease_term_label}" if m and m.disease_term_label else "")
                   + (f", LR {lr:.3g}" if lr is not None else "")) if m else ""
            parts.append(f'<rect x="{left + j * cw + 2}" y="{y + 2}" width="{cw - 4}" height="{ch - 4}" '
                         f'fill="{col}" stroke="#999"><title>{html.escape(tip)}</title></rect>')
            if m and m.match_type in ("exact", "disease_more_specific"):
                parts.append(f'<text x="{left + j * cw + cw / 2}" y="{y + 15}" text-anchor="middle">&#x2713;</text>')
            elif m and m.match_type == "contradicted":
                parts.append(f'<text x="{left + j * cw + cw / 2}" y="{y + 15}" text-anchor="middle">&#x2717;</text>')
    ly = topm + ch * len(terms) + 20
    legend = [("LR < 0.1", "#b2182b"), ("~1", "#f7f7f7"), ("10-100", "#67a9cf"), ("> 100", "#2166ac"),
              ("unmatched", "#eeeeee")]
    for k, (t, col) in enumerate(legend):
        parts.append(f'<rect x="{left + k * 90}" y="{ly}" width="14" height="14" fill="{col}" stroke="#999"/>'
                     f'<text x="{left + k * 90 + 18}" y="{ly + 11}">{t}</text>')
    parts.append(f'<text x="{left}" y="{ly + 32}">&#x2713; exact / more specific disease term, &#x2717; contradicted</text>')
    parts.append("</svg>")
    return "".join(parts)


def report_html(run, top: int = 10) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html"]))
    tpl = env.get_template("report.html")
    res: TriageResult = run.result
    ann = run.ranker.engine.kb.annotations
    dlabel = dict(zip(ann.disease_ids, ann.disease_labels, strict=True))
    return tpl.render(result=res, genes=res.genes[:top], diseases=res.diseases[:top], dlabel=dlabel,
                      svg=phenotype_svg(res, min(top, 8)), stats=run.ranked.case.table.stats,
                      version=__version__, created=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


# --------------------------------------------------------------------------- driver
def write_outputs(run, out_dir: str | Path, formats=FORMATS, cfg=None, phenopacket_id: str | None = None) -> list[str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prefix = (getattr(cfg, "prefix", "") or run.ranked.case.sample).replace("/", "_")
    top = getattr(cfg, "report_top", 10)
    bad = set(formats) - set(FORMATS)
    if bad:
        from triage.errors import TriageError
        raise TriageError(f"unknown output format(s) {', '.join(sorted(bad))}; choose from {', '.join(FORMATS)}")
    files: list[Path] = []
    if "json" in formats:
        p = out / f"{prefix}.result.json"
        p.write_text(run.result.model_dump_json(indent=2) + "\n")
        files.append(p)
    if "tsv" in formats:
        p = out / f"{prefix}.genes.tsv"
        p.write_text(genes_tsv(run))
        files.append(p)
        files.append(write_variants_tsv(run, out / f"{prefix}.variants.tsv"))
    if "vcf" in formats:
        files.append(write_candidates_vcf(run, out / f"{prefix}.candidates.vcf.gz"))
        files.append(out / f"{prefix}.candidates.vcf.gz.tbi")
    if "html" in formats:
        p = out / f"{prefix}.report.html"
        p.write_text(report_html(run, top))
        files.append(p)
    if "phenopacket" in formats:
        p = out / f"{prefix}.phenopacket.json"
        p.write_text(json.dumps(phenopacket(run, phenopacket_id), indent=2) + "\n")
        files.append(p)
    if "pheval" in formats:
        files += write_pheval(run, out / "pheval", prefix)
    return [str(f) for f in files]

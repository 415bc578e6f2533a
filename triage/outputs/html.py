"""The HTML report (``PREFIX.report.html``, ``GET /v1/cases/{id}/report``): one
self-contained page (no scripts, no external resources, so it passes the API's strict
Content-Security-Policy) rendered from the result alone by ``templates/report.html``.

What a reviewer needs first comes first: the header names the data versions and the
resources that were *not* configured (so an absent ClinVar or frequency line is read
as "not looked up", not as "not found"); posteriors keep their precision near 1
(:func:`~triage.outputs.common.fmt_prob`); each gene's evidence table leads with its
candidate variants (coding, splice, ClinVar-listed) and folds the intronic/UTR rows
away; every id links to its public page (OMIM, Orphanet, DECIPHER, NCBI Gene, the HPO
browser, ClinVar, gnomAD) with ``rel=noreferrer`` so no case URL leaks. Each listed
variant shows its automated, provisional ACMG/AMP criteria with their reasons; what
could not be assessed for the case is listed once.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path

from triage import __version__
from triage.models import TriageResult, VariantEvidence
from triage.outputs.common import fmt_prob

#: CSS class suffix of each ACMG/AMP class
ACMG_SHORT = {"Pathogenic": "P", "Likely pathogenic": "LP", "Uncertain significance": "VUS", "Likely benign": "LB",
              "Benign": "B"}
#: (upper edge of log10 LR, colour, legend text) of the heat map's bins
_LR_COLORS = [(-1.0, "#b2182b", "LR < 0.1"), (-0.3, "#ef8a62", "0.1-0.5"), (0.3, "#f7f7f7", "0.5-2"),
              (1.0, "#d1e5f0", "2-10"), (2.0, "#67a9cf", "10-100"), (math.inf, "#2166ac", "> 100")]
UNMATCHED_COLOR = "#eeeeee"
#: every colour the heat map can use, with its legend text (the legend shows all of them)
HEATMAP_LEGEND = [(t, c) for _, c, t in _LR_COLORS] + [("no LR (unmatched)", UNMATCHED_COLOR)]

#: VEP impact classes listed as candidates in a gene's evidence table (the rest, MODIFIER:
#: intronic, UTR, up/downstream, non-coding, is folded away unless ClinVar lists it)
CANDIDATE_IMPACTS = ("HIGH", "MODERATE", "LOW")


def _lr_color(lr: float | None, match_type: str) -> str:
    if match_type in ("unmatched",) or lr is None:
        return UNMATCHED_COLOR
    x = math.log10(max(lr, 1e-9))
    for edge, col, _ in _LR_COLORS:
        if x < edge:
            return col
    return _LR_COLORS[-1][1]


# --------------------------------------------------------------------------- links
_DISEASE_URLS = {
    "OMIM": "https://omim.org/entry/{}",
    "ORPHA": "https://www.orpha.net/en/disease/detail/{}",
    "DECIPHER": "https://www.deciphergenomics.org/syndrome/{}",
    "MONDO": "https://monarchinitiative.org/MONDO:{}",
}


def disease_url(did: str | None) -> str | None:
    """Public page of a disease id (OMIM, ORPHA, DECIPHER, MONDO), or None."""
    if not did or ":" not in did:
        return None
    prefix, local = did.split(":", 1)
    tpl = _DISEASE_URLS.get(prefix.upper())
    return tpl.format(local) if tpl and local else None


def hpo_url(term_or_id: str | None) -> str | None:
    """HPO browser page of an HPO term (``HP:...``), a disease (``OMIM:...``) or a gene
    (``NCBIGene:...``)."""
    if not term_or_id or ":" not in term_or_id:
        return None
    prefix = term_or_id.split(":", 1)[0]
    kind = {"HP": "term", "OMIM": "disease", "ORPHA": "disease", "DECIPHER": "disease",
            "NCBIGENE": "gene"}.get(prefix.upper())
    return f"https://hpo.jax.org/browse/{kind}/{term_or_id}" if kind else None


def gene_url(ncbi_gene_id: str | None) -> str | None:
    """NCBI Gene page of ``NCBIGene:<id>``."""
    if not ncbi_gene_id or not ncbi_gene_id.startswith("NCBIGene:"):
        return None
    return f"https://www.ncbi.nlm.nih.gov/gene/{ncbi_gene_id.split(':', 1)[1]}"


def gnomad_url(v: VariantEvidence, build: str | None) -> str | None:
    """gnomAD browser page of a variant (v2.1 for GRCh37, v4 for GRCh38)."""
    if build not in ("GRCh37", "GRCh38") or not v.ref or not v.alt or v.alt.startswith("<"):
        return None
    chrom = v.chrom[3:] if v.chrom.lower().startswith("chr") else v.chrom
    chrom = "M" if chrom in ("MT", "M") else chrom
    dataset = "gnomad_r2_1" if build == "GRCh37" else "gnomad_r4"
    return f"https://gnomad.broadinstitute.org/variant/{chrom}-{v.pos}-{v.ref}-{v.alt}?dataset={dataset}"


def clinvar_url(v: VariantEvidence, gene: str, build: str | None) -> str | None:
    """ClinVar search for a variant: by its HGVS name when it has one, else by gene and
    position on the build (ClinVar's ``chrpos37`` / ``chrpos`` search fields)."""
    from urllib.parse import quote

    if v.transcript and v.hgvs_c:
        term = f"{v.transcript}:{v.hgvs_c}"
    elif build in ("GRCh37", "GRCh38"):
        term = f"{gene}[gene] AND {v.pos}[{'chrpos37' if build == 'GRCh37' else 'chrpos'}]"
    else:
        return None
    return "https://www.ncbi.nlm.nih.gov/clinvar/?term=" + quote(term, safe=":[]")


def is_candidate_variant(v: VariantEvidence) -> bool:
    """Listed first in a gene's evidence table: a coding or splice consequence (VEP impact
    HIGH, MODERATE, LOW), a ClinVar entry or an ACMG/AMP class of (likely) pathogenic."""
    from triage.variants.consequences import IMPACT

    terms = [t.strip() for t in (v.consequence or "").replace("&", ",").split(",") if t.strip()]
    if any(IMPACT.get(t, "MODIFIER") in CANDIDATE_IMPACTS for t in terms):
        return True
    return bool(v.clinvar) or (v.acmg is not None and v.acmg.classification in ("Pathogenic", "Likely pathogenic"))


def split_variants(variants: list[VariantEvidence]) -> tuple[list[VariantEvidence], list[VariantEvidence]]:
    """(candidates, others) of a gene's variants, each in the gene's variant order."""
    cand = [v for v in variants if is_candidate_variant(v)]
    return cand, [v for v in variants if not is_candidate_variant(v)]


#: data_versions key -> the resource it stands for and what its absence means
RESOURCE_KEYS = (
    ("population_frequency", "population frequency (e.g. gnomAD; resources.population)",
     "no allele frequency: PM2/BA1/BS1 not assessed, rare and common variants scored alike"),
    ("clinvar", "ClinVar (resources.clinvar)", "no ClinVar significance: PP5/BP6/PM3 not assessed"),
    ("score:", "variant predictors (REVEL / AlphaMissense / CADD; resources.scores)",
     "no predictor: PP3/BP4 not assessed, missense scored by consequence alone"),
    ("reference_fasta", "reference FASTA (annotation.reference_fasta)",
     "missense and synonymous cannot be told apart and p. names may be absent"),
)


def resources_not_configured(result: TriageResult) -> list[tuple[str, str]]:
    """(resource, consequence of its absence) for each optional resource a VCF result was
    made without (from its ``data_versions``); empty for phenotype-only results."""
    if result.case is None:
        return []
    keys = result.data_versions
    return [(name, why) for key, name, why in RESOURCE_KEYS
            if not any(k == key or (key.endswith(":") and k.startswith(key)) for k in keys)]


def phenotype_svg(result: TriageResult, top: int = 8) -> str:
    """Term x candidate heat map of log10 LR (inline SVG, no plotting library)."""
    genes = [g for g in result.genes[:top] if g.explanation.matches]
    if not genes:
        return ""
    terms = [(m.query_id, m.query_label, m.excluded) for m in genes[0].explanation.matches]
    cw, ch, left, topm = 86, 22, 300, 110
    w = max(left + cw * len(genes) + 20, 20 + 62 + 84 * len(HEATMAP_LEGEND))
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
    lx = 20
    parts.append(f'<text x="{lx}" y="{ly + 11}" font-weight="bold">term LR:</text>')
    for k, (t, col) in enumerate(HEATMAP_LEGEND):
        x = lx + 62 + k * 84
        parts.append(f'<rect x="{x}" y="{ly}" width="14" height="14" fill="{col}" stroke="#999"/>'
                     f'<text x="{x + 18}" y="{ly + 11}">{html.escape(t)}</text>')
    parts.append(f'<text x="{lx}" y="{ly + 32}">&#x2713; exact / more specific disease term, '
                 f'&#x2717; contradicted</text>')
    parts.append("</svg>")
    return "".join(parts)


def treatable_summary(result: TriageResult, top: int = 10) -> list[tuple[str, list]]:
    """(candidate name, therapies) for the top candidates with a therapy flag: diseases
    first, then genes not already covered by a listed disease."""
    out: list[tuple[str, list]] = []
    seen: set[str] = set()
    for d in result.diseases[:top]:
        if d.therapies:
            out.append((f"{d.label} ({d.id})", d.therapies))
            seen.update(d.genes)
    for g in result.genes[:top]:
        if g.therapies and g.symbol not in seen:
            out.append((f"{g.symbol} (gene rank {g.rank})", g.therapies))
            seen.add(g.symbol)
    return out


def report_html(result: TriageResult, top: int = 10, *, case_id: str | None = None,
                ranking_version: int | None = None, submitted_at: float | None = None) -> str:
    """Render the report of ``result`` (its top ``top`` genes and diseases).

    ``case_id``, ``ranking_version`` and ``submitted_at`` label a service case.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html"]))
    submitted = (_dt.datetime.fromtimestamp(submitted_at, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
                 if submitted_at else None)
    acmg_note = next((v.acmg for g in result.genes[:top] for v in g.variants if v.acmg is not None), None)
    env.filters["prob"] = fmt_prob
    env.globals.update(disease_url=disease_url, hpo_url=hpo_url, gene_url=gene_url, gnomad_url=gnomad_url,
                       clinvar_url=clinvar_url, split_variants=split_variants)
    tpl = env.get_template("report.html")
    return tpl.render(result=result, genes=result.genes[:top], diseases=result.diseases[:top],
                      not_configured=(nc := resources_not_configured(result)),
                      no_frequency=any(n.startswith("population") for n, _ in nc),
                      no_clinvar=any(n.startswith("ClinVar") for n, _ in nc),
                      build=result.case.genome_build if result.case is not None else None,
                      treatable=treatable_summary(result, top),
                      acmg_note=acmg_note, acmg_short=ACMG_SHORT,
                      svg=phenotype_svg(result, min(top, 8)),
                      counts=result.case.counts if result.case is not None else {},
                      vcf=result.case is not None, version=__version__, case_id=case_id,
                      ranking_version=ranking_version, submitted=submitted,
                      created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

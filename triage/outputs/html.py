"""The HTML report (``PREFIX.report.html``, ``GET /v1/cases/{id}/report``): one
self-contained page (no scripts, no external resources, so it passes the API's strict
Content-Security-Policy) rendered from the result alone by ``templates/report.html``.
Each listed variant shows its automated, provisional ACMG/AMP criteria with their
reasons; what could not be assessed for the case is listed once.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path

from triage import __version__
from triage.models import TriageResult

#: CSS class suffix of each ACMG/AMP class
ACMG_SHORT = {"Pathogenic": "P", "Likely pathogenic": "LP", "Uncertain significance": "VUS", "Likely benign": "LB",
              "Benign": "B"}
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
    tpl = env.get_template("report.html")
    submitted = (_dt.datetime.fromtimestamp(submitted_at, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
                 if submitted_at else None)
    acmg_note = next((v.acmg for g in result.genes[:top] for v in g.variants if v.acmg is not None), None)
    return tpl.render(result=result, genes=result.genes[:top], diseases=result.diseases[:top],
                      treatable=treatable_summary(result, top),
                      acmg_note=acmg_note, acmg_short=ACMG_SHORT,
                      svg=phenotype_svg(result, min(top, 8)),
                      counts=result.case.counts if result.case is not None else {},
                      vcf=result.case is not None, version=__version__, case_id=case_id,
                      ranking_version=ranking_version, submitted=submitted,
                      created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

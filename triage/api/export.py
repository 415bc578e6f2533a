"""Render a case result as HTML (report) and as a GA4GH phenopacket v2 (JSON)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from triage import __version__
from triage.models import TriageResult

_SEX = {"male": "MALE", "female": "FEMALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX"}

_RESOURCES = {
    "OMIM": {"id": "omim", "name": "Online Mendelian Inheritance in Man", "url": "https://www.omim.org",
             "namespacePrefix": "OMIM", "iriPrefix": "https://omim.org/entry/"},
    "ORPHA": {"id": "orpha", "name": "Orphanet Rare Disease Ontology", "url": "https://www.orpha.net",
              "namespacePrefix": "ORPHA", "iriPrefix": "http://www.orpha.net/ORDO/Orphanet_"},
    "DECIPHER": {"id": "decipher", "name": "DECIPHER", "url": "https://www.deciphergenomics.org",
                 "namespacePrefix": "DECIPHER", "iriPrefix": "https://www.deciphergenomics.org/syndrome/"},
}


def _iso(ts: float | None = None) -> str:
    t = dt.datetime.fromtimestamp(ts, dt.timezone.utc) if ts else dt.datetime.now(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_phenopacket(case_id: str, result: TriageResult, *, sample: str | None, sex: str | None,
                   gene_ids: dict[str, str], created_at: float | None = None,
                   n_interpretations: int = 10) -> dict[str, Any]:
    """A phenopacket v2 whose interpretations are the top-ranked candidate diagnoses.

    Each interpretation is ``IN_PROGRESS`` with ``CANDIDATE`` genomic interpretations
    (one per associated gene): they are ranked hypotheses for review, not diagnoses.
    """
    subject_id = sample or "proband"
    subject: dict[str, Any] = {"id": subject_id}
    if sex:
        subject["sex"] = _SEX.get(sex.lower(), "UNKNOWN_SEX")
    features = [{"type": {"id": t.id, "label": t.label}} for t in result.query.observed]
    features += [{"type": {"id": t.id, "label": t.label}, "excluded": True} for t in result.query.excluded]
    interpretations = []
    prefixes = set()
    for d in result.diseases[:n_interpretations]:
        prefixes.add(d.id.split(":", 1)[0])
        gis = []
        for sym in d.genes:
            gene: dict[str, Any] = {"symbol": sym}
            gene["valueId"] = f"NCBIGene:{gene_ids[sym]}" if sym in gene_ids else f"hgnc.symbol:{sym}"
            gis.append({"subjectOrBiosampleId": subject_id, "interpretationStatus": "CANDIDATE", "gene": gene})
        post = f"; posterior {d.posterior:.4g}" if d.posterior is not None else ""
        interpretations.append({
            "id": f"{case_id}-rank{d.rank}-{d.id}",
            "progressStatus": "IN_PROGRESS",
            "diagnosis": {"disease": {"id": d.id, "label": d.label}, "genomicInterpretations": gis},
            "summary": f"triage candidate rank {d.rank} (score {d.score:.4g}{post}); {d.explanation.summary}".rstrip("; "),
        })
    hpo_version = result.data_versions.get("hpo", "unknown")
    resources = [{"id": "hp", "name": "human phenotype ontology", "url": "http://purl.obolibrary.org/obo/hp.owl",
                  "version": hpo_version, "namespacePrefix": "HP", "iriPrefix": "http://purl.obolibrary.org/obo/HP_"}]
    for p in sorted(prefixes):
        if p in _RESOURCES:
            resources.append(_RESOURCES[p] | {"version": result.data_versions.get("hpo_annotations", "unknown")})
    resources.append({"id": "ncbigene", "name": "NCBI Gene", "url": "https://www.ncbi.nlm.nih.gov/gene",
                      "version": "unknown", "namespacePrefix": "NCBIGene",
                      "iriPrefix": "https://www.ncbi.nlm.nih.gov/gene/"})
    return {
        "id": f"triage-{case_id}",
        "subject": subject,
        "phenotypicFeatures": features,
        "interpretations": interpretations,
        "metaData": {
            "created": _iso(created_at),
            "createdBy": f"triage {__version__}",
            "resources": resources,
            "phenopacketSchemaVersion": "2.0",
        },
    }


_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ccc;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f0f2f5}td.n{text-align:right;
font-variant-numeric:tabular-nums}.warn{background:#fff6d6;padding:.5rem 1rem;border-left:4px solid #c90}
.note{color:#555;font-size:.9em}details summary{cursor:pointer}
"""


def render_report(case_id: str, result: TriageResult, *, created_at: float, version: int) -> str:
    """Self-contained HTML report (no scripts, no external resources)."""
    e = escape
    rows = []
    for d in result.diseases:
        post = f"{d.posterior:.4f}" if d.posterior is not None else "–"
        terms = "".join(
            f"<li>{e(m.query_label)} ({e(m.query_id)}): {e(m.match_type.replace('_', ' '))}"
            + (f", LR {m.likelihood_ratio:.2f}" if m.likelihood_ratio is not None else "")
            + "</li>" for m in d.explanation.matches)
        expl = (f"<details><summary>{e(d.explanation.summary)}</summary><ul>{terms}</ul></details>"
                if d.explanation.matches else e(d.explanation.summary))
        rows.append(f"<tr><td class=n>{d.rank}</td><td>{e(d.label)}<br><span class=note>{e(d.id)}</span></td>"
                    f"<td class=n>{post}</td><td class=n>{d.score:.3f}</td><td>{e(', '.join(d.genes[:8]))}</td>"
                    f"<td>{expl}</td></tr>")
    genes = "".join(
        f"<tr><td class=n>{g.rank}</td><td>{e(g.symbol)}</td><td class=n>{g.score:.4g}</td>"
        f"<td>{e(g.top_disease or '')}</td></tr>" for g in result.genes)
    obs = "".join(f"<li>{e(t.label)} ({e(t.id)})</li>" for t in result.query.observed) or "<li>none</li>"
    exc = "".join(f"<li>{e(t.label)} ({e(t.id)})</li>" for t in result.query.excluded) or "<li>none</li>"
    warns = "".join(f"<li><b>{e(w.code)}</b>: {e(w.message)}</li>" for w in result.warnings)
    versions = ", ".join(f"{e(k)} {e(v)}" for k, v in result.data_versions.items() if k != "hpo_source")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>triage report {e(case_id)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>{_CSS}</style></head>
<body><main>
<h1>Diagnosis triage report</h1>
<p class=note>Case {e(case_id)} · ranking version {version} · generated {_iso()} (case submitted {_iso(created_at)})
· triage {e(__version__)} · {versions} · scorer {e(result.query.scorer)}</p>
<p class=warn>Decision support for research and clinical review. Ranked candidates are hypotheses,
not diagnoses; confirm with a clinical geneticist.</p>
<h2>Phenotype</h2><h3>Observed</h3><ul>{obs}</ul><h3>Excluded</h3><ul>{exc}</ul>
{f'<h2>Notes</h2><ul>{warns}</ul>' if warns else ''}
<h2>Candidate diseases</h2>
<table><thead><tr><th scope=col>Rank</th><th scope=col>Disease</th><th scope=col>Posterior</th>
<th scope=col>Score</th><th scope=col>Genes</th><th scope=col>Explanation</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Candidate genes</h2>
<table><thead><tr><th scope=col>Rank</th><th scope=col>Gene</th><th scope=col>Score</th>
<th scope=col>Best disease</th></tr></thead><tbody>{genes}</tbody></table>
</main></body></html>
"""

"""``SAMPLES.tsv`` of ``triage cohort``: one row per proband (tab-separated, with a header).

Columns: ``sample`` (VCF sample id), ``hpo`` (comma-separated HPO ids) and/or
``phenopacket`` (a path, relative to the TSV), ``family`` (optional family id). Samples of
the VCF without a row are family members or frequency background. Errors name the line.
No Hail here: the main environment validates a cohort sheet too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from triage.cli.common import CaseTerms, read_terms, split_terms
from triage.errors import InputFileError, TriageError

REQUIRED = ("sample",)
KNOWN = ("sample", "hpo", "exclude", "phenopacket", "family", "sex")


@dataclass
class Proband:
    sample: str
    terms: CaseTerms
    family: str = ""
    line: int = 0
    members: tuple[str, ...] = field(default_factory=tuple)  # filled by the driver (PED + sheet)


def read_samples(path: str | Path) -> list[Proband]:
    """Parse ``SAMPLES.tsv``; InputFileError naming the line for a bad row."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read ({exc.strerror or exc})") from None
    rows = [(n, r) for n, r in enumerate(text.splitlines(), start=1) if r.strip() and not r.startswith("#")]
    if not rows:
        raise InputFileError(str(p), "empty samples sheet (a header with 'sample' and 'hpo' or 'phenopacket' is needed)")
    hline, htext = rows[0]
    header = [h.strip() for h in htext.split("\t")]
    missing = [c for c in REQUIRED if c not in header]
    if missing or not ({"hpo", "phenopacket"} & set(header)):
        raise InputFileError(str(p), f"header needs 'sample' and 'hpo' or 'phenopacket'; got {header}", hline)
    unknown = [c for c in header if c not in KNOWN]
    if unknown:
        raise InputFileError(str(p), f"unknown column(s) {', '.join(unknown)} (known: {', '.join(KNOWN)})", hline)
    out: list[Proband] = []
    seen: dict[str, int] = {}
    for ln, text_row in rows[1:]:
        cells = text_row.split("\t")
        if len(cells) > len(header):
            raise InputFileError(str(p), f"{len(cells)} fields for {len(header)} columns", ln)
        row = dict(zip(header, [c.strip() for c in cells] + [""] * (len(header) - len(cells)), strict=True))
        s = row["sample"]
        if not s:
            raise InputFileError(str(p), "empty sample id", ln)
        if s in seen:
            raise InputFileError(str(p), f"sample {s!r} listed twice (first on line {seen[s]})", ln)
        seen[s] = ln
        pp = row.get("phenopacket") or None
        if pp and not Path(pp).is_absolute():
            pp = str(p.resolve().parent / pp)
        try:
            terms = read_terms(split_terms([row.get("hpo", "")]), split_terms([row.get("exclude", "")]), pp)
        except TriageError as exc:
            raise InputFileError(str(p), f"sample {s}: {exc}", ln) from None
        if row.get("sex") and not terms.sex:
            terms.sex = row["sex"].upper()
        out.append(Proband(s, terms, row.get("family", ""), ln))
    if not out:
        raise InputFileError(str(p), "no proband rows under the header")
    return out

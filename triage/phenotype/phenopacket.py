"""Read GA4GH phenopackets v2 (JSON): observed/excluded terms, diagnosis, causal variants.

Only what triage needs is extracted; the full document stays available as ``raw``.
A file that is not a readable phenopacket raises :class:`PhenopacketError` naming it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import PhenopacketError


@dataclass
class CausalVariant:
    gene: str | None
    chrom: str | None = None
    pos: int | None = None
    ref: str | None = None
    alt: str | None = None
    assembly: str | None = None
    allelic_state: str | None = None  # e.g. heterozygous, homozygous, hemizygous
    hgvs: list[str] = field(default_factory=list)


@dataclass
class Case:
    id: str
    path: str
    cohort: str
    subject_id: str | None
    sex: str | None
    observed: list[str]
    excluded: list[str]
    diseases: list[str]
    genes: list[str]
    variants: list[CausalVariant]
    onset: str | None = None  # HPO onset class (HP:0003674 subtree) of the earliest onset given
    raw: dict = field(repr=False, default_factory=dict)


# HPO onset classes (Clinical modifier > Onset) with their lower age bound in days
ONSET_CLASSES = [
    ("HP:0030674", float("-inf"), "Antenatal onset"),
    ("HP:0003577", 0.0, "Congenital onset"),
    ("HP:0003623", 0.5, "Neonatal onset"),
    ("HP:0003593", 28.0, "Infantile onset"),
    ("HP:0011463", 365.25, "Childhood onset"),
    ("HP:0003621", 5 * 365.25, "Juvenile onset"),
    ("HP:0003581", 16 * 365.25, "Adult onset"),
]
# representative age (days) of onset terms a phenopacket may give directly
_ONSET_TERM_DAYS = {
    "HP:0030674": -1.0, "HP:0011460": -1.0, "HP:0011461": -1.0, "HP:0034199": -1.0,
    "HP:0034197": -1.0, "HP:0034198": -1.0, "HP:0003577": 0.0, "HP:0003623": 1.0,
    "HP:0003593": 60.0, "HP:0011463": 400.0, "HP:0410280": 400.0, "HP:0003621": 2000.0,
    "HP:0003581": 6000.0, "HP:0011462": 6000.0, "HP:0025708": 6000.0, "HP:0025709": 9000.0,
    "HP:0025710": 13000.0, "HP:0003596": 15000.0, "HP:0003584": 22000.0,
}
_ISO_AGE = re.compile(r"^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?$")


def iso_age_days(value: str) -> float | None:
    """ISO 8601 duration (P3Y2M, P10D, P0D) -> days; None when unparseable."""
    m = _ISO_AGE.match((value or "").strip().split("T")[0])
    if not m or not any(m.groups()):
        return None
    y, mo, w, d = (float(x) if x else 0.0 for x in m.groups())
    return y * 365.25 + mo * 30.4375 + w * 7 + d


def onset_class(days: float) -> str:
    """Age at onset in days (negative = antenatal) -> HPO onset class id."""
    term = ONSET_CLASSES[0][0]
    for tid, lower, _ in ONSET_CLASSES:
        if days >= lower:
            term = tid
    return term


def _onset_days(onset: dict | None) -> float | None:
    if not isinstance(onset, dict):
        return None
    if "ontologyClass" in onset:
        return _ONSET_TERM_DAYS.get(_get(onset, "ontologyClass", "id"))
    if "age" in onset:
        return iso_age_days(_get(onset, "age", "iso8601duration") or "")
    if "gestationalAge" in onset:
        return -1.0
    return None


def earliest_onset(doc: dict) -> str | None:
    """The HPO onset class of the earliest onset in observed features or diseases."""
    days = [_onset_days(f.get("onset")) for f in doc.get("phenotypicFeatures") or []
            if isinstance(f, dict) and not f.get("excluded")]
    days += [_onset_days(dz.get("onset")) for dz in doc.get("diseases") or [] if isinstance(dz, dict)]
    days = [d for d in days if d is not None]
    return onset_class(min(days)) if days else None


def _get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def parse_phenopacket(doc: dict, path: str = "<memory>", cohort: str = "") -> Case:
    if not isinstance(doc, dict):
        raise PhenopacketError(f"{path}: top level is not a JSON object")
    if "phenotypicFeatures" not in doc and "interpretations" not in doc and "subject" not in doc:
        raise PhenopacketError(f"{path}: not a GA4GH phenopacket (no subject, phenotypicFeatures or interpretations)")
    observed, excluded = [], []
    for i, feat in enumerate(doc.get("phenotypicFeatures") or []):
        tid = _get(feat, "type", "id")
        if not isinstance(tid, str):
            raise PhenopacketError(f"{path}: phenotypicFeatures[{i}] has no type.id")
        (excluded if feat.get("excluded") else observed).append(tid)
    diseases: list[str] = []
    genes: list[str] = []
    variants: list[CausalVariant] = []
    for interp in doc.get("interpretations") or []:
        dx = interp.get("diagnosis") or {}
        did = _get(dx, "disease", "id")
        if did and did not in diseases:
            diseases.append(did)
        for gi in dx.get("genomicInterpretations") or []:
            gene_desc = gi.get("gene")
            if isinstance(gene_desc, dict) and gene_desc.get("symbol"):
                if gene_desc["symbol"] not in genes:
                    genes.append(gene_desc["symbol"])
            vd = _get(gi, "variantInterpretation", "variationDescriptor") or {}
            if not vd:
                continue
            sym = _get(vd, "geneContext", "symbol")
            if sym and sym not in genes:
                genes.append(sym)
            vcf = vd.get("vcfRecord") or {}
            try:
                pos = int(vcf["pos"]) if "pos" in vcf else None
            except (TypeError, ValueError):
                raise PhenopacketError(f"{path}: vcfRecord.pos {vcf.get('pos')!r} is not an integer") from None
            variants.append(CausalVariant(
                gene=sym, chrom=vcf.get("chrom"), pos=pos, ref=vcf.get("ref"), alt=vcf.get("alt"),
                assembly=vcf.get("genomeAssembly"),
                allelic_state=_get(vd, "allelicState", "label"),
                hgvs=[e.get("value") for e in vd.get("expressions") or [] if e.get("value")],
            ))
    for dz in doc.get("diseases") or []:
        did = _get(dz, "term", "id")
        if did and not dz.get("excluded") and did not in diseases:
            diseases.append(did)
    subject = doc.get("subject") or {}
    return Case(
        id=str(doc.get("id") or Path(path).stem), path=str(path), cohort=cohort,
        subject_id=subject.get("id"), sex=subject.get("sex"), observed=observed,
        excluded=excluded, diseases=diseases, genes=genes, variants=variants,
        onset=earliest_onset(doc), raw=doc,
    )


def read_phenopacket(path: str | Path, cohort: str | None = None) -> Case:
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise PhenopacketError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PhenopacketError(f"{path}: cannot read ({exc})") from None
    return parse_phenopacket(doc, str(path), cohort if cohort is not None else path.parent.name)


def find_phenopackets(directory: str | Path) -> list[Path]:
    """All ``*.json`` files below ``directory``, sorted for reproducibility."""
    directory = Path(directory)
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise PhenopacketError(f"{directory}: no such directory")
    return sorted(directory.rglob("*.json"))

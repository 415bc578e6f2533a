"""Read GA4GH phenopackets v2 (JSON): observed/excluded terms, diagnosis, causal variants.

Only what triage needs is extracted; the full document stays available as ``raw``.
A file that is not a readable phenopacket raises :class:`PhenopacketError` naming it.
"""

from __future__ import annotations

import json
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
    raw: dict = field(repr=False, default_factory=dict)


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
        excluded=excluded, diseases=diseases, genes=genes, variants=variants, raw=doc,
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

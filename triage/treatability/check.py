"""``triage therapies check``: validate the therapy table against its schema and the data.

Checks (errors make the command exit non-zero; warnings are reported):

1. the YAML matches ``therapies.schema.json`` (every violation with its location);
2. references: unique condition ids, every therapy's conditions exist, ``only_genes`` are
   genes of those conditions, every tier-1 condition is treated by a listed therapy;
3. disease ids exist in the HPO release's ``phenotype.hpoa``, or are flagged in the
   condition's ``ids_absent_from_hpo`` (a flagged id that *is* present is a stale flag: error);
4. genes (condition genes and drug targets) are symbols of the bundled gene models of
   both builds, directly or through the refGene -> HGNC alias map
   (:mod:`triage.variants.gene_aliases`); a condition gene the HPO release does not link
   to any of the condition's diseases is a warning;
5. dates parse (YYYY, YYYY-MM, YYYY-MM-DD) and are not after ``last_reviewed``;
6. every therapy and every tier-2 condition has a source; a ``verified`` or
   ``partly_verified`` row names what was checked;
7. the condition's inheritance agrees with the HPO inheritance terms of its diseases
   (warning otherwise).
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.treatability.therapies import TABLE_PATH, TherapyTable, _read_yaml, schema_errors
from triage.variants.gene_aliases import REFGENE_TO_HGNC

#: HPO inheritance terms compatible with each table inheritance code
_HPO_MODES = {
    "AR": {"HP:0000007", "HP:0032113"},
    "AD": {"HP:0000006", "HP:0032113", "HP:0003745"},
    "XLR": {"HP:0001419", "HP:0001417"},
    "XLD": {"HP:0001423", "HP:0001417"},
}


@dataclass
class CheckReport:
    table: str
    version: str = ""
    last_reviewed: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged_ids: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "version": self.version, "last_reviewed": self.last_reviewed,
                "ok": self.ok, "errors": self.errors, "warnings": self.warnings,
                "flagged_ids": self.flagged_ids, "stats": self.stats}

    def to_text(self) -> str:
        """Human-readable summary (counts per tier, verification status, flagged ids, errors)."""
        s = self.stats
        lines = [f"therapy table {self.table}", f"  version {self.version}, last reviewed {self.last_reviewed}"]
        if s:
            lines.append(f"  tier 1: {s.get('tier1_products', 0)} products, {s.get('tier1_rows', 0)} product x agency rows, "
                         f"{s.get('tier1_conditions', 0)} conditions")
            lines.append(f"  tier 2: {s.get('tier2_conditions', 0)} conditions, {s.get('tier2_rows', 0)} treatment rows")
            v = s.get("verification", {})
            lines.append("  verification (tier 1 products): " + ", ".join(f"{k} {v[k]}" for k in sorted(v)))
            v2 = s.get("verification_tier2", {})
            lines.append("  verification (tier 2 conditions): " + ", ".join(f"{k} {v2[k]}" for k in sorted(v2)))
            lines.append(f"  disease ids: {s.get('disease_ids', 0)} ({s.get('disease_ids_in_hpo', 0)} in the HPO release, "
                         f"{len(self.flagged_ids)} flagged absent)")
            lines.append(f"  genes: {s.get('genes', 0)} condition genes, {s.get('target_genes', 0)} drug targets; "
                         f"all checked against {', '.join(s.get('gene_models', []))}")
            lines.append(f"  dates: {s.get('dates', 0)} parsed; sources: {s.get('sources', 0)}")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        for e in self.errors:
            lines.append(f"error: {e}")
        lines.append("OK" if self.ok else f"FAILED: {len(self.errors)} error(s)")
        return "\n".join(lines) + "\n"


def parse_date(s: str) -> dt.date:
    """YYYY, YYYY-MM or YYYY-MM-DD -> the first day of that period (ValueError if invalid)."""
    parts = str(s).split("-")
    if len(parts) == 1:
        return dt.date(int(parts[0]), 1, 1)
    if len(parts) == 2:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    if len(parts) == 3:
        return dt.date.fromisoformat(str(s))
    raise ValueError(f"not a date: {s!r}")


def hpo_diseases(hpo_dir: Path) -> tuple[set[str], dict[str, set[str]], dict[str, set[str]]]:
    """Disease ids of phenotype.hpoa, their inheritance terms, and gene -> disease ids."""
    def _open(name: str):
        for cand in (hpo_dir / name, hpo_dir / f"{name}.gz"):
            if cand.exists():
                return gzip.open(cand, "rt", encoding="utf-8") if cand.suffix == ".gz" else open(cand, encoding="utf-8")
        raise FileNotFoundError(f"{hpo_dir} has no {name}")

    ids: set[str] = set()
    modes: dict[str, set[str]] = {}
    with _open("phenotype.hpoa") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("database_id"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 11:
                continue
            ids.add(f[0])
            if f[10] == "I" and f[2].strip().upper() != "NOT":
                modes.setdefault(f[0], set()).add(f[3])
    g2d: dict[str, set[str]] = {}
    with _open("genes_to_phenotype.txt") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 6 and f[0] != "ncbi_gene_id":
                g2d.setdefault(f[1], set()).add(f[5])
    return ids, modes, g2d


def model_genes(build: str) -> set[str]:
    from triage.variants.gene_model import GeneModel

    return set(GeneModel.load(build).genes())


def check_table(path: str | Path | None = None, hpo_dir: str | Path | None = None,
                builds: tuple[str, ...] = ("GRCh38", "GRCh37")) -> CheckReport:
    """Validate the therapy table and return every problem found, not just the first.

    Checks, in order: the YAML parses and matches ``therapies.schema.json``; every disease id
    is in the HPO release's diseases (absent ones are flagged, not fatal: OMIM/ORPHA ids newer
    than the release are common); every gene symbol is in each build's gene model; dates
    parse and are not in the future; every row has a source. ``CheckReport.ok`` is false on
    any error; the CI test (tests/test_therapies.py) runs this on the packaged table.
    """
    p = Path(path) if path else TABLE_PATH
    rep = CheckReport(table=str(p))
    try:
        data = _read_yaml(p)
    except Exception as exc:  # DataError: unreadable / not YAML
        rep.errors.append(str(exc))
        return rep
    rep.version = str(data.get("version", ""))
    rep.last_reviewed = str(data.get("last_reviewed", ""))
    rep.errors += [f"schema: {e}" for e in schema_errors(data)]
    if rep.errors:
        return rep  # the rest assumes the structure the schema guarantees
    try:
        table = TherapyTable(data, p)
    except Exception as exc:
        rep.errors.append(str(exc))
        return rep

    # -------------------------------------------------------------- references
    ids = [c["id"] for c in data["conditions"]]
    for cid, n in Counter(ids).items():
        if n > 1:
            rep.errors.append(f"condition {cid}: id used {n} times")
    treated = {c for t in table.products for c in t.conditions}
    for t in table.products:
        genes = {g for c in t.conditions for g in table.conditions[c].genes}
        for g in t.only_genes:
            if g not in genes:
                rep.errors.append(f"therapy {t.product}: only_genes {g} is not a gene of its conditions")
    for c in table.conditions.values():
        if c.tier == 1 and c.id not in treated:
            rep.errors.append(f"condition {c.id}: tier 1 but no therapy lists it")
        for g in list(c.gene_inheritance) + list(c.gene_mechanism):
            if g not in c.genes:
                rep.errors.append(f"condition {c.id}: per-gene override for {g}, which is not one of its genes")

    # -------------------------------------------------------------- disease ids vs HPO
    from triage.phenotype.knowledge import default_hpo_dir

    hdir = Path(hpo_dir) if hpo_dir else default_hpo_dir()
    try:
        hpo_ids, hpo_modes, g2d = hpo_diseases(hdir)
    except OSError as exc:
        rep.errors.append(f"HPO release: {exc}")
        hpo_ids, hpo_modes, g2d = set(), {}, {}
    all_ids = sorted({d for c in table.conditions.values() for d in c.disease_ids})
    in_hpo = 0
    for c in table.conditions.values():
        for d in c.disease_ids:
            present = d in hpo_ids
            in_hpo += present
            if not present and d not in c.ids_absent_from_hpo:
                rep.errors.append(f"condition {c.id}: disease id {d} is not in the HPO release "
                                  f"({hdir.name}); fix it or list it in ids_absent_from_hpo")
            elif not present:
                rep.flagged_ids.append(f"{c.id}: {d}")
        for d in c.ids_absent_from_hpo:
            if d in hpo_ids:
                rep.errors.append(f"condition {c.id}: {d} is flagged absent but is in the HPO release (stale flag)")
            if d not in c.disease_ids:
                rep.errors.append(f"condition {c.id}: flagged id {d} is not one of its disease_ids")
        # inheritance vs HPO
        hmodes = set().union(*(hpo_modes.get(d, set()) for d in c.disease_ids))
        codes = {c.inheritance_of(g) for g in c.genes}
        if hmodes and not any(hmodes & _HPO_MODES[code] for code in codes):
            rep.warnings.append(f"condition {c.id}: inheritance {'/'.join(sorted(codes))} but the HPO release annotates "
                                f"{', '.join(sorted(hmodes))}")
        # gene-disease links
        for g in c.genes:
            if hpo_ids and not (g2d.get(g, set()) & set(c.disease_ids)):
                rep.warnings.append(f"condition {c.id}: the HPO release links gene {g} to none of its disease ids")

    # -------------------------------------------------------------- genes vs gene models
    hgnc_to_refgene: dict[str, set[str]] = {}
    for old, new in REFGENE_TO_HGNC.items():
        hgnc_to_refgene.setdefault(new, set()).add(old)
    cond_genes = sorted({g for c in table.conditions.values() for g in c.genes})
    targets = sorted({g for t in table.products for g in t.target_genes})
    for b in builds:
        try:
            mg = model_genes(b)
        except Exception as exc:
            rep.errors.append(f"gene model {b}: {exc}")
            continue
        for g in sorted(set(cond_genes) | set(targets)):
            if g in REFGENE_TO_HGNC:
                if b == builds[0]:
                    rep.errors.append(f"gene {g} is an old symbol: use the current HGNC symbol {REFGENE_TO_HGNC[g]}")
            elif g not in mg and not (hgnc_to_refgene.get(g, set()) & mg):
                rep.errors.append(f"gene {g} is not a symbol of the {b} gene model (nor mapped by gene_aliases)")

    # -------------------------------------------------------------- dates, sources, verification
    try:
        reviewed = parse_date(rep.last_reviewed)
    except ValueError:
        rep.errors.append(f"last_reviewed {rep.last_reviewed!r} is not a date")
        reviewed = dt.date.max
    n_dates = n_sources = 0
    ver: Counter = Counter()
    for t in table.products:
        for a in t.approvals:
            try:
                approved_on = parse_date(a.date)
                n_dates += 1
                if approved_on > reviewed:
                    rep.errors.append(f"therapy {t.product} ({a.agency}): date {a.date} is after last_reviewed")
            except ValueError as exc:
                rep.errors.append(f"therapy {t.product} ({a.agency}): date {a.date!r} does not parse ({exc})")
        if not t.sources:
            rep.errors.append(f"therapy {t.product}: no source")
        n_sources += len(t.sources)
        status = str(t.verification.get("status", "unverified"))
        ver[status] += 1
        if status in ("verified", "partly_verified") and not t.verification.get("checked"):
            rep.errors.append(f"therapy {t.product}: verification {status} but nothing listed as checked")
    ver2: Counter = Counter()
    for c in table.conditions.values():
        if c.tier == 2:
            if not c.sources:
                rep.errors.append(f"condition {c.id}: tier 2 without a source")
            n_sources += len(c.sources)
            ver2[c.verification] += 1

    rep.stats = {
        "tier1_products": len(table.products),
        "tier1_rows": sum(len(t.approvals) for t in table.products),
        "tier1_conditions": sum(1 for c in table.conditions.values() if c.tier == 1),
        "tier2_conditions": sum(1 for c in table.conditions.values() if c.tier == 2),
        "tier2_rows": sum(len(c.treatments) for c in table.conditions.values() if c.tier == 2),
        "verification": dict(ver), "verification_tier2": dict(ver2),
        "disease_ids": len(all_ids), "disease_ids_in_hpo": sum(1 for d in all_ids if d in hpo_ids),
        "genes": len(cond_genes), "target_genes": len(targets), "gene_models": list(builds),
        "dates": n_dates, "sources": n_sources, "hpo_release": str(hdir),
    }
    return rep

"""The curated therapy table (``triage/data/therapies.yaml``) as a typed, indexed object.

The YAML has two lists (see docs/therapies.md):

* ``conditions``: a disease group with its disease ids (OMIM / ORPHA, as the HPO release
  spells them), causal genes (current HGNC symbols), inheritance and disease mechanism;
  tier-2 conditions also carry the kinds of established treatment;
* ``therapies``: one product each (tier 1: gene and cell therapies, RNA-targeted drugs)
  with one approval per agency (date, pathway, status), restrictions, sources and what
  the review could and could not verify.

Lookups go from a disease candidate (its ids) or a gene candidate (its symbol; an old
refGene symbol is mapped through :mod:`triage.variants.gene_aliases`) to
:class:`~triage.models.Therapy` flags, one per product and agency. Genes are the
*causal* genes of the condition, not the drug's molecular target (givosiran targets
ALAS1 but treats HMBS/CPOX/PPOX/ALAD porphyrias): a variant in a target gene never
flags a therapy.

The entry point for result builders is :func:`therapies_for_candidate`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from triage.errors import DataError
from triage.models import Therapy
from triage.variants.gene_aliases import current_symbol

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TABLE_PATH = DATA_DIR / "therapies.yaml"
SCHEMA_PATH = DATA_DIR / "therapies.schema.json"

AGENCY_ORDER = {"FDA": 0, "EMA": 1, "MHRA": 2, "PMDA": 3, "NMPA": 4, "Health Canada": 5, "other": 9}
_TIER2_MODALITY = {"enzyme replacement": "enzyme replacement", "enzyme substitution": "enzyme replacement",
                   "small molecule": "small molecule", "cofactor": "small molecule"}


@dataclass(frozen=True)
class Approval:
    agency: str
    date: str
    pathway: str
    status: str
    note: str | None = None


@dataclass(frozen=True)
class Treatment:
    kind: str
    examples: tuple[str, ...]
    restrictions: str | None = None


@dataclass(frozen=True)
class Condition:
    id: str
    name: str
    tier: int
    genes: tuple[str, ...]
    inheritance: str  # AR, AD, XLR, XLD
    mechanism: str  # loss_of_function, gain_of_function, dominant_negative, other
    disease_ids: tuple[str, ...]
    gene_inheritance: dict[str, str] = field(default_factory=dict)
    gene_mechanism: dict[str, str] = field(default_factory=dict)
    ids_absent_from_hpo: tuple[str, ...] = ()
    newborn_screening: str | None = None
    detection_note: str | None = None
    treatments: tuple[Treatment, ...] = ()
    sources: tuple[str, ...] = ()
    verification: str = "unverified"

    def inheritance_of(self, gene: str) -> str:
        return self.gene_inheritance.get(gene, self.inheritance)

    def mechanism_of(self, gene: str) -> str:
        return self.gene_mechanism.get(gene, self.mechanism)


@dataclass(frozen=True)
class Product:
    product: str
    inn: str
    modality: str
    conditions: tuple[str, ...]
    target_genes: tuple[str, ...]
    approvals: tuple[Approval, ...]
    sources: tuple[str, ...]
    verification: dict[str, Any]
    restrictions: str | None = None
    modality_detail: str | None = None
    only_genes: tuple[str, ...] = ()

    def flags(self, condition: Condition) -> list[Therapy]:
        """The ``therapies`` flags of this product for ``condition``: one per agency approval, with
        the product's and the approval's restrictions joined.
        """
        out = []
        for a in self.approvals:
            restr = "; ".join(x for x in (self.restrictions, a.note) if x) or None
            out.append(Therapy(product=self.product, inn=self.inn, modality=self.modality, agency=a.agency,
                               approved=a.date, pathway=a.pathway, status=a.status, restrictions=restr,
                               source=self.sources[0], tier=1, condition=condition.id,
                               verification=str(self.verification.get("status", "unverified"))))
        return out


def _tier2_flags(c: Condition) -> list[Therapy]:
    return [Therapy(product=", ".join(t.examples), modality=_TIER2_MODALITY.get(t.kind, "other"),
                    status="established", restrictions=t.restrictions, source=c.sources[0] if c.sources else "",
                    tier=2, kind=t.kind, condition=c.id, verification=c.verification)
            for t in c.treatments]


class TherapyTable:
    """The loaded table with disease-id and gene indices."""

    def __init__(self, data: dict[str, Any], path: Path):
        self.path = path
        self.raw = data
        self.version = str(data["version"])
        self.last_reviewed = str(data["last_reviewed"])
        self.coverage = str(data.get("coverage", ""))
        self.conditions: dict[str, Condition] = {}
        for c in data["conditions"]:
            cond = Condition(
                id=c["id"], name=c["name"], tier=int(c.get("tier", 1)), genes=tuple(c["genes"]),
                inheritance=c["inheritance"], mechanism=c["mechanism"], disease_ids=tuple(c["disease_ids"]),
                gene_inheritance=dict(c.get("gene_inheritance") or {}), gene_mechanism=dict(c.get("gene_mechanism") or {}),
                ids_absent_from_hpo=tuple(c.get("ids_absent_from_hpo") or ()), newborn_screening=c.get("newborn_screening"),
                detection_note=c.get("detection_note"),
                treatments=tuple(Treatment(t["kind"], tuple(t["examples"]), t.get("restrictions"))
                                 for t in c.get("treatments") or ()),
                sources=tuple(c.get("sources") or ()),
                verification=str((c.get("verification") or {}).get("status", "unverified")),
            )
            if cond.id in self.conditions:
                raise DataError(f"{path}: duplicate condition id {cond.id!r}")
            self.conditions[cond.id] = cond
        self.products: list[Product] = []
        for t in data["therapies"]:
            self.products.append(Product(
                product=t["product"], inn=t["inn"], modality=t["modality"], conditions=tuple(t["conditions"]),
                target_genes=tuple(t["target_genes"]),
                approvals=tuple(Approval(a["agency"], str(a["date"]), a["pathway"], a["status"], a.get("note"))
                                for a in t["approvals"]),
                sources=tuple(t["sources"]), verification=dict(t.get("verification") or {}),
                restrictions=t.get("restrictions"), modality_detail=t.get("modality_detail"),
                only_genes=tuple(t.get("only_genes") or ()),
            ))
        missing = sorted({c for p in self.products for c in p.conditions} - set(self.conditions))
        if missing:
            raise DataError(f"{path}: therapies name unknown condition id(s): {', '.join(missing)}")
        self._by_disease: dict[str, list[str]] = {}
        self._by_gene: dict[str, list[str]] = {}
        for c in self.conditions.values():
            for d in c.disease_ids:
                self._by_disease.setdefault(d, []).append(c.id)
            for g in c.genes:
                self._by_gene.setdefault(g, []).append(c.id)
        self._treatable_d: set[str] | None = None
        self._treatable_g: set[str] | None = None
        self._products_of: dict[str, list[Product]] = {}
        for p in self.products:
            for cid in p.conditions:
                self._products_of.setdefault(cid, []).append(p)

    # ------------------------------------------------------------------ metadata
    @property
    def data_version(self) -> str:
        return f"{self.version} (reviewed {self.last_reviewed})"

    def genes(self) -> set[str]:
        return set(self._by_gene)

    def treatable_diseases(self) -> set[str]:
        """Disease ids (OMIM / ORPHA) of every condition with a therapy row."""
        if self._treatable_d is None:
            self._treatable_d = {d for c in self.conditions.values() if self._has_therapy(c) for d in c.disease_ids}
        return self._treatable_d

    def treatable_genes(self) -> set[str]:
        """Causal genes of every condition with a therapy row."""
        if self._treatable_g is None:
            self._treatable_g = {g for c in self.conditions.values() if self._has_therapy(c) for g in c.genes}
        return self._treatable_g

    def _has_therapy(self, c: Condition) -> bool:
        return bool(self._products_of.get(c.id) or c.treatments)

    def condition_tier(self, c: Condition) -> int:
        """1 when a tier-1 product treats the condition, else the condition's own tier."""
        return 1 if self._products_of.get(c.id) else c.tier

    # ------------------------------------------------------------------ lookups
    def conditions_for_disease(self, ids: Iterable[str]) -> list[Condition]:
        out: dict[str, Condition] = {}
        for d in ids:
            for cid in self._by_disease.get(str(d).strip(), ()):
                out[cid] = self.conditions[cid]
        return list(out.values())

    def conditions_for_gene(self, symbol: str) -> list[Condition]:
        sym = current_symbol(str(symbol).strip())
        return [self.conditions[c] for c in self._by_gene.get(sym, ())]

    def therapies_for_condition(self, cond: Condition | str, gene: str | None = None) -> list[Therapy]:
        """Approved therapies for a condition; with ``gene``, products restricted to other genes of
        the condition are left out.
        """
        c = self.conditions[cond] if isinstance(cond, str) else cond
        out: list[Therapy] = []
        for p in self._products_of.get(c.id, ()):
            if gene is not None and p.only_genes and gene not in p.only_genes:
                continue
            out.extend(p.flags(c))
        out.extend(_tier2_flags(c))
        return out

    def _collect(self, conds: list[Condition], gene: str | None) -> list[Therapy]:
        seen: set[tuple] = set()
        out: list[Therapy] = []
        for c in conds:
            for t in self.therapies_for_condition(c, gene):
                key = (t.tier, t.product, t.agency, t.kind if t.tier == 2 else None)
                if key not in seen:
                    seen.add(key)
                    out.append(t)
        out.sort(key=lambda t: (t.tier, t.product.lower(), AGENCY_ORDER.get(t.agency or "other", 9)))
        return out

    def therapies_for_disease(self, ids: Iterable[str] | str) -> list[Therapy]:
        """Therapies of the conditions listing any of these disease ids (OMIM:..., ORPHA:...)."""
        ids = [ids] if isinstance(ids, str) else list(ids)
        return self._collect(self.conditions_for_disease(ids), None)

    def therapies_for_gene(self, symbol: str) -> list[Therapy]:
        """Therapies of the conditions caused by this gene (HGNC symbol or an old refGene alias)."""
        sym = current_symbol(str(symbol).strip())
        return self._collect(self.conditions_for_gene(sym), sym)


# --------------------------------------------------------------------------- loading
def _read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~20x faster
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    except OSError as exc:
        raise DataError(f"cannot read therapy table {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: the therapy table must be a mapping with conditions and therapies")
    return data


def schema_errors(data: Any, schema_path: Path = SCHEMA_PATH) -> list[str]:
    """JSON Schema violations of the table, each prefixed with its location."""
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        loc = "/".join(str(p) for p in err.absolute_path) or "<root>"
        out.append(f"{loc}: {err.message}")
    return out


def read_table(path: str | Path | None = None, validate: bool = True) -> TherapyTable:
    """Read a therapy table (default: the packaged one), schema-validated unless ``validate`` is off."""
    p = Path(path) if path else TABLE_PATH
    data = _read_yaml(p)
    if validate:
        errs = schema_errors(data)
        if errs:
            more = f" (+{len(errs) - 5} more)" if len(errs) > 5 else ""
            raise DataError(f"{p}: therapy table does not match its schema: " + "; ".join(errs[:5]) + more)
    return TherapyTable(data, p)


@lru_cache(maxsize=4)
def _cached(path: str) -> TherapyTable:
    # the packaged table is schema-checked by `triage therapies check` in CI (tests/treatability/test_therapies.py);
    # a table given by path is checked when loaded
    return read_table(path, validate=Path(path) != TABLE_PATH.resolve())


def load_table(path: str | Path | None = None) -> TherapyTable:
    """The (validated, cached) table; default the packaged ``triage/data/therapies.yaml``."""
    return _cached(str(Path(path).resolve()) if path else str(TABLE_PATH))


def therapies_for_candidate(disease_ids: Iterable[str] | str = (), genes: Iterable[str] | str = (),
                            table: TherapyTable | None = None) -> list[Therapy]:
    """Therapy flags of one result candidate, for the result builder.

    A disease candidate passes its id(s) (``disease_ids=[d.id]``); a gene candidate its
    symbol (``genes=[g.symbol]``). Both may be given (union, de-duplicated per product and
    agency). Returns [] when nothing in the table matches.
    """
    table = table or load_table()
    ids = [disease_ids] if isinstance(disease_ids, str) else list(disease_ids)
    gs = [genes] if isinstance(genes, str) else list(genes)
    conds: dict[str, Condition] = {c.id: c for c in table.conditions_for_disease(ids)}
    out = table._collect(list(conds.values()), None) if conds else []
    for g in gs:
        for t in table.therapies_for_gene(g):
            if t not in out:
                out.append(t)
    out.sort(key=lambda t: (t.tier, t.product.lower(), AGENCY_ORDER.get(t.agency or "other", 9)))
    return out

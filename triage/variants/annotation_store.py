"""The on-disk form of annotated variants and annotated cases (no pickles).

Two kinds of :mod:`triage.columnar` file:

* ``annotated-variants`` — one :class:`~triage.variants.annotation.AnnotatedVariants`
  table: what :func:`~triage.variants.annotation.annotate_cached` keeps per background
  VCF in the cache directory;
* ``annotated-case`` — the product of ``triage annotate`` (an ``AnnotatedCase``: the
  table plus the exact proband sample id, the genome build, the family analysed with
  its PED file, whether a population frequency source was used, the seconds taken).
  The workflow passes it from the annotate rule to the prioritize rule as
  ``{sample}.annotated.npz``, and the API stores one per (upload, sample, build,
  config) under ``data_dir/annotations/``.

Every column of the table is stored with its exact dtype (genotype matrices keep their
``(variants, samples)`` shape); object columns (chromosome names, alleles, genes,
consequences, HGVS, ClinVar text, ...) are string columns where ``None`` stays ``None``.
The header's ``meta`` holds ``samples``, ``proband_index``, ``build``, ``versions``,
``stats`` and ``notes`` of the table, and for a case ``case`` = {``sample``,
``build``, ``ped``, ``has_population_af``, ``seconds``, ``family`` = {``ids``, ``sex``,
``affected``, ``father``, ``mother``, ``proband``}}. :func:`read_case_header` reads
only that header (a few kB), which is how the API checks that a stored annotation is
the requested sample's before loading it.

Bump :data:`VARIANTS_VERSION` / :data:`CASE_VERSION` whenever a column or a meta key
changes meaning; older files are then refused with a message naming the file, its
version and this one (re-run ``triage annotate``; caches are rebuilt by themselves).
Format description: ``docs/storage.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from triage import columnar
from triage.errors import DataError
from triage.genotype.inheritance import Family

if TYPE_CHECKING:
    from triage.variants.annotation import AnnotatedVariants

VARIANTS_KIND = "annotated-variants"
VARIANTS_VERSION = 1
CASE_KIND = "annotated-case"
CASE_VERSION = 1
#: file suffix of a stored annotated case (the workflow's and the API's)
CASE_SUFFIX = ".annotated.npz"
#: file suffix of a cached annotated table
VARIANTS_SUFFIX = ".variants.npz"
_HINT_CASE = "re-run `triage annotate` with this version"
_HINT_TABLE = "annotate the VCF again with this version"


def _fields() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from triage.variants.annotation import _ROW_FIELDS, _VAR_FIELDS

    return _VAR_FIELDS, _ROW_FIELDS


def _json_clean(value: Any, where: str) -> Any:
    """Plain JSON data (tuples -> lists, numpy scalars -> Python) for the header."""
    if isinstance(value, dict):
        return {str(k): _json_clean(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_clean(v, where) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    columnar.check_json(value, where)
    return value


# --------------------------------------------------------------------------- table
def table_columns(av: AnnotatedVariants) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, columns) of an annotated table."""
    var_fields, row_fields = _fields()
    cols = {f: getattr(av, f) for f in (*var_fields, *row_fields)}
    meta = {
        "samples": list(av.samples), "proband_index": int(av.proband_index), "build": av.build,
        "n_variants": int(av.n_variants), "n_rows": int(len(av)),
        "versions": _json_clean(dict(av.versions), "versions"),
        "stats": _json_clean(dict(av.stats), "stats"), "notes": [str(n) for n in av.notes],
    }
    return meta, cols


def table_from_columns(meta: dict[str, Any], cols: dict[str, np.ndarray], path: Path) -> AnnotatedVariants:
    """Rebuild the table, checking that the columns fit together."""
    from triage.variants.annotation import AnnotatedVariants

    var_fields, row_fields = _fields()
    try:
        samples = tuple(str(s) for s in meta["samples"])
        proband_index = int(meta["proband_index"])
        V, R = int(meta["n_variants"]), int(meta["n_rows"])
        versions = {str(k): str(v) for k, v in dict(meta["versions"]).items()}
        stats = dict(meta["stats"])
        notes = [str(n) for n in meta["notes"]]
        build = meta["build"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: annotation header incomplete ({exc!r})") from None
    if not 0 <= proband_index < len(samples):
        raise DataError(f"{path}: proband index {proband_index} outside the {len(samples)} samples")
    for f in var_fields:
        a = cols[f]
        if a.shape[0] != V or (f in ("gt", "phased") and a.shape != (V, len(samples))):
            raise DataError(f"{path}: column {f} has shape {a.shape}, expected {V} variants")
    for f in row_fields:
        if cols[f].shape != (R,):
            raise DataError(f"{path}: column {f} has shape {cols[f].shape}, expected {R} rows")
    vidx = cols["vidx"]
    if R and (vidx.dtype.kind not in "iu" or vidx.min() < 0 or vidx.max() >= V):
        raise DataError(f"{path}: row -> variant index out of range")
    return AnnotatedVariants(samples=samples, proband_index=proband_index, versions=versions,
                             stats=stats, notes=notes, build=build, **cols)


def save_table(path: str | Path, av: AnnotatedVariants) -> None:
    """Write an ``annotated-variants`` file (atomically)."""
    meta, cols = table_columns(av)
    columnar.write(path, VARIANTS_KIND, VARIANTS_VERSION, meta, cols)


def load_table(path: str | Path) -> AnnotatedVariants:
    """Read an ``annotated-variants`` file; DataError when unreadable or of another version."""
    head, cols = columnar.read(path, VARIANTS_KIND, VARIANTS_VERSION, hint=_HINT_TABLE)
    return table_from_columns(head["meta"], cols, Path(path))


# --------------------------------------------------------------------------- case
@dataclass(frozen=True)
class CaseHeader:
    """What a stored case says about itself, read from its header alone."""

    sample: str
    build: str
    ped: str | None
    family: Family
    has_population_af: bool
    seconds: float
    samples: tuple[str, ...]
    n_variants: int
    n_rows: int
    triage_version: str


def _family_meta(f: Family) -> dict[str, Any]:
    return {"ids": list(f.ids), "sex": [int(x) for x in f.sex], "affected": [int(x) for x in f.affected],
            "father": [int(x) for x in f.father], "mother": [int(x) for x in f.mother],
            "proband": int(f.proband)}


def _family(d: dict[str, Any]) -> Family:
    return Family(tuple(str(x) for x in d["ids"]), tuple(int(x) for x in d["sex"]),
                  tuple(int(x) for x in d["affected"]), tuple(int(x) for x in d["father"]),
                  tuple(int(x) for x in d["mother"]), int(d["proband"]))


def _case_header(head: dict[str, Any], path: Path) -> CaseHeader:
    meta = head["meta"]
    try:
        c = meta["case"]
        return CaseHeader(
            sample=str(c["sample"]), build=str(c["build"]), ped=None if c["ped"] is None else str(c["ped"]),
            family=_family(c["family"]), has_population_af=bool(c["has_population_af"]),
            seconds=float(c["seconds"]), samples=tuple(str(s) for s in meta["samples"]),
            n_variants=int(meta["n_variants"]), n_rows=int(meta["n_rows"]),
            triage_version=str(head.get("triage_version", "unknown")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: annotated case header incomplete ({exc!r})") from None


def save_case(path: str | Path, case: Any) -> None:
    """Write an ``annotated-case`` file from an ``AnnotatedCase`` (atomically)."""
    meta, cols = table_columns(case.table)
    meta["case"] = {
        "sample": str(case.sample), "build": str(case.build),
        "ped": None if case.ped is None else str(case.ped), "family": _family_meta(case.family),
        "has_population_af": bool(case.has_population_af), "seconds": float(case.seconds),
    }
    columnar.write(path, CASE_KIND, CASE_VERSION, meta, cols)


def read_case_header(path: str | Path) -> CaseHeader:
    """The header of an ``annotated-case`` file (reads no column: cheap)."""
    head = columnar.read_header(path, CASE_KIND, CASE_VERSION, hint=_HINT_CASE)
    return _case_header(head, Path(path))


def load_case_fields(path: str | Path) -> dict[str, Any]:
    """The fields of the stored ``AnnotatedCase`` (``AnnotatedCase(**fields)``)."""
    path = Path(path)
    head, cols = columnar.read(path, CASE_KIND, CASE_VERSION, hint=_HINT_CASE)
    h = _case_header(head, path)
    table = table_from_columns(head["meta"], cols, path)
    if h.sample != table.proband:
        raise DataError(f"{path}: case sample {h.sample!r} is not the table's proband {table.proband!r}")
    return {"table": table, "sample": h.sample, "family": h.family, "ped": h.ped, "build": h.build,
            "has_population_af": h.has_population_af, "seconds": h.seconds}


__all__ = [
    "CASE_KIND", "CASE_SUFFIX", "CASE_VERSION", "VARIANTS_KIND", "VARIANTS_SUFFIX",
    "VARIANTS_VERSION", "CaseHeader", "load_case_fields", "load_table", "read_case_header",
    "save_case", "save_table",
]

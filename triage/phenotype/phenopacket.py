"""Read GA4GH phenopackets v2 (JSON): observed/excluded terms, diagnosis, causal variants.

Every document is validated strictly against the phenopacket v2 schema before
anything is read from it: the protobuf messages of the ``phenopackets`` package
(GA4GH's own schema) parse it with ``google.protobuf.json_format``, which rejects
unknown fields, wrong JSON types (``"excluded": "false"``, ``"subject": "bob"``, an
integer ``iso8601duration``), out-of-range integers and misplaced arrays. Only the
canonical form of the parsed message is then read, so the extraction below never sees
an unexpected type. Any failure -- unreadable file, invalid JSON, a 5,000-digit
integer, nesting deeper than the JSON parser allows, a schema violation -- raises
:class:`PhenopacketError` with one line naming the file and the offending field.

Only what triage needs is extracted; the full document stays available as ``raw``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.errors import PhenopacketError

#: Longest excerpt of a parser message quoted in an error (it can echo the input).
_MAX_CAUSE = 160


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


#: Root of the HPO onset classes (Clinical modifier > Onset).
ONSET_ROOT = "HP:0003674"

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


def check_onset_term(ontology, onset: str) -> str:
    """The primary id of an HPO onset term; the one check of CLI ``--onset``, the API's
    ``onset`` and the workflow. Unknown or malformed ids raise UnknownTermError (naming
    the id); a term outside the Onset subtree (e.g. HP:0001250 Seizure, which would
    otherwise be scored as an extra observed phenotype) raises InvalidOnsetError."""
    from triage.errors import InvalidOnsetError

    pid = ontology.resolve(onset)
    if ONSET_ROOT not in ontology.ancestors(pid):
        raise InvalidOnsetError(onset, f"{onset} is not an onset term (under {ONSET_ROOT} Onset); "
                                       "give an onset class such as HP:0003593 or an ISO 8601 age such as P2Y")
    return pid


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
            if isinstance(f, dict) and f.get("excluded") is not True]
    days += [_onset_days(dz.get("onset")) for dz in doc.get("diseases") or [] if isinstance(dz, dict)]
    known = [d for d in days if d is not None]
    return onset_class(min(known)) if known else None


def _get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def loads_phenopacket(text: str | bytes, path: str = "<memory>") -> Any:
    """JSON text -> Python value; every failure is a :class:`PhenopacketError` naming ``path``."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise PhenopacketError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise PhenopacketError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise PhenopacketError(f"{path}: invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than sys.get_int_max_str_digits() digits
        raise PhenopacketError(f"{path}: invalid JSON: {_short(str(exc))}") from None


def _short(text: str) -> str:
    text = text.splitlines()[0] if text else text
    return text if len(text) <= _MAX_CAUSE else text[:_MAX_CAUSE] + "..."


_FIELD_CHAIN = re.compile(r"Failed to parse (\w+) field: ")
_AT_PATH = re.compile(r' at "?Phenopacket((?:\.\w+|\[\d+\])*)"?')


def _schema_message(exc: Exception) -> tuple[str, str]:
    """(field path, cause) of a json_format error, e.g. ('phenotypicFeatures[0].excluded',
    'Expected true or false without quotes')."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    chain = _FIELD_CHAIN.findall(msg)
    cause = _FIELD_CHAIN.sub("", msg)
    at = _AT_PATH.search(cause)
    field_path = ".".join(chain)
    if at and at.group(1):
        located = at.group(1).lstrip(".")
        # the "at" path names the message holding the problem; a failed field of it is
        # named by the chain's last element
        if chain and located.split(".")[-1].split("[")[0] != chain[-1]:
            located = f"{located}.{chain[-1]}"
        field_path = located
    cause = _AT_PATH.sub("", cause).rstrip(". ")
    unknown = re.search(r'has no field named "([^"]*)"', cause)
    if unknown:
        cause = f"unknown field {unknown.group(1)!r}"
        if not field_path:
            field_path = "(top level)"
    return field_path or "(top level)", _short(cause.rstrip(". ")) or "invalid value"


_JSON_TYPE = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
              int: "a number", float: "a number", type(None): "null"}


def _json_type(v: Any) -> str:
    return _JSON_TYPE.get(type(v), type(v).__name__)


def _shape_errors(value: Any, desc: Any, where: str) -> str | None:
    """First JSON-type mismatch of ``value`` against message descriptor ``desc``, as
    ``"field a.b[2].c: expected ..., got ..."``; None when every field has the right JSON
    type (ranges and formats are then checked by json_format). Names fields with
    indexes, which json_format's own messages do not."""
    from google.protobuf.descriptor import FieldDescriptor as F

    stack = [(value, desc, where)]
    while stack:
        val, d, at = stack.pop()
        if not isinstance(val, dict):
            return f"{at or '(top level)'}: expected an object, got {_json_type(val)}"
        by_name = {f.json_name: f for f in d.fields} | {f.name: f for f in d.fields}
        for key, v in val.items():
            name = f"{at}.{key}" if at else key
            f = by_name.get(key)
            if f is None:
                return f"{name}: unknown field (not in the phenopacket v2 schema)"
            if v is None:
                continue  # null = the default value
            repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == F.LABEL_REPEATED
            is_map = f.type == F.TYPE_MESSAGE and f.message_type.GetOptions().map_entry
            if is_map:
                if not isinstance(v, dict):
                    return f"{name}: expected an object, got {_json_type(v)}"
                continue
            items = [(v, name)]
            if repeated:
                if not isinstance(v, list):
                    return f"{name}: expected an array, got {_json_type(v)}"
                items = [(x, f"{name}[{i}]") for i, x in enumerate(v)]
            for x, xname in items:
                if f.type == F.TYPE_MESSAGE:
                    if f.message_type.full_name.startswith("google.protobuf."):
                        if f.message_type.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration") \
                                and not isinstance(x, str):
                            return f"{xname}: expected a string, got {_json_type(x)}"
                        continue
                    stack.append((x, f.message_type, xname))
                elif f.type == F.TYPE_BOOL:
                    if not isinstance(x, bool):
                        return f"{xname}: expected true or false, got {_json_type(x)}"
                elif f.type in (F.TYPE_STRING, F.TYPE_BYTES):
                    if not isinstance(x, str):
                        return f"{xname}: expected a string, got {_json_type(x)}"
                elif f.type == F.TYPE_ENUM:
                    if not isinstance(x, str) or isinstance(x, bool):
                        return f"{xname}: expected an enum name (string), got {_json_type(x)}"
                elif f.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
                    if isinstance(x, bool) or not isinstance(x, (int, float, str)):
                        return f"{xname}: expected a number, got {_json_type(x)}"
                else:  # integer types: a JSON number or a decimal string (64-bit)
                    if isinstance(x, bool) or not isinstance(x, (int, float, str)):
                        return f"{xname}: expected an integer, got {_json_type(x)}"
    return None


def validate_phenopacket(doc: Any, path: str = "<memory>") -> dict:
    """Validate ``doc`` against the phenopacket v2 schema; return its canonical JSON form.

    Two passes: the JSON type of every field is checked against the schema (naming the
    field with its array indexes), then json_format parses the document into the
    ``Phenopacket`` message (ranges, enum names, timestamps, integer formats). The
    canonical form (``MessageToDict`` of the message) has only schema fields with schema
    types: booleans are booleans, repeated fields lists, defaults omitted.
    """
    from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
    from phenopackets import Phenopacket

    if not isinstance(doc, dict):
        raise PhenopacketError(f"{path}: not a GA4GH phenopacket: the top level is {_json_type(doc)}, "
                               "not a JSON object")
    problem = _shape_errors(doc, Phenopacket.DESCRIPTOR, "")
    if problem:
        raise PhenopacketError(f"{path}: not a valid phenopacket v2: field {_short(problem)}")
    try:
        msg = ParseDict(doc, Phenopacket())
    except ParseError as exc:
        where, cause = _schema_message(exc)
        raise PhenopacketError(f"{path}: not a valid phenopacket v2: field {where}: {cause}") from None
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
        raise PhenopacketError(
            f"{path}: not a valid phenopacket v2: {_short(str(exc)) or type(exc).__name__}") from None
    return MessageToDict(msg)


def parse_phenopacket(doc: Any, path: str = "<memory>", cohort: str = "") -> Case:
    """A :class:`Case` from a phenopacket v2 document (a JSON value already loaded).

    Raises :class:`PhenopacketError` (never anything else) for a document that is not a
    valid phenopacket v2 or has nothing triage can use.
    """
    canon = validate_phenopacket(doc, path)
    if "phenotypicFeatures" not in canon and "interpretations" not in canon and "subject" not in canon:
        raise PhenopacketError(f"{path}: not a GA4GH phenopacket (no subject, phenotypicFeatures or interpretations)")
    observed: list[str] = []
    excluded: list[str] = []
    for i, feat in enumerate(canon.get("phenotypicFeatures", [])):
        tid = _get(feat, "type", "id")
        if not isinstance(tid, str) or not tid:
            raise PhenopacketError(f"{path}: field phenotypicFeatures[{i}].type.id: missing (an HPO id is needed)")
        (excluded if feat.get("excluded") is True else observed).append(tid)
    diseases: list[str] = []
    genes: list[str] = []
    variants: list[CausalVariant] = []
    for interp in canon.get("interpretations", []):
        dx = interp.get("diagnosis", {})
        did = _get(dx, "disease", "id")
        if did and did not in diseases:
            diseases.append(did)
        for gi in dx.get("genomicInterpretations", []):
            gene_desc = gi.get("gene", {})
            if gene_desc.get("symbol") and gene_desc["symbol"] not in genes:
                genes.append(gene_desc["symbol"])
            vd = _get(gi, "variantInterpretation", "variationDescriptor") or {}
            if not vd:
                continue
            sym = _get(vd, "geneContext", "symbol")
            if sym and sym not in genes:
                genes.append(sym)
            vcf = vd.get("vcfRecord", {})
            pos = int(vcf["pos"]) if "pos" in vcf else None  # uint64: a decimal string here
            variants.append(CausalVariant(
                gene=sym, chrom=vcf.get("chrom"), pos=pos, ref=vcf.get("ref"), alt=vcf.get("alt"),
                assembly=vcf.get("genomeAssembly"),
                allelic_state=_get(vd, "allelicState", "label"),
                hgvs=[e["value"] for e in vd.get("expressions", []) if e.get("value")],
            ))
    for dz in canon.get("diseases", []):
        did = _get(dz, "term", "id")
        if did and dz.get("excluded") is not True and did not in diseases:
            diseases.append(did)
    subject = canon.get("subject", {})
    # the canonical form omits enum defaults; UNKNOWN_SEX given explicitly is kept
    sex = subject.get("sex") or (doc.get("subject") or {}).get("sex")
    return Case(
        id=str(canon.get("id") or Path(path).stem), path=str(path), cohort=cohort,
        subject_id=subject.get("id"), sex=sex, observed=observed,
        excluded=excluded, diseases=diseases, genes=genes, variants=variants,
        onset=earliest_onset(canon), raw=doc,
    )


def read_phenopacket(path: str | Path, cohort: str | None = None) -> Case:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PhenopacketError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    doc = loads_phenopacket(data, str(path))
    return parse_phenopacket(doc, str(path), cohort if cohort is not None else path.parent.name)


def find_phenopackets(directory: str | Path) -> list[Path]:
    """All ``*.json`` files below ``directory``, sorted for reproducibility."""
    directory = Path(directory)
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise PhenopacketError(f"{directory}: no such directory")
    return sorted(directory.rglob("*.json"))

"""Phenopacket reader hardening (issue 15, findings 3 and 4).

Every malformed phenopacket -- wrong JSON types, misplaced arrays, a 5,000-digit
integer, nesting deeper than the JSON parser allows, unknown fields -- is one
:class:`PhenopacketError` naming the file and the field, never another exception:
the CLI exits 2 with one line, the API answers 422 ``bad_phenopacket``. A boolean
field (``excluded``) takes booleans only.
"""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.cli.main import main
from triage.errors import PhenopacketError
from triage.phenotype.phenopacket import loads_phenopacket, parse_phenopacket, read_phenopacket

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "config" / "demo" / "DEMO1.phenopacket.json"

FEATURE = '{"type": {"id": "HP:0001156"}}'

#: (JSON text, words the message must contain: the field at fault)
BAD = {
    "subject_string": ('{"subject": "bob"}', ["subject", "expected an object"]),
    "interpretations_int_item": ('{"id": "x", "interpretations": [1]}', ["interpretations[0]"]),
    "interpretations_object": ('{"id": "x", "interpretations": {}}', ["interpretations", "array"]),
    "iso8601_int": ('{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "onset": {"age": '
                    '{"iso8601duration": 5}}}]}', ["phenotypicFeatures[0].onset.age.iso8601duration"]),
    "huge_integer": ('{"phenotypicFeatures": [' + FEATURE + '], "id": ' + "9" * 5000 + "}",
                     ["invalid JSON"]),
    "huge_integer_pos": ('{"interpretations": [{"id": "i", "diagnosis": {"genomicInterpretations": [{'
                         '"variantInterpretation": {"variationDescriptor": {"vcfRecord": {"pos": '
                         + "9" * 40 + "}}}}]}}]}", ["vcfRecord.pos"]),
    "deeply_nested": ('{"subject": ' + "[" * 50_000 + "]" * 50_000 + "}", ["nested too deeply"]),
    "nested_in_field": ('{"phenotypicFeatures": [[[[[[]]]]]]}', ["phenotypicFeatures[0]"]),
    "excluded_string": ('{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "excluded": "false"}]}',
                        ["phenotypicFeatures[0].excluded", "true or false"]),
    "excluded_int": ('{"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "excluded": 0}]}',
                     ["phenotypicFeatures[0].excluded"]),
    "unknown_field": ('{"phenotypicFeature": [' + FEATURE + "]}", ["phenotypicFeature", "unknown field"]),
    "top_level_array": ("[1, 2]", ["top level"]),
    "no_type_id": ('{"phenotypicFeatures": [{"type": {"label": "x"}}]}', ["phenotypicFeatures[0].type.id"]),
    "bad_enum": ('{"subject": {"id": "a", "sex": "BOB"}}', ["sex"]),
    "invalid_json": ('{"id": "x", "phenotypicFeatures": [', ["invalid JSON", "line 1"]),
    "not_utf8": (b'{"id": "\xff"}', ["UTF-8"]),
}


def _write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "case.json"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_phenopacket_is_one_clear_error(tmp_path, name):
    text, words = BAD[name]
    path = _write(tmp_path, text)
    with pytest.raises(PhenopacketError) as ei:
        read_phenopacket(path)
    msg = str(ei.value)
    assert msg.startswith(str(path)), msg
    for w in words:
        assert w in msg, (w, msg)
    assert "\n" not in msg and len(msg) < 400


@pytest.mark.parametrize("name", ["subject_string", "interpretations_int_item", "iso8601_int",
                                  "huge_integer", "deeply_nested", "excluded_string"])
def test_cli_bad_phenopacket_exit_2(tmp_path, capsys, name):
    path = _write(tmp_path, BAD[name][0])
    assert main(["rank", "--phenopacket", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("triage: error: ") and str(path) in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_excluded_must_be_boolean():
    ok = parse_phenopacket({"phenotypicFeatures": [
        {"type": {"id": "HP:0001156"}, "excluded": True}, {"type": {"id": "HP:0001363"}, "excluded": False},
        {"type": {"id": "HP:0000238"}}]})
    assert ok.excluded == ["HP:0001156"] and ok.observed == ["HP:0001363", "HP:0000238"]
    for value in ("false", "true", 0, 1, [], {}):
        with pytest.raises(PhenopacketError, match=r"phenotypicFeatures\[0\]\.excluded"):
            parse_phenopacket({"phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "excluded": value}]})
    with pytest.raises(PhenopacketError, match=r"diseases\[0\]\.excluded"):
        parse_phenopacket({"subject": {"id": "a"}, "diseases": [{"term": {"id": "OMIM:1"}, "excluded": "no"}]})


def test_valid_documents_still_read():
    case = read_phenopacket(DEMO)
    assert case.id == "DEMO1" and len(case.observed) == 9 and case.sex == "UNKNOWN_SEX"
    full = {"id": "p1", "subject": {"id": "KID", "sex": "FEMALE"},
            "phenotypicFeatures": [{"type": {"id": "HP:0001156"}, "onset": {"age": {"iso8601duration": "P2Y"}}},
                                   {"type": {"id": "HP:0000238"}, "excluded": True}],
            "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
                "disease": {"id": "OMIM:614608", "label": "x"},
                "genomicInterpretations": [{"subjectOrBiosampleId": "KID", "interpretationStatus": "CAUSATIVE",
                                            "variantInterpretation": {"variationDescriptor": {
                                                "id": "v", "geneContext": {"valueId": "HGNC:1", "symbol": "SMARCB1"},
                                                "vcfRecord": {"genomeAssembly": "GRCh38", "chrom": "22",
                                                              "pos": "23787201", "ref": "G", "alt": "A"},
                                                "allelicState": {"id": "GENO:0000135", "label": "heterozygous"}}}}]}}]}
    case = parse_phenopacket(full)
    assert (case.observed, case.excluded, case.sex) == (["HP:0001156"], ["HP:0000238"], "FEMALE")
    assert case.diseases == ["OMIM:614608"] and case.genes == ["SMARCB1"] and case.onset == "HP:0011463"
    v = case.variants[0]
    assert (v.chrom, v.pos, v.ref, v.alt, v.allelic_state) == ("22", 23787201, "G", "A", "heterozygous")
    # int64/uint64 fields may be JSON strings (the protobuf JSON mapping); null = default
    case = parse_phenopacket({"subject": None, "phenotypicFeatures": [{"type": {"id": "HP:0001156"},
                                                                       "excluded": None}],
                              "interpretations": [{"id": "i", "diagnosis": {"genomicInterpretations": [{
                                  "variantInterpretation": {"variationDescriptor": {
                                      "vcfRecord": {"chrom": "1", "pos": "12345"}}}}]}}]})
    assert case.observed == ["HP:0001156"] and case.variants[0].pos == 12345


# --------------------------------------------------------------------------- fuzz
_KEYS = ["id", "subject", "sex", "phenotypicFeatures", "type", "excluded", "onset", "age",
         "iso8601duration", "interpretations", "diagnosis", "disease", "genomicInterpretations",
         "gene", "symbol", "variantInterpretation", "variationDescriptor", "vcfRecord", "pos", "chrom",
         "expressions", "value", "diseases", "term", "metaData", "ontologyClass", "label", "x"]
_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
                    st.floats(allow_nan=False), st.text(max_size=8), st.sampled_from(["HP:0001156", "P2Y", "MALE"]))
_json = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5)), max_leaves=25)

_VALID = json.loads(DEMO.read_text())


def _paths(doc, prefix=()):
    """Every (path) to a value inside ``doc``."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


_VALID_PATHS = list(_paths(_VALID))[1:]


@st.composite
def mutated(draw):
    """The demo phenopacket with one to three values replaced by arbitrary JSON."""
    doc = copy.deepcopy(_VALID)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_VALID_PATHS))
        parent = doc
        try:
            for k in path[:-1]:
                parent = parent[k]
            parent[path[-1]] = draw(_json)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@given(doc=st.one_of(_json, st.dictionaries(st.sampled_from(_KEYS), _json, max_size=6), mutated()))
@settings(max_examples=1500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_fuzz_reader_raises_only_domain_error(doc):
    try:
        parse_phenopacket(doc, "fuzz.json")
    except PhenopacketError as exc:
        assert str(exc).startswith("fuzz.json: ")


@given(text=st.one_of(st.text(max_size=60), st.binary(max_size=60),
                      _json.map(json.dumps), mutated().map(json.dumps)))
@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_fuzz_text_raises_only_domain_error(text):
    with contextlib.suppress(PhenopacketError):
        parse_phenopacket(loads_phenopacket(text, "fuzz.json"), "fuzz.json")

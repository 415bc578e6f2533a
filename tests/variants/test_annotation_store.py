"""The columnar files that replace pickles between steps (triage.columnar,
triage.variants.annotation_store, the compiled HPO release): exact round trips on real
data, clear errors for other versions, and no code execution on load."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from triage import columnar
from triage.errors import DataError
from triage.genotype.inheritance import Family

REPO = Path(__file__).resolve().parents[2]
DEMO_VCF = REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz"
DEMO_PP = REPO / "config" / "demo" / "DEMO1.phenopacket.json"
PFEIFFER_TERMS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]


# --------------------------------------------------------------------------- helpers
def assert_same_array(a: np.ndarray, b: np.ndarray, what: str) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
    if a.dtype == object:
        assert [type(x) for x in a.tolist()] == [type(x) for x in b.tolist()], what
        assert a.tolist() == b.tolist(), what
    else:
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), what


def assert_same_table(a, b) -> None:
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert_same_array(x, y, f.name)
        else:
            assert type(x) is type(y) and x == y, (f.name, x, y)


class Payload:
    """Unpickling this calls open(marker, "w"): proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def demo_case():
    from triage.prioritize import PipelineConfig, ingest_annotate

    return ingest_annotate(DEMO_VCF, None, PipelineConfig().with_genome("GRCh37"))


@pytest.fixture(scope="module")
def ranker37(engine):
    from triage.prioritize import PipelineConfig, Ranker
    from triage.variants.gene_model import GeneModel

    return Ranker(engine, PipelineConfig().with_genome("GRCh37"), "GRCh37", gene_model=GeneModel.load("GRCh37"))


def ranked_json(ranker, case, terms) -> str:
    from triage.prioritize import build_result, rank_case

    q = ranker.engine.resolve(terms, [])
    result = build_result(rank_case(ranker, q, case), top=0)
    result.created = None  # when it was made: the one field that may differ
    return result.model_dump_json()


# --------------------------------------------------------------------------- container
def test_string_columns_round_trip_exactly(tmp_path):
    odd = ["", None, "a", "a\x00b", "naïve – ✓", "\udcff", "a", None, "x" * 1000, "", "\n\t"]
    nums = {
        "i8": np.array([[1, -1], [0, 2], [-1, -1]], dtype=np.int8),
        "f4": np.array([np.nan, 1.5, -np.inf], dtype=np.float32),
        "u2": np.array([3, 65535], dtype=np.uint16), "b": np.array([True, False]),
        "empty": np.zeros((0, 3), dtype=np.float64),
    }
    obj = np.empty(len(odd), dtype=object)
    obj[:] = odd
    meta = {"samples": ["a/b", "ü"], "n": 3, "x": 0.1, "nan": float("nan"), "nested": {"k": [1, None]}}
    p = tmp_path / "t.npz"
    columnar.write(p, "test-kind", 7, meta, {"s": obj, "l": odd, "none": [None, None], "e": [], **nums})
    head, cols = columnar.read(p, "test-kind", 7)
    for k in ("s", "l"):
        assert_same_array(cols[k], obj, k)
    assert cols["none"].tolist() == [None, None] and cols["e"].shape == (0,)
    for k, v in nums.items():
        assert_same_array(cols[k], v, k)
    assert head["meta"]["samples"] == ["a/b", "ü"] and np.isnan(head["meta"]["nan"])
    assert head["kind"] == "test-kind" and head["version"] == 7 and head["triage_version"]
    # the file is a plain .npz: numpy reads the numeric members without pickle
    with np.load(p, allow_pickle=False) as z:
        assert_same_array(z["i8"], nums["i8"], "npz")
    # only the asked-for columns are read
    assert list(columnar.read(p, "test-kind", 7, names=["u2"])[1]) == ["u2"]
    # same data, same bytes
    q = tmp_path / "t2.npz"
    columnar.write(q, "test-kind", 7, meta, {"s": obj, "l": odd, "none": [None, None], "e": [], **nums})
    assert p.read_bytes() == q.read_bytes()


def test_unstorable_values_are_refused_at_write(tmp_path):
    p = tmp_path / "t.npz"
    with pytest.raises(TypeError, match="column s"):
        columnar.write(p, "k", 1, {}, {"s": ["a", 1.5]})
    with pytest.raises(TypeError, match="column s"):
        columnar.write(p, "k", 1, {}, {"s": [b"bytes"]})
    with pytest.raises(TypeError, match="tuple"):
        columnar.write(p, "k", 1, {"t": (1, 2)}, {})
    with pytest.raises(ValueError, match="column name"):
        columnar.write(p, "k", 1, {}, {"a.b": np.zeros(1)})
    assert not p.exists() and not list(tmp_path.iterdir())  # nothing half-written left


def test_other_kind_or_version_names_file_and_versions(tmp_path):
    p = tmp_path / "case.annotated.npz"
    columnar.write(p, "annotated-case", 99, {}, {})
    with pytest.raises(DataError) as e:
        columnar.read_header(p, "annotated-case", 1, hint="re-run triage annotate")
    msg = str(e.value)
    assert str(p) in msg and "version 99" in msg and "reads version 1" in msg and "re-run" in msg
    with pytest.raises(DataError, match="holds 'annotated-case', expected 'hpo-knowledge'"):
        columnar.read(p, "hpo-knowledge", 1)


def _zip(path: Path, header: dict, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("header.json", json.dumps(header))
        for k, v in members.items():
            zf.writestr(k, v)
    return path


def _object_npy(obj) -> bytes:
    a = np.empty(1, dtype=object)
    a[0] = obj
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, allow_pickle=True)  # numpy embeds a pickle here
    return buf.getvalue()


def test_pickle_payloads_are_refused_without_executing(tmp_path):
    from triage.prioritize import AnnotatedCase
    from triage.variants.annotation import AnnotatedVariants

    marker = tmp_path / "code-ran"
    base = {"format": "triage-columnar", "container_version": 1, "kind": "annotated-case",
            "version": 1, "meta": {}}
    # 1. a member that is a pickled object array, declared as a float column
    f1 = _zip(tmp_path / "a.npz", {**base, "columns": {"x": {"type": "array", "dtype": "<f8", "shape": [1]}}},
              {"x.npy": _object_npy(Payload(marker))})
    with pytest.raises(DataError, match="x.npy refused"):
        columnar.read(f1, "annotated-case", 1)
    # 2. the header itself declares an object column
    f2 = _zip(tmp_path / "b.npz", {**base, "columns": {"x": {"type": "array", "dtype": "|O", "shape": [1]}}},
              {"x.npy": _object_npy(Payload(marker))})
    with pytest.raises(DataError, match="not storable"):
        columnar.read(f2, "annotated-case", 1)
    # 3. an old-style pickle file where a case/table is expected
    f3 = tmp_path / "old.annotated.npz"
    f3.write_bytes(pickle.dumps({"format": "annotated-case-1", "case": Payload(marker)}))
    for load in (AnnotatedCase.load, AnnotatedVariants.load):
        with pytest.raises(DataError, match="not a triage columnar file"):
            load(f3)
    # 4. a string column whose parts are pickles
    f4 = _zip(tmp_path / "d.npz", {**base, "columns": {"s": {"type": "str", "length": 1}}},
              {"s.codes.npy": _object_npy(Payload(marker)), "s.utf8.npy": _object_npy(Payload(marker)),
               "s.offsets.npy": _object_npy(Payload(marker))})
    with pytest.raises(DataError, match="refused"):
        columnar.read(f4, "annotated-case", 1)
    assert not marker.exists(), "loading executed code from the file"
    # sanity: the payload does run when unpickled, so the test can fail
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


def test_corrupt_or_inconsistent_files_are_data_errors(tmp_path, demo_case):
    from triage.prioritize import AnnotatedCase

    p = tmp_path / "c.annotated.npz"
    demo_case.save(p)
    with pytest.raises(DataError, match="not a triage columnar file"):
        AnnotatedCase.load(_trunc(p, tmp_path))  # e.g. a copy cut short
    # a column of the wrong length (tampered): refused, naming the column
    from triage.variants import annotation_store as st

    meta, cols = st.table_columns(demo_case.table)
    cols["gene"] = cols["gene"][:-1]
    columnar.write(tmp_path / "bad.npz", st.VARIANTS_KIND, st.VARIANTS_VERSION, meta, cols)
    with pytest.raises(DataError, match="column gene"):
        st.load_table(tmp_path / "bad.npz")
    with pytest.raises(DataError, match="file not found"):
        AnnotatedCase.load(tmp_path / "missing.annotated.npz")


def _trunc(p: Path, tmp_path: Path) -> Path:
    q = tmp_path / "trunc.annotated.npz"
    q.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return q


# --------------------------------------------------------------------------- annotated cases
def test_case_round_trip_on_the_demo_vcf(tmp_path, demo_case, ranker37):
    from triage.phenotype.phenopacket import read_phenopacket
    from triage.prioritize import AnnotatedCase
    from triage.variants.annotation_store import read_case_header

    p = tmp_path / "DEMO1.annotated.npz"
    demo_case.save(p)
    back = AnnotatedCase.load(p)
    assert_same_table(demo_case.table, back.table)
    for f in ("sample", "family", "ped", "build", "has_population_af", "seconds"):
        assert getattr(back, f) == getattr(demo_case, f), f
    assert len(back.table) > 10_000 and back.table.clnsig.dtype == object
    h = read_case_header(p)
    assert (h.sample, h.build, h.family, h.n_rows) == ("DEMO1", "GRCh37", demo_case.family, len(demo_case.table))
    terms = read_phenopacket(DEMO_PP).observed
    assert ranked_json(ranker37, back, terms) == ranked_json(ranker37, demo_case, terms)


def test_case_header_keeps_family_ped_and_exact_sample(tmp_path, demo_case):
    from triage.prioritize import AnnotatedCase
    from triage.variants.annotation_store import read_case_header

    sample = "DEMO1"
    fam = Family((sample, "père/1", "mère 2"), (1, 1, 2), (2, 1, 0), (1, -1, -1), (2, -1, -1), 0)
    case = replace(demo_case, family=fam, ped="/data/fam ü.ped", has_population_af=False, seconds=1.25)
    p = tmp_path / "x.annotated.npz"
    case.save(p)
    h = read_case_header(p)
    assert h.family == fam and h.ped == "/data/fam ü.ped" and h.sample == sample
    assert h.has_population_af is False and h.seconds == 1.25
    back = AnnotatedCase.load(p)
    assert back.family == fam and back.ped == case.ped


def test_case_header_is_read_without_columns(tmp_path, demo_case, monkeypatch):
    from triage.variants.annotation_store import read_case_header

    p = tmp_path / "x.annotated.npz"
    demo_case.save(p)

    def no_columns(*a, **k):
        raise AssertionError("a column was read")

    monkeypatch.setattr(columnar, "_read_npy", no_columns)
    assert read_case_header(p).sample == "DEMO1"


def test_api_stored_sample_check_reads_the_header(tmp_path, demo_case):
    from triage.api.worker import CaseInputs, StoredAnnotationMismatch, check_stored_sample
    from triage.variants.annotation_store import read_case_header

    p = tmp_path / "x.annotated.npz"
    demo_case.save(p)
    h = read_case_header(p)
    check_stored_sample(h, CaseInputs(observed=[], sample="DEMO1"), p)
    with pytest.raises(StoredAnnotationMismatch):
        check_stored_sample(h, CaseInputs(observed=[], sample="DEMO1 "), p)
    inputs = CaseInputs(observed=[], vcf_sha256="ab" * 32, sample="DEMO1", annotation_dir=str(tmp_path))
    assert inputs.annotation_path("cfg").name.endswith(".annotated.npz")


def test_annotate_cached_stores_a_columnar_table(tmp_path, monkeypatch):
    from triage.variants import annotation
    from triage.variants.annotation import AnnotateConfig, annotate_cached

    cfg = AnnotateConfig(genome="GRCh37")
    first = annotate_cached(DEMO_VCF, None, cfg, cache_dir=tmp_path)
    files = list(tmp_path.glob("DEMO1.chr22.vcf.gz.*.variants.npz"))
    assert len(files) == 1
    monkeypatch.setattr(annotation, "annotate_vcf", lambda *a, **k: pytest.fail("not served from the cache"))
    assert_same_table(first, annotate_cached(DEMO_VCF, None, cfg, cache_dir=tmp_path))
    files[0].write_bytes(b"garbage")  # a broken cache entry is rebuilt, not fatal
    monkeypatch.undo()
    assert_same_table(first, annotate_cached(DEMO_VCF, None, cfg, cache_dir=tmp_path))


def test_exome_round_trip_ranks_bit_for_bit(tmp_path, ranker37):
    """Pfeiffer exome (../shared): ranking from the stored and reloaded case is identical."""
    from conftest import shared_path

    from triage.prioritize import AnnotatedCase, PipelineConfig, ingest_annotate

    vcf = shared_path("data", "backgrounds", "Pfeiffer_b37.vcf.gz")
    case = ingest_annotate(vcf, None, PipelineConfig().with_genome("GRCh37"), model=ranker37.gene_model)
    p = tmp_path / "pfeiffer.annotated.npz"
    case.save(p)
    back = AnnotatedCase.load(p)
    assert_same_table(case.table, back.table)
    assert ranked_json(ranker37, back, PFEIFFER_TERMS) == ranked_json(ranker37, case, PFEIFFER_TERMS)


def test_trio_round_trip_keeps_the_family(tmp_path, ranker37):
    """A PED trio (../shared): the family analysed survives the file exactly."""
    from conftest import shared_path

    from triage.prioritize import AnnotatedCase, PipelineConfig, ingest_annotate

    vcf = shared_path("data", "backgrounds", "ashk-trio_b37_chr1-2.vcf.gz")
    ped = shared_path("data", "backgrounds", "ashk-trio.ped")
    case = ingest_annotate(vcf, None, PipelineConfig().with_genome("GRCh37"), ped=str(ped), model=ranker37.gene_model)
    assert len(case.family) == 3
    p = tmp_path / "trio.annotated.npz"
    case.save(p)
    back = AnnotatedCase.load(p)
    assert back.family == case.family and back.ped == str(ped) and back.sample == case.sample
    assert_same_table(case.table, back.table)
    assert ranked_json(ranker37, back, ["HP:0001250"]) == ranked_json(ranker37, case, ["HP:0001250"])


# --------------------------------------------------------------------------- compiled HPO release
def test_shipped_compiled_release_is_current():
    from triage.phenotype import knowledge

    d = knowledge.default_hpo_dir()
    shipped = d / knowledge.SHIPPED_NAME
    assert shipped.is_file(), f"{shipped} missing: run scripts/compile_hpo.py"
    key = knowledge._fingerprint(knowledge.source_files(d))
    head = columnar.read_header(shipped, knowledge.KIND, knowledge.KIND_VERSION)
    assert head["meta"]["fingerprint"] == key, "stale: run scripts/compile_hpo.py and commit the file"
    assert knowledge.compiled_path(d) == shipped


def test_compiled_release_loads_without_a_cache_dir(tmp_path, monkeypatch):
    from triage.phenotype import knowledge

    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(knowledge, "build_knowledge", lambda d: pytest.fail("compiled again"))
    kb = knowledge.load_knowledge()
    assert len(kb.ontology) > 15_000 and kb.inheritance and not (tmp_path / "empty").exists()


@pytest.mark.slow
def test_compiled_release_equals_a_fresh_compile():
    from triage.phenotype import knowledge

    d = knowledge.default_hpo_dir()
    fresh = knowledge.build_knowledge(d)
    kb = knowledge.load_knowledge(d)
    for part in ("ontology", "annotations"):
        a, b = getattr(fresh, part), getattr(kb, part)
        for f in fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, np.ndarray):
                assert_same_array(x, y, f.name)
            elif f.name == "parents":
                assert len(x) == len(y) and all(np.array_equal(p, q) and p.dtype == q.dtype
                                                for p, q in zip(x, y, strict=True))
            else:
                assert x == y, f.name
    assert fresh.inheritance == kb.inheritance

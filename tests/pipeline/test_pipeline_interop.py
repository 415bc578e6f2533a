"""Interoperability of the per-patient outputs (issue #12 part 6): the phenopacket parses
with the GA4GH ``phenopackets`` package and declares every namespace it uses, no output
carries a local path, the candidate VCF keeps the input's INFO fields and can hold only
the ranked records, and the PhEval files follow the current PhEval result format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

pytest.importorskip("cyvcf2")
pysam = pytest.importorskip("pysam")

from pipeline_testlib import DEMO_PP, DEMO_VCF, REPO  # noqa: E402

from triage.phenotype.phenopacket import read_phenopacket  # noqa: E402

MARKER = "LOCAL_DIR_MARKER"


def _sites_vcf(path: Path, rows: list[tuple], header: list[str]) -> Path:
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=22,length=51304566>", *header,
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\t.\t{r}\t{a}\t.\tPASS\t{i}" for c, p, r, a, i in sorted(rows, key=lambda x: x[1])]
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


@pytest.fixture(scope="module")
def configured_run(engine, tmp_path_factory):
    """The demo with population and ClinVar resources in a directory whose name must not
    reach any output (also named by the population VCF's ##reference line)."""
    from triage.prioritize import PipelineConfig, run_patient

    d = tmp_path_factory.mktemp(MARKER)
    smarcb1 = ("22", 24175856, "GAGA", "G")
    pop = _sites_vcf(d / "pop.vcf.gz", [("22", 24133368, "C", "G", "AF=0.2")],
                     ['##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
                      f"##reference=file://{d}/{MARKER}_ref.fa", "##source=testpop"])
    clinvar = _sites_vcf(d / "clinvar.vcf.gz", [(*smarcb1, "CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,"
                                                            "_multiple_submitters,_no_conflicts")],
                         ['##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance">',
                          '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="Review status">'])
    cfg = PipelineConfig.from_dict({"resources": {"population": str(pop), "clinvar": str(clinvar)},
                                    "annotation": {"population_af_info_fields": ["NO_SUCH_FIELD"]}})
    case = read_phenopacket(DEMO_PP)
    out = d / "out"
    run = run_patient(DEMO_VCF, case.observed, case.excluded, genome="GRCh37", engine=engine, cfg=cfg,
                      out_dir=out)
    return run, out, d


def _curie_prefixes(doc) -> set[str]:
    """Namespaces of every ontology class / gene id in a phenopacket JSON document."""
    found: set[str] = set()

    def walk(x, key=None):
        if isinstance(x, dict):
            for k, v in x.items():
                if not (k == "id" and ("progressStatus" in x or "geneContext" in x)):  # local ids
                    walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and key in ("id", "valueId") and ":" in x and " " not in x:
            found.add(x.split(":", 1)[0])

    for k in ("phenotypicFeatures", "interpretations"):
        walk(doc.get(k))
    for e in (ext for i in doc.get("interpretations", []) for gi in i["diagnosis"]["genomicInterpretations"]
              for ext in gi.get("variantInterpretation", {}).get("variationDescriptor", {}).get("extensions", [])):
        if e["name"] == "triage_consequence":
            found.update(t.split(":", 1)[0] for t in e["value"].split(", ") if t.startswith("SO:"))
    for i in doc.get("interpretations", []):  # equivalent disease ids named in the summary
        for tok in i.get("summary", "").replace(",", " ").replace(";", " ").split():
            if tok.startswith(("ORPHA:", "OMIM:", "DECIPHER:")):
                found.add(tok.split(":", 1)[0])
    return found


def test_phenopacket_parses_and_declares_every_namespace(configured_run):
    from google.protobuf.json_format import Parse
    from phenopackets import Phenopacket

    _, out, _ = configured_run
    text = (out / "DEMO1.phenopacket.json").read_text()
    pp = Parse(text, Phenopacket())  # strict: unknown fields are an error
    assert pp.subject.id == "DEMO1" and len(pp.interpretations) == 10
    assert pp.meta_data.phenopacket_schema_version == "2.0"
    doc = json.loads(text)
    declared = {r["namespacePrefix"] for r in doc["metaData"]["resources"]}
    used = _curie_prefixes(doc)
    assert {"HP", "OMIM", "ORPHA", "NCBIGene", "GENO", "SO"} <= used  # the demo uses all of them
    assert used <= declared, used - declared
    for r in doc["metaData"]["resources"]:
        assert r["version"] and r["iriPrefix"].startswith("http")
    vd = doc["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"][
        "variationDescriptor"]
    ext = {e["name"]: e["value"] for e in vd["extensions"]}
    assert ext["triage_consequence"] == "SO:0001822 inframe_deletion"


def test_phenopacket_of_a_phenotype_only_result_parses(engine):
    from google.protobuf.json_format import Parse
    from phenopackets import Phenopacket

    from triage.outputs.phenopacket import to_phenopacket
    from triage.prioritize import rank_phenotype

    case = read_phenopacket(DEMO_PP)
    doc = to_phenopacket(rank_phenotype(engine, case.observed, case.excluded, top=10))
    Parse(json.dumps(doc), Phenopacket())
    assert _curie_prefixes(doc) <= {r["namespacePrefix"] for r in doc["metaData"]["resources"]}


def _output_texts(out: Path):
    for p in sorted(out.rglob("*")):
        if not p.is_file() or p.suffix in (".tbi", ".npz"):
            continue
        if p.suffix == ".gz":
            yield p, gzip.open(p, "rt").read()
        elif p.suffix == ".parquet":
            pq = pytest.importorskip("pyarrow.parquet")
            t = pq.read_table(p)
            yield p, json.dumps(t.to_pylist(), default=str) + json.dumps(
                {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()})
        else:
            yield p, p.read_text()


def test_no_local_path_in_any_output(configured_run):
    run, out, d = configured_run
    assert "population_frequency" in run.result.data_versions and "clinvar" in run.result.data_versions
    assert any("NO_SUCH_FIELD" in w.message for w in run.result.warnings)  # the note naming the input VCF
    forbidden = [str(d), str(REPO), str(DEMO_VCF.parent), "/tmp/", "file://"]
    n = 0
    for p, text in _output_texts(out):
        n += 1
        for f in forbidden:
            assert f not in text, f"{p.name} contains the local path {f}"
    assert n >= 9
    # the reference FASTA of a resource header is named, never located
    assert f"reference={MARKER}_ref.fa" in run.result.data_versions["population_frequency"]

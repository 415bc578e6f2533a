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
            with gzip.open(p, "rt") as fh:
                yield p, fh.read()
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


# --------------------------------------------------------------------------- candidate VCF
def test_candidate_vcf_keeps_the_input_info(engine, tmp_path):
    from cyvcf2 import VCF
    from pipeline_testlib import write_vcf

    from triage.prioritize import run_patient

    info = ['##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
            '##INFO=<ID=ADR,Number=R,Type=Integer,Description="Reads per allele">',
            '##INFO=<ID=GP,Number=G,Type=Integer,Description="Per-genotype values">',
            '##INFO=<ID=TRIAGE_GENE,Number=1,Type=String,Description="an old run of ours">']
    recs = ["22\t24175856\t.\tGAGA\tG\t500\tPASS\tDP=30;AC=1;ADR=10,20;DB;TRIAGE_GENE=OLD\tGT:AD:DP:GQ\t0/1:10,20:30:99",
            "22\t24176100\t.\tC\tT,G\t300\tPASS\tDP=25;AC=1,2;ADR=5,10,11;GP=1,2,3,4,5,6\tGT:AD:DP:GQ\t1/2:0,12,13:25:99"]
    vcf = write_vcf(tmp_path / "in.vcf.gz", ["P1"], recs, contigs={"22": 51304566}, info=info)
    case = read_phenopacket(DEMO_PP)
    run = run_patient(vcf, case.observed, case.excluded, genome="GRCh37", engine=engine, out_dir=tmp_path / "o",
                      formats=("vcf",))
    out = VCF(str(tmp_path / "o" / "P1.candidates.vcf.gz"))
    for f in ("AC", "ADR", "GP", "DP", "DB", "TRIAGE_RANK"):
        assert f"##INFO=<ID={f}," in out.raw_header, f
    assert out.raw_header.count("##INFO=<ID=TRIAGE_GENE,") == 1 and "an old run" not in out.raw_header
    recs_out = {(r.POS, r.ALT[0]): r for r in out}
    smarcb1 = recs_out[(24175856, "G")]
    assert smarcb1.INFO["DP"] == 30 and smarcb1.INFO["AC"] == 1 and tuple(smarcb1.INFO["ADR"]) == (10, 20)
    assert smarcb1.INFO["DB"] is True and smarcb1.INFO["TRIAGE_GENE"] == "SMARCB1"
    # a multiallelic record: one record per ALT, Number=A/R cut to that ALT, Number=G dropped
    t, g = recs_out[(24176100, "T")], recs_out[(24176100, "G")]
    assert (t.INFO["AC"], tuple(t.INFO["ADR"])) == (1, (5, 10)) and (g.INFO["AC"], tuple(g.INFO["ADR"])) == (2, (5, 11))
    assert t.INFO.get("GP") is None and t.INFO["DP"] == 25
    assert run.result.genes[0].symbol == "SMARCB1"


def test_candidate_vcf_without_the_input_says_so_and_candidates_only(configured_run, tmp_path):
    from cyvcf2 import VCF

    from triage.cli.main import main

    _, out, _ = configured_run
    full = VCF(str(out / "DEMO1.candidates.vcf.gz"))
    assert "##INFO=<ID=KG_AF," in full.raw_header  # the demo VCF's own INFO field
    n_full = 0
    kg = 0
    for rec in full:
        n_full += 1
        kg += rec.INFO.get("KG_AF") is not None
    assert kg > 1000
    base = ["-q", "prioritize", "--annotated", str(out / "DEMO1.annotated.npz"), "--phenopacket", str(DEMO_PP),
            "--formats", "vcf"]
    assert main([*base, "--out-dir", str(tmp_path / "bare")]) == 0  # no --vcf: ours only, said in the header
    bare = VCF(str(tmp_path / "bare" / "DEMO1.candidates.vcf.gz"))
    assert "##triage_note=INFO fields of the input VCF not carried" in bare.raw_header
    assert "KG_AF" not in bare.raw_header
    assert main([*base, "--vcf", str(DEMO_VCF), "--candidates-only", "--out-dir", str(tmp_path / "c")]) == 0
    cand = VCF(str(tmp_path / "c" / "DEMO1.candidates.vcf.gz"))
    assert "##INFO=<ID=KG_AF," in cand.raw_header and "candidates only" in cand.raw_header
    ranks = [rec.INFO["TRIAGE_RANK"] for rec in cand]
    assert ranks and all(r > 0 for r in ranks) and len(ranks) < n_full
    assert 1 in ranks
    # a VCF that is not the annotated one is a clear error, not a silent mix
    other = tmp_path / "other.vcf"
    other.write_text("##fileformat=VCFv4.2\n##contig=<ID=22,length=51304566>\n"
                     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n22\t100\t.\tA\tC\t.\tPASS\t.\n")
    assert main([*base, "--vcf", str(other), "--out-dir", str(tmp_path / "x")]) == 2


# --------------------------------------------------------------------------- PhEval
def _pheval():
    return pytest.importorskip("pheval", reason="pheval is not installed (optional extra: pip install "
                                                "'triage[pheval]'; make setup installs it when it fits)")


def test_pheval_validates_our_pipeline_files(configured_run):
    """PhEval's own result-schema validation accepts the per-patient files."""
    _pheval()
    import polars as pl
    from pheval.post_processing.validate_result_format import ResultSchema

    _, out, _ = configured_run
    base = out / "pheval"
    for kind, schema in (("gene", ResultSchema.GENE_RESULT_SCHEMA), ("variant", ResultSchema.VARIANT_RESULT_SCHEMA),
                         ("disease", ResultSchema.DISEASE_RESULT_SCHEMA)):
        df = pl.read_parquet(base / f"pheval_{kind}_results" / f"DEMO1-{kind}_result.parquet")
        assert schema.validate(df) and df.height > 10
        assert df["rank"].dtype == pl.Int64 and df["score"].dtype == pl.Float64


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A one-case PhEval corpus (the demo with its truth) and an input dir."""
    import shutil

    corpus = tmp_path / "corpus"
    (corpus / "phenopackets").mkdir(parents=True)
    (corpus / "vcf").mkdir()
    shutil.copy(DEMO_VCF, corpus / "vcf" / DEMO_VCF.name)
    doc = json.loads(DEMO_PP.read_text())
    doc["interpretations"] = [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
        "disease": {"id": "OMIM:614608", "label": "Coffin-Siris syndrome 3"},
        "genomicInterpretations": [{"subjectOrBiosampleId": "DEMO1", "interpretationStatus": "CAUSATIVE",
                                    "variantInterpretation": {"variationDescriptor": {
                                        "id": "v1", "geneContext": {"valueId": "NCBIGene:6598", "symbol": "SMARCB1"},
                                        "vcfRecord": {"genomeAssembly": "GRCh37", "chrom": "22", "pos": "24175856",
                                                      "ref": "GAGA", "alt": "G"},
                                        "allelicState": {"id": "GENO:0000135", "label": "heterozygous"}}}}]}}]
    doc["files"] = [{"uri": DEMO_VCF.name, "fileAttributes": {"fileFormat": "vcf", "genomeAssembly": "GRCh37"}}]
    (corpus / "phenopackets" / "case-demo.json").write_text(json.dumps(doc))
    inp = tmp_path / "input"
    inp.mkdir()
    (inp / "config.yaml").write_text("tool: triage\ntool_version: test\nvariant_analysis: true\n"
                                     "gene_analysis: true\ndisease_analysis: true\n"
                                     "tool_specific_configuration_options:\n  scorer: lr\n")
    return corpus, inp


def test_pheval_runs_triage_through_the_plugin(tmp_path):
    """PhEval's run phases with our runner, its post-processing writes the final files."""
    _pheval()
    import importlib
    import re

    import polars as pl
    from pheval.post_processing.validate_result_format import ResultSchema

    ep = re.search(r'\[project.entry-points."pheval.plugins"\]\ntriage = "([^"]+)"', (REPO / "pyproject.toml").read_text())
    assert ep, "pyproject.toml declares no pheval.plugins entry point"
    module, cls_name = ep.group(1).split(":")
    runner_cls = getattr(importlib.import_module(module), cls_name)
    try:  # installed with the entry point (pip install -e .): PhEval finds it by class name
        from pheval.implementations import get_implementation_resolver

        assert get_implementation_resolver().lookup("triagephevalrunner") is runner_cls
    except (KeyError, LookupError):
        pass  # this environment's triage metadata predates the entry point
    corpus, inp = _corpus(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    runner = runner_cls(inp, corpus, tmp_path / "tmp", out, None, "test")
    runner.build_output_directory_structure()  # as `pheval run` does
    runner.prepare()
    runner.run()
    runner.post_process()
    genes = pl.read_parquet(out / "pheval_gene_results" / "case-demo-gene_result.parquet")
    top = genes.sort("rank").row(0, named=True)
    assert (top["gene_symbol"], top["rank"], top["true_positive"]) == ("SMARCB1", 1, True)
    variants = pl.read_parquet(out / "pheval_variant_results" / "case-demo-variant_result.parquet")
    hit = variants.filter(pl.col("true_positive"))
    assert hit.height == 1 and hit["variant_id"][0] == "22-24175856-GAGA-G" and hit["rank"][0] == 1
    diseases = pl.read_parquet(out / "pheval_disease_results" / "case-demo-disease_result.parquet")
    d = diseases.filter(pl.col("true_positive"))
    assert d.height >= 1 and d["rank"].min() == 1
    # PhEval's own schema accepts the standardised columns we handed it
    raw = out / "raw_results" / "case-demo" / "pheval"
    ResultSchema.GENE_RESULT_SCHEMA.validate(pl.read_parquet(raw / "pheval_gene_results" / "case-demo-gene_result.parquet"))
    meta = runner.construct_meta_data()
    assert meta.tool == "triage" and meta.tool_version == "test"

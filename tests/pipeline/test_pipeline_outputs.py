"""Outputs of one patient on the bundled demo (committed data: no ../shared needed)."""

from __future__ import annotations

import csv
import json

import pytest

pytest.importorskip("cyvcf2")
pytest.importorskip("pysam")

from pipeline_testlib import DEMO_PP, DEMO_VCF  # noqa: E402

from triage.models import TriageResult  # noqa: E402
from triage.phenotype.phenopacket import parse_phenopacket, read_phenopacket  # noqa: E402


@pytest.fixture(scope="module")
def demo_run(engine, tmp_path_factory):
    from triage.prioritize import run_patient

    out = tmp_path_factory.mktemp("demo")
    case = read_phenopacket(DEMO_PP)
    run = run_patient(DEMO_VCF, case.observed, case.excluded, genome="GRCh37", engine=engine, out_dir=out)
    return run, out


def test_demo_ranks_the_published_variant_first(demo_run):
    run, _ = demo_run
    top = run.result.genes[0]
    assert top.symbol == "SMARCB1" and top.rank == 1 and top.top_disease == "OMIM:614608"
    v = top.variants[0]
    assert (v.chrom, v.pos, v.ref, v.alt) == ("22", 24175856, "GAGA", "G")
    assert v.consequence == "inframe_deletion" and v.zygosity == "heterozygous" and v.rank == 1
    assert v.hgvs_c and v.transcript and "AD" in v.inheritance_modes
    assert top.genotype_score is not None and top.phenotype_score is not None
    assert top.explanation.matches and "genotype LR" in top.explanation.summary


def test_result_model_and_ranks(demo_run):
    run, out = demo_run
    r = TriageResult.model_validate_json((out / "DEMO1.result.json").read_text())
    assert r.query.sample == "DEMO1" and r.n_genes_ranked > 1000
    scores = [g.score for g in r.genes]
    assert scores == sorted(scores, reverse=True)
    for a, b in zip(r.genes, r.genes[1:]):
        assert (a.rank == b.rank) == (a.score == b.score)
        assert b.rank >= a.rank
    for k in ("hpo", "gene_model", "genotype_model", "triage"):
        assert k in r.data_versions
    assert abs(sum(d.posterior for d in run.result.diseases) - 1.0) < 1.0  # a share of the total


def test_tsv_outputs(demo_run):
    _, out = demo_run
    for name in ("DEMO1.genes.tsv", "DEMO1.variants.tsv"):
        lines = (out / name).read_text().splitlines()
        assert lines[0].startswith("# triage") and "hpo=" in lines[0] and "gene_model=" in lines[0]
        rows = list(csv.DictReader(lines[1:], delimiter="\t"))
        assert rows
    genes = list(csv.DictReader((out / "DEMO1.genes.tsv").read_text().splitlines()[1:], delimiter="\t"))
    assert genes[0]["symbol"] == "SMARCB1" and genes[0]["best_consequence"] == "inframe_deletion"
    variants = list(csv.DictReader((out / "DEMO1.variants.tsv").read_text().splitlines()[1:], delimiter="\t"))
    assert variants[0]["gene"] == "SMARCB1" and variants[0]["variant_rank"] == "1"
    # rows of genes not in the HPO release come last, unranked
    assert all(v["variant_rank"] for v in variants[:50])


def test_candidates_vcf(demo_run):
    from cyvcf2 import VCF

    _, out = demo_run
    path = out / "DEMO1.candidates.vcf.gz"
    assert (out / "DEMO1.candidates.vcf.gz.tbi").exists()
    vcf = VCF(str(path))
    for f in ("TRIAGE_GENE", "TRIAGE_RANK", "TRIAGE_CSQ", "TRIAGE_SCORE"):
        assert vcf.get_header_type(f)["ID"] == f
        assert f"##INFO=<ID={f}," in vcf.raw_header
    assert "##triage_data_version=<ID=hpo" in vcf.raw_header and "gene_model" in vcf.raw_header
    hits = list(vcf("22:24175856-24175856"))
    assert len(hits) == 1
    rec = hits[0]
    assert rec.INFO["TRIAGE_GENE"] == "SMARCB1" and rec.INFO["TRIAGE_RANK"] == 1
    assert rec.INFO["TRIAGE_SCORE"] > 0.5 and rec.INFO["TRIAGE_CSQ"].startswith("inframe_deletion")
    assert rec.ID is None  # no IDs carried over
    n = sum(1 for _ in VCF(str(path)))
    assert n > 10000


def test_phenopacket_output(demo_run):
    _, out = demo_run
    doc = json.loads((out / "DEMO1.phenopacket.json").read_text())
    assert doc["metaData"]["phenopacketSchemaVersion"] == "2.0"
    assert doc["subject"]["id"] == "DEMO1" and len(doc["phenotypicFeatures"]) == 9
    first = doc["interpretations"][0]
    assert first["diagnosis"]["disease"]["id"] == "OMIM:614608"
    gi = first["diagnosis"]["genomicInterpretations"][0]
    vd = gi["variantInterpretation"]["variationDescriptor"]
    assert gi["interpretationStatus"] == "CANDIDATE"
    assert vd["geneContext"]["symbol"] == "SMARCB1"
    assert vd["vcfRecord"] == {"genomeAssembly": "GRCh37", "chrom": "22", "pos": "24175856", "ref": "GAGA", "alt": "G"}
    assert vd["allelicState"]["id"] == "GENO:0000135"
    refs = {r["id"] for r in doc["metaData"]["externalReferences"]}
    assert {"hpo", "gene_model"} <= refs
    case = parse_phenopacket(doc)  # our own reader accepts it
    assert case.genes[0] == "SMARCB1" and case.variants[0].pos == 24175856


def test_html_report(demo_run):
    _, out = demo_run
    html = (out / "DEMO1.report.html").read_text()
    assert "SMARCB1" in html and "<svg" in html and "OMIM:614608" in html
    assert "Coarse facial features" in html and "gene_model" in html


def test_pheval_outputs(demo_run):
    _, out = demo_run
    g = (out / "pheval" / "DEMO1-pheval_gene_result.tsv").read_text().splitlines()
    assert g[0].split("\t") == ["rank", "score", "gene_symbol", "gene_identifier"]
    assert g[1].split("\t")[2] == "SMARCB1" and g[1].split("\t")[3].startswith("NCBIGene:")
    v = (out / "pheval" / "DEMO1-pheval_variant_result.tsv").read_text().splitlines()
    assert v[0].split("\t") == ["rank", "score", "chrom", "start", "end", "ref", "alt"]
    assert v[1].split("\t")[2:] == ["22", "24175856", "24175859", "GAGA", "G"]
    d = (out / "pheval" / "DEMO1-pheval_disease_result.tsv").read_text().splitlines()
    assert d[1].split("\t")[3] == "OMIM:614608"
    assert json.loads((out / "pheval" / "DEMO1-data_versions.json").read_text())["hpo"]


def test_cli_annotate_prioritize_and_rank_vcf(tmp_path, capsys):
    from triage.cli.common import CaseTerms
    from triage.cli.main import main
    from triage.cli.pipeline import rank_vcf_main

    pkl = tmp_path / "a.annotated.npz"
    assert main(["-q", "annotate", "--vcf", str(DEMO_VCF), "--genome", "GRCh37", "--out", str(pkl),
                 "--tsv", str(tmp_path / "a.tsv")]) == 0
    assert main(["-q", "prioritize", "--annotated", str(pkl), "--phenopacket", str(DEMO_PP),
                 "--out-dir", str(tmp_path / "o"), "--formats", "json,tsv"]) == 0
    r = TriageResult.model_validate_json((tmp_path / "o" / "DEMO1.result.json").read_text())
    assert r.genes[0].symbol == "SMARCB1"
    assert not (tmp_path / "o" / "DEMO1.report.html").exists()
    case = read_phenopacket(DEMO_PP)
    capsys.readouterr()
    terms = CaseTerms(case.observed)
    res = rank_vcf_main(str(DEMO_VCF), None, None, None, terms, None, "json", "lr", 5, None, False)
    printed = TriageResult.model_validate_json(capsys.readouterr().out)
    assert printed.genes[0].symbol == res.genes[0].symbol == "SMARCB1" and len(printed.genes) == 5
    # model parameters reach the VCF path: from --param, and from the config the workflow passes
    flat = rank_vcf_main(str(DEMO_VCF), None, None, None, terms, None, "json", "lr", 5, None,
                         False, params=["lr.prior=uniform"])
    capsys.readouterr()
    assert flat.data_versions["model_params"] != res.data_versions["model_params"]
    cfg = tmp_path / "config.yaml"
    cfg.write_text("phenotype:\n  model:\n    lr: {prior: uniform}\n")
    assert main(["-q", "prioritize", "--annotated", str(pkl), "--phenopacket", str(DEMO_PP), "--config", str(cfg),
                 "--out-dir", str(tmp_path / "o2"), "--formats", "json"]) == 0
    r2 = TriageResult.model_validate_json((tmp_path / "o2" / "DEMO1.result.json").read_text())
    assert r2.data_versions["model_params"] == flat.data_versions["model_params"]
    assert r2.genes[0].symbol == "SMARCB1"
    # a user error is one line, exit 2
    assert main(["annotate", "--vcf", str(tmp_path / "missing.vcf"), "--genome", "GRCh37", "--out", str(pkl)]) == 2
    assert "triage: error:" in capsys.readouterr().err


def test_report_rule_reads_only_the_result(demo_run, tmp_path):
    """`triage report` writes the HTML report and the phenopacket from result.json alone."""
    from triage.cli.main import main

    _, out = demo_run
    dest = tmp_path / "rep"
    assert main(["-q", "report", "--result", str(out / "DEMO1.result.json"), "--out-dir", str(dest)]) == 0
    html = (dest / "DEMO1.report.html").read_text()
    assert "SMARCB1" in html and "<svg" in html and "<script" not in html
    pp = json.loads((dest / "DEMO1.phenopacket.json").read_text())
    assert pp == {**json.loads((out / "DEMO1.phenopacket.json").read_text()), "metaData": pp["metaData"]}
    assert main(["-q", "report", "--result", str(out / "DEMO1.result.json"), "--out-dir", str(dest),
                 "--formats", "vcf"]) == 2  # needs the ranked case: a clear error
    assert main(["-q", "report", "--result", str(out / "DEMO1.genes.tsv"), "--out-dir", str(dest)]) == 2


def test_output_prefix_is_injective():
    from triage.outputs.common import MAX_PREFIX, file_prefix

    ids = ["a/b", "a_b", "a%2Fb", "a b", ".hidden", "S" * 300, "S" * 301, "DEMO1", "x:y"]
    prefixes = [file_prefix(s) for s in ids]
    assert len(set(prefixes)) == len(ids)
    assert all("/" not in p and len(p) <= MAX_PREFIX and not p.startswith(".") for p in prefixes)
    assert file_prefix("DEMO1") == "DEMO1"

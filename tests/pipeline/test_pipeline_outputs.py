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


def test_probability_precision():
    from triage.outputs.common import fmt_prob

    assert fmt_prob(0.9998413) == "0.99984" and fmt_prob(0.9970653) == "0.9971"
    assert fmt_prob(0.5912) == "0.591" and fmt_prob(8.867e-05) == "8.87e-05"
    assert fmt_prob(0.999999996) == "0.999999996" and fmt_prob(1.0) == "1 - <1e-15"
    assert fmt_prob(0.9970653, 6, "1") == "0.997065" and fmt_prob(1.0, 6, "1") == "1"
    assert fmt_prob(None) == "" and fmt_prob(float("nan")) == ""


def _section(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i:html.index(end, i)]


def test_html_report_for_review(demo_run):
    """Issue #12 part 5: precision, candidate variants first, full legend, links, header."""
    import re

    from triage.outputs.common import fmt_prob
    from triage.outputs.html import HEATMAP_LEGEND, report_html

    run, out = demo_run
    html = (out / "DEMO1.report.html").read_text()
    top = run.result.genes[0]
    # posterior with its precision, never "1"; a posterior of 0.99984 reads 0.99984
    assert f">{fmt_prob(top.posterior)}<" in html and top.posterior < 1
    near_one = run.result.model_copy(deep=True)
    near_one.genes[0].posterior = 0.9998413
    assert ">0.99984<" in report_html(near_one, 5)
    # the header: data versions and the resources that were not configured
    head = html[:html.index("<h2>Patient phenotype")]
    assert "hpo <code>2025-01-16</code>" in head and "gene_model" in head
    assert "Resources not configured" in head
    for name in ("population frequency", "ClinVar", "REVEL / AlphaMissense / CADD", "reference FASTA"):
        assert name in head
    # evidence of SMARCB1 leads with the candidate (the in-frame deletion); UTR/intronic rows folded
    ev = _section(html, 'id="gene-SMARCB1"', "term-by-term phenotype match")
    first_table, rest = ev.split("</table>", 1)
    assert "inframe_deletion" in first_table and "UTR" not in first_table and "intron_variant" not in first_table
    folded = _section(rest, '<details class="other-variants">', "</details>")
    assert "3_prime_UTR_variant" in folded and "intron_variant" in folded
    # every colour of the heat map is in its legend
    svg = html[html.index("<svg"):html.index("</svg>")]
    used = set(re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg))
    legend = {c for _, c in HEATMAP_LEGEND}
    assert used <= legend and len(used) >= 4
    for _, c in HEATMAP_LEGEND:
        assert svg.count(f'fill="{c}"') >= 1  # drawn in the legend at least
    # links by id: OMIM, Orphanet, HPO browser, NCBI Gene, ClinVar and gnomAD of the variant
    for url in ("https://omim.org/entry/614608", "https://www.orpha.net/en/disease/detail/1465",
                "https://hpo.jax.org/browse/term/HP:0001263", "https://www.ncbi.nlm.nih.gov/gene/6598",
                "https://gnomad.broadinstitute.org/variant/22-24175856-GAGA-G?dataset=gnomad_r2_1",
                "https://www.ncbi.nlm.nih.gov/clinvar/?term="):
        assert f'href="{url}' in html, url
    assert 'rel="noreferrer"' in html and "<script" not in html
    # one disease, one entry: Coffin-Siris syndrome 4 once, with both ids
    dis = _section(html, "<h2>Top diseases", "</table>")
    assert dis.count("Coffin-Siris syndrome 4") == 1 and "OMIM:614609" in dis and "ORPHA:1465" in dis
    # a gene-less disease says why it is listed in a VCF case
    geneless = [d for d in run.result.diseases if not d.genes]
    assert geneless and "no known gene" in dis
    assert all("no gene known for this disease" in d.explanation.summary for d in geneless)


def test_pheval_outputs(demo_run):
    """The current PhEval result format: Parquet per kind, PhEval's columns and ranks."""
    pq = pytest.importorskip("pyarrow.parquet")
    _, out = demo_run
    base = out / "pheval"
    g = pq.read_table(base / "pheval_gene_results" / "DEMO1-gene_result.parquet")
    assert g.column_names == ["rank", "score", "gene_symbol", "gene_identifier", "true_positive"]
    assert [str(t) for t in g.schema.types] == ["int64", "double", "string", "string", "bool"]
    genes = g.to_pylist()
    assert genes[0]["gene_symbol"] == "SMARCB1" and genes[0]["rank"] == 1
    assert genes[0]["gene_identifier"].startswith("NCBIGene:") and genes[0]["true_positive"] is None
    assert len(genes) == 100 and all(a["score"] >= b["score"] for a, b in zip(genes, genes[1:]))
    v = pq.read_table(base / "pheval_variant_results" / "DEMO1-variant_result.parquet").to_pylist()
    assert {k: v[0][k] for k in ("chrom", "start", "end", "ref", "alt", "variant_id")} == {
        "chrom": "22", "start": 24175856, "end": 24175859, "ref": "GAGA", "alt": "G",
        "variant_id": "22-24175856-GAGA-G"}
    d = pq.read_table(base / "pheval_disease_results" / "DEMO1-disease_result.parquet")
    assert d.column_names == ["rank", "score", "disease_identifier", "mondo_identifier", "true_positive"]
    dis = d.to_pylist()
    assert dis[0]["disease_identifier"] == "OMIM:614608"
    ids = [r["disease_identifier"] for r in dis]
    assert "OMIM:614609" in ids and "ORPHA:1465" not in ids  # one disease, one entry (its representative id)
    assert json.loads((base / "DEMO1-data_versions.json").read_text())["hpo"]


def test_pheval_ranks_and_truth(tmp_path):
    """PhEval's rank of ties (the last place of the tie) and its handling of a missed truth."""
    pq = pytest.importorskip("pyarrow.parquet")
    from triage.outputs.pheval import pheval_rank, write_case

    assert pheval_rank([3.0, 2.0, 2.0, 1.0]).tolist() == [1, 3, 3, 4]
    genes = [(1, 0.5, "A", "NCBIGene:1"), (2, 0.2, "B", "NCBIGene:2"), (2, 0.2, "C", "NCBIGene:3")]
    variants = [(1, 0.9, "1", 100, 100, "A", "G")]
    paths = write_case(tmp_path, "cohort/case1", genes, [(1, 0.7, "D", "OMIM:1")], variants,
                       truth_genes=["C", "Z"], truth_diseases=["OMIM:2"], truth_variants=[("chr1", 100, 100, "A", "G")])
    assert [p.name for p in paths] == ["cohort_case1-gene_result.parquet", "cohort_case1-disease_result.parquet",
                                       "cohort_case1-variant_result.parquet"]
    g = pq.read_table(paths[0]).to_pylist()
    assert [(r["gene_symbol"], r["rank"], r["true_positive"]) for r in g] == [
        ("A", 1, False), ("B", 3, False), ("C", 3, True), ("Z", 0, True)]
    d = pq.read_table(paths[1]).to_pylist()
    assert [(r["disease_identifier"], r["rank"], r["true_positive"]) for r in d] == [("OMIM:1", 1, False),
                                                                                      ("OMIM:2", 0, True)]
    v = pq.read_table(paths[2]).to_pylist()
    assert v == [{"rank": 1, "score": 0.9, "chrom": "1", "start": 100, "end": 100, "ref": "A", "alt": "G",
                  "variant_id": "1-100-A-G", "true_positive": True}]


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

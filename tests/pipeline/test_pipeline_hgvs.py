"""Reportable names through the whole pipeline: the demo (committed data), the demo with a
synthetic FASTA (slow), and the Pfeiffer exome's top candidates (../shared)."""

from __future__ import annotations

import pytest

pytest.importorskip("cyvcf2")
pytest.importorskip("pysam")

from conftest import shared_path  # noqa: E402
from helpers import CHR22_LENGTH, DEMO_PP, DEMO_VCF, smarcb1_fasta  # noqa: E402  # noqa: E402
from helpers import check_hgvs_syntax as check_syntax  # noqa: E402

from triage.phenotype.phenopacket import read_phenopacket  # noqa: E402
from triage.variants.consequences import NOTE_SHIFT  # noqa: E402
from triage.variants.hgvs import NO_FASTA_CODE  # noqa: E402

PFEIFFER_TERMS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]


def result_names(result) -> list[str]:
    """transcript:c. and protein:p. of every listed variant and each of its transcripts."""
    names = []
    for g in result.genes:
        for v in g.variants:
            for t in [v, *v.transcripts]:
                if t.transcript and t.hgvs_c:
                    names.append(f"{t.transcript}:{t.hgvs_c}")
                if t.hgvs_p and (t.protein if hasattr(t, "protein") else None):
                    names.append(f"{t.protein}:{t.hgvs_p}")
    return names


def _run(vcf, terms, out, engine, cfg=None):
    from triage.prioritize import run_patient

    return run_patient(vcf, terms, [], genome="GRCh37", engine=engine, out_dir=out, cfg=cfg)


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_hgvs")
    case = read_phenopacket(DEMO_PP)
    return _run(DEMO_VCF, case.observed, out, engine), out


def test_demo_names_on_mane_without_fasta(demo):
    run, out = demo
    top = run.result.genes[0]
    v = top.variants[0]
    assert top.symbol == "SMARCB1" and (v.pos, v.ref, v.alt) == (24175856, "GAGA", "G")
    # MANE Select with its version; without a FASTA the minimal record cannot be shifted
    # to c.1091_1093del: the note says so (with a FASTA: the slow test below)
    assert (v.transcript, v.protein, v.hgvs_c, v.hgvs_p) == ("NM_003073.5", "NP_003064.2", "c.1085_1087del", None)
    assert NOTE_SHIFT in v.hgvs_note
    # every transcript of the gene is listed, the reported (MANE) one first
    assert [t.transcript for t in v.transcripts][0] == "NM_003073.5" and v.transcripts[0].mane == "select"
    assert {t.transcript for t in v.transcripts} >= {"NM_001362877", "NM_001007468", "NM_001317946"}
    assert all(t.consequence for t in v.transcripts)
    # the warning in the result and the report header
    codes = [w.code for w in run.result.warnings]
    assert codes.count(NO_FASTA_CODE) == 1
    html = (out / "DEMO1.report.html").read_text()
    assert "No reference FASTA." in html and "missense and synonymous" in html
    assert "NM_003073.5:c.1085_1087del" in html


def test_demo_candidate_names_parse(demo):
    run, _ = demo
    names = result_names(run.result)
    assert len(names) >= 20
    check_syntax(names)


@pytest.mark.slow
def test_demo_with_synthetic_fasta_reads_the_published_name(engine, tmp_path):
    """With a FASTA (synthetic, the real demo VCF) the demo's variant reads as published:
    NM_003073.5:c.1091_1093del p.(Lys364del), and the no-FASTA warning is gone."""
    from dataclasses import replace

    from triage.prioritize import PipelineConfig
    from triage.variants.gene_model import GeneModel

    fa = smarcb1_fasta(tmp_path / "chr22.fa", GeneModel.load("GRCh37"), length=CHR22_LENGTH)
    cfg = PipelineConfig.from_file(None, "GRCh37")
    cfg = replace(cfg, annotate=replace(cfg.annotate, reference_fasta=str(fa)))
    case = read_phenopacket(DEMO_PP)
    run = _run(DEMO_VCF, case.observed, tmp_path / "out", engine, cfg)
    top = run.result.genes[0]
    v = top.variants[0]
    assert top.symbol == "SMARCB1"
    assert (v.transcript, v.hgvs_c, v.protein, v.hgvs_p, v.hgvs_note) == (
        "NM_003073.5", "c.1091_1093del", "NP_003064.2", "p.(Lys364del)", None)
    assert v.transcripts[0].hgvs_p == "p.(Lys364del)"
    assert NO_FASTA_CODE not in [w.code for w in run.result.warnings]
    assert run.result.data_versions["reference_fasta"] == "chr22.fa"
    check_syntax(result_names(run.result))
    # the phenopacket names both on their accessions
    import json

    pp = json.loads((tmp_path / "out" / "DEMO1.phenopacket.json").read_text())
    exprs = [e for i in pp["interpretations"] for gi in i["diagnosis"]["genomicInterpretations"]
             if "variantInterpretation" in gi
             for e in gi["variantInterpretation"]["variationDescriptor"].get("expressions", [])]
    assert {"syntax": "hgvs.c", "value": "NM_003073.5:c.1091_1093del"} in exprs
    assert {"syntax": "hgvs.p", "value": "NP_003064.2:p.(Lys364del)"} in exprs


def test_pfeiffer_fgfr2_on_mane_and_names_parse(engine, tmp_path):
    vcf = shared_path("data", "backgrounds", "Pfeiffer_b37.vcf.gz")
    run = _run(vcf, PFEIFFER_TERMS, tmp_path, engine)
    top = run.result.genes[0]
    v = top.variants[0]
    assert top.symbol == "FGFR2" and (v.chrom, v.pos) == ("10", 123256215)
    assert (v.transcript, v.hgvs_c, v.protein) == ("NM_000141.5", "c.1694A>C", "NP_000132.3")
    assert v.hgvs_p is None and "missense and synonymous" in v.hgvs_note
    assert "NM_022970" in {t.transcript for t in v.transcripts}
    names = result_names(run.result)
    assert len(names) >= 20
    check_syntax(names)


def test_cli_fasta_option(tmp_path):
    """``triage rank --fasta`` names the demo's variant as published (synthetic FASTA)."""
    import json

    from helpers import write_vcf

    from triage.cli.main import main
    from triage.variants.gene_model import GeneModel

    fa = smarcb1_fasta(tmp_path / "chr22.fa", GeneModel.load("GRCh37"))
    contigs = {"1": 249250621, "2": 243199373, "22": CHR22_LENGTH, "X": 155270560}
    vcf = write_vcf(tmp_path / "one.vcf.gz", ["P1"],
                    ["22\t24175856\t.\tGAGA\tG\t50\tPASS\t.\tGT:AD:DP:GQ\t0/1:12,10:22:99"], contigs)
    out = tmp_path / "out"
    assert main(["rank", "--vcf", str(vcf), "--hpo", "HP:0001263,HP:0001252", "--genome", "GRCh37",
                 "--fasta", str(fa), "--out", str(out)]) == 0
    res = json.loads((out / "P1.result.json").read_text())
    v = next(v for g in res["genes"] if g["symbol"] == "SMARCB1" for v in g["variants"])
    assert (v["transcript"], v["hgvs_c"], v["protein"], v["hgvs_p"]) == (
        "NM_003073.5", "c.1091_1093del", "NP_003064.2", "p.(Lys364del)")
    assert "no_reference_fasta" not in [w["code"] for w in res["warnings"]]

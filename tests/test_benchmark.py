"""Benchmark harness: summary contract, skips by reason, bad files; integration on ../shared."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from tests_helpers import make_phenopacket

from triage.benchmark.phenotype import CaseRanks, run_benchmark, summarise, summarise_by_cohort
from triage.cli.main import main

CONTRACT_BLOCK = {"evaluated", "top1", "top3", "top5", "top10", "mrr"}


def test_summarise_counts_misses_and_ties():
    ranks = [CaseRanks("a", "", "G", 1, "D", 1.5), CaseRanks("b", "", "G", 0, "D", None),
             CaseRanks("c", "", "G", 4, "D", 12)]
    g = summarise(ranks, "gene_rank")
    assert g["evaluated"] == 3
    assert g["top1"] == pytest.approx(1 / 3, abs=1e-4) and g["top5"] == pytest.approx(2 / 3, abs=1e-4)
    assert g["mrr"] == pytest.approx((1 + 0 + 0.25) / 3, abs=1e-4)
    d = summarise(ranks, "disease_rank")
    assert d["evaluated"] == 2 and d["top1"] == 0.0 and d["top3"] == 0.5


def test_cohort_macro_weights_cohorts_not_cases():
    # cohort A: 3 cases, all top-1; cohort B: 1 case at rank 5; NA rows are not evaluated
    ranks = [CaseRanks(c, "A", "G", 1, "D", None) for c in "abc"]
    ranks += [CaseRanks("d", "B", "G", 5, "D", None), CaseRanks("e", "C", "G", None, "D", 2)]
    g = summarise_by_cohort(ranks, "gene_rank")
    assert g["cohorts"] == 2
    assert g["top1"] == pytest.approx(0.5) and g["top5"] == pytest.approx(1.0)
    assert summarise(ranks, "gene_rank")["top1"] == pytest.approx(0.75)  # case-weighted
    d = summarise_by_cohort(ranks, "disease_rank")
    assert d["cohorts"] == 1 and d["top1"] == 0.0 and d["top3"] == 1.0


def test_synthetic_cases_skips_and_bad_file(tmp_path, engine):
    src = tmp_path / "pp"
    (src / "FGFR2").mkdir(parents=True)
    make_phenopacket(src / "FGFR2" / "good.json", "good", ["HP:0001363", "HP:0011304", "HP:0010055"],
                     "OMIM:101600", "FGFR2")
    make_phenopacket(src / "FGFR2" / "newdisease.json", "new", ["HP:0001363"], "OMIM:999999", "FGFR2")
    make_phenopacket(src / "FGFR2" / "noterms.json", "noterms", ["HP:9999999"], "OMIM:101600", "FGFR2")
    # a gene without phenotype annotations: a miss on the gene track, left out of gene_annotated
    make_phenopacket(src / "FGFR2" / "nogene.json", "nogene", ["HP:0001363"], "OMIM:999998", "NOTAGENE1")
    (src / "FGFR2" / "broken.json").write_text("{ not json")
    out = tmp_path / "out"
    s = run_benchmark(src, out, engine, progress=False)
    assert s["cases"] == 5
    assert s["skipped"] == {"disease_track:disease_not_in_hpo_release": 2, "malformed_phenopacket": 1,
                            "no_usable_terms": 1}
    assert s["gene"]["evaluated"] == 3 and s["disease"]["evaluated"] == 1
    assert s["gene_annotated"]["evaluated"] == 2
    assert s["gene_annotated"]["top10"] == pytest.approx(s["gene"]["top10"] * 3 / 2, abs=1e-3)
    assert set(s["gene"]) == CONTRACT_BLOCK and set(s["disease"]) == CONTRACT_BLOCK
    assert s["cohort_macro"]["gene"]["cohorts"] == 1 and s["cohort_macro"]["disease"]["cohorts"] == 1
    assert "broken.json" in s["malformed_files"][0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cases"] == 5
    # every parameter in effect is recorded, so the figure can be re-run
    assert summary["model"]["lr"]["size_exponent"] == engine.model.resolved()["lr"]["size_exponent"]
    assert set(summary["model"]) == {"annotation", "lr", "resnik", "hypergeom", "combined"}
    rows = list(csv.DictReader((out / "ranks.tsv").read_text().splitlines(), delimiter="\t"))
    assert list(rows[0]) == ["phenopacket_id", "cohort", "true_gene", "gene_rank", "true_disease", "disease_rank"]
    good = next(r for r in rows if r["phenopacket_id"] == "good")
    assert good["cohort"] == "FGFR2" and 1 <= float(good["disease_rank"]) <= 20
    new = next(r for r in rows if r["phenopacket_id"] == "new")
    assert new["disease_rank"] == "NA" and float(new["gene_rank"]) >= 1
    pq = pytest.importorskip("pyarrow.parquet")
    gfile = out / "pheval" / "pheval_gene_results" / "good-gene_result.parquet"
    genes = pq.read_table(gfile)
    assert genes.column_names == ["rank", "score", "gene_symbol", "gene_identifier", "true_positive"]
    rows = genes.to_pylist()
    truth = [r for r in rows if r["true_positive"]]
    assert len(truth) == 1 and truth[0]["gene_symbol"] == "FGFR2" and truth[0]["rank"] >= 1
    assert (out / "pheval" / "pheval_disease_results" / "good-disease_result.parquet").exists()


def test_integration_on_shared_cases(tmp_path, capsys):
    from conftest import shared_path

    src = shared_path("benchmark", "phenopackets")
    sub = tmp_path / "pp"
    for cohort in ("FGFR2", "KMT2D", "SCN2A"):
        if (src / cohort).exists():
            shutil.copytree(src / cohort, sub / cohort)
    if not sub.exists():
        pytest.skip("expected cohorts missing from ../shared")
    out = tmp_path / "out"
    assert main(["benchmark", "--phenopackets", str(sub), "--out", str(out), "--limit", "40",
                 "--seed", "1", "--no-progress", "--compare", "pyhpo"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["cases"] == 40 and s["limit"] == 40
    assert s["gene"]["evaluated"] >= 30
    # these are well-characterised syndromes: most genes must come in the top 10
    assert s["gene"]["top10"] >= 0.5
    assert s["data_versions"]["hpo"] == "2025-01-16"
    cmp_ = s["compare"]["pyhpo-enrichment"]
    assert set(cmp_["gene"]) == CONTRACT_BLOCK and cmp_["gene"]["evaluated"] >= 30
    assert (out / "pyhpo-enrichment" / "ranks.tsv").exists()

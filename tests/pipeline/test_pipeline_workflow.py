"""The Snakemake workflow: lint, SLURM-profile dry run, the bundled demo and the .test trio end to end (slow)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_testlib import REPO

BIN = Path(sys.executable).parent
SNAKEMAKE = BIN / "snakemake"

pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed (pipeline extra)")


@pytest.fixture
def workdir(tmp_path):
    for name in ("Snakefile", "rules", "workflow", "config", ".test"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        else:
            shutil.copy(src, tmp_path / name)
    return tmp_path


def _run(args, cwd, timeout=600):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([str(SNAKEMAKE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_lint_is_clean(workdir):
    p = _run(["--lint"], workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Congratulations" in p.stdout + p.stderr


def test_slurm_profile_dry_run(workdir):
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm not installed")
    p = _run(["-n", "--profile", "workflow/profiles/slurm"], workdir)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout + p.stderr
    for rule in ("annotate_variants", "rank_candidates", "write_reports", "rank_phenotype"):
        assert rule in out


@pytest.mark.slow
def test_demo_end_to_end(workdir):
    p = _run(["--cores", "2"], workdir)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = workdir / "results" / "DEMO1"
    for name in ("DEMO1.result.json", "DEMO1.genes.tsv", "DEMO1.variants.tsv", "DEMO1.candidates.vcf.gz",
                 "DEMO1.candidates.vcf.gz.tbi", "DEMO1.report.html", "DEMO1.phenopacket.json",
                 "pheval/pheval_gene_results/DEMO1-gene_result.parquet",
                 "pheval/pheval_variant_results/DEMO1-variant_result.parquet",
                 "pheval/pheval_disease_results/DEMO1-disease_result.parquet"):
        assert (res / name).exists(), name
    result = json.loads((res / "DEMO1.result.json").read_text())
    assert result["genes"][0]["symbol"] == "SMARCB1"
    assert (workdir / "results" / "PHENO1" / "PHENO1.phenotype.json").exists()
    for rule in ("annotate_variants", "rank_candidates", "write_reports"):
        assert (workdir / "logs" / rule / "DEMO1.log").exists()
        assert (workdir / "benchmarks" / rule / "DEMO1.tsv").exists()
    rep = _run(["--report", "report.html"], workdir)
    assert rep.returncode == 0, rep.stderr[-2000:]
    assert (workdir / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_dot_test_trio_end_to_end(workdir):
    """The workflow-catalog test config (`snakemake --directory .test`): a trio with a PED."""
    p = _run(["--directory", ".test", "--cores", "2"], workdir)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = workdir / ".test" / "results" / "TRIO1"
    result = json.loads((res / "TRIO1.result.json").read_text())
    top = result["genes"][0]
    assert top["symbol"] == "SMARCB1" and "de_novo" in top["variants"][0]["inheritance_modes"]
    assert result["case"]["family"] == ["TRIO1", "TRIO1_F", "TRIO1_M"]
    assert (res / "TRIO1.report.html").exists() and (res / "TRIO1.phenopacket.json").exists()
    assert (workdir / ".test" / "results" / "PHENO1" / "PHENO1.phenotype.json").exists()
    screen = json.loads((res / "TRIO1.screen.json").read_text())  # screen.enabled in .test
    assert screen["sample"] == "TRIO1" and "findings" in screen and "carriers" in screen
    # ranked once: the report rule only reads the result
    log = (workdir / ".test" / "logs" / "write_reports" / "TRIO1.log").read_text()
    assert "report.html" in log

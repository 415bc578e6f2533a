"""rules/cohort.smk: a cohort listed under ``cohorts:`` becomes one ``rank_cohort`` job that
calls ``triage cohort`` with the listed inputs (dry run; no Hail needed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO

SNAKEMAKE = Path(sys.executable).parent / "snakemake"
pytestmark = pytest.mark.skipif(not SNAKEMAKE.exists(), reason="snakemake not installed (pipeline extra)")


def test_cohort_rule_dry_run(tmp_path):
    for name in ("Snakefile", "rules", "workflow", "config", ".test"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    cfg = yaml.safe_load((tmp_path / "config" / "config.yaml").read_text())
    (tmp_path / "cohort.tsv").write_text("sample\thpo\nTRIO1\tHP:0001250\n")
    cfg["cohorts"] = [{"name": "trio1", "vcf": ".test/data/TRIO1.chr22.vcf.gz", "samples": "cohort.tsv",
                       "ped": ".test/data/TRIO1.ped", "genome": "GRCh37", "tmp_dir": "tmp/hail"}]
    (tmp_path / "cohort.yaml").write_text(yaml.safe_dump(cfg))
    env = dict(os.environ, PATH=f"{SNAKEMAKE.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    p = subprocess.run([str(SNAKEMAKE), "results/cohorts/trio1/cohort_summary.tsv", "-n", "-p",
                        "--configfile", "cohort.yaml"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "rank_cohort" in out
    assert " cohort --vcf .test/data/TRIO1.chr22.vcf.gz --samples cohort.tsv --genome GRCh37" in out
    assert "--spark-master 'local[2]'" in out
    assert "--ped .test/data/TRIO1.ped" in out and "--tmp-dir tmp/hail" in out
    assert "--out results/cohorts/trio1" in out
    # a cohort item without its genome is rejected by the config schema
    del cfg["cohorts"][0]["genome"]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(cfg))
    p = subprocess.run([str(SNAKEMAKE), "-n", "--configfile", "bad.yaml"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and "genome" in p.stdout + p.stderr

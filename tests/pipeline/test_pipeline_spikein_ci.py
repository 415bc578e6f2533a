"""CI gate: the spike-in benchmark on a fixed sample must not regress (slow, needs ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import shared_path

BASELINE = Path(__file__).with_name("spikein_baseline.json")


@pytest.mark.slow
def test_spikein_fixed_sample_does_not_regress(tmp_path, engine):
    from triage.benchmark.spikein import run_spikein_benchmark

    pp = shared_path("benchmark", "phenopackets")
    bg = shared_path("data", "backgrounds", "Pfeiffer_exome_hg38_lifted.vcf.gz")
    base = json.loads(BASELINE.read_text())
    s = run_spikein_benchmark(pp, tmp_path / "out", bg, engine, genome="GRCh38", limit=base["limit"],
                              seed=base["seed"], progress=False, pheval=False, workers=2,
                              cache_dir=tmp_path / "cache")
    assert s["gene"]["evaluated"] == base["gene"]["evaluated"]
    floor = base["gene"]["top10"] - base["max_drop_top10"]
    assert s["gene"]["top10"] >= floor, (
        f"gene top-10 {s['gene']['top10']:.4f} fell more than {base['max_drop_top10']:.2f} below the recorded "
        f"{base['gene']['top10']:.4f} (tests/pipeline/spikein_baseline.json)")
    assert set(s["variant"]) == set(s["gene"])

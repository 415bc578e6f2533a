"""The `triage` command: output contract and user errors (run in-process and as a subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys

from triage.cli.main import main

PF = "HP:0001363,HP:0011304,HP:0010055"


def test_rank_json_contract(capsys):
    assert main(["rank", "--hpo", PF, "--exclude", "HP:0001249", "--top", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema_version"]
    assert out["data_versions"]["hpo"] == "2025-01-16"
    d = out["diseases"][0]
    assert set(d) >= {"id", "label", "rank", "posterior", "score", "genes", "explanation"}
    assert d["rank"] == 1 and 0 < d["posterior"] <= 1
    assert out["genes"][0]["rank"] == 1 and "symbol" in out["genes"][0]
    assert [t["id"] for t in out["query"]["excluded"]] == ["HP:0001249"]
    assert len(out["diseases"]) == 5


def test_rank_tsv(capsys, tmp_path):
    assert main(["rank", "--hpo", PF, "--format", "tsv", "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "# diseases" in text and "# genes" in text
    assert text.count("\n") >= 10
    out, tsv = tmp_path / "r.json", tmp_path / "r.tsv"
    assert main(["rank", "--hpo", PF, "--out", str(out), "--tsv-out", str(tsv)]) == 0
    assert json.loads(out.read_text())["diseases"] and tsv.read_text().startswith("# triage")


def test_unknown_term_is_a_clear_error(capsys):
    assert main(["rank", "--hpo", "HP:0001363,HP:9999999"]) == 2
    err = capsys.readouterr().err
    assert "HP:9999999" in err and "Traceback" not in err
    assert main(["rank", "--hpo", "HP:0001363,HP:9999999", "--drop-unknown", "--top", "1"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["warnings"][0]["term"] == "HP:9999999"


def test_obsolete_term_mapped(capsys):
    assert main(["rank", "--hpo", "HP:0000284", "--top", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["observed"][0] == {"id": "HP:0000315", "label": out["query"]["observed"][0]["label"],
                                           "submitted_id": "HP:0000284"}


def test_phenopacket_input_and_bad_phenopacket(capsys, tmp_path):
    from triage.phenotype.knowledge import REPO_ROOT

    demo = REPO_ROOT / "config" / "demo" / "demo_patient.json"
    assert main(["rank", "--phenopacket", str(demo), "--top", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"]["sample"] == "DEMO1" and out["query"]["excluded"]
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "x", "phenotypicFeatures": [')
    assert main(["rank", "--phenopacket", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "invalid JSON" in err
    assert main(["rank"]) == 2
    assert "no HPO terms" in capsys.readouterr().err


def test_console_script_subprocess():
    proc = subprocess.run([sys.executable, "-m", "triage.cli.main", "rank", "--hpo", "HP:12"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "HP:12" in proc.stderr and "Traceback" not in proc.stderr


def test_hpo_subcommands(capsys):
    assert main(["hpo", "info"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["hpo"] == "2025-01-16" and info["terms"] > 18000
    assert main(["hpo", "search", "broad thumb"]) == 0
    assert capsys.readouterr().out.startswith("HP:0011304")

"""CLI input validation (issue 15, findings 8 and 9): ``--onset`` is checked as the API
checks it; malformed VCF records are errors naming file and line (exit 2); a negative
``--top`` is refused; htslib's own ``[W::]``/``[E::]`` lines never reach stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from triage.cli.main import main

HEADER = ["##fileformat=VCFv4.2", "##contig=<ID=chr22,length=50818468>",
          '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
          "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1"]
GOOD = "chr22\t23787201\t.\tG\tA\t50\tPASS\t.\tGT\t0/1"


def _vcf(tmp_path, *records: str, name: str = "p.vcf"):
    p = tmp_path / name
    p.write_text("\n".join(HEADER + [GOOD, *records]) + "\n")
    return p


def test_onset_must_be_an_onset_term(capsys):
    assert main(["rank", "--hpo", "HP:0001156", "--onset", "HP:0001250", "--top", "3"]) == 2
    err = capsys.readouterr().err
    assert "HP:0001250 is not an onset term" in err and "HP:0003674" in err
    assert main(["rank", "--hpo", "HP:0001156", "--onset", "HP:9999999"]) == 2
    assert "HP:9999999" in capsys.readouterr().err
    assert main(["rank", "--hpo", "HP:0001156", "--onset", "HP:0003593", "--top", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "HP:0003593" in {t["id"] for t in out["query"]["observed"]}
    assert "HP:0001250" not in {t["id"] for t in out["query"]["observed"]}


def test_onset_same_check_as_api(engine):
    from triage.api.routers.diagnoses import check_onset
    from triage.errors import InvalidOnsetError

    with pytest.raises(InvalidOnsetError) as ei:
        check_onset(engine, "HP:0001250")
    with pytest.raises(InvalidOnsetError) as ej:
        engine.onset_term("HP:0001250")  # what the CLI and the workflow call
    assert str(ei.value) == str(ej.value) and ei.value.term_id == "HP:0001250"


@pytest.mark.parametrize("record,needle", [
    ("chr22\t23787301\t.\tG\tA\t50\tPASS\t.\tGT\t0/7", "names allele 7 but the record has 1 ALT"),
    ("chr22\t23787301\t.\tG\tA,T\t50\tPASS\t.\tGT\t3|1", "names allele 3 but the record has 2 ALT"),
    ("chr10\t121479901\t.\tC\tT\t50\tPASS\t.\tGT\t0/1", "CHROM 'chr10' is not declared in the header"),
])
def test_malformed_record_names_file_and_line(tmp_path, capfd, record, needle):
    p = _vcf(tmp_path, record)
    rc = main(["-q", "rank", "--vcf", str(p), "--hpo", "HP:0001156", "--genome", "GRCh38", "--top", "2"])
    err = capfd.readouterr().err
    assert rc == 2, err
    assert f"{p}:6: " in err and needle in err, err
    assert "[W::" not in err and "[E::" not in err, err
    assert err.count("\n") == 1, err


def test_no_htslib_lines_before_our_message(tmp_path):
    """A line htslib itself complains about: stderr holds our one line only (real process)."""
    p = _vcf(tmp_path, "chr10\t1\t.\tC\tT\t50\tPASS\t.\tGT\t0/1")  # htslib: [W::vcf_parse] Contig ...
    proc = subprocess.run([sys.executable, "-m", "triage.cli.main", "-q", "rank", "--vcf", str(p), "--hpo",
                           "HP:0001156", "--genome", "GRCh38"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("triage: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert f"{p}:6" in proc.stderr


@pytest.mark.parametrize("argv", [["rank", "--hpo", "HP:0001156", "--top", "-1"],
                                  ["prioritize", "--annotated", "x.pkl", "--out-dir", "o", "--top", "-5"]])
def test_negative_top_rejected(capsys, argv):
    with pytest.raises(SystemExit) as ei:
        main(argv)
    assert ei.value.code == 2
    assert "--top: must be >= 0" in capsys.readouterr().err

"""SAMPLES.tsv of triage cohort (no Hail needed): good sheets parse, bad ones name the line."""

from __future__ import annotations

import pytest

from triage.cohort.samples import read_samples
from triage.errors import InputFileError


def test_sheet_with_hpo_and_family(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_text("sample\thpo\tfamily\n# a comment\nA\tHP:0001250,HP:0001263\tF1\nB\tHP:0004322\t\n")
    rows = read_samples(p)
    assert [r.sample for r in rows] == ["A", "B"]
    assert rows[0].terms.observed == ["HP:0001250", "HP:0001263"] and rows[0].family == "F1"
    assert rows[1].line == 4


@pytest.mark.parametrize("text, line, words", [
    ("sample\tfamily\nA\tF\n", 1, "header needs"),
    ("sample\thpo\tcolour\nA\tHP:1\tred\n", 1, "unknown column"),
    ("sample\thpo\nA\tHP:0001250\nA\tHP:0001250\n", 3, "listed twice"),
    ("sample\thpo\n\tHP:0001250\n", 2, "empty sample id"),
    ("sample\thpo\nA\t\n", 2, "no HPO terms"),
])
def test_bad_sheet_names_the_line(tmp_path, text, line, words):
    p = tmp_path / "s.tsv"
    p.write_text(text)
    with pytest.raises(InputFileError) as exc:
        read_samples(p)
    assert exc.value.line == line and words in str(exc.value)

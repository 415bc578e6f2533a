"""PED parsing, validation and family look-ups."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import InputFileError
from triage.genotype.pedigree import (
    AFFECTED,
    FEMALE,
    MALE,
    UNAFFECTED,
    UNKNOWN,
    parse_ped,
    read_ped,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "backgrounds"

TRIO = """# family trio, whitespace of any kind
fam1  kid   dad  mum  1  2
fam1\tdad\t0\t0\t1\t1

fam1 mum 0 0 2 1
fam1 sis dad mum 2 1
fam2 other 0 0 0 -9 extra columns are ignored
"""


def test_parse_trio_fields_and_lookups(tmp_path: Path) -> None:
    p = tmp_path / "trio.ped"
    p.write_text(TRIO)
    ped = read_ped(p)
    assert ped.ids == ("kid", "dad", "mum", "sis", "other")
    kid = ped.individual("kid")
    assert (kid.family, kid.father, kid.mother, kid.sex, kid.affected, kid.line) == (
        "fam1", "dad", "mum", MALE, AFFECTED, 2)
    assert kid.is_male and kid.is_affected and not kid.is_unaffected
    assert ped.individual("dad").father is None
    assert ped.individual("mum").sex == FEMALE and ped.individual("mum").affected == UNAFFECTED
    other = ped.individual("other")
    assert other.sex == UNKNOWN and other.affected == UNKNOWN
    father, mother = ped.parents("kid")
    assert father is not None and father.individual == "dad"
    assert mother is not None and mother.individual == "mum"
    assert ped.parents("dad") == (None, None)
    assert [c.individual for c in ped.children_of("mum")] == ["kid", "sis"]
    assert [i.individual for i in ped.family_of("sis")] == ["kid", "dad", "mum", "sis"]
    assert ped.proband().individual == "kid"  # the only affected individual
    assert "kid" in ped and "nobody" not in ped and len(ped) == 5


def test_parent_not_listed_is_unknown() -> None:
    ped = parse_ped("f kid dad 0 2 2\n")
    assert ped.individual("kid").father == "dad"
    assert ped.father_of("kid") is None and ped.mother_of("kid") is None


def test_missing_proband_error_lists_individuals() -> None:
    ped = parse_ped(TRIO, "fam.ped")
    with pytest.raises(InputFileError) as exc:
        ped.individual("HG002")
    msg = str(exc.value)
    assert msg.startswith("fam.ped: ") and "'HG002'" in msg and "kid, dad, mum, sis, other" in msg
    with pytest.raises(InputFileError, match="HG002"):
        ped.proband("HG002")


def test_proband_inference_ambiguity() -> None:
    two = parse_ped("f a 0 0 1 2\nf b 0 0 2 2\n")
    with pytest.raises(InputFileError, match="several affected"):
        two.proband()
    with pytest.raises(InputFileError, match="no affected"):
        parse_ped("f a 0 0 1 1\n").proband()
    # several affected: the one with both parents listed is chosen
    ped = parse_ped("f kid dad mum 1 2\nf dad 0 0 1 2\nf mum 0 0 2 1\n")
    assert ped.proband().individual == "kid"


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("f a 0 0 1 2\nf b 0 0 1\n", 2, "expected 6 whitespace-separated columns"),
        ("# c\nf a 0 0 3 2\n", 2, "sex (column 5)"),
        ("f a 0 0 1 2\nf b 0 0 1 7.5\n", 2, "affection status"),
        ("f a 0 0 1 2\n\nf a 0 0 1 1\n", 3, "listed twice (first on line 1)"),
        ("f kid mum 0 1 2\nf mum 0 0 2 1\n", 1, "father 'mum' of 'kid' has sex female"),
        ("f kid 0 dad 1 2\nf dad 0 0 1 1\n", 1, "mother 'dad' of 'kid' has sex male"),
        ("f kid kid 0 1 2\n", 1, "own parent"),
        ("f kid dad 0 1 2\ng dad 0 0 1 1\n", 1, "belongs to family 'g'"),
        ("f a b 0 1 2\nf b a 0 1 1\n", None, "own ancestor"),
        ("f kid p p 1 2\n", 1, "same individual"),
        ("f 0 0 0 1 2\n", 1, "invalid individual id"),
    ],
)
def test_validation_errors_name_file_and_line(text: str, line: int | None, needle: str) -> None:
    with pytest.raises(InputFileError) as exc:
        parse_ped(text, "x.ped")
    assert needle in str(exc.value)
    assert str(exc.value).startswith("x.ped:")
    if line is not None:
        assert exc.value.line == line
        assert str(exc.value).startswith(f"x.ped:{line}: ")


def test_empty_and_missing_files(tmp_path: Path) -> None:
    p = tmp_path / "e.ped"
    p.write_text("# only a comment\n\n")
    with pytest.raises(InputFileError, match="no individuals"):
        read_ped(p)
    with pytest.raises(InputFileError, match="not found"):
        read_ped(tmp_path / "absent.ped")


def test_ashkenazi_trio_ped() -> None:
    path = SHARED / "ashk-trio.ped"
    if not path.exists():
        pytest.skip(f"../shared absent: {path}")
    ped = read_ped(path)
    assert ped.ids == ("HG002", "HG003", "HG004")
    assert ped.proband().individual == "HG002"
    f, m = ped.parents("HG002")
    assert f is not None and f.individual == "HG003" and f.is_male
    assert m is not None and m.individual == "HG004" and m.is_female
    assert f.affected == UNKNOWN and m.affected == UNKNOWN  # column 6 is 0 for the parents

"""PED (pedigree) files: parsing, validation and family look-ups.

Format: one individual per line, whitespace-separated, six columns::

    family  individual  father  mother  sex  affected

``0`` (or ``-9``/``.``) for an unknown parent; sex 1 = male, 2 = female, 0/other/-9 =
unknown; affected 2 = affected, 1 = unaffected, 0/-9 = unknown. Lines starting with
``#`` and blank lines are ignored; trailing ``# ...`` comments are not allowed
(whitespace splits them into columns). Columns after the sixth (PLINK genotypes,
peddy extras) are ignored. Every error names the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from triage.errors import InputFileError

__all__ = [
    "AFFECTED",
    "FEMALE",
    "MALE",
    "UNAFFECTED",
    "UNKNOWN",
    "Individual",
    "Pedigree",
    "parse_ped",
    "read_ped",
]

# Sex codes (PED column 5) and affection codes (PED column 6), as in the file.
UNKNOWN = 0
MALE = 1
FEMALE = 2
UNAFFECTED = 1
AFFECTED = 2

_MISSING_PARENT = {"0", "-9", "."}
_SEX = {"1": MALE, "2": FEMALE, "0": UNKNOWN, "-9": UNKNOWN, "other": UNKNOWN,
        "male": MALE, "female": FEMALE, "unknown": UNKNOWN}
_AFFECTED = {"1": UNAFFECTED, "2": AFFECTED, "0": UNKNOWN, "-9": UNKNOWN,
             "unaffected": UNAFFECTED, "affected": AFFECTED, "unknown": UNKNOWN}


@dataclass(frozen=True)
class Individual:
    family: str
    individual: str
    father: str | None
    mother: str | None
    sex: int  # UNKNOWN, MALE, FEMALE
    affected: int  # UNKNOWN, UNAFFECTED, AFFECTED
    line: int | None = None  # line in the PED file

    @property
    def id(self) -> str:
        return self.individual

    @property
    def is_male(self) -> bool:
        return self.sex == MALE

    @property
    def is_female(self) -> bool:
        return self.sex == FEMALE

    @property
    def is_affected(self) -> bool:
        return self.affected == AFFECTED

    @property
    def is_unaffected(self) -> bool:
        return self.affected == UNAFFECTED


@dataclass(frozen=True)
class Pedigree:
    individuals: tuple[Individual, ...]
    path: str = "<pedigree>"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {i.individual: i for i in self.individuals})

    def __len__(self) -> int:
        return len(self.individuals)

    def __iter__(self) -> Iterator[Individual]:
        return iter(self.individuals)

    def __contains__(self, iid: object) -> bool:
        return iid in self._by_id  # type: ignore[attr-defined]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.individual for i in self.individuals)

    def get(self, iid: str) -> Individual | None:
        return self._by_id.get(iid)  # type: ignore[attr-defined]

    def individual(self, iid: str) -> Individual:
        """The individual ``iid``; InputFileError listing the PED's ids if absent."""
        ind = self.get(iid)
        if ind is None:
            ids = self.ids
            shown = ", ".join(ids[:30]) + (f", ... ({len(ids)} individuals)" if len(ids) > 30 else "")
            raise InputFileError(
                self.path,
                f"sample {iid!r} is not in the PED file (individual ids: {shown}); "
                "the proband's VCF sample id must match the PED individual id",
            )
        return ind

    def proband(self, iid: str | None = None) -> Individual:
        """The proband: ``iid`` if given, else the single affected individual.

        Without ``iid``, an affected individual whose parents are both listed is
        preferred when several are affected; ambiguity is an error.
        """
        if iid is not None:
            return self.individual(iid)
        affected = [i for i in self.individuals if i.is_affected]
        if len(affected) == 1:
            return affected[0]
        with_parents = [i for i in affected if self.father_of(i.individual) is not None
                        and self.mother_of(i.individual) is not None]
        if len(with_parents) == 1:
            return with_parents[0]
        if not affected:
            raise InputFileError(self.path, "no affected individual (column 6 = 2): name the proband")
        raise InputFileError(
            self.path,
            "several affected individuals ("
            + ", ".join(i.individual for i in affected)
            + "): name the proband",
        )

    def father_of(self, iid: str) -> Individual | None:
        """The father if he is listed in the PED, else None."""
        f = self.individual(iid).father
        return self.get(f) if f is not None else None

    def mother_of(self, iid: str) -> Individual | None:
        m = self.individual(iid).mother
        return self.get(m) if m is not None else None

    def parents(self, iid: str) -> tuple[Individual | None, Individual | None]:
        """(father, mother) of ``iid``, each None when unknown or not listed."""
        return self.father_of(iid), self.mother_of(iid)

    def children_of(self, iid: str) -> tuple[Individual, ...]:
        self.individual(iid)
        return tuple(i for i in self.individuals if iid in (i.father, i.mother))

    def family_of(self, iid: str) -> tuple[Individual, ...]:
        """Every individual of ``iid``'s family (column 1), in file order."""
        fam = self.individual(iid).family
        return tuple(i for i in self.individuals if i.family == fam)


def parse_ped(text: str, path: str | Path = "<pedigree>") -> Pedigree:
    """Parse PED text; ``path`` is only used in error messages."""
    path = str(path)
    inds: list[Individual] = []
    seen: dict[str, int] = {}
    for ln, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cols = line.split()
        if len(cols) < 6:
            raise InputFileError(
                path,
                f"expected 6 whitespace-separated columns (family, individual, father, mother, "
                f"sex, affected), found {len(cols)}",
                ln,
            )
        fam, iid, fat, mot, sex_s, aff_s = cols[:6]
        if iid in _MISSING_PARENT:
            raise InputFileError(path, f"invalid individual id {iid!r}", ln)
        if iid in seen:
            raise InputFileError(
                path, f"individual {iid!r} is listed twice (first on line {seen[iid]})", ln
            )
        sex = _SEX.get(sex_s.lower())
        if sex is None:
            raise InputFileError(
                path, f"sex (column 5) must be 1 (male), 2 (female) or 0 (unknown), got {sex_s!r}", ln
            )
        aff = _AFFECTED.get(aff_s.lower())
        if aff is None:
            raise InputFileError(
                path,
                f"affection status (column 6) must be 2 (affected), 1 (unaffected) or 0/-9 "
                f"(unknown), got {aff_s!r}",
                ln,
            )
        father = None if fat in _MISSING_PARENT else fat
        mother = None if mot in _MISSING_PARENT else mot
        if iid in (father, mother):
            raise InputFileError(path, f"individual {iid!r} is listed as their own parent", ln)
        if father is not None and father == mother:
            raise InputFileError(path, f"father and mother are the same individual {father!r}", ln)
        seen[iid] = ln
        inds.append(Individual(fam, iid, father, mother, sex, aff, ln))
    if not inds:
        raise InputFileError(path, "no individuals (the PED file is empty or only comments)")

    by_id = {i.individual: i for i in inds}
    for ind in inds:
        for role, pid, bad_sex in (("father", ind.father, FEMALE), ("mother", ind.mother, MALE)):
            if pid is None or pid not in by_id:
                continue  # a parent not listed is allowed (treated as unknown)
            par = by_id[pid]
            if par.family != ind.family:
                raise InputFileError(
                    path,
                    f"{role} {pid!r} of {ind.individual!r} belongs to family {par.family!r}, "
                    f"not {ind.family!r}",
                    ind.line,
                )
            if par.sex == bad_sex:
                raise InputFileError(
                    path,
                    f"{role} {pid!r} of {ind.individual!r} has sex "
                    f"{'female' if bad_sex == FEMALE else 'male'} (line {par.line})",
                    ind.line,
                )
    _check_no_cycles(inds, by_id, path)
    return Pedigree(tuple(inds), path)


def _check_no_cycles(inds: list[Individual], by_id: dict[str, Individual], path: str) -> None:
    state: dict[str, int] = {}  # 1 = on stack, 2 = done

    def visit(iid: str) -> None:
        """Iterative depth-first walk up the parents (no recursion limit); a revisit while on the
        stack is a cycle in the PED.
        """
        stack = [(iid, False)]
        while stack:
            cur, leaving = stack.pop()
            if leaving:
                state[cur] = 2
                continue
            if state.get(cur) == 2:
                continue
            state[cur] = 1
            stack.append((cur, True))
            ind = by_id[cur]
            for p in (ind.father, ind.mother):
                if p is None or p not in by_id:
                    continue
                if state.get(p) == 1:
                    raise InputFileError(
                        path, f"{cur!r} is their own ancestor (cycle through {p!r})", ind.line
                    )
                if state.get(p) is None:
                    stack.append((p, False))

    for ind in inds:
        if ind.individual not in state:
            visit(ind.individual)


def read_ped(path: str | Path) -> Pedigree:
    """Read and validate a PED file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(str(p), "PED file not found") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(str(p), f"not a UTF-8 text file ({exc.reason})") from None
    except OSError as exc:
        raise InputFileError(str(p), f"cannot read PED file ({exc.strerror})") from None
    return parse_ped(text, p)

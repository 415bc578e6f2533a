"""Argument helpers shared by every ``triage`` sub-command (no sub-command imports
another's module, so there is no import cycle between them)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from triage.errors import TriageError


def split_terms(values: list[str] | None) -> list[str]:
    """``["HP:1,HP:2", "HP:3;HP:4"]`` -> the four ids (repeatable, comma/semicolon lists)."""
    out: list[str] = []
    for v in values or []:
        out.extend(t.strip() for t in v.replace(";", ",").split(",") if t.strip())
    return out


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (argparse turns the error into exit 2 + usage)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0 = all), got {v}")
    return v


def add_param_option(p) -> None:
    """The repeatable ``--param GROUP.KEY=VALUE`` phenotype-model override."""
    p.add_argument("--param", action="append", default=[], metavar="GROUP.KEY=VALUE",
                   help="phenotype model parameter, e.g. lr.size_exponent=0.3 or annotation.min_frequency=0.05 "
                        "(repeatable; overrides --config phenotype.model; see docs/phenotype_model.md)")


@dataclass
class CaseTerms:
    """A patient's phenotype as given on the command line and/or in a phenopacket."""

    observed: list[str]
    excluded: list[str] = field(default_factory=list)
    onset: str | None = None
    sex: str | None = None
    phenopacket_id: str | None = None
    subject_id: str | None = None


def read_terms(hpo: list[str], exclude: list[str], phenopacket: str | None,
               onset: str | None = None) -> CaseTerms:
    """``--hpo``/``--exclude``/``--onset`` plus the terms, onset and sex of ``--phenopacket``.

    Raises TriageError when no term is given at all.
    """
    terms = CaseTerms(list(hpo), list(exclude), onset)
    if phenopacket:
        from triage.phenotype.phenopacket import read_phenopacket

        case = read_phenopacket(phenopacket)
        terms.observed += case.observed
        terms.excluded += case.excluded
        terms.onset = terms.onset or case.onset
        terms.sex, terms.phenopacket_id = case.sex, case.id
        terms.subject_id = case.subject_id or case.id
    if not terms.observed and not terms.excluded:
        raise TriageError("no HPO terms given: use --hpo HP:...,HP:... or --phenopacket FILE")
    return terms

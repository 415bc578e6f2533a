"""Domain errors. Each names the offending input so a user can fix it.

The CLI turns them into a one-line message and a non-zero exit; the API maps them
to 4xx JSON bodies. Nothing here should ever surface as a traceback to a user.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base class of every error a user can cause with bad input or configuration."""

    code = "triage_error"


class UnknownTermError(TriageError, KeyError):
    """An HPO id that is neither a current term, an alt_id nor an obsolete term with a replacement."""

    code = "unknown_term"

    def __init__(self, term_id: str, detail: str = ""):
        self.term_id = term_id
        msg = f"unknown HPO term id {term_id!r}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class MalformedTermError(UnknownTermError):
    """A string that is not of the form HP:NNNNNNN."""

    code = "malformed_term"


class ObsoleteTermError(UnknownTermError):
    """An obsolete term without replaced_by (only consider: cannot be mapped safely)."""

    code = "obsolete_term"


class InvalidOnsetError(TriageError):
    """An age-of-onset that is an HPO term outside the Onset subtree (HP:0003674)."""

    code = "invalid_onset"

    def __init__(self, term_id: str, message: str):
        self.term_id = term_id
        super().__init__(message)


class NoUsableTermsError(TriageError):
    code = "no_usable_terms"


class PhenopacketError(TriageError):
    """A phenopacket that cannot be read; the message names the file."""

    code = "bad_phenopacket"


class DataError(TriageError):
    """Missing or unreadable reference data (HPO release, gene model, resource)."""

    code = "data_error"


class InputFileError(TriageError):
    """Malformed input file (VCF, PED, sample sheet): names the file and line."""

    code = "bad_input_file"

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class GenomeBuildError(TriageError):
    """Genome build or contig naming of an input disagrees with the configuration."""

    code = "genome_build_mismatch"


class UnknownScorerError(TriageError):
    code = "unknown_scorer"


class ConfigError(TriageError):
    """An unknown, mistyped or out-of-range configuration value (names the key)."""

    code = "bad_config"

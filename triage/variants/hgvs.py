"""Reportable variant names: MANE status, protein accessions and every transcript's effect.

The annotation table keeps one row per (variant, gene) with the name on the transcript
the row's consequence came from (MANE Select preferred among equally severe
transcripts: the gene model's ``preferred`` flag, see ``scripts/build_gene_model.py``).
For the few variants a result lists, :class:`VariantNamer` recomputes the variant on
every transcript of its gene (cheap: a handful per variant) so that a reviewer sees all
of them, each with its MANE status, RefSeq protein and the note that says why a name is
absent or may not be final without a reference FASTA. Design: ``docs/hgvs.md``.
"""

from __future__ import annotations

import gzip
import os
from functools import lru_cache
from pathlib import Path

from triage.errors import DataError
from triage.models import TranscriptEffect
from triage.variants.consequences import Reference, annotate_variant
from triage.variants.gene_aliases import current_symbol
from triage.variants.gene_model import GeneModel

#: release of the bundled MANE table (resources/mane/README.md)
MANE_VERSION = "0.95"
#: the result warning when no reference FASTA was used
NO_FASTA_CODE = "no_reference_fasta"
NO_FASTA_MESSAGE = (
    "No reference FASTA configured (annotation.reference_fasta): missense and synonymous "
    "variants cannot be told apart (coding SNVs carry a codon-model expected score), HGVS p. is "
    "given only where the VCF alleles determine it, and indels are shifted 3' (HGVS) only across "
    "the bases the VCF record carries. Configure the FASTA of the genome build (with its .fai) for "
    "exact, reportable names.")


def note_older_version(transcript: str) -> str:
    """Note for a MANE transcript whose bundled model is an earlier RefSeq version."""
    return (f"version from MANE v{MANE_VERSION}; the bundled gene model (refGene 2019) holds an earlier "
            f"version of this accession (other transcript ends): confirm the c. numbering on {transcript}")


@lru_cache(maxsize=2)
def older_versions(path: str | None = None) -> frozenset[str]:
    """MANE accessions whose refGene span differs from MANE's (``resources/gene_models/
    mane_span_differs.tsv.gz``, written by ``scripts/build_gene_model.py``); empty when absent."""
    from triage.variants.gene_model import resource_dir

    p = Path(path) if path else resource_dir() / "mane_span_differs.tsv.gz"
    if not p.is_file():
        return frozenset()
    try:
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            return frozenset(line.split("\t", 1)[0] for line in fh if line.strip() and not line.startswith("#"))
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {p}: {exc}") from exc


def mane_path() -> Path:
    """``$TRIAGE_MANE`` when set, else the bundled ``resources/mane/MANE.GRCh38.v0.95.tsv.gz``."""
    env = os.environ.get("TRIAGE_MANE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "resources" / "mane" / f"MANE.GRCh38.v{MANE_VERSION}.tsv.gz"


@lru_cache(maxsize=4)
def load_mane(path: str | None = None) -> dict[str, tuple[str, str]]:
    """Versioned RefSeq transcript -> (MANE status ``select``/``plus_clinical``, versioned protein).

    DataError naming the file (and line) when it is missing or malformed.
    """
    p = Path(path) if path else mane_path()
    out: dict[str, tuple[str, str]] = {}
    try:
        with gzip.open(p, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.startswith("#"):
                    continue
                f = line.rstrip("\n").split("\t")
                if len(f) < 5 or f[4] not in ("select", "plus_clinical"):
                    raise DataError(f"{p}:{lineno}: malformed MANE row {line[:60]!r}")
                out[f[0]] = (f[4], f[1])
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read MANE table {p}: {exc}") from exc
    return out


class VariantNamer:
    """Every transcript's effect of a listed variant, from the gene model (+ FASTA).

    ``reference``: an open :class:`Reference` (the caller closes it), or None.
    """

    def __init__(self, model: GeneModel, reference: Reference | None = None,
                 mane: dict[str, tuple[str, str]] | None = None, older: frozenset[str] | None = None):
        self.model = model
        self.reference = reference
        self.mane = load_mane() if mane is None else mane
        self.older = older_versions() if older is None else older

    def protein(self, transcript: str | None) -> str | None:
        m = self.mane.get(transcript or "")
        return m[1] if m else None

    def effects(self, chrom: str, pos: int, ref: str, alt: str, gene: str,
                reported: str | None) -> list[TranscriptEffect]:
        """The variant on each transcript of ``gene`` (current HGNC symbol): the reported
        transcript first, then MANE, then by severity; [] when none overlaps."""
        try:
            csqs = annotate_variant(self.model, chrom, pos, ref, alt, reference=self.reference,
                                    check_ref=False)
        except DataError:
            return []
        out = []
        for c in csqs:
            if c.gene is None or current_symbol(c.gene) != gene or c.transcript is None:
                continue
            status = self.mane.get(c.transcript)
            notes = [n for n in (c.hgvs_note, note_older_version(c.transcript)
                                 if c.transcript in self.older and c.hgvs_c else None) if n]
            out.append(TranscriptEffect(
                transcript=c.transcript, consequence=",".join(c.consequences), hgvs_c=c.hgvs_c,
                hgvs_p=c.hgvs_p, protein=status[1] if status else None,
                mane=status[0] if status else None,
                reported=c.transcript == reported, hgvs_note="; ".join(notes) or None))
        mane_rank = {"select": 0, "plus_clinical": 1}
        order = {id(e): k for k, e in enumerate(out)}  # annotate_variant's order: severity
        out.sort(key=lambda e: (not e.reported, mane_rank.get(e.mane or "", 2), order[id(e)]))
        return out


__all__ = ["MANE_VERSION", "NO_FASTA_CODE", "NO_FASTA_MESSAGE", "VariantNamer", "load_mane", "mane_path",
           "note_older_version", "older_versions"]

"""Sequence Ontology consequences and HGVS for VCF variants against a gene model.

Pure functions over :class:`triage.variants.gene_model.Transcript` objects. Without a reference
FASTA the module derives everything that follows from the transcript structure and the
VCF alleles alone: splice sites, UTR/intron/exon location, frameshift vs in-frame, and
HGVS ``c.``/``n.`` notation (SNVs, MNVs, and indels without 3' shifting). With a
:class:`Reference` it also translates codons (``missense_variant``, ``synonymous_variant``,
``stop_gained``, ``stop_lost``, ``start_lost``, ``stop_retained_variant``), gives HGVS
``p.``, shifts indels 3' in transcript orientation and writes duplications as ``dup``.

Typical use::

    model = GeneModel.load("GRCh38")
    for chrom, pos, ref, alt in records:           # VCF style, 1-based, one ALT each
        csqs = annotate_variant(model, chrom, pos, ref, alt)
        per_gene = most_severe_per_gene(csqs)     # {gene: TranscriptConsequence}

Rules (see docs/annotation.md): splice donor/acceptor = the 2 intronic bases at each
exon/intron boundary; splice region = 1-3 exonic or 3-8 intronic bases from it; an
insertion touches a region only when both of its flanking bases lie in that region;
introns shorter than :data:`MIN_INTRON` bases (alignment gaps between RefSeq and the
genome) get no splice terms; upstream/downstream within ``flank`` (5 kb) of the
transcript. Severity is Ensembl VEP's ranking.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from triage.errors import DataError, GenomeBuildError
from triage.variants.gene_model import DEFAULT_FLANK, GeneModel, Transcript, normalize_contig

# --------------------------------------------------------------------------- severity
#: Ensembl VEP's consequence ranking, most severe first
#: (https://www.ensembl.org/info/genome/variation/prediction/predicted_data.html).
SEVERITY_ORDER: tuple[str, ...] = (
    "transcript_ablation",
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "start_lost",
    "transcript_amplification",
    "feature_elongation",
    "feature_truncation",
    "inframe_insertion",
    "inframe_deletion",
    "missense_variant",
    "protein_altering_variant",
    "splice_donor_5th_base_variant",
    "splice_region_variant",
    "splice_donor_region_variant",
    "splice_polypyrimidine_tract_variant",
    "incomplete_terminal_codon_variant",
    "start_retained_variant",
    "stop_retained_variant",
    "synonymous_variant",
    "coding_sequence_variant",
    "mature_miRNA_variant",
    "5_prime_UTR_variant",
    "3_prime_UTR_variant",
    "non_coding_transcript_exon_variant",
    "intron_variant",
    "NMD_transcript_variant",
    "non_coding_transcript_variant",
    "coding_transcript_variant",
    "upstream_gene_variant",
    "downstream_gene_variant",
    "TFBS_ablation",
    "TFBS_amplification",
    "TF_binding_site_variant",
    "regulatory_region_ablation",
    "regulatory_region_amplification",
    "regulatory_region_variant",
    "intergenic_variant",
    "sequence_variant",
)
_RANK = {t: i for i, t in enumerate(SEVERITY_ORDER)}

_HIGH = SEVERITY_ORDER[:8]
_MODERATE = ("inframe_insertion", "inframe_deletion", "missense_variant", "protein_altering_variant")
_LOW = SEVERITY_ORDER[14:22]
#: VEP IMPACT class of each term
IMPACT: dict[str, str] = {
    t: "HIGH" if t in _HIGH else "MODERATE" if t in _MODERATE else "LOW" if t in _LOW
    else "MODIFIER"
    for t in SEVERITY_ORDER
}

#: introns shorter than this are treated as alignment gaps: no splice terms
MIN_INTRON = 12


def severity_rank(term: str) -> int:
    """0 for the most severe term; unknown terms rank last."""
    return _RANK.get(term, len(SEVERITY_ORDER))


def most_severe(terms: Iterable[str]) -> str | None:
    return min(terms, key=severity_rank, default=None)


# --------------------------------------------------------------------------- alleles
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")
_BASES = frozenset("ACGTN")


def revcomp(seq: str) -> str:
    return seq.translate(_COMP)[::-1]


@dataclass(frozen=True, slots=True)
class Allele:
    """A trimmed allele on the + strand: ``ref`` replaces genomic ``[start, end)`` (0-based).

    An insertion has ``start == end`` (between bases ``start - 1`` and ``start``) and
    ``ref == ""``; a deletion has ``alt == ""``.
    """

    start: int
    end: int
    ref: str
    alt: str

    @property
    def is_insertion(self) -> bool:
        return self.start == self.end


def normalize_allele(pos: int, ref: str, alt: str) -> Allele | None:
    """Trim a VCF allele (1-based ``pos``) to its minimal change.

    The shared suffix is trimmed first, then the shared prefix (VCF's padding base), so
    a left-aligned VCF indel stays left-aligned. Symbolic, breakend, ``*`` and
    no-change alleles give ``None``.
    """
    ref, alt = ref.upper(), alt.upper()
    if not ref or not alt or ref == alt or not _BASES.issuperset(ref) or not _BASES.issuperset(alt):
        return None
    n = min(len(ref), len(alt))
    k = 0
    while k < n and ref[-1 - k] == alt[-1 - k]:
        k += 1
    if k:
        ref, alt = ref[:-k], alt[:-k]
    n = min(len(ref), len(alt))
    j = 0
    while j < n and ref[j] == alt[j]:
        j += 1
    start = pos - 1 + j
    return Allele(start, start + len(ref) - j, ref[j:], alt[j:])


# --------------------------------------------------------------------------- results
class _Unset(enum.Enum):
    """Type of the "not computed yet" marker of a cached value that may be None."""

    TOKEN = 0


_UNSET: Final = _Unset.TOKEN


@dataclass(slots=True)
class TranscriptConsequence:
    """Consequence of one allele on one transcript (or the intergenic placeholder).

    ``consequences`` is sorted most severe first. ``hgvs_c`` (computed on first access,
    since most callers only need it for the consequences they report) has no
    transcript prefix: ``c.1694A>C``, or ``n.`` for a non-coding transcript; it is
    ``None`` when an end of the variant lies outside the transcript. ``hgvs_p`` (a
    prediction, in parentheses: ``p.(Lys364del)``) comes from the FASTA, or without one
    from the VCF alleles where they determine it (a whole-codon deletion);
    ``hgvs_note`` says why a name is absent or may not be final (see docs/hgvs.md).
    ``distance`` is set for upstream/downstream variants. ``tx`` and ``allele`` are the
    transcript and trimmed allele the consequence was computed from; ``vcf_ref`` the
    0-based start and the REF of the VCF record (the only sequence known without a
    FASTA). Treat instances as read-only.
    """

    gene: str | None
    transcript: str | None
    consequences: tuple[str, ...]
    hgvs_p: str | None = None
    strand: str | None = None
    preferred: bool = False
    coding: bool = False
    distance: int | None = None
    tx: Transcript | None = field(default=None, repr=False, compare=False)
    allele: Allele | None = field(default=None, repr=False, compare=False)
    reference: Reference | None = field(default=None, repr=False, compare=False)
    chrom: str | None = field(default=None, repr=False, compare=False)
    vcf_ref: tuple[int, str] | None = field(default=None, repr=False, compare=False)
    p_note: str | None = field(default=None, repr=False, compare=False)
    _hgvs_c: str | None | _Unset = field(default=_UNSET, init=False, repr=False, compare=False)
    _c_note: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def hgvs_c(self) -> str | None:
        if self._hgvs_c is _UNSET:
            name, self._c_note = _compute_hgvs_c(self)
            self._hgvs_c = name
            return name
        return self._hgvs_c

    @property
    def hgvs_note(self) -> str | None:
        """Why the c./p. name is absent or not final (no FASTA), or None."""
        _ = self.hgvs_c
        notes = [n for n in (self._c_note, self.p_note) if n]
        return "; ".join(notes) if notes else None

    @property
    def most_severe(self) -> str:
        return self.consequences[0]

    @property
    def rank(self) -> int:
        return severity_rank(self.consequences[0])

    @property
    def impact(self) -> str:
        return IMPACT.get(self.consequences[0], "MODIFIER")

    def to_dict(self) -> dict:
        """Plain-data view (for JSON / VariantEvidence)."""
        return {
            "gene": self.gene, "transcript": self.transcript,
            "consequences": list(self.consequences), "most_severe": self.most_severe,
            "impact": self.impact, "hgvs_c": self.hgvs_c, "hgvs_p": self.hgvs_p,
            "hgvs_note": self.hgvs_note,
            "strand": self.strand, "preferred": self.preferred, "coding": self.coding,
            "distance": self.distance,
        }


INTERGENIC = TranscriptConsequence(gene=None, transcript=None, consequences=("intergenic_variant",))


def _sorted_terms(terms: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(terms), key=severity_rank))


# --------------------------------------------------------------------------- reference
# GRCh chromosome lengths used to recognise the build of a FASTA
_LENGTHS = {
    "GRCh37": {"1": 249250621, "2": 243199373, "X": 155270560},
    "GRCh38": {"1": 248956422, "2": 242193529, "X": 156040895},
}


class Reference:
    """A reference FASTA (``pysam.FastaFile``) with contig-name mapping and checks.

    Contigs may be named with or without "chr" on either side; "M"/"MT" are the same.
    With ``build`` given, the lengths of chr1/chr2/chrX (when present) must match that
    build or :class:`GenomeBuildError` is raised.
    """

    def __init__(self, path: str | Path, *, build: str | None = None, cache_size: int = 4096):
        import pysam  # optional dependency (pipeline extra)

        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"reference FASTA not found: {self.path}")
        try:
            self._fa = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot open reference FASTA {self.path}: {exc}") from exc
        self._names = {normalize_contig(c): c for c in self._fa.references}
        self._lengths = dict(zip(self._fa.references, self._fa.lengths, strict=True))
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._cache_size = cache_size
        self._keep: dict[int, Transcript] = {}
        self._protein: dict[int, str] = {}
        if build is not None:
            self.check_build(build)

    def check_build(self, build: str) -> None:
        want = _LENGTHS.get(build)
        if want is None:
            raise GenomeBuildError(f"unknown genome build {build!r} (expected GRCh37 or GRCh38)")
        for c, n in want.items():
            name = self._names.get(c)
            if name is not None and self._lengths[name] != n:
                other = [b for b, d in _LENGTHS.items() if d.get(c) == self._lengths[name]]
                hint = f"; it looks like {other[0]}" if other else ""
                raise GenomeBuildError(
                    f"reference FASTA {self.path}: contig {name} has length "
                    f"{self._lengths[name]}, expected {n} for {build}{hint}"
                )

    def contig(self, chrom: str) -> str:
        """FASTA name of ``chrom``; :class:`GenomeBuildError` when the FASTA lacks it."""
        name = self._names.get(normalize_contig(chrom))
        if name is None:
            shown = ", ".join(list(self._fa.references)[:5])
            raise GenomeBuildError(
                f"contig {chrom!r} is not in reference FASTA {self.path} (contigs: {shown}, ...)"
            )
        return name

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Upper-case sequence of 0-based half-open ``[start, end)`` (clipped to the contig)."""
        name = self.contig(chrom)
        start = max(0, start)
        end = min(end, self._lengths[name])
        if end <= start:
            return ""
        return self._fa.fetch(name, start, end).upper()

    def check_ref(self, chrom: str, pos: int, ref: str) -> None:
        """Raise :class:`GenomeBuildError` when VCF REF (1-based ``pos``) differs from the FASTA."""
        ref = ref.upper()
        seq = self.fetch(chrom, pos - 1, pos - 1 + len(ref))
        if len(seq) != len(ref) or any(a != b and a != "N" and b != "N" for a, b in zip(seq, ref, strict=True)):
            raise GenomeBuildError(
                f"REF {ref} at {chrom}:{pos} does not match reference FASTA {self.path} "
                f"({seq or 'beyond contig end'}): wrong genome build or FASTA?"
            )

    def transcript_sequence(self, tx: Transcript) -> str:
        """Spliced sequence of ``tx`` in transcript orientation (5'->3'), cached."""
        key = id(tx)
        seq = self._cache.get(key)
        if seq is not None:
            self._cache.move_to_end(key)
            return seq
        name = self.contig(tx.chrom)
        parts = [self._fa.fetch(name, s, e) for s, e in zip(tx.exon_starts, tx.exon_ends, strict=True)]
        seq = "".join(parts).upper()
        if tx.strand == "-":
            seq = revcomp(seq)
        self._cache[key] = seq
        self._keep[key] = tx  # keep the id valid while cached
        if len(self._cache) > self._cache_size:
            old, _ = self._cache.popitem(last=False)
            self._keep.pop(old, None)
            self._protein.pop(old, None)
        return seq

    def protein(self, tx: Transcript) -> str:
        """Translation of the CDS of ``tx`` up to and including the first stop, cached."""
        key = id(tx)
        p = self._protein.get(key)
        if p is None:
            cb = tx.cds_bounds
            p = translate(self.transcript_sequence(tx)[cb[0]:cb[1]], to_stop=True) if cb else ""
            self._protein[key] = p
            if len(self._protein) > self._cache_size:
                self._protein.pop(next(iter(self._protein)))
        return p

    def close(self) -> None:
        self._fa.close()

    def __enter__(self) -> Reference:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------- genetic code
_AA3 = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
    "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
    "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val", "*": "Ter",
    "X": "Xaa",
}
_B = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
_CODON = {a + b + c: _AA[16 * i + 4 * j + k]
          for i, a in enumerate(_B) for j, b in enumerate(_B) for k, c in enumerate(_B)}


def translate(seq: str, *, to_stop: bool = False) -> str:
    """Standard-code translation; partial trailing codon dropped; unknown codons -> X."""
    out = []
    for i in range(0, len(seq) - 2, 3):
        aa = _CODON.get(seq[i:i + 3], "X")
        out.append(aa)
        if to_stop and aa == "*":
            break
    return "".join(out)


def _aa3(s: str) -> str:
    return "".join(_AA3.get(c, "Xaa") for c in s)


# --------------------------------------------------------------------------- HGVS positions
def _fmt_mrna(tx: Transcript, m: int) -> str:
    cb = tx.cds_bounds
    if cb is None:
        return str(m + 1)
    a, b = cb
    if m < a:
        return f"-{a - m}"
    if m < b:
        return str(m - a + 1)
    return f"*{m - b + 1}"


def hgvs_position(tx: Transcript, g: int) -> str | None:
    """HGVS c./n. position (without prefix) of genomic base ``g`` (0-based); ``None`` outside."""
    if g < tx.tx_start or g >= tx.tx_end:
        return None
    m = tx.mrna_offset(g)
    if m is not None:
        return _fmt_mrna(tx, m)
    j = bisect_right(tx.exon_starts, g) - 1
    if j < 0 or j + 1 >= len(tx.exon_starts):
        return None  # inside the transcript but not between two exons (malformed model)
    left = tx.exon_ends[j] - 1  # last base of the exon on the left
    right = tx.exon_starts[j + 1]  # first base of the exon on the right
    dl, dr = g - left, right - g
    if tx.strand == "+":
        if dl <= dr:
            return _fmt_intronic(tx, left, "+", dl)
        return _fmt_intronic(tx, right, "-", dr)
    if dr <= dl:
        return _fmt_intronic(tx, right, "+", dr)
    return _fmt_intronic(tx, left, "-", dl)


def _fmt_intronic(tx: Transcript, exon_base: int, sign: str, distance: int) -> str | None:
    """``<position of exon_base><sign><distance>`` (e.g. ``88+2``); ``None`` when
    ``exon_base`` has no mRNA offset (an empty exon in a malformed model)."""
    m = tx.mrna_offset(exon_base)
    if m is None:
        return None
    return f"{_fmt_mrna(tx, m)}{sign}{distance}"


def _hgvs_c(tx: Transcript, a: Allele, dup: bool = False) -> str | None:
    prefix = "c." if tx.cds_bounds is not None else "n."
    plus = tx.strand == "+"
    ref = a.ref if plus else revcomp(a.ref)
    alt = a.alt if plus else revcomp(a.alt)
    if a.is_insertion:
        if dup:
            n = len(a.alt)
            lo, hi = (a.start - n, a.start - 1) if plus else (a.start, a.start + n - 1)
            p1, p2 = (hgvs_position(tx, lo), hgvs_position(tx, hi))
            if p1 is None or p2 is None:
                return None
            if not plus:
                p1, p2 = p2, p1
            return f"{prefix}{p1}dup" if n == 1 else f"{prefix}{p1}_{p2}dup"
        p1, p2 = hgvs_position(tx, a.start - 1), hgvs_position(tx, a.start)
        if p1 is None or p2 is None:
            return None
        if not plus:
            p1, p2 = p2, p1
        return f"{prefix}{p1}_{p2}ins{alt}"
    p1, p2 = hgvs_position(tx, a.start), hgvs_position(tx, a.end - 1)
    if p1 is None or p2 is None:
        return None
    if not plus:
        p1, p2 = p2, p1
    rng = p1 if a.end - a.start == 1 else f"{p1}_{p2}"
    if not alt:
        return f"{prefix}{rng}del"
    if len(ref) == 1 and len(alt) == 1:
        return f"{prefix}{p1}{ref}>{alt}"
    return f"{prefix}{rng}delins{alt}"


class _FastaBases:
    """Genomic bases from a :class:`Reference`, fetched in windows (``None`` past the contig)."""

    __slots__ = ("_ref", "_chrom", "_lo", "_buf")

    def __init__(self, reference: Reference, chrom: str):
        self._ref, self._chrom, self._lo, self._buf = reference, chrom, 0, ""

    def __call__(self, g: int) -> str | None:
        i = g - self._lo
        if not 0 <= i < len(self._buf):
            self._lo = max(0, g - 256)
            self._buf = self._ref.fetch(self._chrom, self._lo, g + 256)
            i = g - self._lo
            if not 0 <= i < len(self._buf):
                return None
        return self._buf[i]


class _KnownBases:
    """The bases a VCF record itself proves: its REF at ``[start, start + len(REF))``."""

    __slots__ = ("_start", "_ref")

    def __init__(self, start: int, ref: str):
        self._start, self._ref = start, ref.upper()

    def __call__(self, g: int) -> str | None:
        i = g - self._start
        return self._ref[i] if 0 <= i < len(self._ref) else None


def _same_bases(bases: Sequence[str | None], seq: str) -> bool | None:
    """Whether the known ``bases`` spell ``seq``; ``None`` when any base is unknown."""
    known = [b for b in bases if b is not None]
    if len(known) < len(bases):
        return None
    return "".join(known) == seq


def _shift_3prime(tx: Transcript, a: Allele,
                  base: Callable[[int], str | None]) -> tuple[Allele, bool | None, bool]:
    """Shift a deletion or insertion 3' in transcript orientation (within the transcript).

    ``base(g)`` gives the genomic base at ``g`` or ``None`` where it is unknown. Returns
    (shifted allele, dup, limited): ``dup`` is True/False for an insertion whose copy
    next to it is known, ``None`` when those bases are unknown (and for deletions: False);
    ``limited`` is True when an unknown base stopped the shift (the 3'-most position
    may lie further 3').
    """
    if a.ref and a.alt:
        return a, False, False
    seq = a.ref or a.alt
    s, e = a.start, a.end
    limited = False
    if tx.strand == "+":
        while e < tx.tx_end:
            b = base(e)
            if b is None:
                limited = True
                break
            if b != seq[0]:
                break
            seq = seq[1:] + seq[0]
            s += 1
            e += 1
        if not a.alt:
            return Allele(s, e, seq, ""), False, limited
        dup = _same_bases([base(g) for g in range(s - len(seq), s)], seq)
        return Allele(s, e, "", seq), dup, limited
    while s > tx.tx_start:
        b = base(s - 1)
        if b is None:
            limited = True
            break
        if b != seq[-1]:
            break
        seq = seq[-1] + seq[:-1]
        s -= 1
        e -= 1
    if not a.alt:
        return Allele(s, e, seq, ""), False, limited
    dup = _same_bases([base(g) for g in range(s, s + len(seq))], seq)
    return Allele(s, e, "", seq), dup, limited


#: notes of names made without a FASTA (docs/hgvs.md)
NOTE_SHIFT = ("no reference FASTA: the indel was shifted 3' only across the bases of the VCF record; "
              "the 3'-most (HGVS) position may lie further 3'")
NOTE_DUP = "no reference FASTA: whether the insertion duplicates its neighbouring bases (dup) was not checked"
NOTE_P_SNV = ("no reference FASTA: the codon's other bases are unknown, so missense and synonymous "
              "cannot be told apart (no p.)")
NOTE_P_FS = "no reference FASTA: the protein change of a frameshift needs the downstream sequence (no p.)"
NOTE_P_INS = "no reference FASTA: an insertion's protein change needs its flanking codons (no p.)"
NOTE_P_DEL = ("no reference FASTA: this deletion is not a whole-codon deletion the VCF bases can place "
              "(no p.)")
NOTE_P_LIMITED = "p. placed as far C-terminal as the VCF bases allow"


# --------------------------------------------------------------------------- protein effect
def _protein_effect(tx: Transcript, cds_bounds: tuple[int, int], a: Allele,
                    reference: Reference) -> tuple[list[str], str | None]:
    """Terms and HGVS p. of an allele lying wholly inside one coding exon's CDS part
    (``cds_bounds``: the transcript's :attr:`~Transcript.cds_bounds`)."""
    mrna = reference.transcript_sequence(tx)
    ca, cb = cds_bounds
    plus = tx.strand == "+"
    ref_t = a.ref if plus else revcomp(a.ref)
    alt_t = a.alt if plus else revcomp(a.alt)
    if a.is_insertion:
        m = tx.mrna_offset(a.start) if plus else tx.mrna_offset(a.start - 1)
    else:
        m = tx.mrna_offset(a.start) if plus else tx.mrna_offset(a.end - 1)
    assert m is not None
    c0 = m - ca
    d = len(alt_t) - len(ref_t)
    alt_mrna = mrna[:m] + alt_t + mrna[m + len(ref_t):]

    ref_p = reference.protein(tx)
    complete = ref_p.endswith("*")
    i0 = c0 // 3
    if a.is_insertion and c0 % 3 == 0:
        i0 = max(0, i0 - 1)
    i_last = max(i0, (c0 + len(ref_t) - 1) // 3)
    alt_p = None
    if d % 3 == 0 and complete and i_last < len(ref_p) - 1:
        # in-frame change before the stop codon: translate only the affected codons
        aw = translate(alt_mrna[ca + 3 * i0:ca + 3 * (i_last + 1) + d])
        if "*" in aw:
            alt_p = ref_p[:i0] + aw[:aw.index("*") + 1]
        else:
            alt_p = ref_p[:i0] + aw + ref_p[i_last + 1:]
    if alt_p is None:
        alt_end = len(alt_mrna) if complete else cb + d
        alt_p = ref_p[:i0] + translate(alt_mrna[ca + 3 * i0:alt_end], to_stop=True)

    terms: list[str] = []
    frameshift = d % 3 != 0
    if frameshift:
        terms.append("frameshift_variant")
    elif d > 0:
        terms.append("inframe_insertion")
    elif d < 0:
        terms.append("inframe_deletion")

    # start codon
    if i0 == 0 and mrna[ca:ca + 3] == "ATG" and alt_mrna[ca:ca + 3] != "ATG":
        terms.append("start_lost")
        return terms, "p.Met1?" if ref_p[:1] == "M" else "p.?"

    if ref_p == alt_p:
        stop_idx = len(ref_p) - 1
        last = (c0 + max(len(ref_t), 1) - 1) // 3
        aa_i = min(i0 if not a.is_insertion else c0 // 3, len(ref_p) - 1)
        if complete and aa_i <= stop_idx <= last:
            terms.append("stop_retained_variant")
            return terms, f"p.Ter{stop_idx + 1}="
        terms.append("synonymous_variant")
        return terms, f"p.{_aa3(ref_p[aa_i])}{aa_i + 1}="

    p = 0
    n = min(len(ref_p), len(alt_p))
    while p < n and ref_p[p] == alt_p[p]:
        p += 1
    if p >= len(alt_p) or p >= len(ref_p):
        # the alt protein ran off the sequence without a stop
        if not frameshift and complete and p >= len(ref_p) - 1:
            terms.append("stop_lost")
        return terms or ["coding_sequence_variant"], "p.?"
    ref_aa, alt_aa = ref_p[p], alt_p[p]
    alt_stop = alt_p.endswith("*")
    if ref_aa == "*":
        terms.append("stop_lost")
        ext = f"extTer{len(alt_p) - 1 - p}" if alt_stop else "extTer?"
        return terms, f"p.Ter{p + 1}{_aa3(alt_aa)}{ext}"
    if frameshift:
        if alt_aa == "*":  # the new frame stops at once (VEP: stop_gained too)
            terms.append("stop_gained")
            return terms, f"p.{_aa3(ref_aa)}{p + 1}Ter"
        fs = f"fsTer{len(alt_p) - p}" if alt_stop else "fsTer?"
        return terms, f"p.{_aa3(ref_aa)}{p + 1}{_aa3(alt_aa)}{fs}"

    expected_stop = len(ref_p) - 1 + d // 3
    if complete and alt_stop and len(alt_p) - 1 < expected_stop:
        terms.append("stop_gained")
        q = len(alt_p) - 1
        if q == p:
            return terms, f"p.{_aa3(ref_aa)}{p + 1}Ter"
        return terms, (
            f"p.{_aa3(ref_aa)}{p + 1}_{_aa3(ref_p[q])}{q + 1}delins{_aa3(alt_p[p:q + 1])}"
        )
    if complete and not alt_stop:
        terms.append("stop_lost")

    # common suffix of the differing tails
    s = 0
    while s < len(ref_p) - p and s < len(alt_p) - p and ref_p[-1 - s] == alt_p[-1 - s]:
        s += 1
    rd, ad = ref_p[p:len(ref_p) - s], alt_p[p:len(alt_p) - s]
    if d == 0 and not terms:
        terms.append("missense_variant")
    if len(rd) == 1 and len(ad) == 1:
        return terms, f"p.{_aa3(rd)}{p + 1}{_aa3(ad)}"
    if not rd:
        k = len(ad)
        if p >= k and ref_p[p - k:p] == ad:
            if k == 1:
                return terms, f"p.{_aa3(ref_p[p - 1])}{p}dup"
            return terms, f"p.{_aa3(ref_p[p - k])}{p - k + 1}_{_aa3(ref_p[p - 1])}{p}dup"
        if p == 0:
            return terms, "p.?"
        return terms, f"p.{_aa3(ref_p[p - 1])}{p}_{_aa3(ref_p[p])}{p + 1}ins{_aa3(ad)}"
    rng = f"{_aa3(rd[0])}{p + 1}" if len(rd) == 1 else (
        f"{_aa3(rd[0])}{p + 1}_{_aa3(rd[-1])}{p + len(rd)}"
    )
    if not ad:
        return terms, f"p.{rng}del"
    return terms, f"p.{rng}delins{_aa3(ad)}"


# --------------------------------------------------------------------------- core
def _predicted(p: str | None) -> str | None:
    """HGVS writes a predicted protein change in parentheses: ``p.(Lys364del)`` (not ``p.?``)."""
    if p is None or p == "p.?" or p.startswith("p.("):
        return p
    return f"p.({p[2:]})"


def _genomic_of_mrna(tx: Transcript, m: int) -> int | None:
    """Genomic base (0-based) of mRNA offset ``m``; ``None`` outside the transcript."""
    for k, off in enumerate(tx.exon_offsets):
        n = tx.exon_ends[k] - tx.exon_starts[k]
        if off <= m < off + n:
            return tx.exon_starts[k] + (m - off) if tx.strand == "+" else tx.exon_ends[k] - 1 - (m - off)
    return None


def _known_deletion_p(tx: Transcript, a: Allele, vcf_ref: tuple[int, str]) -> tuple[str | None, str | None]:
    """HGVS p. of an in-frame deletion from the VCF record's own bases (no FASTA).

    The deletion's equivalent placements (it may slide within a repeat the REF shows) are
    those the known bases prove; one that removes whole codons names the protein change,
    taken as far C-terminal as known codons allow. (p., note) with p. ``None`` when no
    placement removes whole codons or the codons include the start or a stop.
    """
    cb = tx.cds_bounds
    if cb is None:
        return None, NOTE_P_DEL
    ca = cb[0]
    base = _KnownBases(*vcf_ref)
    n = len(a.ref)
    # leftmost genomic placement provable from the known bases
    s, seq = a.start, a.ref
    while base(s - 1) == seq[-1]:
        seq = seq[-1] + seq[:-1]
        s -= 1
    placements = []
    while True:
        placements.append((s, seq))
        if base(s + n) != seq[0]:
            break
        seq = seq[1:] + seq[0]
        s += 1
    plus = tx.strand == "+"
    best = None  # (cds offset of the first deleted base, deleted bases in transcript orientation)
    for g, sq in placements:
        m1 = tx.mrna_offset(g)
        m2 = tx.mrna_offset(g + n - 1)
        if m1 is None or m2 is None or abs(m2 - m1) != n - 1:
            continue  # spans an exon edge
        m = m1 if plus else m2
        c0 = m - ca
        if c0 < 0 or m + n > cb[1] or c0 % 3:
            continue
        t_seq = sq if plus else revcomp(sq)
        if best is None or c0 > best[0]:
            best = (c0, t_seq)
    if best is None:
        return None, NOTE_P_DEL
    c0, t_seq = best
    aa = translate(t_seq)
    if c0 == 0 or "*" in aa or "X" in aa:
        return None, NOTE_P_DEL

    def codon(c: int) -> str | None:
        bs = []
        for k in range(c, c + 3):
            gpos = _genomic_of_mrna(tx, ca + k)
            b = None if gpos is None else base(gpos)
            if b is None:
                return None
            bs.append(b if plus else revcomp(b))
        return "".join(bs)

    # protein-level 3' rule: slide while the next known codon codes the first deleted residue
    limited = False
    while True:
        nxt = codon(c0 + len(t_seq))
        if nxt is None:
            limited = True
            break
        if translate(nxt) != aa[0] or translate(nxt) == "*":
            break
        aa = aa[1:] + aa[0]
        c0 += 3
    i = c0 // 3 + 1
    k = len(aa)
    name = f"p.({_aa3(aa)}{i}del)" if k == 1 else f"p.({_aa3(aa[0])}{i}_{_aa3(aa[-1])}{i + k - 1}del)"
    return name, NOTE_P_LIMITED if limited else None


def _annotate(tx: Transcript, a: Allele, chrom: str, reference: Reference | None,
              flank: int, vcf_ref: tuple[int, str] | None = None) -> TranscriptConsequence | None:
    s, e = a.start, a.end
    ins = s == e
    t0, t1 = tx.tx_start, tx.tx_end
    plus = tx.strand == "+"
    # ---------------------------------------------------------------- outside
    if (ins and not t0 < s < t1) or (not ins and (e <= t0 or s >= t1)):
        if e <= t0:  # (an insertion has e == s)
            dist = t0 - e + 1
            term = "upstream_gene_variant" if plus else "downstream_gene_variant"
        else:
            dist = s - t1 + 1
            term = "downstream_gene_variant" if plus else "upstream_gene_variant"
        if dist > flank:
            return None
        return TranscriptConsequence(
            gene=tx.gene, transcript=tx.id, consequences=(term,), strand=tx.strand,
            preferred=tx.preferred, coding=tx.is_coding, distance=dist, tx=tx, allele=a,
        )
    if not ins and s <= t0 and e >= t1:
        return TranscriptConsequence(
            gene=tx.gene, transcript=tx.id, consequences=("transcript_ablation",),
            strand=tx.strand, preferred=tx.preferred, coding=tx.is_coding, tx=tx, allele=a,
        )

    exs, exe = tx.exon_starts, tx.exon_ends
    nex = len(exs)
    terms: list[str] = []
    # A region [lo, hi) is hit when s < hi and e > lo. For an insertion (s == e) this
    # means both flanking bases (s - 1 and s) lie in the region.
    if ins:
        cs, ce = s - 1, s + 1
    else:
        cs, ce = max(s, t0), min(e, t1)
    i1 = bisect_right(exs, cs) - 1
    i2 = bisect_right(exs, ce - 1) - 1
    # ---------------------------------------------------------------- introns / splice
    for j in range(max(0, i1 - 1), min(nex - 1, i2 + 2)):
        i_s = exe[j]
        i_e = exs[j + 1]
        if not (s < i_e + 3 and e > i_s - 3):
            continue
        if i_e - i_s < MIN_INTRON:
            if s < i_e and e > i_s:
                terms.append("intron_variant")
            continue
        left_core = s < i_s + 2 and e > i_s
        right_core = s < i_e and e > i_e - 2
        if left_core:
            terms.append("splice_donor_variant" if plus else "splice_acceptor_variant")
        if right_core:
            terms.append("splice_acceptor_variant" if plus else "splice_donor_variant")
        if s < i_e - 2 and e > i_s + 2:
            terms.append("intron_variant")
        if ins:
            in_core = left_core or right_core
        else:
            in_core = (s >= i_s and e <= i_s + 2) or (s >= i_e - 2 and e <= i_e)
        if not in_core and ((s < i_s + 8 and e > i_s - 3) or (s < i_e + 3 and e > i_e - 8)):
            terms.append("splice_region_variant")

    # ---------------------------------------------------------------- exons
    exonic = False
    single_exon = False
    if ins:
        k = i1  # exon holding the left flank, if any
        exonic = k >= 0 and exs[k] <= s - 1 and s < exe[k]
        single_exon = exonic
    else:
        covered = 0
        for k in range(max(i1, 0), i2 + 1):
            ov = min(ce, exe[k]) - max(cs, exs[k])
            if ov > 0:
                covered += ov
        exonic = covered > 0
        single_exon = exonic and i1 == i2 and covered == e - s

    pure_cds = False
    if exonic:
        if not tx.is_coding:
            terms.append("non_coding_transcript_exon_variant")
        else:
            c_lo, c_hi = tx.cds_start, tx.cds_end
            utr_left = "5_prime_UTR_variant" if plus else "3_prime_UTR_variant"
            utr_right = "3_prime_UTR_variant" if plus else "5_prime_UTR_variant"
            if ins:
                if s <= c_lo:
                    terms.append(utr_left)
                elif s >= c_hi:
                    terms.append(utr_right)
                else:
                    pure_cds = True
            else:
                in_cds = False
                for k in range(max(i1, 0), i2 + 1):
                    lo, hi = max(cs, exs[k]), min(ce, exe[k])
                    if lo >= hi:
                        continue
                    if lo < c_lo:
                        terms.append(utr_left)
                    if hi > c_hi:
                        terms.append(utr_right)
                    if lo < c_hi and hi > c_lo:
                        in_cds = True
                if in_cds:
                    pure_cds = single_exon and s >= c_lo and e <= c_hi
                    if not pure_cds:
                        terms.append("coding_sequence_variant")

    hgvs_p = p_note = None
    if pure_cds:
        cds_bounds = tx.cds_bounds
        if reference is not None and cds_bounds is not None:
            pterms, hgvs_p = _protein_effect(tx, cds_bounds, a, reference)
            hgvs_p = _predicted(hgvs_p)
            terms.extend(pterms)
        else:
            d = len(a.alt) - len(a.ref)
            if d % 3:
                terms.append("frameshift_variant")
                p_note = NOTE_P_FS
            elif d > 0:
                terms.append("inframe_insertion")
                p_note = NOTE_P_INS
            elif d < 0:
                terms.append("inframe_deletion")
                if a.alt:
                    p_note = NOTE_P_DEL
                elif vcf_ref is not None:
                    hgvs_p, p_note = _known_deletion_p(tx, a, vcf_ref)
                else:
                    p_note = NOTE_P_DEL
            else:
                terms.append("coding_sequence_variant")
                p_note = NOTE_P_SNV

    if not terms:  # e.g. an insertion between an exon and a short intron
        terms.append("coding_transcript_variant" if tx.is_coding else "non_coding_transcript_variant")

    return TranscriptConsequence(
        tx.gene, tx.id, (terms[0],) if len(terms) == 1 else _sorted_terms(terms), hgvs_p,
        tx.strand, tx.preferred, tx.cds_start < tx.cds_end, None, tx, a, reference, chrom, vcf_ref, p_note,
    )


def _compute_hgvs_c(c: TranscriptConsequence) -> tuple[str | None, str | None]:
    """(c./n. name, note) of a consequence: indels 3'-shifted with the FASTA, or without
    one across the bases the VCF record carries (then noted when they did not suffice)."""
    tx, a = c.tx, c.allele
    if tx is None or a is None or c.distance is not None:
        return None, None
    if not (a.is_insertion or not a.alt):
        return _hgvs_c(tx, a), None
    if c.reference is not None and c.chrom is not None:
        shifted, dup, _ = _shift_3prime(tx, a, _FastaBases(c.reference, c.chrom))
        return _hgvs_c(tx, shifted, bool(dup)), None
    if c.vcf_ref is None:
        return _hgvs_c(tx, a), NOTE_SHIFT
    shifted, dup, limited = _shift_3prime(tx, a, _KnownBases(*c.vcf_ref))
    name = _hgvs_c(tx, shifted, bool(dup))
    notes = [n for n, on in ((NOTE_SHIFT, limited), (NOTE_DUP, dup is None)) if on]
    return name, "; ".join(notes) or None


def transcript_consequence(tx: Transcript, chrom: str, pos: int, ref: str, alt: str, *,
                           reference: Reference | None = None,
                           flank: int = DEFAULT_FLANK) -> TranscriptConsequence | None:
    """Consequence of a VCF allele (1-based ``pos``, one ALT) on one transcript.

    ``None`` when the variant is farther than ``flank`` from the transcript or the
    allele is symbolic / unchanged.
    """
    a = normalize_allele(pos, ref, alt)
    if a is None:
        return None
    return _annotate(tx, a, chrom, reference, flank, (pos - 1, ref.upper()))


def consequence_terms(tx: Transcript, chrom: str, pos: int, ref: str, alt: str, *,
                      reference: Reference | None = None,
                      flank: int = DEFAULT_FLANK) -> tuple[str, ...]:
    """Just the SO terms (most severe first); ``()`` when not in range of ``tx``."""
    r = transcript_consequence(tx, chrom, pos, ref, alt, reference=reference, flank=flank)
    return r.consequences if r is not None else ()


def annotate_variant(model: GeneModel, chrom: str, pos: int, ref: str, alt: str, *,
                     reference: Reference | None = None, flank: int = DEFAULT_FLANK,
                     check_ref: bool = True) -> list[TranscriptConsequence]:
    """All transcript consequences of one VCF allele, most severe first.

    Returns ``[INTERGENIC]`` when no transcript lies within ``flank`` and ``[]`` for a
    symbolic/``*`` allele. With a ``reference`` and ``check_ref`` the VCF REF is checked
    against the FASTA first (:class:`GenomeBuildError` on mismatch).
    """
    a = normalize_allele(pos, ref, alt)
    if a is None:
        return []
    if reference is not None and check_ref:
        reference.check_ref(chrom, pos, ref)
    out = []
    for tx in model.overlapping(chrom, a.start, a.end, flank):
        r = _annotate(tx, a, chrom, reference, flank, (pos - 1, ref.upper()))
        if r is not None:
            out.append(r)
    if not out:
        return [INTERGENIC]
    out.sort(key=lambda r: (r.rank, not r.preferred, r.transcript))
    return out


def annotate_variants(model: GeneModel, variants: Iterable[tuple[str, int, str, str]], *,
                      reference: Reference | None = None, flank: int = DEFAULT_FLANK,
                      check_ref: bool = True) -> Iterator[list[TranscriptConsequence]]:
    """:func:`annotate_variant` over ``(chrom, pos, ref, alt)`` tuples, lazily, in order."""
    for chrom, pos, ref, alt in variants:
        yield annotate_variant(model, chrom, pos, ref, alt, reference=reference, flank=flank,
                               check_ref=check_ref)


def most_severe_per_gene(consequences: Iterable[TranscriptConsequence]
                         ) -> dict[str, TranscriptConsequence]:
    """Per gene symbol, the most severe transcript consequence.

    Ties go to the preferred transcript, then a coding transcript, then the lowest id.
    Intergenic entries (no gene) are skipped.
    """
    best: dict[str, TranscriptConsequence] = {}
    keys: dict[str, tuple] = {}
    for c in consequences:
        if c.gene is None:
            continue
        k = (c.rank, not c.preferred, not c.coding, c.transcript or "")
        if c.gene not in best or k < keys[c.gene]:
            best[c.gene] = c
            keys[c.gene] = k
    return best


_R_INTRON = _RANK["intron_variant"]
_R_UP = _RANK["upstream_gene_variant"]
_R_DOWN = _RANK["downstream_gene_variant"]
_R_CDS = _RANK["coding_sequence_variant"]
_R_UTR5 = _RANK["5_prime_UTR_variant"]
_R_UTR3 = _RANK["3_prime_UTR_variant"]
_R_NC_EXON = _RANK["non_coding_transcript_exon_variant"]
#: an allele at least this far inside an intron from both exons has no splice term
_DEEP_INTRON = 8
#: a base at least this far inside an exon from both ends has no splice term
_INNER_EXON = 3


def _snv(pos: int, ref: str, alt: str) -> Allele | None:
    """:func:`normalize_allele` of a one-base REF and ALT (the common case, inlined)."""
    r, a = ref.upper(), alt.upper()
    if r != a and r in _BASES and a in _BASES:
        return Allele(pos - 1, pos, r, a)
    return normalize_allele(pos, ref, alt)


def most_severe_per_gene_batch(model: GeneModel, chroms: Sequence[str], positions: Sequence[int],
                               refs: Sequence[str], alts: Sequence[str], *,
                               reference: Reference | None = None, flank: int = DEFAULT_FLANK,
                               check_ref: bool = True) -> list[dict[str, TranscriptConsequence]]:
    """``most_severe_per_gene(annotate_variant(...))`` for many VCF alleles at once.

    The same dicts (same genes in the same order, equal consequences), computed in bulk:
    the (allele, transcript) pairs come from one vectorised interval search
    (:meth:`GeneModel.overlap_pairs`); pairs whose consequence is a single term decided
    by coordinates alone (upstream/downstream; at least 8 bases inside an intron from
    both exons: ``intron_variant``; without a FASTA, one base at least 3 bases inside an
    exon: coding sequence, UTR or non-coding exon) are classified with numpy, and only
    the rest (indels, splice regions, ...) go through the per-transcript rules of
    :func:`_annotate`. The
    per-gene choice (most severe, then preferred, coding, lowest transcript id) is a
    lexicographic sort over all pairs. With a ``reference`` and ``check_ref`` every REF
    is checked first, in input order.
    """
    n = len(chroms)
    out: list[dict[str, TranscriptConsequence]] = [{} for _ in range(n)]
    alleles = [_snv(int(p), r, a) if len(r) == 1 == len(a) else normalize_allele(int(p), r, a)
               for p, r, a in zip(positions, refs, alts, strict=True)]
    ok = [k for k, a in enumerate(alleles) if a is not None]
    ok_alleles = [a for a in alleles if a is not None]  # ok_alleles[i] is alleles[ok[i]]
    if reference is not None and check_ref:
        for k in ok:
            reference.check_ref(chroms[k], int(positions[k]), refs[k])
    if not ok:
        return out
    a_start = np.array([a.start for a in ok_alleles], dtype=np.int64)
    a_end = np.array([a.end for a in ok_alleles], dtype=np.int64)
    a_snv = np.array([len(a.ref) == 1 == len(a.alt) for a in ok_alleles], dtype=bool)
    pq, pt = model.overlap_pairs([chroms[k] for k in ok], a_start, a_end, flank)
    if not len(pq):
        return out
    s, e = a_start[pq], a_end[pq]
    t0, t1, plus = model.tx_start[pt], model.tx_end[pt], model.tx_plus[pt]
    ins = s == e
    outside = np.where(ins, ~((t0 < s) & (s < t1)), (e <= t0) | (s >= t1))
    before = e <= t0  # (an insertion has e == s)
    dist = np.where(before, t0 - e + 1, s - t1 + 1)
    j = model.exon_index(pt, s)
    n_ex = model.ex_ptr[pt + 1] - model.ex_ptr[pt]
    last = max(len(model.ex_start) - 1, 0)
    g = np.clip(model.ex_ptr[pt] + j, 0, last)
    inside = ~outside & (j >= 0)
    # deep in intron j (between exon j and j + 1): intron_variant only
    deep = (inside & (j <= n_ex - 2) & (s >= model.ex_end[g] + _DEEP_INTRON)
            & (e <= model.ex_start[np.minimum(g + 1, last)] - _DEEP_INTRON))
    keep = ~outside | (dist <= flank)
    rank = np.where(outside, np.where(before == plus, _R_UP, _R_DOWN), _R_INTRON).astype(np.int64)
    simple = outside | deep
    if reference is None:  # (with a FASTA the protein effect needs the per-transcript rules)
        # one base well inside exon j: CDS, UTR or non-coding exon by the CDS bounds alone
        inner = (inside & a_snv[pq] & (s >= model.ex_start[g] + _INNER_EXON)
                 & (e <= model.ex_end[g] - _INNER_EXON))
        c0, c1 = model.cds_start[pt], model.cds_end[pt]
        exon_rank = np.where(c0 >= c1, _R_NC_EXON,
                             np.where(s < c0, np.where(plus, _R_UTR5, _R_UTR3),
                                      np.where(e > c1, np.where(plus, _R_UTR3, _R_UTR5), _R_CDS)))
        rank = np.where(inner, exon_rank, rank)
        simple |= inner
    computed: dict[int, TranscriptConsequence] = {}
    for p in np.flatnonzero(keep & ~simple).tolist():
        k = ok[int(pq[p])]
        r = _annotate(model.transcript(int(pt[p])), ok_alleles[int(pq[p])], chroms[k], reference, flank,
                      (int(positions[k]) - 1, refs[k].upper()))
        if r is None:
            keep[p] = False
            continue
        computed[p] = r
        rank[p] = r.rank
    sel = np.flatnonzero(keep)
    if not len(sel):
        return out
    q, t, rk = pq[sel], pt[sel], rank[sel]
    npref = ~model.tx_preferred[t]
    ncod = ~(model.cds_start[t] < model.cds_end[t])
    tid = model.codes("id")[t]
    gene = model.codes("gene")[t]
    # annotate_variant's order (rank, not preferred, transcript id; stable) ...
    order1 = np.lexsort((sel, tid, npref, rk, q))
    spos = np.empty(len(sel), dtype=np.int64)
    spos[order1] = np.arange(len(sel))
    # ... and most_severe_per_gene's choice: first of (rank, not preferred, not coding, id)
    order2 = np.lexsort((spos, tid, ncod, npref, rk, gene, q))
    qg = np.stack([q[order2], gene[order2]], axis=1)
    starts = np.flatnonzero(np.r_[True, np.any(qg[1:] != qg[:-1], axis=1)])
    win = order2[starts]
    first_seen = np.minimum.reduceat(spos[order2], starts)  # dict order: first appearance
    for w in win[np.lexsort((first_seen, q[win]))].tolist():
        p = int(sel[w])
        c = computed.get(p)
        if c is None:
            k = ok[int(pq[p])]
            tx = model.transcript(int(pt[p]))
            a = ok_alleles[int(pq[p])]
            if outside[p]:
                c = TranscriptConsequence(
                    gene=tx.gene, transcript=tx.id,
                    consequences=("upstream_gene_variant" if rank[p] == _R_UP else "downstream_gene_variant",),
                    strand=tx.strand, preferred=tx.preferred, coding=tx.is_coding, distance=int(dist[p]),
                    tx=tx, allele=a)
            else:  # deep intronic or one base inside an exon: one term, as _annotate builds it
                c = TranscriptConsequence(tx.gene, tx.id, (SEVERITY_ORDER[int(rank[p])],), None, tx.strand,
                                          tx.preferred, tx.cds_start < tx.cds_end, None, tx, a, reference,
                                          chroms[k], (int(positions[k]) - 1, refs[k].upper()),
                                          NOTE_P_SNV if rank[p] == _R_CDS else None)
        if c.gene is not None:  # (always: a transcript's; no gene is skipped as in most_severe_per_gene)
            out[ok[int(pq[p])]][c.gene] = c
    return out

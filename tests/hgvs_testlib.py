"""A synthetic GRCh37 chr22 FASTA around the demo's SMARCB1 variant (tests only).

No reference FASTA exists on this machine, so the tests build one: every base is ``N``
except the CDS of NM_003073.5 (SMARCB1), which reads ATG, then GCT (Ala) codons, then
TAA, with the one stretch the public record proves written in: GRCh37 22:24175856-24175867
= c.1084-c.1095 = ``G AGA AGA AGA CT``. (The demo record 22:24175856 GAGA>G, published as
NM_003073.5:c.1091_1093del p.(Lys364del), can slide from c.1085_1087 to c.1091_1093:
that proves the AGA repeat; the base after it is not A, here C.) The protein is
therefore M A...A E K K T A...A *: a test of naming, not of biology.
"""

from __future__ import annotations

from pathlib import Path

#: GRCh37 chr22 length (the demo VCF has records up to its end)
CHR22_LENGTH = 51_304_566
#: c.1084..c.1095 of NM_003073.5 (GRCh37 22:24175856-24175867, + strand)
REPEAT_CONTEXT = "GAGAAGAAGACT"
REPEAT_C_START = 1084


def smarcb1_fasta(path: Path, model, length: int | None = None) -> Path:
    """Write the synthetic FASTA (contig ``22``) and its .fai; returns ``path``."""
    import pysam

    from triage.variants.consequences import _genomic_of_mrna

    tx = next(t for t in model.transcripts("SMARCB1") if t.id == "NM_003073.5")
    assert tx.strand == "+"
    n = length or tx.tx_end + 1000
    seq = bytearray(b"N" * n)
    ca, cb = tx.cds_bounds
    n_codons = (cb - ca) // 3
    for c in range(cb - ca):
        k = c // 3
        codon = "ATG" if k == 0 else "TAA" if k == n_codons - 1 else "GCT"
        seq[_genomic_of_mrna(tx, ca + c)] = ord(codon[c % 3])
    for i, b in enumerate(REPEAT_CONTEXT):
        seq[_genomic_of_mrna(tx, ca + REPEAT_C_START - 1 + i)] = ord(b)
    with open(path, "wb") as fh:
        fh.write(b">22\n")
        for i in range(0, n, 1000):
            fh.write(seq[i:i + 1000])
            fh.write(b"\n")
    pysam.faidx(str(path))
    return path

"""Truth tables for triage.variants.consequences on synthetic transcripts, plus the real model.

Synthetic genome (contig "1", 200 bp, 0-based coordinates ``g``; VCF pos = g + 1)::

    0..9     CCCCCCCCCC                 flank
    10..89   region P, transcript P (+ strand)
    90..109  ACGTACGTACGTACGTACGT       spacer (its own reverse complement)
    110..189 revcomp(region P), transcript M (- strand)
    190..199 GGGGGGGGGG

The genome is its own reverse complement, so M is P mirrored: base g of P is base
199 - g of M, and every SNV expectation of P holds for M with complemented alleles.

Transcript P: exons [10,40) and [60,90), CDS [20,79).
    10..19 5'UTR  GGCGGCGGCA                c.-10..c.-1
    20..39 exon1  ATG GCT GAA TGG AAA CTG CA   c.1..c.20   (M A E W K L Q.)
    40..59 intron GTAAGTATCTCTCTTTCCAG      c.20+1..c.20+10, c.21-10..c.21-1
    60..78 exon2  G TCT GGC TAC CGT AAG TAA   c.21..c.39  (.Q S G Y R K *)
    79..89 3'UTR  GCAGCATGACC               c.*1..c.*11 (GCA GCA TGA: Ala Ala Ter)
Protein: MAEWKLQSGYRK* (codon 7, CAG, is split c.19-20 | c.21).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import DataError, GenomeBuildError
from triage.variants.consequences import (
    IMPACT,
    INTERGENIC,
    SEVERITY_ORDER,
    Reference,
    annotate_variant,
    consequence_terms,
    hgvs_position,
    most_severe,
    most_severe_per_gene,
    normalize_allele,
    revcomp,
    transcript_consequence,
)
from triage.variants.gene_model import GeneModel, Transcript

UTR5 = "GGCGGCGGCA"
EXON1_CDS = "ATGGCTGAATGGAAACTGCA"
INTRON = "GTAAGTATCTCTCTTTCCAG"
EXON2_CDS = "GTCTGGCTACCGTAAGTAA"
UTR3 = "GCAGCATGACC"
REGION_P = UTR5 + EXON1_CDS + INTRON + EXON2_CDS + UTR3
SPACER = "ACGT" * 5
GENOME = "C" * 10 + REGION_P + SPACER + revcomp(REGION_P) + "G" * 10

P = Transcript("NM_000001", "GENEP", "1", "+", 10, 90, 20, 79, (10, 60), (40, 90), True)
M = Transcript("NM_000002", "GENEM", "1", "-", 110, 190, 121, 180, (110, 160), (140, 190), True)
# a non-coding transcript far away (no FASTA needed): exons [300,350) and [400,450)
N = Transcript("NR_000003", "GENEN", "1", "+", 300, 450, 450, 450, (300, 400), (350, 450), True)

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def test_synthetic_genome_layout():
    assert len(GENOME) == 200
    assert revcomp(GENOME) == GENOME
    assert GENOME[20:23] == "ATG" and GENOME[76:79] == "TAA"
    assert GENOME[40:42] == "GT" and GENOME[58:60] == "AG"


@pytest.fixture(scope="module")
def ref(tmp_path_factory) -> Reference:
    import pysam

    d = tmp_path_factory.mktemp("fa")
    fa = d / "synthetic.fa"
    fa.write_text(">1\n" + "\n".join(GENOME[i:i + 60] for i in range(0, 200, 60)) + "\n")
    pysam.faidx(str(fa))
    r = Reference(fa)
    yield r
    r.close()


def csq(tx, g, ref_allele, alt, reference=None, flank=5000):
    """Consequence of a variant given by 0-based position g (VCF pos = g + 1)."""
    return transcript_consequence(tx, "chr1", g + 1, ref_allele, alt, reference=reference,
                                  flank=flank)


# ----------------------------------------------------------------------------- SNVs
# (g, ref, alt, terms without FASTA, terms with FASTA, hgvs_c, hgvs_p with FASTA)
SNV_TABLE = [
    # 5' UTR
    (15, "C", "A", ("5_prime_UTR_variant",), ("5_prime_UTR_variant",), "c.-5C>A", None),
    (10, "G", "T", ("5_prime_UTR_variant",), ("5_prime_UTR_variant",), "c.-10G>T", None),
    # start codon
    (20, "A", "G", ("coding_sequence_variant",), ("start_lost",), "c.1A>G", "p.(Met1?)"),
    (22, "G", "A", ("coding_sequence_variant",), ("start_lost",), "c.3G>A", "p.(Met1?)"),
    # codon 2 GCT (Ala): missense / synonymous
    (23, "G", "C", ("coding_sequence_variant",), ("missense_variant",), "c.4G>C", "p.(Ala2Pro)"),
    (25, "T", "C", ("coding_sequence_variant",), ("synonymous_variant",), "c.6T>C", "p.(Ala2=)"),
    # codon 4 TGG (Trp) -> TGA
    (31, "G", "A", ("coding_sequence_variant",), ("stop_gained",), "c.12G>A", "p.(Trp4Ter)"),
    # codon 6 CTG (Leu): c.17 is the 4th exonic base before the donor (no splice region),
    # c.18 the 3rd (splice region)
    (36, "T", "C", ("coding_sequence_variant",), ("missense_variant",), "c.17T>C", "p.(Leu6Pro)"),
    (37, "G", "A", ("splice_region_variant", "coding_sequence_variant"),
     ("splice_region_variant", "synonymous_variant"), "c.18G>A", "p.(Leu6=)"),
    # split codon 7 CA|G (Gln)
    (39, "A", "G", ("splice_region_variant", "coding_sequence_variant"),
     ("missense_variant", "splice_region_variant"), "c.20A>G", "p.(Gln7Arg)"),
    (60, "G", "T", ("splice_region_variant", "coding_sequence_variant"),
     ("missense_variant", "splice_region_variant"), "c.21G>T", "p.(Gln7His)"),
    # codon 8 TCT: c.24 is the 4th exonic base after the acceptor
    (63, "T", "C", ("coding_sequence_variant",), ("synonymous_variant",), "c.24T>C", "p.(Ser8=)"),
    # donor +1/+2, region +3..+8, plain intron from +9
    (40, "G", "A", ("splice_donor_variant",), ("splice_donor_variant",), "c.20+1G>A", None),
    (41, "T", "C", ("splice_donor_variant",), ("splice_donor_variant",), "c.20+2T>C", None),
    (42, "A", "G", ("splice_region_variant", "intron_variant"),
     ("splice_region_variant", "intron_variant"), "c.20+3A>G", None),
    (47, "T", "C", ("splice_region_variant", "intron_variant"),
     ("splice_region_variant", "intron_variant"), "c.20+8T>C", None),
    (48, "C", "T", ("intron_variant",), ("intron_variant",), "c.20+9C>T", None),
    # intron middle: 10 bases from exon 1, 11 from exon 2 and vice versa
    (49, "T", "C", ("intron_variant",), ("intron_variant",), "c.20+10T>C", None),
    (50, "C", "T", ("intron_variant",), ("intron_variant",), "c.21-10C>T", None),
    # acceptor side
    (51, "T", "C", ("intron_variant",), ("intron_variant",), "c.21-9T>C", None),
    (52, "C", "T", ("splice_region_variant", "intron_variant"),
     ("splice_region_variant", "intron_variant"), "c.21-8C>T", None),
    (57, "C", "T", ("splice_region_variant", "intron_variant"),
     ("splice_region_variant", "intron_variant"), "c.21-3C>T", None),
    (58, "A", "G", ("splice_acceptor_variant",), ("splice_acceptor_variant",), "c.21-2A>G", None),
    (59, "G", "A", ("splice_acceptor_variant",), ("splice_acceptor_variant",), "c.21-1G>A", None),
    # stop codon TAA: T>C -> CAA (Gln), read-through GCA GCA TGA -> new stop 3 codons on
    (76, "T", "C", ("coding_sequence_variant",), ("stop_lost",), "c.37T>C", "p.(Ter13GlnextTer3)"),
    (78, "A", "G", ("coding_sequence_variant",), ("stop_retained_variant",), "c.39A>G",
     "p.(Ter13=)"),
    # 3' UTR
    (79, "G", "A", ("3_prime_UTR_variant",), ("3_prime_UTR_variant",), "c.*1G>A", None),
    (85, "T", "C", ("3_prime_UTR_variant",), ("3_prime_UTR_variant",), "c.*7T>C", None),
]


@pytest.mark.parametrize("g,r,a,terms,_fterms,hgvs_c,_p", SNV_TABLE)
def test_snv_plus_strand_without_fasta(g, r, a, terms, _fterms, hgvs_c, _p):
    assert GENOME[g] == r
    c = csq(P, g, r, a)
    assert c.consequences == terms
    assert c.hgvs_c == hgvs_c
    assert c.hgvs_p is None
    assert c.gene == "GENEP" and c.transcript == "NM_000001" and c.strand == "+"


@pytest.mark.parametrize("g,r,a,terms,_fterms,hgvs_c,_p", SNV_TABLE)
def test_snv_minus_strand_without_fasta(g, r, a, terms, _fterms, hgvs_c, _p):
    gm = 199 - g  # mirrored position on M, complemented alleles
    assert GENOME[gm] == COMP[r]
    c = csq(M, gm, COMP[r], COMP[a])
    assert c.consequences == terms
    assert c.hgvs_c == hgvs_c
    assert c.strand == "-"


@pytest.mark.parametrize("g,r,a,_terms,fterms,hgvs_c,hgvs_p", SNV_TABLE)
def test_snv_with_fasta_both_strands(ref, g, r, a, _terms, fterms, hgvs_c, hgvs_p):
    for tx, pos, rr, aa in ((P, g, r, a), (M, 199 - g, COMP[r], COMP[a])):
        c = csq(tx, pos, rr, aa, reference=ref)
        assert c.consequences == fterms, tx.id
        assert c.hgvs_c == hgvs_c, tx.id
        assert c.hgvs_p == hgvs_p, tx.id


def test_reference_translation_of_synthetic_transcripts(ref):
    for tx in (P, M):
        assert ref.transcript_sequence(tx) == REGION_P[:30] + REGION_P[50:]
        assert ref.protein(tx) == "MAEWKLQSGYRK*"


def test_mnv():
    # codon 2 GCT -> TTT (c.4_5delinsTT)
    assert csq(P, 23, "GC", "TT").consequences == ("coding_sequence_variant",)
    assert csq(P, 23, "GC", "TT").hgvs_c == "c.4_5delinsTT"
    # on M the same change is genomic 175..176 GC -> AA
    assert csq(M, 175, "GC", "AA").hgvs_c == "c.4_5delinsTT"


def test_mnv_with_fasta(ref):
    c = csq(P, 23, "GC", "TT", reference=ref)
    assert c.consequences == ("missense_variant",) and c.hgvs_p == "p.(Ala2Phe)"


# ----------------------------------------------------------------------------- indels
def test_frameshift_deletion_plus():
    # VCF GA>G at pos 27 deletes g27 (A of GAA, codon 3); "AA" at g27-28
    c = csq(P, 26, "GA", "G")
    assert c.consequences == ("frameshift_variant",)
    assert c.hgvs_c == "c.8del"  # not 3'-shifted without FASTA


def test_frameshift_deletion_plus_with_fasta(ref):
    c = csq(P, 26, "GA", "G", reference=ref)
    assert c.consequences == ("frameshift_variant",)
    assert c.hgvs_c == "c.9del"  # shifted 3' over the AA run
    # ATG GCT GAT GGA AAC TGC AGT CTG GCT ACC GTA AGT AAG CAG CAT GAC C: no stop
    assert c.hgvs_p == "p.(Glu3AspfsTer?)"


def test_frameshift_deletion_minus():
    # mirror of g27-28 "AA" is g171-172 "TT"; VCF left-aligned: anchor g170 (A), delete g171
    assert GENOME[170:173] == "ATT"
    c = csq(M, 170, "AT", "A")
    assert c.consequences == ("frameshift_variant",)
    assert c.hgvs_c == "c.9del"  # left-aligned on - strand == 3'-most in transcript


def test_frameshift_deletion_minus_with_fasta(ref):
    c = csq(M, 170, "AT", "A", reference=ref)
    assert (c.consequences, c.hgvs_c, c.hgvs_p) == (
        ("frameshift_variant",), "c.9del", "p.(Glu3AspfsTer?)")


def test_frameshift_insertion_creating_stop(ref):
    # insert A between c.10 (T) and c.11 (G) of TGG -> TAG
    c = csq(P, 29, "T", "TA")
    assert c.consequences == ("frameshift_variant",) and c.hgvs_c == "c.10_11insA"
    c = csq(P, 29, "T", "TA", reference=ref)
    assert c.consequences == ("stop_gained", "frameshift_variant")
    assert c.hgvs_c == "c.10_11insA" and c.hgvs_p == "p.(Trp4Ter)"


def test_inframe_deletion(ref):
    # delete codon 5 AAA (g32-34), anchor g31 G
    for r in (None, ref):
        c = csq(P, 31, "GAAA", "G", reference=r)
        assert c.consequences == ("inframe_deletion",)
        assert c.hgvs_c == "c.13_15del"
    assert csq(P, 31, "GAAA", "G", reference=ref).hgvs_p == "p.(Lys5del)"
    # the same deletion on M: g165-167 "TTT" (mirror of g32-34), VCF anchor g164
    # (complement of g35, C)
    assert GENOME[164:168] == "GTTT"
    c = csq(M, 164, "GTTT", "G")
    assert (c.consequences, c.hgvs_c) == (("inframe_deletion",), "c.13_15del")
    c = csq(M, 164, "GTTT", "G", reference=ref)
    assert (c.consequences, c.hgvs_c, c.hgvs_p) == (
        ("inframe_deletion",), "c.13_15del", "p.(Lys5del)")


def test_inframe_insertion_duplication(ref):
    # GCT inserted after ATG, left-aligned at g22|g23; 3'-most form is CTG after g26,
    # which duplicates c.5_7 (CTG); protein MAAE...: duplication of Ala2
    c = csq(P, 22, "G", "GGCT")
    assert c.consequences == ("inframe_insertion",)
    assert c.hgvs_c == "c.3_4insGCT"
    c = csq(P, 22, "G", "GGCT", reference=ref)
    assert (c.consequences, c.hgvs_c, c.hgvs_p) == (
        ("inframe_insertion",), "c.5_7dup", "p.(Ala2dup)")
    # M, left-aligned = 3'-most in transcript: CAG inserted between g172 and g173
    c = csq(M, 172, "T", "TCAG")
    assert c.consequences == ("inframe_insertion",) and c.hgvs_c == "c.7_8insCTG"
    c = csq(M, 172, "T", "TCAG", reference=ref)
    assert (c.hgvs_c, c.hgvs_p) == ("c.5_7dup", "p.(Ala2dup)")


def test_deletion_across_donor(ref):
    # delete g39..41 (c.20, +1, +2), anchor g38; left-aligned (g38 C != T)
    c = csq(P, 38, "CAGT", "C")
    assert c.consequences == (
        "splice_donor_variant", "splice_region_variant", "coding_sequence_variant")
    assert c.hgvs_c == "c.20_20+2del"
    # AGT|A: the same deletion can slide one base 3' (g40..42, GTA): HGVS uses that
    # form, the consequence stays that of the VCF representation (as in VEP)
    c = csq(P, 38, "CAGT", "C", reference=ref)
    assert c.hgvs_c == "c.20+1_20+3del"
    assert c.consequences[0] == "splice_donor_variant"
    # On M the left-aligned VCF form mirrors P's 3' form: g157..159 (TAC), anchor g156
    assert GENOME[156:160] == "TTAC"
    c = csq(M, 156, "TTAC", "T")
    assert c.consequences == (
        "splice_donor_variant", "splice_region_variant", "intron_variant")
    assert c.hgvs_c == "c.20+1_20+3del"


def test_insertions_at_splice_boundaries():
    # exon|intron boundary (between c.20 and c.20+1): splice region only
    c = csq(P, 39, "A", "AT")
    assert c.consequences == ("splice_region_variant",) and c.hgvs_c == "c.20_20+1insT"
    # between +1 and +2: inside the donor site
    c = csq(P, 40, "G", "GA")
    assert c.consequences == ("splice_donor_variant",) and c.hgvs_c == "c.20+1_20+2insA"
    # between +2 and +3: splice region, not intronic
    assert csq(P, 41, "T", "TC").consequences == ("splice_region_variant",)
    # deep intron
    assert csq(P, 49, "T", "TC").consequences == ("intron_variant",)
    # between -1 and the first base of exon 2 (acceptor side boundary) on M:
    # M acceptor boundary mirrors g59|g60 -> between g139 and g140
    assert csq(M, 139, "C", "CA").consequences == ("splice_region_variant",)


def test_insertions_at_cds_boundaries():
    # between c.-1 and c.1: 5' UTR; between c.39 and c.*1: 3' UTR
    assert csq(P, 19, "A", "AT").consequences == ("5_prime_UTR_variant",)
    assert csq(P, 78, "A", "AT").consequences == ("3_prime_UTR_variant",)
    assert csq(M, 179, "A", "AT").consequences == ("5_prime_UTR_variant",)
    assert csq(M, 120, "C", "CT").consequences == ("3_prime_UTR_variant",)


def test_deletion_of_start_codon_region(ref):
    # delete c.-1 and c.1 (g19-20), anchor g18: UTR + CDS -> no frame prediction
    assert GENOME[18:21] == "CAA"
    c = csq(P, 18, "CAA", "C", reference=ref)
    assert c.consequences == ("coding_sequence_variant", "5_prime_UTR_variant")
    assert c.hgvs_p is None
    assert c.hgvs_c == "c.-1_1del"


def test_transcript_ablation():
    c = csq(P, 4, GENOME[4:95], GENOME[4])
    assert c.consequences == ("transcript_ablation",)
    assert c.hgvs_c is None


# ----------------------------------------------------------------------------- flanks
def test_upstream_downstream_and_out_of_range():
    up = csq(P, 5, "C", "T")
    assert up.consequences == ("upstream_gene_variant",) and up.distance == 5
    assert up.hgvs_c is None
    down = csq(P, 95, GENOME[95], "A" if GENOME[95] != "A" else "C")
    assert down.consequences == ("downstream_gene_variant",) and down.distance == 6
    # the - strand transcript M: left of it is downstream, right of it upstream
    assert csq(M, 95, GENOME[95], "T" if GENOME[95] != "T" else "C").consequences == (
        "downstream_gene_variant",)
    assert csq(M, 195, "G", "A").consequences == ("upstream_gene_variant",)
    assert csq(M, 195, "G", "A").distance == 6
    # beyond the flank
    assert csq(P, 5, "C", "T", flank=4) is None
    assert consequence_terms(P, "1", 10_000, "A", "G") == ()
    # insertion right before the first base is outside (upstream, distance 1)
    ins = csq(P, 9, "C", "CA")
    assert ins.consequences == ("upstream_gene_variant",) and ins.distance == 1


def test_non_coding_transcript():
    c = transcript_consequence(N, "1", 311, "A", "G")
    assert c.consequences == ("non_coding_transcript_exon_variant",)
    assert c.hgvs_c == "n.11A>G"
    c = transcript_consequence(N, "1", 361, "A", "G")  # g360: 11 after exon 1 end
    assert c.consequences == ("intron_variant",) and c.hgvs_c == "n.50+11A>G"
    assert transcript_consequence(N, "1", 351, "A", "G").consequences == (
        "splice_donor_variant",)


def test_short_intron_is_a_gap_without_splice_terms():
    gap = Transcript("NM_9", "G9", "1", "+", 0, 100, 10, 90, (0, 53), (50, 100), False)
    assert transcript_consequence(gap, "1", 51, "A", "G").consequences == ("intron_variant",)
    assert transcript_consequence(gap, "1", 49, "A", "G").consequences == (
        "coding_sequence_variant",)


def test_intronic_position_next_to_an_empty_exon_has_no_hgvs_name():
    # a malformed model (empty exon [60,60)): the exon base left of the intron has no
    # mRNA offset, so there is no c. position (was a TypeError on formatting None)
    bad = Transcript("NM_8", "G8", "1", "+", 10, 120, 10, 120, (10, 60, 90), (40, 60, 120), False)
    assert hgvs_position(bad, 62) is None  # nearer the empty exon than exon 3
    assert hgvs_position(bad, 88) == "31-2"  # nearer exon 3: still named
    assert transcript_consequence(bad, "1", 63, "A", "G").hgvs_c is None
    # inside the transcript but before its first exon: not between two exons
    early = Transcript("NM_7", "G7", "1", "+", 0, 100, 10, 90, (10, 60), (40, 100), False)
    assert hgvs_position(early, 5) is None
    assert hgvs_position(P, 45) == "20+6"  # a well-formed intron is unchanged


# ----------------------------------------------------------------------------- alleles
def test_normalize_allele():
    a = normalize_allele(100, "CA", "C")
    assert (a.start, a.end, a.ref, a.alt) == (100, 101, "A", "")
    a = normalize_allele(100, "C", "CTT")
    assert (a.start, a.end, a.ref, a.alt, a.is_insertion) == (100, 100, "", "TT", True)
    a = normalize_allele(100, "CAT", "CGT")  # MNV-style padding on both sides
    assert (a.start, a.end, a.ref, a.alt) == (100, 101, "A", "G")
    for alt in ("<DEL>", "*", ".", "C", "N]1:5]"):
        assert normalize_allele(100, "C", alt) is None


def test_symbolic_allele_gives_no_annotation(tmp_path):
    model = _model(tmp_path)
    assert annotate_variant(model, "1", 30, "A", "<DEL>") == []


# ----------------------------------------------------------------------------- model level
def _model(tmp_path: Path) -> GeneModel:
    rows = []
    for t in (P, M, N):
        offs = ",".join(str(s - t.tx_start) for s in t.exon_starts)
        lens = ",".join(str(e - s) for s, e in zip(t.exon_starts, t.exon_ends, strict=True))
        rows.append(f"1\t{t.tx_start}\t{t.tx_end}\t{t.strand}\t{t.id}\t{t.gene}\t"
                    f"{t.cds_start}\t{t.cds_end}\t{offs}\t{lens}\t1\n")
    p = tmp_path / "synthetic.tsv"
    p.write_text("#triage-gene-model\tbuild=test\tversion=synthetic\n" + "".join(rows))
    return GeneModel.load(p)


def test_annotate_variant_and_most_severe_per_gene(tmp_path):
    model = _model(tmp_path)
    # g40 donor of P; downstream of nothing else within 5 kb? M and N are within 5 kb
    res = annotate_variant(model, "chr1", 41, "G", "A")
    by_gene = most_severe_per_gene(res)
    assert by_gene["GENEP"].most_severe == "splice_donor_variant"
    assert by_gene["GENEP"].impact == "HIGH"
    assert by_gene["GENEM"].most_severe == "downstream_gene_variant"
    assert by_gene["GENEN"].most_severe == "upstream_gene_variant"
    assert res[0].gene == "GENEP"  # sorted most severe first
    far = annotate_variant(model, "1", 1_000_000, "A", "G")
    assert far == [INTERGENIC] and far[0].most_severe == "intergenic_variant"


def test_most_severe_per_gene_prefers_preferred_on_ties():
    a = Transcript("NM_2", "G", "1", "+", 0, 100, 10, 90, (0,), (100,), False)
    b = Transcript("NM_3", "G", "1", "+", 0, 100, 10, 90, (0,), (100,), True)
    c = Transcript("NM_4", "G", "1", "+", 0, 100, 10, 90, (0, 60), (40, 100), False)
    res = [transcript_consequence(t, "1", 56, "A", "G") for t in (a, b, c)]
    assert res[2].consequences == ("splice_region_variant", "intron_variant")
    best = most_severe_per_gene(res)
    # NM_4: g55 is -5 of its intron -> splice_region beats coding_sequence_variant
    assert best["G"].transcript == "NM_4"
    best = most_severe_per_gene(res[:2])
    assert best["G"].transcript == "NM_3"  # same term: the preferred transcript wins


def test_severity_order_and_impact():
    assert SEVERITY_ORDER.index("splice_acceptor_variant") < SEVERITY_ORDER.index(
        "splice_donor_variant") < SEVERITY_ORDER.index("stop_gained") < SEVERITY_ORDER.index(
        "frameshift_variant") < SEVERITY_ORDER.index("stop_lost") < SEVERITY_ORDER.index(
        "start_lost") < SEVERITY_ORDER.index("inframe_insertion") < SEVERITY_ORDER.index(
        "missense_variant") < SEVERITY_ORDER.index("splice_region_variant") < SEVERITY_ORDER.index(
        "synonymous_variant") < SEVERITY_ORDER.index("coding_sequence_variant") < SEVERITY_ORDER.index(
        "5_prime_UTR_variant") < SEVERITY_ORDER.index("intron_variant") < SEVERITY_ORDER.index(
        "upstream_gene_variant") < SEVERITY_ORDER.index("intergenic_variant")
    assert most_severe(["intron_variant", "missense_variant", "splice_region_variant"]) == (
        "missense_variant")
    assert most_severe([]) is None
    assert IMPACT["frameshift_variant"] == "HIGH"
    assert IMPACT["missense_variant"] == "MODERATE"
    assert IMPACT["synonymous_variant"] == "LOW"
    assert IMPACT["intron_variant"] == "MODIFIER"


# ----------------------------------------------------------------------------- Reference
def test_reference_contig_naming_and_ref_check(ref):
    assert ref.contig("chr1") == "1" and ref.contig("1") == "1"
    assert ref.fetch("chr1", 20, 23) == "ATG"
    ref.check_ref("chr1", 21, "ATG")
    with pytest.raises(GenomeBuildError, match=r"chr1:21.*TTG|TTG.*chr1:21"):
        ref.check_ref("chr1", 21, "TTG")
    with pytest.raises(GenomeBuildError, match="chr2"):
        ref.contig("chr2")


def test_annotate_variant_checks_ref_against_fasta(tmp_path, ref):
    model = _model(tmp_path)
    with pytest.raises(GenomeBuildError, match="does not match"):
        annotate_variant(model, "chr1", 21, "C", "G", reference=ref)
    res = annotate_variant(model, "chr1", 21, "A", "G", reference=ref)
    assert most_severe_per_gene(res)["GENEP"].most_severe == "start_lost"


def test_reference_build_check(ref, tmp_path):
    with pytest.raises(GenomeBuildError, match="length 200"):
        Reference(ref.path, build="GRCh38")
    with pytest.raises(DataError, match="missing.fa"):
        Reference(tmp_path / "missing.fa")


# ----------------------------------------------------------------------------- real model
@pytest.fixture(scope="module")
def grch38() -> GeneModel:
    return GeneModel.load("GRCh38")


def test_fgfr2_pfeiffer_variant_grch38(grch38):
    # FGFR2 is on the - strand; chr10:121496701 T>G (GRCh38) is the Exomiser Pfeiffer
    # variant, published as NM_000141 c.1694A>C (p.Glu565Ala). Strand flip: T>G = A>C.
    res = annotate_variant(grch38, "chr10", 121496701, "T", "G")
    by_tx = {c.transcript: c for c in res}
    c = by_tx["NM_000141.5"]
    assert c.strand == "-" and c.coding
    assert c.consequences == ("coding_sequence_variant",)
    assert c.hgvs_c == "c.1694A>C"
    best = most_severe_per_gene(res)["FGFR2"]
    assert best.preferred and best.most_severe == "coding_sequence_variant"
    assert set(most_severe_per_gene(res)) == {"FGFR2"}


def test_fgfr2_pfeiffer_variant_grch37():
    res = annotate_variant(GeneModel.load("GRCh37"), "10", 123256215, "T", "G")
    assert {c.transcript: c.hgvs_c for c in res}["NM_000141.5"] == "c.1694A>C"

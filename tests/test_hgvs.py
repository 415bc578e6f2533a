"""Reportable HGVS names (docs/hgvs.md): transcript choice (MANE), versions, 3' shifting on
both strands with and without a FASTA, dup, p., the notes that say what is missing, and
syntax checked by an independent parser (biocommons ``hgvs``)."""

from __future__ import annotations

import pytest
from hgvs_testlib import smarcb1_fasta
from test_consequence import GENOME, M, P, csq

from triage.variants.consequences import (
    NOTE_DUP,
    NOTE_P_DEL,
    NOTE_P_FS,
    NOTE_P_INS,
    NOTE_P_LIMITED,
    NOTE_P_SNV,
    NOTE_SHIFT,
    Reference,
    annotate_variant,
    most_severe_per_gene,
)
from triage.variants.gene_model import GeneModel
from triage.variants.hgvs import VariantNamer, load_mane

SMARCB1_B37 = ("22", 24175856, "GAGA", "G")
FGFR2_B37 = ("10", 123256215, "T", "G")


@pytest.fixture(scope="module")
def grch37() -> GeneModel:
    return GeneModel.load("GRCh37")


@pytest.fixture(scope="module")
def fasta(tmp_path_factory):
    """The synthetic 200 bp genome of test_consequence as an indexed FASTA."""
    import pysam

    fa = tmp_path_factory.mktemp("fa") / "synthetic.fa"
    fa.write_text(">1\n" + "\n".join(GENOME[i:i + 60] for i in range(0, 200, 60)) + "\n")
    pysam.faidx(str(fa))
    r = Reference(fa)
    yield r
    r.close()


@pytest.fixture(scope="module")
def smarcb1_ref(grch37, tmp_path_factory):
    r = Reference(smarcb1_fasta(tmp_path_factory.mktemp("fa") / "chr22.fa", grch37), build="GRCh37")
    yield r
    r.close()


def _parser():
    hgvs_parser = pytest.importorskip("hgvs.parser", reason="biocommons hgvs not installed (dev extra)")
    return hgvs_parser.Parser()


def check_syntax(names: list[str]) -> None:
    """Every name parses with the biocommons hgvs grammar (an independent implementation)."""
    parser = _parser()
    bad = []
    for n in names:
        try:
            parser.parse_hgvs_variant(n)
        except Exception as exc:  # the parser raises its own HGVSParseError
            bad.append(f"{n}: {exc}")
    assert not bad, bad


# ----------------------------------------------------------------------------- transcript choice
def test_mane_select_is_the_reported_transcript_both_builds(grch37):
    """The demo's SMARCB1 deletion and the Pfeiffer FGFR2 SNV are named on MANE Select,
    with its version, on GRCh37 (preference matched by accession) and GRCh38."""
    best = most_severe_per_gene(annotate_variant(grch37, *SMARCB1_B37))["SMARCB1"]
    assert best.transcript == "NM_003073.5" and best.most_severe == "inframe_deletion"
    best = most_severe_per_gene(annotate_variant(grch37, *FGFR2_B37))["FGFR2"]
    assert (best.transcript, best.hgvs_c) == ("NM_000141.5", "c.1694A>C")
    grch38 = GeneModel.load("GRCh38")
    best = most_severe_per_gene(annotate_variant(grch38, "chr10", 121496701, "T", "G"))["FGFR2"]
    assert (best.transcript, best.hgvs_c) == ("NM_000141.5", "c.1694A>C")
    best = most_severe_per_gene(annotate_variant(grch38, "chr22", 23833669, "GAGA", "G"))["SMARCB1"]
    assert best.transcript == "NM_003073.5"


def test_severity_before_mane():
    """A more severe effect on another transcript is what the row reports (the ranking
    needs it); the namer still lists the MANE transcript's name first after it."""
    # MANE: exons [10,40) [60,90); the other: [10,55) [60,90); CDS [20,79) in both
    rows = ["1\t10\t90\t+\tNM_000101.2\tGX\t20\t79\t0,50\t30,30\t1",
            "1\t10\t90\t+\tNM_000102\tGX\t20\t79\t0,50\t45,30\t0"]
    model = GeneModel(rows, version="test", build="GRCh38")
    # g49 (VCF pos 50) is c.20+10 in the MANE transcript, coding in the other one
    res = annotate_variant(model, "1", 50, "A", "G")
    assert {c.transcript: c.most_severe for c in res} == {
        "NM_000101.2": "intron_variant", "NM_000102": "coding_sequence_variant"}
    assert most_severe_per_gene(res)["GX"].transcript == "NM_000102"
    namer = VariantNamer(model, mane={"NM_000101.2": ("select", "NP_000092.1")}, older=frozenset())
    eff = namer.effects("1", 50, "A", "G", "GX", "NM_000102")
    assert [(e.transcript, e.reported, e.mane) for e in eff] == [
        ("NM_000102", True, None), ("NM_000101.2", False, "select")]
    assert eff[1].protein == "NP_000092.1" and eff[1].hgvs_c == "c.20+10A>G"


def test_older_refgene_versions_are_noted(grch37):
    """FGFR2's refGene 2019 NM_000141 has other ends than MANE's NM_000141.5: the name
    carries MANE's version and a note to confirm the numbering; SMARCB1's has MANE's span."""
    from triage.variants.hgvs import older_versions

    older = older_versions()
    assert "NM_000141.5" in older and "NM_003073.5" not in older and len(older) > 5000
    eff = VariantNamer(grch37).effects(*FGFR2_B37, "FGFR2", "NM_000141.5")
    assert eff[0].transcript == "NM_000141.5" and "confirm the c. numbering on NM_000141.5" in eff[0].hgvs_note


def test_mane_table_versions():
    mane = load_mane()
    assert mane["NM_003073.5"] == ("select", "NP_003064.2")
    assert mane["NM_000141.5"] == ("select", "NP_000132.3")
    assert sum(s == "plus_clinical" for s, _ in mane.values()) == 56
    assert all("." in k and "." in p for k, (_, p) in mane.items())


# ----------------------------------------------------------------------------- 3' shift, dup
def test_no_fasta_shift_across_the_vcf_bases_plus_strand():
    # GAA (codon 3) holds an AA run at g27-28; the minimal VCF GA>G names c.8del and says
    # it could not check further 3'
    c = csq(P, 26, "GA", "G")
    assert c.hgvs_c == "c.8del" and NOTE_SHIFT in c.hgvs_note and NOTE_P_FS in c.hgvs_note
    # a record whose REF carries the run and the base after it: exact without a FASTA
    assert GENOME[26:30] == "GAAT"
    c = csq(P, 26, "GAAT", "GAT")
    assert c.hgvs_c == "c.9del" and NOTE_SHIFT not in c.hgvs_note


def test_no_fasta_left_aligned_minus_strand_is_3prime():
    # on a - strand transcript the left-aligned VCF form is the 3'-most: the anchor base
    # proves the deletion cannot slide further, so no note on c.
    c = csq(M, 170, "AT", "A")
    assert c.hgvs_c == "c.9del" and c.hgvs_note == NOTE_P_FS


def test_dup_without_fasta_when_the_record_shows_it():
    # GCT inserted after ATG: with the REF carrying the following bases, the 3'-most form
    # duplicates c.5_7 (CTG), as with the FASTA
    ref = GENOME[22:28]
    assert ref == "GGCTGA"
    c = csq(P, 22, ref, ref[0] + "GCT" + ref[1:])
    assert (c.hgvs_c, c.hgvs_note) == ("c.5_7dup", NOTE_P_INS)
    # the minimal record: named as an insertion, the shift note says why
    c = csq(P, 22, "G", "GGCT")
    assert c.hgvs_c == "c.3_4insGCT" and NOTE_SHIFT in c.hgvs_note
    # - strand: left-aligned is 3'-most, but the duplicated copy lies right of it
    c = csq(M, 172, "T", "TCAG")
    assert c.hgvs_c == "c.7_8insCTG" and NOTE_DUP in c.hgvs_note and NOTE_SHIFT not in c.hgvs_note
    ref = GENOME[172:176]
    c = csq(M, 172, ref, ref[0] + "CAG" + ref[1:])
    assert c.hgvs_c == "c.5_7dup" and NOTE_DUP not in (c.hgvs_note or "")


@pytest.mark.parametrize("tx,g,r,a,expect", [
    # + strand: deletion in a run slides 3' (right); dup after shifting
    (P, 26, "GA", "G", ("c.9del", "p.(Glu3AspfsTer?)")),
    (P, 22, "G", "GGCT", ("c.5_7dup", "p.(Ala2dup)")),
    # - strand: the same changes mirrored slide left in the genome
    (M, 170, "AT", "A", ("c.9del", "p.(Glu3AspfsTer?)")),
    (M, 172, "T", "TCAG", ("c.5_7dup", "p.(Ala2dup)")),
    # single-base duplication: insert A into the AA run (g27-28) on P -> c.9dup
    (P, 26, "G", "GA", ("c.9dup", "p.(Trp4MetfsTer9)")),
    (M, 170, "A", "AT", ("c.9dup", "p.(Trp4MetfsTer9)")),
])
def test_with_fasta_shift_dup_both_strands(fasta, tx, g, r, a, expect):
    c = csq(tx, g, r, a, reference=fasta)
    assert (c.hgvs_c, c.hgvs_p) == expect
    assert c.hgvs_note is None


# ----------------------------------------------------------------------------- p.
def test_p_without_fasta_only_where_the_alleles_determine_it():
    # whole-codon deletion (codon 5 AAA): p. from the VCF bases, placed as far C-terminal
    # as they allow (the next codon is unknown)
    c = csq(P, 31, "GAAA", "G")
    assert c.hgvs_p == "p.(Lys5del)" and NOTE_P_LIMITED in c.hgvs_note
    ref = GENOME[31:38]  # the REF carries the next codon (CTG, Leu): exact
    c = csq(P, 31, ref, ref[0] + ref[4:])
    assert c.hgvs_p == "p.(Lys5del)" and NOTE_P_LIMITED not in (c.hgvs_note or "")
    c = csq(M, 164, "GTTT", "G")
    assert c.hgvs_c == "c.13_15del" and c.hgvs_p == "p.(Lys5del)"
    # a deletion across two codons: not determinable without the FASTA
    c = csq(P, 24, "CTGA", "C")  # deletes c.6-8 (T|GA)
    assert c.hgvs_p is None and NOTE_P_DEL in c.hgvs_note
    # SNV: missense and synonymous cannot be told apart
    c = csq(P, 23, "G", "C")
    assert c.hgvs_p is None and c.hgvs_note == NOTE_P_SNV


def test_p_with_fasta_always_for_coding_changes(fasta):
    assert csq(P, 23, "G", "C", reference=fasta).hgvs_p == "p.(Ala2Pro)"
    assert csq(P, 25, "T", "C", reference=fasta).hgvs_p == "p.(Ala2=)"
    assert csq(P, 24, "CTGA", "C", reference=fasta).hgvs_p is not None
    assert csq(P, 31, "GAAA", "G", reference=fasta).hgvs_p == "p.(Lys5del)"


# ----------------------------------------------------------------------------- the demo variant
def test_demo_smarcb1_without_fasta(grch37):
    """The demo's minimal record cannot be shifted without the sequence: named at its VCF
    position with the note; a record carrying the repeat names it exactly."""
    res = {c.transcript: c for c in annotate_variant(grch37, *SMARCB1_B37)}
    c = res["NM_003073.5"]
    assert c.hgvs_c == "c.1085_1087del" and c.hgvs_p is None and NOTE_SHIFT in c.hgvs_note
    res = {c.transcript: c for c in annotate_variant(grch37, "22", 24175856, "GAGAAGAAGA", "GAGAAGA")}
    c = res["NM_003073.5"]
    assert (c.hgvs_c, c.hgvs_p) == ("c.1091_1093del", "p.(Lys364del)")
    assert NOTE_SHIFT in c.hgvs_note  # the base after the repeat is not in the record


def test_demo_smarcb1_with_synthetic_fasta(grch37, smarcb1_ref):
    res = {c.transcript: c for c in annotate_variant(grch37, *SMARCB1_B37, reference=smarcb1_ref)}
    c = res["NM_003073.5"]
    assert (c.consequences, c.hgvs_c, c.hgvs_p, c.hgvs_note) == (
        ("inframe_deletion",), "c.1091_1093del", "p.(Lys364del)", None)
    assert most_severe_per_gene(res.values())["SMARCB1"].transcript == "NM_003073.5"
    namer = VariantNamer(grch37, smarcb1_ref)
    eff = namer.effects(*SMARCB1_B37, "SMARCB1", "NM_003073.5")
    assert (eff[0].transcript, eff[0].mane, eff[0].protein, eff[0].hgvs_p) == (
        "NM_003073.5", "select", "NP_003064.2", "p.(Lys364del)")
    assert {e.transcript for e in eff} >= {"NM_001362877", "NM_001007468", "NM_001317946"}


# ----------------------------------------------------------------------------- syntax
def test_names_parse_with_biocommons_hgvs(grch37, fasta, smarcb1_ref):
    """Every c./p. name these rules write for the synthetic transcripts (SNVs at every
    position, indels, dups, with and without FASTA) and the demo variant parses."""
    names = []
    for tx, prot in ((P, "NP_000001.1"), (M, "NP_000002.1")):
        acc = tx.id + ".1"
        for g in range(tx.tx_start, tx.tx_end):
            b = GENOME[g]
            alt = "A" if b != "A" else "C"
            for variant in ((g + 1, b, alt), (g + 1, GENOME[g:g + 2], GENOME[g]),
                            (g + 1, b, b + "A"), (g + 1, GENOME[g:g + 4], GENOME[g])):
                for r in (None, fasta):
                    c = csq(tx, variant[0] - 1, variant[1], variant[2], reference=r)
                    if c is not None and c.hgvs_c:
                        names.append(f"{acc}:{c.hgvs_c}")
                    if c is not None and c.hgvs_p:
                        names.append(f"{prot}:{c.hgvs_p}")
    for r in (None, smarcb1_ref):
        for c in annotate_variant(grch37, *SMARCB1_B37, reference=r):
            if c.hgvs_c:
                names.append(f"{c.transcript if '.' in c.transcript else c.transcript + '.1'}:{c.hgvs_c}")
    assert len(names) > 1000
    assert "NM_003073.5:c.1091_1093del" in names
    check_syntax(names)

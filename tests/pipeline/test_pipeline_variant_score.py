"""Variant pathogenicity: truth tables of the pure scoring functions."""

from __future__ import annotations

import numpy as np
import pytest

from triage.variants.variant_scores import (
    CLNSIG_BENIGN,
    CLNSIG_CONFLICTING,
    CLNSIG_NONE,
    CLNSIG_PATHOGENIC,
    CLNSIG_UNCERTAIN,
    clinvar_class,
    coding_snv_score,
    consequence_prior,
    frequency_factor,
    pathogenicity,
    review_stars,
)


@pytest.mark.parametrize("terms,expected", [
    ("frameshift_variant", 0.95),
    ("stop_gained", 0.95),
    ("splice_donor_variant", 0.95),
    ("splice_acceptor_variant", 0.95),
    ("start_lost", 0.95),
    ("missense_variant", 0.6),
    ("inframe_deletion", 0.6),
    ("coding_sequence_variant", 0.6),
    ("splice_region_variant", 0.3),
    ("synonymous_variant", 0.05),
    ("intron_variant", 0.05),
    ("5_prime_UTR_variant", 0.1),
    ("3_prime_UTR_variant", 0.08),
    ("upstream_gene_variant", 0.02),
    ("intergenic_variant", 0.0),
    ("splice_region_variant&intron_variant", 0.3),  # the highest-scoring term of the row
    ("intron_variant&splice_donor_variant", 0.95),
])
def test_consequence_truth_table(terms, expected):
    assert pathogenicity(np.array([terms], dtype=object))[0] == pytest.approx(expected)


def test_codon_model_without_fasta():
    # third-base pyrimidine transitions are always synonymous
    assert coding_snv_score(2, "C", "T", "+") == pytest.approx(0.05)
    # the first codon is the start codon: any change loses it
    assert coding_snv_score(0, "A", "G", "+", codon_kind=1) == pytest.approx(0.95)
    # second-base changes are never synonymous; a few make stops
    v = coding_snv_score(1, "A", "G", "+")
    assert 0.59 <= v < 0.95
    # minus strand: bases are complemented before lookup (G>A on - is C>T on the transcript)
    assert coding_snv_score(2, "G", "A", "-") == coding_snv_score(2, "C", "T", "+")
    assert coding_snv_score(2, "N", "A", "+") is None
    # the codon score replaces the generic coding_sequence_variant score but not a higher term
    p = pathogenicity(np.array(["coding_sequence_variant", "coding_sequence_variant&splice_region_variant",
                                "frameshift_variant"], dtype=object),
                      codon_score=np.array([0.05, 0.05, 0.05]))
    assert p.tolist() == pytest.approx([0.05, 0.3, 0.95])


def test_frequency_lowers_common_variants_only():
    f = frequency_factor(np.array([np.nan, 1e-5, 5e-4, 0.005, 0.02, 0.2]))
    assert f[0] == 1.0 and f[1] == pytest.approx(1.0, abs=1e-4)
    assert f[2] > 0.98 and f[3] == pytest.approx(0.5) and f[4] < 0.06 and f[5] < 0.001
    p = pathogenicity(np.array(["frameshift_variant"] * 3, dtype=object), pop_af=np.array([np.nan, 1e-5, 0.05]))
    assert p[0] == pytest.approx(0.95) and p[1] == pytest.approx(0.95, abs=1e-3) and p[2] < 0.01


def test_clinvar_overrides():
    csq = np.array(["synonymous_variant", "synonymous_variant", "frameshift_variant", "missense_variant",
                    "missense_variant"], dtype=object)
    cls = np.array([CLNSIG_PATHOGENIC, CLNSIG_PATHOGENIC, CLNSIG_BENIGN, CLNSIG_BENIGN, CLNSIG_UNCERTAIN])
    stars = np.array([2, 0, 1, 0, 3])
    p = pathogenicity(csq, clinvar=cls, clinvar_stars=stars)
    assert p[0] >= 0.95  # P/LP with >= 1 star
    assert p[1] == pytest.approx(0.8)  # P/LP without review: at least 0.8
    assert p[2] <= 0.05  # benign with >= 1 star
    assert p[3] == pytest.approx(0.6)  # benign without stars: unchanged
    assert p[4] == pytest.approx(0.6)  # VUS: unchanged
    # ClinVar pathogenic wins over a high population frequency
    p = pathogenicity(np.array(["missense_variant"], dtype=object), pop_af=np.array([0.05]),
                      clinvar=np.array([CLNSIG_PATHOGENIC]), clinvar_stars=np.array([1]))
    assert p[0] >= 0.95


def test_predictors_replace_the_missense_prior_only():
    csq = np.array(["missense_variant", "missense_variant", "frameshift_variant", "missense_variant"], dtype=object)
    revel = np.array([0.95, 0.05, 0.01, np.nan])
    p = pathogenicity(csq, revel=revel)
    assert p[0] > 0.85 and p[1] < 0.15 and p[2] == pytest.approx(0.95) and p[3] == pytest.approx(0.6)


@pytest.mark.parametrize("text,code", [
    ("Pathogenic", CLNSIG_PATHOGENIC), ("Likely_pathogenic", CLNSIG_PATHOGENIC),
    ("Pathogenic/Likely_pathogenic", CLNSIG_PATHOGENIC), ("pathogenic&likely_pathogenic", CLNSIG_PATHOGENIC),
    ("Benign", CLNSIG_BENIGN), ("Benign/Likely_benign", CLNSIG_BENIGN),
    ("Conflicting_interpretations_of_pathogenicity", CLNSIG_CONFLICTING),
    ("Uncertain_significance", CLNSIG_UNCERTAIN), (None, CLNSIG_NONE), ("", CLNSIG_NONE),
])
def test_clinvar_classes(text, code):
    assert clinvar_class(text) == code


def test_review_stars():
    assert review_stars("reviewed_by_expert_panel") == 3
    assert review_stars("criteria_provided,_multiple_submitters,_no_conflicts") == 2
    assert review_stars("criteria_provided,_single_submitter") == 1
    assert review_stars("no_assertion_criteria_provided") == 0
    assert review_stars(None) == 0


def test_no_id_or_info_af_input():
    """The scoring API has no parameter for the ID column or INFO/AF: nothing to leak."""
    import inspect

    params = set(inspect.signature(pathogenicity).parameters)
    assert not {"id", "rsid", "info_af", "dbsnp"} & params
    assert consequence_prior(np.array([], dtype=object)).shape == (0,)

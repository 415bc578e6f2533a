"""Patient safety: a case's stored annotation is always its own sample's.

Regression tests for the hardening issue's findings 1 (samples ``a/b`` and ``a_b`` of
one VCF shared a stored annotation, so the second case showed the first sample's
variants) and 2 (a 250-character sample id made the stored file name too long).
"""

from __future__ import annotations

import pytest
from helpers import GRCH38_CHR1, submit, wait_case

from triage.api.worker import CaseInputs, stored_annotation_key

# coding positions (GRCh38) of two genes, one private to each sample
FGFR2 = ("chr10", 121479901)
SMARCB1 = ("chr22", 23787201)


def two_sample_vcf(first: str, second: str) -> bytes:
    """``first`` carries a FGFR2 variant only, ``second`` a SMARCB1 variant only."""
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=chr1,length={GRCH38_CHR1}>",
        "##contig=<ID=chr10,length=133797422>",
        "##contig=<ID=chr22,length=50818468>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                         first, second]),
        "\t".join([FGFR2[0], str(FGFR2[1]), ".", "C", "T", "50", "PASS", ".", "GT", "0/1", "0/0"]),
        "\t".join([SMARCB1[0], str(SMARCB1[1]), ".", "G", "A", "50", "PASS", ".", "GT", "0/0", "0/1"]),
    ]
    return ("\n".join(lines) + "\n").encode()


def _variant_sites(result: dict) -> set[tuple[str, int]]:
    return {(v["chrom"], v["pos"]) for g in result["genes"] for v in g["variants"]}


@pytest.mark.parametrize("first,second", [("a/b", "a_b"), ("a_b", "a/b"), ("x y", "x_y")])
def test_samples_differing_only_in_unsafe_characters_get_their_own_variants(
        client, headers, first, second):
    vcf = two_sample_vcf(first, second)
    results = {}
    for sample in (first, second):
        case = submit(client, headers, vcf=vcf, sample=sample, genome_build="GRCh38", top="50")
        st = wait_case(client, headers, case["id"], timeout=90)
        assert st["status"] == "done", st
        results[sample] = client.get(f"/v1/cases/{case['id']}/result", headers=headers).json()
    for sample, own, other in ((first, FGFR2, SMARCB1), (second, SMARCB1, FGFR2)):
        res = results[sample]
        assert res["query"]["sample"] == sample
        sites = _variant_sites(res)
        assert own in sites, f"{sample}: its own variant is missing"
        assert other not in sites, f"{sample}: shows the other sample's variant"


def test_long_sample_id_works(client, headers):
    long_id = "S" * 250
    vcf = two_sample_vcf(long_id, "other")
    case = submit(client, headers, vcf=vcf, sample=long_id, genome_build="GRCh38", top="50")
    st = wait_case(client, headers, case["id"], timeout=90)
    assert st["status"] == "done", st
    res = client.get(f"/v1/cases/{case['id']}/result", headers=headers).json()
    assert res["query"]["sample"] == long_id
    assert FGFR2 in _variant_sites(res)


def test_stored_key_is_opaque_and_exact():
    """The key hashes the exact sample id: no two distinct ids share one, none leaks into it."""
    def key(sample: str | None) -> str:
        return stored_annotation_key(CaseInputs(observed=[], vcf_sha256="ab" * 32, sample=sample,
                                                genome_build="GRCh38", annotation_dir="/x"), "cfg")

    ids = ["a/b", "a_b", "a b", "a.b", "A/B", "", None, "S" * 256, "ü"]
    keys = [key(s) for s in ids]
    assert len(set(keys)) == len(ids)
    assert all(len(k) <= 80 and k.isascii() and "/" not in k for k in keys)
    assert all("a_b" not in k and "S" * 10 not in k for k in keys)
    assert key("a/b") != stored_annotation_key(
        CaseInputs(observed=[], vcf_sha256="ab" * 32, sample="a/b", genome_build="GRCh38",
                   annotation_dir="/x"), "other-config")

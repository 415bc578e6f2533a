"""Optional tabix resources, VEP/snpEff pre-annotation, population-AF mapping."""

from __future__ import annotations

import logging

import numpy as np
import pytest

pysam = pytest.importorskip("pysam")
pytest.importorskip("cyvcf2")

from helpers import write_vcf  # noqa: E402

from triage.errors import DataError  # noqa: E402
from triage.variants.annotation import AnnotateConfig, annotate_vcf  # noqa: E402
from triage.variants.resources import (  # noqa: E402
    ClinVarVcf,
    GenePriorTable,
    PopulationVcf,
    ScoreTable,
    load_resources,
    parse_csq_format,
    pick_entries,
    vep_allele,
)
from triage.variants.vcf_reader import QualityFilter  # noqa: E402

# FGFR2 Pfeiffer variant (GRCh38) and two neighbours
CHROM = "chr10"


def _sites_vcf(path, info_defs, rows):
    import pysam as ps

    hdr = ["##fileformat=VCFv4.2", "##fileDate=20240101", "##source=testdb", *info_defs,
           "##contig=<ID=chr10,length=133797422>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    plain = path.with_suffix("")
    plain.write_text("\n".join(hdr) + "\n" + "".join(r + "\n" for r in rows))
    ps.tabix_compress(str(plain), str(path), force=True)
    ps.tabix_index(str(path), preset="vcf", force=True)
    return path


@pytest.fixture
def resources_dir(tmp_path):
    _sites_vcf(tmp_path / "gnomad.vcf.gz", [
        '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">',
        '##INFO=<ID=AF_grpmax,Number=A,Type=Float,Description="grpmax">',
        '##INFO=<ID=nhomalt,Number=A,Type=Integer,Description="hom">'],
        ["chr10\t121496701\t.\tT\tC\t.\tPASS\tAF=0.3;AF_grpmax=0.4;nhomalt=100",
         "chr10\t121500000\t.\tA\tG,T\t.\tPASS\tAF=0.001,0.02;AF_grpmax=0.002,0.03;nhomalt=0,5"])
    _sites_vcf(tmp_path / "clinvar.vcf.gz", [
        '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="sig">',
        '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="rev">'],
        ["chr10\t121496701\t.\tT\tG\t.\t.\tCLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts"])
    tsv = tmp_path / "revel.tsv"
    tsv.write_text("#chr\tpos\tref\talt\tREVEL\nchr10\t121496701\tT\tG\t0.9\nchr10\t121496701\tT\tG\t0.7\n"
                   "chr10\t121500000\tA\tG\t0.1\n")
    pysam.tabix_compress(str(tsv), str(tsv) + ".gz", force=True)
    pysam.tabix_index(str(tsv) + ".gz", seq_col=0, start_col=1, end_col=1, force=True, meta_char="#")
    prior = tmp_path / "pli.tsv"
    prior.write_text("gene\tpLI\nFGFR2\t0.99\nTTN\t0.0\n")
    return tmp_path


def test_population_lookup(resources_dir):
    src = PopulationVcf(resources_dir / "gnomad.vcf.gz")
    assert "gnomad.vcf.gz" in src.version and "fileDate=20240101" in src.version
    out = src.lookup(["10", "chr10", "chr10", "chr10", "chr1"], np.array([121496701, 121500000, 121500000, 121496701, 5]),
                     ["T", "A", "A", "T", "A"], ["C", "T", "C", "G", "G"])
    assert out["af"][0] == pytest.approx(0.3)  # "10" and "chr10" are the same contig
    assert out["af"][1] == pytest.approx(0.02) and out["popmax"][1] == pytest.approx(0.03)  # 2nd ALT
    assert out["nhomalt"][1] == 5
    assert np.isnan(out["af"][2]) and np.isnan(out["af"][3]) and np.isnan(out["af"][4])


def test_clinvar_scores_and_gene_prior(resources_dir):
    cv = ClinVarVcf(resources_dir / "clinvar.vcf.gz").lookup(["chr10", "chr10"], np.array([121496701, 121496701]),
                                                              ["T", "T"], ["G", "C"])
    assert cv["clnsig"][0] == "Pathogenic" and cv["stars"][0] == 2
    assert cv["clnsig"][1] is None and cv["stars"][1] == -1
    st = ScoreTable(str(resources_dir / "revel.tsv.gz"), "REVEL", name="revel")
    v = st.lookup(["chr10", "chr10", "chr10"], np.array([121496701, 121500000, 1]), ["T", "A", "A"], ["G", "G", "C"])
    assert v[0] == pytest.approx(0.9) and v[1] == pytest.approx(0.1) and np.isnan(v[2])  # max of duplicates
    gp = GenePriorTable(resources_dir / "pli.tsv", transform="intolerance")
    assert gp.get(["FGFR2", "XYZ"])[0] == pytest.approx(0.99) and np.isnan(gp.get(["XYZ"])[0])
    assert "sha256=" in gp.version


def test_missing_resources_are_logged_not_fatal(caplog):
    with caplog.at_level(logging.INFO):
        rs = load_resources({})
    assert rs.population is None and rs.clinvar is None and not rs.scores
    assert any("no population-frequency resource" in r.message for r in caplog.records)
    with pytest.raises(DataError, match="not found"):
        load_resources({"population": "/nonexistent/gnomad.vcf.gz"})


def test_csq_and_ann_parsing():
    vep = parse_csq_format('Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|gnomADe_AF|REVEL')
    assert vep[:4] == ["Allele", "Consequence", "IMPACT", "SYMBOL"]
    raw = ("G|intron_variant|MODIFIER|FGFR2|NM_1|||0.0001|,"
           "G|missense_variant&splice_region_variant|MODERATE|FGFR2|NM_2|NM_2:c.1A>G|NP_2:p.Met1%3D|0.0001|0.8,"
           "C|stop_gained|HIGH|FGFR2|NM_2|||0.5|,"
           "G|upstream_gene_variant|MODIFIER|OTHER|NM_3||||")
    e = pick_entries(raw, vep, "T", "G", "vep")
    assert set(e) == {"FGFR2", "OTHER"}
    assert e["FGFR2"].consequences[0] == "missense_variant" and e["FGFR2"].hgvs_c == "c.1A>G"
    assert e["FGFR2"].hgvs_p == "p.Met1="
    assert vep_allele("AT", "A") == "-" and vep_allele("A", "AT") == "T" and vep_allele("A", "G") == "G"
    ann = parse_csq_format("Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | "
                           "Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p'")
    e2 = pick_entries("G|stop_gained|HIGH|ABC|id|transcript|NM_9|protein_coding|1/2|c.5C>G|p.Ser2*",
                      ann, "C", "G", "snpeff")
    assert e2["ABC"].consequences == ("stop_gained",) and e2["ABC"].transcript == "NM_9"


def test_preannotated_vcf_and_mapped_frequency(tmp_path):
    csq_hdr = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
               'Format: Allele|Consequence|IMPACT|SYMBOL|Feature|HGVSc|HGVSp|gnomADe_AF|REVEL|CLIN_SIG">')
    af_hdr = '##INFO=<ID=AF,Number=A,Type=Float,Description="allele fraction of this sample">'
    recs = [
        "chr10\t121496701\t.\tT\tG\t50\tPASS\tAF=0.5;CSQ=G|missense_variant|MODERATE|FGFR2|NM_000141|c.755C>G|p.Ser252Trp|0.00001|0.95|pathogenic\tGT:AD:DP:GQ\t0/1:10,10:20:99",
        "chr10\t121500000\t.\tA\tG\t50\tPASS\tAF=1.0;CSQ=G|missense_variant|MODERATE|FGFR2|NM_000141|c.1A>G||0.3||\tGT:AD:DP:GQ\t1/1:0,20:20:99",
        "chr10\t121510000\t.\tC\tT\t50\tPASS\tAF=0.5\tGT:AD:DP:GQ\t0/1:10,10:20:99",
    ]
    vcf = write_vcf(tmp_path / "vep.vcf.gz", ["S"], recs, info=[csq_hdr, af_hdr])
    cfg = AnnotateConfig(genome="GRCh38", population_af_info_fields=("gnomADe_AF", "AF"),
                         quality=QualityFilter.permissive())
    av = annotate_vcf(vcf, None, cfg)
    by_pos = {int(av.pos[v]): v for v in range(av.n_variants)}
    r0 = [r for r in range(len(av)) if av.vidx[r] == by_pos[121496701]][0]
    assert av.source[r0] == "vep" and av.gene[r0] == "FGFR2" and av.hgvs_p[r0] == "p.Ser252Trp"
    assert av.pop_af[by_pos[121496701]] == pytest.approx(1e-5)
    assert av.pop_af[by_pos[121500000]] == pytest.approx(0.3)  # from CSQ gnomADe_AF, not INFO/AF = 1.0
    assert np.isnan(av.pop_af[by_pos[121510000]])  # INFO/AF of a single-sample VCF is never used
    assert any("INFO/AF of a single-sample VCF" in n for n in av.notes)
    assert av.clnsig[by_pos[121496701]] == "pathogenic"
    assert av.revel[r0] == pytest.approx(0.95) and av.score[r0] >= 0.8
    # the record without CSQ falls back to the gene model
    r2 = [r for r in range(len(av)) if av.vidx[r] == by_pos[121510000]]
    assert r2 and all(av.source[r] == "gene_model" for r in r2)
    assert av.stats["population_af_sources"]


def test_resources_in_annotation(tmp_path, resources_dir):
    recs = ["chr10\t121496701\t.\tT\tG\t50\tPASS\t.\tGT:AD:DP:GQ\t0/1:10,10:20:99",
            "chr10\t121500000\t.\tA\tT\t50\tPASS\t.\tGT:AD:DP:GQ\t0/1:10,10:20:99"]
    vcf = write_vcf(tmp_path / "s.vcf.gz", ["S"], recs)
    rs = load_resources({"population": str(resources_dir / "gnomad.vcf.gz"),
                         "clinvar": str(resources_dir / "clinvar.vcf.gz"),
                         "scores": {"revel": {"path": str(resources_dir / "revel.tsv.gz"), "column": "REVEL"}}})
    av = annotate_vcf(vcf, None, AnnotateConfig(genome="GRCh38", quality=QualityFilter.permissive()), rs)
    assert {"population_frequency", "clinvar", "score:revel"} <= set(av.versions)
    v = {int(av.pos[i]): i for i in range(av.n_variants)}
    assert av.clinvar_stars[v[121496701]] == 2
    assert av.pop_af[v[121500000]] == pytest.approx(0.02)
    rows = [r for r in range(len(av)) if av.vidx[r] == v[121496701]]
    assert max(av.score[r] for r in rows) >= 0.95  # ClinVar pathogenic, 2 stars
    rs.close()


def test_in_cohort_frequency_from_a_multi_sample_vcf(tmp_path):
    samples = ["P", "F", "M", "C1", "C2", "C3", "C4", "C5"]
    fam_gts = "\t".join(["0/1:10,10:20:99"] * 3)
    common = "\t".join(["0/1:10,10:20:99"] * 5)
    rare = "\t".join(["0/0:20,0:20:99"] * 5)
    recs = [f"chr10\t121496701\t.\tT\tG\t50\tPASS\t.\tGT:AD:DP:GQ\t{fam_gts}\t{common}",
            f"chr10\t121496710\t.\tT\tG\t50\tPASS\t.\tGT:AD:DP:GQ\t{fam_gts}\t{rare}"]
    vcf = write_vcf(tmp_path / "cohort.vcf.gz", samples, recs)
    av = annotate_vcf(vcf, "P", AnnotateConfig(genome="GRCh38"), family_samples=("P", "F", "M"))
    by = {int(av.pos[v]): v for v in range(av.n_variants)}
    assert av.cohort_af[by[121496701]] == pytest.approx(0.5)  # 5 het among the 5 unrelated samples
    assert av.cohort_af[by[121496710]] == pytest.approx(0.0)  # family members do not count
    s_common = max(av.score[r] for r in range(len(av)) if av.vidx[r] == by[121496701])
    s_rare = max(av.score[r] for r in range(len(av)) if av.vidx[r] == by[121496710])
    assert s_common < 0.1 * s_rare
    assert any("in-cohort allele frequency" in n for n in av.notes)


def test_genome_mode_keeps_the_best_rows_per_gene(tmp_path):
    from triage.variants.annotation import top_rows_per_gene

    recs = [f"chr10\t{121496701 + 7 * k}\t.\tT\tG\t50\tPASS\t.\tGT:AD:DP:GQ\t0/1:10,10:20:99" for k in range(40)]
    vcf = write_vcf(tmp_path / "g.vcf.gz", ["S"], recs)
    full = annotate_vcf(vcf, None, AnnotateConfig(genome="GRCh38"))
    small = annotate_vcf(vcf, None, AnnotateConfig(genome="GRCh38", max_rows_per_gene=3, chunk_size=5))
    for g in set(full.gene):
        want = sorted(full.score[full.gene == g], reverse=True)[:3]
        got = sorted(small.score[small.gene == g], reverse=True)
        assert got == pytest.approx(want)
    assert small.stats["records"] == 40
    keep = top_rows_per_gene(full, 1)
    assert len(keep) == len(set(full.gene))

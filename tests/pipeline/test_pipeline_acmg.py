"""ACMG/AMP evidence end to end: the bundled demo (default config: no population
resource, so no PM2), the demo with tiny population / ClinVar tabix fixtures (PM2, BA1,
BS1, PP5/BP6), the committed test trio (parents that are not the parents: no PS2), and
the GIAB Ashkenazi trio from ../shared with a spiked de novo frameshift (PS2 + PVS1)
and a ClinVar-pathogenic partner phased by the parents (PM3)."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

pytest.importorskip("cyvcf2")
pysam = pytest.importorskip("pysam")

from conftest import shared_path  # noqa: E402
from helpers import DEMO_PP, DEMO_VCF, REPO  # noqa: E402

from triage.models import TriageResult  # noqa: E402
from triage.phenotype.phenopacket import read_phenopacket  # noqa: E402

SMARCB1 = ("22", 24175856, "GAGA", "G")


def _sites_vcf(path: Path, contig: str, length: int, info_header: list[str], rows: list[tuple]) -> Path:
    """A bgzipped, tabix-indexed sites-only VCF (rows: chrom, pos, ref, alt, INFO)."""
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={contig},length={length}>", *info_header,
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\t.\t{r}\t{a}\t.\tPASS\t{info}" for c, p, r, a, info in sorted(rows, key=lambda x: x[1])]
    plain = path.with_suffix("")
    plain.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def _variant(result: TriageResult, key: tuple):
    for g in result.genes:
        for v in g.variants:
            if (v.chrom, v.pos, v.ref, v.alt) == key:
                return g, v
    raise AssertionError(f"{key} not listed")


# --------------------------------------------------------------------------- demo, default config
@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):
    from triage.prioritize import PipelineConfig, run_patient

    out = tmp_path_factory.mktemp("acmg_demo")
    case = read_phenopacket(DEMO_PP)
    cfg = PipelineConfig.from_file(REPO / "config" / "config.yaml")  # the shipped config (KG_AF as frequency)
    run = run_patient(DEMO_VCF, case.observed, case.excluded, genome="GRCh37", engine=engine, cfg=cfg, out_dir=out)
    return run, out


def test_demo_smarcb1_evidence_without_population_resource(demo):
    run, out = demo
    g, v = _variant(run.result, SMARCB1)
    assert g.rank == 1 and v.rank == 1
    a = v.acmg
    assert a is not None and "automated, provisional" in a.method
    codes = {c.code: c for c in a.criteria}
    # no population resource is configured: absence cannot be asserted
    assert "PM2" not in codes and "no population-frequency resource" in a.not_assessed["PM2"]
    assert "KG_AF" in a.not_assessed["PM2"]  # the INFO frequency serves BA1/BS1 only
    # the phenotype posterior of Coffin-Siris syndrome 3 (OMIM:614608) from the nine demo terms
    assert codes["PP4"].label == "PP4" and "OMIM:614608" in codes["PP4"].reason and codes["PP4"].points == 1
    assert set(codes) == {"PP4"} and a.points == 1 and a.classification == "Uncertain significance"
    for k in ("PVS1", "PS2", "PM6", "PM3", "PP3", "BP4", "PP5", "BP6"):
        assert k in a.not_assessed  # each says why
    assert "acmg-1" in run.result.data_versions["acmg"]


def test_demo_common_variants_are_benign_from_the_info_frequency(demo):
    run, _ = demo
    table = run.ranked.genotype.acmg
    av = run.ranked.genotype.case.table
    af = av.population_frequency()[av.vidx]
    ba1 = table.strength["BA1"] > 0
    assert ba1.any() and (af[ba1] > 0.05).all() and not (table.strength["PM2"] > 0).any()
    assert set(table.classification[ba1].tolist()) == {"Benign"}
    r = int(ba1.nonzero()[0][0])
    ass = table.assessment(r)
    ba1_c = next(c for c in ass.criteria if c.code == "BA1")
    assert "INFO/KG_AF" in ba1_c.reason and ass.classification == "Benign"


def test_demo_outputs_carry_the_evidence(demo):
    from cyvcf2 import VCF

    run, out = demo
    r = TriageResult.model_validate_json((out / "DEMO1.result.json").read_text())
    _, v = _variant(r, SMARCB1)
    assert v.acmg.classification == "Uncertain significance" and v.acmg.criteria[0].label == "PP4"
    genes = list(csv.DictReader((out / "DEMO1.genes.tsv").read_text().splitlines()[1:], delimiter="\t"))
    assert genes[0]["symbol"] == "SMARCB1" and genes[0]["best_acmg_class"] == "Uncertain significance"
    assert genes[0]["best_acmg_criteria"] == "PP4"
    rows = list(csv.DictReader((out / "DEMO1.variants.tsv").read_text().splitlines()[1:], delimiter="\t"))
    assert rows[0]["gene"] == "SMARCB1" and (rows[0]["acmg_class"], rows[0]["acmg_criteria"], rows[0]["acmg_points"]) \
        == ("Uncertain significance", "PP4", "1")
    assert all(x["acmg_class"] for x in rows)  # every row is assessed
    vcf = VCF(str(out / "DEMO1.candidates.vcf.gz"))
    for f in ("TRIAGE_ACMG", "TRIAGE_ACMG_POINTS", "TRIAGE_ACMG_CRITERIA"):
        assert f"##INFO=<ID={f}," in vcf.raw_header
    rec = next(iter(vcf("22:24175856-24175856")))
    assert rec.INFO["TRIAGE_ACMG"] == "Uncertain_significance" and rec.INFO["TRIAGE_ACMG_CRITERIA"] == "PP4"
    assert rec.INFO["TRIAGE_ACMG_POINTS"] == 1
    html = (out / "DEMO1.report.html").read_text()
    assert "ACMG/AMP evidence (automated, provisional)" in html and "<b>PP4</b>" in html
    assert "Not assessed for this case" in html and "<script" not in html
    pp = json.loads((out / "DEMO1.phenopacket.json").read_text())
    vi = pp["interpretations"][0]["diagnosis"]["genomicInterpretations"][0]["variantInterpretation"]
    assert vi["acmgPathogenicityClassification"] == "UNCERTAIN_SIGNIFICANCE"
    ext = {e["name"]: e["value"] for e in vi["variationDescriptor"]["extensions"]}
    assert ext["triage_acmg_criteria"] == "PP4" and "OMIM:614608" in ext["triage_acmg_PP4"]
    assert "provisional" in ext["triage_acmg_method"]


def test_acmg_can_be_switched_off(engine, tmp_path):
    from triage.prioritize import PipelineConfig, run_patient

    case = read_phenopacket(DEMO_PP)
    cfg = PipelineConfig.from_dict({"acmg": {"enabled": False}})
    run = run_patient(DEMO_VCF, case.observed, case.excluded, genome="GRCh37", engine=engine, cfg=cfg,
                      out_dir=tmp_path, formats=("json", "tsv"))
    assert run.result.genes[0].variants[0].acmg is None and "acmg" not in run.result.data_versions
    rows = list(csv.DictReader((tmp_path / "DEMO1.variants.tsv").read_text().splitlines()[1:], delimiter="\t"))
    assert rows[0]["acmg_class"] == ""


# --------------------------------------------------------------------------- demo + population / ClinVar fixtures
@pytest.fixture(scope="module")
def demo_resources(engine, tmp_path_factory):
    from triage.prioritize import PipelineConfig, run_patient

    d = tmp_path_factory.mktemp("acmg_res")
    # real DEMO1 variants of SMARCB1 (22:24.13-24.18 Mb) at chosen frequencies; the
    # Coffin-Siris deletion itself is absent, as it is from gnomAD
    demo_rows = []
    with gzip.open(DEMO_VCF, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.split("\t", 5)
            if f[0] == "22" and 24129000 <= int(f[1]) <= 24180000 and (f[0], int(f[1]), f[3], f[4]) != SMARCB1:
                demo_rows.append((f[0], int(f[1]), f[3], f[4]))
    assert len(demo_rows) >= 3
    common, bs1, rare = demo_rows[0], demo_rows[1], demo_rows[2]
    pop = _sites_vcf(d / "pop.vcf.gz", "22", 51304566,
                     ['##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
                      '##INFO=<ID=AF_popmax,Number=A,Type=Float,Description="Maximum population AF">',
                      '##INFO=<ID=nhomalt,Number=A,Type=Integer,Description="Homozygotes">'],
                     [(*common, "AF=0.2;AF_popmax=0.31;nhomalt=900"), (*bs1, "AF=0.0015;AF_popmax=0.002;nhomalt=0"),
                      (*rare, "AF=0.00002;AF_popmax=0.00004;nhomalt=0")])
    clinvar = _sites_vcf(d / "clinvar.vcf.gz", "22", 51304566,
                         ['##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance">',
                          '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="Review status">'],
                         [(*SMARCB1, "CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts"),
                          (*common, "CLNSIG=Benign;CLNREVSTAT=criteria_provided,_single_submitter")])
    case = read_phenopacket(DEMO_PP)
    base = {"resources": {"population": str(pop), "clinvar": str(clinvar)},
            "annotation": {"population_af_info_fields": []}}
    runs = {}
    for name, extra in (("off", {}), ("pp5", {"acmg": {"clinvar_pp5_bp6": True}})):
        cfg = PipelineConfig.from_dict({**base, **extra})
        runs[name] = run_patient(DEMO_VCF, case.observed, case.excluded, genome="GRCh37", engine=engine, cfg=cfg)
    return runs, common, bs1, rare


def test_pm2_ba1_bs1_from_the_population_resource(demo_resources):
    runs, common, bs1, rare = demo_resources
    res = runs["off"].result
    _, v = _variant(res, SMARCB1)
    codes = {c.label: c for c in v.acmg.criteria}
    assert "PM2_Supporting" in codes and "absent from the population resource" in codes["PM2_Supporting"].reason
    assert codes["PM2_Supporting"].points == 1 and "PP5" not in codes  # PP5 off by default
    assert set(codes) == {"PM2_Supporting", "PP4"} and v.acmg.points == 2
    table = runs["off"].ranked.genotype.acmg
    av = runs["off"].ranked.genotype.case.table
    rows = {(av.chrom[av.vidx[r]], int(av.pos[av.vidx[r]]), av.ref[av.vidx[r]], av.alt[av.vidx[r]]): r
            for r in range(len(av)) if av.gene[r] == "SMARCB1"}
    a = table.assessment(rows[common])
    ba1 = next(c for c in a.criteria if c.code == "BA1")
    assert ba1.strength == "stand_alone" and a.classification == "Benign"  # despite PP4
    assert "0.31" in ba1.reason  # popmax, not the global AF
    a = table.assessment(rows[bs1])  # 0.2 % in a dominant disorder's gene (Coffin-Siris: AD)
    assert "BS1" in [c.code for c in a.criteria] and "dominant" in next(c.reason for c in a.criteria if c.code == "BS1")
    assert "PM2" not in [c.code for c in a.criteria]
    a = table.assessment(rows[rare])  # present at 0.004 %: a dominant disorder needs absence
    assert not {"PM2", "BS1", "BA1"} & {c.code for c in a.criteria}


def test_pp5_bp6_only_when_configured(demo_resources):
    runs, common, *_ = demo_resources
    _, v = _variant(runs["pp5"].result, SMARCB1)
    codes = {c.code: c for c in v.acmg.criteria}
    assert codes["PP5"].points == 1 and "ClinVar Pathogenic (2 stars)" in codes["PP5"].reason
    assert v.acmg.points == 3 and v.acmg.classification == "Uncertain significance"
    table = runs["pp5"].ranked.genotype.acmg
    av = runs["pp5"].ranked.genotype.case.table
    r = next(r for r in range(len(av)) if int(av.pos[av.vidx[r]]) == common[1] and av.gene[r] == "SMARCB1")
    assert {"BA1", "BP6"} <= {c.code for c in table.assessment(r).criteria}
    _, v_off = _variant(runs["off"].result, SMARCB1)
    assert "PP5" in v_off.acmg.not_assessed and "recommends against" in v_off.acmg.not_assessed["PP5"]


# --------------------------------------------------------------------------- committed test trio
def test_trio_with_unrelated_parents_gets_no_ps2(engine):
    """.test/data/TRIO1: three unrelated donors labelled as a trio (scripts/make_test_trio.py)
    with the SMARCB1 deletion spiked as de novo. The genotypes contradict the PED, so the
    de novo call cannot confirm anything: no PS2, no PM6, and the reason is shown."""
    from triage.prioritize import PipelineConfig, Ranker, build_result, ingest_annotate, rank_case

    cfg = PipelineConfig().with_genome("GRCh37")
    case = ingest_annotate(REPO / ".test/data/TRIO1.chr22.vcf.gz", None, cfg, str(REPO / ".test/data/TRIO1.ped"))
    q = engine.resolve(read_phenopacket(DEMO_PP).observed, [])
    res = build_result(rank_case(Ranker(engine, cfg, "GRCh37"), q, case), top=5)
    _, v = _variant(res, SMARCB1)
    assert "de_novo" in v.inheritance_modes  # the genotype pattern is there ...
    codes = {c.code for c in v.acmg.criteria}
    assert not codes & {"PS2", "PM6"}  # ... but parentage is not supported by the genotypes
    assert any("INCONSISTENT with the PED's parents" in c for c in v.acmg.caveats)
    assert any("PS2/PM6 not applied" in c for c in v.acmg.caveats)
    assert "PP4" in codes  # the phenotype evidence stands


# --------------------------------------------------------------------------- GIAB trio (../shared)
XIA_GIBBS_TERMS = ["HP:0001252", "HP:0001508", "HP:0001249", "HP:0002870", "HP:0000750", "HP:0002079",
                   "HP:0001263", "HP:0009879"]  # annotated features of Xia-Gibbs syndrome (OMIM:615829)
#: a 1-bp deletion in the AHDC1 CDS (GRCh37, minus strand), spiked as a de novo call of HG002.
#: Its REF bases are not checked (no FASTA): the test exercises the evidence, not the sequence.
AHDC1_SPIKE = ("1", 27878400, "CT", "C")
#: a compound-het pair of HG002 in ATF6 (achromatopsia 7, OMIM:616517, autosomal recessive),
#: one allele from each parent
ATF6_A = ("1", 161748056, "C", "T")  # HG003 (father) carries it
ATF6_B = ("1", 161772095, "C", "A")  # HG004 (mother) carries it; marked pathogenic in the fixture


@pytest.fixture(scope="module")
def giab(engine, tmp_path_factory):
    from triage.prioritize import PipelineConfig, Ranker, build_result, ingest_annotate, rank_case

    src = shared_path("data", "backgrounds", "ashk-trio_b37_chr1-2.vcf.gz")
    ped = shared_path("data", "backgrounds", "ashk-trio.ped")
    d = tmp_path_factory.mktemp("acmg_giab")
    with gzip.open(src, "rt") as fh:
        lines = fh.read().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    body = [ln for ln in lines if not ln.startswith("#")]
    chrom, pos, ref, alt = AHDC1_SPIKE
    body.append("\t".join([chrom, str(pos), ".", ref, alt, "900", "PASS", ".", "GT:AD:DP:GQ:PL",
                           "0/1:20,18:38:99:500,0,600", "0/0:35,0:35:99:0,99,1200", "0/0:40,0:40:99:0,99,1300"]))
    body.sort(key=lambda ln: (ln.split("\t", 1)[0] != "1", int(ln.split("\t", 2)[1])))
    plain = d / "trio.vcf"
    plain.write_text("\n".join(head + body) + "\n")
    vcf = d / "trio.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf), force=True)
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    lof = d / "lof_genes.txt"
    lof.write_text("# test fixture: genes with loss of function as the disease mechanism\nAHDC1\n")
    clinvar = _sites_vcf(d / "clinvar.vcf.gz", "1", 249250621,
                         ['##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance">',
                          '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="Review status">'],
                         [(*ATF6_B, "CLNSIG=Pathogenic;CLNREVSTAT=criteria_provided,_multiple_submitters,_no_conflicts")])
    cfg = PipelineConfig.from_dict({"acmg": {"lof_genes": str(lof)},
                                    "resources": {"clinvar": str(clinvar)}}).with_genome("GRCh37")
    case = ingest_annotate(vcf, None, cfg, str(ped))
    ranked = rank_case(Ranker(engine, cfg, "GRCh37"), engine.resolve(XIA_GIBBS_TERMS, []), case)
    return ranked, build_result(ranked, top=20)


def test_giab_trio_parentage_is_confirmed(giab):
    ranked, res = giab
    a = res.genes[0].variants[0].acmg
    note = next(c for c in a.caveats if "opposite homozygotes" in c)
    assert note.startswith("genotypes consistent with both parents")


def test_giab_spiked_de_novo_frameshift_ps2_pvs1(giab):
    _, res = giab
    g, v = _variant(res, AHDC1_SPIKE)
    assert g.symbol == "AHDC1" and g.rank == 1 and g.top_disease == "OMIM:615829"
    assert v.consequence == "frameshift_variant" and "de_novo" in v.inheritance_modes
    codes = {c.code: c for c in v.acmg.criteria}
    assert codes["PS2"].label == "PS2" and codes["PS2"].points == 4  # confirmed, phenotype highly specific: 2 points
    assert "parentage consistent" in codes["PS2"].reason and "OMIM:615829" in codes["PS2"].reason
    assert codes["PVS1"].label == "PVS1" and "predicted to undergo NMD" in codes["PVS1"].reason
    assert "NM_001029882" in codes["PVS1"].reason and "lof_genes.txt" in codes["PVS1"].reason
    assert "PP4" not in codes and any("already counted in the de novo points" in c for c in v.acmg.caveats)
    assert v.acmg.points == 12 and v.acmg.classification == "Pathogenic"
    assert "PM2" in v.acmg.not_assessed  # no population resource in this test


def test_giab_real_de_novo_calls_without_disease_gene_get_no_points(giab):
    ranked, _ = giab
    table = ranked.genotype.acmg
    notes = table.reasons["_de_novo_note"]
    av = ranked.genotype.case.table
    genes = {av.gene[r] for r in notes}
    assert {"EFHD2", "NR5A2"} <= genes  # the trio's real de novo candidates (tests/genotype/test_inheritance.py)
    assert all("0 SVI points" in t for t in notes.values())
    assert not (table.strength["PS2"] > 0).sum() > 1  # only the spiked variant


def test_giab_pm3_in_trans_with_a_clinvar_pathogenic_variant(giab):
    ranked, _ = giab
    table = ranked.genotype.acmg
    av = ranked.genotype.case.table
    row = {(av.chrom[av.vidx[r]], int(av.pos[av.vidx[r]]), av.ref[av.vidx[r]], av.alt[av.vidx[r]]): r
           for r in range(len(av)) if av.gene[r] == "ATF6"}
    a = table.assessment(row[ATF6_A])
    pm3 = next(c for c in a.criteria if c.code == "PM3")
    assert pm3.label == "PM3" and pm3.points == 2  # 1.0 SVI point: moderate
    assert "in trans (phased by parents)" in pm3.reason and "161772095" in pm3.reason and "AR" in pm3.reason
    b = table.assessment(row[ATF6_B])  # its partner is not P/LP: no PM3 for the pathogenic one
    assert "PM3" not in {c.code for c in b.criteria}
    # a dominant disease's gene never gets PM3: ABCA4's best disease for this query is AD (OMIM:153800)
    abca4 = [r for r in range(len(av)) if av.gene[r] == "ABCA4"]
    assert abca4 and not (table.strength["PM3"][abca4] > 0).any()

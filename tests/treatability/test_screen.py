"""`triage screen`: genotype rules per inheritance, evidence (LoF / ClinVar), frequency limits, output contract.

The VCFs are written here on GRCh38 coordinates taken from the bundled gene model, so the
alleles really are frameshifts in the named genes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.benchmark.screen import hgvs_is_lof
from triage.cli.main import main
from triage.errors import ConfigError
from triage.treatability.screen import ScreenConfig, run_screen
from triage.variants.gene_model import GeneModel

_MODEL = None


def cds_positions(gene: str, n: int = 2) -> tuple[str, list[int]]:
    """(chrom, n 1-based positions) inside one coding exon of the gene's preferred transcript."""
    global _MODEL
    _MODEL = _MODEL or GeneModel.load("GRCh38")
    tx = [t for t in _MODEL.preferred(gene) if t.is_coding][0]
    for a, b in zip(tx.exon_starts, tx.exon_ends, strict=True):
        lo, hi = max(a, tx.cds_start), min(b, tx.cds_end)
        if hi - lo >= 40 * n:
            return tx.chrom, [lo + 10 + 30 * k + 1 for k in range(n)]
    raise AssertionError(f"no long coding exon in {gene}")


def write_vcf(path: Path, records: list[tuple[str, int, str, str, list[str]]], samples: list[str],
              info: dict[tuple[str, int], str] | None = None) -> Path:
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
             '##INFO=<ID=POPAF,Number=A,Type=Float,Description="population allele frequency">']
    for c in sorted({"chr" + r[0] for r in records}):
        lines.append(f"##contig=<ID={c}>")
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples))
    ad = {"0/0": "30,0", "0/1": "15,15", "1/1": "0,30", "1": "0,30", "0": "30,0", "./.": "."}
    for chrom, pos, ref, alt, gts in sorted(records, key=lambda r: (r[0], r[1])):
        inf = (info or {}).get((chrom, pos), ".")
        cols = [f"{g}:{ad[g]}:30:60" for g in gts]
        lines.append(f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t{inf}\tGT:AD:DP:GQ\t" + "\t".join(cols))
    path.write_text("\n".join(lines) + "\n")
    return path


def fs(chrom: str, pos: int, gts: list[str]) -> tuple:
    return (chrom, pos, "AC", "A", gts)  # 1-bp deletion inside the CDS: frameshift


def screen(path: Path, **kw):
    return run_screen(path, genome="GRCh38", **kw)


def test_recessive_homozygous_lof_is_positive_with_therapy(tmp_path):
    c, (p,) = cds_positions("ARSA", 1)
    res = screen(write_vcf(tmp_path / "a.vcf", [fs(c, p, ["1/1"])], ["kid"]))
    assert [f.gene for f in res.findings] == ["ARSA"] and not res.carriers
    f = res.findings[0]
    assert f.genotype == "homozygous" and f.inheritance == "AR" and "OMIM:250100" in f.condition_ids
    assert any("frameshift_variant" in e for e in f.evidence)
    assert f.variants[0].zygosity == "homozygous" and f.variants[0].genotype == "1/1"
    assert {(t.product, t.agency) for t in f.therapies} >= {("Libmeldy / Lenmeldy", "EMA"), ("Libmeldy / Lenmeldy", "FDA")}
    assert res.data_versions["therapy_table"].startswith("1.") and "gene_model" in res.data_versions
    assert any(w.code == "no_clinvar" for w in res.warnings)


def test_one_allele_of_a_recessive_condition_is_a_carrier(tmp_path):
    c, (p,) = cds_positions("ARSA", 1)
    res = screen(write_vcf(tmp_path / "a.vcf", [fs(c, p, ["0/1"])], ["kid"]))
    assert not res.findings
    assert [f.gene for f in res.carriers] == ["ARSA"] and res.carriers[0].genotype.startswith("carrier")


def test_two_alleles_without_parents_are_phase_unknown(tmp_path):
    c, (p1, p2) = cds_positions("ARSA", 2)
    res = screen(write_vcf(tmp_path / "a.vcf", [fs(c, p1, ["0/1"]), fs(c, p2, ["0/1"])], ["kid"]))
    assert res.findings[0].genotype == "compound heterozygous (phase unknown)"
    assert len(res.findings[0].variants) == 2


def _trio(tmp_path, father: list[str], mother: list[str]) -> tuple[Path, Path]:
    c, (p1, p2) = cds_positions("ARSA", 2)
    vcf = write_vcf(tmp_path / "t.vcf", [fs(c, p1, ["0/1", father[0], mother[0]]),
                                          fs(c, p2, ["0/1", father[1], mother[1]])], ["kid", "dad", "mum"])
    ped = tmp_path / "t.ped"
    ped.write_text("f\tkid\tdad\tmum\t1\t2\nf\tdad\t0\t0\t1\t1\nf\tmum\t0\t0\t2\t1\n")
    return vcf, ped


def test_two_alleles_in_trans_by_parents(tmp_path):
    vcf, ped = _trio(tmp_path, father=["0/1", "0/0"], mother=["0/0", "0/1"])
    res = screen(vcf, ped=str(ped))
    assert res.sample == "kid" and res.sex == "male"
    assert res.findings[0].genotype == "compound heterozygous (in trans by parental genotypes)"


def test_two_alleles_in_cis_are_not_positive(tmp_path):
    vcf, ped = _trio(tmp_path, father=["0/1", "0/1"], mother=["0/0", "0/0"])
    res = screen(vcf, ped=str(ped))
    assert not res.findings
    assert res.carriers and res.carriers[0].genotype == "carrier (alleles not in trans)"
    assert any("not in trans" in n for n in res.carriers[0].notes)


def test_x_linked_hemizygous_male_and_carrier_female(tmp_path):
    c, (p,) = cds_positions("F9", 1)
    male = screen(write_vcf(tmp_path / "m.vcf", [fs(c, p, ["1"])], ["boy"]), sex="MALE")
    assert male.findings[0].gene == "F9" and male.findings[0].genotype == "hemizygous"
    assert "Hemgenix" in {t.product for t in male.findings[0].therapies}
    female = screen(write_vcf(tmp_path / "f.vcf", [fs(c, p, ["0/1"])], ["girl"]), sex="FEMALE")
    assert not female.findings and female.carriers[0].gene == "F9"


def test_dominant_lof_heterozygous_is_positive_but_gain_of_function_needs_clinvar(tmp_path):
    c1, (p1,) = cds_positions("SERPING1", 1)
    c2, (p2,) = cds_positions("SOD1", 1)
    res = screen(write_vcf(tmp_path / "d.vcf", [fs(c1, p1, ["0/1"]), fs(c2, p2, ["0/1"])], ["x"]))
    assert [f.gene for f in res.findings] == ["SERPING1"]
    assert res.findings[0].genotype == "heterozygous" and res.findings[0].inheritance == "AD"


def _clinvar(tmp_path, records: list[tuple[str, int, str, str, str, str]]) -> Path:
    import pysam

    p = tmp_path / "clinvar.vcf"
    lines = ["##fileformat=VCFv4.1", '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="sig">',
             '##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="rev">']
    lines += [f"##contig=<ID={c}>" for c in sorted({r[0] for r in records})]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    for c, pos, ref, alt, sig, rev in sorted(records):
        lines.append(f"{c}\t{pos}\t.\t{ref}\t{alt}\t.\t.\tCLNSIG={sig};CLNREVSTAT={rev}")
    p.write_text("\n".join(lines) + "\n")
    pysam.tabix_compress(str(p), str(p) + ".gz", force=True)
    pysam.tabix_index(str(p) + ".gz", preset="vcf", force=True)
    return Path(str(p) + ".gz")


def test_clinvar_pathogenic_qualifies_and_benign_vetoes_lof(tmp_path):
    c1, (p1,) = cds_positions("SOD1", 1)
    c2, (p2,) = cds_positions("SERPING1", 1)
    cv = _clinvar(tmp_path, [(c1, p1, "C", "T", "Pathogenic", "criteria_provided,_single_submitter"),
                             (c2, p2, "AC", "A", "Benign", "criteria_provided,_multiple_submitters,_no_conflicts")])
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"resources:\n  clinvar: {cv}\n")
    vcf = write_vcf(tmp_path / "v.vcf", [(c1, p1, "C", "T", ["0/1"]), fs(c2, p2, ["0/1"])], ["x"])
    res = screen(vcf, config=str(cfg))
    assert res.clinvar
    assert [f.gene for f in res.findings] == ["SOD1"]
    assert res.findings[0].evidence == ["ClinVar Pathogenic (1 star)"]
    assert "Qalsody" in {t.product for t in res.findings[0].therapies}


def test_population_frequency_limit_drops_common_alleles(tmp_path):
    c, (p,) = cds_positions("ARSA", 1)
    vcf = write_vcf(tmp_path / "a.vcf", [fs(c, p, ["1/1"])], ["kid"], info={(c, p): "POPAF=0.05"})
    cfg = tmp_path / "c.yaml"
    cfg.write_text("annotation:\n  population_af_info_fields: [POPAF]\nscreen:\n  max_af_recessive: 0.01\n")
    res = screen(vcf, config=str(cfg))
    assert res.population_frequency and not res.findings and not res.carriers
    assert any(w.code == "frequency_filter" and "0.05" in w.message for w in res.warnings)
    cfg.write_text("annotation:\n  population_af_info_fields: [POPAF]\nscreen:\n  max_af_recessive: 0.1\n")
    assert screen(vcf, config=str(cfg)).findings


def test_cli_json_contract_and_out_dir(tmp_path, capsys):
    c, (p,) = cds_positions("ARSA", 1)
    vcf = write_vcf(tmp_path / "a.vcf", [fs(c, p, ["1/1"])], ["kid"])
    assert main(["screen", "--vcf", str(vcf), "--genome", "GRCh38", "--format", "json", "--out", str(tmp_path / "o")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"schema_version", "findings", "carriers", "data_versions"}
    f = out["findings"][0]
    assert set(f) >= {"gene", "condition_ids", "genotype", "evidence", "therapies"}
    assert set(f["therapies"][0]) >= {"product", "inn", "modality", "agency", "approved", "pathway", "status",
                                      "restrictions", "source"}
    assert (tmp_path / "o" / "kid.screen.json").exists() and (tmp_path / "o" / "kid.screen.tsv").exists()
    assert main(["screen", "--vcf", str(vcf), "--genome", "GRCh38"]) == 0
    assert "POSITIVE\tARSA" in capsys.readouterr().out


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "c.yaml"
    bad.write_text("screen:\n  max_af_recesive: 0.01\n")
    c, (p,) = cds_positions("ARSA", 1)
    vcf = write_vcf(tmp_path / "a.vcf", [fs(c, p, ["1/1"])], ["kid"])
    assert main(["screen", "--vcf", str(vcf), "--genome", "GRCh38", "--config", str(bad)]) == 2
    assert "max_af_recesive" in capsys.readouterr().err
    assert main(["screen", "--vcf", str(tmp_path / "missing.vcf"), "--genome", "GRCh38"]) == 2
    with pytest.raises(ConfigError):
        ScreenConfig.from_dict({"max_af_dominant": 2})


def test_hgvs_lof_classes():
    assert hgvs_is_lof(["NP_1.1:p.(Arg1830Ter)"]) and hgvs_is_lof(["p.Gly12AlafsTer5"])
    assert hgvs_is_lof(["NM_1.1:c.123+1G>A"]) and not hgvs_is_lof(["NP_1.1:p.(Leu847Pro)", "NM_1.1:c.2540T>C"])

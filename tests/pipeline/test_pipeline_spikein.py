"""Spike-in: indistinguishable spiked records, skip reasons, same code as the pipeline."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cyvcf2")
pytest.importorskip("pysam")

from pipeline_testlib import phenopacket, write_vcf  # noqa: E402

from triage.benchmark.spikein import Background, spike_lines, write_spiked_vcf  # noqa: E402
from triage.phenotype.phenopacket import read_phenopacket  # noqa: E402
from triage.prioritize.config import PipelineConfig  # noqa: E402

FMT = "GT:AD:DP:GQ:PL"
BG = [  # chrom pos id ref alt qual filter info format sample
    "chr1\t1000\trs1\tA\tG\t101.5\tPASS\tDP=30;QD=3.1;DB\t" + FMT + "\t0/1:15,15:30:99:300,0,300",
    "chr1\t2000\t.\tC\tT\t202.5\tPASS\tDP=40;QD=5.2\t" + FMT + "\t0/1:20,20:40:98:400,0,400",
    "chr2\t3000\trs3\tG\tA\t303.5\tPASS\tDP=50;QD=7.3;DB\t" + FMT + "\t1/1:0,50:50:97:900,97,0",
    "chr2\t4000\trs4\tT\tC\t404.5\tPASS\tDP=60;QD=9.4;DB\t" + FMT + "\t1/1:0,60:60:96:950,96,0",
    "chr10\t121496690\t.\tG\tA\t55.5\tPASS\tDP=22;QD=1.1\t" + FMT + "\t0/1:11,11:22:95:200,0,200",
    "chr15\t48421957\trs5\tC\tT\t66.5\tPASS\tDP=33;QD=2.2;DB\t" + FMT + "\t0/1:16,17:33:94:250,0,250",  # overlaps spike
    "chr22\t5000\t.\tA\tC\t10.5\tLowQual\tDP=5\t" + FMT + "\t0/1:3,2:5:5:20,0,20",  # fails QC: never a template
]


@pytest.fixture
def background(tmp_path):
    return write_vcf(tmp_path / "bg.vcf.gz", ["bgsample"], BG)


def _case(tmp_path, variants, sex="MALE", pid="case1"):
    return read_phenopacket(phenopacket(tmp_path / f"{pid}.json", pid, ["HP:0001166"], variants, sex=sex,
                                        disease="OMIM:154700", gene="FBN1"))


def _fields(line):
    f = line.split("\t")
    fmt = f[8].split(":")
    return f[5], f[6], f[7], f[8], dict(zip(fmt, f[9].split(":"), strict=True))


def test_spiked_records_copy_a_same_zygosity_template(tmp_path, background):
    cfg = PipelineConfig().with_genome("GRCh38")
    bg = Background.load(background, cfg)
    assert set(bg.het_pool.tolist()) == {0, 1, 4, 5} and set(bg.hom_pool.tolist()) == {2, 3}
    case = _case(tmp_path, [
        {"chrom": "chr15", "pos": 48421957, "ref": "C", "alt": "G", "state": "heterozygous"},
        {"chrom": "10", "pos": 121496701, "ref": "T", "alt": "G", "state": "homozygous"},  # no "chr" prefix
        {"chrom": "chrX", "pos": 153000000, "ref": "A", "alt": "T", "state": "hemizygous"},
    ])
    spikes = spike_lines(bg, case, seed=42)
    assert [s.gt for s in spikes] == ["0/1", "1/1", "1"]
    assert spikes[1].chrom == "chr10"
    by_line = {i: _fields(ln) for i, ln in enumerate(bg.lines)}
    for s in spikes:
        q, flt, info, fmt, sample = _fields(s.line)
        tq, tflt, tinfo, tfmt, tsample = by_line[s.template]
        assert (q, flt, info, fmt) == (tq, tflt, tinfo, tfmt)  # QUAL, FILTER, INFO, FORMAT keys
        assert s.line.split("\t")[2] == "."  # no ID
        want_pool = bg.het_pool if s.gt == "0/1" else bg.hom_pool
        assert s.template in want_pool.tolist()
        for k, v in sample.items():
            if k == "GT":
                assert v == s.gt
            elif k == "PL" and s.gt == "1":
                p = tsample["PL"].split(",")
                assert v == f"{p[0]},{p[2]}"  # haploid: the 0 and 1/1 likelihoods
            else:
                assert v == tsample[k]
    # seeded: the same case gets the same templates; IDs never decide anything
    assert [s.template for s in spike_lines(bg, case, seed=42)] == [s.template for s in spikes]
    assert 6 not in [s.template for s in spikes]  # the LowQual record is never a template


def test_written_vcf_blanks_every_id_and_drops_overlaps(tmp_path, background):
    from cyvcf2 import VCF

    cfg = PipelineConfig().with_genome("GRCh38")
    bg = Background.load(background, cfg)
    case = _case(tmp_path, [{"chrom": "chr15", "pos": 48421957, "ref": "C", "alt": "G"}])
    spikes = spike_lines(bg, case, seed=1)
    out = write_spiked_vcf(bg, spikes, tmp_path / "spiked.vcf.gz")
    recs = list(VCF(str(out)))
    assert all(r.ID is None for r in recs)
    at = [r for r in recs if r.CHROM == "chr15" and r.POS == 48421957]
    assert len(at) == 1 and at[0].ALT == ["G"]  # the overlapping background record was replaced
    assert len(recs) == len(BG)
    with gzip.open(out, "rt") as fh:
        assert all(line.split("\t")[2] == "." for line in fh if not line.startswith("#"))


def test_skip_reasons(tmp_path, background):
    bg = Background.load(background, PipelineConfig().with_genome("GRCh38"))
    sk: Counter = Counter()
    assert spike_lines(bg, _case(tmp_path, [{"state": "heterozygous"}], pid="sv"), 1, sk) == []
    assert spike_lines(bg, _case(tmp_path, [{"chrom": "chr1", "pos": 5, "ref": "A", "alt": "G", "assembly": "hg19"}],
                                 pid="b37"), 1, sk) == []
    assert spike_lines(bg, _case(tmp_path, [{"chrom": "chr1", "pos": 5, "ref": "A", "alt": "<DEL>"}],
                                 pid="sym"), 1, sk) == []
    assert sk == {"variant_track:no_vcf_record": 1, "variant_track:assembly_mismatch": 1,
                  "variant_track:symbolic_allele": 1}


def test_benchmark_ranks_like_the_pipeline(tmp_path, background, engine):
    """The in-memory spike (background annotated once) == the pipeline on the written VCF."""
    from triage.benchmark.spikein import SpikeinMethod
    from triage.genotype.likelihood import family_for
    from triage.prioritize import AnnotatedCase, rank_case, run_patient
    from triage.variants.annotation import annotate_vcf

    cfg = PipelineConfig().with_genome("GRCh38")
    bg = Background.load(background, cfg)
    bg.table = annotate_vcf(background, None, cfg.annotate, None, cfg.score)
    case = _case(tmp_path, [{"chrom": "chr15", "pos": 48421957, "ref": "C", "alt": "G"}], sex="FEMALE")
    m = SpikeinMethod(engine, bg, cfg, "lr", 42, pheval=False)
    r = m.run(case, Counter())
    assert r is not None and r.gene_rank >= 1 and r.variant_rank >= 1
    spikes = spike_lines(bg, case, 42)
    out = write_spiked_vcf(bg, spikes, tmp_path / "s.vcf.gz")
    run = run_patient(out, case.observed, case.excluded, genome="GRCh38", sex="FEMALE", engine=engine)
    fbn1 = [g for g in run.result.genes if g.symbol == "FBN1"]
    assert fbn1 and fbn1[0].rank == int(r.gene_rank)
    ann = engine.kb.annotations
    j = ann.gene_symbols.index("FBN1")
    assert run.ranked.gene_key[j] == pytest.approx(
        rank_case(m.ranker, engine.resolve(case.observed, []),
                  AnnotatedCase(run.ranked.case.table, "bgsample",
                                family_for(("bgsample",), "bgsample", None, "FEMALE"), None, "GRCh38", False),
                  scorer="lr").gene_key[j])


def test_summary_contract(tmp_path, background, engine):
    from triage.benchmark.spikein import run_spikein_benchmark

    pp = tmp_path / "pp" / "FBN1"
    pp.mkdir(parents=True)
    phenopacket(pp / "a.json", "a", ["HP:0001166", "HP:0001083"],
                [{"chrom": "chr15", "pos": 48421957, "ref": "C", "alt": "G"}], gene="FBN1", disease="OMIM:154700")
    phenopacket(pp / "b.json", "b", ["HP:0001166"], [{"state": "heterozygous"}], gene="FBN1", disease="OMIM:154700")
    s = run_spikein_benchmark(tmp_path / "pp", tmp_path / "out", background, engine, progress=False,
                              cache_dir=tmp_path / "cache")
    assert s["cases"] == 2 and s["skipped"] == {"variant_track:no_vcf_record": 1}
    for block in ("gene", "disease", "variant"):
        assert set(s[block]) == {"evaluated", "top1", "top3", "top5", "top10", "mrr"}
    assert s["gene"]["evaluated"] == 1 and s["variant"]["evaluated"] == 1
    assert s["cohort_macro"]["variant"]["cohorts"] == 1
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert saved["variant"] == s["variant"] and "data_versions" in saved
    head = (tmp_path / "out" / "ranks.tsv").read_text().splitlines()[0].split("\t")
    assert head[-1] == "variant_rank"
    vfiles = list((tmp_path / "out" / "pheval" / "pheval_variant_results").glob("*-variant_result.parquet"))
    assert vfiles
    pq = pytest.importorskip("pyarrow.parquet")
    assert any(r["true_positive"] for f in vfiles for r in pq.read_table(f).to_pylist())  # the spike is marked
    assert list((tmp_path / "cache").glob("bg.vcf.gz.*.variants.npz"))  # background annotated once, cached


def test_real_background_indistinguishable(tmp_path):
    from conftest import shared_path

    path = shared_path("data", "backgrounds", "Pfeiffer_exome_hg38_lifted.vcf.gz")
    bg = Background.load(path, PipelineConfig().with_genome("GRCh38"))
    case = _case(tmp_path, [{"chrom": "chr15", "pos": 48421957, "ref": "C", "alt": "G"},
                            {"chrom": "chr2", "pos": 1000000, "ref": "A", "alt": "T", "state": "homozygous"}])
    spikes = spike_lines(bg, case, seed=3)
    for s in spikes:
        t = bg.lines[s.template].split("\t")
        f = s.line.split("\t")
        assert f[5:9] == t[5:9] and f[2] == "."
        assert f[9].split(":")[1:] == t[9].split(":")[1:]
        assert t[9].split(":")[0] == s.gt
    out = write_spiked_vcf(bg, spikes, tmp_path / "x.vcf.gz")
    with gzip.open(out, "rt") as fh:
        ids = {line.split("\t")[2] for line in fh if not line.startswith("#")}
    assert ids == {"."}
    assert Path(str(out) + ".tbi").exists()
    assert np.isin([s.template for s in spikes], np.r_[bg.het_pool, bg.hom_pool]).all()

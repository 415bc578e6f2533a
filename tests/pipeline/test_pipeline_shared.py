"""Checks on real data under ../shared (skipped when absent): Pfeiffer exome, GIAB trio."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cyvcf2")

from conftest import shared_path  # noqa: E402

from triage.genotype.inheritance import MODE_BITS  # noqa: E402

PFEIFFER_TERMS = ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"]


def test_pfeiffer_exome_fgfr2_first(engine, tmp_path):
    from triage.prioritize import run_patient

    vcf = shared_path("data", "backgrounds", "Pfeiffer_b37.vcf.gz")
    run = run_patient(vcf, PFEIFFER_TERMS, [], genome="GRCh37", engine=engine, out_dir=tmp_path)
    top = run.result.genes[0]
    assert top.symbol == "FGFR2" and top.rank == 1
    assert (top.variants[0].chrom, top.variants[0].pos) == ("10", 123256215)
    assert top.variants[0].rank == 1
    assert (tmp_path / "manuel.report.html").exists()


@pytest.fixture(scope="module")
def trio():
    from triage.prioritize import PipelineConfig, ingest_annotate

    vcf = shared_path("data", "backgrounds", "ashk-trio_b37_chr1-2.vcf.gz")
    ped = shared_path("data", "backgrounds", "ashk-trio.ped")
    cfg = PipelineConfig().with_genome("GRCh37")
    return ingest_annotate(vcf, None, cfg, str(ped))


def test_trio_ped_wiring(trio, engine):
    from triage.prioritize import Ranker

    case = trio
    assert case.sample == "HG002"  # the affected member of the PED
    assert case.family.ids == ("HG002", "HG003", "HG004") and case.family.sex[0] == 1
    assert case.family.father[0] == 1 and case.family.mother[0] == 2
    gg = Ranker(engine, None, "GRCh37").genotype(case)
    gt = case.family.genotypes(case.table.gt, case.table.samples)
    vm = gg.variant_modes
    dn = (vm & MODE_BITS["de_novo"]) != 0
    assert dn.any()
    # de novo candidates: proband het, both parents called hom-ref
    assert (gt[dn, 0] == 1).all() and (gt[dn, 1] == 0).all() and (gt[dn, 2] == 0).all()
    # AR (hom) candidates: proband hom-alt and no parent hom-alt (parents' status unknown)
    ar = (vm & MODE_BITS["AR"]) != 0
    assert (gt[ar, 0] == 2).all()
    # phased compound hets: one allele from each parent
    n_pairs = 0
    for i in gg.index.values():
        if gg.two_kind[i] != "compound_het":
            continue
        a, b = (int(case.table.vidx[r]) for r in gg.two_rows[i])
        pa, pb = gt[a], gt[b]
        assert pa[0] == 1 and pb[0] == 1
        # never both from the same parent when both parents are called
        if min(pa[1], pa[2], pb[1], pb[2]) >= 0:
            assert not ((pa[1] > 0 and pa[2] == 0) and (pb[1] > 0 and pb[2] == 0))
            assert not ((pa[2] > 0 and pa[1] == 0) and (pb[2] > 0 and pb[1] == 0))
        n_pairs += 1
    assert n_pairs > 10


def test_trio_evidence_in_result(trio, engine):
    from triage.prioritize import Ranker, build_result, rank_case

    ranker = Ranker(engine, None, "GRCh37")
    q = engine.resolve(["HP:0001250", "HP:0001263"], [])
    result = build_result(rank_case(ranker, q, trio), top=30)
    modes = {m for g in result.genes for v in g.variants for m in v.inheritance_modes}
    assert modes & {"AD", "AR", "de_novo", "compound_het"}
    for g in result.genes:
        for v in g.variants:
            if v.zygosity == "homozygous":
                assert "AD" not in v.inheritance_modes
    assert np.all(np.diff([g.score for g in result.genes]) <= 0)

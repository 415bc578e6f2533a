"""``triage cohort`` on Hail (local Spark, loopback) against the single-sample path (#14).

* the GIAB trio as a cohort gives the proband the same candidate genes, in the same order and
  with the same posteriors, as ``triage rank --vcf --ped`` (in-cohort frequency off);
* Hail's trio de novo / compound-het flags (``hl.trio_matrix``) agree with
  :mod:`triage.genotype.inheritance` on the same genotypes and gene labels;
* the ten-donor slice (tests/data/cohort) as a cohort: each proband's in-cohort AF (family
  excluded) equals the count over the other donors by the single-sample reader, and the
  ranking equals ``triage rank --vcf`` on the same multi-sample file;
* ``triage reanalyse`` re-ranks a cohort output directory.

Slow (Spark start + JIT); run by ``make test`` in ``.venv-cohort``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import REPO, shared_path

pytestmark = pytest.mark.slow

HPO = ["HP:0001250", "HP:0001263", "HP:0000252"]
TEN = REPO / "tests" / "data" / "cohort" / "ten_donors_b37_chr22_slice.vcf.gz"
TEN_PROBANDS = ["Genea2_P19_150119", "CHB5_P25_140801"]


def _cfg():
    from triage.prioritize import PipelineConfig

    cfg = PipelineConfig().with_genome("GRCh37")
    return replace(cfg, rank=replace(cfg.rank, top=0), output=replace(cfg.output, formats=("json", "tsv")))


def _genes(result):
    return [(g.symbol, round(g.posterior or 0.0, 10)) for g in result.genes]


@pytest.fixture(scope="module")
def trio(hail_session, engine, tmp_path_factory):
    vcf = shared_path("data", "backgrounds", "ashk-trio_b37_chr1-2.vcf.gz")
    ped = shared_path("data", "backgrounds", "ashk-trio.ped")
    from triage.cohort.run import run_cohort

    tmp = tmp_path_factory.mktemp("trio")
    sheet = tmp / "samples.tsv"
    sheet.write_text(f"sample\thpo\tfamily\nHG002\t{','.join(HPO)}\tash\n")
    out = tmp / "out"
    run = run_cohort(vcf, sheet, out, genome="GRCh37", cfg=_cfg(), ped=str(ped), tmp_dir=tmp / "hail",
                     engine=engine, use_frequency=False)
    return vcf, ped, out, run


def test_trio_cohort_ranks_like_rank_vcf(trio, engine, tmp_path):
    from triage.models import TriageResult
    from triage.prioritize import run_patient

    vcf, ped, out, run = trio
    assert run.ranked == 1 and not run.skipped
    cohort = TriageResult.model_validate_json((out / "HG002" / "HG002.result.json").read_text())
    single = run_patient(vcf, HPO, [], sample="HG002", ped=str(ped), genome="GRCh37", cfg=_cfg(),
                         engine=engine, out_dir=tmp_path, formats=("json",)).result
    assert len(single.genes) > 100
    assert _genes(cohort) == _genes(single)
    assert [d.id for d in cohort.diseases] == [d.id for d in single.diseases]
    top = cohort.genes[0]
    assert [(v.chrom, v.pos, v.ref, v.alt) for v in top.variants] == \
        [(v.chrom, v.pos, v.ref, v.alt) for v in single.genes[0].variants]
    for name in ("HG002.genes.tsv", "HG002.variants.tsv", "HG002.annotated.npz"):
        assert (out / "HG002" / name).is_file()
    lines = (out / "cohort_summary.tsv").read_text().splitlines()
    head = lines[0].split("\t")
    row = dict(zip(head, lines[1].split("\t"), strict=True))
    assert row["proband"] == "HG002" and row["top_gene"] == top.symbol
    assert float(row["posterior"]) == pytest.approx(top.posterior, rel=1e-3)
    assert row["treatable"] == ("yes" if top.therapies else "no")
    assert (out / "cohort_trios.tsv").is_file() and (out / "cohort_sample_qc.tsv").is_file()


def test_trio_de_novo_and_compound_het_agree_with_inheritance(trio, hail_session):
    hl = hail_session
    from triage.cohort import steps
    from triage.genotype.inheritance import Family, chromosome_class, compound_het_pairs, de_novo
    from triage.genotype.pedigree import read_ped
    from triage.variants.gene_model import GeneModel
    from triage.variants.vcf_reader import QualityFilter, read_vcf

    vcf, ped, out, _ = trio
    q = QualityFilter()
    mt = steps.import_cohort(vcf, "GRCh37", out.parent / "hail2")
    mt = steps.cohort_counts(steps.genotype_qc(steps.variant_qc_filter(steps.split_alleles(mt), q), q))
    mt = steps.annotate_genes(mt, steps.gene_intervals(GeneModel.load("GRCh37"), "GRCh37", 5000))
    mt = mt.checkpoint(str(out.parent / "hail2" / "t.mt"), overwrite=True)
    tm = steps.trio_flags(mt, hl.Pedigree.read(str(ped)))
    et = tm.entries()
    hail_dn = {(r.locus.contig, r.locus.position, r.alleles[0], r.alleles[1])
               for r in et.filter(et.de_novo).select().collect()}
    ch = steps.compound_het_table(tm).collect()
    hail_ch = {(r.gene, (p.first.locus.position, p.first.alleles[1]), (p.second.locus.position, p.second.alleles[1]))
               for r in ch for p in r.pairs}
    labels = {(r.locus.contig, r.locus.position, r.alleles[0], r.alleles[1]): list(r.genes)
              for r in mt.rows().select("genes").collect()}

    vt = read_vcf(vcf, "HG002", quality=q)
    fam = Family.from_pedigree(read_ped(ped), "HG002")
    g = fam.genotypes(vt.gt, vt.samples)
    keys = list(zip(vt.chrom.tolist(), vt.pos.tolist(), vt.ref.tolist(), vt.alt.tolist(), strict=True))
    cls = np.array([chromosome_class(c) for c in vt.chrom], dtype=object)
    py_dn = {k for k, hit in zip(keys, de_novo(g, fam, cls), strict=True) if hit}
    genes = [labels.get(k) for k in keys]
    pairs = compound_het_pairs(g, fam, genes, x_chromosome=np.array([c == "X" for c in cls]))
    py_ch = {(p.gene, (keys[p.first][1], keys[p.first][3]), (keys[p.second][1], keys[p.second][3])) for p in pairs}
    assert py_dn and hail_dn == py_dn
    assert len(py_ch) > 10 and hail_ch == py_ch


@pytest.fixture(scope="module")
def ten(hail_session, engine, tmp_path_factory):
    from triage.cohort.run import run_cohort

    tmp = tmp_path_factory.mktemp("ten")
    sheet = tmp / "samples.tsv"
    sheet.write_text("sample\thpo\n" + "".join(f"{s}\t{','.join(HPO)}\n" for s in TEN_PROBANDS))
    out = tmp / "out"
    run = run_cohort(TEN, sheet, out, genome="GRCh37", cfg=_cfg(), tmp_dir=tmp / "hail", engine=engine)
    return out, run


def test_ten_donor_in_cohort_af_equals_direct_count(ten, engine, tmp_path):
    from triage.prioritize import AnnotatedCase, run_patient
    from triage.variants.annotation import MIN_COHORT_SAMPLES
    from triage.variants.vcf_reader import QualityFilter, read_vcf

    out, run = ten
    assert run.samples == 10 and run.ranked == 2
    full = read_vcf(TEN, TEN_PROBANDS[0], quality=QualityFilter(), carriers_only=False)
    for s in TEN_PROBANDS:
        case = AnnotatedCase.load(out / s / f"{s}.annotated.npz")
        t = case.table
        assert "cohort_frequency" in t.versions and "10 samples" in t.versions["cohort_frequency"]
        # direct count over the nine other donors (QC-passed genotypes, copies of this ALT)
        others = [i for i, x in enumerate(full.samples) if x != s]
        index = {k: i for i, k in enumerate(zip(full.chrom.tolist(), full.pos.tolist(), full.ref.tolist(),
                                                full.alt.tolist(), strict=True))}
        rows = np.array([index[k] for k in zip(t.chrom.tolist(), t.pos.tolist(), t.ref.tolist(), t.alt.tolist(),
                                               strict=True)])
        gg = full.gt[rows][:, others].astype(int)
        ac = np.where(gg > 0, gg, 0).sum(axis=1)
        an = 2 * (gg >= 0).sum(axis=1)
        direct = np.where(an >= 2 * MIN_COHORT_SAMPLES, ac / np.maximum(an, 1), np.nan)
        assert t.n_variants > 500 and np.isfinite(direct).sum() > 500
        np.testing.assert_allclose(t.cohort_af, direct, rtol=0, atol=1e-12, equal_nan=True)
        # and the single-sample path on the same multi-sample file ranks identically
        single = run_patient(TEN, HPO, [], sample=s, genome="GRCh37", cfg=_cfg(), engine=engine,
                             out_dir=tmp_path / s, formats=("json",))
        st = single.ranked.case.table  # same variants; same-position ALTs may come in another order
        assert st.n_variants == t.n_variants
        by_key = dict(zip(zip(st.chrom.tolist(), st.pos.tolist(), st.ref.tolist(), st.alt.tolist(), strict=True),
                          st.cohort_af.tolist(), strict=True))
        theirs = np.array([by_key[k] for k in zip(t.chrom.tolist(), t.pos.tolist(), t.ref.tolist(), t.alt.tolist(),
                                                  strict=True)])
        np.testing.assert_allclose(t.cohort_af, theirs, equal_nan=True)
        from triage.models import TriageResult

        cohort = TriageResult.model_validate_json((out / s / f"{s}.result.json").read_text())
        assert _genes(cohort) == _genes(single.result)


def test_reanalyse_a_cohort_output_dir(ten, engine, tmp_path):
    from triage.prioritize.reanalysis import reanalyse

    out, _ = ten
    reports = reanalyse(out, tmp_path / "re", engine=engine, top=10)
    assert len(reports) == len(TEN_PROBANDS)
    summary = (tmp_path / "re" / "reanalysis_summary.tsv").read_text().splitlines()
    assert len(summary) == 1 + len(TEN_PROBANDS) and all(ln.endswith("reanalysed") for ln in summary[1:])
    for s in TEN_PROBANDS:
        assert (tmp_path / "re" / s / f"{s}.result.json").is_file()
    # the same knowledge: nothing new, nothing left, every candidate keeps its first_seen
    assert all(r.counts().get("gene_new", 0) == 0 and r.counts().get("gene_left", 0) == 0 for r in reports)

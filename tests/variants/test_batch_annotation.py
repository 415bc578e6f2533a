"""The bulk paths behind a fast exome run give exactly what the per-item code gives:
batch gene-model annotation, the gene model's array columns and compiled cache, gene
lengths, and the one-sort HPO propagation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from triage.variants.consequences import (
    Reference,
    annotate_variant,
    most_severe_per_gene,
    most_severe_per_gene_batch,
)
from triage.variants.gene_model import GeneModel, Transcript

REPO = Path(__file__).resolve().parents[2]
DEMO_VCF = REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz"
HEADER = "#triage-gene-model\tbuild=test\tsource=synthetic\tversion=v0\n"


def _row(t: Transcript) -> str:
    offs = ",".join(str(s - t.tx_start) for s in t.exon_starts)
    lens = ",".join(str(e - s) for s, e in zip(t.exon_starts, t.exon_ends, strict=True))
    return (f"{t.chrom}\t{t.tx_start}\t{t.tx_end}\t{t.strand}\t{t.id}\t{t.gene}\t{t.cds_start}\t"
            f"{t.cds_end}\t{offs}\t{lens}\t{int(t.preferred)}\n")


# exon/intron edges at every distance the fast path cares about, both strands, short and
# long introns, non-coding, nested and overlapping transcripts, a shared transcript id
SYNTH = [
    Transcript("NM_10", "GA", "1", "+", 100, 400, 130, 370, (100, 160, 176, 300), (140, 170, 250, 400), True),
    Transcript("NM_11", "GA", "1", "+", 120, 400, 150, 360, (120, 176, 300), (140, 250, 400), False),
    Transcript("NM_20", "GB", "1", "-", 380, 700, 420, 650, (380, 450, 600), (420, 560, 700), True),
    Transcript("NR_30", "GC", "1", "+", 500, 640, 640, 640, (500, 580), (540, 640), True),
    Transcript("NM_40", "GD", "1", "-", 900, 960, 905, 955, (900,), (960,), True),
    Transcript("NM_40", "GD", "1", "-", 2900, 2960, 2905, 2955, (2900,), (2960,), False),
    Transcript("NM_50", "GE", "1", "+", 1000, 1100, 1010, 1010, (1000, 1050), (1020, 1100), True),
]
GENOME = "".join("ACGT"[(i * 7 + i // 3) % 4] for i in range(3200))


def _synthetic_model(tmp_path: Path) -> GeneModel:
    p = tmp_path / "synth.tsv"
    p.write_text(HEADER + "".join(_row(t) for t in SYNTH))
    return GeneModel.load(p)


def _alleles(positions):
    """SNVs, 1-2 bp deletions, insertions and an MNV at every position (VCF 1-based)."""
    for g in positions:
        b = GENOME[g]
        nxt = GENOME[g + 1]
        alt = "ACGT"[("ACGT".index(b) + 1) % 4]
        yield g + 1, b, alt
        yield g + 1, b + nxt, b
        yield g + 1, GENOME[g:g + 3], b
        yield g + 1, b, b + "T"
        yield g + 1, b + nxt, alt + "ACGT"[("ACGT".index(nxt) + 2) % 4]


def _assert_batch_equals_per_variant(model, chroms, variants, reference=None, flank=5000):
    pos = [v[0] for v in variants]
    refs = [v[1] for v in variants]
    alts = [v[2] for v in variants]
    got = most_severe_per_gene_batch(model, chroms, pos, refs, alts, reference=reference, flank=flank,
                                     check_ref=False)
    assert len(got) == len(variants)
    for c, (p, r, a), g in zip(chroms, variants, got, strict=True):
        want = most_severe_per_gene(annotate_variant(model, c, p, r, a, reference=reference, flank=flank,
                                                     check_ref=False))
        assert list(g) == list(want), (c, p, r, a)
        for gene, x in want.items():
            y = g[gene]
            assert x == y and x.hgvs_c == y.hgvs_c and x.distance == y.distance, (c, p, r, a, gene)
            assert x.tx is not None and (x.tx.id, x.tx.tx_start) == (y.tx.id, y.tx.tx_start)


@pytest.mark.parametrize("flank", [0, 50, 5000])
def test_batch_equals_per_variant_at_every_position(tmp_path, flank):
    model = _synthetic_model(tmp_path)
    variants = list(_alleles(range(60, 3100)))
    _assert_batch_equals_per_variant(model, ["1"] * len(variants), variants, flank=flank)


def test_batch_equals_per_variant_with_a_reference(tmp_path):
    import pysam

    fa = tmp_path / "g.fa"
    fa.write_text(">1\n" + "\n".join(GENOME[i:i + 60] for i in range(0, len(GENOME), 60)) + "\n")
    pysam.faidx(str(fa))
    model = _synthetic_model(tmp_path)
    variants = list(_alleles(range(90, 1120)))
    ref = Reference(fa)
    try:
        _assert_batch_equals_per_variant(model, ["chr1"] * len(variants), variants, reference=ref)
    finally:
        ref.close()


def test_batch_handles_unknown_contigs_symbolic_alleles_and_no_pairs(tmp_path):
    model = _synthetic_model(tmp_path)
    got = most_severe_per_gene_batch(model, ["7", "1", "1", "1"], [150, 150, 150, 20000],
                                     ["A", "A", "A", "C"], ["G", "<DEL>", "*", "G"])
    assert got == [{}, {}, {}, {}]
    assert most_severe_per_gene_batch(model, [], [], [], []) == []


def test_batch_equals_per_variant_on_the_demo_vcf():
    from triage.variants.vcf_reader import VcfReader

    model = GeneModel.load("GRCh37")
    for chunk in VcfReader(DEMO_VCF, carriers_only=False).chunks():
        variants = list(zip(chunk.pos.tolist(), chunk.ref.tolist(), chunk.alt.tolist(), strict=True))
        _assert_batch_equals_per_variant(model, chunk.chrom.tolist(), variants)


def test_batch_equals_per_variant_on_real_exomes():
    """Pfeiffer (GRCh37 and lifted GRCh38) from ../shared: every record."""
    from conftest import shared_path

    from triage.variants.vcf_reader import VcfReader

    for name, build in (("Pfeiffer_b37.vcf.gz", "GRCh37"), ("Pfeiffer_exome_hg38_lifted.vcf.gz", "GRCh38")):
        vcf = shared_path("data", "backgrounds", name)
        model = GeneModel.load(build)
        for chunk in VcfReader(vcf, carriers_only=False).chunks():
            variants = list(zip(chunk.pos.tolist(), chunk.ref.tolist(), chunk.alt.tolist(), strict=True))
            _assert_batch_equals_per_variant(model, chunk.chrom.tolist(), variants)


# --------------------------------------------------------------------------- gene model
def test_overlap_pairs_equal_overlapping(tmp_path):
    model = _synthetic_model(tmp_path)
    qs = list(itertools.product(range(0, 3200, 7), (0, 1, 5)))
    starts = np.array([s for s, _ in qs])
    ends = starts + np.array([w for _, w in qs])
    for flank in (0, 30, 5000):
        q, t = model.overlap_pairs(["chr1"] * len(qs), starts, ends, flank)
        for k, (s, w) in enumerate(qs):
            want = [id(x) for x in model.overlapping("1", s, s + w, flank)]
            assert [id(model.transcript(int(r))) for r in t[q == k]] == want, (s, w, flank)


def test_array_columns_build_the_same_transcripts_and_lengths(tmp_path):
    model = _synthetic_model(tmp_path)
    for i, t in enumerate(SYNTH):
        x = model.transcript(i)
        assert (x.id, x.gene, x.chrom, x.strand, x.tx_start, x.tx_end, x.cds_start, x.cds_end,
                x.exon_starts, x.exon_ends, x.preferred) == (
            t.id, t.gene, t.chrom, t.strand, t.tx_start, t.tx_end, t.cds_start, t.cds_end,
            t.exon_starts, t.exon_ends, t.preferred)
        cb = t.cds_bounds
        assert model.cds_lengths()[i] == (cb[1] - cb[0] if cb else 0)
        assert model.mrna_lengths()[i] == t.length
    assert model.rows_of("GD") == [4, 5] and model.rows_of("nope") == []


def test_bundled_model_lengths_and_gene_kb_match_the_transcripts():
    from triage.genotype.likelihood import MIN_GENE_KB, coding_kb
    from triage.variants.gene_aliases import REFGENE_TO_HGNC

    model = GeneModel.load("GRCh37")
    cds = model.cds_lengths()
    for i in range(0, len(model), 97):
        t = model.transcript(i)
        cb = t.cds_bounds
        assert cds[i] == (cb[1] - cb[0] if cb else 0) and model.mrna_lengths()[i] == t.length
    genes = model.genes()[::13] + list(REFGENE_TO_HGNC.values())[:40] + ["NOT_A_GENE"]
    back = {v: k for k, v in REFGENE_TO_HGNC.items()}
    want = np.full(len(genes), np.nan)
    for i, g in enumerate(genes):  # from the transcript objects
        txs = model.transcripts(g) or model.transcripts(back.get(g, g))
        best = max((t.cds_bounds[1] - t.cds_bounds[0] for t in txs if t.cds_bounds), default=0)
        best = best or max((t.length for t in txs), default=0)
        if best:
            want[i] = max(best / 1000.0, MIN_GENE_KB)
    assert np.array_equal(coding_kb(model, genes), want, equal_nan=True)
    assert model.n_coding_genes() == len({t.gene for t in map(model.transcript, range(len(model))) if t.is_coding})


def test_compiled_gene_model_round_trip(tmp_path, monkeypatch):
    from triage.variants import gene_model

    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(gene_model, "COMPILE_MIN_TRANSCRIPTS", 1)
    p = tmp_path / "synth.tsv"
    p.write_text(HEADER + "".join(_row(t) for t in SYNTH))
    first = GeneModel.load(p)
    files = list(tmp_path.glob("gene-model-*.npz"))
    assert len(files) == 1
    monkeypatch.setattr(GeneModel, "__init__", lambda *a, **k: pytest.fail("parsed again"))
    again = GeneModel.load(p)
    for k in GeneModel.COLUMNS:
        a, b = getattr(first, k), getattr(again, k)
        assert (a.dtype == b.dtype and np.array_equal(a, b)) if isinstance(a, np.ndarray) else a == b, k
    assert (again.version, again.build, again.contigs()) == (first.version, first.build, first.contigs())
    assert [t.id for t in again.overlapping("1", 150, 151)] == [t.id for t in first.overlapping("1", 150, 151)]
    files[0].write_bytes(b"broken")  # a broken cache entry: parsed again, not fatal
    monkeypatch.undo()
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path))
    assert GeneModel.load(p).tx_id == first.tx_id


def test_malformed_rows_are_named(tmp_path):
    from triage.errors import DataError

    good = _row(SYNTH[0])
    for bad in (good.replace("\t130\t", "\tx\t"), good.replace("0,60,76,200", "0,60,76"),
                good.rstrip("\n") + "\textra\n", good.replace("0,60,76,200", "0,,76,200")):
        p = tmp_path / "bad.tsv"
        p.write_text(HEADER + good + bad)
        with pytest.raises(DataError, match="malformed gene model row 2"):
            GeneModel.load(p)


# --------------------------------------------------------------------------- HPO propagation
def _propagate_reference(kb, F, mode):
    """The straightforward formulation: every (annotation, ancestor) pair, lexsorted."""
    import scipy.sparse as sp

    onto = kb.ontology
    D, T = F.shape
    Fc = F.tocoo()
    counts = np.diff(onto.anc_ptr)[Fc.col]
    rows = np.repeat(Fc.row.astype(np.int64), counts)
    vals = np.repeat(Fc.data, counts)
    src = np.repeat(Fc.col.astype(np.int64), counts)
    starts = onto.anc_ptr[Fc.col]
    offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = onto.anc_idx[np.repeat(starts, counts) + offs].astype(np.int64)
    key = rows * T + cols
    order = np.lexsort((src, -vals, key))
    key, vals, src = key[order], vals[order], src[order]
    uniq, first = np.unique(key, return_index=True)
    if mode == "max":
        agg = np.maximum.reduceat(vals, first)
    else:
        agg = 1.0 - np.exp(np.add.reduceat(np.log1p(-np.minimum(vals, 0.999)), first))
    r, c = uniq // T, uniq % T
    return (sp.csr_matrix((agg, (r, c)), shape=(D, T)),
            sp.csr_matrix((src[first] + 1, (r, c)), shape=(D, T), dtype=np.int64))


@pytest.mark.parametrize("mode", ["max", "noisy_or"])
def test_propagation_is_bit_identical_to_the_reference(mode, mini_kb):
    from triage.phenotype.knowledge import load_knowledge
    from triage.phenotype.scoring.matrices import ModelParams, direct_frequencies, propagate

    for kb in (mini_kb, load_knowledge()):
        F = direct_frequencies(kb, ModelParams(propagation=mode))
        got, want = propagate(kb, F, mode), _propagate_reference(kb, F, mode)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            for part in ("indptr", "indices", "data"):
                assert np.array_equal(getattr(a, part), getattr(b, part)), part

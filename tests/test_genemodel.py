"""triage.variants.gene_model: loading, interval lookup, bundled GRCh37/GRCh38 models, build script."""

from __future__ import annotations

import gzip
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from triage.errors import DataError
from triage.variants.gene_model import GeneModel, Transcript, bundled_path, normalize_contig

REPO = Path(__file__).resolve().parents[1]

HEADER = (
    "#triage-gene-model\tbuild=test\tsource=synthetic\tversion=v0\n"
    "#chrom\ttx_start\ttx_end\tstrand\tname\tgene\tcds_start\tcds_end\t"
    "exon_offsets\texon_lengths\tpreferred\n"
)
# A: + strand, exons [1000,1100) [1500,2000), CDS [1050,1600)
# B: - strand, one exon [1800,3000), non-coding
# C: + strand, far away [100000,100500), chr X
# D: MT, [10,20)
ROWS = [
    "1\t1000\t2000\t+\tNM_000010\tGENEA\t1050\t1600\t0,500\t100,500\t1",
    "1\t1800\t3000\t-\tNR_000020\tGENEB\t3000\t3000\t0\t1200\t1",
    "X\t100000\t100500\t+\tNM_000030\tGENEC\t100100\t100400\t0\t500\t1",
    "MT\t10\t20\t+\tNR_000040\tGENED\t20\t20\t0\t10\t1",
]


@pytest.fixture
def model_file(tmp_path) -> Path:
    p = tmp_path / "model.tsv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(HEADER + "\n".join(ROWS) + "\n")
    return p


def ids(txs: list[Transcript]) -> list[str]:
    return [t.id for t in txs]


def test_load_and_parse(model_file):
    m = GeneModel.load(model_file)
    assert len(m) == 4
    assert m.version == "test v0 (synthetic)"
    assert m.build == "test"
    assert m.genes() == ["GENEA", "GENEB", "GENEC", "GENED"]
    (a,) = m.transcripts("GENEA")
    assert isinstance(a, Transcript)
    assert (a.id, a.chrom, a.tx_start, a.tx_end, a.cds_start, a.cds_end) == (
        "NM_000010", "1", 1000, 2000, 1050, 1600)
    assert (a.exon_starts, a.exon_ends, a.strand, a.preferred) == (
        (1000, 1500), (1100, 2000), "+", True)
    assert a.is_coding and a.length == 600
    # mRNA offsets: exon 1 is 0..99, exon 2 100..599; CDS from offset 50 to 200 (exclusive)
    assert a.mrna_offset(1000) == 0 and a.mrna_offset(1500) == 100
    assert a.mrna_offset(1200) is None
    assert a.cds_bounds == (50, 200)
    (b,) = m.transcripts("GENEB")
    assert not b.is_coding and b.cds_bounds is None
    assert b.mrna_offset(2999) == 0 and b.mrna_offset(1800) == 1199  # - strand


def test_overlapping_contig_names_and_flank(model_file):
    m = GeneModel.load(model_file)
    assert ids(m.overlapping("1", 1050, 1051)) == ["NM_000010"]
    assert ids(m.overlapping("chr1", 1050, 1051)) == ["NM_000010"]
    assert ids(m.overlapping("1", 1900, 1901)) == ["NM_000010", "NR_000020"]
    assert ids(m.overlapping("1", 2000, 2001)) == ["NR_000020"]  # A ends at 2000 (exclusive)
    assert ids(m.overlapping("1", 999, 1000)) == []
    assert ids(m.overlapping("1", 999, 1000, flank=1)) == ["NM_000010"]
    assert ids(m.overlapping("1", 5000, 5001, flank=5000)) == ["NM_000010", "NR_000020"]
    assert ids(m.overlapping("1", 6999, 7000, flank=5000)) == ["NM_000010", "NR_000020"]
    assert ids(m.overlapping("1", 7000, 7001, flank=5000)) == ["NR_000020"]
    assert ids(m.overlapping("1", 8000, 8001, flank=5000)) == []
    # a large query spanning both
    assert ids(m.overlapping("1", 0, 10_000)) == ["NM_000010", "NR_000020"]
    # insertion point (start == end) between 999 and 1000 touches A's first base
    assert ids(m.overlapping("1", 1000, 1000)) == ["NM_000010"]
    assert ids(m.overlapping("chrX", 100_200, 100_201)) == ["NM_000030"]
    assert ids(m.overlapping("x", 100_200, 100_201)) == ["NM_000030"]
    for name in ("MT", "M", "chrM", "chrMT"):
        assert ids(m.overlapping(name, 15, 16)) == ["NR_000040"], name
    assert m.overlapping("7", 1000, 1001) == []
    assert m.overlapping("chrUn_xyz", 1000, 1001) == []
    # transcripts are built once and shared
    assert m.overlapping("1", 1050, 1051)[0] is m.transcripts("GENEA")[0]


def test_overlapping_long_transcript_before_short_ones(tmp_path):
    # a long transcript starting first must be found past later, shorter ones
    rows = [
        "1\t0\t1000000\t+\tNM_1\tLONG\t10\t20\t0\t1000000\t1",
        "1\t100\t200\t+\tNM_2\tS1\t100\t100\t0\t100\t1",
        "1\t300\t400\t+\tNM_3\tS2\t300\t300\t0\t100\t1",
        "1\t2000000\t2000100\t+\tNM_4\tFAR\t2000000\t2000000\t0\t100\t1",
    ]
    p = tmp_path / "m.tsv"
    p.write_text(HEADER + "\n".join(rows) + "\n")
    m = GeneModel.load(p)
    assert ids(m.overlapping("1", 500_000, 500_001)) == ["NM_1"]
    assert ids(m.overlapping("1", 150, 151)) == ["NM_1", "NM_2"]
    assert ids(m.overlapping("1", 1_500_000, 1_500_001, flank=5000)) == []


def test_normalize_contig():
    assert [normalize_contig(c) for c in ("chr1", "1", "chrX", "x", "chrM", "M", "MT", "chrMT")] == [
        "1", "1", "X", "X", "MT", "MT", "MT", "MT"]


def test_missing_and_malformed_files(tmp_path):
    missing = tmp_path / "nope.tsv.gz"
    with pytest.raises(DataError, match="nope.tsv.gz"):
        GeneModel.load(missing)
    bad = tmp_path / "bad.tsv"
    bad.write_text("chrom\tstart\n1\t2\n")
    with pytest.raises(DataError, match="bad.tsv"):
        GeneModel.load(bad)
    short = tmp_path / "short.tsv"
    short.write_text(HEADER + "1\t100\t200\n")
    with pytest.raises(DataError, match="malformed"):
        GeneModel.load(short)


def test_missing_bundled_build_names_the_path(monkeypatch, tmp_path):
    import triage.variants.gene_model as gm

    monkeypatch.setattr(gm, "resource_dir", lambda: tmp_path)
    with pytest.raises(DataError, match=str(tmp_path / "GRCh38.refGene.tsv.gz")):
        GeneModel.load("GRCh38")


# ----------------------------------------------------------------------------- bundled files
@pytest.fixture(scope="module")
def grch38() -> GeneModel:
    return GeneModel.load("GRCh38")


def test_bundled_files_exist_and_are_small():
    for build in ("GRCh37", "GRCh38"):
        p = bundled_path(build)
        assert p.is_file(), p
        assert p.stat().st_size < 5_000_000
        with gzip.open(p, "rt") as fh:
            head = fh.readline()
        assert head.startswith("#triage-gene-model\t")
        assert f"build={build}" in head and "version=refGene-2019-07-28" in head


def test_bundled_grch38_content(grch38):
    assert grch38.build == "GRCh38"
    assert "refGene-2019-07-28" in grch38.version
    assert set(grch38.contigs()) == {str(i) for i in range(1, 23)} | {"X", "Y", "MT"}
    assert len(grch38) > 70_000
    # exactly one preferred transcript per gene and contig, read from the file itself
    per: Counter = Counter()
    genes_contigs = set()
    with gzip.open(bundled_path("GRCh38"), "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            genes_contigs.add((f[5], f[0]))
            per[(f[5], f[0])] += f[10] == "1"
    assert set(per.values()) == {1}
    assert len(per) == len(genes_contigs) > 25_000


def test_fgfr2_minus_strand_and_coding_exon(grch38):
    txs = grch38.transcripts("FGFR2")
    assert {t.strand for t in txs} == {"-"} and {t.chrom for t in txs} == {"10"}
    nm = {t.id: t for t in txs}["NM_000141.5"]  # MANE accessions carry MANE's version
    # chr10:121496701 (1-based) -> 0-based 121496700: inside exon [121496531, 121496738)?
    pos = 121_496_700
    i = nm.exon_index(pos)
    assert i >= 0 and nm.exon_starts[i] <= pos < nm.exon_ends[i]
    assert nm.cds_start <= pos < nm.cds_end
    assert nm.exon_starts[i] == 121_496_531
    # coding position c.1694 (the published Pfeiffer variant NM_000141 c.1694A>C)
    cds_a, _ = nm.cds_bounds
    assert nm.mrna_offset(pos) - cds_a + 1 == 1694
    found = grch38.overlapping("chr10", pos, pos + 1)
    assert "NM_000141.5" in ids(found) and {t.gene for t in found} == {"FGFR2"}
    # the preferred FGFR2 transcript is MANE Select NM_000141.5, although NM_022970 (not
    # in MANE: no version) has the longer CDS
    (pref,) = grch38.preferred("FGFR2")
    assert pref.id == "NM_000141.5"
    cds_len = {t.id: t.cds_bounds[1] - t.cds_bounds[0] for t in txs if t.is_coding}
    assert cds_len["NM_022970"] > cds_len[pref.id]


# ----------------------------------------------------------------------------- build script
def _load_script():
    spec = importlib.util.spec_from_file_location(
        "build_gene_model", REPO / "scripts" / "build_gene_model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _row(name, gene="G", cds=(100, 400), exons=((0, 500),), chrom="chr1"):
    return {"name": name, "gene": gene, "chrom": chrom, "strand": "+",
            "tx_start": exons[0][0], "tx_end": exons[-1][1], "cds_start": cds[0],
            "cds_end": cds[1], "exon_starts": [s for s, _ in exons],
            "exon_ends": [e for _, e in exons]}


def test_preferred_rule():
    mod = _load_script()

    def pick(rows):
        mod.mark_preferred(rows)
        return [r["name"] for r in rows if r["preferred"]]

    # 1. coding NM_ beats NR_ even when the NR_ is longer
    assert pick([_row("NR_000001", cds=(500, 500), exons=((0, 5000),)),
                 _row("NM_000900")]) == ["NM_000900"]
    # 2. longest CDS wins over a longer transcript and a lower accession
    assert pick([_row("NM_000001", cds=(100, 400), exons=((0, 5000),)),
                 _row("NM_000900", cds=(100, 430))]) == ["NM_000900"]
    # 3. equal CDS: longest transcript (sum of exons)
    assert pick([_row("NM_000001"), _row("NM_000900", exons=((0, 600),))]) == ["NM_000900"]
    # 4. all equal: lowest accession number (numerically, not as text)
    assert pick([_row("NM_1000"), _row("NM_999")]) == ["NM_999"]
    # one per gene and contig
    assert pick([_row("NM_1"), _row("NM_2", gene="H"), _row("NM_3", chrom="chrY")]) == [
        "NM_1", "NM_2", "NM_3"]
    # MANE Select first, then MANE Plus Clinical, whatever the CDS length
    sel = {**_row("NM_000005", cds=(100, 200)), "mane": "select"}
    plus = {**_row("NM_000006", cds=(100, 300)), "mane": "plus_clinical"}
    assert pick([_row("NM_000001", cds=(100, 430)), plus, sel]) == ["NM_000005"]
    plus = {**_row("NM_000006", cds=(100, 300)), "mane": "plus_clinical"}
    assert pick([_row("NM_000001", cds=(100, 430)), plus]) == ["NM_000006"]


def test_mane_versions_and_preference_both_builds():
    """MANE Select is the preferred transcript on GRCh37 too (matched by accession), and
    MANE transcripts carry MANE's accession version."""
    for build in ("GRCh37", "GRCh38"):
        m = GeneModel.load(build)
        assert [t.id for t in m.preferred("SMARCB1")] == ["NM_003073.5"], build
        assert [t.id for t in m.preferred("FGFR2")] == ["NM_000141.5"], build
        # non-MANE transcripts have no version source: bare accession
        assert "NM_001362877" in {t.id for t in m.transcripts("SMARCB1")}
        assert "MANE v0.95" in m.version


def test_script_filters_contigs_and_is_reproducible(tmp_path):
    mod = _load_script()
    shared = tmp_path / "shared"
    src = shared / "data" / "gene_models" / "hg38"
    src.mkdir(parents=True)
    lines = [
        "585\tNM_5\tchr1\t-\t100\t900\t200\t800\t2\t100,600,\t300,900,\t0\tGX\tcmpl\tcmpl\t0,0,",
        "585\tNM_6\tchr1_KI270706v1_random\t+\t1\t50\t1\t50\t1\t1,\t50,\t0\tGY\tcmpl\tcmpl\t0,",
        "585\tNR_7\tchrM\t+\t10\t20\t20\t20\t1\t10,\t20,\t0\tGZ\tunk\tunk\t-1,",
        "585\tNM_8\tchr6_apd_hap1\t+\t1\t50\t1\t50\t1\t1,\t50,\t0\tGY\tcmpl\tcmpl\t0,",
    ]
    with gzip.open(src / "refGene.txt.gz", "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    out = tmp_path / "out"
    mod.main(["--shared", str(shared), "--out", str(out), "--build", "GRCh38"])
    dest = out / "GRCh38.refGene.tsv.gz"
    first = dest.read_bytes()
    mod.main(["--shared", str(shared), "--out", str(out), "--build", "GRCh38"])
    assert dest.read_bytes() == first  # byte-identical rerun (gzip mtime=0)
    m = GeneModel.load(dest)
    assert ids(m.overlapping("1", 0, 10_000)) == ["NM_5"]
    assert m.contigs() == ["1", "MT"]
    (t,) = m.transcripts("GX")
    assert (t.exon_starts, t.exon_ends, t.cds_start, t.cds_end, t.preferred) == (
        (100, 600), (300, 900), 200, 800, True)

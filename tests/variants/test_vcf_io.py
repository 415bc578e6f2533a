"""VCF ingest: formats, splitting, contigs, build, quality filters, malformed input."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cyvcf2")
pysam = pytest.importorskip("pysam")

from triage.errors import GenomeBuildError, InputFileError, TriageError  # noqa: E402
from triage.variants.vcf_reader import (  # noqa: E402
    GRCH37,
    GRCH38,
    QualityFilter,
    VariantTable,
    VcfReader,
    check_build,
    detect_build,
    detect_build_from_header,
    iter_chunks,
    normalize_build,
    normalize_chrom,
    read_vcf,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "backgrounds"

B37 = {"1": 249250621, "2": 243199373, "X": 155270560, "MT": 16569}
B38 = {"chr1": 248956422, "chr2": 242193529, "chrX": 156040895, "chrM": 16569}

HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowQual,Description="Low quality">
##FILTER=<ID=VQSR,Description="VQSR tranche">
##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">
##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
"""


def make_vcf(
    tmp_path: Path,
    rows: list[str],
    samples: tuple[str, ...] = ("P",),
    contigs: dict[str, int] | None = None,
    name: str = "in.vcf",
    extra_header: str = "",
) -> Path:
    contigs = B37 if contigs is None else contigs
    lines = [HEADER.rstrip("\n"), *(f"##contig=<ID={c},length={n}>" for c, n in contigs.items())]
    if extra_header:
        lines.append(extra_header.rstrip("\n"))
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                            *samples]))
    lines += rows
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def bgzip(path: Path) -> Path:
    out = Path(str(path) + ".gz")
    pysam.tabix_compress(str(path), str(out), force=True)
    return out


def rec(chrom: str, pos: int, ref: str, alt: str, *calls: str, filt: str = "PASS",
        info: str = ".", fmt: str = "GT:GQ:DP:AD", qual: str = "50", vid: str = ".") -> str:
    return "\t".join([chrom, str(pos), vid, ref, alt, qual, filt, info, fmt, *calls])


PERMISSIVE = QualityFilter.permissive()


# --------------------------------------------------------------------------- formats
def test_plain_bgzip_gzip_and_bcf_read_identically(tmp_path: Path) -> None:
    rows = [
        rec("1", 100, "A", "G", "0/1:50:30:15,15", vid="rs1"),
        rec("1", 200, "C", "T", "1/1:50:30:0,30"),
        rec("2", 300, "G", "GA", "0|1:50:30:14,16"),
    ]
    plain = make_vcf(tmp_path, rows)
    bgz = bgzip(plain)
    gz = tmp_path / "plain_gzip.vcf.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    bcf = tmp_path / "in.bcf"
    with pysam.VariantFile(str(plain)) as src, pysam.VariantFile(str(bcf), "wb", header=src.header) as dst:
        for r in src:
            dst.write(r)
    tables = [read_vcf(p, "P") for p in (plain, bgz, gz, bcf)]
    for t in tables:
        assert list(t.pos) == [100, 200, 300]
        assert list(t.alt) == ["G", "T", "GA"]
        assert list(t.proband_gt) == [1, 2, 1]
        assert list(t.phased[:, 0]) == [False, False, True]
        assert list(t.id) == ["rs1", None, None]
        assert t.gq[0, 0] == 50 and t.dp[0, 0] == 30
        assert t.alt_fraction[2, 0] == pytest.approx(16 / 30)


def test_multiallelic_split_recodes_genotypes_per_alt(tmp_path: Path) -> None:
    rows = [rec("1", 100, "A", "G,T", "1/2:50:30:2,14,14", "0/1:50:30:15,15,0", "2/2:50:30:0,0,30",
                info="AF=0.1,0.3")]
    p = make_vcf(tmp_path, rows, samples=("P", "F", "M"))
    t = read_vcf(p, "P", info_fields=("AF",))
    assert list(t.alt) == ["G", "T"]
    assert list(t.alt_index) == [1, 2]
    assert list(t.n_alts) == [2, 2]
    assert list(t.record_index) == [0, 0]
    # relative to G: P has one G (het), F het, M no G (hom-ref for this ALT)
    assert t.gt[0].tolist() == [1, 1, 0]
    # relative to T: P het, F none, M hom-alt
    assert t.gt[1].tolist() == [1, 0, 2]
    assert t.alt_fraction[0].tolist() == pytest.approx([14 / 30, 0.5, 0.0])
    assert t.alt_fraction[1].tolist() == pytest.approx([14 / 30, 0.0, 1.0])
    # cohort AC/AN over the three samples
    assert t.cohort_an.tolist() == [6, 6]
    assert t.cohort_ac.tolist() == [2, 3]
    assert t.cohort_af.tolist() == pytest.approx([2 / 6, 3 / 6])
    # Number=A INFO: this ALT's value
    assert t.info["AF"].tolist() == pytest.approx([0.1, 0.3])


def test_spanning_deletion_alt_dropped_and_haploid_is_hemizygous(tmp_path: Path) -> None:
    rows = [rec("X", 500, "C", "T,*", "1", "0/2", fmt="GT")]
    p = make_vcf(tmp_path, rows, samples=("P", "M"))
    r = VcfReader(p, "P", quality=PERMISSIVE, carriers_only=False)
    t = VariantTable.concat(list(r))
    assert list(t.alt) == ["T"]
    assert t.gt[0].tolist() == [2, 0]  # haploid ALT -> 2; 0/* has no copy of T
    assert t.cohort_an[0] == 3 and t.cohort_ac[0] == 1
    assert r.stats.dropped_non_variant_alt == 1


def test_missing_and_partial_genotypes(tmp_path: Path) -> None:
    rows = [rec("1", 100, "A", "G", "0/1", "./.", "./1", fmt="GT")]
    t = read_vcf(make_vcf(tmp_path, rows, samples=("P", "A", "B")), "P", quality=PERMISSIVE)
    assert t.gt[0].tolist() == [1, -1, -1]  # a half call counts as missing
    assert t.cohort_an[0] == 3 and t.cohort_ac[0] == 2


# --------------------------------------------------------------------------- contigs, build
def test_chr_and_no_chr_contigs_normalise_alike(tmp_path: Path) -> None:
    call = "0/1:50:30:15,15"
    t37 = read_vcf(make_vcf(tmp_path, [rec("1", 10, "A", "G", call), rec("MT", 20, "A", "G", call)],
                            name="a.vcf"), "P")
    t38 = read_vcf(make_vcf(tmp_path, [rec("chr1", 10, "A", "G", call), rec("chrM", 20, "A", "G", call)],
                            contigs=B38, name="b.vcf"), "P")
    assert list(t37.chrom_norm) == list(t38.chrom_norm) == ["1", "MT"]
    assert list(t38.chrom) == ["chr1", "chrM"]  # the original spelling is kept
    assert t38.key(0) == ("chr1", 10, "A", "G")
    assert [normalize_chrom(c) for c in ("chrX", "x", "chrMT", "M", "chr17", "GL000192.1")] == [
        "X", "X", "MT", "MT", "17", "GL000192.1"]


def test_build_detection_from_contig_lengths(tmp_path: Path) -> None:
    call = ["0/1:50:30:15,15"]
    p37 = make_vcf(tmp_path, [rec("1", 10, "A", "G", *call)], contigs=B37, name="a.vcf")
    p38 = make_vcf(tmp_path, [rec("chr1", 10, "A", "G", *call)], contigs=B38, name="b.vcf")
    pnone = make_vcf(tmp_path, [rec("1", 10, "A", "G", *call)], contigs={"1": 1000}, name="c.vcf")
    assert detect_build(p37) == GRCH37
    assert detect_build(bgzip(p38)) == GRCH38
    assert detect_build(pnone) is None
    assert VcfReader(p38, "P").build == GRCH38
    assert VcfReader(p38, "P").chr_prefix is True
    # contradictory lengths -> undeterminable
    assert detect_build_from_header({"1": 249250621, "chr2": 242193529}) is None
    # no lengths at all: one unambiguous ##reference token is used
    assert detect_build_from_header({"1": None}, "##reference=file:///ref/hs37d5.fa") == GRCH37
    assert detect_build_from_header({}, "##reference=GRCh38\n##reference=hg19") is None


def test_check_build_mismatch_raises_clear_error() -> None:
    assert check_build(GRCH37, "hg19") == GRCH37
    assert check_build(None, "hg38") == GRCH38  # undeterminable: nothing to check
    with pytest.raises(GenomeBuildError) as exc:
        check_build(GRCH37, "GRCh38", source="patient.vcf.gz")
    msg = str(exc.value)
    assert "patient.vcf.gz" in msg and "GRCh37" in msg and "GRCh38" in msg
    assert "249,250,621" in msg
    with pytest.raises(GenomeBuildError, match="unknown genome build"):
        normalize_build("hg18")


# --------------------------------------------------------------------------- malformed input
def _bad(tmp_path: Path, bad_row: str) -> Path:
    good = rec("1", 100, "A", "G", "0/1:50:30:15,15")
    return make_vcf(tmp_path, [good, bad_row, rec("1", 300, "A", "G", "0/1:50:30:15,15")])


def header_lines(samples: int = 1) -> int:
    return len(HEADER.splitlines()) + len(B37) + 1


@pytest.mark.parametrize(
    ("bad_row", "needle"),
    [
        (rec("1", "2x0", "A", "G", "0/1:50:30:15,15"), "POS '2x0'"),  # type: ignore[arg-type]
        ("1\t200\t.\tA\tG\t50\tPASS\t.", "expected 10 tab-separated columns"),
        (rec("1", 200, "A", "G", "0/1:50:30:15,15", "0/0:50:30:30,0"), "found 11"),
        (rec("1", 200, "A", "G", "0/1:50:30:15,15", qual="5x0"), "QUAL"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, bad_row: str, needle: str) -> None:
    p = _bad(tmp_path, bad_row)
    bad_line = header_lines() + 2
    for path in (p, bgzip(p)):
        with pytest.raises(InputFileError) as exc:
            read_vcf(path, "P")
        assert exc.value.line == bad_line
        assert f"{path}:{bad_line}:" in str(exc.value)
        assert needle in str(exc.value)


def test_truncated_gzip_is_reported_with_a_line(tmp_path: Path) -> None:
    rows = [rec("1", i, "A", "G", "0/1:50:30:15,15", info="CSQ=" + "x" * 40)
            for i in range(1, 20001)]
    gz = bgzip(make_vcf(tmp_path, rows))
    data = gz.read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError) as exc:
        read_vcf(cut, "P")
    assert exc.value.line is not None and exc.value.line > header_lines()
    assert str(cut) in str(exc.value)


def test_header_only_and_empty_files(tmp_path: Path) -> None:
    p = make_vcf(tmp_path, [])
    with pytest.raises(InputFileError, match="no variant records"):
        read_vcf(p, "P")
    with pytest.raises(InputFileError, match="no variant records"):
        read_vcf(bgzip(p), "P")
    empty = tmp_path / "empty.vcf"
    empty.write_text("")
    with pytest.raises(InputFileError, match="empty file"):
        read_vcf(empty)
    notvcf = tmp_path / "x.vcf"
    notvcf.write_text("hello\n")
    with pytest.raises(InputFileError) as exc:
        read_vcf(notvcf)
    assert exc.value.line == 1
    with pytest.raises(InputFileError, match="file not found"):
        read_vcf(tmp_path / "absent.vcf")


def test_blank_lines_are_tolerated(tmp_path: Path) -> None:
    p = make_vcf(tmp_path, [rec("1", 100, "A", "G", "0/1:50:30:15,15"), "",
                            rec("1", 200, "A", "G", "0/1:50:30:15,15")])
    p.write_text(p.read_text() + "\n\n")
    assert read_vcf(p, "P").pos.tolist() == [100, 200]
    assert read_vcf(bgzip(p), "P").pos.tolist() == [100, 200]


def test_all_filtered_is_not_an_error(tmp_path: Path) -> None:
    p = make_vcf(tmp_path, [rec("1", 100, "A", "G", "0/1:50:30:15,15", filt="LowQual")])
    assert len(read_vcf(p, "P")) == 0


# --------------------------------------------------------------------------- samples
def test_sample_selection(tmp_path: Path) -> None:
    rows = [rec("1", 100, "A", "G", "0/0:50:30:30,0", "0/1:50:30:15,15", "1/1:50:30:0,30")]
    p = make_vcf(tmp_path, rows, samples=("mum", "kid", "dad"))
    t = read_vcf(p, "kid")
    assert t.samples == ("mum", "kid", "dad") and t.proband == "kid" and t.proband_gt.tolist() == [1]
    t = read_vcf(p, "dad", samples=["kid"])
    assert t.samples == ("dad", "kid") and t.gt[0].tolist() == [2, 1]
    assert t.cohort_ac[0] == 3 and t.cohort_an[0] == 6  # cohort counts use every sample
    with pytest.raises(InputFileError) as exc:
        read_vcf(p, "grandma")
    assert "'grandma'" in str(exc.value) and "mum, kid, dad" in str(exc.value)
    with pytest.raises(InputFileError, match="name the proband"):
        read_vcf(p)
    with pytest.raises(InputFileError, match="'nobody'"):
        read_vcf(p, "kid", samples=["nobody"])
    # the proband does not carry it: dropped unless carriers_only=False
    assert len(read_vcf(p, "mum")) == 0
    assert len(read_vcf(p, "mum", carriers_only=False)) == 1


# --------------------------------------------------------------------------- quality
def test_filter_column_allowed_set(tmp_path: Path) -> None:
    call = "0/1:50:30:15,15"
    rows = [rec("1", 1, "A", "G", call), rec("1", 2, "A", "G", call, filt="."),
            rec("1", 3, "A", "G", call, filt="LowQual"), rec("1", 4, "A", "G", call, filt="LowQual;VQSR")]
    p = make_vcf(tmp_path, rows)
    assert read_vcf(p, "P").pos.tolist() == [1, 2]
    assert read_vcf(p, "P", quality=QualityFilter(missing_filter_passes=False)).pos.tolist() == [1]
    qf = QualityFilter(allowed_filters={"PASS", "LowQual"})
    assert read_vcf(p, "P", quality=qf).pos.tolist() == [1, 2, 3]
    t = read_vcf(p, "P", quality=QualityFilter(allowed_filters=None))
    assert t.filter.tolist() == ["PASS", ".", "LowQual", "LowQual;VQSR"]
    assert read_vcf(p, "P", quality=QualityFilter(min_qual=60)).pos.tolist() == []


def test_genotype_thresholds_set_calls_missing(tmp_path: Path) -> None:
    rows = [
        rec("1", 1, "A", "G", "0/1:10:30:15,15", "0/0:50:30:30,0"),   # proband GQ 10
        rec("1", 2, "A", "G", "0/1:50:5:3,2", "0/0:50:30:30,0"),      # proband DP 5
        rec("1", 3, "A", "G", "0/1:50:30:27,3", "0/0:50:30:30,0"),    # proband AB 0.1
        rec("1", 4, "A", "G", "0/1:50:30:15,15", "0/0:50:30:20,10"),  # parent hom-ref, 33 % alt
        rec("1", 5, "A", "G", "0/1:50:.:15,15", "0/0:.:.:.", fmt="GT:GQ:DP:AD"),  # DP from AD; missing ok
        rec("1", 6, "A", "G", "0/1:50:30:15,15", "0/0:19:30:30,0"),   # parent GQ 19
    ]
    p = make_vcf(tmp_path, rows, samples=("P", "F"))
    t = read_vcf(p, "P", carriers_only=False)
    assert t.gt.tolist() == [[-1, 0], [-1, 0], [-1, 0], [1, -1], [1, 0], [1, -1]]
    assert t.gt_failed_qc.tolist() == [[True, False], [True, False], [True, False],
                                       [False, True], [False, False], [False, True]]
    assert t.dp[4].tolist() == [-1, -1]
    assert read_vcf(p, "P").pos.tolist() == [4, 5, 6]  # carriers only (after QC)
    loose = QualityFilter(min_gq=5, min_dp=3, het_alt_fraction=(0.05, 0.95),
                          max_hom_ref_alt_fraction=None)
    assert read_vcf(p, "P", quality=loose).gt[:, 1].tolist() == [0, 0, 0, 0, 0, 0]


def test_quality_filter_rejects_bad_config() -> None:
    with pytest.raises(TriageError):
        QualityFilter(het_alt_fraction=(0.8, 0.2))
    with pytest.raises(TriageError):
        QualityFilter(min_gq=-1)
    with pytest.raises(TriageError):
        QualityFilter(max_hom_ref_alt_fraction=2)
    assert QualityFilter(allowed_filters=["PASS", "x"]).allowed_filters == frozenset({"PASS", "x"})


# --------------------------------------------------------------------------- INFO, chunks
def test_info_fields_raw_access(tmp_path: Path) -> None:
    rows = [rec("1", 100, "A", "G", "0/1:50:30:15,15", info="AF=0.01;CSQ=G|missense|FGFR2;DB"),
            rec("1", 200, "A", "C", "0/1:50:30:15,15")]
    t = read_vcf(make_vcf(tmp_path, rows), "P", info_fields=("CSQ", "AF", "DB", "NOT_IN_HEADER"))
    assert t.info["CSQ"].tolist() == ["G|missense|FGFR2", None]
    assert t.info["AF"][0] == pytest.approx(0.01) and t.info["AF"][1] is None
    assert t.info["DB"].tolist() == [True, False]
    assert t.info["NOT_IN_HEADER"].tolist() == [None, None]


def test_chunks_stream_and_concatenate(tmp_path: Path) -> None:
    rows = [rec("1", i, "A", "G,T", "1/2:50:30:2,14,14") for i in range(1, 8)]
    p = make_vcf(tmp_path, rows)
    chunks = list(iter_chunks(p, "P", chunk_size=3))
    assert [len(c) for c in chunks] == [6, 6, 2]  # chunk_size counts records; ALTs are split
    whole = read_vcf(p, "P")
    both = VariantTable.concat(chunks)
    assert both.pos.tolist() == whole.pos.tolist() == [i for i in range(1, 8) for _ in (1, 2)]
    assert np.array_equal(both.gt, whole.gt)
    sub = whole.take(whole.alt == "T")
    assert len(sub) == 7 and set(sub.alt_index.tolist()) == {2}


def test_reader_stats(tmp_path: Path) -> None:
    rows = [rec("1", 1, "A", "G", "0/1:50:30:15,15"), rec("1", 2, "A", "G", "0/0:50:30:30,0"),
            rec("1", 3, "A", "G", "0/1:50:30:15,15", filt="LowQual"),
            rec("1", 4, "A", "G,T", "0/1:50:30:15,15,0")]
    r = VcfReader(make_vcf(tmp_path, rows), "P")
    n = sum(len(c) for c in r)
    st = r.stats
    assert n == 2 and st.records == 4 and st.rows_seen == 5 and st.rows_kept == 2
    assert st.dropped_filter == 1 and st.dropped_not_in_proband == 2 and st.multiallelic_records == 1


# --------------------------------------------------------------------------- real exome
def test_pfeiffer_exome_smoke() -> None:
    path = SHARED / "Pfeiffer_b37.vcf.gz"
    if not path.exists():
        pytest.skip(f"../shared absent: {path}")
    r = VcfReader(path, quality=PERMISSIVE, carriers_only=False)
    t = VariantTable.concat(list(r))
    assert r.stats.records == 37709 and len(t) == 37709
    assert r.build == GRCH37 and r.proband == "manuel"
    hit = np.flatnonzero((t.chrom_norm == "10") & (t.pos == 123256215))
    assert len(hit) == 1 and t.key(int(hit[0])) == ("10", 123256215, "T", "G")
    assert t.proband_gt[hit[0]] == 1


def test_gt_only_vcf_reads_with_missing_quality(tmp_path):
    """A VCF declaring only GT (no GQ/DP/AD) is valid input: quality values are missing."""
    from triage.variants.vcf_reader import QualityFilter, read_vcf

    p = tmp_path / "gt_only.vcf"
    p.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=248956422>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\n"
        "1\t1000\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n1\t2000\t.\tC\tT\t50\tPASS\t.\tGT\t1/1\n")
    t = read_vcf(p, quality=QualityFilter.permissive())
    assert len(t) == 2 and t.proband_gt.tolist() == [1, 2]

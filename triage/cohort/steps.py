"""The Hail steps of ``triage cohort``; each takes and returns a MatrixTable (or, at the
end of the chain, a Table), so they compose and can be checkpointed anywhere.

The rules are those of the single-sample reader and of :mod:`triage.genotype.inheritance`,
written as Hail expressions:

* :func:`split_alleles`  one row per ALT, the record's REF/ALT kept as written (no minrep,
  as :class:`~triage.variants.vcf_reader.VcfReader`), ``a_index`` = the ALT's index;
* :func:`variant_qc_filter`  FILTER / QUAL of ``quality:`` (:meth:`QualityFilter.record_passes`)
  and the non-variant ALTs (``*``, ``<NON_REF>`` ...) dropped;
* :func:`genotype_qc`  ``n_alt`` = copies of this ALT (haploid ALT = 2, as the reader), missing
  when the genotype fails GQ / DP (DP falls back to sum(AD)) / het allele balance / hom-ref
  alt fraction; a failing genotype never drops a row;
* :func:`cohort_counts`  AC / AN / homozygotes over every sample (QC-passed genotypes); the
  driver subtracts the proband's family per proband;
* :func:`annotate_genes`  the bundled gene model as an interval table: ``genes`` = symbols
  whose transcript +- flank covers the locus (labels of the trio compound-het table; the exact consequences are
  computed by the Python annotator on the rows that survive);
* :func:`trio_flags` / :func:`compound_het_table`  de novo and compound-het candidates of every
  complete trio (``hl.trio_matrix``), the rules of :func:`~triage.genotype.inheritance.de_novo`
  and :func:`~triage.genotype.inheritance.compound_het_pairs` for a proband with two
  unaffected parents.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import hail as hl

from triage.errors import InputFileError
from triage.variants.vcf_reader import QualityFilter

NON_VARIANT_ALTS = ("*", "<*>", "<NON_REF>", "<X>")
#: cheap gene filter: extra bases around transcript +- flank (a deletion that starts before the
#: window but reaches into it keeps its row; the annotator decides exactly)
GENE_MARGIN = 500


def _reference(genome: str) -> str:
    return "GRCh38" if genome.upper() in ("GRCH38", "HG38") else "GRCh37"


def _recoding(genome: str) -> dict[str, str]:
    """Contig names of the other convention mapped onto the Hail reference's."""
    names = [str(i) for i in range(1, 23)] + ["X", "Y", "MT"]
    if _reference(genome) == "GRCh38":
        m = {n: f"chr{n}" for n in names}
        m["MT"] = "chrM"
        m["M"] = "chrM"
        return m
    m = {f"chr{n}": n for n in names}
    m["chrM"] = "MT"
    return m


def _as_vcf_text(path: Path, tmp_dir: Path) -> tuple[Path, bool]:
    """Hail reads VCF text only: a BCF is converted (pysam) into the tmp dir.
    Returns (path, is_bgzf)."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    is_gz = head[:2] == b"\x1f\x8b"
    if is_gz:
        with gzip.open(path, "rb") as fh:
            magic = fh.read(3)
        if magic == b"BCF":
            import pysam

            out = tmp_dir / (path.name.replace(".bcf", "") + ".vcf.bgz")
            with pysam.VariantFile(str(path)) as src, pysam.VariantFile(str(out), "wz", header=src.header) as dst:
                for rec in src:
                    dst.write(rec)
            return out, True
        return path, len(head) >= 16 and head[12:14] == b"BC"  # BGZF extra field
    return path, False


def import_cohort(path: str | Path, genome: str, tmp_dir: str | Path, *, checkpoint: bool = True) -> hl.MatrixTable:
    """A VCF / VCF.gz / BCF (joint-called, multi-sample) or a MatrixTable directory -> MatrixTable,
    checkpointed under ``tmp_dir`` (every later step reads the checkpoint, not the text)."""
    p = Path(path)
    tmp = Path(tmp_dir)
    if p.is_dir():
        if not (p / "metadata.json.gz").exists() and not (p / "README.txt").exists():
            raise InputFileError(str(p), "a directory but not a Hail MatrixTable (no metadata.json.gz)")
        return hl.read_matrix_table(str(p))
    if not p.is_file():
        raise InputFileError(str(p), "file not found")
    text, bgzf = _as_vcf_text(p, tmp)
    rg = _reference(genome)
    mt = hl.import_vcf(str(text), reference_genome=rg, contig_recoding=_recoding(genome),
                       skip_invalid_loci=True, array_elements_required=False,
                       force_bgz=bgzf, force=(not bgzf and str(text).endswith(".gz")))
    if checkpoint:
        mt = mt.checkpoint(str(tmp / "cohort.imported.mt"), overwrite=True)
    return mt


def split_alleles(mt: hl.MatrixTable) -> hl.MatrixTable:
    """One row per ALT allele with the record's own REF/ALT (``a_index``, ``n_alleles``);
    entry fields untouched (``GT``/``AD`` still index the record's alleles)."""
    mt = mt.annotate_rows(_ai=hl.range(1, hl.len(mt.alleles)), n_alleles=hl.len(mt.alleles))
    mt = mt.key_rows_by("locus")
    mt = mt.explode_rows("_ai")
    mt = mt.annotate_rows(a_index=mt._ai, alleles=hl.array([mt.alleles[0], mt.alleles[mt._ai]])).drop("_ai")
    return mt.key_rows_by("locus", "alleles")


def variant_qc_filter(mt: hl.MatrixTable, q: QualityFilter) -> hl.MatrixTable:
    """Keep rows whose FILTER and QUAL pass ``q`` and whose ALT is a real allele.

    Hail reads FILTER ``PASS`` as the empty set and ``.`` as missing."""
    keep = ~hl.literal(set(NON_VARIANT_ALTS)).contains(mt.alleles[1])
    if q.allowed_filters is not None:
        allowed = hl.literal(set(q.allowed_filters))
        fpass = hl.if_else(
            hl.is_missing(mt.filters), hl.bool(q.missing_filter_passes),
            hl.if_else(hl.len(mt.filters) == 0, hl.bool("PASS" in q.allowed_filters),
                       mt.filters.all(lambda f: allowed.contains(f))))
        keep &= fpass
    if q.min_qual is not None:
        keep &= hl.is_missing(mt.qual) | (mt.qual < 0) | (mt.qual >= q.min_qual)
    return mt.filter_rows(keep)


def genotype_qc(mt: hl.MatrixTable, q: QualityFilter) -> hl.MatrixTable:
    """``n_alt`` (copies of this row's ALT; missing = no call or failed QC), ``ad_tot`` and
    ``alt_frac`` per entry, with the reader's thresholds (missing values never fail)."""
    a = mt.a_index
    gt = mt.GT
    copies = hl.if_else(gt.ploidy == 1, 2 * hl.int(gt[0] == a),
                        hl.int(gt[0] == a) + hl.int(gt[1] == a))
    fields = mt.entry
    has_ad = "AD" in fields
    if has_ad:
        ad = mt.AD
        ok_len = hl.is_defined(ad) & (hl.len(ad) == mt.n_alleles) & ad.all(hl.is_defined)
        tot = hl.or_missing(ok_len, hl.sum(ad))
        frac = hl.or_missing(hl.is_defined(tot) & (tot > 0), hl.float64(ad[a]) / hl.float64(tot))
    else:
        tot = hl.missing(hl.tint32)
        frac = hl.missing(hl.tfloat64)
    dp = hl.or_else(hl.float64(mt.DP), hl.float64(tot)) if "DP" in fields else hl.float64(tot)
    fail = hl.bool(False)
    if q.min_gq is not None and "GQ" in fields:
        fail |= hl.or_else(q.min_gq > mt.GQ, False)
    if q.min_dp is not None:
        fail |= hl.or_else(dp < q.min_dp, False)
    if q.het_alt_fraction is not None:
        lo, hi = q.het_alt_fraction
        fail |= (copies == 1) & hl.or_else((frac < lo) | (frac > hi), False)
    if q.max_hom_ref_alt_fraction is not None:
        fail |= (copies == 0) & hl.or_else(frac > q.max_hom_ref_alt_fraction, False)
    fail = hl.or_else(fail, False)
    return mt.annotate_entries(n_alt=hl.or_missing(~fail, copies), ad_tot=tot, alt_frac=frac,
                               qc_fail=hl.is_defined(copies) & fail)


def cohort_counts(mt: hl.MatrixTable) -> hl.MatrixTable:
    """Row fields ``cohort_ac`` (ALT copies), ``cohort_an`` (2 x called), ``cohort_hom`` (n_alt == 2)
    over every sample's QC-passed genotype (the annotator's in-cohort definition)."""
    return mt.annotate_rows(
        cohort_ac=hl.agg.sum(hl.or_else(mt.n_alt, 0)),
        cohort_an=2 * hl.agg.count_where(hl.is_defined(mt.n_alt)),
        cohort_hom=hl.agg.count_where(mt.n_alt == 2),
    )


def sample_qc(mt: hl.MatrixTable) -> hl.MatrixTable:
    """Per sample (``hl.sample_qc`` on the QC-passed calls) call rate, het/hom counts, and the
    genotypes failing the ``quality:`` thresholds (``n_failed_qc``); reported, never dropped."""
    call = hl.or_missing(hl.is_defined(mt.n_alt), mt.GT)
    mt = mt.annotate_entries(_qc_call=call)
    return hl.sample_qc(mt.annotate_entries(GT=mt._qc_call).drop("_qc_call"), name="sample_qc")


def _disjoint(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Overlapping 1-based inclusive (start, end, gene) spans -> disjoint segments, each with the
    sorted genes covering it (a sweep over the span ends)."""
    events: dict[int, list[tuple[int, str]]] = {}
    for s, e, g in spans:
        events.setdefault(s, []).append((1, g))
        events.setdefault(e + 1, []).append((-1, g))
    active: dict[str, int] = {}
    out: list[tuple[int, int, tuple[str, ...]]] = []
    points = sorted(events)
    for i, x in enumerate(points):
        for d, g in events[x]:
            active[g] = active.get(g, 0) + d
            if active[g] == 0:
                del active[g]
        if active and i + 1 < len(points):
            genes = tuple(sorted(active))
            end = points[i + 1] - 1
            if out and out[-1][2] == genes and out[-1][1] == x - 1:
                out[-1] = (out[-1][0], end, genes)
            else:
                out.append((x, end, genes))
    return out


def gene_intervals(model, genome: str, flank: int) -> hl.Table:
    """The gene model's transcripts (+- ``flank`` + :data:`GENE_MARGIN`) as a Table of disjoint
    intervals, each with the current HGNC symbols (``genes``) of the transcripts covering it
    (what the annotator names). Disjoint so a locus join has one match (Hail 0.2.13x's
    ``all_matches`` interval join fails when written)."""
    from triage.variants.gene_aliases import current_symbol

    rg = hl.get_reference(_reference(genome))
    prefix = "chr" if rg.name == "GRCh38" else ""
    lengths = rg.lengths
    pad = flank + GENE_MARGIN
    by_contig: dict[str, set[tuple[int, int, str]]] = {}
    for contig, gene, s, e in zip(model.tx_contig, model.tx_gene, model.tx_start.tolist(),
                                  model.tx_end.tolist(), strict=True):
        c = prefix + ("M" if (prefix and contig == "MT") else contig)
        if c in lengths:
            by_contig.setdefault(c, set()).add((max(1, s - pad + 1), min(lengths[c], e + pad), current_symbol(gene)))
    rows = [{"contig": c, "start": a, "end": b, "genes": list(g)}
            for c, spans in by_contig.items() for a, b, g in _disjoint(sorted(spans))]
    ht = hl.Table.parallelize(rows, hl.tstruct(contig=hl.tstr, start=hl.tint32, end=hl.tint32,
                                               genes=hl.tarray(hl.tstr)))
    ht = ht.annotate(interval=hl.locus_interval(ht.contig, ht.start, ht.end, includes_end=True,
                                                reference_genome=rg))
    return ht.key_by("interval").select("genes")


def annotate_genes(mt: hl.MatrixTable, genes: hl.Table) -> hl.MatrixTable:
    """Row field ``genes``: the symbols of :func:`gene_intervals` covering the locus (empty
    outside every gene)."""
    return mt.annotate_rows(genes=hl.or_else(genes[mt.locus].genes, hl.empty_array(hl.tstr)))


def carrier_rows(mt: hl.MatrixTable, proband_cols: list[int]) -> hl.MatrixTable:
    """Rows where at least one proband carries the ALT after QC (the cheap filter every
    proband's candidate set goes through)."""
    mt = mt.add_col_index("_ci")
    is_p = hl.literal(set(proband_cols), dtype=hl.tset(hl.tint32)).contains(hl.int32(mt._ci))
    mt = mt.annotate_rows(_carried=hl.agg.any(is_p & (mt.n_alt > 0)))
    return mt.filter_rows(mt._carried).drop("_carried", "_ci")


# --------------------------------------------------------------------------- trios
def trio_flags(mt: hl.MatrixTable, pedigree: hl.Pedigree) -> hl.MatrixTable:
    """Trio matrix (``hl.trio_matrix``, complete trios) with per-entry inheritance flags of the
    proband: ``de_novo``, and for compound hets ``ch_candidate`` / ``ch_pat`` / ``ch_mat``
    (the variant's possible parental origin; no-calls permissive), X rules by sex."""
    tm = hl.trio_matrix(mt, pedigree, complete_trios=True)
    c = hl.or_else(tm.proband_entry.n_alt, -1)
    f = hl.or_else(tm.father_entry.n_alt, -1)
    m = hl.or_else(tm.mother_entry.n_alt, -1)
    contig = tm.locus.contig.replace("^chr", "")
    is_x = contig == "X"
    is_auto = ~hl.literal({"X", "Y", "M", "MT"}).contains(contig)
    female = hl.or_else(tm.is_female, False)
    male = hl.or_else(~tm.is_female, False)
    dn_auto = (c == 1) & (f == 0) & (m == 0)
    dn_x = hl.if_else(male, ((c == 1) | (c == 2)) & (m == 0), (c == 1) & (f == 0) & (m == 0))
    de_novo = (is_auto & dn_auto) | (is_x & dn_x)
    # compound het (inheritance._comphet_candidates / _origins, proband affected, parents not)
    cand_a = is_auto & (c == 1) & (f != 2) & (m != 2)
    cand_x = is_x & female & (c == 1) & (f != 1) & (f != 2) & (m != 2)
    carry_f = (f == 1) | (f == -1) | (is_x & (f == 2))
    ref_f = (f == 0) | (f == -1)
    carry_m = (m == 1) | (m == -1)
    ref_m = (m == 0) | (m == -1)
    return tm.annotate_entries(de_novo=de_novo, ch_candidate=cand_a | cand_x,
                               ch_pat=carry_f & ref_m, ch_mat=carry_m & ref_f)


def compound_het_table(tm: hl.MatrixTable) -> hl.Table:
    """Per (proband, gene): the compound-het pairs of :func:`trio_flags` candidates, as
    (locus, alleles) pairs; a pair needs one variant possibly paternal and the other possibly
    maternal (``compound_het_pairs`` for a trio). Requires row field ``genes``."""
    et = tm.entries()
    et = et.filter(et.ch_candidate)
    et = et.select(proband=et.proband.s, genes=et.genes, x=et.locus.contig.replace("^chr", "") == "X",
                   v=hl.struct(locus=et.locus, alleles=et.alleles, pat=et.ch_pat, mat=et.ch_mat))
    et = et.explode("genes").key_by()
    grouped = et.group_by(et.proband, gene=et.genes, x=et.x).aggregate(vs=hl.agg.collect(et.v))
    vs = hl.sorted(grouped.vs, key=lambda s: (s.locus, s.alleles))
    n = hl.len(vs)
    pairs = hl.range(n).flatmap(lambda i: hl.range(i + 1, n).filter(
        lambda j: (vs[i].pat & vs[j].mat) | (vs[i].mat & vs[j].pat)).map(
        lambda j: hl.struct(first=vs[i].select("locus", "alleles"), second=vs[j].select("locus", "alleles"))))
    grouped = grouped.select(pairs=pairs)
    return grouped.filter(hl.len(grouped.pairs) > 0)

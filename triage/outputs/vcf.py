"""The candidate VCF (``PREFIX.candidates.vcf.gz`` + ``.tbi``): every variant the case
kept (passed QC, carried by the proband; intergenic ones with ``TRIAGE_RANK=0`` only) or,
with ``candidates_only``, only the ranked ones (``TRIAGE_RANK`` > 0), with ``TRIAGE_*``
INFO fields (its best gene, ranks, consequence, score, inheritance
modes, the automated ACMG/AMP class and criteria in that gene), the data versions as
``##triage_data_version`` header lines, in genomic order, bgzipped and tabix-indexed.

Given the input VCF (``source_vcf``), each record keeps the input's INFO fields, their
``##INFO`` header lines and the ``##FILTER`` lines of its filters; ours are appended
(an input field named ``TRIAGE_*`` is replaced by ours). A multiallelic input record is
one record per ALT here, so its ``Number=A`` / ``Number=R`` values are cut to that ALT
and ``Number=G`` values are dropped (their genotype order has no meaning for one ALT).
The input is read once, streamed alongside the output when both are in the same order
(a sorted VCF), else its needed INFO strings are held in memory. The input must be the
VCF the case was annotated from: a record that does not match is an error naming it.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np

from triage import __version__
from triage.errors import TriageError
from triage.models import TriageResult
from triage.variants.gene_model import normalize_contig

#: what is kept of an input record: (POS, REF, ALTs, the INFO column as text)
_Record = tuple[int, str, tuple[str, ...], str]

OUR_INFO = ("TRIAGE_GENE", "TRIAGE_RANK", "TRIAGE_GENE_RANK", "TRIAGE_CSQ", "TRIAGE_SCORE", "TRIAGE_MODES",
            "TRIAGE_ACMG", "TRIAGE_ACMG_POINTS", "TRIAGE_ACMG_CRITERIA")


class InputInfo:
    """The INFO fields of the input VCF, per output variant (see the module docstring)."""

    def __init__(self, path: str | Path, record_index: np.ndarray, alts: np.ndarray, refs: np.ndarray,
                 pos: np.ndarray, order: np.ndarray):
        import pysam

        self.path = Path(path)
        try:
            self._vf = pysam.VariantFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise TriageError(f"cannot read the input VCF {self.path.name} for its INFO fields: {exc}") from None
        hdr = self._vf.header
        self.numbers = {k: str(v.number) for k, v in hdr.info.items()}
        self.header_lines = [str(r).rstrip("\n") for r in hdr.records
                             if r.type == "INFO" and r.get("ID") not in OUR_INFO]
        self.filter_lines = [str(r).rstrip("\n") for r in hdr.records if r.type == "FILTER" and r.get("ID") != "PASS"]
        self._rec, self._alt, self._ref, self._pos = record_index, alts, refs, pos
        needed = record_index[order]
        self._streamed = bool(np.all(np.diff(needed) >= 0))
        self._it = iter(self._vf)
        self._i = -1
        self._cur: _Record | None = None  # the input record number self._i (streamed)
        self._held: dict[int, _Record] = {}
        if not self._streamed:
            want = set(needed.tolist())
            for i, rec in enumerate(self._vf):
                if i in want:
                    self._held[i] = self._kept(rec)
            self._vf.close()

    @staticmethod
    def _kept(rec: Any) -> _Record:
        # (pysam types REF optional: only a record built in memory lacks one)
        return rec.pos, rec.ref or "", tuple(rec.alts or ()), str(rec).split("\t", 8)[7]

    def _record(self, ri: int) -> _Record:
        if not self._streamed:
            return self._checked(ri, self._held.get(ri))
        while self._i < ri:
            try:
                rec = next(self._it)
            except StopIteration:
                raise TriageError(f"{self.path.name} has fewer records than the annotated case "
                                  f"(record {ri + 1} missing): not the VCF the case was annotated from") from None
            self._i += 1
            if self._i == ri:
                self._cur = self._kept(rec)
        return self._checked(ri, self._cur if self._i == ri else None)

    def _checked(self, ri: int, rec: _Record | None) -> _Record:
        """``rec``, the input record ``ri`` (0-based); TriageError when there is none (an
        index the input does not have, e.g. a negative one: a case not annotated from it)."""
        if rec is None:
            raise TriageError(f"{self.path.name} has no record {ri + 1} (0-based index {ri}) of the "
                              "annotated case: not the VCF the case was annotated from")
        return rec

    def fields(self, v: int) -> list[str]:
        """The input INFO of variant ``v`` as ``key=value`` / flag items, cut to its ALT."""
        ri = int(self._rec[v])
        pos, ref, alts, text = self._record(ri)
        vpos, valt = int(self._pos[v]), str(self._alt[v])
        if abs(pos - vpos) > max(len(ref), len(str(self._ref[v]))) + 1:
            raise TriageError(f"{self.path.name} record {ri + 1} ({pos} {ref}) does not match the annotated "
                              f"variant at {vpos}: not the VCF the case was annotated from")
        if text in (".", ""):
            return []
        alt_i = alts.index(valt) + 1 if valt in alts else (1 if len(alts) == 1 else 0)
        out = []
        for item in text.split(";"):
            key, eq, val = item.partition("=")
            if key in OUR_INFO:
                continue
            if len(alts) > 1 and eq:
                num = self.numbers.get(key)
                if num == "G" or (num in ("A", "R") and alt_i == 0):
                    continue
                vals = val.split(",")
                if num == "A" and len(vals) == len(alts):
                    val = vals[alt_i - 1]
                elif num == "R" and len(vals) == len(alts) + 1:
                    val = f"{vals[0]},{vals[alt_i]}"
            out.append(f"{key}={val}" if eq else key)
        return out

    def close(self) -> None:
        if self._streamed:
            self._vf.close()


def write_candidates_vcf(ranked, result: TriageResult, path: Path, *, source_vcf: str | Path | None = None,
                         candidates_only: bool = False) -> Path:
    """Annotated variants as a bgzipped, tabix-indexed VCF with TRIAGE_* INFO fields.

    ``source_vcf``: the input VCF, whose INFO fields each record keeps (None: ours only,
    said in a ``##triage_note`` header line). ``candidates_only``: only ranked variants.
    """
    import pysam

    from triage.prioritize.acmg import case_table

    geno = ranked.genotype
    av = geno.case.table
    vr = geno.variants
    acmg = case_table(ranked)
    res = result
    contigs: dict[str, int | None] = dict(av.stats.get("contigs") or {})
    # per variant, its first row in output order (its best gene)
    best_row = np.full(av.n_variants, -1, dtype=np.int64)
    if len(vr.row_order):
        vo = av.vidx[vr.row_order]
        _, first = np.unique(vo, return_index=True)
        best_row[vo[first]] = vr.row_order[first]
    sample = geno.case.sample
    lines = ["##fileformat=VCFv4.2",
             f"##fileDate={_dt.date.today():%Y%m%d}",
             f"##source=triage {__version__}"]
    for k, v in res.data_versions.items():
        lines.append(f"##triage_data_version=<ID={k},Value=\"{str(v).replace(chr(34), chr(39))}\">")
    used = sorted({str(c) for c in av.chrom}, key=lambda c: _contig_order(c, contigs))
    for c in list(contigs) or used:
        if c in used or not contigs:
            ln = contigs.get(c)
            lines.append(f"##contig=<ID={c}" + (f",length={ln}" if ln else "") + ">")
    fam = geno.case.family
    male = fam.sex[fam.proband] == 1
    # every variant the case kept (QC passed, carried by the proband), intergenic ones too;
    # candidates only: the ranked ones
    have = np.arange(av.n_variants)
    if candidates_only:
        have = have[(best_row >= 0) & (vr.variant_rank > 0)]
    corder = {c: _contig_order(c, contigs) for c in {str(x) for x in av.chrom[have]}}
    crank = {c: i for i, c in enumerate(sorted(corder, key=lambda c: corder[c]))}
    ckey = np.array([crank[str(c)] for c in av.chrom[have]], dtype=np.int64)
    have = have[np.lexsort((av.pos[have], ckey))]  # genomic order, streamed out
    src = InputInfo(source_vcf, av.record_index, av.alt, av.ref, av.pos, have) if source_vcf else None
    declared: set[str] = set()
    if src is not None:
        lines += src.filter_lines
        lines += src.header_lines
        declared = {ln.split("ID=", 1)[1].split(",", 1)[0] for ln in src.filter_lines if "ID=" in ln}
    else:
        lines.append("##triage_note=INFO fields of the input VCF not carried (input VCF not given)")
    seen = {f for x in set(av.filter[have].tolist()) if x for f in str(x).split(";")} - {"PASS", "."}
    lines += [f'##FILTER=<ID={f},Description="Filter of the input VCF">' for f in sorted(seen - declared)]
    if candidates_only:
        lines.append("##triage_note=candidates only: ranked variants (TRIAGE_RANK > 0)")
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=TRIAGE_GENE,Number=1,Type=String,Description="Gene of the variant\'s best-ranked gene candidate (HGNC symbol)">',
        '##INFO=<ID=TRIAGE_RANK,Number=1,Type=Integer,Description="Rank of the variant across all candidates (1 = best; 0 = gene not ranked)">',
        '##INFO=<ID=TRIAGE_GENE_RANK,Number=1,Type=Integer,Description="Rank of TRIAGE_GENE (VCF + phenotype; 0 = not ranked)">',
        '##INFO=<ID=TRIAGE_CSQ,Number=1,Type=String,Description="Consequence(s)|transcript|HGVS c.|HGVS p. in TRIAGE_GENE">',
        '##INFO=<ID=TRIAGE_SCORE,Number=1,Type=Float,Description="Variant pathogenicity score in [0,1]">',
        '##INFO=<ID=TRIAGE_MODES,Number=.,Type=String,Description="Compatible inheritance modes">',
        '##INFO=<ID=TRIAGE_ACMG,Number=1,Type=String,Description="Automated, provisional ACMG/AMP class in TRIAGE_GENE '
        '(Pathogenic, Likely_pathogenic, Uncertain_significance, Likely_benign, Benign; Tavtigian 2020 points); '
        'decision support, not a clinical classification">',
        '##INFO=<ID=TRIAGE_ACMG_POINTS,Number=1,Type=Integer,Description="Sum of the ACMG/AMP criteria points">',
        '##INFO=<ID=TRIAGE_ACMG_CRITERIA,Number=.,Type=String,Description="ACMG/AMP criteria met (ClinGen SVI labels, '
        'e.g. PM2_Supporting); reasons in the result JSON">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality (from the input)">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth (from the input)">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    plain = path.with_suffix("")
    with open(plain, "w") as fh:
        fh.write("\n".join(lines) + "\n")
        for v in have.tolist():
            r = int(best_row[v])
            code = int(av.proband_gt[v])
            gt = {1: "0/1", 2: "1" if (male and av.chrom_norm[v] == "X") else "1/1"}.get(code, "./.")
            info = src.fields(v) if src is not None else []
            if r < 0:  # intergenic / unannotated: kept, not ranked
                info.append("TRIAGE_RANK=0")
            else:
                csq = "|".join([av.consequences[r], av.transcript[r] or "", av.hgvs_c[r] or "", av.hgvs_p[r] or ""])
                csq = csq.replace(";", ",").replace("=", ":").replace(" ", "_")
                info += [f"TRIAGE_GENE={av.gene[r]}", f"TRIAGE_RANK={int(vr.variant_rank[v])}",
                         f"TRIAGE_GENE_RANK={int(vr.row_gene_rank[r])}", f"TRIAGE_CSQ={csq}",
                         f"TRIAGE_SCORE={float(av.score[r]):.4f}"]
                modes = vr.modes(r)
                if modes:
                    info.append("TRIAGE_MODES=" + ",".join(modes))
                if acmg is not None:
                    info += [f"TRIAGE_ACMG={str(acmg.classification[r]).replace(' ', '_')}",
                             f"TRIAGE_ACMG_POINTS={int(acmg.points[r])}"]
                    crit = acmg.criteria_text(r)
                    if crit:
                        info.append(f"TRIAGE_ACMG_CRITERIA={crit}")
            q = av.qual[v]
            gq = "." if np.isnan(av.gq[v]) else str(int(av.gq[v]))
            dp = str(int(av.dp[v])) if av.dp[v] >= 0 else "."
            fh.write("\t".join([str(av.chrom[v]), str(int(av.pos[v])), ".", av.ref[v], av.alt[v],
                                "." if np.isnan(q) else f"{q:g}", av.filter[v] or ".", ";".join(info),
                                "GT:GQ:DP", f"{gt}:{gq}:{dp}"]) + "\n")
    if src is not None:
        src.close()
    pysam.tabix_compress(str(plain), str(path), force=True)
    Path(plain).unlink()
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return path


def _contig_order(c: str, contigs: dict) -> tuple:
    names = list(contigs)
    if c in names:
        return (0, names.index(c), "")
    n = normalize_contig(c)
    order = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}
    return (1, order.get(n, 100), n)

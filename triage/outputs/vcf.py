"""The candidate VCF (``PREFIX.candidates.vcf.gz`` + ``.tbi``): every annotated variant
of a VCF case with ``TRIAGE_*`` INFO fields (its best gene, ranks, consequence, score,
inheritance modes, the automated ACMG/AMP class and criteria in that gene), the data versions as ``##triage_data_version`` header lines, in
genomic order, bgzipped and tabix-indexed.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from triage import __version__
from triage.models import TriageResult
from triage.variants.gene_model import normalize_contig


def write_candidates_vcf(ranked, result: TriageResult, path: Path) -> Path:
    """Annotated variants as a bgzipped, tabix-indexed VCF with TRIAGE_* INFO fields."""
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
    fam = geno.case.family
    male = fam.sex[fam.proband] == 1
    have = np.flatnonzero(best_row >= 0)
    corder = {c: _contig_order(c, contigs) for c in {str(x) for x in av.chrom[have]}}
    crank = {c: i for i, c in enumerate(sorted(corder, key=corder.get))}
    ckey = np.array([crank[str(c)] for c in av.chrom[have]], dtype=np.int64)
    have = have[np.lexsort((av.pos[have], ckey))]  # genomic order, streamed out
    plain = path.with_suffix("")
    with open(plain, "w") as fh:
        fh.write("\n".join(lines) + "\n")
        for v in have.tolist():
            r = int(best_row[v])
            code = int(av.proband_gt[v])
            gt = {1: "0/1", 2: "1" if (male and av.chrom_norm[v] == "X") else "1/1"}.get(code, "./.")
            csq = "|".join([av.consequences[r], av.transcript[r] or "", av.hgvs_c[r] or "", av.hgvs_p[r] or ""])
            csq = csq.replace(";", ",").replace("=", ":").replace(" ", "_")
            info = [f"TRIAGE_GENE={av.gene[r]}", f"TRIAGE_RANK={int(vr.variant_rank[v])}",
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

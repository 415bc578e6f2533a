"""Benchmark of ``triage screen`` (issue #13 part 3): positives on healthy backgrounds and
sensitivity on dev phenopackets spiked into a background.

* **Backgrounds**: every individual of each healthy background VCF is screened (the ten
  donors one by one, the GIAB trio's son with the PED and each parent alone); every
  positive finding is listed so it can be looked at.
* **Sensitivity**: the dev phenopackets whose causal gene is a gene of a table condition
  are spiked into the background exactly as the spike-in benchmark does
  (:func:`triage.benchmark.spikein.spike_lines`, ``spiked_table``, ``merge_spiked``) and
  screened with the case's sex. A case is detected when a positive finding names its
  causal gene. Cases are grouped by causal genotype class: biallelic / hemizygous /
  monoallelic x loss of function (from the phenopacket's HGVS: ``p.*Ter``, ``p.*fs``,
  canonical ``c.N+/-1,2`` splice) or not; and by the class our annotation gives the
  spiked alleles (frameshift, splice, stop, coding SNV ...).
* **With ClinVar-like evidence**: the same cases with a ClinVar-format VCF built from the
  causal variants of the evaluated phenopackets (CLNSIG Pathogenic, one review star).
  This measures the genotype rules given a perfect variant classification (an upper
  bound), not ClinVar's coverage.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.genotype.likelihood import family_for
from triage.phenotype.phenopacket import find_phenopackets, read_phenopacket
from triage.prioritize.case import AnnotatedCase
from triage.prioritize.config import PipelineConfig
from triage.treatability.screen import LOF_CONSEQUENCES, ScreenConfig, screen_case
from triage.treatability.therapies import load_table

log = logging.getLogger(__name__)

_P_LOF = re.compile(r"p\.\(?[A-Za-z]{1,3}\d+(?:[A-Za-z]{1,3})?(?:Ter|\*|fs)", re.I)
_C_SPLICE = re.compile(r"c\.-?\d+[+-][12][ACGT]?>|c\.-?\d+[+-][12]del|c\.-?\d+[+-][12]_", re.I)


def hgvs_is_lof(hgvs: list[str]) -> bool:
    """Protein-truncating or canonical-splice by the phenopacket's own HGVS expressions."""
    return any(_P_LOF.search(h) or _C_SPLICE.search(h) for h in hgvs)


# --------------------------------------------------------------------------- backgrounds
@dataclass
class BackgroundSpec:
    name: str
    path: Path
    genome: str
    samples: list[str | None] = field(default_factory=lambda: [None])
    ped: Path | None = None
    ped_samples: tuple[str, ...] = ()  # samples screened with the PED


def default_backgrounds(shared: Path) -> list[BackgroundSpec]:
    """The healthy backgrounds of ``../shared`` the screen benchmark runs on: the lifted Pfeiffer
    exome, NA12878 chr21, each of the ten donors, and the GIAB trio's proband (with its PED).
    """
    b = shared / "data" / "backgrounds"
    out = [BackgroundSpec("Pfeiffer exome (GRCh38 lifted)", b / "Pfeiffer_exome_hg38_lifted.vcf.gz", "GRCh38"),
           BackgroundSpec("NA12878 chr21 (Platinum Genomes)", b / "PG_NA12878_hg38-chr21.vcf.gz", "GRCh38")]
    donors = b / "10_donors_b37_chr22.vcf.gz"
    if donors.exists():
        import pysam

        with pysam.VariantFile(str(donors)) as vf:
            samples: list[str | None] = list(vf.header.samples)
        out.append(BackgroundSpec("ten donors chr22", donors, "GRCh37", samples))
    trio = b / "ashk-trio_b37_chr1-2.vcf.gz"
    if trio.exists():
        out.append(BackgroundSpec("GIAB Ashkenazi trio chr1-2", trio, "GRCh37", ["HG002", "HG003", "HG004"],
                                  ped=b / "ashk-trio.ped", ped_samples=("HG002",)))
    return [s for s in out if s.path.exists()]


def screen_backgrounds(specs: list[BackgroundSpec], pcfg: PipelineConfig, scfg: ScreenConfig,
                       resources_cfg: dict | None = None) -> list[dict[str, Any]]:
    """Run ``triage screen`` on every sample of every background; one row per individual with
    the number of positives (the false-positive rate, since these people are healthy).
    """
    from dataclasses import replace

    from triage.prioritize.case import ingest_annotate

    table = load_table()
    rows = []
    for s in specs:
        for sample in s.samples:
            ped = str(s.ped) if (s.ped and sample in s.ped_samples) else None
            cfg = pcfg.with_genome(s.genome)
            if resources_cfg is not None:
                cfg = replace(cfg, resources=dict(resources_cfg))
            t0 = time.perf_counter()
            case = ingest_annotate(s.path, sample, cfg, ped)
            res = screen_case(case, table, scfg)
            rows.append({
                "background": s.name, "sample": res.sample, "sex": f"{res.sex} ({res.sex_source})", "ped": bool(ped),
                "clinvar": res.clinvar, "variants": case.table.n_variants, "genes_with_variants": res.genes_with_variants,
                "positives": len(res.findings), "carriers": len(res.carriers),
                "positive_findings": [{"gene": f.gene, "condition": f.condition, "genotype": f.genotype,
                                       "evidence": f.evidence,
                                       "variants": [f"{v.chrom}:{v.pos} {v.ref}>{v.alt} {v.genotype} {v.consequence}"
                                                    for v in f.variants]} for f in res.findings],
                "carrier_findings": [{"gene": f.gene, "condition": f.condition,
                                      "variants": [f"{v.chrom}:{v.pos} {v.ref}>{v.alt} {v.genotype} {v.consequence}"
                                                   for v in f.variants]} for f in res.carriers],
                "seconds": round(time.perf_counter() - t0, 2),
            })
    return rows


# --------------------------------------------------------------------------- sensitivity
def _table_cases(root: Path, limit: int | None) -> list:
    table = load_table()
    genes = table.genes()
    out = []
    for p in find_phenopackets(root):
        try:
            case = read_phenopacket(p, p.parent.name)
        except Exception:
            continue
        if any(g in genes for g in case.genes):
            out.append(case)
    return out[:limit] if limit else out


def write_clinvar_like(cases: list, out: Path) -> Path:
    """bgzipped + tabix-indexed ClinVar-format VCF of the cases' causal variants (GRCh38)."""
    import pysam

    recs = set()
    for c in cases:
        for v in c.variants:
            if v.pos and v.ref and v.alt and not v.alt.startswith("<"):
                chrom = str(v.chrom).removeprefix("chr")
                chrom = "MT" if chrom == "M" else chrom
                recs.add((chrom, int(v.pos), v.ref.upper(), v.alt.upper()))
    order = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}
    plain = out.with_suffix("")
    with open(plain, "w") as fh:
        fh.write("##fileformat=VCFv4.1\n##source=triage-benchmark-clinvar-like (phenopacket causal variants)\n")
        fh.write('##INFO=<ID=CLNSIG,Number=.,Type=String,Description="clinical significance">\n')
        fh.write('##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="review status">\n')
        for c in sorted({r[0] for r in recs}, key=lambda x: order.get(x, 99)):
            fh.write(f"##contig=<ID={c}>\n")
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for chrom, pos, ref, alt in sorted(recs, key=lambda r: (order.get(r[0], 99), r[1], r[2], r[3])):
            fh.write(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\tCLNSIG=Pathogenic;"
                     "CLNREVSTAT=criteria_provided,_single_submitter\n")
    pysam.tabix_compress(str(plain), str(out), force=True)
    pysam.tabix_index(str(out), preset="vcf", force=True)
    plain.unlink()
    return out


def _case_class(case, sp_table) -> tuple[str, str]:
    """(truth genotype class, annotation class of the spiked alleles)."""
    states = [(v.allelic_state or "").lower() for v in case.variants if v.pos]
    copies = sum(2 if "homozygous" in s and "hetero" not in s else 1 for s in states)
    hemi = any("hemizygous" in s for s in states)
    lof = bool(case.variants) and all(hgvs_is_lof(v.hgvs) for v in case.variants if v.pos)
    if hemi:
        gclass = "hemizygous"
    elif copies >= 2:
        gclass = "biallelic"
    else:
        gclass = "monoallelic"
    truth = f"{gclass} {'LoF' if lof else 'non-LoF/mixed'}"
    ann = "not annotated"
    if sp_table is not None and len(sp_table):
        csqs = set()
        for r in range(len(sp_table)):
            if sp_table.gene[r] in case.genes:
                c = str(sp_table.consequences[r]).split("&")
                lof_c = [x for x in c if x in LOF_CONSEQUENCES]
                csqs.add(lof_c[0] if lof_c else c[0])
        ann = "+".join(sorted(csqs)) or "other gene"
    return truth, ann


def sensitivity(cases: list, background: Path, pcfg: PipelineConfig, scfg: ScreenConfig, resources=None,
                cache_dir: Path | None = None, seed: int = 42, progress: bool = True) -> dict[str, Any]:
    """Spike each phenopacket's causal genotype into ``background`` and count how often the
    screen reports the case's gene, split by the truth genotype class (biallelic LoF,
    hemizygous LoF, other) and by the annotation class of the spiked alleles.
    """
    from collections import Counter as C

    from triage.benchmark.spikein import _prepare, merge_spiked, spike_lines, spiked_table
    from triage.variants.gene_model import GeneModel

    table = load_table()
    bg = _prepare(background, pcfg, None, cache_dir, resources)
    model = GeneModel.load(pcfg.annotate.gene_model or pcfg.annotate.genome)
    has_af = bool(bg.table.stats.get("population_af_sources"))
    tmp = tempfile.mkdtemp(prefix="triage-screen-bench-")
    by_truth: dict[str, C] = {}
    by_ann: dict[str, C] = {}
    skipped: C = C()
    per_case = []
    try:
        from tqdm import tqdm
        it = tqdm(cases, desc="screen spike-in", unit="case", disable=not progress, file=sys.stderr)
    except ImportError:  # pragma: no cover
        it = cases
    for case in it:
        spikes = spike_lines(bg, case, seed, skipped)
        if not spikes:
            continue
        sp = spiked_table(bg, spikes, pcfg, model, tmp, resources)
        merged = merge_spiked(bg.table, sp, spikes)
        ac = AnnotatedCase(merged, merged.proband, family_for(merged.samples, merged.proband, None, case.sex),
                           None, bg.build, has_af)
        res = screen_case(ac, table, scfg, sex_source="phenopacket subject sex")
        hit = [f for f in res.findings if f.gene in case.genes]
        carrier = [f for f in res.carriers if f.gene in case.genes]
        other = [f for f in res.findings if f.gene not in case.genes]
        truth, ann = _case_class(case, sp)
        outcome = "detected" if hit else "carrier only" if carrier else "missed"
        by_truth.setdefault(truth, C())[outcome] += 1
        by_ann.setdefault(ann, C())[outcome] += 1
        per_case.append({"case": case.id, "cohort": case.cohort, "genes": case.genes, "sex": case.sex,
                         "truth_class": truth, "annotation_class": ann, "outcome": outcome,
                         "genotype": hit[0].genotype if hit else None,
                         "other_positives": [f.gene for f in other]})

    def table_of(d):
        out = {}
        for k, c in sorted(d.items()):
            n = sum(c.values())
            out[k] = {"cases": n, "detected": c["detected"], "carrier_only": c["carrier only"],
                      "missed": c["missed"], "sensitivity": round(c["detected"] / n, 4) if n else None}
        return out

    n = len(per_case)
    det = sum(1 for r in per_case if r["outcome"] == "detected")
    target = [r for r in per_case if r["truth_class"] in ("biallelic LoF", "hemizygous LoF")]
    tdet = sum(1 for r in target if r["outcome"] == "detected")
    return {
        "cases_evaluated": n, "detected": det, "sensitivity": round(det / n, 4) if n else None,
        "target_biallelic_or_hemizygous_lof": {"cases": len(target), "detected": tdet,
                                               "sensitivity": round(tdet / len(target), 4) if target else None},
        "by_truth_class": table_of(by_truth), "by_annotation_class": table_of(by_ann),
        "skipped": dict(skipped), "cases_with_other_positives": sum(1 for r in per_case if r["other_positives"]),
        "per_case": per_case,
    }


def run_screen_benchmark(phenopackets: str | Path, background: str | Path, out: str | Path, shared: str | Path,
                         limit: int | None = None, config: str | Path | None = None, progress: bool = True,
                         cache_dir: str | Path | None = None) -> dict[str, Any]:
    """The whole ``triage benchmark-screen``: positives per healthy background and sensitivity on
    spiked phenopackets of table genes, without and with a ClinVar-like resource built from
    the cases' own alleles; writes ``summary.json`` under ``out`` and returns it.
    """
    from dataclasses import replace

    from triage.treatability.screen import read_screen_config
    from triage.variants.resources import load_resources

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pcfg, scfg = read_screen_config(config, "GRCh38")
    pcfg = pcfg.with_genome("GRCh38")
    cases = _table_cases(Path(phenopackets), limit)
    clinvar_like = write_clinvar_like(cases, out / "clinvar_like.vcf.gz")
    specs = default_backgrounds(Path(shared))
    summary: dict[str, Any] = {"phenopackets": str(phenopackets), "background": str(background),
                               "table_cases": len(cases), "therapy_table": load_table().data_version}
    summary["backgrounds"] = screen_backgrounds(specs, pcfg, scfg)
    gr38 = [s for s in specs if s.genome == "GRCh38"]
    summary["backgrounds_clinvar_like"] = screen_backgrounds(gr38, pcfg, scfg, {"clinvar": str(clinvar_like)})
    base = Path(pcfg.base_dir) if pcfg.base_dir else None
    cache = Path(cache_dir) if cache_dir is not None else None
    res0 = load_resources(pcfg.resources, base)
    summary["sensitivity_without_clinvar"] = sensitivity(cases, Path(background), pcfg, scfg, res0, cache,
                                                         progress=progress)
    res0.close()
    cv_cfg = replace(pcfg, resources={**pcfg.resources, "clinvar": str(clinvar_like)})
    res1 = load_resources(cv_cfg.resources, base)
    summary["sensitivity_with_clinvar_like"] = sensitivity(cases, Path(background), cv_cfg, scfg, res1, cache,
                                                           progress=progress)
    res1.close()
    exomes = list(summary["backgrounds"])
    summary["positives_per_background_individual"] = round(sum(r["positives"] for r in exomes) / max(len(exomes), 1), 3)
    summary["wall_seconds"] = round(time.perf_counter() - t0, 1)
    with open(out / "screen_benchmark.json", "w") as fh:
        json.dump(summary, fh, indent=2)
    return summary


def brief(summary: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers (what the CLI prints)."""
    def sens(s):
        return {k: s[k] for k in ("cases_evaluated", "detected", "sensitivity", "target_biallelic_or_hemizygous_lof",
                                  "by_truth_class", "by_annotation_class", "cases_with_other_positives")}
    bgs: Counter[str] = Counter()
    for r in summary["backgrounds"]:
        bgs[r["background"]] += r["positives"]
    return {
        "table_cases": summary["table_cases"],
        "positives_per_background_individual": summary["positives_per_background_individual"],
        "backgrounds": [{k: r[k] for k in ("background", "sample", "sex", "positives", "carriers",
                                           "positive_findings")} for r in summary["backgrounds"]],
        "backgrounds_clinvar_like": [{k: r[k] for k in ("background", "sample", "positives", "carriers",
                                                        "positive_findings")} for r in summary["backgrounds_clinvar_like"]],
        "without_clinvar": sens(summary["sensitivity_without_clinvar"]),
        "with_clinvar_like": sens(summary["sensitivity_with_clinvar_like"]),
        "wall_seconds": summary["wall_seconds"],
    }

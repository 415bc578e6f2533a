"""Genotype-first screening limited to the treatable conditions of the therapy table (#13 part 3).

No phenotype: each gene of a table condition is examined alone, with strict and
explainable rules (docs/therapies.md, "Screen"):

* a **qualifying allele** is (a) ClinVar pathogenic / likely pathogenic with at least
  ``min_clinvar_stars`` review stars, when a ClinVar resource is configured, or (b) a
  loss-of-function consequence (frameshift, stop gained, canonical splice donor/acceptor,
  start lost, transcript ablation) in a gene whose disease mechanism in the table is loss of
  function, unless ClinVar calls it benign / likely benign (>= 1 star); alleles above the
  population-frequency limit of the condition's inheritance are dropped when a frequency
  source is configured;
* **genotype** per inheritance: recessive (AR, and XLR in females) needs a homozygous
  allele or two alleles (in trans when both parents are genotyped: the compound-het rules
  of :mod:`triage.genotype.inheritance`; without parents the pair is reported as phase
  unknown); X-linked in a male needs one hemizygous allele; dominant (AD, XLD) one allele.
  One allele of a recessive condition is a **carrier** finding, listed separately.

:func:`screen_case` is the core (an annotated case in, a :class:`~triage.models.ScreenResult`
out) shared by the CLI, the benchmark and later the workflow rule and API endpoint;
:func:`run_screen` adds reading and annotating a VCF.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from triage import __version__
from triage.errors import ConfigError, TriageError
from triage.genotype.inheritance import Family, chromosome_class, compound_het_pairs
from triage.genotype.pedigree import FEMALE, MALE
from triage.models import ScreenFinding, ScreenResult, ScreenVariant, Warning_
from triage.treatability.therapies import Condition, TherapyTable, load_table
from triage.variants.variant_scores import CLNSIG_BENIGN, CLNSIG_PATHOGENIC

log = logging.getLogger(__name__)

SCREEN_MODEL_VERSION = "screen-1 (ClinVar P/LP or LoF in LoF-mechanism genes; zygosity by inheritance)"

#: Sequence Ontology terms counted as loss of function
LOF_CONSEQUENCES = frozenset({
    "transcript_ablation", "splice_acceptor_variant", "splice_donor_variant", "stop_gained",
    "frameshift_variant", "start_lost",
})

# GRCh37/38 pseudo-autosomal regions on X (variants there are not hemizygous in males)
_PAR = {"GRCh37": ((60_001, 2_699_520), (154_931_044, 155_260_560)),
        "GRCh38": ((10_001, 2_781_479), (155_701_383, 156_030_895))}


@dataclass(frozen=True)
class ScreenConfig:
    """``screen:`` section of the workflow config (all optional)."""

    use_clinvar: bool = True
    min_clinvar_stars: int = 1
    use_lof: bool = True
    #: maximum population allele frequency of a qualifying allele, per inheritance
    max_af_recessive: float = 0.01
    max_af_dominant: float = 0.0005
    #: X het fraction thresholds used to infer sex when neither PED nor --sex gives it
    min_x_variants_for_sex: int = 30
    male_max_x_het_fraction: float = 0.1
    female_min_x_het_fraction: float = 0.25
    #: also report carriers in the text summary (always present in JSON)
    carriers_in_summary: bool = False
    #: the workflow runs the screen for every sample with a VCF (rules/screen.smk)
    enabled: bool = False

    @classmethod
    def from_dict(cls, d: dict | None) -> ScreenConfig:
        """The ``screen:`` config section; unknown keys are a ConfigError listing the known ones."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        bad = sorted(set(d) - known)
        if bad:
            raise ConfigError(f"unknown screen option(s): {', '.join(bad)} (known: {', '.join(sorted(known))})")
        for k in ("max_af_recessive", "max_af_dominant", "male_max_x_het_fraction", "female_min_x_het_fraction"):
            if k in d and not 0.0 <= float(d[k]) <= 1.0:
                raise ConfigError(f"screen.{k} must be a fraction in [0, 1], got {d[k]}")
        return cls(**d)


# --------------------------------------------------------------------------- helpers
def infer_sex(av, build: str, cfg: ScreenConfig) -> tuple[int, str]:
    """(PED sex code, how it was decided) from the proband's X heterozygosity outside the PARs."""
    if av.n_variants == 0:
        return 0, "unknown (no variants)"
    x = np.array([chromosome_class(str(c)) == "X" for c in av.chrom_norm])
    par = _PAR.get(build, ())
    pos = av.pos
    in_par = np.zeros(len(pos), dtype=bool)
    for a, b in par:
        in_par |= (pos >= a) & (pos <= b)
    g = av.proband_gt
    sel = x & ~in_par & (g > 0)
    n = int(sel.sum())
    if n < cfg.min_x_variants_for_sex:
        return 0, f"unknown ({n} non-PAR X variant calls, fewer than {cfg.min_x_variants_for_sex})"
    frac = float((g[sel] == 1).mean())
    if frac <= cfg.male_max_x_het_fraction:
        return MALE, f"inferred male (X heterozygous fraction {frac:.2f} over {n} calls)"
    if frac >= cfg.female_min_x_het_fraction:
        return FEMALE, f"inferred female (X heterozygous fraction {frac:.2f} over {n} calls)"
    return 0, f"unknown (X heterozygous fraction {frac:.2f} over {n} calls is ambiguous)"


def _clinvar_text(av, v: int) -> str | None:
    cl = av.clnsig[v]
    if not cl:
        return None
    stars = int(av.clinvar_stars[v])
    return f"{cl} ({stars} star{'s' if stars != 1 else ''})" if stars >= 0 else str(cl)


@dataclass
class _Allele:
    row: int
    vidx: int
    evidence: list[str] = field(default_factory=list)


def _qualifying(av, rows: np.ndarray, cond: Condition, gene: str, cfg: ScreenConfig, has_clinvar: bool,
                has_af: bool, notes: list[str]) -> list[_Allele]:
    mech = cond.mechanism_of(gene)
    inh = cond.inheritance_of(gene)
    cut = cfg.max_af_recessive if inh in ("AR", "XLR") else cfg.max_af_dominant
    freq = av.population_frequency()
    out: list[_Allele] = []
    seen: set[int] = set()
    for r in rows.tolist():
        v = int(av.vidx[r])
        if v in seen or int(av.proband_gt[v]) <= 0:
            continue
        ev: list[str] = []
        cls, stars = int(av.clinvar_class[v]), int(av.clinvar_stars[v])
        if has_clinvar and cfg.use_clinvar and cls == CLNSIG_PATHOGENIC and stars >= cfg.min_clinvar_stars:
            ev.append(f"ClinVar {_clinvar_text(av, v)}")
        csq = [c for c in str(av.consequences[r]).split("&") if c in LOF_CONSEQUENCES]
        benign = cls == CLNSIG_BENIGN and stars >= 1
        if cfg.use_lof and csq and mech == "loss_of_function" and not benign:
            ev.append(f"loss of function ({csq[0]}) in a gene whose disease mechanism is loss of function")
        if not ev:
            continue
        af = freq[v]
        if has_af and np.isfinite(af) and af > cut:
            notes.append(f"{gene} {av.chrom[v]}:{av.pos[v]} {av.ref[v]}>{av.alt[v]}: population frequency "
                         f"{af:.3g} above the {inh} limit {cut:g}; not counted")
            continue
        seen.add(v)
        out.append(_Allele(r, v, ev))
    return out


def _variant(av, a: _Allele, male_x: bool) -> ScreenVariant:
    v = a.vidx
    code = int(av.proband_gt[v])
    gt = {1: "0/1", 2: "1" if male_x else "1/1"}.get(code, "./.")
    if code == 1 and av.phased[v, av.proband_index]:
        gt = "0|1"
    zyg = "hemizygous" if male_x else {1: "heterozygous", 2: "homozygous"}.get(code, "unknown")
    af = av.population_frequency()[v]
    return ScreenVariant(chrom=str(av.chrom[v]), pos=int(av.pos[v]), ref=str(av.ref[v]), alt=str(av.alt[v]),
                         genotype=gt, zygosity=zyg, consequence=str(av.consequences[a.row]).replace("&", ","),
                         transcript=av.transcript[a.row], hgvs_c=av.hgvs_c[a.row], hgvs_p=av.hgvs_p[a.row],
                         population_af=None if np.isnan(af) else float(af), clinvar=_clinvar_text(av, v),
                         evidence=list(a.evidence))


def _in_trans_pairs(av, family: Family, alleles: list[_Allele], gene: str, x: bool) -> list[tuple[int, int, bool]]:
    """Compatible compound-het pairs among the qualifying alleles (indices into ``alleles``)."""
    if len(alleles) < 2:
        return []
    vs = [a.vidx for a in alleles]
    g = family.genotypes(av.gt[vs], av.samples)
    pairs = compound_het_pairs(g, family, [gene] * len(vs), x_chromosome=x)
    return [(p.first, p.second, p.phased_by_parents) for p in pairs]


# --------------------------------------------------------------------------- core
def screen_case(case, table: TherapyTable | None = None, cfg: ScreenConfig | None = None, *,
                has_clinvar: bool | None = None, sex_source: str | None = None,
                data_versions: dict[str, str] | None = None) -> ScreenResult:
    """Screen one annotated case (:class:`triage.prioritize.case.AnnotatedCase`).

    ``has_clinvar``: whether a ClinVar resource annotated the table (default: from the
    table's versions). The proband's sex comes from ``case.family`` (PED or --sex) or, when
    unknown there, is inferred from X heterozygosity (:func:`infer_sex`).
    """
    table = table or load_table()
    cfg = cfg or ScreenConfig()
    av = case.table
    build = case.build
    fam: Family = case.family
    if has_clinvar is None:
        has_clinvar = "clinvar" in av.versions
    has_af = bool(case.has_population_af)
    sex = fam.sex[fam.proband]
    if sex in (MALE, FEMALE):
        how = sex_source or ("from the PED file" if case.ped else "given")
    else:
        sex, how = infer_sex(av, build, cfg)
    warnings: list[Warning_] = []
    if not has_clinvar:
        warnings.append(Warning_(code="no_clinvar", message="no ClinVar resource configured: only loss-of-function "
                                 "alleles in loss-of-function genes can qualify (missense, gain-of-function and "
                                 "dominant-negative conditions are not screened)"))
    notes: list[str] = []
    rows_by_gene: dict[str, list[int]] = {}
    genes = table.genes()
    if len(av):
        for r, gname in enumerate(av.gene.tolist()):
            if gname in genes:
                rows_by_gene.setdefault(gname, []).append(r)
    findings: list[ScreenFinding] = []
    carriers: list[ScreenFinding] = []
    for gene in sorted(genes):
        rows = np.array(rows_by_gene.get(gene, []), dtype=np.int64)
        if not len(rows):
            continue
        for cond in table.conditions_for_gene(gene):
            alleles = _qualifying(av, rows, cond, gene, cfg, has_clinvar, has_af, notes)
            if not alleles:
                continue
            inh = cond.inheritance_of(gene)
            v0 = alleles[0].vidx
            on_x = chromosome_class(str(av.chrom_norm[v0])) == "X"
            par = any(a <= int(av.pos[v0]) <= b for a, b in _PAR.get(build, ()))
            male_x = on_x and not par and sex == MALE
            hom = [a for a in alleles if int(av.proband_gt[a.vidx]) == 2]
            het = [a for a in alleles if int(av.proband_gt[a.vidx]) == 1]
            kind, used, extra = None, [], []
            if inh in ("AD", "XLD"):
                kind, used = ("hemizygous" if male_x else "heterozygous" if het else "homozygous"), alleles
            elif inh == "XLR" and male_x:
                kind, used = "hemizygous", alleles
            else:  # AR, or XLR in a female / unknown sex
                if hom:
                    kind, used = ("homozygous" if not (on_x and sex == 0) else "homozygous (X, sex unknown)"), hom
                elif len(het) >= 2:
                    pairs = _in_trans_pairs(av, fam, het, gene, on_x)
                    parents = fam.father[fam.proband] >= 0 and fam.mother[fam.proband] >= 0
                    if pairs:
                        i, j, phased = max(pairs, key=lambda p: p[2])
                        used = [het[i], het[j]]
                        kind = "compound heterozygous (in trans by parental genotypes)" if phased else (
                            "compound heterozygous (phase unknown)")
                        if not phased and parents:
                            extra.append("parents genotyped but the origin of both alleles is not proven")
                    else:
                        extra.append("two alleles but not in trans (parental genotypes)" if parents
                                     else "two alleles excluded by the family genotypes")
            therapies = table.therapies_for_condition(cond, gene)
            base = dict(gene=gene, condition=cond.id, condition_name=cond.name,
                        condition_ids=list(cond.disease_ids), inheritance=inh, mechanism=cond.mechanism_of(gene),
                        tier=table.condition_tier(cond), therapies=therapies,
                        notes=([cond.detection_note] if cond.detection_note else []) + extra)
            if kind is not None:
                vs = [_variant(av, a, male_x) for a in used]
                ev = sorted({e for a in used for e in a.evidence})
                findings.append(ScreenFinding(genotype=kind, evidence=ev, variants=vs, **base))
            else:
                one = het[:1] or alleles[:1]
                vs = [_variant(av, a, male_x) for a in alleles]
                ev = sorted({e for a in one for e in a.evidence})
                carriers.append(ScreenFinding(genotype="carrier (one allele)" if len(alleles) == 1 else
                                              "carrier (alleles not in trans)", evidence=ev, variants=vs, **base))
    dv = dict(data_versions or {})
    dv.update(dict(av.versions.items()))
    dv.update({"therapy_table": table.data_version, "screen_model": SCREEN_MODEL_VERSION, "triage": __version__})
    warnings += [Warning_(code="annotation_note", message=n) for n in av.notes]
    warnings += [Warning_(code="frequency_filter", message=n) for n in dict.fromkeys(notes)]
    return ScreenResult(
        sample=case.sample, sex={MALE: "male", FEMALE: "female"}.get(sex, "unknown"), sex_source=how, build=build,
        clinvar=has_clinvar, population_frequency=has_af, findings=findings, carriers=carriers,
        genes_screened=len(genes), genes_with_variants=len(rows_by_gene), conditions_screened=len(table.conditions),
        data_versions=dv, warnings=warnings,
    )


# --------------------------------------------------------------------------- one VCF
def read_screen_config(path: str | Path | None, genome: str | None):
    """(PipelineConfig, ScreenConfig) from a workflow config YAML (or the defaults)."""
    import yaml

    from triage.prioritize.config import PipelineConfig

    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise TriageError(f"cannot read config {path}: {exc}") from None
    pcfg = PipelineConfig.from_file(path, genome) if path is not None else PipelineConfig.from_dict({}, genome)
    return pcfg, ScreenConfig.from_dict(data.get("screen"))


def run_screen(vcf: str | Path, sample: str | None = None, genome: str | None = None, ped: str | None = None,
               sex: str | None = None, config: str | Path | None = None,
               table: TherapyTable | None = None) -> ScreenResult:
    """Read, QC and annotate ``vcf`` (the pipeline's ingest/annotate step) and screen it."""
    from triage.prioritize.case import ingest_annotate
    from triage.variants.vcf_reader import detect_build, normalize_build

    if genome is None:
        genome = detect_build(vcf)
        if genome is None:
            raise TriageError(f"{vcf}: cannot tell the genome build from the header; give --genome GRCh37|GRCh38")
    genome = normalize_build(genome)
    pcfg, scfg = read_screen_config(config, genome)
    pcfg = pcfg.with_genome(genome)
    case = ingest_annotate(vcf, sample, pcfg, ped, sex)  # the one ingest/annotate call of the screen
    return screen_case(case, table, scfg, sex_source="given (--sex)" if sex and not ped else None)


def result_summary(res: ScreenResult, carriers: bool = False) -> str:
    """Human-readable summary: positive findings (and carriers when asked)."""
    lines = [f"# triage screen {__version__}: sample {res.sample}, {res.build}, sex {res.sex} ({res.sex_source})",
             f"# {res.genes_screened} genes of {res.conditions_screened} treatable conditions screened; "
             f"ClinVar {'yes' if res.clinvar else 'no'}; population frequency {'yes' if res.population_frequency else 'no'}",
             f"# {len(res.findings)} positive finding(s), {len(res.carriers)} carrier finding(s)"
             + ("" if carriers else " (carriers: --carriers or JSON)")]
    groups = [("POSITIVE", res.findings)] + ([("CARRIER", res.carriers)] if carriers else [])
    for label, items in groups:
        for f in items:
            lines.append(f"{label}\t{f.gene}\t{f.condition_name} ({', '.join(f.condition_ids[:3])})\t{f.inheritance}\t{f.genotype}")
            for v in f.variants:
                lines.append(f"  variant\t{v.chrom}:{v.pos} {v.ref}>{v.alt}\t{v.genotype}\t{v.consequence}\t"
                             f"{v.hgvs_c or ''}\t{'; '.join(v.evidence)}")
            for t in f.therapies:
                if t.tier == 1:
                    lines.append(f"  therapy\t{t.product} ({t.inn})\t{t.modality}\t{t.agency} {t.approved}\t{t.pathway}\t{t.status}"
                                 + (f"\t{t.restrictions}" if t.restrictions else ""))
                else:
                    lines.append(f"  treatment\t{t.kind}: {t.product}")
            for n in f.notes:
                lines.append(f"  note\t{n}")
    for w in res.warnings:
        if w.code != "annotation_note":
            lines.append(f"# warning {w.code}: {w.message}")
    return "\n".join(lines) + "\n"

"""The one result builder: a :class:`~triage.prioritize.ranker.RankedCase` -> the
:class:`~triage.models.TriageResult` that every output and the API carry.

The phenotype-only and the VCF path share it: the ranked arrays say what to list and in
which order; the VCF path adds each gene's variants, the genotype part of its
explanation, the case summary and the annotation notes. Every explanation of a result
is computed in one vectorised call (the API's hot path).
"""

from __future__ import annotations

import datetime as _dt
import logging

import numpy as np

from triage import __version__
from triage.errors import TriageError
from triage.genotype.likelihood import mode_label
from triage.models import (
    AcmgAssessment,
    CaseSummary,
    DiseaseCandidate,
    Explanation,
    GeneCandidate,
    NovelHypothesis,
    QuerySummary,
    TriageResult,
    VariantEvidence,
    Warning_,
)
from triage.prioritize.acmg import case_table
from triage.prioritize.case import AnnotatedCase
from triage.prioritize.ranker import GenotypeRanking, RankedCase, VariantRanking
from triage.ranks import competition_ranks, top_order
from triage.variants.annotation import AnnotatedVariants
from triage.variants.hgvs import NO_FASTA_CODE, NO_FASTA_MESSAGE, VariantNamer

log = logging.getLogger(__name__)
GENOTYPE_MODEL_VERSION = "genotype-lr-1 (score bins, Poisson background per coding kb)"
SEX_NAMES = {1: "MALE", 2: "FEMALE"}


def build_result(ranked: RankedCase, top: int = 20, explain_top: int | None = None,
                 variants_per_gene: int = 10, treatable_only: bool = False) -> TriageResult:
    """The top ``top`` diseases and genes of a ranked case (``top`` <= 0: all).

    ``explain_top``: how many of each list get a term-by-term explanation (default
    all listed; with ``top`` <= 0, none). ``variants_per_gene``: variants listed per gene
    (VCF cases). ``treatable_only``: list only candidates with a therapy flag (their ranks
    stay the ranks among all candidates: treatability never changes a score).
    Every candidate carries its therapy flags (:mod:`triage.treatability.therapies`).
    """
    from triage.treatability.therapies import load_table, therapies_for_candidate

    ranker = ranked.ranker
    eng = ranker.engine
    ann = eng.kb.annotations
    q = ranked.query
    geno = ranked.genotype
    explain_top = top if explain_top is None else explain_top
    table = load_table()

    # diseases are listed as entities: equivalent OMIM / ORPHA entries once, by their best
    # member, with the summed posterior (one disease, one entry)
    groups = eng.disease_groups
    ids = ann.disease_ids
    e_key_all = groups.collapse_scores(ranked.disease_key)
    member = groups.best_member(ranked.disease_key)  # its explanation and score
    rep_of = np.array([m[0] for m in groups.members], dtype=np.int64)
    e_key, g_key = e_key_all, ranked.gene_key
    if treatable_only:
        treatable = table.treatable_diseases()
        e_key = np.where([any(ids[d] in treatable for d in m) for m in groups.members], e_key, -np.inf)
        best_ids = [ids[b] if b >= 0 else "" for b in gene_best_disease(ranked)]
        g_key = np.where(treatable_mask(best_ids, treatable), g_key, -np.inf)
    e_order, n_diseases = top_order(e_key, eng.entity_order_key, top)
    g_order, n_genes = top_order(g_key, ranked.gene_order_key, top)
    gene_diseases = {int(g): ranked.diseases_of_gene(int(g)) for g in g_order}
    best_of = {g: (ds[0] if ds else None) for g, ds in gene_diseases.items()}
    # every explanation of this result in one vectorised call
    wanted = list(dict.fromkeys(
        [int(member[e]) for e in e_order[:explain_top]]
        + [b for g in g_order[:explain_top].tolist() if (b := best_of[int(g)]) is not None]))
    explained = eng.explanations(ranked.scorer, wanted, q)
    labels = ann.disease_labels

    e_ranks = overall_ranks(e_key_all, e_order) if treatable_only else competition_ranks(e_key, e_order)
    post = ranked.disease_posterior
    e_post = groups.collapse_posterior(post) if post is not None else None
    diseases = []
    for k, e in enumerate(e_order.tolist()):
        ms, d = groups.members[e], int(member[e])
        genes_e = list(dict.fromkeys(ann.gene_symbols[g] for m in ms for g in ann.genes_of(m)))
        expl = explained[d] if k < explain_top else Explanation()
        if geno is not None and not genes_e:
            expl = expl.model_copy(update={"summary": (expl.summary + "; no gene known for this disease: "
                                                       "ranked on the phenotype alone (neutral genotype LR)").lstrip("; ")})
        diseases.append(DiseaseCandidate(
            id=ids[ms[0]], label=labels[ms[0]], equivalent_ids=[ids[m] for m in ms[1:]], rank=int(e_ranks[k]),
            posterior=float(e_post[e]) if e_post is not None else None,
            score=round(float(ranked.disease_key[d]), 6), genes=genes_e, explanation=expl,
            therapies=therapies_for_candidate(disease_ids=[ids[m] for m in ms], table=table),
        ))

    rows_of = _rows_by_gene(geno, ranked) if geno is not None else {}
    n_release = ranked.n_release_genes
    acmg = case_table(ranked) if geno is not None else None
    male = geno is not None and _is_male(geno.case)
    namer = _variant_namer(ranked) if geno is not None else None
    g_ranks = overall_ranks(ranked.gene_key, g_order) if treatable_only else competition_ranks(g_key, g_order)
    gpost = ranked.gene_posterior
    genes: list[GeneCandidate] = []
    for k, g in enumerate(g_order.tolist()):
        ds = gene_diseases[g]
        best = best_of[g]
        expl = Explanation()
        if best is not None and k < explain_top:
            expl = explained[best]
        genotype_score = None
        variants: list[VariantEvidence] = []
        if geno is not None:
            lr = None
            if best is not None:
                w = ranker.weights[best]
                lr = float(w[0] * geno.lr_one[g] + w[1] * geno.lr_two[g])
                genotype_score = round(float(np.log10(lr)), 6) if lr else None
                expl = expl.model_copy(update={"summary": expl.summary + _genotype_summary(
                    geno, ranker, ranked.genes[g], best, lr)})
            elif ranked.genes[g] in geno.genotype.index:
                gi = geno.genotype.index[ranked.genes[g]]
                lr = 0.5 * (geno.genotype.lr_one[gi] + geno.genotype.lr_two[gi])
                genotype_score = round(float(np.log10(lr)), 6)
            variants = [variant_evidence(geno.case.table, r, geno.variants, male,
                                         acmg.assessment(r) if acmg is not None else None, namer)
                        for r in rows_of.get(g, [])[:variants_per_gene]]
        novel = novel_hypothesis(ranked, g)
        if novel is not None:
            expl = expl.model_copy(update={"summary": (novel.message + "; " + expl.summary).rstrip("; ")})
        genes.append(GeneCandidate(
            symbol=ranked.genes[g], rank=int(g_ranks[k]), score=float(ranked.gene_score[g]),
            posterior=float(gpost[g]) if gpost is not None else None,
            phenotype_score=round(float(ranked.phenotype_score[best]), 6) if best is not None else None,
            genotype_score=genotype_score,
            diseases=list(dict.fromkeys(ids[rep_of[groups.group_of[d]]] for d in ds))[:10],
            top_disease=ids[rep_of[groups.group_of[best]]] if best is not None else None,
            top_disease_label=labels[rep_of[groups.group_of[best]]] if best is not None else None,
            ncbi_gene_id=f"NCBIGene:{ann.gene_ncbi[g]}" if g < n_release and ann.gene_ncbi[g] else None,
            variants=variants, explanation=expl, novel=novel,
            # the treatments of the disease the gene is ranked for (not of its other diseases)
            therapies=therapies_for_candidate(disease_ids=[ids[m] for m in groups.members[groups.group_of[best]]],
                                              table=table) if best is not None and novel is None else [],
        ))

    if namer is not None and namer.reference is not None:
        namer.reference.close()
    warnings = list(q.warnings) + list(ranked.warnings)
    case = ranked.case
    if case is not None:
        if "reference_fasta" not in case.table.versions:
            warnings.append(Warning_(code=NO_FASTA_CODE, message=NO_FASTA_MESSAGE))
        warnings += [Warning_(code="annotation_note", message=n) for n in case.table.notes]
    return TriageResult(
        query=QuerySummary(observed=q.observed, excluded=q.excluded, scorer=ranked.scorer,
                           sample=case.sample if case is not None else None),
        case=case_summary(case) if case is not None else None,
        diseases=diseases, genes=genes, data_versions=data_versions(ranked), warnings=warnings,
        n_diseases_ranked=n_diseases, n_genes_ranked=n_genes,
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def gene_best_disease(ranked: RankedCase) -> np.ndarray:
    """Per gene of the case's axis: index of the disease it is ranked for (-1 none)."""
    geno = ranked.genotype
    if geno is not None:
        best = geno.combined.best_disease_of_gene.copy()
        if geno.combined.novel_log10 is not None:
            best[geno.combined.novel_log10 >= ranked.gene_key - np.log10(2.0)] = -1  # novel carries >= half
        return best
    r = ranked.ranker
    best = np.full(len(ranked.genes), -1, dtype=np.int64)
    ok = np.isfinite(ranked.pair_score)
    if ok.any():
        pd, pg, ps = r.pair_disease[ok], r.pair_gene[ok], ranked.pair_score[ok]
        order = np.lexsort((r.engine.disease_order_key[pd], -ps, pg))
        gs = pg[order]
        first = np.r_[True, gs[1:] != gs[:-1]]
        best[gs[first]] = pd[order][first]
    return best


def treatable_mask(ids: list[str], treatable: set[str]) -> np.ndarray:
    """Which candidate ids (disease ids or gene symbols) have a therapy flag."""
    return np.fromiter((i in treatable for i in ids), bool, len(ids))


def overall_ranks(key: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Competition rank of each listed candidate among *all* candidates (1 + better ones)."""
    fin = np.sort(key[np.isfinite(key)])
    return len(fin) - np.searchsorted(fin, key[order], side="right") + 1


def _rows_by_gene(geno: GenotypeRanking, ranked: RankedCase) -> dict[int, list[int]]:
    """Annotation rows of each gene on the case's axis, in output order."""
    av = geno.case.table
    rows_of: dict[int, list[int]] = {}
    for r in geno.variants.row_order.tolist():
        j = ranked.gene_position(av.gene[r])
        if j is not None:
            rows_of.setdefault(j, []).append(r)
    return rows_of


def novel_hypothesis(ranked: RankedCase, g: int) -> NovelHypothesis | None:
    """The gene's novel hypothesis when it carries most (>= half) of the gene's posterior."""
    share = ranked.novel_share(g)
    if share < 0.5:
        return None
    novel_log10 = ranked.genotype.combined.novel_log10 if ranked.genotype is not None else None
    if novel_log10 is None:  # no novel hypotheses (then the share is 0 as well)
        return None
    post = float(10.0 ** novel_log10[g])
    if g >= ranked.n_release_genes:
        kind, msg = "novel_gene", ("no known disease of this gene in the HPO release; "
                                   "candidate novel disease gene (genotype evidence)")
    else:
        kind, msg = "novel_disease", ("no known disease of this gene matches the phenotype; "
                                      "candidate novel disease of a known disease gene")
    return NovelHypothesis(kind=kind, posterior=post, share=round(share, 4), message=msg)


def _is_male(case: AnnotatedCase) -> bool:
    return case.family.sex[case.family.proband] == 1


def _genotype_summary(geno: GenotypeRanking, ranker, symbol: str, best: int, lr: float) -> str:
    """"; genotype LR 12.3 (AD, one allele)": the genotype part of a gene's explanation."""
    gg = geno.genotype
    gi = gg.index.get(symbol)
    kind = ""
    if gi is not None:
        w = ranker.weights[best]
        kind = "one allele" if w[0] * gg.lr_one[gi] >= w[1] * gg.lr_two[gi] else (gg.two_kind[gi] or "")
    did = ranker.engine.kb.annotations.disease_ids[best]
    return (f"; genotype LR {lr:.3g} ({mode_label(did, ranker.modes)}"
            + (f", {kind}" if kind else ", no qualifying variant") + ")")


def zygosity(code: int, male_x: bool = False) -> str:
    """Zygosity name of an ALT copy count (2 on a male X = hemizygous)."""
    if code == 2:
        return "hemizygous" if male_x else "homozygous"
    if code == 1:
        return "heterozygous"
    return "unknown"


def genotype_string(code: int, male_x: bool = False, phased: bool = False) -> str:
    """VCF-style genotype of the proband: 0/1, 0|1, 1/1, 1 (male X), ./. (missing)."""
    if code == 1:
        return "0|1" if phased else "0/1"
    if code == 2:
        return "1" if male_x else "1/1"
    if code == 0:
        return "0/0"
    return "./."


def clinvar_text(av: AnnotatedVariants, v: int) -> str | None:
    """ClinVar significance with its review stars ("Pathogenic (2 stars)"), or None."""
    cl = av.clnsig[v]
    if not cl:
        return None
    stars = int(av.clinvar_stars[v])
    return f"{cl} ({stars} star{'s' if stars != 1 else ''})" if stars >= 0 else str(cl)


def _variant_namer(ranked: RankedCase) -> VariantNamer | None:
    """Names every transcript of the listed variants: the case build's gene model and,
    when configured, the reference FASTA (None when neither is at hand)."""
    from triage.variants.consequences import Reference
    from triage.variants.gene_model import GeneModel
    from triage.variants.vcf_reader import normalize_build

    ranker, case = ranked.ranker, ranked.case
    if case is None:
        return None
    cfg = ranker.cfg.annotate
    try:
        same = cfg.gene_model is not None or normalize_build(ranker.genome) == case.build
        model = ranker.gene_model if same else GeneModel.load(case.build)
        fasta = cfg.reference_fasta if "reference_fasta" in case.table.versions else None
        reference = Reference(fasta, build=case.build) if fasta else None
    except TriageError as exc:  # the annotation itself worked: list the variants without it
        log.warning("transcript effects not listed: %s", exc)
        return None
    return VariantNamer(model, reference)


def variant_evidence(av: AnnotatedVariants, r: int, vr: VariantRanking, male: bool,
                     acmg: AcmgAssessment | None = None, namer: VariantNamer | None = None) -> VariantEvidence:
    """One annotation row of a gene as the result model's variant evidence
    (``acmg``: its ACMG/AMP assessment, :mod:`triage.prioritize.acmg`; ``namer``: lists
    the variant on every transcript of the gene, for gene-model rows)."""
    v = int(av.vidx[r])
    code = int(av.proband_gt[v])
    male_x = male and av.chrom_norm[v] == "X"
    af = av.population_frequency()[v]
    effects: list = []
    note = protein = None
    if namer is not None:
        protein = namer.protein(av.transcript[r])
        if av.source[r] == "gene_model":
            effects = namer.effects(str(av.chrom[v]), int(av.pos[v]), str(av.ref[v]), str(av.alt[v]),
                                    str(av.gene[r]), av.transcript[r])
            note = next((e.hgvs_note for e in effects if e.reported), None)
    return VariantEvidence(
        chrom=str(av.chrom[v]), pos=int(av.pos[v]), ref=str(av.ref[v]), alt=str(av.alt[v]),
        genotype=genotype_string(code, male_x, bool(av.phased[v, av.proband_index])),
        zygosity=zygosity(code, male_x), consequence=av.consequences[r].replace("&", ","),
        transcript=av.transcript[r], hgvs_c=av.hgvs_c[r], hgvs_p=av.hgvs_p[r],
        protein=protein, hgvs_note=note, transcripts=effects,
        population_af=None if np.isnan(af) else float(af), clinvar=clinvar_text(av, v),
        pathogenicity=round(float(av.score[r]), 4), inheritance_modes=vr.modes(r),
        rank=int(vr.variant_rank[v]) or None, acmg=acmg,
    )


def case_summary(case: AnnotatedCase) -> CaseSummary:
    """The proband, build, family and input counts of a VCF case."""
    fam = case.family
    order = [fam.proband] + [i for i in range(len(fam.ids)) if i != fam.proband]
    counts = {k: int(v) for k, v in case.table.stats.items()
              if isinstance(v, int | np.integer) and not isinstance(v, bool)}
    return CaseSummary(sample=case.sample, sex=SEX_NAMES.get(fam.sex[fam.proband], "UNKNOWN_SEX"),
                       genome_build=case.build, family=[fam.ids[i] for i in order], counts=counts)


def data_versions(ranked: RankedCase) -> dict[str, str]:
    """HPO release, model digest and software version; for VCF cases also the gene
    model, resources and the genotype model."""
    dv = dict(ranked.ranker.engine.data_versions)
    if ranked.case is not None:
        dv.update(ranked.case.table.versions)
        dv["genotype_model"] = GENOTYPE_MODEL_VERSION
        if ranked.genotype is not None and ranked.genotype.acmg is not None:
            dv["acmg"] = ranked.genotype.acmg.version
    dv["triage"] = __version__
    return dv

"""GA4GH phenopacket v2 of a result: the patient's features and the top candidates as
``IN_PROGRESS`` interpretations (``PREFIX.phenopacket.json``, ``GET
/v1/cases/{id}/phenopacket``).

A VCF result gives one interpretation per top gene candidate, diagnosis = the gene's
best disease, with the gene's best variants as ``CANDIDATE`` variant interpretations
(VCF record, HGVS, allelic state (GENO), the consequence as a Sequence Ontology term,
and the automated, provisional ACMG/AMP class as ``acmgPathogenicityClassification``
with its criteria and reasons as extensions). A phenotype-only result gives one
interpretation per top disease with its genes as ``CANDIDATE`` gene interpretations.
They are ranked hypotheses for review, never diagnoses. One disease is one
interpretation: its equivalent ids (ORPHA entries of an OMIM disease) are named in the
summary. ``metaData.resources`` lists every namespace of every CURIE in the document
(HP, OMIM, ORPHA, DECIPHER, NCBIGene or hgnc.symbol, GENO, SO); the data versions are
external references by name only: no local path appears anywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from triage import __version__
from triage.models import TriageResult
from triage.outputs.common import fmt_prob

#: triage.models.AcmgAssessment.classification -> phenopacket v2 AcmgPathogenicityClassification
ACMG_CLASSES = {"Pathogenic": "PATHOGENIC", "Likely pathogenic": "LIKELY_PATHOGENIC",
                "Uncertain significance": "UNCERTAIN_SIGNIFICANCE", "Likely benign": "LIKELY_BENIGN",
                "Benign": "BENIGN"}
GENO = {"heterozygous": ("GENO:0000135", "heterozygous"), "homozygous": ("GENO:0000136", "homozygous"),
        "hemizygous": ("GENO:0000134", "hemizygous")}
_SEX = {"male": "MALE", "female": "FEMALE", "other": "OTHER_SEX", "unknown": "UNKNOWN_SEX",
        "unknown_sex": "UNKNOWN_SEX", "other_sex": "OTHER_SEX"}
RESOURCES = {
    "HP": {"id": "hp", "name": "human phenotype ontology", "url": "http://purl.obolibrary.org/obo/hp.owl",
           "namespacePrefix": "HP", "iriPrefix": "http://purl.obolibrary.org/obo/HP_"},
    "OMIM": {"id": "omim", "name": "Online Mendelian Inheritance in Man", "url": "https://www.omim.org",
             "namespacePrefix": "OMIM", "iriPrefix": "https://omim.org/entry/"},
    "ORPHA": {"id": "orpha", "name": "Orphanet Rare Disease Ontology", "url": "https://www.orpha.net",
              "namespacePrefix": "ORPHA", "iriPrefix": "http://www.orpha.net/ORDO/Orphanet_"},
    "DECIPHER": {"id": "decipher", "name": "DECIPHER", "url": "https://www.deciphergenomics.org",
                 "namespacePrefix": "DECIPHER", "iriPrefix": "https://www.deciphergenomics.org/syndrome/"},
    "NCBIGene": {"id": "ncbigene", "name": "NCBI Gene", "url": "https://www.ncbi.nlm.nih.gov/gene",
                 "namespacePrefix": "NCBIGene", "iriPrefix": "https://www.ncbi.nlm.nih.gov/gene/"},
    "hgnc.symbol": {"id": "hgnc.symbol", "name": "HGNC gene symbol", "url": "https://www.genenames.org",
                    "namespacePrefix": "hgnc.symbol", "iriPrefix": "https://identifiers.org/hgnc.symbol:"},
    "GENO": {"id": "geno", "name": "Genotype Ontology", "url": "http://purl.obolibrary.org/obo/geno.owl",
             "namespacePrefix": "GENO", "iriPrefix": "http://purl.obolibrary.org/obo/GENO_"},
    "SO": {"id": "so", "name": "Sequence types and features ontology", "url": "http://purl.obolibrary.org/obo/so.owl",
           "namespacePrefix": "SO", "iriPrefix": "http://purl.obolibrary.org/obo/SO_"},
}
RESOURCE_ORDER = ("HP", "OMIM", "ORPHA", "DECIPHER", "NCBIGene", "hgnc.symbol", "GENO", "SO")

#: Sequence Ontology accession of each consequence term (Ensembl VEP's calculated consequences)
SO_TERMS = {
    "transcript_ablation": "SO:0001893", "splice_acceptor_variant": "SO:0001574",
    "splice_donor_variant": "SO:0001575", "stop_gained": "SO:0001587", "frameshift_variant": "SO:0001589",
    "stop_lost": "SO:0001578", "start_lost": "SO:0002012", "transcript_amplification": "SO:0001889",
    "feature_elongation": "SO:0001907", "feature_truncation": "SO:0001906", "inframe_insertion": "SO:0001821",
    "inframe_deletion": "SO:0001822", "missense_variant": "SO:0001583", "protein_altering_variant": "SO:0001818",
    "splice_donor_5th_base_variant": "SO:0001787", "splice_region_variant": "SO:0001630",
    "splice_donor_region_variant": "SO:0002170", "splice_polypyrimidine_tract_variant": "SO:0002169",
    "incomplete_terminal_codon_variant": "SO:0001626", "start_retained_variant": "SO:0002019",
    "stop_retained_variant": "SO:0001567", "synonymous_variant": "SO:0001819",
    "coding_sequence_variant": "SO:0001580", "mature_miRNA_variant": "SO:0001620",
    "5_prime_UTR_variant": "SO:0001623", "3_prime_UTR_variant": "SO:0001624",
    "non_coding_transcript_exon_variant": "SO:0001792", "intron_variant": "SO:0001627",
    "NMD_transcript_variant": "SO:0001621", "non_coding_transcript_variant": "SO:0001619",
    "coding_transcript_variant": "SO:0001968", "upstream_gene_variant": "SO:0001631",
    "downstream_gene_variant": "SO:0001632", "TFBS_ablation": "SO:0001895", "TFBS_amplification": "SO:0001892",
    "TF_binding_site_variant": "SO:0001782", "regulatory_region_ablation": "SO:0001894",
    "regulatory_region_amplification": "SO:0001891", "regulatory_region_variant": "SO:0001566",
    "intergenic_variant": "SO:0001628", "sequence_variant": "SO:0001060",
}


def iso_time(ts: float | None = None) -> str:
    t = dt.datetime.fromtimestamp(ts, dt.timezone.utc) if ts else dt.datetime.now(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _gene_ref(symbol: str, ncbi: str | None) -> dict[str, str]:
    return {"valueId": ncbi or f"hgnc.symbol:{symbol}", "symbol": symbol}


def to_phenopacket(result: TriageResult, *, pid: str | None = None, sample: str | None = None,
                   sex: str | None = None, gene_ids: dict[str, str] | None = None,
                   created_at: float | None = None, n_interpretations: int | None = None) -> dict[str, Any]:
    """The phenopacket of ``result``.

    ``sample``/``sex`` default to the result's case (VCF results); ``gene_ids`` maps
    symbols to ``NCBIGene:`` ids for genes of phenotype-only disease candidates.
    ``n_interpretations``: how many gene (VCF) or disease (phenotype only) candidates (10).
    """
    case = result.case
    subject_id = sample or (case.sample if case is not None else None) or result.query.sample or "proband"
    subject: dict[str, Any] = {"id": subject_id}
    sex_code = _SEX.get(sex.lower(), "UNKNOWN_SEX") if sex else (case.sex if case is not None else None)
    if sex_code:
        subject["sex"] = sex_code
    features: list[dict[str, Any]] = [{"type": {"id": t.id, "label": t.label}} for t in result.query.observed]
    features += [{"type": {"id": t.id, "label": t.label}, "excluded": True} for t in result.query.excluded]
    used = {"HP"}
    gene_ids = dict(gene_ids or {})
    gene_ids.update({g.symbol: g.ncbi_gene_id for g in result.genes if g.ncbi_gene_id})
    labels = {d.id: d.label for d in result.diseases}
    equivalents = {d.id: d.equivalent_ids for d in result.diseases}
    label_of = {g.top_disease: g.top_disease_label for g in result.genes if g.top_disease}
    base = pid or result.query.phenopacket_id or f"{subject_id}-triage"
    interpretations = []
    if case is not None:
        for g in result.genes[: n_interpretations or 10]:
            gis = []
            for v in g.variants:
                if v.rank is None or (v.pathogenicity or 0) < 0.2:
                    continue
                vd: dict[str, Any] = {
                    "id": f"{g.symbol}-{v.chrom}-{v.pos}-{v.ref}-{v.alt}",
                    "geneContext": _gene_ref(g.symbol, g.ncbi_gene_id),
                    "vcfRecord": {"genomeAssembly": case.genome_build or "", "chrom": v.chrom, "pos": str(v.pos),
                                  "ref": v.ref, "alt": v.alt},
                    "moleculeContext": "genomic",
                }
                ex = []
                if v.hgvs_c and v.transcript:
                    ex.append({"syntax": "hgvs.c", "value": f"{v.transcript}:{v.hgvs_c}"})
                if v.hgvs_p:
                    # on its RefSeq protein when known (NP_003064.2:p.(Lys364del)), as hgvs.c is on its transcript
                    ex.append({"syntax": "hgvs.p", "value": f"{v.protein}:{v.hgvs_p}" if v.protein else v.hgvs_p})
                if ex:
                    vd["expressions"] = ex
                if v.zygosity in GENO:
                    gid, lab = GENO[v.zygosity]
                    vd["allelicState"] = {"id": gid, "label": lab}
                    used.add("GENO")
                terms = [t.strip() for t in (v.consequence or "").replace("&", ",").split(",") if t.strip()]
                so = [f"{SO_TERMS[t]} {t}" for t in terms if t in SO_TERMS]
                if so:
                    used.add("SO")
                vd["extensions"] = [{"name": "triage_pathogenicity", "value": f"{v.pathogenicity}"},
                                    {"name": "triage_consequence", "value": ", ".join(so) or (v.consequence or "")}]
                actionable = "ACTIONABLE" if any(t.tier == 1 for t in g.therapies) else "UNKNOWN_ACTIONABILITY"
                acmg_class = "NOT_PROVIDED"
                if v.acmg is not None:
                    acmg_class = ACMG_CLASSES[v.acmg.classification]
                    vd["extensions"] += [
                        {"name": "triage_acmg_method", "value": v.acmg.method},
                        {"name": "triage_acmg_points", "value": str(v.acmg.points)},
                        {"name": "triage_acmg_criteria", "value": ",".join(c.label for c in v.acmg.criteria)},
                    ] + [{"name": f"triage_acmg_{c.label}", "value": c.reason} for c in v.acmg.criteria]
                gis.append({"subjectOrBiosampleId": subject_id, "interpretationStatus": "CANDIDATE",
                            "variantInterpretation": {"acmgPathogenicityClassification": acmg_class,
                                                      "therapeuticActionability": actionable,
                                                      "variationDescriptor": vd}})
                if len(gis) >= 2:
                    break
            if not gis:
                gis.append({"subjectOrBiosampleId": subject_id, "interpretationStatus": "CANDIDATE",
                            "gene": _gene_ref(g.symbol, g.ncbi_gene_id)})
            used.add("NCBIGene" if g.ncbi_gene_id else "hgnc.symbol")
            did = g.top_disease or ""
            eq = equivalents.get(did, [])
            for i in [did, *eq] if did else []:
                used.add(i.split(":", 1)[0])
            post = f" (posterior {fmt_prob(g.posterior)})" if g.posterior is not None else ""
            also = f"; {did} is also {', '.join(eq)}" if eq else ""
            interpretations.append({
                "id": f"{base}-{g.rank}-{g.symbol}",
                "progressStatus": "IN_PROGRESS",
                "summary": f"triage rank {g.rank}: {g.symbol}{post}{also}; {g.explanation.summary}".rstrip("; "),
                "diagnosis": {"disease": {"id": did, "label": labels.get(did) or label_of.get(did) or ""},
                              "genomicInterpretations": gis},
            })
    else:
        for d in result.diseases[: n_interpretations or 10]:
            for i in [d.id, *d.equivalent_ids]:
                used.add(i.split(":", 1)[0])
            gis = []
            for sym in d.genes:
                ref = _gene_ref(sym, gene_ids.get(sym))
                used.add(ref["valueId"].split(":", 1)[0])
                gis.append({"subjectOrBiosampleId": subject_id, "interpretationStatus": "CANDIDATE", "gene": ref})
            post = f"; posterior {fmt_prob(d.posterior)}" if d.posterior is not None else ""
            post += f"; also {', '.join(d.equivalent_ids)}" if d.equivalent_ids else ""
            interpretations.append({
                "id": f"{base}-rank{d.rank}-{d.id}",
                "progressStatus": "IN_PROGRESS",
                "diagnosis": {"disease": {"id": d.id, "label": d.label}, "genomicInterpretations": gis},
                "summary": f"triage candidate rank {d.rank} (score {d.score:.4g}{post}); "
                           f"{d.explanation.summary}".rstrip("; "),
            })
    dv = result.data_versions
    resources = []
    # a namespace without an entry of its own is still listed (identifiers.org resolves it)
    for prefix in RESOURCE_ORDER + tuple(sorted(used - set(RESOURCE_ORDER))):
        if prefix in used:
            # disease and gene ids come from the HPO annotation release; GENO and SO are
            # fixed terms of those ontologies (no release is read)
            version = dv.get("hpo", "") if prefix == "HP" else (
                dv.get("hpo_annotations", "") if prefix in ("OMIM", "ORPHA", "DECIPHER", "NCBIGene") else "")
            entry = RESOURCES.get(prefix) or {
                "id": prefix.lower(), "name": prefix, "url": f"https://identifiers.org/{prefix}",
                "namespacePrefix": prefix, "iriPrefix": f"https://identifiers.org/{prefix}:"}
            resources.append(entry | {"version": version or "unversioned"})
    return {
        "id": base,
        "subject": subject,
        "phenotypicFeatures": features,
        "interpretations": interpretations,
        "metaData": {
            "created": iso_time(created_at),
            "createdBy": f"triage {__version__}",
            "resources": resources,
            "phenopacketSchemaVersion": "2.0",
            "externalReferences": [{"id": k, "description": str(v)} for k, v in dv.items()],
        },
    }

"""Helpers for the pipeline tests: tiny VCF/phenopacket writers (no ../shared needed)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO_VCF = REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz"
DEMO_PP = REPO / "config" / "demo" / "DEMO1.phenopacket.json"

B38_CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chr10": 133797422, "chr15": 101991189,
               "chr22": 50818468, "chrX": 156040895}


def vcf_header(samples: list[str], contigs: dict[str, int] | None = None, info: list[str] = ()) -> str:
    contigs = contigs if contigs is not None else B38_CONTIGS
    lines = ["##fileformat=VCFv4.2", '##FILTER=<ID=PASS,Description="All filters passed">',
             '##FILTER=<ID=LowQual,Description="Low quality">',
             '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##INFO=<ID=QD,Number=1,Type=Float,Description="QD">',
             '##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP membership">',
             *info,
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
             '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
             '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
             '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred likelihoods">']
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]))
    return "\n".join(lines) + "\n"


def write_vcf(path: Path, samples: list[str], records: list[str], contigs=None, info=(), bgzip: bool = True) -> Path:
    import pysam

    text = vcf_header(samples, contigs, list(info)) + "".join(r.rstrip("\n") + "\n" for r in records)
    plain = path.with_suffix("") if path.suffix == ".gz" else path
    plain.write_text(text)
    if bgzip and path.suffix == ".gz":
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
        pysam.tabix_index(str(path), preset="vcf", force=True)
        return path
    return plain


def phenopacket(path: Path, pid: str, terms: list[str], variants: list[dict], sex: str = "MALE",
                disease: str = "OMIM:000000", gene: str = "GENE") -> Path:
    gis = []
    for v in variants:
        vd = {"id": f"v{len(gis)}", "geneContext": {"valueId": "HGNC:1", "symbol": v.get("gene", gene)},
              "allelicState": {"id": "GENO:0000135", "label": v.get("state", "heterozygous")}}
        if "pos" in v:
            vd["vcfRecord"] = {"genomeAssembly": v.get("assembly", "hg38"), "chrom": v["chrom"], "pos": str(v["pos"]),
                               "ref": v["ref"], "alt": v["alt"]}
        gis.append({"subjectOrBiosampleId": pid, "interpretationStatus": "CAUSATIVE",
                    "variantInterpretation": {"variationDescriptor": vd}})
    doc = {"id": pid, "subject": {"id": pid, "sex": sex},
           "phenotypicFeatures": [{"type": {"id": t, "label": t}} for t in terms],
           "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
               "disease": {"id": disease, "label": disease}, "genomicInterpretations": gis}}],
           "metaData": {"phenopacketSchemaVersion": "2.0"}}
    path.write_text(json.dumps(doc))
    return path

"""Helpers shared by tests (kept out of conftest so they can be imported)."""

from __future__ import annotations

import json
from pathlib import Path


def make_phenopacket(path: Path, pid: str, terms: list[str], disease: str, gene: str,
                     excluded: list[str] = (), vcf: dict | None = None) -> Path:
    feats = [{"type": {"id": t, "label": t}} for t in terms]
    feats += [{"type": {"id": t, "label": t}, "excluded": True} for t in excluded]
    vd = {"id": "v1", "geneContext": {"valueId": "HGNC:1", "symbol": gene},
          "allelicState": {"id": "GENO:0000135", "label": "heterozygous"}}
    if vcf:
        vd["vcfRecord"] = {"genomeAssembly": "hg38", **vcf}
    doc = {
        "id": pid, "subject": {"id": pid, "sex": "MALE"}, "phenotypicFeatures": feats,
        "interpretations": [{"id": "i1", "progressStatus": "SOLVED", "diagnosis": {
            "disease": {"id": disease, "label": disease},
            "genomicInterpretations": [{"subjectOrBiosampleId": pid, "interpretationStatus": "CAUSATIVE",
                                        "variantInterpretation": {"variationDescriptor": vd}}]}}],
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }
    path.write_text(json.dumps(doc))
    return path

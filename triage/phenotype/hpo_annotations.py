"""Disease and gene phenotype annotations (phenotype.hpoa, genes_to_phenotype.txt).

Parsed into flat arrays (one row per disease-term annotation) so the scorers can
build sparse matrices with numpy. Frequencies stay raw here (n/m counts, percent,
or an HPO frequency class); turning them into probabilities is a model choice made
in :mod:`triage.phenotype.scoring.matrices`.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from triage.errors import DataError
from triage.phenotype.ontology import Ontology

# HPO frequency classes (HP:0040279 subtree) -> representative probability.
FREQUENCY_CLASSES = {
    "HP:0040280": 1.0,  # Obligate (100%)
    "HP:0040281": 0.895,  # Very frequent (80-99%)
    "HP:0040282": 0.545,  # Frequent (30-79%)
    "HP:0040283": 0.17,  # Occasional (5-29%)
    "HP:0040284": 0.025,  # Very rare (1-4%)
    "HP:0040285": 0.0,  # Excluded (0%)
}
_RATIO = re.compile(r"^(\d+)/(\d+)$")
_PCT = re.compile(r"^(\d+(?:\.\d+)?)%$")

# kinds of raw frequency
FREQ_NONE, FREQ_RATIO, FREQ_VALUE = 0, 1, 2


@dataclass
class Annotations:
    version: str
    disease_ids: list[str]
    disease_labels: list[str]
    # one row per (disease, term) annotation, term mapped to a primary id
    ann_disease: np.ndarray  # int32 disease index
    ann_term: np.ndarray  # int32 term index
    ann_kind: np.ndarray  # int8 FREQ_*
    ann_n: np.ndarray  # float32 numerator (ratio) or probability (value)
    ann_m: np.ndarray  # float32 denominator (ratio), else 0
    ann_not: np.ndarray  # bool: NOT qualifier (disease explicitly lacks the term)
    gene_symbols: list[str]
    gene_ncbi: list[str]
    # disease -> genes as CSR
    dg_ptr: np.ndarray
    dg_idx: np.ndarray
    skipped_terms: dict[str, int]
    # distinct PMIDs cited by each disease's annotations: a proxy for how often the
    # disease has been diagnosed and published (used by the optional literature prior)
    disease_n_pmids: np.ndarray

    @property
    def n_diseases(self) -> int:
        return len(self.disease_ids)

    @property
    def n_genes(self) -> int:
        return len(self.gene_symbols)

    def genes_of(self, d: int) -> np.ndarray:
        return self.dg_idx[self.dg_ptr[d] : self.dg_ptr[d + 1]]


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def _find(directory: Path, name: str) -> Path:
    for cand in (directory / name, directory / f"{name}.gz"):
        if cand.exists():
            return cand
    raise DataError(f"HPO release directory {directory} has no {name} (or {name}.gz)")


def parse_frequency(raw: str) -> tuple[int, float, float]:
    """Raw hpoa frequency -> (kind, n_or_value, m). Unparseable values count as missing."""
    raw = raw.strip()
    if not raw:
        return FREQ_NONE, 0.0, 0.0
    m = _RATIO.match(raw)
    if m:
        n, d = int(m.group(1)), int(m.group(2))
        if d == 0:
            return FREQ_NONE, 0.0, 0.0
        return FREQ_RATIO, float(min(n, d)), float(d)
    m = _PCT.match(raw)
    if m:
        return FREQ_VALUE, min(float(m.group(1)) / 100.0, 1.0), 0.0
    if raw in FREQUENCY_CLASSES:
        return FREQ_VALUE, FREQUENCY_CLASSES[raw], 0.0
    return FREQ_NONE, 0.0, 0.0


def load_annotations(directory: Path, onto: Ontology) -> Annotations:
    """Read ``phenotype.hpoa`` and ``genes_to_phenotype.txt`` of an HPO release into columnar arrays.

    Every (disease, term) row keeps its frequency (kind, n, m), its NOT flag and its PMIDs;
    terms are mapped through the ontology's alt ids; rows naming unknown terms are counted
    in ``skipped`` rather than failing, since releases carry a few obsolete ids. Disease-gene
    pairs come from genes_to_phenotype. The release version is read from ``#version:``.
    """
    hpoa = _find(directory, "phenotype.hpoa")
    g2p = _find(directory, "genes_to_phenotype.txt")
    version = "unknown"
    d_index: dict[str, int] = {}
    d_ids: list[str] = []
    d_labels: list[str] = []
    rows_d, rows_t, kinds, ns, ms, nots = [], [], [], [], [], []
    pmids: dict[str, set[str]] = {}
    skipped: dict[str, int] = {}
    with _open(hpoa) as fh:
        header_seen = False
        for lineno, line in enumerate(fh, 1):
            if line.startswith("#"):
                if line.startswith("#version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            if not header_seen and line.startswith("database_id"):
                header_seen = True
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 11:
                raise DataError(f"{hpoa}:{lineno}: expected 12 tab-separated columns, got {len(f)}")
            did, name, qual, tid, freq, aspect = f[0], f[1], f[2], f[3], f[7], f[10]
            if aspect not in ("P", "C"):
                continue  # inheritance (I) and modifiers (M) are not patient phenotypes
            try:
                t = onto.idx(tid)
            except KeyError:
                skipped[tid] = skipped.get(tid, 0) + 1
                continue
            if did not in d_index:
                d_index[did] = len(d_ids)
                d_ids.append(did)
                d_labels.append(name)
            for ref in f[4].split(";"):
                if ref.startswith("PMID:"):
                    pmids.setdefault(did, set()).add(ref)
            kind, n, m = parse_frequency(freq)
            rows_d.append(d_index[did])
            rows_t.append(t)
            kinds.append(kind)
            ns.append(n)
            ms.append(m)
            nots.append(qual.strip().upper() == "NOT")

    g_index: dict[str, int] = {}
    g_syms: list[str] = []
    g_ncbi: list[str] = []
    pairs: set[tuple[int, int]] = set()
    with _open(g2p) as fh:
        for lineno, line in enumerate(fh, 1):
            if lineno == 1 and line.startswith("ncbi_gene_id"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 6:
                raise DataError(f"{g2p}:{lineno}: expected 6 tab-separated columns, got {len(f)}")
            ncbi, sym, did = f[0], f[1], f[5]
            if did not in d_index:
                continue
            if sym not in g_index:
                g_index[sym] = len(g_syms)
                g_syms.append(sym)
                g_ncbi.append(ncbi)
            pairs.add((d_index[did], g_index[sym]))
    dg = sorted(pairs)
    dg_ptr = np.zeros(len(d_ids) + 1, dtype=np.int64)
    for d, _ in dg:
        dg_ptr[d + 1] += 1
    dg_ptr = np.cumsum(dg_ptr)
    dg_idx = np.array([g for _, g in dg], dtype=np.int32)
    return Annotations(
        version=version, disease_ids=d_ids, disease_labels=d_labels,
        ann_disease=np.array(rows_d, dtype=np.int32), ann_term=np.array(rows_t, dtype=np.int32),
        ann_kind=np.array(kinds, dtype=np.int8), ann_n=np.array(ns, dtype=np.float32),
        ann_m=np.array(ms, dtype=np.float32), ann_not=np.array(nots, dtype=bool),
        gene_symbols=g_syms, gene_ncbi=g_ncbi, dg_ptr=dg_ptr, dg_idx=dg_idx,
        skipped_terms=skipped,
        disease_n_pmids=np.array([len(pmids.get(d, ())) for d in d_ids], dtype=np.int32),
    )


def load_inheritance(directory: Path) -> dict[str, tuple[str, ...]]:
    """Disease id -> HPO inheritance term ids (phenotype.hpoa rows with aspect "I", not NOT),
    in file order; {} when the directory has no phenotype.hpoa."""
    try:
        path = _find(Path(directory), "phenotype.hpoa")
    except DataError:
        return {}
    out: dict[str, list[str]] = {}
    with _open(path) as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("database_id"):
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) > 10 and f[10] == "I" and f[2].strip().upper() != "NOT":
                terms = out.setdefault(f[0], [])
                if f[3] not in terms:
                    terms.append(f[3])
    return {k: tuple(v) for k, v in out.items()}

"""Load an HPO release directory (ontology + annotations) through a compiled file.

The release in use defaults to the vendored one under ``ontologies/hpo/<version>``;
``--hpo-dir`` / ``TRIAGE_HPO_DIR`` / config select another directory holding
hp.obo, phenotype.hpoa and genes_to_phenotype.txt (each optionally gzipped).

Compiling a release (pronto parses hp.obo, then the annotation tables are read) takes
~10 s, so its result is stored as an ``hpo-knowledge`` file of :mod:`triage.columnar`
(a typed, versioned columnar file; no pickle) and loaded in ~0.1 s afterwards. The
file is looked up, in this order:

1. ``<release dir>/compiled.hpo.npz``, shipped with the vendored release (so a new
   user's first command is fast whatever the install: ``make setup``, ``pip install
   -e .``, a read-only checkout); regenerate it with ``python scripts/compile_hpo.py``
   after changing :data:`CACHE_FORMAT` or the release (a test checks it is current);
2. ``$TRIAGE_CACHE_DIR`` (default ``~/.cache/triage``) ``/hpo-<key>.npz``, written on
   first use of any other release (``make setup`` runs ``triage hpo info`` once).

Either is used only when its source fingerprint (sha256 of the three files' names and
contents and :data:`CACHE_FORMAT`) is the directory's, so an edited release is compiled
again. A stale, corrupt or other-version file is ignored with a warning and rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from triage import columnar
from triage.errors import DataError
from triage.phenotype.hpo_annotations import Annotations, _find, load_annotations, load_inheritance
from triage.phenotype.ontology import Ontology, compile_obo

log = logging.getLogger(__name__)

CACHE_FORMAT = "6"  # 6: columnar file (no pickle), inheritance modes included
KIND = "hpo-knowledge"
KIND_VERSION = 1
SHIPPED_NAME = "compiled.hpo.npz"
DEFAULT_HPO_VERSION = "2025-01-16"
REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE_FILES = ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")


def default_hpo_dir() -> Path:
    env = os.environ.get("TRIAGE_HPO_DIR")
    if env:
        return Path(env)
    return REPO_ROOT / "ontologies" / "hpo" / DEFAULT_HPO_VERSION


def cache_dir() -> Path:
    env = os.environ.get("TRIAGE_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "triage"


@dataclass
class Knowledge:
    """Everything the phenotype engine needs from one HPO release."""

    ontology: Ontology
    annotations: Annotations
    source_dir: str
    #: disease id -> inheritance term ids (phenotype.hpoa aspect "I" rows)
    inheritance: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def data_versions(self) -> dict[str, str]:
        """Release versions (never the local directory: outputs carry no local paths)."""
        return {
            "hpo": self.ontology.version,
            "hpo_annotations": self.annotations.version,
        }


# --------------------------------------------------------------------------- fingerprint
@lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> bytes:  # noqa: ARG001 (size, mtime: cache key)
    """SHA-256 of a file, memoised per (path, size, mtime) so a changed file is re-read."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.digest()


def _fingerprint(files: list[Path]) -> str:
    """Key of a release's content (+ :data:`CACHE_FORMAT`); file digests memoised by stat."""
    h = hashlib.sha256(CACHE_FORMAT.encode())
    for f in files:
        st = f.stat()
        h.update(f.name.encode())
        h.update(_file_digest(str(f), st.st_size, st.st_mtime_ns))
    return h.hexdigest()[:24]


def source_files(directory: Path) -> list[Path]:
    return [_find(directory, n) for n in SOURCE_FILES]


# --------------------------------------------------------------------------- file format
def _str_lists(values: list[list[str]] | list[tuple[str, ...]]) -> tuple[np.ndarray, list[str]]:
    return columnar.ragged_ptr(len(v) for v in values), [s for v in values for s in v]


def knowledge_columns(kb: Knowledge) -> tuple[dict, dict]:
    """(meta, columns) of a compiled release."""
    o, a = kb.ontology, kb.annotations
    syn_ptr, syn = _str_lists(o.synonyms)
    obs_ptr, obs = _str_lists(list(o.obsolete.values()))
    inh_ptr, inh = _str_lists(list(kb.inheritance.values()))
    cols = {
        "term_id": o.ids, "term_label": o.labels, "synonym_ptr": syn_ptr, "synonym": syn,
        "parent_ptr": columnar.ragged_ptr(len(p) for p in o.parents),
        "parent": (np.concatenate(o.parents) if o.parents else np.zeros(0)).astype(np.int32),
        "anc_ptr": o.anc_ptr, "anc_idx": o.anc_idx, "depth": o.depth,
        "alt_id": list(o.alt_map), "alt_primary": list(o.alt_map.values()),
        "obsolete_id": list(o.obsolete), "consider_ptr": obs_ptr, "consider": obs,
        "disease_id": a.disease_ids, "disease_label": a.disease_labels,
        "ann_disease": a.ann_disease, "ann_term": a.ann_term, "ann_kind": a.ann_kind,
        "ann_n": a.ann_n, "ann_m": a.ann_m, "ann_not": a.ann_not,
        "gene_symbol": a.gene_symbols, "gene_ncbi": a.gene_ncbi, "dg_ptr": a.dg_ptr,
        "dg_idx": a.dg_idx, "disease_n_pmids": a.disease_n_pmids,
        "inheritance_disease": list(kb.inheritance), "inheritance_ptr": inh_ptr,
        "inheritance_term": inh,
    }
    meta = {"ontology_version": o.version, "annotations_version": a.version,
            "skipped_terms": dict(a.skipped_terms)}
    return meta, cols


def knowledge_from_columns(meta: dict, c: dict, source_dir: str, where: str) -> Knowledge:
    """Rebuild the Knowledge (ontology + annotations) from the compiled cache's columns; any
    inconsistency (ragged pointers, missing columns) raises DataError naming ``where``.
    """
    def lists(ptr: str, vals: str) -> list[list[str]]:
        return columnar.split_ragged(c[ptr], c[vals].tolist(), f"{where}: {ptr}")

    try:
        onto = Ontology(
            version=str(meta["ontology_version"]), ids=c["term_id"].tolist(),
            labels=c["term_label"].tolist(), synonyms=lists("synonym_ptr", "synonym"),
            parents=columnar.split_ragged(c["parent_ptr"], c["parent"], f"{where}: parent_ptr"),
            anc_ptr=c["anc_ptr"], anc_idx=c["anc_idx"], depth=c["depth"],
            alt_map=dict(zip(c["alt_id"].tolist(), c["alt_primary"].tolist(), strict=True)),
            obsolete=dict(zip(c["obsolete_id"].tolist(), lists("consider_ptr", "consider"), strict=True)),
        )
        ann = Annotations(
            version=str(meta["annotations_version"]), disease_ids=c["disease_id"].tolist(),
            disease_labels=c["disease_label"].tolist(), ann_disease=c["ann_disease"],
            ann_term=c["ann_term"], ann_kind=c["ann_kind"], ann_n=c["ann_n"], ann_m=c["ann_m"],
            ann_not=c["ann_not"], gene_symbols=c["gene_symbol"].tolist(),
            gene_ncbi=c["gene_ncbi"].tolist(), dg_ptr=c["dg_ptr"], dg_idx=c["dg_idx"],
            skipped_terms={str(k): int(v) for k, v in dict(meta["skipped_terms"]).items()},
            disease_n_pmids=c["disease_n_pmids"],
        )
        inheritance = _inheritance_from(c, where)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{where}: compiled HPO release incomplete ({exc!r})") from None
    n = len(onto.ids)
    if len(onto.anc_ptr) != n + 1 or len(onto.depth) != n or len(onto.parents) != n:
        raise DataError(f"{where}: compiled HPO release arrays do not fit the {n} terms")
    return Knowledge(ontology=onto, annotations=ann, source_dir=source_dir, inheritance=inheritance)


def _inheritance_from(c: dict, where: str) -> dict[str, tuple[str, ...]]:
    terms = columnar.split_ragged(c["inheritance_ptr"], c["inheritance_term"].tolist(),
                                  f"{where}: inheritance_ptr")
    return {d: tuple(t) for d, t in zip(c["inheritance_disease"].tolist(), terms, strict=True)}


def write_compiled(kb: Knowledge, path: Path, fingerprint: str, compress: bool = True) -> None:
    meta, cols = knowledge_columns(kb)
    meta["fingerprint"] = fingerprint
    meta["source_files"] = list(SOURCE_FILES)
    columnar.write(path, KIND, KIND_VERSION, meta, cols, compress=compress)


def _current(path: Path, fingerprint: str) -> dict | None:
    """The header of ``path`` when it is a current compiled file of this release, else None."""
    if not path.is_file():
        return None
    try:
        head = columnar.read_header(path, KIND, KIND_VERSION)
    except DataError as exc:
        log.warning("ignoring compiled HPO file %s (%s)", path, exc)
        return None
    if head["meta"].get("fingerprint") != fingerprint:
        log.warning("ignoring compiled HPO file %s: compiled from other files than those of %s "
                    "(regenerate it with scripts/compile_hpo.py)", path, path.parent)
        return None
    return head


def compiled_path(directory: str | Path) -> Path | None:
    """The current compiled file of a release directory (shipped or cached), or None."""
    directory = Path(directory)
    try:
        key = _fingerprint(source_files(directory))
    except (DataError, OSError):
        return None
    for p in (directory / SHIPPED_NAME, cache_dir() / f"hpo-{key}.npz"):
        if _current(p, key) is not None:
            return p
    return None


def compiled_inheritance(directory: str | Path) -> dict[str, tuple[str, ...]] | None:
    """Inheritance modes from a release's current compiled file (None: not compiled yet)."""
    p = compiled_path(directory)
    if p is None:
        return None
    try:
        _, c = columnar.read(p, KIND, KIND_VERSION,
                             names=("inheritance_disease", "inheritance_ptr", "inheritance_term"))
        return _inheritance_from(c, str(p))
    except DataError as exc:
        log.warning("ignoring compiled HPO file %s (%s)", p, exc)
        return None


# --------------------------------------------------------------------------- loading
def build_knowledge(directory: Path) -> Knowledge:
    obo = _find(directory, "hp.obo")
    onto = compile_obo(str(obo))
    ann = load_annotations(directory, onto)
    return Knowledge(ontology=onto, annotations=ann, source_dir=str(directory),
                     inheritance=load_inheritance(directory))


def _read_compiled(path: Path, directory: Path) -> Knowledge:
    head, cols = columnar.read(path, KIND, KIND_VERSION)
    return knowledge_from_columns(head["meta"], cols, str(directory), str(path))


def load_knowledge(directory: str | Path | None = None, use_cache: bool = True) -> Knowledge:
    """Load a release, compiling it on first use. Raises DataError for a bad directory."""
    directory = Path(directory) if directory else default_hpo_dir()
    if not directory.is_dir():
        raise DataError(f"HPO release directory not found: {directory}")
    files = source_files(directory)
    if not use_cache:
        return build_knowledge(directory)
    key = _fingerprint(files)
    cfile = cache_dir() / f"hpo-{key}.npz"
    for p in (directory / SHIPPED_NAME, cfile):
        if _current(p, key) is None:
            continue
        try:
            return _read_compiled(p, directory)
        except DataError as exc:  # corrupt: rebuild
            log.warning("ignoring unreadable compiled HPO file %s (%s)", p, exc)
    t0 = time.perf_counter()
    log.info("compiling HPO release in %s (first use; cached afterwards)", directory)
    kb = build_knowledge(directory)
    try:
        write_compiled(kb, cfile, key)
    except OSError as exc:
        log.warning("could not write HPO cache to %s: %s", cfile.parent, exc)
    log.info("compiled HPO release in %.1f s", time.perf_counter() - t0)
    return kb


def ship_compiled(directory: str | Path | None = None) -> Path:
    """Compile a release into ``<directory>/compiled.hpo.npz`` (what the repository ships)."""
    directory = Path(directory) if directory else default_hpo_dir()
    kb = build_knowledge(directory)
    out = directory / SHIPPED_NAME
    write_compiled(kb, out, _fingerprint(source_files(directory)))
    return out


@lru_cache(maxsize=4)
def load_knowledge_cached(directory: str | None = None) -> Knowledge:
    """Process-wide memo for callers that load the same release repeatedly (tests, benchmark)."""
    return load_knowledge(directory)

"""Load an HPO release directory (ontology + annotations) through a compiled cache.

The release in use defaults to the vendored one under ``ontologies/hpo/<version>``;
``--hpo-dir`` / ``TRIAGE_HPO_DIR`` / config select another directory holding
hp.obo, phenotype.hpoa and genes_to_phenotype.txt (each optionally gzipped).

The cache is a pickle keyed by the size+mtime+sha256 of the three files and a code
version, stored in ``$TRIAGE_CACHE_DIR`` (default ``~/.cache/triage``), written
atomically so concurrent processes never read a half-written file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from triage.errors import DataError
from triage.phenotype.hpo_annotations import Annotations, _find, load_annotations
from triage.phenotype.ontology import Ontology, compile_obo

log = logging.getLogger(__name__)

CACHE_FORMAT = "5"  # 5: classes moved into stage packages
DEFAULT_HPO_VERSION = "2025-01-16"
REPO_ROOT = Path(__file__).resolve().parents[2]


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

    @property
    def data_versions(self) -> dict[str, str]:
        """Release versions (never the local directory: outputs carry no local paths)."""
        return {
            "hpo": self.ontology.version,
            "hpo_annotations": self.annotations.version,
        }


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256(CACHE_FORMAT.encode())
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:24]


def build_knowledge(directory: Path) -> Knowledge:
    obo = _find(directory, "hp.obo")
    onto = compile_obo(str(obo))
    ann = load_annotations(directory, onto)
    return Knowledge(ontology=onto, annotations=ann, source_dir=str(directory))


def load_knowledge(directory: str | Path | None = None, use_cache: bool = True) -> Knowledge:
    """Load a release, compiling it on first use. Raises DataError for a bad directory."""
    directory = Path(directory) if directory else default_hpo_dir()
    if not directory.is_dir():
        raise DataError(f"HPO release directory not found: {directory}")
    files = [_find(directory, n) for n in ("hp.obo", "phenotype.hpoa", "genes_to_phenotype.txt")]
    if not use_cache:
        return build_knowledge(directory)
    key = _fingerprint(files)
    cdir = cache_dir()
    cfile = cdir / f"hpo-{key}.pkl"
    if cfile.exists():
        try:
            with open(cfile, "rb") as fh:
                kb = pickle.load(fh)
            kb.source_dir = str(directory)
            return kb
        except Exception as exc:  # corrupt or incompatible cache: rebuild
            log.warning("ignoring unreadable HPO cache %s (%s)", cfile, exc)
    t0 = time.perf_counter()
    log.info("compiling HPO release in %s (first use; cached afterwards)", directory)
    kb = build_knowledge(directory)
    try:
        cdir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=cdir, delete=False, suffix=".tmp") as tmp:
            pickle.dump(kb, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, cfile)
    except OSError as exc:
        log.warning("could not write HPO cache to %s: %s", cdir, exc)
    log.info("compiled HPO release in %.1f s", time.perf_counter() - t0)
    return kb


@lru_cache(maxsize=4)
def load_knowledge_cached(directory: str | None = None) -> Knowledge:
    """Process-wide memo for callers that load the same release repeatedly (tests, benchmark)."""
    return load_knowledge(directory)

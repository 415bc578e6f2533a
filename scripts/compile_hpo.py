#!/usr/bin/env python3
"""Compile an HPO release into the file shipped beside it (``compiled.hpo.npz``).

The repository ships the compiled form of its vendored release so that the first
command of a new user loads it in ~0.1 s instead of compiling for ~10 s (see
:mod:`triage.phenotype.knowledge`). Run this after changing the vendored release or
``knowledge.CACHE_FORMAT`` / the compiled file's schema; ``tests/phenotype/test_ontology.py``
fails while the shipped file is stale.

    .venv/bin/python scripts/compile_hpo.py                 # the vendored release
    .venv/bin/python scripts/compile_hpo.py --hpo-dir DIR   # another release directory
"""

from __future__ import annotations

import argparse
import time

from triage.phenotype.knowledge import ship_compiled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hpo-dir", default=None, help="release directory (default: the vendored one)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    out = ship_compiled(a.hpo_dir)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""Write triage/phenotype/data/disease_equivalents.tsv for an HPO release (default: vendored).

    .venv/bin/python scripts/build_disease_groups.py [--hpo-dir DIR]

The ORPHA<->OMIM equivalents the engine groups into one disease entity; the rules are
in triage/phenotype/entities.py. Prints the number of pairs per rule.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from triage.phenotype.entities import (
    EQUIVALENTS_FILE,
    derive_equivalents,
    direct_term_sets,
    write_equivalents,
)
from triage.phenotype.knowledge import load_knowledge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hpo-dir", default=None)
    args = ap.parse_args()
    kb = load_knowledge(args.hpo_dir)
    ann = kb.annotations
    rows = derive_equivalents(ann, direct_term_sets(ann))
    out = Path(__file__).resolve().parents[1] / "triage" / "phenotype" / "data" / EQUIVALENTS_FILE
    write_equivalents(out, ann.version, rows)
    print(f"{out}: {len(rows)} pairs", dict(Counter(r[2] for r in rows)))


if __name__ == "__main__":
    main()

"""``triage therapies check|lookup`` (the curated therapy table, issue #13)."""

from __future__ import annotations

import json
import sys


def therapies_check_main(table: str | None, fmt: str, hpo_dir: str | None) -> int:
    from triage.treatability.check import check_table

    rep = check_table(table, hpo_dir)
    sys.stdout.write(json.dumps(rep.to_dict(), indent=2) + "\n" if fmt == "json" else rep.to_text())
    return 0 if rep.ok else 1


def therapies_lookup_main(queries: list[str], table: str | None, fmt: str) -> int:
    """``triage therapies lookup``: the table's therapies for each disease id or gene symbol."""
    from triage.treatability.therapies import load_table

    t = load_table(table)
    out = {}
    for q in queries:
        hits = t.therapies_for_disease([q]) if ":" in q else t.therapies_for_gene(q)
        out[q] = [h.model_dump(exclude_none=True) for h in hits]
    if fmt == "json":
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        for q, rows in out.items():
            print(f"# {q}: {len(rows)} therapies")
            for h in rows:
                print("\t".join(str(h.get(k, "")) for k in ("tier", "product", "inn", "modality", "agency",
                                                             "approved", "pathway", "status", "restrictions")))
    return 0


def add_subcommands(sub) -> None:
    """Register ``triage therapies check`` and ``triage therapies lookup``."""
    p = sub.add_parser("therapies", help="the curated therapy table: check it, look up a disease id or gene")
    tsub = p.add_subparsers(dest="therapies_command", required=True)
    c = tsub.add_parser("check", help="validate the table (schema, HPO disease ids, gene symbols, dates, sources); "
                                      "exit 1 on errors")
    c.add_argument("--table", help="table YAML (default: the packaged triage/data/therapies.yaml)")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.set_defaults(func=lambda a: therapies_check_main(a.table, a.format, a.hpo_dir))
    lk = tsub.add_parser("lookup", help="therapies of disease ids (OMIM:/ORPHA:) or gene symbols")
    lk.add_argument("query", nargs="+", help="OMIM:253300, ORPHA:70, SMN1, ...")
    lk.add_argument("--table", help="table YAML (default: packaged)")
    lk.add_argument("--format", choices=["tsv", "json"], default="tsv")
    lk.set_defaults(func=lambda a: therapies_lookup_main(a.query, a.table, a.format))

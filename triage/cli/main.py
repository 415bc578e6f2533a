"""The ``triage`` console command.

Three layers per command: ``add_*_parser`` (argparse), a typed ``*_main(...)`` that
does the work from plain values, and the pure functions of the package underneath.
User errors (:class:`TriageError`) print one line ``triage: error: ...`` and exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from triage import __version__
from triage.cli.common import add_param_option, non_negative_int, read_terms, split_terms
from triage.errors import TriageError

log = logging.getLogger("triage")


def rank_main(hpo: list[str], exclude: list[str], phenopacket: str | None, top: int, fmt: str,
              scorer: str, hpo_dir: str | None, drop_unknown: bool, out: str | None,
              genes: list[str] | None = None, tsv_out: str | None = None,
              onset: str | None = None, vcf: str | None = None, vcf_sample: str | None = None,
              ped: str | None = None, genome: str | None = None, config: str | None = None,
              params: list[str] | None = None, treatable_only: bool = False, fasta: str | None = None,
              candidates_only: bool = False) -> int:
    """``triage rank``: phenotype only, or with ``vcf`` the whole pipeline for one patient."""
    terms = read_terms(hpo, exclude, phenopacket, onset)
    if vcf:
        # VCF + phenotype: the same code as the Snakemake workflow; --out is a directory
        from triage.cli.pipeline import rank_vcf_main

        rank_vcf_main(vcf, vcf_sample, ped, genome, terms, out, fmt, scorer, top, hpo_dir,
                      drop_unknown, config_path=config, params=params, treatable_only=treatable_only,
                      fasta=fasta, candidates_only=candidates_only)
        return 0
    if candidates_only:
        raise TriageError("--candidates-only is for the candidate VCF of a --vcf run")
    from triage.outputs.tsv import result_tsv
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.scoring.config import model_from_config
    from triage.prioritize import rank_phenotype

    engine = PhenotypeEngine.load(hpo_dir, model_from_config(config, params or ()))
    result = rank_phenotype(engine, terms.observed, terms.excluded, scorer=scorer, top=top,
                            drop_unknown=drop_unknown, genes=genes, onset=terms.onset,
                            treatable_only=treatable_only)
    result.query.sample = terms.subject_id
    for w in result.warnings:
        log.warning("%s", w.message)
    text = result.model_dump_json(indent=2) + "\n" if fmt == "json" else result_tsv(result)
    if tsv_out:
        Path(tsv_out).parent.mkdir(parents=True, exist_ok=True)
        Path(tsv_out).write_text(result_tsv(result))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def add_rank_parser(sub) -> None:
    """The ``triage rank`` sub-command: HPO terms or a phenopacket, optionally a VCF (and PED)."""
    from triage.phenotype.scoring import scorer_names

    p = sub.add_parser("rank", help="rank diseases and genes for one patient's HPO terms")
    p.add_argument("--hpo", action="append", default=[], metavar="HP:...,HP:...",
                   help="observed HPO terms (comma-separated, repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="HP:...",
                   help="explicitly absent HPO terms (comma-separated, repeatable)")
    p.add_argument("--phenopacket", help="GA4GH phenopacket v2 JSON giving the terms")
    p.add_argument("--onset", help="age at onset: an HPO onset term (HP:0003593) or an ISO 8601 age (P2Y)")
    p.add_argument("--genes", action="append", default=[], help="restrict to diseases of these genes")
    p.add_argument("--top", type=non_negative_int, default=20, help="rows per list (0 = all)")
    p.add_argument("--format", choices=["json", "tsv"], default="json")
    p.add_argument("--scorer", default="lr", choices=scorer_names())
    p.add_argument("--drop-unknown", action="store_true",
                   help="skip unknown/obsolete term ids with a warning instead of failing")
    p.add_argument("--out", help="write here instead of stdout (with --vcf: an output directory "
                                 "for JSON, TSV, VCF, HTML, phenopacket and PhEval files)")
    p.add_argument("--treatable-only", action="store_true",
                   help="list only candidates with an approved or established treatment (ranks unchanged)")
    p.add_argument("--tsv-out", help="also write the TSV tables to this file (phenotype only)")
    v = p.add_argument_group("VCF + phenotype ranking")
    v.add_argument("--vcf", help="VCF / VCF.gz / BCF of the patient (or family)")
    v.add_argument("--sample", help="proband sample id in a multi-sample VCF")
    v.add_argument("--ped", help="PED file of the family (inheritance modes)")
    v.add_argument("--genome", choices=["GRCh37", "GRCh38"],
                   help="genome build (default: detected from the VCF header; a mismatch is an error)")
    from triage.cli.pipeline import FASTA_HELP

    v.add_argument("--fasta", help=FASTA_HELP)
    v.add_argument("--candidates-only", action="store_true",
                   help="candidate VCF: write only the ranked records (TRIAGE_RANK > 0), not every annotated one")
    p.add_argument("--config", help="workflow config YAML: phenotype.model parameters and, with --vcf, "
                                    "quality, resources, scoring; default built-in")
    add_param_option(p)
    p.set_defaults(func=lambda a: rank_main(
        split_terms(a.hpo), split_terms(a.exclude), a.phenopacket, a.top, a.format, a.scorer,
        a.hpo_dir, a.drop_unknown, a.out, split_terms(a.genes) or None, a.tsv_out, a.onset,
        a.vcf, a.sample, a.ped, a.genome, a.config, a.param, a.treatable_only, a.fasta,
        a.candidates_only))


# ------------------------------------------------------------------------ benchmark
def benchmark_main(phenopackets: str, out: str, limit: int | None, seed: int, scorer: str,
                   compare: list[str], hpo_dir: str | None, progress: bool,
                   background: str | None = None, genome: str = "GRCh38", workers: int = 1,
                   config: str | None = None, params: list[str] | None = None, store: bool = False,
                   folds: int = 0, feature_cache: str | None = None) -> int:
    """``triage benchmark``: phenotype-only ranking of every phenopacket (with ``--background``, the
    VCF+phenotype spike-in), optional peers, optional cohort-grouped cross-validation
    (``--folds``); writes ``summary.json`` and ``ranks.tsv`` and prints the summary.
    """
    from triage.phenotype.engine import PhenotypeEngine
    from triage.phenotype.scoring.config import model_from_config

    engine = PhenotypeEngine.load(hpo_dir, model_from_config(config, params or ()))
    if background:
        # spike-in: each case's causal variant(s) into a real background exome, ranked by the
        # same code as the pipeline; adds the "variant" block, "gene" = VCF + phenotype
        if compare:
            raise TriageError("--compare is for phenotype-only runs; drop it or --background")
        if folds:
            raise TriageError("--folds is for phenotype-only runs; drop it or --background")
        from triage.benchmark.spikein import run_spikein_benchmark

        summary = run_spikein_benchmark(phenopackets, out, background, engine, genome=genome,
                                        scorer=scorer, limit=limit, seed=seed, progress=progress,
                                        workers=workers, config=config, hpo_dir=hpo_dir, store=store)
    else:
        from triage.benchmark.phenotype import run_benchmark

        if folds == 1 or folds < 0:
            raise TriageError(f"--folds needs at least 2 folds, got {folds}")
        summary = run_benchmark(phenopackets, out, engine, scorer=scorer, limit=limit, seed=seed,
                                compare=compare, progress=progress, folds=folds,
                                feature_cache=feature_cache)
    keys = ("cases", "skipped", "gene", "gene_annotated", "variant", "disease", "seconds_per_case")
    brief = {k: summary[k] for k in keys if k in summary}
    if "compare" in summary:
        brief["compare"] = {k: {kk: v[kk] for kk in ("gene", "gene_annotated", "disease", "skipped")}
                            for k, v in summary["compare"].items()}
    if "crossval" in summary:
        cv = summary["crossval"]
        brief["crossval"] = {"folds": cv["folds"], "seed": cv["seed"], "in_sample": {
            k: {m: cv["in_sample"][k][m] for m in ("top1", "top10")} for k in ("disease", "gene_annotated")},
            "cv_mean": {k: {m: cv["cv"][k][m]["mean"] for m in ("top1", "top10")} for k in ("disease", "gene_annotated")},
            "cv_sd": {k: {m: cv["cv"][k][m]["sd"] for m in ("top1", "top10")} for k in ("disease", "gene_annotated")}}
    print(json.dumps(brief, indent=2))
    return 0


def add_benchmark_parser(sub) -> None:
    """The ``triage benchmark`` sub-command and its options."""
    from triage.phenotype.scoring import scorer_names

    p = sub.add_parser("benchmark", help="rank phenopackets and report top-k accuracy (PhEval-style)")
    p.add_argument("--phenopackets", required=True, help="directory searched recursively for *.json")
    p.add_argument("--out", required=True, help="output directory (summary.json, ranks.tsv, pheval/)")
    p.add_argument("--limit", type=int, default=None, help="random sample of N cases")
    p.add_argument("--seed", type=int, default=42, help="seed for --limit sampling and the --folds split")
    p.add_argument("--scorer", default="lr", choices=scorer_names())
    p.add_argument("--compare", action="append", default=[], choices=["pyhpo"],
                   help="also run a baseline on the same cases")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--background", help="spike causal variants into this background VCF (VCF+phenotype benchmark)")
    p.add_argument("--genome", default="GRCh38", choices=["GRCh37", "GRCh38"],
                   help="build of the background and of the phenopackets' vcfRecords")
    p.add_argument("--workers", type=int, default=1, help="processes for the spike-in benchmark")
    p.add_argument("--store", action="store_true",
                   help="spike-in: also write OUT/genotype_store.json.gz (per-case genotype changes) for "
                        "cross-validated model choices (scripts/cv_combination.py)")
    p.add_argument("--config", help="workflow config YAML: phenotype.model parameters and, with "
                                    "--background, the spike-in ranking (resources, scoring)")
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="also cross-validate: cohort-grouped K-fold (folds split phenopacket folders), "
                        "every fitted choice of --scorer refitted on K-1 folds; adds summary.json 'crossval'")
    p.add_argument("--feature-cache", default=None,
                   help="directory for the per-case feature store of --folds (default $TRIAGE_CACHE_DIR/features)")
    add_param_option(p)
    p.set_defaults(func=lambda a: benchmark_main(
        a.phenopackets, a.out, a.limit, a.seed, a.scorer, a.compare, a.hpo_dir, not a.no_progress,
        a.background, a.genome, a.workers, a.config, a.param, a.store, a.folds, a.feature_cache))


# ----------------------------------------------------------------------------- hpo
def hpo_main(action: str, query: str | None, hpo_dir: str | None, limit: int) -> int:
    """``triage hpo info|search|term``: facts about the loaded HPO release, for users and CI."""
    from triage.phenotype.knowledge import load_knowledge

    kb = load_knowledge(hpo_dir)
    if action == "info":
        info = dict(kb.data_versions, terms=len(kb.ontology), diseases=kb.annotations.n_diseases,
                    genes=kb.annotations.n_genes, alt_ids=len(kb.ontology.alt_map))
        print(json.dumps(info, indent=2))
    elif action == "search":
        for tid, label, syn in kb.ontology.search(query or "", limit):
            print(f"{tid}\t{label}" + (f"\t(synonym: {syn})" if syn else ""))
    elif action == "resolve":
        tid = kb.ontology.resolve(query or "")
        print(f"{tid}\t{kb.ontology.label(tid)}")
    return 0


def add_hpo_parser(sub) -> None:
    p = sub.add_parser("hpo", help="HPO release: compile/info, search terms, resolve an id")
    p.add_argument("action", choices=["info", "search", "resolve"])
    p.add_argument("query", nargs="?")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=lambda a: hpo_main(a.action, a.query, a.hpo_dir, a.limit))


# ---------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    """The top-level ``triage`` argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="triage", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"triage {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="errors only")
    parser.add_argument("--hpo-dir", default=None,
                        help="HPO release directory (hp.obo, phenotype.hpoa, genes_to_phenotype.txt); "
                             "default: the vendored release or $TRIAGE_HPO_DIR")
    sub = parser.add_subparsers(dest="command", required=True)
    add_rank_parser(sub)
    add_benchmark_parser(sub)
    add_hpo_parser(sub)
    for mod in ("triage.cli.pipeline", "triage.api.cli", "triage.cli.therapies", "triage.cli.screen",
                "triage.cli.cohort"):
        try:
            module = __import__(mod, fromlist=["add_subcommands"])
        except ImportError as exc:
            log.debug("subcommands of %s unavailable: %s", mod, exc)
            continue
        module.add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``triage`` command: parse, configure logging, dispatch; user errors
    (``TriageError``) print one line and exit 2, never a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.ERROR if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except TriageError as exc:
        print(f"triage: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

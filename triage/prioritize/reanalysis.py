"""Reanalysis over time: re-rank stored cases with today's knowledge and say what changed.

``triage reanalyse --results DIR --out DIR2 [--hpo-dir NEW] [--config C]`` finds every
stored result under ``DIR`` (``**/PREFIX.result.json``: single-sample outputs, the
workflow's ``results/``, the cohort path's ``OUT/<sample>/``), re-ranks it through the
one path (:func:`~triage.prioritize.rank_case` + :func:`~triage.prioritize.build_result`)
with the current HPO release, resources and model, and writes per case

* ``DIR2/<prefix>/<prefix>.result.json``: the new result, each candidate carrying
  ``first_seen`` (the date it first appeared in the case's top list, carried over from
  the earlier result, like Talos's reanalysis; today for a new candidate);
* ``DIR2/<prefix>/<prefix>.reanalysis.json``: the :class:`Reanalysis` report — new
  candidates in the top N, candidates that left it, rank and posterior changes, the data
  versions before and after;

plus ``DIR2/reanalysis_summary.tsv`` (one line per case); the stored annotation is
linked next to the new result, so ``DIR2`` can itself be reanalysed later. A VCF case is re-ranked from
its stored annotation (``PREFIX.annotated.*`` next to the result, written by the workflow
and by ``triage rank --vcf --out``), so the VCF is not read again; a phenotype-only result
from its query terms. A result without what it needs is reported, not guessed.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from triage.errors import TriageError
from triage.models import TriageResult

log = logging.getLogger(__name__)

RESULT_SUFFIX = ".result.json"


class CandidateChange(BaseModel):
    kind: str = Field(description="gene or disease")
    id: str = Field(description="gene symbol or disease id")
    label: str = ""
    change: str = Field(description="new (entered the top list), left, moved, unchanged")
    rank_before: int | None = None
    rank_after: int | None = None
    posterior_before: float | None = None
    posterior_after: float | None = None
    first_seen: str | None = None


class Reanalysis(BaseModel):
    """What changed for one case between its earlier result and today's ranking."""

    case: str
    top: int
    created_before: str | None = None
    created_after: str | None = None
    data_versions_before: dict[str, str] = Field(default_factory=dict)
    data_versions_after: dict[str, str] = Field(default_factory=dict)
    changes: list[CandidateChange] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.changes:
            out[f"{c.kind}_{c.change}"] = out.get(f"{c.kind}_{c.change}", 0) + 1
        return out


@dataclass
class StoredCase:
    """One stored result found under the results directory."""

    prefix: str
    result_path: Path
    annotated_path: Path | None
    result: TriageResult = field(repr=False)


def find_results(root: str | Path) -> list[StoredCase]:
    """Every ``PREFIX.result.json`` under ``root`` (sorted), with its stored annotation if any."""
    root = Path(root)
    if not root.is_dir():
        raise TriageError(f"results directory not found: {root}")
    out = []
    for p in sorted(root.rglob(f"*{RESULT_SUFFIX}")):
        prefix = p.name[: -len(RESULT_SUFFIX)]
        try:
            res = TriageResult.model_validate_json(p.read_text())
        except (OSError, ValueError) as exc:
            raise TriageError(f"{p}: not a triage result ({str(exc).splitlines()[0]})") from None
        ann = [a for a in p.parent.glob(f"{prefix}.annotated.*") if a.suffix not in (".tsv", ".tmp")]
        from triage.variants.annotation_store import CASE_SUFFIX

        ann.sort(key=lambda a: a.name != f"{prefix}{CASE_SUFFIX}")  # this version's file first
        out.append(StoredCase(prefix, p, ann[0] if ann else None, res))
    return out


def _first_seen_of(result: TriageResult, default: str) -> tuple[dict[str, str], dict[str, str]]:
    """(gene -> date, disease -> date) of an earlier result: its own first_seen, else its date."""
    genes = {g.symbol: g.first_seen or default for g in result.genes}
    diseases = {d.id: d.first_seen or default for d in result.diseases}
    return genes, diseases


def compare(before: TriageResult, after: TriageResult, top: int, case: str) -> Reanalysis:
    """The changes in the top ``top`` genes and diseases between two results of a case."""
    rep = Reanalysis(case=case, top=top, created_before=before.created, created_after=after.created,
                     data_versions_before=before.data_versions, data_versions_after=after.data_versions)
    for kind, old, new in (("gene", {g.symbol: g for g in before.genes[:top]}, {g.symbol: g for g in after.genes[:top]}),
                           ("disease", {d.id: d for d in before.diseases[:top]}, {d.id: d for d in after.diseases[:top]})):
        for key in list(new) + [k for k in old if k not in new]:
            a, b = old.get(key), new.get(key)
            if a is None:
                change = "new"
            elif b is None:
                change = "left"
            elif a.rank != b.rank or abs((a.posterior or 0) - (b.posterior or 0)) > 1e-3:
                change = "moved"
            else:
                change = "unchanged"
            c = b or a
            label = getattr(c, "label", None) or getattr(c, "top_disease_label", None) or ""
            rep.changes.append(CandidateChange(
                kind=kind, id=key, label=label, change=change,
                rank_before=a.rank if a else None, rank_after=b.rank if b else None,
                posterior_before=a.posterior if a else None, posterior_after=b.posterior if b else None,
                first_seen=c.first_seen if c is not None else None))
    return rep


def _link_or_copy(src: Path, dst: Path) -> None:
    import os
    import shutil

    if dst.exists():
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def reanalyse(results: str | Path, out: str | Path, *, hpo_dir: str | None = None, config: str | None = None,
              top: int = 10, today: str | None = None, engine=None) -> list[Reanalysis]:
    """Re-rank every stored case under ``results`` and write the new results and reports to ``out``."""
    from triage.outputs.common import file_prefix
    from triage.phenotype.engine import PhenotypeEngine
    from triage.prioritize import AnnotatedCase, PipelineConfig, Ranker, build_result, rank_case

    today = today or _dt.date.today().isoformat()
    cases = find_results(results)
    if not cases:
        raise TriageError(f"no *{RESULT_SUFFIX} files under {results}")
    base_cfg = PipelineConfig.from_file(config)
    engine = engine or PhenotypeEngine.load(hpo_dir, base_cfg.model)
    rankers: dict[str | None, Ranker] = {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    reports: list[Reanalysis] = []
    lines = ["case\tsample\tgenome_build\ttop_gene_before\ttop_gene_after\tnew_genes\tleft_genes\t"
             "new_diseases\tleft_diseases\tstatus"]
    for sc in cases:
        old = sc.result
        case = None
        build = old.case.genome_build if old.case is not None else None
        if old.case is not None:
            if sc.annotated_path is None:
                log.warning("%s: VCF result without its stored annotation (%s.annotated.*): skipped",
                            sc.result_path, sc.prefix)
                lines.append(f"{sc.prefix}\t{old.case.sample}\t{build}\t\t\t\t\t\t\tskipped: no stored annotation")
                continue
            case = AnnotatedCase.load(sc.annotated_path)
            if case.sample != old.case.sample:
                raise TriageError(f"{sc.annotated_path}: stored annotation of sample {case.sample!r}, "
                                  f"but the result is of {old.case.sample!r}")
        if build not in rankers:
            cfg = base_cfg.with_genome(build) if build else base_cfg
            rankers[build] = Ranker(engine, cfg, build, cfg.gene_prior() if build else None)
        ranker = rankers[build]
        q = engine.resolve([t.id for t in old.query.observed], [t.id for t in old.query.excluded],
                           drop_unknown=True)
        new = build_result(rank_case(ranker, q, case, scorer=old.query.scorer),
                           max(len(old.genes), len(old.diseases), top),
                           variants_per_gene=ranker.cfg.rank.variants_per_gene)
        new.query.sample, new.query.phenopacket_id = old.query.sample, old.query.phenopacket_id
        default = (old.created or "")[:10] or _dt.date.fromtimestamp(sc.result_path.stat().st_mtime).isoformat()
        seen_g, seen_d = _first_seen_of(old, default)
        for g in new.genes:
            g.first_seen = seen_g.get(g.symbol, today)
        for d in new.diseases:
            d.first_seen = seen_d.get(d.id, today)
        rep = compare(old, new, top, sc.prefix)
        dest = out / file_prefix(sc.prefix)
        dest.mkdir(parents=True, exist_ok=True)
        (dest / f"{sc.prefix}{RESULT_SUFFIX}").write_text(new.model_dump_json(indent=2) + "\n")
        (dest / f"{sc.prefix}.reanalysis.json").write_text(rep.model_dump_json(indent=2) + "\n")
        if sc.annotated_path is not None:  # DIR2 is itself a results directory for the next reanalysis
            _link_or_copy(sc.annotated_path, dest / sc.annotated_path.name)
        n = rep.counts()
        lines.append("\t".join([sc.prefix, old.query.sample or (old.case.sample if old.case else ""), build or "",
                                old.genes[0].symbol if old.genes else "", new.genes[0].symbol if new.genes else "",
                                str(n.get("gene_new", 0)), str(n.get("gene_left", 0)),
                                str(n.get("disease_new", 0)), str(n.get("disease_left", 0)), "reanalysed"]))
        reports.append(rep)
    (out / "reanalysis_summary.tsv").write_text("\n".join(lines) + "\n")
    (out / "reanalysis.json").write_text(json.dumps({"date": today, "data_versions": engine.data_versions,
                                                     "cases": len(cases), "reanalysed": len(reports)}, indent=2) + "\n")
    return reports

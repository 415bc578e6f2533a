"""Reanalysis over time: a gene-disease pair added to the knowledge is reported as new
with today's first_seen; the other candidates keep theirs (#14 part 4)."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from conftest import REPO

from triage.models import TriageResult

DEMO_VCF = REPO / "config" / "demo" / "DEMO1.chr22.vcf.gz"
DEMO_PP = REPO / "config" / "demo" / "DEMO1.phenopacket.json"
HPO = REPO / "ontologies" / "hpo" / "2025-01-16"


@pytest.fixture(scope="module")
def stored(engine, tmp_path_factory):
    """The demo ranked with the pinned release, its result dated a year ago."""
    from triage.phenotype.phenopacket import read_phenopacket
    from triage.prioritize import run_patient

    out = tmp_path_factory.mktemp("results") / "DEMO1"
    pp = read_phenopacket(DEMO_PP)
    run = run_patient(DEMO_VCF, pp.observed, pp.excluded, genome="GRCh37", engine=engine, out_dir=out,
                      formats=("json",))
    path = out / "DEMO1.result.json"
    doc = json.loads(path.read_text())
    doc["created"] = "2025-12-01T00:00:00Z"
    path.write_text(json.dumps(doc))
    novel = list(run.ranked.genes[run.ranked.n_release_genes:])
    return out.parent, run, novel


def _release_with_new_pair(tmp, gene: str, disease: str, terms: list[str]):
    """A copy of the pinned release whose genes_to_phenotype links ``gene`` to ``disease``."""
    d = tmp / "hpo-new"
    shutil.copytree(HPO, d)
    g2p = d / "genes_to_phenotype.txt.gz"
    with gzip.open(g2p, "rt") as fh:
        text = fh.read()
    rows = "".join(f"999999999\t{gene}\t{t}\t{t}\t-\t{disease}\n" for t in terms)
    with gzip.open(g2p, "wt") as fh:
        fh.write(text + rows)
    return d


def test_new_gene_disease_pair_is_reported_with_todays_first_seen(stored, tmp_path):
    from triage.prioritize.reanalysis import reanalyse

    results, run, novel = stored
    old = run.result
    assert old.genes[0].symbol == "SMARCB1"
    # a chr22 gene with a variant in the demo but no disease in the pinned release ...
    gene = next(g for g in novel if g not in {x.symbol for x in old.genes[:10]})
    hpo = _release_with_new_pair(tmp_path, gene, "OMIM:614608", [t.id for t in old.query.observed])
    # ... becomes a gene of Coffin-Siris syndrome 3 in the "newer" release
    reps = reanalyse(results, tmp_path / "re", hpo_dir=str(hpo), today="2026-12-02", top=10)
    assert len(reps) == 1
    rep = reps[0]
    new = TriageResult.model_validate_json((tmp_path / "re" / "DEMO1" / "DEMO1.result.json").read_text())
    by = {g.symbol: g for g in new.genes}
    assert gene in [g.symbol for g in new.genes[:10]]
    assert by[gene].first_seen == "2026-12-02" and by[gene].top_disease == "OMIM:614608"
    assert by["SMARCB1"].first_seen == "2025-12-01"
    change = next(c for c in rep.changes if c.kind == "gene" and c.id == gene)
    assert change.change == "new" and change.rank_after is not None and change.rank_before is None
    kept = [c for c in rep.changes if c.kind == "gene" and c.change != "new"]
    assert all(c.first_seen == "2025-12-01" for c in kept if c.change != "left")
    summary = (tmp_path / "re" / "reanalysis_summary.tsv").read_text().splitlines()
    assert summary[1].split("\t")[0] == "DEMO1" and summary[1].endswith("reanalysed")
    # the same knowledge again: nothing new, first_seen carried from the reanalysed result
    again = reanalyse(tmp_path / "re", tmp_path / "re2", hpo_dir=str(hpo), today="2027-01-01", top=10)
    assert not [c for c in again[0].changes if c.change in ("new", "left")]
    new2 = TriageResult.model_validate_json((tmp_path / "re2" / "DEMO1" / "DEMO1.result.json").read_text())
    assert {g.symbol: g.first_seen for g in new2.genes}[gene] == "2026-12-02"


def test_cli_reanalyse_on_demo_results(stored, tmp_path):
    from triage.cli.main import main

    results, _, _ = stored
    assert main(["-q", "reanalyse", "--results", str(results), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "DEMO1" / "DEMO1.reanalysis.json").exists()
    assert main(["-q", "reanalyse", "--results", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == 2

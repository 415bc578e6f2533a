"""Therapy flags on every candidate, the treatable-only filter and the report header (#13 part 2)."""

from __future__ import annotations

import json

from triage.prioritize import rank_phenotype

#: a typical infantile spinal muscular atrophy presentation
SMA = ["HP:0001252", "HP:0003701", "HP:0001284", "HP:0001308", "HP:0002747", "HP:0003202", "HP:0002093"]


def test_sma_shows_its_approved_therapies(engine):
    r = rank_phenotype(engine, SMA, onset="HP:0003593", top=10)
    top = r.diseases[0]
    assert top.id == "OMIM:253300"
    flags = {(t.inn, t.agency): t for t in top.therapies}
    zolg = flags[("onasemnogene abeparvovec", "FDA")]
    assert zolg.approved.startswith("2019") and zolg.pathway and zolg.source
    assert ("onasemnogene abeparvovec", "EMA") in flags
    nus = flags[("nusinersen", "FDA")]
    assert nus.approved.startswith("2016") and nus.modality
    smn1 = next(g for g in r.genes if g.symbol == "SMN1")
    assert smn1.top_disease == "OMIM:253300"
    assert any(t.inn == "onasemnogene abeparvovec" for t in smn1.therapies)
    # treatability never changes a score: same posteriors with and without the filter
    only = rank_phenotype(engine, SMA, onset="HP:0003593", top=10, treatable_only=True)
    assert all(d.therapies for d in only.diseases) and all(g.therapies for g in only.genes)
    assert only.diseases[0].id == "OMIM:253300" and only.diseases[0].posterior == top.posterior
    ranks = {d.id: d.rank for d in r.diseases}
    for d in only.diseases:  # a listed candidate keeps its rank among all candidates
        if d.id in ranks:
            assert d.rank == ranks[d.id]
    assert all(d.rank >= 1 for d in only.diseases)


def test_flags_in_tsv_and_report(engine):
    from triage.outputs.html import report_html
    from triage.outputs.tsv import result_tsv

    r = rank_phenotype(engine, SMA, onset="HP:0003593", top=5)
    tsv = result_tsv(r)
    assert "Zolgensma (FDA 2019" in tsv and "Spinraza" in tsv
    html = report_html(r, top=5)
    assert "Treatable diagnosis among the top candidates" in html and "Zolgensma" in html
    pfeiffer = rank_phenotype(engine, ["HP:0001156", "HP:0001363", "HP:0011304", "HP:0010055"], top=5)
    assert not any(d.therapies for d in pfeiffer.diseases)  # no approved therapy for craniosynostoses
    # FGFR3 ranks for Muenke syndrome: achondroplasia's treatment is not its flag
    fgfr3 = next(g for g in pfeiffer.genes if g.symbol == "FGFR3")
    assert fgfr3.top_disease == "OMIM:602849" and not fgfr3.therapies
    assert "Treatable diagnosis" not in report_html(pfeiffer, top=5)
    assert json.loads(r.model_dump_json())["diseases"][0]["therapies"]


def test_cli_treatable_only(tmp_path, capsys):
    from triage.cli.main import main

    args = ["-q", "rank", "--hpo", ",".join(SMA), "--onset", "HP:0003593", "--top", "3", "--treatable-only"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diseases"] and all(d["therapies"] for d in out["diseases"])
    assert out["diseases"][0]["id"] == "OMIM:253300"

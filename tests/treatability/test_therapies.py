"""The curated therapy table: its check (run by CI through this test), lookups and the Therapy flags."""

from __future__ import annotations

import json

import pytest
import yaml

from triage.cli.main import main
from triage.errors import DataError
from triage.treatability.check import check_table, parse_date
from triage.treatability.therapies import (
    TABLE_PATH,
    load_table,
    read_table,
    therapies_for_candidate,
)


def test_packaged_table_passes_its_check(capsys):
    """`triage therapies check` on the packaged table: schema, HPO ids, genes, dates, sources."""
    assert main(["therapies", "check"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("OK")
    assert main(["therapies", "check", "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    s = rep["stats"]
    assert rep["ok"] and not rep["errors"]
    assert 50 <= s["tier1_rows"] <= 80 and s["tier1_products"] >= 35
    assert s["tier2_conditions"] >= 40
    assert s["disease_ids_in_hpo"] + len(rep["flagged_ids"]) == s["disease_ids"]


def _broken_table(tmp_path):
    data = yaml.safe_load(TABLE_PATH.read_text())
    c0 = data["conditions"][0]
    c0["disease_ids"] = c0["disease_ids"] + ["OMIM:999999"]  # not in the HPO release, not flagged
    data["conditions"][1]["genes"] = ["SMN1", "NOTAGENE1"]
    data["conditions"][2]["ids_absent_from_hpo"] = [data["conditions"][2]["disease_ids"][0]]  # stale flag
    data["therapies"][0]["approvals"][0]["date"] = "2031-02"  # after last_reviewed
    data["therapies"][1]["approvals"][0]["date"] = "2019-13-01"
    data["conditions"].append({**data["conditions"][-1], "id": "gba_old", "genes": ["GBA"]})  # old symbol
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_check_reports_each_kind_of_error(tmp_path, capsys):
    p = _broken_table(tmp_path)
    rep = check_table(p)
    text = "\n".join(rep.errors)
    assert not rep.ok
    assert "OMIM:999999 is not in the HPO release" in text
    assert "NOTAGENE1 is not a symbol" in text
    assert "stale flag" in text
    assert "after last_reviewed" in text
    assert "2019-13-01" in text and "does not parse" in text
    assert "GBA is an old symbol: use the current HGNC symbol GBA1" in text
    assert main(["therapies", "check", "--table", str(p)]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_schema_violation_names_the_location(tmp_path):
    data = yaml.safe_load(TABLE_PATH.read_text())
    del data["therapies"][3]["sources"]
    data["therapies"][4]["approvals"][0]["pathway"] = "fast"
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    rep = check_table(p)
    assert any(e.startswith("schema: therapies/3") and "sources" in e for e in rep.errors)
    assert any("therapies/4/approvals/0/pathway" in e for e in rep.errors)
    with pytest.raises(DataError, match="does not match its schema"):
        read_table(p)


def test_parse_date_precisions():
    assert parse_date("2019").isoformat() == "2019-01-01"
    assert parse_date("2019-05").isoformat() == "2019-05-01"
    assert parse_date("2019-05-24").isoformat() == "2019-05-24"
    with pytest.raises(ValueError):
        parse_date("2019-02-30")


def test_sma_disease_candidate_gets_zolgensma_and_nusinersen():
    flags = therapies_for_candidate(disease_ids=["OMIM:253300"])
    by = {(t.product, t.agency): t for t in flags}
    z_fda, z_ema = by[("Zolgensma", "FDA")], by[("Zolgensma", "EMA")]
    assert z_fda.inn == "onasemnogene abeparvovec" and z_fda.modality == "AAV gene therapy"
    assert z_fda.approved.startswith("2019") and z_fda.pathway == "standard" and z_fda.status == "approved"
    assert z_ema.approved.startswith("2020") and z_ema.pathway == "EMA conditional MA"
    nus = by[("Spinraza", "FDA")]
    assert nus.inn == "nusinersen" and nus.modality == "ASO" and nus.approved.startswith("2016")
    assert ("Spinraza", "EMA") in by and ("Evrysdi", "FDA") in by
    assert all(t.source for t in flags) and all(t.tier == 1 for t in flags)
    # ORPHA id of the same condition and the gene give the same products
    assert {t.product for t in therapies_for_candidate(disease_ids="ORPHA:70")} == {t.product for t in flags}
    assert {t.product for t in therapies_for_candidate(genes=["SMN1"])} == {t.product for t in flags}


def test_gene_lookup_uses_causal_genes_and_aliases():
    t = load_table()
    assert t.therapies_for_gene("GBA") == t.therapies_for_gene("GBA1") != []  # refGene alias
    assert t.therapies_for_gene("ALAS1") == []  # givosiran's target, not a causal gene
    assert {x.product for x in t.therapies_for_gene("HMBS")} == {"Givlaari"}
    assert "Glybera" in {x.product for x in t.therapies_for_gene("LPL")}
    assert "Glybera" not in {x.product for x in t.therapies_for_gene("APOC2")}  # only_genes: LPL
    assert t.therapies_for_gene("TTN") == [] and therapies_for_candidate(disease_ids=["OMIM:101600"]) == []


def test_restrictions_and_status_are_carried():
    t = load_table()
    exon = [x for x in t.therapies_for_gene("DMD") if x.product == "Exondys 51"][0]
    assert "exon 51" in exon.restrictions and exon.pathway == "FDA Accelerated Approval"
    tr = [x for x in t.therapies_for_gene("DMD") if x.product == "Translarna"][0]
    assert tr.status == "not renewed" and "nonsense" in tr.restrictions
    pku = t.therapies_for_disease("OMIM:261600")
    assert pku and all(x.tier == 2 and x.status == "established" and x.kind for x in pku)

"""Phenotype model parameters: typed validation, overrides, schema mirror, and that
they really reach the scorer (config file, --param, benchmark summary)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import yaml

from triage.cli.main import main
from triage.errors import ConfigError
from triage.phenotype.engine import PhenotypeEngine
from triage.phenotype.scoring import ModelParams
from triage.phenotype.scoring.config import (
    CHOICES,
    RANGES,
    PhenotypeModel,
    model_from_config,
    scorer_defaults,
)
from triage.prioritize.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
MODEL_SCHEMA = SCHEMA["properties"]["phenotype"]["properties"]["model"]["properties"]


def test_empty_model_is_the_code_defaults():
    m = PhenotypeModel.from_dict(None)
    assert m.annotation == ModelParams()
    assert m.resolved()["lr"] == scorer_defaults("lr")
    assert scorer_defaults("lr")["size_exponent"] == 0.4
    assert "term_cache_size" not in scorer_defaults("lr")  # wiring, not a model parameter


def test_values_are_typed_and_overrides_win():
    m = PhenotypeModel.from_dict({"lr": {"size_exponent": 0.3, "prior": "uniform"},
                                  "annotation": {"min_frequency": "0.05"}})
    assert m.scorer_kwargs("lr") == {"size_exponent": 0.3, "prior": "uniform"}
    assert m.annotation.min_frequency == 0.05
    o = m.with_overrides(["lr.size_exponent=0", "annotation.propagation=noisy_or", "lr.gamma = 0.2"])
    assert o.scorer_kwargs("lr") == {"size_exponent": 0.0, "prior": "uniform", "gamma": 0.2}
    assert isinstance(o.scorer_kwargs("lr")["size_exponent"], float)
    assert o.annotation.propagation == "noisy_or" and o.annotation.min_frequency == 0.05
    assert m.scorer_kwargs("lr")["size_exponent"] == 0.3  # frozen: overrides build a new object


@pytest.mark.parametrize("data, needle", [
    ({"lr": {"size_exponnt": 0.3}}, "lr.size_exponnt"),
    ({"lrr": {}}, "lrr"),
    ({"lr": {"gamma": 1.5}}, "lr.gamma"),
    ({"lr": {"eps": "abc"}}, "lr.eps"),
    ({"lr": {"eps": float("nan")}}, "lr.eps"),
    ({"lr": {"prior": "flat"}}, "uniform, literature"),
    ({"lr": {"prior": 3}}, "lr.prior"),
    ({"lr": {"size_exponent": True}}, "lr.size_exponent"),
    ({"annotation": {"propagation": "sum"}}, "annotation.propagation"),
    ({"annotation": {"min_frequency": -0.1}}, "annotation.min_frequency"),
    ({"resnik": {"gamma": 0.1}}, "resnik.gamma"),
    ({"lr": [1, 2]}, "'lr' must be a mapping"),
])
def test_bad_values_name_the_key(data, needle):
    with pytest.raises(ConfigError, match=None) as e:
        PhenotypeModel.from_dict(data)
    assert needle in str(e.value)


@pytest.mark.parametrize("item", ["gamma=0.1", "lr.gamma", "lr.=1", "=1"])
def test_malformed_param_option(item):
    with pytest.raises(ConfigError, match="GROUP.KEY=VALUE"):
        PhenotypeModel().with_overrides([item])


def test_schema_mirrors_the_typed_validation():
    """Every parameter is in the config schema with the same bounds and choices, so a
    config that passes Snakemake's validation never fails the typed check (or vice versa)."""
    from triage.phenotype.scoring import scorer_names

    groups = {"annotation": ModelParams().as_dict(), **{n: scorer_defaults(n) for n in scorer_names()}}
    assert set(MODEL_SCHEMA) == set(groups)
    for group, defaults in groups.items():
        props = MODEL_SCHEMA[group].get("properties", {})
        assert set(props) == set(defaults), group
        for key, spec in props.items():
            full = f"{group}.{key}"
            if full in CHOICES:
                assert tuple(spec["enum"]) == CHOICES[full]
            lo, hi = RANGES.get(full, (None, None))
            assert spec.get("minimum") == lo and spec.get("maximum") == hi, full


def test_shipped_config_validates_and_bad_model_fails_schema():
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    jsonschema.validate(cfg, SCHEMA)
    assert PipelineConfig.from_dict(cfg).model == PhenotypeModel()
    cfg["phenotype"]["model"] = {"lr": {"size_exponnt": 1}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(cfg, SCHEMA)
    with pytest.raises(ConfigError, match="size_exponnt"):
        PipelineConfig.from_dict(cfg)


def test_model_reaches_the_scorer(mini_kb):
    """A parameter from the config changes the scores exactly as the scorer's kwarg does,
    and the parameter digest in data_versions changes with it."""
    base = PhenotypeEngine(mini_kb, ModelParams(), {})
    m = PhenotypeModel.from_dict({"lr": {"prior": "uniform", "size_exponent": 0.0}})
    eng = PhenotypeEngine(mini_kb, m.annotation, {k: m.scorer_kwargs(k) for k in m.scorers})
    direct = PhenotypeEngine(mini_kb, ModelParams(), {"lr": {"prior": "uniform", "size_exponent": 0.0}})
    q = eng.resolve(["HP:0000011", "HP:0000021"])
    np.testing.assert_array_equal(eng.score(q, "lr").disease_scores, direct.score(q, "lr").disease_scores)
    assert not np.array_equal(eng.score(q, "lr").disease_scores, base.score(q, "lr").disease_scores)
    assert eng.data_versions["model_params"] == direct.data_versions["model_params"]
    assert eng.data_versions["model_params"] != base.data_versions["model_params"]
    assert eng.model == m


def test_config_file_then_param(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("phenotype:\n  model:\n    lr: {size_exponent: 0.2, cohort_weight: 0}\n")
    m = model_from_config(str(p), ["lr.size_exponent=0.1"])
    assert m.scorer_kwargs("lr") == {"size_exponent": 0.1, "cohort_weight": 0.0}
    p.write_text("phenotype: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        model_from_config(str(p))


def test_cli_param_changes_the_ranking_and_is_recorded(capsys):
    args = ["rank", "--hpo", "HP:0001156,HP:0001363", "--top", "5"]
    assert main(args) == 0
    default = json.loads(capsys.readouterr().out)
    assert main(args + ["--param", "lr.prior=uniform", "--param", "lr.size_exponent=0"]) == 0
    flat = json.loads(capsys.readouterr().out)
    assert [d["posterior"] for d in flat["diseases"]] != [d["posterior"] for d in default["diseases"]]
    assert flat["data_versions"]["model_params"] != default["data_versions"]["model_params"]
    assert main(args + ["--param", "lr.gama=0.1"]) == 2
    assert "unknown phenotype model parameter lr.gama" in capsys.readouterr().err

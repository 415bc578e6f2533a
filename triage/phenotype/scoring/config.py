"""The phenotype model's parameters as one typed, validated object.

Two groups: ``annotation`` (:class:`ModelParams`: how hpoa frequencies become the
disease x term matrices) and one mapping per scorer (the keyword arguments of its
constructor, e.g. ``lr.size_exponent``). Every value has a code default, so an empty
config is the published model; a workflow config overrides them under
``phenotype.model`` and the command line with ``--param lr.size_exponent=0.3``.

Validation happens here, once, at entry: an unknown group or key, a value of the
wrong type or outside its choices raises :class:`ConfigError` naming it, before any
matrix is built. The parameters in use are written to benchmark summaries and hashed
into every result's ``data_versions.model_params``, so a figure can be reproduced.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from triage.errors import ConfigError
from triage.phenotype.scoring.base import get_scorer_class, scorer_names
from triage.phenotype.scoring.matrices import ModelParams

ANNOTATION = "annotation"
#: constructor arguments of a scorer that are wiring, not parameters
_NOT_PARAMS = {"self", "kb", "mats", "term_cache_size"}
#: closed sets of string values (key -> allowed)
CHOICES = {
    "annotation.propagation": ("max", "noisy_or"),
    "lr.prior": ("uniform", "literature"),
}
#: numeric bounds (inclusive low, inclusive high; None = open); mirrored by the config schema
RANGES = {
    "annotation.missing_frequency": (0.0, 1.0), "annotation.min_frequency": (0.0, 1.0),
    "annotation.ratio_alpha": (0.0, None), "annotation.ratio_beta": (0.0, None),
    "lr.gamma": (0.0, 1.0), "lr.eps": (0.0, 1.0), "lr.not_lr": (0.0, 1.0), "lr.delta": (0.0, 1.0),
    "lr.rho": (0.0, 0.99), "lr.prior_weight": (0.0, None), "lr.cohort_weight": (0.0, None),
    "lr.size_exponent": (0.0, None),
}


def scorer_defaults(name: str) -> dict[str, Any]:
    """The tunable keyword arguments of scorer ``name`` with their defaults."""
    sig = inspect.signature(get_scorer_class(name).__init__)
    return {k: p.default for k, p in sig.parameters.items()
            if k not in _NOT_PARAMS and p.default is not inspect.Parameter.empty}


def _defaults(group: str) -> dict[str, Any]:
    if group == ANNOTATION:
        return ModelParams().as_dict()
    return scorer_defaults(group)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (strings from the command line are parsed)."""
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            if not isinstance(value, bool):
                raise ValueError(value)
            return value
        if isinstance(default, (int, float)):
            if isinstance(value, bool):
                raise ValueError(value)
            v = float(value)
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(value)
            lo, hi = RANGES.get(key, (None, None))
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ConfigError(f"phenotype model parameter {key}={value!r}: outside "
                                  f"[{'' if lo is None else lo}, {'' if hi is None else hi}]")
            return int(v) if isinstance(default, int) and v.is_integer() else v
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(value)
            allowed = CHOICES.get(key)
            if allowed and value not in allowed:
                raise ConfigError(f"phenotype model parameter {key}={value!r}: expected one of "
                                  f"{', '.join(allowed)}")
            return value
    except (TypeError, ValueError):
        raise ConfigError(f"phenotype model parameter {key}={value!r}: expected a "
                          f"{type(default).__name__}") from None
    return value


@dataclass(frozen=True)
class PhenotypeModel:
    """Annotation-model parameters plus per-scorer keyword arguments (validated)."""

    annotation: ModelParams = field(default_factory=ModelParams)
    scorers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frozen = {k: MappingProxyType(dict(v)) for k, v in self.scorers.items()}
        object.__setattr__(self, "scorers", MappingProxyType(frozen))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PhenotypeModel:
        """From the ``phenotype.model`` section of a workflow config."""
        data = dict(data or {})
        groups = [ANNOTATION, *scorer_names()]
        unknown = sorted(set(data) - set(groups))
        if unknown:
            raise ConfigError(f"unknown phenotype model section(s): {', '.join(unknown)}; "
                              f"expected {', '.join(groups)}")
        values: dict[str, dict[str, Any]] = {}
        for group, section in data.items():
            if section is None:
                continue
            if not isinstance(section, Mapping):
                raise ConfigError(f"phenotype model section {group!r} must be a mapping of parameters")
            defaults = _defaults(group)
            for key, value in section.items():
                if key not in defaults:
                    raise ConfigError(f"unknown phenotype model parameter {group}.{key}; "
                                      f"known: {', '.join(sorted(defaults))}")
                values.setdefault(group, {})[key] = _coerce(f"{group}.{key}", value, defaults[key])
        ann = ModelParams(**values.pop(ANNOTATION, {}))
        return cls(annotation=ann, scorers=values)

    def with_overrides(self, items: Iterable[str]) -> PhenotypeModel:
        """Apply ``group.key=value`` strings (``--param``) on top of this model."""
        data = self.as_dict()
        for item in items:
            name, sep, value = item.partition("=")
            group, dot, key = name.strip().partition(".")
            if not sep or not dot or not key:
                raise ConfigError(f"--param {item!r}: expected GROUP.KEY=VALUE, e.g. lr.size_exponent=0.3")
            data.setdefault(group, {})[key] = value.strip()
        return PhenotypeModel.from_dict(data)

    def scorer_kwargs(self, name: str) -> dict[str, Any]:
        return dict(self.scorers.get(name, {}))

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The annotation parameters in full and the scorer values set explicitly."""
        return {ANNOTATION: self.annotation.as_dict(), **{k: dict(v) for k, v in self.scorers.items()}}

    def resolved(self) -> dict[str, dict[str, Any]]:
        """Every parameter of every scorer with the value in effect (for summaries)."""
        out = {ANNOTATION: self.annotation.as_dict()}
        for name in scorer_names():
            out[name] = {**scorer_defaults(name), **self.scorers.get(name, {})}
        return out


def model_from_config(path: str | None, overrides: Iterable[str] = ()) -> PhenotypeModel:
    """``phenotype.model`` of a workflow config file (None: code defaults) plus ``--param``s."""
    model = PhenotypeModel()
    if path:
        import yaml

        try:
            with open(path) as fh:
                data = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from None
        model = PhenotypeModel.from_dict(((data.get("phenotype") or {}).get("model")) or {})
    return model.with_overrides(overrides)


__all__ = ["CHOICES", "RANGES", "PhenotypeModel", "model_from_config", "scorer_defaults"]

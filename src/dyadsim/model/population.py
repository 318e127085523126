"""Heterogeneous baselines drawn from a population file.

The default file ``data/population.yaml`` holds the population rows of TARGETS.md with their
sources. A scenario may point to another file or override single fields. Every covariate is drawn
from its own named random stream indexed by dyad id, so dyad ``i`` has the same baseline whatever
the cohort size (common random numbers).

Population files and overrides are validated strictly before anything is drawn: every
distribution parameter is a finite number of the right type, each covariate may only use the
distributions that make sense for it (yes/no covariates are Bernoulli, so flags are 0 or 1), and
every value a distribution can produce lies in the covariate's allowed range
(:data:`VALUE_RANGES`), so everything that reaches the engine is finite and in range.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dyadsim.core import rng
from dyadsim.core.errors import InputError, format_validation_error
from dyadsim.model.modules.individual import RANDOM_EFFECTS
from dyadsim.core.registry import Final
from dyadsim.model.forms import logistic
from dyadsim.model.states import MOUD_TYPES, S
from dyadsim.core.yamlsafe import load_yaml


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    source: str = Field(min_length=1, max_length=2000)


class Bernoulli(_Dist):
    """A yes/no covariate with probability ``p``."""

    dist: Literal["bernoulli"]
    p: float = Field(ge=0, le=1)


class Normal(_Dist):
    """A normal covariate truncated (clipped) to ``[min, max]``, optionally rounded."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0, le=1000)
    min: float
    max: float
    round: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> "Normal":
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class LogitNormal(_Dist):
    """A 0-1 level whose logit is normal(mean, sd)."""

    dist: Literal["logitnormal"]
    mean: float = Field(ge=-20, le=20)
    sd: float = Field(ge=0, le=10)


class Uniform(_Dist):
    """Uniform on ``[min, max]``, optionally rounded."""

    dist: Literal["uniform"]
    min: float
    max: float
    round: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> "Uniform":
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Categorical(_Dist):
    """Integer codes with probabilities that sum to 1."""

    dist: Literal["categorical"]
    probs: dict[int, float] = Field(min_length=1, max_length=16)

    @model_validator(mode="after")
    def _sum(self) -> "Categorical":
        if any(not 0 <= v <= 1 for v in self.probs.values()) or abs(sum(self.probs.values()) - 1.0) > 1e-6:
            raise ValueError(f"probabilities must be >= 0 and sum to 1 (they sum to {sum(self.probs.values())})")
        return self


Dist = Annotated[Union[Bernoulli, Normal, LogitNormal, Uniform, Categorical], Field(discriminator="dist")]

REQUIRED = ("aces", "depression_dx", "anxiety_dx", "other_sud", "tobacco", "moud_type", "moud_start_week",
            "support", "housing_unstable", "low_income", "prior_cps", "first_pregnancy", "network_use", "enrol_week",
            "term_week")

FLAGS = ("depression_dx", "anxiety_dx", "other_sud", "tobacco", "housing_unstable", "low_income", "prior_cps",
         "first_pregnancy", "network_use")
"""Yes/no covariates: drawn as Bernoulli, so every value is 0 or 1."""

VALUE_RANGES: dict[str, tuple[float, float, tuple[str, ...]]] = {
    "aces": (0.0, 10.0, ("normal", "uniform")),
    "support": (0.0, 1.0, ("logitnormal", "normal", "uniform")),
    "moud_start_week": (0.0, 42.0, ("normal", "uniform")),
    "enrol_week": (4.0, 40.0, ("normal", "uniform")),
    "term_week": (24.0, 44.0, ("normal", "uniform")),
}
"""Allowed values (min, max) and distributions of the other covariates: ACE score 0-10; support
level 0-1; MOUD start between conception and week 42 of gestation; enrolment once pregnancy is
known (week 4) and before week 40; term birth between weeks 24 and 44."""
MOUD_CODES = (0, 1, 2)
"""``moud_type`` codes: 0 none, 1 methadone, 2 buprenorphine (categorical)."""


class PopulationSpec(BaseModel):
    """The covariate distributions of a cohort."""

    model_config = ConfigDict(extra="forbid", strict=True)
    covariates: dict[str, Dist]

    @model_validator(mode="after")
    def _complete(self) -> "PopulationSpec":
        unknown = sorted(set(self.covariates) - set(REQUIRED))
        if unknown:
            raise ValueError(f"unknown covariates {unknown}; allowed: {list(REQUIRED)}")
        missing = [k for k in REQUIRED if k not in self.covariates]
        if missing:
            raise ValueError(f"missing covariates {missing}")
        return self


def default_spec_dict() -> dict[str, Any]:
    """The default population file as a dict."""
    text = resources.files("dyadsim").joinpath("data/population.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def check_ranges(spec: PopulationSpec, where: str) -> None:
    """Each covariate uses an allowed distribution whose values lie in its allowed range.

    Raises:
        InputError: naming the covariate, its field and what is allowed.
    """
    for name, dist in spec.covariates.items():
        field = f"population.covariates.{name}"
        if name in FLAGS:
            if not isinstance(dist, Bernoulli):
                raise InputError(where, f"{field}.dist", "a yes/no covariate must be 'bernoulli' with p in [0, 1]")
            continue
        if name == "moud_type":
            if not isinstance(dist, Categorical) or not set(dist.probs) <= set(MOUD_CODES):
                raise InputError(where, f"{field}.probs", "moud_type must be categorical with codes 0 (none), "
                                 "1 (methadone), 2 (buprenorphine)")
            continue
        lo, hi, dists = VALUE_RANGES[name]
        if dist.dist not in dists:
            raise InputError(where, f"{field}.dist", f"must be one of {list(dists)}")
        for fld in ("min", "max"):
            v = getattr(dist, fld, None)
            if v is not None and not lo <= v <= hi:
                raise InputError(where, f"{field}.{fld}", f"must be within [{lo:g}, {hi:g}], got {v:g}")
    enrol_max = getattr(spec.covariates["enrol_week"], "max")
    term_min = getattr(spec.covariates["term_week"], "min")
    if enrol_max >= term_min:
        raise InputError(where, "population.covariates.enrol_week.max",
                         f"impossible timeline: enrolment up to week {enrol_max:g} but birth at term from week "
                         f"{term_min:g}; enrolment must end before term births begin")


def load_spec(path: str | Path | None = None, overrides: dict[str, dict[str, Any]] | None = None,
              origin: str = "population", data: Any = None) -> PopulationSpec:
    """Load a population file (default if None) and apply field overrides.

    Args:
        path: population file (the packaged default if None).
        overrides: per-covariate fields replacing those of the file.
        origin: where the overrides come from (for messages).
        data: the file's contents when already read (``path`` then only names it).

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    if path is None:
        where = "dyadsim/data/population.yaml"
        if data is None:
            data = default_spec_dict()
    else:
        where = str(path)
        if data is None:
            data = load_yaml(path, "population file")
    if not isinstance(data, dict):
        raise InputError(where, "(file)", "a population file must be a mapping with key 'covariates'")
    base = _validate(data, where)
    if not overrides:
        return base
    if not isinstance(overrides, dict):
        raise InputError(origin, "population.overrides", "must be a mapping of covariate names to fields")
    where = f"{where} with overrides from {origin}"
    covs = dict(data["covariates"])
    for name, fields in overrides.items():
        if name not in covs:
            raise InputError(origin, f"population.overrides.{name}", f"unknown covariate; allowed: {list(REQUIRED)}")
        if not isinstance(fields, dict) or not fields or not all(isinstance(k, str) for k in fields):
            raise InputError(origin, f"population.overrides.{name}",
                             "must be a non-empty mapping of fields, e.g. {p: 0.5}")
        merged = dict(covs[name])
        if "dist" in fields and fields["dist"] != merged.get("dist"):
            merged = {"source": merged.get("source", "scenario override")}
        merged.update(fields)
        merged.setdefault("source", "scenario override")
        covs[name] = merged
    try:
        return _validate({**data, "covariates": covs}, where)
    except InputError as exc:
        parts = exc.field.split(".")
        if len(parts) >= 3 and parts[:2] == ["population", "covariates"] and parts[2] in overrides:
            field = ".".join(["population", "overrides", *parts[2:]])
            raise InputError(origin, field, f"{exc.allowed} (overriding {where.split(' with ')[0]})") from None
        raise


def _validate(data: dict[str, Any], where: str) -> PopulationSpec:
    try:
        spec = PopulationSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(where, *format_validation_error(exc, prefix="population")) from None
    except RecursionError:
        raise InputError(where, "(file)", "refused: too deeply nested") from None
    check_ranges(spec, where)
    return spec


def _draw(dist: Any, seed: int, name: str, ids: np.ndarray) -> np.ndarray:
    stream = f"population.{name}"
    if isinstance(dist, Bernoulli):
        return 1.0 * (rng.uniforms(seed, stream, ids) < dist.p)
    if isinstance(dist, Normal):
        x = np.clip(dist.mean + dist.sd * rng.normals(seed, stream, ids), dist.min, dist.max)
        return np.round(x) if dist.round else x
    if isinstance(dist, LogitNormal):
        return logistic(dist.mean + dist.sd * rng.normals(seed, stream, ids))
    if isinstance(dist, Uniform):
        x = dist.min + (dist.max - dist.min) * rng.uniforms(seed, stream, ids)
        return np.round(x) if dist.round else x
    codes = np.array(sorted(dist.probs), dtype=np.float64)
    cum = np.cumsum([dist.probs[int(c)] for c in codes])
    idx = np.searchsorted(cum, rng.uniforms(seed, stream, ids), side="right")
    return codes[np.minimum(idx, len(codes) - 1)]


def draw_baseline(spec: PopulationSpec, seed: int, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Draw every covariate for the given dyad ids; returns arrays keyed by covariate name."""
    out = {name: _draw(dist, seed, name, ids) for name, dist in spec.covariates.items()}
    out["moud_start_week"] = np.where(out["moud_type"] > 0, out["moud_start_week"], -1.0)
    for name in RANDOM_EFFECTS:  # latent individual differences: standard normal, own stream each
        out[f"re_{name}"] = rng.normals(seed, f"individual.{name}", ids)
    return out


def baseline_states(cov: dict[str, np.ndarray], n_states: int) -> np.ndarray:
    """A (n_states, n) matrix with the baseline rows filled from drawn covariates."""
    n = len(next(iter(cov.values())))
    s = np.zeros((n_states, n), dtype=np.float64)
    for name in REQUIRED:
        if name not in ("enrol_week", "term_week"):  # stored as gestational days below
            s[getattr(S, name)] = cov[name]
    for name in RANDOM_EFFECTS:
        s[getattr(S, f"re_{name}")] = cov[f"re_{name}"]
    s[S.enrol_gest_day] = np.floor(cov["enrol_week"] * 7.0)
    s[S.term_gest_day] = np.floor(cov["term_week"] * 7.0)
    return s


FINAL = (
    Final("aces", "aces", "count", doc="adverse childhood experiences (0-8)"),
    *(Final(k, k, "flag", doc="flag drawn at enrolment (see docs/model.md, States)") for k in ("depression_dx", "anxiety_dx", "other_sud", "tobacco")),
    Final("support", "support", doc="social support (0-1)"),
    *(Final(k, k, "flag", doc="flag drawn at enrolment (see docs/model.md, States)") for k in ("housing_unstable", "low_income", "prior_cps", "first_pregnancy")),
    Final("moud_type", "moud_type", "category", categories=MOUD_TYPES, doc="MOUD in pregnancy at enrolment"),
    Final("moud_start_week", "moud_start_week", "day", doc="gestational week MOUD started, NaN if none"),
    Final("enrol_week", "enrol_gest_day", divide_by=7.0, doc="gestational week at enrolment"),
    Final("network_use", "network_use", "flag", doc="family or friends in her network still use opioids"),
    *(Final(f"re_{name}", f"re_{name}", doc=f"random effect on {name} (z)") for name in RANDOM_EFFECTS),
)
"""Baseline columns of the outcomes table: the draws at enrolment (see :class:`dyadsim.core.registry.Final`)."""

"""Heterogeneous baselines drawn from a population file.

The default file ``data/population.yaml`` holds the population rows of TARGETS.md with their
sources. A scenario may point to another file or override single fields. Every covariate is drawn
from its own named random stream indexed by dyad id, so dyad ``i`` has the same baseline whatever
the cohort size (common random numbers).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import rng
from .errors import InputError, format_validation_error
from .modules.individual import RANDOM_EFFECTS
from .states import S


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=1)


class Bernoulli(_Dist):
    """A yes/no covariate with probability ``p``."""

    dist: Literal["bernoulli"]
    p: float = Field(ge=0, le=1)


class Normal(_Dist):
    """A normal covariate truncated (clipped) to ``[min, max]``, optionally rounded."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
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
    mean: float
    sd: float = Field(ge=0)


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
    probs: dict[int, float]

    @model_validator(mode="after")
    def _sum(self) -> "Categorical":
        if any(v < 0 for v in self.probs.values()) or abs(sum(self.probs.values()) - 1.0) > 1e-6:
            raise ValueError(f"probabilities must be >= 0 and sum to 1 (they sum to {sum(self.probs.values())})")
        return self


Dist = Annotated[Union[Bernoulli, Normal, LogitNormal, Uniform, Categorical], Field(discriminator="dist")]

REQUIRED = ("aces", "depression_dx", "anxiety_dx", "other_sud", "tobacco", "moud_type", "moud_start_week",
            "support", "housing_unstable", "low_income", "prior_cps", "first_pregnancy", "network_use", "enrol_week", "term_week")


class PopulationSpec(BaseModel):
    """The covariate distributions of a cohort."""

    model_config = ConfigDict(extra="forbid")
    covariates: dict[str, Dist]

    @model_validator(mode="after")
    def _complete(self) -> "PopulationSpec":
        unknown = sorted(set(self.covariates) - set(REQUIRED))
        if unknown:
            raise ValueError(f"unknown covariates {unknown}; allowed: {list(REQUIRED)}")
        missing = [k for k in REQUIRED if k not in self.covariates]
        if missing:
            raise ValueError(f"missing covariates {missing}")
        enrol, term = self.covariates["enrol_week"], self.covariates["term_week"]
        enrol_max = getattr(enrol, "max", None)
        term_min = getattr(term, "min", None)
        if enrol_max is None or term_min is None:
            raise ValueError("enrol_week and term_week must be bounded (uniform or normal with min/max)")
        if enrol_max >= term_min:
            raise ValueError(f"impossible timeline: enrolment up to week {enrol_max} but birth at term from week "
                             f"{term_min}; enrolment must end before term births begin")
        if getattr(enrol, "min", 0) < 4:
            raise ValueError("enrol_week must be at least 4 (pregnancy must be known)")
        mt = self.covariates["moud_type"]
        if not isinstance(mt, Categorical) or not set(mt.probs) <= {0, 1, 2}:
            raise ValueError("moud_type must be categorical with codes 0 (none), 1 (methadone), 2 (buprenorphine)")
        return self


def default_spec_dict() -> dict[str, Any]:
    """The default population file as a dict."""
    text = resources.files("dyadsim").joinpath("data/population.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load_spec(path: str | Path | None = None, overrides: dict[str, dict[str, Any]] | None = None,
              origin: str = "population") -> PopulationSpec:
    """Load a population file (default if None) and apply field overrides.

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    if path is None:
        data, where = default_spec_dict(), "dyadsim/data/population.yaml"
    else:
        where = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(where, "population.file", "the population file does not exist") from None
        except yaml.YAMLError as exc:
            raise InputError(where, "(file)", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(where, "(file)", "a population file must be a mapping with key 'covariates'")
    if overrides:
        where = f"{where} with overrides from {origin}"
        covs = dict(data.get("covariates", {}))
        for name, fields in overrides.items():
            if name not in covs:
                raise InputError(origin, f"population.overrides.{name}", f"unknown covariate; allowed: {list(REQUIRED)}")
            if not isinstance(fields, dict):
                raise InputError(origin, f"population.overrides.{name}", "must be a mapping of fields, e.g. {p: 0.5}")
            merged = dict(covs[name])
            if "dist" in fields and fields["dist"] != merged.get("dist"):
                merged = {"source": merged.get("source", "scenario override")}
            merged.update(fields)
            merged.setdefault("source", "scenario override")
            covs[name] = merged
        data = {**data, "covariates": covs}
    try:
        return PopulationSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(where, *format_validation_error(exc, prefix="population")) from None


def _draw(dist: Any, seed: int, name: str, ids: np.ndarray) -> np.ndarray:
    stream = f"population.{name}"
    if isinstance(dist, Bernoulli):
        return 1.0 * (rng.uniforms(seed, stream, ids) < dist.p)
    if isinstance(dist, Normal):
        x = np.clip(dist.mean + dist.sd * rng.normals(seed, stream, ids), dist.min, dist.max)
        return np.round(x) if dist.round else x
    if isinstance(dist, LogitNormal):
        return 1.0 / (1.0 + np.exp(-(dist.mean + dist.sd * rng.normals(seed, stream, ids))))
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
    for name in ("aces", "depression_dx", "anxiety_dx", "other_sud", "tobacco", "moud_type", "moud_start_week",
                 "support", "housing_unstable", "low_income", "prior_cps", "first_pregnancy", "network_use"):
        s[getattr(S, name)] = cov[name]
    for name in RANDOM_EFFECTS:
        s[getattr(S, f"re_{name}")] = cov[f"re_{name}"]
    s[S.enrol_gest_day] = np.floor(cov["enrol_week"] * 7.0)
    s[S.term_gest_day] = np.floor(cov["term_week"] * 7.0)
    return s

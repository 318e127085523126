"""Scenario files: validated YAML (loaded with ``yaml.safe_load``, so no code runs from a file).

A scenario names a cohort (dyads, seed, replicates, follow-up), a population (file and
overrides), the care setting, parameter values by dotted name, edge strengths or switches, and
output options. Unknown keys, wrong types, out-of-range values and impossible timelines are
errors that name the file, the field and what is allowed.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .engine.layout import DAYS_PER_MONTH
from .errors import InputError, format_validation_error
from .params import ParamSet
from .population import PopulationSpec, load_spec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class Cohort(_Strict):
    """Who is simulated and for how long."""

    dyads: int = Field(2000, ge=1, le=10_000_000, description="dyads per replicate")
    seed: int = Field(20261120, ge=0, lt=2**63, description="base seed; replicate r uses seed + r")
    replicates: int = Field(5, ge=1, le=1000, description="independent cohorts (seeds) for 95% intervals")
    horizon_months: int = Field(12, ge=12, le=36, description="follow-up after birth, months")


class PopulationConfig(_Strict):
    """The population file (default: the packaged one) and per-covariate overrides."""

    file: str | None = None
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Care(_Strict):
    """Care system settings."""

    nows_setting: Literal["nicu", "rooming_in"] = "nicu"
    stigma: float = Field(0.5, ge=0.0, le=1.0)


class LinkConfig(_Strict):
    """Change one edge of the mechanism graph."""

    strength: float | None = Field(None, ge=0.0)
    enabled: bool | None = None


class Output(_Strict):
    """What to keep besides the per-dyad table."""

    trajectory_sample: int = Field(100, ge=0, le=100_000, description="dyads with full daily trajectories")


class EngineConfig(_Strict):
    """How to run (does not change results)."""

    kind: Literal["numba", "numpy"] = "numba"
    threads: int = Field(0, ge=0, le=1024)
    block_size: int = Field(2048, ge=1, le=1_000_000)


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    cohort: Cohort = Field(default_factory=Cohort)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    care: Care = Field(default_factory=Care)
    parameters: dict[str, float | bool] = Field(default_factory=dict)
    links: dict[str, LinkConfig] = Field(default_factory=dict)
    output: Output = Field(default_factory=Output)
    engine: EngineConfig = Field(default_factory=EngineConfig)

    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the validated scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def scenario_params(scn: Scenario, origin: str = "scenario") -> ParamSet:
    """The parameter set a scenario asks for.

    Raises:
        InputError: an unknown or out-of-range parameter or edge.
    """
    ps = ParamSet()
    ps.set("nows.rooming_in", 1.0 if scn.care.nows_setting == "rooming_in" else 0.0)
    ps.set("context.stigma", scn.care.stigma)
    ps.set("pregnancy.horizon_days", float(round(scn.cohort.horizon_months * DAYS_PER_MONTH)))
    for name, value in scn.parameters.items():
        if name.startswith("links."):
            raise InputError(origin, f"parameters.{name}", "set edges under 'links:' (links: {edge: {strength: x}})")
        try:
            ps.set(name, value)
        except KeyError:
            raise InputError(origin, f"parameters.{name}",
                             "unknown parameter; run 'dyadsim params' for the list of names") from None
        except ValueError as exc:
            raise InputError(origin, f"parameters.{name}", str(exc)) from None
    for edge, cfg in scn.links.items():
        for fld in ("strength", "enabled"):
            value = getattr(cfg, fld)
            if value is None:
                continue
            try:
                ps.set(f"links.{edge}.{fld}", value)
            except KeyError:
                raise InputError(origin, f"links.{edge}",
                                 "unknown edge; run 'dyadsim graph --json' for the edge ids") from None
            except ValueError as exc:
                raise InputError(origin, f"links.{edge}.{fld}", str(exc)) from None
    return ps


def scenario_population(scn: Scenario, origin: str = "scenario", base_dir: Path | None = None) -> PopulationSpec:
    """The population spec of a scenario (file relative to the scenario's folder)."""
    path = None
    if scn.population.file:
        path = Path(scn.population.file)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
    return load_spec(path, scn.population.overrides, origin=origin)


def parse_scenario(data: Any, origin: str = "scenario") -> Scenario:
    """Validate a scenario mapping (already parsed YAML)."""
    if not isinstance(data, dict):
        raise InputError(origin, "(file)", "a scenario must be a YAML mapping with at least 'name'")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(origin, *format_validation_error(exc)) from None


def load_scenario(path: str | Path) -> tuple[Scenario, ParamSet, PopulationSpec]:
    """Read, validate and resolve a scenario file: (scenario, parameters, population).

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    path = Path(path)
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(origin, "(file)", "the scenario file does not exist") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(origin, "(file)", f"not valid YAML (plain data only; tags that run code are refused): {exc}") from None
    scn = parse_scenario(data, origin)
    return scn, scenario_params(scn, origin), scenario_population(scn, origin, path.parent)

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
from .population import PopulationSpec, default_spec_dict, load_spec


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

    kind: Literal["numba", "numba_fast", "numba_dyad", "numpy"] = "numba"
    threads: int = Field(0, ge=0, le=1024)
    block_size: int = Field(2048, ge=1, le=1_000_000)


class Start(_Strict):
    """When a group programme starts: a gestational week (pregnancy) or a postpartum week."""

    phase: Literal["pregnancy", "postpartum"] = "pregnancy"
    week: float = Field(20.0, ge=0.0, le=52.0)


class Programme(_Strict):
    """Delivery of a weekly group programme."""

    start: Start = Field(default_factory=Start)
    sessions: int = Field(8, ge=0, le=30)
    attendance: float = Field(0.8, ge=0.0, le=1.0, description="probability of attending a session, no barriers")
    practice: float | None = Field(None, ge=0.0, le=1.0, description="daily home practice during the programme")
    practice_after: float | None = Field(None, ge=0.0, le=1.0, description="daily home practice afterwards")


class More(Programme):
    """MORE: any combination of its three components."""

    components: list[Literal["mindfulness", "reappraisal", "savoring"]] = Field(
        default_factory=lambda: ["mindfulness", "reappraisal", "savoring"])


class MoudPolicy(_Strict):
    """MOUD policies (type and start timing change the population; the rest act on retention)."""

    type: Literal["as_population", "methadone", "buprenorphine"] = "as_population"
    start: Literal["as_population", "early", "late"] = "as_population"
    postpartum_support: bool = False
    nicu_dosing: bool = False


class Supports(_Strict):
    """System supports from seeds 003 and 004 (rooming-in is care.nows_setting)."""

    peer_support: bool = False
    home_visiting: bool = False
    transitional_housing: bool = False
    provider_training: bool = False
    mental_health_screening: bool = False
    keep_together: bool = False


class Interventions(_Strict):
    """Interventions switched on in a scenario (absent: usual care)."""

    more: More | None = None
    supportive_group: Programme | None = None
    mindful_parenting: Programme | None = None
    attachment_parenting: Programme | None = None
    moud: MoudPolicy = Field(default_factory=MoudPolicy)
    supports: Supports = Field(default_factory=Supports)


_PROGRAMME_KEYS = {"more": "more", "supportive_group": "sg", "mindful_parenting": "mbp", "attachment_parenting": "abc"}
_SUPPORT_FLAGS = {"peer_support": "peer_support", "home_visiting": "home_visiting",
                  "transitional_housing": "transitional_housing", "provider_training": "provider_training",
                  "mental_health_screening": "mh_screening", "keep_together": "keep_together"}
# MOUD start timing policies, as gestational-week ranges of the start (assumed).
MOUD_START_WEEKS = {"early": (6.0, 14.0), "late": (24.0, 32.0)}


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    cohort: Cohort = Field(default_factory=Cohort)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    care: Care = Field(default_factory=Care)
    interventions: Interventions = Field(default_factory=Interventions)
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
    _set_interventions(ps, scn.interventions, origin)
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


def _set_interventions(ps: ParamSet, iv: Interventions, origin: str) -> None:
    for key, g in _PROGRAMME_KEYS.items():
        cfg: Programme | None = getattr(iv, key)
        if cfg is None:
            continue
        if cfg.start.phase == "pregnancy" and cfg.start.week >= 40:
            raise InputError(origin, f"interventions.{key}.start.week",
                             "a pregnancy start must be before gestational week 40 (use phase: postpartum)")
        ps.set(f"programs.{g}_on", 1.0)
        ps.set(f"programs.{g}_start_postpartum", 1.0 if cfg.start.phase == "postpartum" else 0.0)
        ps.set(f"programs.{g}_start_week", cfg.start.week)
        ps.set(f"programs.{g}_sessions", float(cfg.sessions))
        ps.set(f"programs.{g}_attendance", cfg.attendance)
        if cfg.practice is not None:
            ps.set(f"programs.{g}_practice", cfg.practice)
        if cfg.practice_after is not None:
            ps.set(f"programs.{g}_practice_after", cfg.practice_after)
    if iv.more is not None:
        for comp in ("mindfulness", "reappraisal", "savoring"):
            ps.set(f"programs.more_{comp}", 1.0 if comp in iv.more.components else 0.0)
    ps.set("supports.moud_pp_support", 1.0 if iv.moud.postpartum_support else 0.0)
    ps.set("supports.nicu_dosing", 1.0 if iv.moud.nicu_dosing else 0.0)
    for key, name in _SUPPORT_FLAGS.items():
        ps.set(f"supports.{name}", 1.0 if getattr(iv.supports, key) else 0.0)


def _moud_overrides(scn: Scenario, base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Population overrides implied by the MOUD type and start policies."""
    out: dict[str, dict[str, Any]] = {}
    pol = scn.interventions.moud
    covs = base.get("covariates", {})
    if pol.type != "as_population":
        probs = covs.get("moud_type", {}).get("probs", {0: 0.25, 1: 0.40, 2: 0.35})
        none = float(probs.get(0, probs.get("0", 0.0)))
        code = 1 if pol.type == "methadone" else 2
        out["moud_type"] = {"dist": "categorical", "probs": {0: none, code: 1.0 - none},
                            "source": f"scenario MOUD policy: {pol.type}"}
    if pol.start != "as_population":
        lo, hi = MOUD_START_WEEKS[pol.start]
        out["moud_start_week"] = {"dist": "uniform", "min": lo, "max": hi, "round": True,
                                  "source": f"scenario MOUD policy: {pol.start} start (assumed weeks {lo:g}-{hi:g})"}
    return out


def scenario_population(scn: Scenario, origin: str = "scenario", base_dir: Path | None = None) -> PopulationSpec:
    """The population spec of a scenario (file relative to the scenario's folder), with the
    overrides of the scenario and of its MOUD policy."""
    path = None
    if scn.population.file:
        path = Path(scn.population.file)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
    base = default_spec_dict() if path is None else (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {})
    overrides = {**_moud_overrides(scn, base or {}), **scn.population.overrides}
    return load_spec(path, overrides, origin=origin)


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

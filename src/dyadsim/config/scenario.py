"""Scenario files: validated YAML (read by :mod:`dyadsim.core.yamlsafe`, so no code runs from a file).

A scenario names a cohort (dyads, seed, replicates, follow-up), a population (file and
overrides), the care setting, parameter values by dotted name, edge strengths or switches, and
output options. Unknown keys, wrong types, out-of-range values and impossible timelines are
errors that name the file, the field and what is allowed. Validation is strict: a string such as
``"20"`` or a boolean is never taken for a number, and NaN or infinite values are refused.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dyadsim.core.units import DAYS_PER_MONTH
from dyadsim.engine.kinds import Engine
from dyadsim.core.errors import InputError, format_validation_error
from dyadsim.model.graph import EDGE_IDS
from dyadsim.model.params import ParamSet
from dyadsim.model.programmes import FIELDS, PROGRAMMES
from dyadsim.model.population import PopulationSpec, default_spec_dict, load_spec
from dyadsim.core.registry import PARAMS
from dyadsim.core.yamlsafe import load_yaml

MAX_SEED = 2**63 - 1
"""Largest seed of any replicate (``seed + replicates - 1``): seeds are signed 64-bit integers."""
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _.+-]*$"
"""Allowed scenario names: letters, digits, space, ``_ . + -``; no path separators, markup or
control characters (names label tables, figures and the files of a comparison)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Cohort(_Strict):
    """Who is simulated and for how long."""

    dyads: int = Field(2000, ge=1, le=10_000_000, description="dyads per replicate")
    seed: int = Field(20261120, ge=0, lt=2**63, description="base seed; replicate r uses seed + r")
    replicates: int = Field(5, ge=1, le=1000, description="independent cohorts (seeds) for 95% intervals")
    horizon_months: int = Field(12, ge=12, le=36, description="follow-up after birth, months")

    @model_validator(mode="after")
    def _seed_range(self) -> "Cohort":
        if self.seed + self.replicates - 1 > MAX_SEED:
            raise ValueError(f"seed + replicates - 1 must be at most {MAX_SEED} (seeds are 64-bit integers)")
        return self


class PopulationConfig(_Strict):
    """The population file (default: the packaged one) and per-covariate overrides."""

    file: str | None = Field(None, min_length=1, max_length=4096)
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Care(_Strict):
    """Care system settings."""

    nows_setting: Literal["nicu", "rooming_in", "esc"] = "nicu"
    nows_drug: Literal["morphine", "methadone", "buprenorphine"] = "morphine"
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

    kind: Engine = "numba"
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


_PROGRAMME_KEYS = FIELDS
"""Scenario field -> programme key (:mod:`dyadsim.model.programmes`)."""


def _check_programme_fields() -> None:
    """Every declared programme has its field under ``interventions:``, and a programme with
    components lets a scenario choose exactly those (checked once, at import)."""
    missing = set(FIELDS) - set(Interventions.model_fields)
    if missing:
        raise TypeError(f"Interventions has no field for the programmes {sorted(missing)}")
    for g in PROGRAMMES:
        config = next(a for a in get_args(Interventions.model_fields[g.field].annotation) if a is not type(None))
        allowed = get_args(get_args(config.model_fields["components"].annotation)[0]) \
            if "components" in config.model_fields else ()
        if set(allowed) != set(g.components):
            raise TypeError(f"interventions.{g.field}.components allows {allowed}, the programme declares {g.components}")


_check_programme_fields()
_SUPPORT_FLAGS = {"peer_support": "peer_support", "home_visiting": "home_visiting",
                  "transitional_housing": "transitional_housing", "provider_training": "provider_training",
                  "mental_health_screening": "mh_screening", "keep_together": "keep_together"}
# MOUD start timing policies, as gestational-week ranges of the start (assumed).
MOUD_START_WEEKS = {"early": (6.0, 14.0), "late": (24.0, 32.0)}


def _shadowed() -> dict[str, str]:
    """Parameters that scenario fields set, mapped to those fields: ``parameters:`` may not set
    them, so every such value passes the field's own checks and outputs label it correctly."""
    out = {"nows.rooming_in": "care.nows_setting", "context.stigma": "care.stigma",
           "pregnancy.horizon_days": "cohort.horizon_months",
           "supports.moud_pp_support": "interventions.moud.postpartum_support",
           "supports.nicu_dosing": "interventions.moud.nicu_dosing"}
    for key, g in _PROGRAMME_KEYS.items():
        out[f"programs.{g}_on"] = f"interventions.{key}"
        out[f"programs.{g}_start_postpartum"] = f"interventions.{key}.start.phase"
        for fld in ("start_week", "sessions", "attendance", "practice", "practice_after"):
            out[f"programs.{g}_{fld}"] = f"interventions.{key}." + fld.replace("start_week", "start.week")
    for g in PROGRAMMES:
        for comp in g.components:
            out[f"programs.{g.key}_{comp}"] = f"interventions.{g.field}.components"
    for key, name in _SUPPORT_FLAGS.items():
        out[f"supports.{name}"] = f"interventions.supports.{key}"
    return {k: v for k, v in out.items() if k in PARAMS}


SHADOWED = _shadowed()


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN,
                      description="letters, digits, space and _ . + - (not a path)")
    description: str = Field("", max_length=10_000)
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
    ps.set("nows.esc", 1.0 if scn.care.nows_setting == "esc" else 0.0)
    ps.set("nows.infant_drug", float(("morphine", "methadone", "buprenorphine").index(scn.care.nows_drug)))
    ps.set("context.stigma", scn.care.stigma)
    ps.set("pregnancy.horizon_days", float(round(scn.cohort.horizon_months * DAYS_PER_MONTH)))
    _set_interventions(ps, scn.interventions, origin)
    for name, value in scn.parameters.items():
        if name.startswith("links."):
            raise InputError(origin, f"parameters.{name}", "set edges under 'links:' (links: {edge: {strength: x}})")
        if name in SHADOWED:
            raise InputError(origin, f"parameters.{name}",
                             f"set by the scenario field '{SHADOWED[name]}'; set it there instead")
        try:
            ps.set(name, value)
        except KeyError:
            raise InputError(origin, f"parameters.{name}",
                             "unknown parameter; run 'dyadsim params' for the list of names") from None
        except ValueError as exc:
            raise InputError(origin, f"parameters.{name}", str(exc)) from None
    for edge, cfg in scn.links.items():
        if edge not in EDGE_IDS:
            raise InputError(origin, f"links.{edge}", "unknown edge; run 'dyadsim graph --json' for the edge ids")
        if cfg.strength is None and cfg.enabled is None:
            raise InputError(origin, f"links.{edge}", "give 'strength' (a number) or 'enabled' (true or false)")
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
    for g in PROGRAMMES:
        chosen = getattr(iv, g.field)
        if chosen is not None and g.components:
            for comp in g.components:
                ps.set(f"programs.{g.key}_{comp}", 1.0 if comp in chosen.components else 0.0)
    ps.set("supports.moud_pp_support", 1.0 if iv.moud.postpartum_support else 0.0)
    ps.set("supports.nicu_dosing", 1.0 if iv.moud.nicu_dosing else 0.0)
    for key, name in _SUPPORT_FLAGS.items():
        ps.set(f"supports.{name}", 1.0 if getattr(iv.supports, key) else 0.0)


def _moud_overrides(scn: Scenario, base: PopulationSpec) -> dict[str, dict[str, Any]]:
    """Population overrides implied by the MOUD type and start policies."""
    out: dict[str, dict[str, Any]] = {}
    pol = scn.interventions.moud
    if pol.type != "as_population":
        probs = getattr(base.covariates["moud_type"], "probs", {})
        none = float(probs.get(0, 0.0))
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
    try:
        data = default_spec_dict() if path is None else load_yaml(path, "population file")
        base = load_spec(path, None, origin=origin, data=data)  # the file alone must be valid
    except InputError as exc:
        if exc.field != "(file)":
            raise
        raise InputError(origin, "population.file", f"{exc.file}: {exc.allowed}") from None
    overrides = {**_moud_overrides(scn, base), **scn.population.overrides}
    return load_spec(path, overrides, origin=origin, data=data)


def parse_scenario(data: Any, origin: str = "scenario") -> Scenario:
    """Validate a scenario mapping (already parsed YAML)."""
    if not isinstance(data, dict):
        raise InputError(origin, "(file)", "a scenario must be a YAML mapping with at least 'name'")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(origin, *format_validation_error(exc)) from None
    except RecursionError:
        raise InputError(origin, "(file)", "refused: too deeply nested") from None


_OPTION = {"dyads": "--dyads", "seed": "--seed", "replicates": "--replicates"}


def with_cohort(scn: Scenario, origin: str = "command line", **values: int | None) -> Scenario:
    """The scenario with cohort fields replaced (command-line options ``--dyads``, ``--seed``,
    ``--replicates``), checked against the same limits as the scenario file's own fields.

    Raises:
        InputError: naming the option and what is allowed.
    """
    given = {k: v for k, v in values.items() if v is not None}
    if not given:
        return scn
    try:
        cohort = Cohort.model_validate({**scn.cohort.model_dump(), **given})
    except ValidationError as exc:
        field, msg = format_validation_error(exc)
        option = _OPTION.get(field) or next(_OPTION[k] for k in ("seed", "replicates", "dyads") if k in given)
        raise InputError(origin, option, msg) from None
    return scn.model_copy(update={"cohort": cohort})


def load_scenario(path: str | Path) -> tuple[Scenario, ParamSet, PopulationSpec]:
    """Read, validate and resolve a scenario file: (scenario, parameters, population).

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    path = Path(path)
    origin = str(path)
    scn = parse_scenario(load_yaml(path, "scenario file"), origin)
    return scn, scenario_params(scn, origin), scenario_population(scn, origin, path.parent)

"""The scenario form: which fields of a scenario the page lets a user change, what each allows, and
the check of the result.

The fields are those of :class:`dyadsim.config.scenario.Scenario` (cohort, one group programme and
its dose, MOUD policy, care setting, postpartum supports); their allowed ranges and choices are read
from the scenario's own pydantic declarations, never written out again here, and the scenario the form
builds is checked by the same functions as a scenario file on the command line
(:func:`~dyadsim.config.scenario.parse_scenario`, :func:`~dyadsim.config.scenario.scenario_params`,
:func:`~dyadsim.config.scenario.scenario_population`), so a bad value is refused with the command
line's message (an :class:`~dyadsim.core.errors.InputError` naming the field and what is allowed).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from dyadsim.config import examples
from dyadsim.config.scenario import (Care, Cohort, More, MoudPolicy, Programme, Scenario, Start, Supports,
                                     parse_scenario, scenario_params, scenario_population)
from dyadsim.core.yamlsafe import parse_yaml
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.model.programmes import FIELDS as PROGRAMME_FIELDS
from dyadsim.model.programmes import PROGRAMMES

NO_PROGRAMME = "none"
"""The programme choice that leaves usual care (no group programme)."""
PROGRAMME_LABELS = {NO_PROGRAMME: "none (usual care)", **{g.field: g.label for g in PROGRAMMES}}
"""Choice -> label of the programme selector, from the programme declarations."""
_BY_FIELD = {g.field: g for g in PROGRAMMES}


@dataclass(frozen=True)
class Field:
    """One input of the form: its widget key (a dotted path; ``dose.*`` is the chosen programme's),
    the pydantic model and field it sets (for its allowed values), its label and its section."""

    key: str
    model: type[BaseModel]
    name: str
    label: str
    section: str

    @property
    def kind(self) -> str:
        """``int``, ``float``, ``bool``, ``choice`` (a Literal) or ``multi`` (a list of Literals)."""
        ann = self.model.model_fields[self.name].annotation
        if get_origin(ann) is Literal:
            return "choice"
        if get_origin(ann) is list:
            return "multi"
        args = [a for a in get_args(ann) if a is not type(None)] or [ann]
        return {int: "int", float: "float", bool: "bool"}[args[0]]

    def _limits(self) -> dict[str, float]:
        """The field's ``ge``/``gt``/``le``/``lt`` constraints, as pydantic declares them."""
        out: dict[str, float] = {}
        for m in self.model.model_fields[self.name].metadata:
            for attr in ("ge", "gt", "le", "lt"):
                if getattr(m, attr, None) is not None:
                    out[attr] = getattr(m, attr)
        return out

    def bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) the scenario allows (None: unbounded; a strict limit is given as it is)."""
        lim = self._limits()
        return lim.get("ge", lim.get("gt")), lim.get("le", lim.get("lt"))

    def choices(self) -> tuple[str, ...]:
        """The allowed values of a choice or of each item of a multiple choice."""
        ann = self.model.model_fields[self.name].annotation
        return tuple(get_args(get_args(ann)[0]) if get_origin(ann) is list else get_args(ann))

    def allowed(self) -> str:
        """What the field allows, in words (shown beside its input)."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices())
        if self.kind == "multi":
            return "any of " + ", ".join(self.choices())
        if self.kind == "bool":
            return "yes or no"
        lim = self._limits()
        num = (lambda v: f"{int(v)}") if self.kind == "int" else (lambda v: f"{v:g}")
        low = f"from {num(lim['ge'])}" if "ge" in lim else (f"above {num(lim['gt'])}" if "gt" in lim else "")
        high = f"to {num(lim['le'])}" if "le" in lim else (f"below {num(lim['lt'])}" if "lt" in lim else "")
        unit = "a whole number" if self.kind == "int" else "a number"
        return " ".join(x for x in (unit, low, high) if x)


FIELDS: tuple[Field, ...] = (
    Field("cohort.dyads", Cohort, "dyads", "Dyads per replicate", "Cohort"),
    Field("cohort.replicates", Cohort, "replicates", "Replicates (cohorts with their own seeds)", "Cohort"),
    Field("cohort.horizon_months", Cohort, "horizon_months", "Follow-up after birth (months)", "Cohort"),
    Field("cohort.seed", Cohort, "seed", "Base seed", "Cohort"),
    Field("dose.sessions", Programme, "sessions", "Sessions", "Programme"),
    Field("dose.attendance", Programme, "attendance", "Attendance (probability of attending a session)", "Programme"),
    Field("dose.practice", Programme, "practice", "Daily home practice during the programme (probability)", "Programme"),
    Field("dose.practice_after", Programme, "practice_after", "Daily home practice afterwards (probability)", "Programme"),
    Field("dose.start.phase", Start, "phase", "Start in", "Programme"),
    Field("dose.start.week", Start, "week", "Start week (gestational, or postpartum)", "Programme"),
    Field("dose.components", More, "components", "MORE components", "Programme"),
    Field("interventions.moud.type", MoudPolicy, "type", "MOUD medication", "MOUD policy"),
    Field("interventions.moud.start", MoudPolicy, "start", "MOUD start in pregnancy", "MOUD policy"),
    Field("interventions.moud.postpartum_support", MoudPolicy, "postpartum_support", "Postpartum MOUD support",
          "MOUD policy"),
    Field("interventions.moud.nicu_dosing", MoudPolicy, "nicu_dosing", "MOUD dosing on the NICU", "MOUD policy"),
    Field("care.nows_setting", Care, "nows_setting", "Care of neonatal opioid withdrawal", "Care setting"),
    Field("care.nows_drug", Care, "nows_drug", "Infant's medication for withdrawal", "Care setting"),
    Field("care.stigma", Care, "stigma", "Stigma in care (0-1)", "Care setting"),
    *(Field(f"interventions.supports.{name}", Supports, name, name.replace("_", " ").capitalize(),
            "Postpartum supports") for name in Supports.model_fields),
)
"""Every input of the form, in the order shown (the supports: every field of ``Supports``)."""
BY_KEY = {f.key: f for f in FIELDS}
SECTIONS = tuple(dict.fromkeys(f.section for f in FIELDS))
PROGRAMME_KEY = "programme"
"""Widget key of the programme choice (:data:`PROGRAMME_LABELS`)."""


def scenario_examples() -> list[str]:
    """The shipped examples that are scenarios (not trial files), for the starting point."""
    return [n for n in examples.names() if not examples.is_trial(n)]


def example_data(name: str) -> dict[str, Any]:
    """The parsed YAML of the shipped example ``name``."""
    return parse_yaml(examples.text(name), f"{name}.yaml")


def uploaded_data(text: str, filename: str) -> dict[str, Any]:
    """A scenario file given to the page: parsed as a scenario file is (safe YAML) and validated.

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    data = parse_yaml(text, filename)
    parse_scenario(data, filename)
    return data


def _get(data: dict[str, Any], path: str) -> Any:
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    cur = data
    for part in parents:
        if not isinstance(cur.get(part), dict):
            cur[part] = {}
        cur = cur[part]
    cur[last] = value


def programme_of(data: dict[str, Any]) -> str:
    """The group programme a scenario switches on (its field under ``interventions:``), or :data:`NO_PROGRAMME`."""
    on = [f for f in PROGRAMME_FIELDS if isinstance(_get(data, f"interventions.{f}"), dict)]
    return on[0] if on else NO_PROGRAMME


def _default(f: Field, programme: str) -> Any:
    """The value a field has when the scenario does not set it: the pydantic default, or for home
    practice the programme's declared delivery default (what the parameter set then uses)."""
    value = f.model.model_fields[f.name].get_default(call_default_factory=True)
    if value is None and f.key.startswith("dose.practice") and programme in _BY_FIELD:
        value = getattr(_BY_FIELD[programme], f.name)
    return value


def values_of(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values for a scenario mapping: every field of :data:`FIELDS` (what the scenario sets,
    else its default) and the programme choice."""
    programme = programme_of(data)
    out: dict[str, Any] = {PROGRAMME_KEY: programme}
    for f in FIELDS:
        path = f"interventions.{programme}.{f.key[5:]}" if f.key.startswith("dose.") else f.key
        value = _get(data, path)
        value = copy.deepcopy(value) if value is not None else _default(f, programme)
        # A whole number in a YAML file for a number field (week: 20) is shown as the number it is.
        out[f.key] = float(value) if f.kind == "float" and isinstance(value, int) and not isinstance(value, bool) \
            else value
    return out


def has_components(programme: str) -> bool:
    """Whether the programme choice lets a scenario choose its components (MORE's three)."""
    return programme in _BY_FIELD and bool(_BY_FIELD[programme].components)


def dose_values(base: dict[str, Any], programme: str) -> dict[str, Any]:
    """The dose fields (``dose.*``) the form shows when ``programme`` is chosen: ``base``'s own when it
    runs that programme, else the programme's defaults."""
    source = base if programme_of(base) == programme else (
        {"interventions": {programme: {}}} if programme != NO_PROGRAMME else {})
    return {k: v for k, v in values_of(source).items() if k.startswith("dose.")}


def scenario_data(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a scenario mapping) with the form's ``values`` written in: the chosen programme with its
    dose replaces any other, and a programme without components gets none."""
    data = copy.deepcopy(base)
    ivs = data.setdefault("interventions", {})
    if not isinstance(ivs, dict):
        ivs = data["interventions"] = {}
    for f in PROGRAMME_FIELDS:
        ivs.pop(f, None)
    programme = values.get(PROGRAMME_KEY, NO_PROGRAMME)
    for f in FIELDS:
        value = values.get(f.key)
        if f.key.startswith("dose."):
            if programme == NO_PROGRAMME or (f.name == "components" and not has_components(programme)):
                continue
            _put(data, f"interventions.{programme}.{f.key[5:]}", value)
        else:
            _put(data, f.key, value)
    if not ivs:
        data.pop("interventions")
    return data


@dataclass
class Checked:
    """A scenario the form built, checked as a scenario file is: the mapping, the validated scenario,
    its parameter set and its population."""

    data: dict[str, Any]
    scenario: Scenario
    params: ParamSet
    population: PopulationSpec


def check(data: dict[str, Any], origin: str) -> Checked:
    """Validate a scenario mapping with the command line's checks (``origin`` names it in messages).

    Raises:
        InputError: naming ``origin``, the field and what is allowed.
    """
    scn = parse_scenario(data, origin)
    return Checked(data, scn, scenario_params(scn, origin), scenario_population(scn, origin))

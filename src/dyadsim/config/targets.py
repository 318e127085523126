"""Calibration targets as data: published figures, how to simulate each, and how it was observed.

The package ships ``data/targets.yaml`` (every row of the project's table of published figures,
with its provenance); a user adds or replaces targets with a file of the same form
(:func:`load_targets`). Each target names:

* its provenance: ``source`` (citation), ``grade`` (``A``: read in the primary abstract; ``S``:
  secondary or recalled, checked against the paper where it could be), ``population`` (who was
  studied);
* its ``role``: ``fit`` (calibration uses it), ``validation`` (held out, shown apart), ``input``
  (a population input: checked against the baseline draws), ``context`` (a figure the model cannot
  simulate, kept with the reason);
* its ``design``: the scenarios to simulate (one, or two for a contrast), the follow-up, the cohort
  size, an optional subgroup, and the ``statistic`` computed from the runs (a name the analysis
  layer knows, :mod:`dyadsim.analysis.targets`);
* its ``observation`` model, the sampling distribution of the published figure: ``binomial``
  (proportion, from the study's ``n``), ``beta_binomial`` (with an over-dispersion ``rho``),
  ``poisson`` / ``gamma_poisson`` (a count per ``exposure``), ``lognormal`` (durations and stays:
  ``sd_log``), ``normal`` (effect sizes and means: ``se``, or a 95% CI), ``fisher_z`` (a
  correlation from ``n``), ``interval`` (a stated range: inside is a match) or ``threshold`` (a
  qualitative pattern: the statistic must exceed ``above`` and/or stay under ``below``);
* a model ``discrepancy`` (SD on the statistic's scale) where the study population or definition
  differs from the simulated one; [S] rows carry a larger one.

Sources: Vanni et al. 2011 (calibration and its reporting); Andrianakis et al. 2015 (history
matching); Eddy et al. 2012 (ISPOR-SMDM validation).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dyadsim.core.errors import InputError, format_validation_error
from dyadsim.core.yamlsafe import parse_yaml

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
PACKAGED = Path(__file__).resolve().parent.parent / "data" / "targets.yaml"
"""The targets file shipped in the package."""

ObservationModel = Literal["binomial", "beta_binomial", "poisson", "gamma_poisson", "lognormal", "normal",
                           "fisher_z", "interval", "threshold"]
NEEDS: dict[str, tuple[str, ...]] = {
    "binomial": ("n",), "beta_binomial": ("n", "rho"), "poisson": ("exposure",),
    "gamma_poisson": ("exposure", "shape"), "lognormal": ("sd_log",), "normal": ("se",), "fisher_z": ("n",),
    "interval": ("low", "high"), "threshold": (),
}
"""The fields each observation model needs (besides the figure itself)."""


class Observation(BaseModel):
    """How the published figure was observed (its sampling distribution)."""

    model_config = _STRICT
    model: ObservationModel
    n: int | None = Field(default=None, gt=0, le=10_000_000)
    rho: float | None = Field(default=None, gt=0.0, lt=1.0)
    exposure: float | None = Field(default=None, gt=0.0)
    shape: float | None = Field(default=None, gt=0.0)
    sd_log: float | None = Field(default=None, gt=0.0, le=5.0)
    se: float | None = Field(default=None, gt=0.0)
    low: float | None = None
    high: float | None = None
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Observation":
        missing = [k for k in NEEDS[self.model] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"the {self.model} model needs {', '.join(missing)}")
        if self.model == "interval" and not (self.low is not None and self.high is not None and self.low < self.high):
            raise ValueError("an interval needs low < high")
        if self.model == "threshold" and self.above is None and self.below is None:
            raise ValueError("a threshold needs above, below or both")
        return self


class Design(BaseModel):
    """What to simulate: the scenarios (shipped examples by name; a contrast takes two: the first
    minus the second, on the same dyads and random numbers), parameter values changed in each
    (``overrides``), the follow-up after birth, the cohort size, a subgroup, and the statistic."""

    model_config = _STRICT
    scenarios: list[str] = Field(min_length=1, max_length=2)
    statistic: str = Field(min_length=1, max_length=80)
    horizon_days: float = Field(default=366.0, ge=365.0, le=1096.0)
    dyads: int = Field(default=4000, ge=100, le=200_000)
    subgroup: Literal["all", "prior_cps", "moud_at_delivery", "methadone_at_delivery",
                      "buprenorphine_at_delivery"] = "all"
    overrides: list[dict[str, float | bool]] = Field(default_factory=list, max_length=2)

    @model_validator(mode="after")
    def _aligned(self) -> "Design":
        if self.overrides and len(self.overrides) != len(self.scenarios):
            raise ValueError("overrides, when given, has one mapping per scenario (empty for none)")
        return self


class Target(BaseModel):
    """One published figure with its provenance, design and observation model."""

    model_config = _STRICT
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,60}$")
    what: str = Field(min_length=3, max_length=300)
    figure: float | None = None
    unit: str = Field(default="", max_length=60)
    source: str = Field(min_length=3, max_length=400)
    grade: Literal["A", "S"]
    population: str = Field(min_length=3, max_length=300)
    role: Literal["fit", "validation", "input", "context"] = "fit"
    design: Design | None = None
    observation: Observation | None = None
    discrepancy: float = Field(default=0.0, ge=0.0)
    note: str = Field(default="", max_length=800)

    @model_validator(mode="after")
    def _consistent(self) -> "Target":
        if self.role == "context":
            if not self.note:
                raise ValueError("a context row says in 'note' why it is not simulated")
            return self
        if self.design is None or self.observation is None:
            raise ValueError(f"a {self.role} target needs a design and an observation model")
        if self.observation.model not in ("interval", "threshold") and self.figure is None:
            raise ValueError(f"the {self.observation.model} model needs the published figure")
        return self


class TargetsFile(BaseModel):
    """A targets file: ``targets:`` a list; ``replace: true`` drops the packaged ones."""

    model_config = _STRICT
    targets: list[Target] = Field(min_length=1, max_length=2000)
    replace: bool = False

    @model_validator(mode="after")
    def _unique(self) -> "TargetsFile":
        ids = [t.id for t in self.targets]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"target ids must be unique: {', '.join(dup)}")
        return self


def _parse(text: str, origin: str) -> TargetsFile:
    data: Any = parse_yaml(text, origin)
    if not isinstance(data, dict):
        raise InputError(origin, "(file)", "a targets file is a YAML mapping with a 'targets' list")
    rows = data.get("targets")
    if isinstance(rows, list):
        ids = [r.get("id") for r in rows if isinstance(r, dict) and isinstance(r.get("id"), str)]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise InputError(origin, "targets", f"target ids must be unique: {', '.join(dup)} given more than once")
    try:
        return TargetsFile.model_validate(data)
    except ValidationError as exc:
        field, msg = format_validation_error(exc)
        # Name the target by its id, not its position, where the id could be read.
        parts = field.split(".")
        if len(parts) >= 2 and parts[0] == "targets" and parts[1].isdigit():
            row = rows[int(parts[1])] if isinstance(rows, list) and int(parts[1]) < len(rows) else None
            if isinstance(row, dict) and isinstance(row.get("id"), str):
                field = ".".join(["targets", row["id"], *parts[2:]])
        raise InputError(origin, field, msg) from None
    except RecursionError:
        raise InputError(origin, "(file)", "refused: too deeply nested") from None


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The targets in use: the packaged ones, with a user's file added (a target with the same id
    replaces the packaged one) or, with ``replace: true`` in that file, instead of them.

    Raises:
        InputError: naming the file, the field (``targets.<id>.<field>``) and what is allowed.
    """
    packaged = _parse(PACKAGED.read_text(encoding="utf-8"), str(PACKAGED)).targets
    if path is None:
        return packaged
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(p), "(file)", f"cannot read the targets file: {exc.__class__.__name__}") from None
    user = _parse(text, str(p))
    if user.replace:
        return user.targets
    mine = {t.id: t for t in user.targets}
    return [mine.pop(t.id, t) for t in packaged] + list(mine.values())


def targets_hash(targets: list[Target]) -> str:
    """A short hash of the targets in use (to record with any fit made to them)."""
    blob = "\n".join(t.model_dump_json() for t in targets)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]

"""Cost and utility inputs: the shipped file ``dyadsim/data/economics.yaml`` or a user's (``--inputs``).

The file is validated with pydantic like a scenario file: an unknown field, a value out of range, a
cost whose year has no CPI entry or a range that does not hold its value end with one
:class:`~dyadsim.core.errors.InputError` naming the file, the field and what is allowed. Costs are
inflated to the file's ``price_year`` with its CPI table (``value x CPI[price_year] / CPI[year]``).

For the probabilistic analysis each input is drawn from its ``distribution``: gamma (costs),
beta (utilities), normal, lognormal with the mean at ``value`` and the standard deviation
``(high - low) / 3.92`` (the range read as a 95% interval); uniform on ``[low, high]`` (its value must be
the midpoint); or fixed. The draws' mean is the point value, so the base case and the expectation of
the probabilistic analysis agree.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dyadsim.core.errors import InputError, format_validation_error
from dyadsim.core.yamlsafe import load_yaml, parse_yaml
from dyadsim.economics.names import QUANTITIES

Distribution = Literal["gamma", "beta", "normal", "lognormal", "uniform", "fixed"]
PERSPECTIVES = ("payer", "societal")
"""What ``--perspective`` allows: the health-care payer, or society (payer costs plus child welfare,
productivity, time and out-of-pocket costs)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Uncertain(_Strict):
    """A value with its range, distribution and source."""

    value: float
    low: float
    high: float
    distribution: Distribution
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _range_holds_value(self) -> "_Uncertain":
        if not self.low <= self.value <= self.high:
            raise ValueError(f"low <= value <= high must hold, got {self.low} <= {self.value} <= {self.high}")
        if self.distribution == "uniform" and abs(self.value - (self.low + self.high) / 2) > 1e-9 * max(1.0, self.high):
            raise ValueError(f"a uniform input's value is the midpoint of low and high ({(self.low + self.high) / 2:g}), "
                             f"so that its draws average to it; got {self.value:g} (use gamma or beta for a skewed range)")
        if self.distribution == "fixed" and self.low != self.high:
            raise ValueError("a fixed input has low == high == value")
        if self.distribution in ("gamma", "lognormal") and self.value <= 0 and self.high > 0:
            raise ValueError(f"{self.distribution} needs value > 0 (use uniform or fixed for a zero)")
        return self

    def sd(self) -> float:
        """Standard deviation of the draws: the range read as a 95% interval."""
        return (self.high - self.low) / 3.92


class Cost(_Uncertain):
    """One unit cost: ``value`` in ``year`` dollars per unit of ``quantity`` (a name in
    :data:`dyadsim.economics.names.QUANTITIES`)."""

    value: float = Field(ge=0)
    low: float = Field(ge=0)
    high: float = Field(ge=0)
    year: int = Field(ge=1900, le=2100)
    unit: str = Field(min_length=1)
    quantity: str = Field(min_length=1)
    perspective: Literal["payer", "societal"]
    category: str = Field(min_length=1)


class Utility(_Uncertain):
    """A utility weight (0 = dead, 1 = full health) or a decrement per unit of a state."""

    value: float = Field(ge=0, le=1)
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)


class ProgrammeDelivery(_Strict):
    """How one group programme is delivered: hours a session, mothers a group, facilitators."""

    session_hours: float = Field(gt=0, le=8)
    group_size: int = Field(ge=1, le=50)
    facilitators: int = Field(ge=1, le=5)
    source: str = Field(min_length=1)


class TimeUse(_Strict):
    """The mother's time in care (societal perspective)."""

    travel_hours_per_session: float = Field(ge=0, le=8)
    methadone_visit_hours_week: float = Field(ge=0, le=40)
    buprenorphine_visit_hours_week: float = Field(ge=0, le=40)
    source: str = Field(min_length=1)


class Cpi(_Strict):
    series: str = Field(min_length=1)
    source: str = Field(min_length=1)
    index: dict[int, float] = Field(min_length=1)


class Discount(_Strict):
    rate: float = Field(ge=0, le=0.15)
    source: str = Field(min_length=1)


class LifeValue(_Strict):
    value: float = Field(ge=0, le=100)
    source: str = Field(min_length=1)


class Life(_Strict):
    mother_life_expectancy_years: LifeValue


UTILITY_NAMES = ("mother_use", "mother_moud", "mother_abstinent", "depression_decrement", "infant_healthy",
                 "infant_nows_stay")
"""The utility weights the accounting uses (each required in the file)."""
PROGRAMME_KEYS = ("more", "sg", "mbp", "abc")
"""The group programmes whose delivery the file describes (keys of :mod:`dyadsim.model.programmes`)."""


class EconomicInputs(_Strict):
    """The whole inputs file."""

    currency: str = Field(min_length=1, max_length=10)
    price_year: int = Field(ge=1900, le=2100)
    cpi: Cpi
    discount: Discount
    costs: dict[str, Cost] = Field(min_length=1)
    programmes: dict[Literal["more", "sg", "mbp", "abc"], ProgrammeDelivery]
    time: TimeUse
    utilities: dict[str, Utility]
    life: Life

    @model_validator(mode="after")
    def _complete(self) -> "EconomicInputs":
        if self.price_year not in self.cpi.index:
            raise ValueError(f"price_year {self.price_year} needs an entry in cpi.index")
        for name, c in self.costs.items():
            if c.year not in self.cpi.index:
                raise ValueError(f"costs.{name}.year {c.year} has no cpi.index entry (years listed: "
                                 f"{min(self.cpi.index)}-{max(self.cpi.index)})")
            if c.quantity not in QUANTITIES:
                raise ValueError(f"costs.{name}.quantity must be one of: {', '.join(QUANTITIES)}; got {c.quantity!r}")
        missing = [u for u in UTILITY_NAMES if u not in self.utilities]
        if missing:
            raise ValueError(f"utilities must give {', '.join(missing)}")
        extra = [u for u in self.utilities if u not in UTILITY_NAMES]
        if extra:
            raise ValueError(f"unknown utilities {', '.join(extra)}; allowed: {', '.join(UTILITY_NAMES)}")
        absent = [k for k in PROGRAMME_KEYS if k not in self.programmes]
        if absent:
            raise ValueError(f"programmes must describe {', '.join(absent)}")
        return self

    def inflator(self, year: int) -> float:
        """Factor taking ``year`` dollars to ``price_year`` dollars (CPI ratio)."""
        return self.cpi.index[self.price_year] / self.cpi.index[year]

    def cost_values(self) -> dict[str, float]:
        """Every unit cost at its point value, in ``price_year`` dollars."""
        return {n: c.value * self.inflator(c.year) for n, c in self.costs.items()}

    def utility_values(self) -> dict[str, float]:
        """Every utility at its point value."""
        return {n: u.value for n, u in self.utilities.items()}


def shipped_path() -> Path:
    """The inputs file shipped with the package."""
    return Path(str(resources.files("dyadsim") / "data" / "economics.yaml"))


def parse_inputs(data: object, origin: str) -> EconomicInputs:
    """Validate a parsed inputs mapping.

    Raises:
        InputError: naming ``origin``, the field and what is allowed.
    """
    if not isinstance(data, dict):
        raise InputError(origin, "(file)", "an economics inputs file must be a YAML mapping with currency, "
                         "price_year, cpi, discount, costs, programmes, time, utilities and life")
    try:
        return EconomicInputs.model_validate(data)
    except ValidationError as exc:
        raise InputError(origin, *format_validation_error(exc)) from None


def load_inputs(path: str | Path | None = None) -> EconomicInputs:
    """The inputs of ``path`` (a YAML file), or the shipped ones when ``path`` is None.

    Raises:
        InputError: a missing or malformed file, naming the file, the field and what is allowed.
    """
    if path is None:
        return parse_inputs(parse_yaml(shipped_path().read_text(encoding="utf-8"), "economics.yaml"),
                            "dyadsim/data/economics.yaml")
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "--inputs", "no such file; give a YAML file with the schema of "
                         "dyadsim/data/economics.yaml (print it with: dyadsim economics --show-inputs)")
    return parse_inputs(load_yaml(p, "economics inputs file"), str(p))


def _draw(item: _Uncertain, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of one input around its point value (see the module doc)."""
    mean, sd, d = item.value, item.sd(), item.distribution
    if d == "fixed" or sd == 0 or (d in ("gamma", "lognormal", "beta") and mean == 0):
        return np.full(n, mean)
    if d == "uniform":
        return rng.uniform(item.low, item.high, n)
    if d == "normal":
        return rng.normal(mean, sd, n)
    if d == "gamma":
        shape = (mean / sd) ** 2
        return rng.gamma(shape, mean / shape, n)
    if d == "lognormal":
        s2 = np.log1p((sd / mean) ** 2)
        return rng.lognormal(np.log(mean) - s2 / 2, np.sqrt(s2), n)
    # beta with the method of moments; a spread too wide for a beta is narrowed to the widest that fits
    var = min(sd**2, 0.99 * mean * (1 - mean)) if 0 < mean < 1 else 0.0
    if var == 0:
        return np.full(n, mean)
    k = mean * (1 - mean) / var - 1
    return rng.beta(mean * k, (1 - mean) * k, n)


def draw_inputs(inputs: EconomicInputs, n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``n`` joint draws of every unit cost (inflated to the price year) and utility, independent
    between inputs, reproducible for ``seed``: (costs name -> (n,), utilities name -> (n,))."""
    rng = np.random.default_rng([seed, 0xEC0])
    costs = {name: _draw(c, n, rng) * inputs.inflator(c.year) for name, c in inputs.costs.items()}
    utils = {name: np.clip(_draw(u, n, rng), 0.0, 1.0) for name, u in inputs.utilities.items()}
    return costs, utils

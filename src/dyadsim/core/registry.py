"""Declarations shared by every mechanism module: parameters, states and random streams.

Each module in :mod:`dyadsim.model.modules` declares, once, the parameters it reads (name, default,
unit, plausible range, source), the per-dyad states it owns (unit, bounds, initial value) and the
named random streams it draws from. Declaration returns a namedtuple of *global* indices, so module
code reads ``p[P.base_rate]`` or ``s[S.craving]``; Numba freezes these integers as constants when it
compiles the daily kernel, and plain NumPy reads the same integers.

The declarations are gathered here in import order (fixed by :mod:`dyadsim.model.modules`), which gives
the layout of the parameter vector, the state vector and the stream table.
"""
from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        name: short name inside its module (the dotted name is ``module.name``).
        default: default value, in ``unit``.
        unit: physical or scale unit (``1/day``, ``days``, ``logit``, ``log HR`` ...).
        low, high: plausible range, used by validation, calibration and sensitivity analysis.
        source: citation or seed section, or the word ``assumed``.
        doc: one line on what it does.
        prior: distribution for calibration and sensitivity analysis, one of :data:`PRIORS`;
            ``"auto"`` derives it (see :attr:`prior_dist`).
    """

    name: str
    default: float
    unit: str
    low: float
    high: float
    source: str
    doc: str = ""
    prior: str = "auto"

    def __post_init__(self) -> None:
        if self.prior not in PRIORS:
            raise ValueError(f"parameter {self.name!r}: prior {self.prior!r} is not one of {PRIORS}")

    @property
    def assumed(self) -> bool:
        """True when no published figure backs the value."""
        return self.source.strip().lower().startswith("assumed")

    @property
    def kind(self) -> str:
        """``setting`` (a scenario or intervention choice, not a mechanism to calibrate), ``switch``
        (an on/off flag), or ``mechanism``."""
        if self.source.strip().lower().startswith("scenario setting"):
            return "switch" if self.unit == "flag" else "setting"
        return "mechanism"

    @property
    def prior_dist(self) -> str:
        """The prior actually used: the declared one, or by rule when ``"auto"``.

        Rule: settings and switches are ``fixed`` (chosen by the user, never drawn); rates,
        hazards, time constants and other positive quantities spanning a factor of 4 or more
        (``low > 0``) are ``loguniform`` on [low, high] (scale matters, not difference);
        everything else is ``uniform`` on [low, high]. All priors are bounded by the plausible
        range, so a draw always passes validation.
        """
        if self.prior != "auto":
            return self.prior
        if self.kind != "mechanism":
            return "fixed"
        return derived_prior(self.low, self.high)

    @property
    def scale(self) -> str:
        """``log`` or ``linear``: the scale on which samplers and plots should place this parameter."""
        return "log" if self.prior_dist == "loguniform" else "linear"


PRIORS: tuple[str, ...] = ("auto", "uniform", "loguniform", "fixed")
"""Allowed prior families: bounded by each parameter's plausible range [low, high]."""


def derived_prior(low: float, high: float) -> str:
    """The prior family of a mechanism quantity with plausible range [low, high]: ``fixed`` for a
    point range (a definition), ``loguniform`` for a positive range spanning a factor of 4 or more
    (its scale matters, not its difference), else ``uniform``. Used for parameters and edges."""
    if low == high:
        return "fixed"
    if low > 0.0 and high / low >= 4.0:
        return "loguniform"
    return "uniform"


@dataclass(frozen=True)
class State:
    """One per-dyad state variable (stored as float64 in the engine's state vector).

    Attributes:
        name: short name (global names must be unique across modules).
        unit: unit or scale (``0-1``, ``events/day``, ``flag``, ``days``).
        low, high: bounds the state must stay within (tested by property tests).
        doc: what it represents.
    """

    name: str
    unit: str
    low: float
    high: float
    doc: str = ""


@dataclass(frozen=True)
class Stream:
    """A named stream of uniform random numbers for one kind of decision (common random numbers)."""

    name: str
    doc: str = ""


FinalKind = Literal["float", "flag", "count", "int", "day", "ever", "category"]


@dataclass(frozen=True)
class Final:
    """A column of the per-dyad outcomes table: a state's value at the end of follow-up, declared by
    the module that writes the state (or by the population, for baseline draws).

    Attributes:
        column: the column's name in ``outcomes.parquet``.
        state: the state it is read from.
        kind: ``float`` (float64), ``flag`` (int8 0/1), ``count`` (int16), ``int`` (int32), ``day``
            (an event day: -1, not happened, becomes NaN), ``ever`` (int8: 1 where the event day is
            >= 0), ``category`` (codes to a pandas categorical of ``categories``; -1 becomes missing).
        divide_by: the value is divided by it (7.0: days to weeks).
        categories: the labels of codes 0, 1, ... (``category`` only).
        only_if: a state; the value is NaN where that state is negative (not determined yet).
        doc: what the column holds, with its unit.
    """

    column: str
    state: str
    kind: FinalKind = "float"
    divide_by: float = 1.0
    categories: tuple[str, ...] = ()
    only_if: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Recorded:
    """A per-dyad measure summed over the days of each postpartum month and, optionally, each
    trimester of pregnancy, declared by the module that writes what it reads.

    Attributes:
        name: the measure; its columns are ``<name>_mMM`` and ``<name>_tK``.
        value: the state summed, or a function of the states (``f(s)``, elementwise, lowered into
            the recording like a module helper) for a derived value.
        over: the days it is summed over: ``alive`` (days the mother was alive at the start of the
            day) or ``followed`` (every day of follow-up: the infant's measures, fatal overdoses).
        report: what the outcomes table shows: ``sum`` (days, counts) or ``mean`` (the sum over the
            days it covers).
        trimesters: also summed by trimester of pregnancy (after enrolment).
        year_total, pregnancy_total: also a column with the first-year sum (``<name>_pp_year``) or
            the pregnancy sum (``<name>_pregnancy``).
        doc: what it measures, with its unit.
    """

    name: str
    value: Any
    over: Literal["alive", "followed"] = "alive"
    report: Literal["sum", "mean"] = "mean"
    trimesters: bool = False
    year_total: bool = False
    pregnancy_total: bool = False
    doc: str = ""


PARAMS: dict[str, Param] = {}
"""All module parameters by dotted name, in vector order."""
PARAM_MODULE: dict[str, str] = {}
STATES: dict[str, State] = {}
"""All states by name, in state-vector order."""
STREAMS: dict[str, Stream] = {}
"""All random streams by dotted name, in stream-table order."""


def _index(kind: str, names: list[str], start: int) -> Any:
    """Build an immutable namedtuple ``kind(name=index, ...)`` of global indices."""
    cls = namedtuple(kind, names)  # type: ignore[misc]
    return cls(*range(start, start + len(names)))


def declare_params(module: str, params: tuple[Param, ...]) -> Any:
    """Register a module's parameters; return a namedtuple of their indices in the vector."""
    start = len(PARAMS)
    for par in params:
        key = f"{module}.{par.name}"
        if key in PARAMS:
            raise ValueError(f"parameter {key!r} declared twice")
        if not (par.low <= par.default <= par.high) or not math.isfinite(par.default):
            raise ValueError(f"parameter {key!r}: default {par.default} outside [{par.low}, {par.high}]")
        PARAMS[key] = par
        PARAM_MODULE[key] = module
    return _index(f"{module.title().replace('_', '')}Params", [p.name for p in params], start)


def declare_states(states: tuple[State, ...]) -> Any:
    """Register the states of the state vector; return a namedtuple of their indices. Which module
    writes each one is read from the modules' code (:mod:`dyadsim.engine.access`), not declared."""
    start = len(STATES)
    for st in states:
        if st.name in STATES:
            raise ValueError(f"state {st.name!r} declared twice")
        STATES[st.name] = st
    return _index("States", [s.name for s in states], start)


def declare_streams(module: str, streams: tuple[Stream, ...]) -> Any:
    """Register a module's random streams; return a namedtuple of their indices in the table."""
    start = len(STREAMS)
    for st in streams:
        key = f"{module}.{st.name}"
        if key in STREAMS:
            raise ValueError(f"stream {key!r} declared twice")
        STREAMS[key] = st
    return _index(f"{module.title().replace('_', '')}Streams", [s.name for s in streams], start)

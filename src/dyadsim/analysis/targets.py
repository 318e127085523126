"""Check the targets in use against the model at a parameter set: simulate each design once,
compute each target's statistic and compare it with the published figure through its observation
model (``dyadsim targets --check``).

The comparison is on the scale of the observation model: a share against a binomial (or
beta-binomial) sampling SD from the study's n, a duration on the log scale, a correlation on
Fisher's z, an effect size against its SE; the model discrepancy and the simulation's own Monte
Carlo SE are added in quadrature. ``z = (simulated - published) / total SD`` and its two-sided
tail probability; a target agrees when ``|z| <= 2``. A stated interval agrees when the simulated
figure is inside it, a threshold (a qualitative pattern) when it is on the stated side.

Designs with the same scenarios, changes, follow-up, size and seed are simulated once; a contrast
runs its two scenarios on the same dyads and random numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

from dyadsim.analysis.target_stats import STATISTICS, SUBGROUPS, Runs
from dyadsim.config import examples
from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population
from dyadsim.config.targets import Design, Target
from dyadsim.core.errors import InputError
from dyadsim.core.yamlsafe import parse_yaml
from dyadsim.engine.run import simulate
from dyadsim.model.params import ParamSet
from dyadsim.run.results import outcomes_table

AGREE_Z = 2.0
"""A quantitative target agrees when the simulated figure is within this many total SDs."""


@dataclass(frozen=True)
class Checked:
    """One target compared: simulated figure, its Monte Carlo SE, z, tail probability, agreement."""

    target: Target
    simulated: float
    mc_se: float
    z: float
    p: float
    agrees: bool


def validate(targets: Iterable[Target], origin: str = "targets") -> None:
    """Refuse names the analysis does not know: statistics, shipped scenarios, changed parameters.

    Raises:
        InputError: naming the file, ``targets.<id>.design.<field>`` and what is allowed.
    """
    shipped = set(examples.names())
    known = set(ParamSet.names())
    for t in targets:
        if t.design is None:
            continue
        where = f"targets.{t.id}.design"
        if t.design.statistic not in STATISTICS:
            raise InputError(origin, f"{where}.statistic",
                             f"unknown statistic {t.design.statistic!r}; one of: {', '.join(sorted(STATISTICS))}")
        for s in t.design.scenarios:
            if s not in shipped:
                raise InputError(origin, f"{where}.scenarios", f"unknown scenario {s!r}; one of: {', '.join(sorted(shipped))}")
        for k, changes in enumerate(t.design.overrides):
            for name, value in changes.items():
                if name not in known:
                    raise InputError(origin, f"{where}.overrides.{k}.{name}", "not a parameter (see 'dyadsim params')")
                try:
                    ParamSet().set(name, value)
                except (ValueError, TypeError) as exc:
                    raise InputError(origin, f"{where}.overrides.{k}.{name}", str(exc)) from None


def _design_key(d: Design, seed: int, dyads: int | None) -> tuple:
    changes = tuple(tuple(sorted(o.items())) for o in d.overrides) or tuple(() for _ in d.scenarios)
    return tuple(d.scenarios), changes, d.horizon_days, dyads or d.dyads, seed


def _simulate_design(key: tuple, values: Mapping[str, float | bool]) -> tuple:
    scenarios, changes, horizon, n, seed = key
    tables = []
    for name, change in zip(scenarios, changes):
        scn = parse_scenario(parse_yaml(examples.text(name), name), name)
        ps = scenario_params(scn, name)
        for k, v in values.items():  # the parameter set under test, then the design's own changes
            ps.set(k, v)
        ps.set("pregnancy.horizon_days", horizon)
        for k, v in change:
            ps.set(k, v)
        tables.append(outcomes_table(simulate(ps, n, seed, scenario_population(scn, name))))
    return tuple(tables)


QUANTITATIVE = ("binomial", "beta_binomial", "poisson", "gamma_poisson", "lognormal", "normal", "fisher_z")
"""Observation models with a sampling SD: their targets enter a likelihood (calibration) and a z."""


def on_scale(t: Target, x: float) -> float:
    """``x`` on the scale of ``t``'s observation model: log for lognormal, Fisher's z for a
    correlation (clipped to |r| <= 0.999), the statistic itself otherwise."""
    assert t.observation is not None
    if t.observation.model == "lognormal":
        return math.log(x) if x > 0 else float("nan")
    if t.observation.model == "fisher_z":
        return math.atanh(min(max(x, -0.999), 0.999))
    return float(x)


def mc_on_scale(t: Target, sim: float, mc: float) -> float:
    """A Monte Carlo SE ``mc`` of a simulated figure ``sim``, carried to the observation scale
    (delta method: ``mc / sim`` on the log scale, ``mc / (1 - r^2)`` on Fisher's z)."""
    assert t.observation is not None
    mc = 0.0 if not math.isfinite(mc) else mc
    if t.observation.model == "lognormal":
        return mc / sim if sim > 0 else float("nan")
    if t.observation.model == "fisher_z":
        r = min(max(sim, -0.999), 0.999)
        return mc / (1 - r ** 2)
    return mc


def observed_sd(t: Target) -> float:
    """The SD of the published figure on its observation scale: the sampling SD of its
    observation model and the model discrepancy, in quadrature (quantitative models only)."""
    o = t.observation
    assert o is not None and o.model in QUANTITATIVE
    fig = float(t.figure)  # type: ignore[arg-type]
    if o.model == "lognormal":
        se = float(o.sd_log)  # type: ignore[arg-type]
    elif o.model == "fisher_z":
        se = math.sqrt(1.0 / (o.n - 3))  # type: ignore[operator]
    elif o.model == "binomial":
        se = math.sqrt(fig * (1 - fig) / o.n)  # type: ignore[operator]
    elif o.model == "beta_binomial":
        se = math.sqrt(fig * (1 - fig) / o.n * (1 + (o.n - 1) * o.rho))  # type: ignore[operator]
    elif o.model == "poisson":
        se = math.sqrt(fig / o.exposure)  # type: ignore[operator]
    elif o.model == "gamma_poisson":
        se = math.sqrt(fig / o.exposure + fig ** 2 / o.shape)  # type: ignore[operator]
    else:  # normal
        se = float(o.se)  # type: ignore[arg-type]
    return math.sqrt(se ** 2 + t.discrepancy ** 2)


def _compare(t: Target, sim: float, mc: float) -> tuple[float, float, bool]:
    """(z, two-sided tail probability, agrees) of a simulated figure against the published one."""
    o = t.observation
    assert o is not None
    mc = 0.0 if not math.isfinite(mc) else mc
    if not math.isfinite(sim):
        return float("nan"), float("nan"), False
    if o.model == "threshold":
        ok = (o.above is None or sim > o.above) and (o.below is None or sim < o.below)
        return float("nan"), float("nan"), bool(ok)
    if o.model == "interval":
        assert o.low is not None and o.high is not None
        ok = o.low <= sim <= o.high
        return float("nan"), float("nan"), bool(ok)
    fig = float(t.figure)  # type: ignore[arg-type]
    if o.model == "lognormal" and not (sim > 0 and fig > 0):
        return float("nan"), float("nan"), False
    z = (on_scale(t, sim) - on_scale(t, fig)) / math.sqrt(observed_sd(t) ** 2 + mc_on_scale(t, sim, mc) ** 2)
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return z, p, abs(z) <= AGREE_Z


def check(targets: list[Target], values: Mapping[str, float | bool] | None = None, seed: int = 1,
          dyads: int | None = None, progress: Callable[[str], None] | None = None) -> list[Checked]:
    """Simulate every design once and compare each target (context rows are skipped).

    Args:
        targets: the targets in use (:func:`dyadsim.config.targets.load_targets`).
        values: parameter values to test (dotted names), set after each scenario's own; the
            defaults where None.
        seed: the seed of every design.
        dyads: cohort size of every design, instead of each design's own (smaller is faster and
            noisier: the Monte Carlo SE enters each comparison).
        progress: called with a line before each design is simulated.
    """
    validate(targets)
    todo = [t for t in targets if t.design is not None and t.role != "context"]
    cache: dict[tuple, tuple] = {}
    out: list[Checked] = []
    for t in todo:
        assert t.design is not None
        key = _design_key(t.design, seed, dyads)
        if key not in cache:
            if progress is not None:
                progress(f"simulating {' vs '.join(t.design.scenarios)} ({key[3]} dyads, {key[2]:g} days)")
            cache[key] = _simulate_design(key, values or {})
        tables = cache[key]
        runs = Runs(tables=tables, subgroup=np.asarray(SUBGROUPS[t.design.subgroup](tables[0]), dtype=bool))
        sim, mc = STATISTICS[t.design.statistic](runs)
        z, p, ok = _compare(t, sim, mc)
        out.append(Checked(t, sim, mc, z, p, ok))
    return out

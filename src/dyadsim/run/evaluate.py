"""The evaluation function: scenarios x parameter sets x seeds x dyads -> a tidy table of statistics.

This is the unit of work of every many-runs analysis (sensitivity, uncertainty, calibration,
trials), in the style of pyabc (a model is a function from parameters to named statistics, the
caller chooses and records the seed) and SALib (problem -> sample -> evaluate -> analyze):

    from dyadsim.run.evaluate import ScenarioSpec, evaluate
    from dyadsim.config.space import SPACE
    space = SPACE.select("module:use_cycle")
    sets = space.frame(space.sample_prior(8, seed=1))
    table = evaluate([ScenarioSpec.load("examples/usual_care.yaml")], sets, seeds=[1, 2], dyads=500)

Every scenario and parameter set runs on the same dyad ids with the same seeds, so dyads meet the
same random numbers for every decision (common random numbers): a difference between two sets
comes only from what differs between them, and a parameter that no module reads changes nothing,
bit for bit. A statistic is the mean over dyads of a per-dyad value computed from the outcomes
table (``docs/outcomes.md``); the summary outcomes of the report are declared here with derived
snake-case names, and callers can add their own.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.run.summary import SUMMARY
from dyadsim.run.results import outcomes_table
from dyadsim.config.scenario import Scenario, load_scenario

COLUMNS: tuple[str, ...] = ("scenario", "set", "seed", "statistic", "value", "sd", "n")
"""Columns of the tidy table: scenario name, parameter-set id, seed, statistic name, its value (the
mean over dyads with a value), the between-dyad SD and the number of dyads with a value."""


@dataclass(frozen=True)
class Statistic:
    """A named statistic: the mean over dyads of ``fn(outcomes)`` (NaN values left out).

    Attributes:
        name: snake-case name (the key in tables and on the command line).
        label: human-readable label with unit.
        fn: per-dyad values from the outcomes table (one row per dyad).
    """

    name: str
    label: str
    fn: Callable[[pd.DataFrame], pd.Series]


def slug(label: str) -> str:
    """Snake-case name of a label, without its parenthesised unit (``"Days of opioid use,
    postpartum year"`` -> ``days_of_opioid_use_postpartum_year``)."""
    text = re.sub(r"\([^)]*\)", " ", label).lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _summary_statistics() -> tuple[Statistic, ...]:
    out = tuple(Statistic(slug(label), label, fn) for label, fn in SUMMARY)
    names = [s.name for s in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:  # a new summary label must get a distinct name
        raise RuntimeError(f"summary outcomes with the same derived name: {sorted(dup)}")
    return out


SUMMARY_STATISTICS: tuple[Statistic, ...] = _summary_statistics()
"""The report's summary outcomes as statistics (names derived from their labels)."""
STATISTICS: dict[str, Statistic] = {s.name: s for s in SUMMARY_STATISTICS}


def statistics_named(names: str | Sequence[str] | None, option: str = "--outcomes") -> tuple[Statistic, ...]:
    """The summary statistics a user names (comma-separated or a list; None: all).

    Raises:
        InputError: an unknown name (the message lists the known ones).
    """
    if names is None:
        return SUMMARY_STATISTICS
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    wanted = [n for n in wanted if n]
    if not wanted:
        raise InputError("command line", option, "name at least one outcome")
    for n in wanted:
        if n not in STATISTICS:
            raise InputError("command line", option, f"unknown outcome {n!r}; one of: {', '.join(STATISTICS)}")
    return tuple(STATISTICS[n] for n in wanted)


@dataclass
class ScenarioSpec:
    """A validated scenario with its parameter set and population, ready to evaluate.

    The parameter set is the scenario's own (its interventions, care setting, ``parameters:`` and
    ``links:``); a parameter set given to :func:`evaluate` is applied on top of it.
    """

    scenario: Scenario
    params: ParamSet
    population: PopulationSpec
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "ScenarioSpec":
        """Read and validate a scenario file (see :func:`dyadsim.config.scenario.load_scenario`)."""
        scn, ps, pop = load_scenario(path)
        return cls(scn, ps, pop, {"path": str(path)})

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name


def _as_sets(param_sets: pd.DataFrame | Sequence[Mapping[str, float]] | None) -> pd.DataFrame:
    if param_sets is None:
        return pd.DataFrame(index=pd.RangeIndex(1))
    if isinstance(param_sets, pd.DataFrame):
        return param_sets
    return pd.DataFrame(list(param_sets))


def apply_set(base: ParamSet, names: Sequence[str], values: np.ndarray, origin: str = "parameter set") -> ParamSet:
    """``base`` with ``names`` set to ``values``.

    Raises:
        InputError: an unknown name or a value outside its range, naming the parameter.
    """
    try:
        return base.from_vector(values, names)
    except KeyError as exc:
        raise InputError(origin, str(exc).strip("'\""), "unknown parameter; see 'dyadsim params'") from None
    except ValueError as exc:
        name = str(exc).split(" ", 1)[0]
        raise InputError(origin, name, str(exc)) from None


def statistics_of(outcomes: pd.DataFrame, statistics: Sequence[Statistic]) -> list[tuple[str, float, float, int]]:
    """(name, mean, SD, n) of each statistic over the dyads of one run."""
    rows = []
    for st in statistics:
        v = np.asarray(st.fn(outcomes), dtype=np.float64)
        v = v[~np.isnan(v)]
        n = len(v)
        rows.append((st.name, float(v.mean()) if n else np.nan, float(v.std(ddof=1)) if n > 1 else np.nan, n))
    return rows


def evaluate_one(spec: ScenarioSpec, params: ParamSet, seed: int, dyads: int, statistics: Sequence[Statistic],
                 threads: int = 1, engine: str | None = None) -> list[tuple[str, float, float, int]]:
    """Simulate one scenario with one parameter set and seed; its statistics (see :func:`statistics_of`)."""
    from dyadsim.engine.run import simulate

    scn = spec.scenario
    out = simulate(params, dyads, seed, spec.population, engine=engine or scn.engine.kind, threads=threads,
                   block_size=scn.engine.block_size)
    return statistics_of(outcomes_table(out, scn.care.nows_setting), statistics)


def evaluate(scenarios: Sequence[ScenarioSpec], param_sets: pd.DataFrame | Sequence[Mapping[str, float]] | None = None,
             seeds: Sequence[int] = (1,), dyads: int = 500, statistics: Sequence[Statistic] | None = None,
             threads: int = 1, engine: str | None = None) -> pd.DataFrame:
    """Evaluate every scenario with every parameter set and seed.

    Args:
        scenarios: validated scenarios (:meth:`ScenarioSpec.load`).
        param_sets: one row per set, columns named by dotted names (index = set id); None: the
            scenarios' own values (one set, id 0).
        seeds: run seeds; each seed is one replicate on the same dyad ids.
        dyads: dyads per run.
        statistics: what to compute (default: :data:`SUMMARY_STATISTICS`).
        threads: engine threads per run (the caller decides; 1 inside a worker process).
        engine: engine kind for every scenario (default: each scenario's own).

    Returns:
        The tidy table of :data:`COLUMNS`, in the order scenario, set, seed, statistic.

    Raises:
        InputError: an unknown parameter name or an out-of-range value.
    """
    sets = _as_sets(param_sets)
    stats = tuple(statistics) if statistics is not None else SUMMARY_STATISTICS
    names = [str(c) for c in sets.columns]
    values = sets.to_numpy(dtype=np.float64) if names else np.zeros((len(sets), 0))
    rows: list[tuple[Any, ...]] = []
    for spec in scenarios:
        for sid, x in zip(sets.index, values):
            ps = apply_set(spec.params, names, x)
            for seed in seeds:
                for name, mean, sd, n in evaluate_one(spec, ps, int(seed), dyads, stats, threads, engine):
                    rows.append((spec.name, int(sid), int(seed), name, mean, sd, n))
    return pd.DataFrame(rows, columns=list(COLUMNS))

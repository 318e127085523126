"""Global sensitivity analysis: problem → sample → evaluate → analyze → tables.

The pipeline follows SALib (Herman & Usher 2017, *JOSS* 2:97; Iwanaga et al. 2022, *SESMO*
4:18155): a :class:`Problem` names the inputs and maps points of the unit cube to input values
through each input's inverse prior CDF; :func:`sample` draws a Morris or Sobol' design on the unit
cube; an :class:`Evaluator` runs the model for every design point on the same seeds; :func:`analyze`
turns the outputs into index tables.

Sampling on the unit cube and mapping with the inverse prior CDF honours log-uniform priors: a
step of Morris' grid is a step in prior probability, not in raw units. Morris' μ* is therefore the
mean absolute change of an outcome when an input moves across its full prior range (from the
lowest to the highest prior quantile), in the outcome's own unit.

Stochastic models are handled by common random numbers and replicate averaging: every design
point is evaluated on the same seeds (and, in dyadsim, the same dyads), the indices are computed
on the mean over those seeds, and :func:`noise_table` reports the share of the variance of those
means that is Monte Carlo noise rather than the inputs' effect.

Known answers ship with the module: :func:`ishigami_problem` and :class:`IshigamiEvaluator`
(Ishigami & Homma 1990) with their analytic indices in :func:`ishigami_indices`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError

Method = Literal["morris", "sobol"]
METHODS: tuple[str, ...] = ("morris", "sobol")
"""Methods :func:`sample` and :func:`analyze` understand."""
MORRIS_LEVELS = 4
"""Levels of Morris' grid on each unit axis (SALib's default; step Δ = 2/3 of the range)."""
TORNADO_QUANTILES = (0.05, 0.95)
"""Prior quantiles of the one-at-a-time swings of the tornado plot."""
CONF_LEVEL = 0.95
"""Confidence level of the bootstrap intervals."""
NUM_RESAMPLES = 1000
"""Bootstrap resamples for the intervals of μ*, S1 and ST."""


@dataclass(frozen=True)
class Problem:
    """The inputs of an analysis: names, groups (mechanisms), units, baseline values and the map
    from the unit cube to input values.

    Attributes:
        names: input names (dyadsim: dotted parameter names such as ``use_cycle.cue_prob``).
        groups: the group (module, or ``links`` for edge strengths) of each input, for the
            ranking of mechanisms.
        units: unit of each input (for labels).
        defaults: baseline value of each input (the centre of the tornado plot), in its unit.
        from_unit: maps an ``(n, d)`` array of points in [0, 1]^d to input values (the inverse
            prior CDF of each input).
        label: what is analysed (a scenario name, or ``Ishigami``).
        excluded: inputs asked for but left out (fixed priors cannot vary), for the record.
    """

    names: tuple[str, ...]
    groups: tuple[str, ...]
    units: tuple[str, ...]
    defaults: np.ndarray
    from_unit: Callable[[np.ndarray], np.ndarray]
    label: str = ""
    excluded: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        d = len(self.names)
        if not (len(self.groups) == len(self.units) == len(self.defaults) == d):
            raise ValueError("names, groups, units and defaults must have one entry per input")
        if len(set(self.names)) != d:
            raise ValueError("input names must be unique")

    def __len__(self) -> int:
        return len(self.names)

    def salib(self) -> dict[str, Any]:
        """SALib's problem dict on the unit cube (no groups: every input screened on its own)."""
        return {"num_vars": len(self.names), "names": list(self.names), "bounds": [[0.0, 1.0]] * len(self.names)}


class Evaluator(Protocol):
    """Runs the model for parameter sets on seeds (pyabc's model: parameters in, statistics out).

    ``outcomes`` maps each statistic's name to a label with its unit. Calling the evaluator with a
    DataFrame of parameter sets (columns: input names; index: set ids) and the seeds returns a tidy
    DataFrame with columns ``set, seed, statistic, value``. ``tag`` names the piece of work
    (``design``, ``tornado``) so that an evaluator that stores its work can resume it.
    """

    outcomes: dict[str, str]

    def __call__(self, param_sets: pd.DataFrame, seeds: Sequence[int], tag: str) -> pd.DataFrame: ...


@dataclass
class Design:
    """Design points of a method: on the unit cube (``unit``) and as input values (``values``).

    Morris: ``n`` trajectories of ``d + 1`` points each, ``n (d + 1)`` rows. Sobol' (Saltelli's
    scheme, first and total order only): ``n (d + 2)`` rows, ``n`` a power of 2.
    """

    method: str
    n: int
    seed: int
    problem: Problem
    unit: np.ndarray
    values: np.ndarray

    def frame(self) -> pd.DataFrame:
        """Parameter sets as a DataFrame (columns: input names; index: set id 0..rows-1)."""
        df = pd.DataFrame(self.values, columns=list(self.problem.names))
        df.index.name = "set"
        return df


def runs_needed(method: str, n: int, d: int) -> int:
    """Design points (parameter sets) of a method: Morris n (d + 1), Sobol' n (d + 2)."""
    return n * (d + 1) if method == "morris" else n * (d + 2)


def check_settings(method: str, n: int, d: int) -> None:
    """Refuse settings SALib cannot use, naming the option and what is allowed.

    Raises:
        InputError: unknown method, fewer than 2 inputs, ``n`` too small, or (Sobol') ``n`` not a
            power of 2 (the Sobol' sequence's balance properties hold only for powers of 2).
    """
    if method not in METHODS:
        raise InputError("command line", "--method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    if d < 2 and method == "sobol":
        raise InputError("command line", "--params", f"Sobol' indices need at least 2 varying parameters, got {d}")
    if d < 1:
        raise InputError("command line", "--params", "no parameter to vary (fixed priors are left out)")
    if method == "morris" and n < 2:
        raise InputError("command line", "--n", f"Morris needs at least 2 trajectories, got {n}")
    if method == "sobol":
        if n < 4 or n & (n - 1):
            lo = 1 << max(2, (max(n, 1)).bit_length() - 1)
            raise InputError("command line", "--n", f"Sobol' needs a power of 2 (at least 4), got {n}; "
                             f"try {lo} or {lo * 2}")


def sample(problem: Problem, method: str, n: int, seed: int = 0) -> Design:
    """Draw a design on the unit cube with SALib and map it to input values.

    Morris: ``SALib.sample.morris.sample`` with :data:`MORRIS_LEVELS` levels (Morris 1991).
    Sobol': ``SALib.sample.sobol.sample`` (scrambled Sobol' sequence, Saltelli's scheme, no
    second-order columns; Saltelli et al. 2010).
    """
    check_settings(method, n, len(problem))
    if method == "morris":
        from SALib.sample import morris as morris_sample

        unit = morris_sample.sample(problem.salib(), n, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import sobol as sobol_sample

        unit = sobol_sample.sample(problem.salib(), n, calc_second_order=False, seed=seed)
    unit = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
    return Design(method, n, seed, problem, unit, np.asarray(problem.from_unit(unit), dtype=np.float64))


def output_array(table: pd.DataFrame, n_sets: int, seeds: Sequence[int], outcomes: Sequence[str]) -> np.ndarray:
    """Tidy evaluator output → array ``(sets, seeds, outcomes)``.

    Raises:
        ValueError: a (set, seed, outcome) cell is missing or repeated.
    """
    t = table[table["statistic"].isin(list(outcomes))]
    piv = t.pivot_table(index=["set", "seed"], columns="statistic", values="value", aggfunc="first")
    want = pd.MultiIndex.from_product([range(n_sets), list(seeds)], names=["set", "seed"])
    if len(t) != len(want) * len(outcomes):
        raise ValueError(f"evaluator returned {len(t)} values, expected {len(want) * len(outcomes)}")
    piv = piv.reindex(index=want, columns=list(outcomes))
    if piv.isna().to_numpy().any():
        raise ValueError("evaluator output has missing (set, seed, outcome) cells")
    return piv.to_numpy(dtype=np.float64).reshape(n_sets, len(seeds), len(outcomes))


def noise_table(Y: np.ndarray, outcomes: Sequence[str]) -> pd.DataFrame:
    """Share of the variance of the replicate means that is Monte Carlo noise, per outcome.

    ``Y`` is ``(samples, replicates R, outcomes)``. The noise variance is the mean over samples of
    the within-sample variance divided by R (the variance of a mean of R seeds); the total is the
    variance over samples of the replicate means, which is what the indices apportion. A share
    near 0 means the inputs, not the seeds, drive the differences between samples; near 1, the
    indices mostly rank noise. With R = 1 the within-sample variance cannot be estimated (NaN).
    """
    n, r, _ = Y.shape
    means = Y.mean(axis=1)
    rows = []
    for j, name in enumerate(outcomes):
        total = float(means[:, j].var(ddof=1)) if n > 1 else float("nan")
        noise = float(Y[:, :, j].var(axis=1, ddof=1).mean() / r) if r > 1 else float("nan")
        if total > 0 and math.isfinite(noise):
            share = noise / total
        else:  # an outcome that never varies has no noise either; otherwise not estimable
            share = 0.0 if total == 0 and noise == 0 else float("nan")
        rows.append({"outcome": name, "mean": float(means[:, j].mean()), "total_variance": total,
                     "noise_variance": noise, "noise_share": share, "replicates": r, "samples": n})
    return pd.DataFrame(rows)


def analyze(design: Design, Y: np.ndarray, outcomes: Sequence[str], conf_level: float = CONF_LEVEL,
            num_resamples: int = NUM_RESAMPLES, seed: int = 0) -> pd.DataFrame:
    """Indices per outcome and input from the replicate means of ``Y`` (samples, replicates, outcomes).

    Morris (``SALib.analyze.morris.analyze`` on the unit design): ``mu``, ``mu_star`` (with its
    bootstrap half-width ``mu_star_conf``) and ``sigma``, in the outcome's unit per full prior
    range. Sobol' (``SALib.analyze.sobol.analyze``): ``S1``, ``ST`` with bootstrap half-widths
    ``S1_conf``, ``ST_conf`` (fractions of the variance of the replicate means). An outcome that
    does not vary over the design gets indices of 0 (nothing to apportion).
    """
    problem = design.problem
    means = Y.mean(axis=1)
    frames = []
    for j, name in enumerate(outcomes):
        y = np.ascontiguousarray(means[:, j])
        base = pd.DataFrame({"outcome": name, "parameter": list(problem.names), "group": list(problem.groups),
                             "parameter_unit": list(problem.units)})
        if design.method == "morris":
            from SALib.analyze import morris as morris_analyze

            si = morris_analyze.analyze(problem.salib(), design.unit, y, num_resamples=num_resamples,
                                        conf_level=conf_level, num_levels=MORRIS_LEVELS, seed=seed)
            for key in ("mu", "mu_star", "sigma", "mu_star_conf"):
                base[key] = np.asarray(si[key], dtype=np.float64)
        elif np.ptp(y) == 0.0:
            for key in ("S1", "S1_conf", "ST", "ST_conf"):
                base[key] = 0.0
        else:
            from SALib.analyze import sobol as sobol_analyze

            si = sobol_analyze.analyze(problem.salib(), y, calc_second_order=False, num_resamples=num_resamples,
                                       conf_level=conf_level, seed=seed + 1)
            for key in ("S1", "S1_conf", "ST", "ST_conf"):
                base[key] = np.asarray(si[key], dtype=np.float64)
        frames.append(base)
    return pd.concat(frames, ignore_index=True)


def index_column(method: str) -> str:
    """The index that ranks inputs: μ* for Morris, ST for Sobol'."""
    return "mu_star" if method == "morris" else "ST"


def mechanism_table(indices: pd.DataFrame, method: str) -> pd.DataFrame:
    """Ranking of mechanisms: per outcome and group, the sum and the max of μ* (Morris) or ST
    (Sobol'); ``rank`` 1 is the group with the largest sum for that outcome.

    The sum counts how much a mechanism moves the outcome in all (ST sums count interactions once
    per member, so they can exceed 1); the max tells whether one input carries it.
    """
    col = index_column(method)
    g = (indices.groupby(["outcome", "group"], sort=False)[col]
         .agg(["sum", "max", "count"]).reset_index()
         .rename(columns={"count": "parameters"}))
    g["index"] = col
    g["rank"] = g.groupby("outcome")["sum"].rank(ascending=False, method="min").astype(int)
    return g.sort_values(["outcome", "rank"], kind="stable").reset_index(drop=True)


def top_parameters(indices: pd.DataFrame, k: int, method: str | None = None) -> list[str]:
    """The ``k`` inputs that matter most over all outcomes.

    Each input's score is the largest, over outcomes, of its μ* (or ST) divided by the largest
    μ* (ST) of that outcome, so outcomes in different units count alike. Ties keep input order.
    """
    if method is None:
        method = "morris" if "mu_star" in indices.columns else "sobol"
    col = index_column(method)
    top = indices.groupby("outcome")[col].transform("max")
    score = (indices[col] / top.where(top > 0, 1.0)).fillna(0.0)
    ranked = (indices.assign(score=score).groupby("parameter", sort=False)["score"].max()
              .sort_values(ascending=False, kind="stable"))
    return list(ranked.index[:k])


def tornado_sets(problem: Problem, names: Sequence[str],
                 quantiles: tuple[float, float] = TORNADO_QUANTILES) -> pd.DataFrame:
    """Parameter sets of the tornado plot: set 0 is every input at its baseline; then, for each of
    ``names``, two sets with that input at its prior's low and high quantile, the others at baseline."""
    d = len(problem)
    q = np.array(quantiles, dtype=np.float64)
    rows = [problem.defaults.copy()]
    for name in names:
        i = problem.names.index(name)
        for qq in q:
            u = np.full((1, d), 0.5)
            u[0, i] = qq
            row = problem.defaults.copy()
            row[i] = problem.from_unit(u)[0, i]
            rows.append(row)
    df = pd.DataFrame(np.vstack(rows), columns=list(problem.names))
    df.index.name = "set"
    return df


def tornado_table(problem: Problem, names: Sequence[str], Y: np.ndarray, outcomes: Sequence[str],
                  quantiles: tuple[float, float] = TORNADO_QUANTILES) -> pd.DataFrame:
    """Swings of each outcome (replicate means of ``Y`` from :func:`tornado_sets`), largest first."""
    sets = tornado_sets(problem, names, quantiles)
    means = Y.mean(axis=1)
    rows = []
    for j, outcome in enumerate(outcomes):
        for k, name in enumerate(names):
            lo, hi = 1 + 2 * k, 2 + 2 * k
            rows.append({"outcome": outcome, "parameter": name, "group": problem.groups[problem.names.index(name)],
                         "parameter_unit": problem.units[problem.names.index(name)],
                         "baseline_value": float(sets.iloc[0][name]), "low_value": float(sets.iloc[lo][name]),
                         "high_value": float(sets.iloc[hi][name]), "baseline": float(means[0, j]),
                         "at_low": float(means[lo, j]), "at_high": float(means[hi, j]),
                         "swing": float(abs(means[hi, j] - means[lo, j]))})
    out = pd.DataFrame(rows)
    return out.sort_values(["outcome", "swing"], ascending=[True, False], kind="stable").reset_index(drop=True)


@dataclass
class SensitivityResult:
    """Everything one analysis produced (tables are tidy DataFrames)."""

    design: Design
    seeds: tuple[int, ...]
    outcomes: dict[str, str]
    evaluations: pd.DataFrame
    indices: pd.DataFrame
    noise: pd.DataFrame
    mechanisms: pd.DataFrame
    tornado: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.design.method


def run(problem: Problem, evaluator: Evaluator, method: str, n: int, seeds: Sequence[int],
        outcomes: Sequence[str] | None = None, seed: int = 0, tornado_top: int = 5,
        conf_level: float = CONF_LEVEL, num_resamples: int = NUM_RESAMPLES) -> SensitivityResult:
    """The whole pipeline: sample, evaluate every design point on ``seeds`` (common random
    numbers), analyze the replicate means, rank mechanisms, and evaluate the tornado swings of the
    ``tornado_top`` inputs that matter most (0: no tornado).

    Args:
        problem: the inputs. evaluator: the model. method: ``morris`` or ``sobol``.
        n: Morris trajectories, or Sobol' base sample size (a power of 2).
        seeds: replicate seeds, the same for every design point.
        outcomes: statistic names to analyse (default: all the evaluator offers).
        seed: seed of the design and of the bootstrap.
    """
    names = list(outcomes) if outcomes else list(evaluator.outcomes)
    unknown = [o for o in names if o not in evaluator.outcomes]
    if unknown:
        raise InputError("command line", "--outcomes", f"unknown {', '.join(unknown)}; choose from "
                         f"{', '.join(evaluator.outcomes)}")
    if not seeds:
        raise InputError("command line", "--replicates", "must be at least 1")
    design = sample(problem, method, n, seed)
    table = evaluator(design.frame(), list(seeds), "design")
    Y = output_array(table, len(design.values), seeds, names)
    indices = analyze(design, Y, names, conf_level, num_resamples, seed)
    result = SensitivityResult(design, tuple(seeds), {o: evaluator.outcomes[o] for o in names}, table, indices,
                               noise_table(Y, names), mechanism_table(indices, method))
    if tornado_top > 0:
        top = top_parameters(indices, tornado_top, method)
        sets = tornado_sets(problem, top)
        ty = output_array(evaluator(sets, list(seeds), "tornado"), len(sets), seeds, names)
        result.tornado = tornado_table(problem, top, ty, names)
    swung = 0 if result.tornado is None else int(result.tornado["parameter"].nunique())
    result.settings = {"method": method, "n": n, "seed": seed, "seeds": list(seeds), "replicates": len(seeds),
                       "parameters": len(problem), "parameter_sets": runs_needed(method, n, len(problem)),
                       "tornado_sets": 1 + 2 * swung if swung else 0,
                       "conf_level": conf_level, "num_resamples": num_resamples, "label": problem.label,
                       "excluded": list(problem.excluded), "levels": MORRIS_LEVELS if method == "morris" else None}
    return result


# ---------------------------------------------------------------------------------------------
# Known answer: the Ishigami function (Ishigami & Homma 1990), as shipped by SALib.

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami_problem() -> Problem:
    """Three inputs uniform on [-π, π], baseline 0, each its own group."""
    names = ("x1", "x2", "x3")
    return Problem(names, names, ("",) * 3, np.zeros(3), lambda u: -math.pi + 2.0 * math.pi * np.asarray(u),
                   label="Ishigami")


def ishigami(x: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    """f(x) = sin x1 + a sin² x2 + b x3⁴ sin x1, for rows of ``x`` (n, 3)."""
    x = np.asarray(x, dtype=np.float64)
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> pd.DataFrame:
    """Analytic first- and total-order Sobol' indices of :func:`ishigami` with inputs uniform on
    [-π, π] (Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*, §4.9): for a = 7,
    b = 0.1, S1 = 0.3139, 0.4424, 0 and ST = 0.5576, 0.4424, 0.2437."""
    pi4 = math.pi ** 4
    v1 = 0.5 * (1.0 + b * pi4 / 5.0) ** 2
    v2 = a * a / 8.0
    v13 = b * b * math.pi ** 8 * (1.0 / 18.0 - 1.0 / 50.0)
    v = v1 + v2 + v13
    return pd.DataFrame({"parameter": ["x1", "x2", "x3"], "S1": [v1 / v, v2 / v, 0.0],
                         "ST": [(v1 + v13) / v, v2 / v, v13 / v]})


class IshigamiEvaluator:
    """:func:`ishigami` as an :class:`Evaluator`, optionally with additive Gaussian noise of SD
    ``noise_sd`` drawn per (set, seed), so the noise share has a known value:
    (noise_sd² / R) / (Var f + noise_sd² / R), Var f = 13.84 for a = 7, b = 0.1."""

    outcomes = {"y": "Ishigami f(x) (dimensionless)"}

    def __init__(self, noise_sd: float = 0.0, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> None:
        self.noise_sd, self.a, self.b = noise_sd, a, b
        self.calls: list[str] = []

    def __call__(self, param_sets: pd.DataFrame, seeds: Sequence[int], tag: str) -> pd.DataFrame:
        self.calls.append(tag)
        y = ishigami(param_sets[["x1", "x2", "x3"]].to_numpy(), self.a, self.b)
        frames = []
        for s in seeds:
            v = y.copy()
            if self.noise_sd > 0:
                v += self.noise_sd * np.array([np.random.default_rng([int(s), int(i)]).standard_normal()
                                               for i in param_sets.index])
            frames.append(pd.DataFrame({"set": param_sets.index.to_numpy(), "seed": int(s), "statistic": "y",
                                        "value": v}))
        return pd.concat(frames, ignore_index=True)

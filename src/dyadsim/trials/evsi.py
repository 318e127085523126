"""What a proposed trial would report under each parameter draw: the data of the expected value of
sample information (EVSI).

Strong, Oakley, Brennan and Breeze 2015 (Med Decis Making 35(5):570-583, "Estimating the expected
value of sample information using the probabilistic sensitivity analysis sample: a fast,
nonparametric regression-based method"): for each draw ``k`` of a probabilistic analysis, generate
the data a proposed study would give if draw ``k``'s parameters were true, reduce it to a summary
statistic ``X_k``, and regress the net benefits of the draws on ``X``; the EVSI follows from the
fitted values as the EVPPI does (:func:`dyadsim.economics.voi.evsi_table`).

Here the study is a trial file run by the trial machinery. Draw ``k``'s parameter values are put
on every arm's scenario (:func:`dyadsim.trials.simulate.build_pools`), a trial of ``n`` per
allocation unit is drawn from those pools as a real one unfolds (screening, stratified block
randomization, measurement error, drop-out: :func:`dyadsim.trials.simulate.draw_trial`, seeded
``[trial seed, n, k]``) and analysed by its plan (:func:`dyadsim.trials.plan.estimate_outcomes`);
``X`` is the estimated effect on the primary outcome. The same trial draw of a size serves every
strategy, and the pools of a draw serve every size. Mediation paths, secondary and process outcomes
do not enter ``X`` and are left out (they would only cost pools and fits). Where the primary model
does not converge the difference between the arms' observed means of the primary outcome (event
shares for a survival outcome) stands in, and the number of such draws is reported.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dyadsim.core.errors import InputError
from dyadsim.run.evaluate import ScenarioSpec
from dyadsim.trials.design import Trial, load_trial
from dyadsim.trials.draws import draw_values
from dyadsim.trials.plan import estimate_outcomes
from dyadsim.trials.simulate import TrialData, build_pools, draw_trial


@dataclass
class TrialStatistics:
    """The summary statistic a proposed trial reports, per parameter draw and size.

    Attributes:
        trial_file: the trial file.
        trial_name: its ``name``.
        arms: the trial's arm names (control first).
        strategies: the economics strategy each arm is (by scenario name).
        outcome: the primary outcome whose estimate is the statistic.
        scale: the scale of that estimate (e.g. a rate ratio, a mean difference).
        grid: sizes per allocation unit.
        values: the statistic, shape (draws, sizes).
        fallbacks: draws and sizes where the primary model failed and the difference in observed
            means stood in.
        pool_dyads: dyads simulated per arm and draw.
        elapsed_s: wall time of the pools and trials (seconds).
    """

    trial_file: str
    trial_name: str
    arms: list[str]
    strategies: list[str]
    outcome: str
    scale: str
    grid: list[int]
    values: np.ndarray
    fallbacks: int
    pool_dyads: int
    elapsed_s: float

    def record(self) -> dict[str, Any]:
        """What the economics manifest and report say of the trial behind the EVSI."""
        return {"trial_file": self.trial_file, "trial": self.trial_name, "arms": dict(zip(self.arms, self.strategies)),
                "statistic": f"estimated effect on {self.outcome} ({self.scale})", "sizes_per_arm": list(self.grid),
                "pool_dyads_per_arm": self.pool_dyads, "model_failures": self.fallbacks, "elapsed_s": self.elapsed_s}


def match_arms(path: str | Path, trial: Trial, specs: list[ScenarioSpec], strategies: list[str]) -> list[str]:
    """The strategy of each arm of a two-arm, individually randomised trial: the strategy whose
    scenario has the arm scenario's ``name``.

    Raises:
        InputError: naming the trial file and the field: a site-randomised design, other than two
            arms, or an arm whose scenario is not among ``strategies``.
    """
    origin = str(path)
    for block in ("clusters", "stepped_wedge"):
        if getattr(trial, block) is not None:
            raise InputError(origin, block, "the expected value of sample information needs an individually "
                             "randomised trial (n_per_arm); leave out the site-randomised block")
    if len(trial.arms) != 2:
        raise InputError(origin, "arms", f"the expected value of sample information needs a two-arm trial whose arms "
                         f"are two of the strategies; got {len(trial.arms)} arms")
    out = []
    for i, spec in enumerate(specs):
        name = spec.scenario.name
        if name not in strategies:
            raise InputError(origin, f"arms.{i}.scenario", f"arm {trial.arms[i].name!r} runs scenario {name!r}, which "
                             f"is not among the strategies ({', '.join(strategies)}): give the arm the scenario file "
                             f"of one of them")
        out.append(name)
    if out[0] == out[1]:
        raise InputError(origin, "arms.1.scenario", f"both arms run scenario {out[0]!r}: give two different strategies")
    return out


def primary_statistic(trial: Trial, td: TrialData, seed: int) -> tuple[float, bool, str]:
    """The primary outcome's estimated effect of one drawn trial, whether the model gave it (else
    the difference in observed means, see the module doc), and its scale."""
    est = estimate_outcomes(trial, td, seed=seed)
    row = est[est["role"] == "primary"].iloc[0]
    if bool(row["converged"]) and np.isfinite(row["estimate"]):
        return float(row["estimate"]), True, str(row["scale"])
    p = td.participants
    o = trial.primary
    col = f"{o.name}_event" if f"{o.name}_event" in p.columns else o.name
    means = [float(np.nanmean(p.loc[p["arm"] == a, col])) for a in (0, 1)]
    return means[1] - means[0], False, "difference in observed means"


def trial_statistics(path: str | Path, strategies: list[str], draws: Any, grid: list[int], *,
                     pool_dyads: int | None = None,
                     progress: Callable[[str], None] | None = None) -> TrialStatistics:
    """The primary-outcome estimate of the trial at ``path`` for every draw of ``draws`` (a
    :class:`dyadsim.config.uncertainty.ParameterDraws`, the economics run's) and size of ``grid``
    (per allocation unit), from pools of ``pool_dyads`` per arm (default: the file's).

    Raises:
        InputError: the trial file (see :func:`match_arms`); no draws; a size the pool cannot hold.
    """
    started = time.perf_counter()
    trial, specs = load_trial(path)
    mapped = match_arms(path, trial, specs, strategies)
    if draws is None or len(draws) < 2:
        raise InputError("command line", "--evsi-trial", "the expected value of sample information needs parameter "
                         "draws (--parameters prior or posterior, --parameter-draws K of at least 2)")
    pool = trial.pool_dyads if pool_dyads is None else pool_dyads
    if not 100 <= pool <= 1_000_000:
        raise InputError("command line", "--evsi-pool", f"must be from 100 to 1,000,000 dyads per arm, got {pool}")
    # Only what the statistic needs: the primary outcome, no mediation paths (no cut arms).
    lean = trial.model_copy(update={"secondary": [], "process": [], "mediation": [], "pool_dyads": pool})
    values = np.full((len(draws), len(grid)), np.nan)
    fallbacks = 0
    scale = ""
    for k in range(len(draws)):
        if progress:
            progress(f"trial {trial.name}: parameter draw {k + 1} of {len(draws)} ({pool} dyads per arm)")
        pools = build_pools(lean, specs, None, draw_values(draws, k))
        need = max(grid) * sum(lean.ratio)
        if need > len(pools.eligible):
            raise InputError("command line", "--evsi-n", f"the largest size enrols {need} mothers, but the pool of "
                             f"{pool} dyads per arm has {len(pools.eligible)} eligible: give smaller sizes or a larger "
                             f"--evsi-pool")
        for j, n in enumerate(grid):
            rng = np.random.default_rng([lean.seed, n, k])
            td = draw_trial(pools, n, rng)
            values[k, j], ok, how = primary_statistic(lean, td, int(rng.integers(2**31)))
            fallbacks += not ok
            scale = scale if scale and not ok else how
    return TrialStatistics(str(path), trial.name, [a.name for a in trial.arms], mapped, trial.primary.name, scale,
                           list(grid), values, fallbacks, pool, round(time.perf_counter() - started, 1))

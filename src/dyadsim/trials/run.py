"""Drivers of ``dyadsim trial`` (one simulated trial, reported as a paper would) and ``dyadsim power``.

Both simulate the arms' pools first (:func:`dyadsim.trials.simulate.build_pools`). A power
analysis keeps its pools and finished replicate batches in a working folder beside ``--out``
(``.<out>.work``) until it is complete, so running the same command again after an interrupt
resumes without recomputing anything; the results are then written to ``--out`` atomically and
the working folder is removed.
"""
from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError
from dyadsim.core.version import __version__
from dyadsim.run.sweep import Executor, claim, run_tasks
from dyadsim.trials.design import Trial, load_trial
from dyadsim.trials.assurance import DRIVER_COLUMNS, effect_distribution, success_drivers
from dyadsim.trials.draws import describe_set, draw_values, record, trial_draws
from dyadsim.trials.interim import sequential_summary
from dyadsim.trials.plan import estimate_mediation, estimate_outcomes
from dyadsim.trials.power import REPLICATE_COLUMNS, power_tasks, required_sizes, run_power_task, summarize_power
from dyadsim.trials.simulate import Pools, TrialData, build_pools, draw_trial, true_effects, true_paths
from dyadsim.trials.trial_subgroups import subgroup_estimates


@dataclass
class TrialResult:
    """One simulated trial and its analysis."""

    trial: Trial
    data: TrialData
    by_arm: pd.DataFrame
    estimates: pd.DataFrame
    mediation: pd.DataFrame
    truth: pd.DataFrame
    true_paths: pd.DataFrame
    seed: int
    parameters: dict[str, Any] = field(default_factory=lambda: {"source": "point"})
    """The parameter set the trial ran on (:func:`dyadsim.trials.draws.record`, with ``described``)."""
    subgroups: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The primary outcome by pre-specified subgroup (:func:`dyadsim.trials.trial_subgroups.subgroup_estimates`)."""


def _say(progress: bool) -> Any:
    return (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress else None


def by_arm(trial: Trial, td: TrialData) -> pd.DataFrame:
    """Observed outcomes by arm: n analysed, mean and SD (share for binary; events for survival)."""
    rows = []
    p = td.participants
    for o in trial.outcomes:
        for a, arm in enumerate(trial.arms):
            g = p[p["arm"] == a]
            if f"{o.name}_event" in p.columns:
                rows.append({"outcome": o.name, "arm": arm.name, "n": len(g), "mean": np.nan, "sd": np.nan,
                             "events": int(g[f"{o.name}_event"].sum())})
                continue
            v = g[o.name].dropna()
            rows.append({"outcome": o.name, "arm": arm.name, "n": len(v), "mean": float(v.mean()) if len(v) else np.nan,
                         "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan, "events": np.nan})
    return pd.DataFrame(rows)


def simulate_trial(path: str | Path, seed: int | None = None, progress: bool = False,
                   pools: Pools | None = None, parameters: str = "point") -> TrialResult:
    """Simulate and analyse one trial of the file at ``path`` (trial draw seeded by ``seed``,
    default the file's seed), on one parameter set from ``parameters`` (``point``, ``prior`` or
    ``posterior``: :mod:`dyadsim.trials.draws`) chosen for that seed."""
    trial, specs = load_trial(path)
    s = trial.seed if seed is None else seed
    draws = trial_draws(specs, parameters, None if parameters == "point" else 1, s)
    pools = pools or build_pools(trial, specs, _say(progress), draw_values(draws, 0))
    td = draw_trial(pools, trial.n_per_arm, np.random.default_rng([s, trial.n_per_arm, 0]))
    est = estimate_outcomes(trial, td, seed=s)
    truth = true_effects(pools)
    est = est.merge(truth[["outcome", "arm", "difference", "ratio", "odds_ratio", "standardized"]]
                    .rename(columns={"difference": "true_difference", "ratio": "true_ratio",
                                     "odds_ratio": "true_odds_ratio", "standardized": "true_standardized"}),
                    on=["outcome", "arm"], how="left")
    med = estimate_mediation(trial, td, n_boot=trial.analysis.bootstrap, seed=s)
    return TrialResult(trial, td, by_arm(trial, td), est, med, truth, true_paths(pools), s,
                       {**record(draws), "described": describe_set(draws)}, subgroup_estimates(trial, td, seed=s))


def _save_pools(pools: Pools, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, v in enumerate(pools.values):
        v.to_parquet(folder / f"arm{i}.parquet")
    for name, v in pools.cut.items():
        v.to_parquet(folder / f"cut-{name}.parquet")
    pools.baseline.to_parquet(folder / "baseline.parquet")
    np.save(folder / "eligible.npy", pools.eligible)
    (folder / "complete").write_text("ok", encoding="utf-8")  # written last: the pools are whole


def _load_pools(trial: Trial, folder: Path) -> Pools | None:
    if not (folder / "complete").exists():
        return None
    values = [pd.read_parquet(folder / f"arm{i}.parquet") for i in range(len(trial.arms))]
    cut = {p.name: pd.read_parquet(folder / f"cut-{p.name}.parquet") for p in trial.mediation}
    return Pools(trial, [a.name for a in trial.arms], values, pd.read_parquet(folder / "baseline.parquet"),
                 np.load(folder / "eligible.npy", allow_pickle=False), cut)


@dataclass
class PowerResult:
    """A power analysis: per-replicate rows, the curves and the sizes for 80% and 90% power."""

    trial: Trial
    replicates: pd.DataFrame
    summary: pd.DataFrame
    required: pd.DataFrame
    truth: pd.DataFrame
    true_paths: pd.DataFrame
    manifest: dict[str, Any]
    by_draw: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Power per size, target and parameter set (``draw``); empty for point values."""
    truth_by_draw: pd.DataFrame = field(default_factory=pd.DataFrame)
    """True effects per parameter set (``draw``); empty for point values."""
    sequential: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The group-sequential design per size (:func:`dyadsim.trials.interim.sequential_summary`);
    empty without ``interim:``."""
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    """What decides success (:func:`dyadsim.trials.assurance.success_drivers`), tested targets at the
    grid size nearest ``n_per_arm``; empty for point values."""
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The true effects' distribution over the parameter sets; empty for point values."""


def work_folder(out: Path) -> Path:
    """The working folder of a power analysis written to ``out``."""
    return out.parent / f".{out.name}.work"


def run_power(path: str | Path, grid: list[int], reps: int, work: Path, executor: Executor | None = None,
              progress: bool = False, batch: int | None = None, n_boot: int | None = None,
              parameters: str = "point", parameter_draws: int | None = None) -> PowerResult:
    """Power of the trial at ``path`` for every size in ``grid``, ``reps`` replicates each,
    resuming from ``work`` (see the module doc). With ``parameters`` ``prior`` or ``posterior``,
    over ``parameter_draws`` sets with pools each, replicate ``r`` on set ``r mod K``
    (:mod:`dyadsim.trials.draws`): the power is then averaged over the sets (assurance), and
    ``by_draw`` holds the power at each set."""
    from dyadsim.engine.cache import SOURCE_HASH

    started = time.perf_counter()
    trial, specs = load_trial(path)
    if parameters != "point" and parameter_draws is None:  # every set gets at least one replicate
        from dyadsim.config.uncertainty import DEFAULT_DRAWS

        parameter_draws = min(DEFAULT_DRAWS, reps)
    draws = trial_draws(specs, parameters, parameter_draws, trial.seed)
    if draws is not None and len(draws) > reps:
        raise InputError("command line", "--parameter-draws", f"must be at most --reps ({reps}): every parameter "
                         f"set needs at least one replicate trial, got {len(draws)}")
    boot = n_boot if n_boot is not None else trial.analysis.bootstrap
    identity = {"package": "dyadsim", "version": __version__, "source_hash": SOURCE_HASH,
                "trial": trial.model_dump(mode="json"),
                "arms": [{"scenario": s.scenario.model_dump(mode="json"), "parameters": s.params.as_dict(),
                          "population": s.population.model_dump(mode="json")} for s in specs],
                "grid": grid, "reps": reps, "n_boot": boot}
    if draws is not None:  # a point analysis keeps the identity (and working folder) it always had
        identity["parameter_draws"] = draws.manifest()
    claim(work, identity)
    sets = 1 if draws is None else len(draws)
    pools_of: list[Pools] = []
    for j in range(sets):
        folder = work / "pools" if draws is None else work / "pools" / f"d{j:04d}"
        pools = _load_pools(trial, folder)
        if pools is None:
            if progress and draws is not None:
                print(f"parameter set {j + 1} of {sets}: {describe_set(draws, j)}", file=sys.stderr, flush=True)
            pools = build_pools(trial, specs, _say(progress), draw_values(draws, j))
            _save_pools(pools, folder)
        pools_of.append(pools)
    workers = executor.workers if executor is not None else 1
    size = batch or max(1, min(50, reps // max(1, 2 * workers * sets)))
    tasks = []
    for j, pools in enumerate(pools_of):
        mine = [r for r in range(reps) if r % sets == j]
        for key, payload, count in power_tasks(pools, grid, mine, size, boot):
            tasks.append((key if draws is None else f"d{j:04d}-{key}", payload, count))
    run_tasks(work / "parts", tasks, run_power_task, executor, progress, unit="replicate")
    table = pd.concat([pd.read_parquet(work / "parts" / f"{k}.parquet") for k, _, _ in tasks], ignore_index=True)
    table = table.sort_values(["n", "rep"], kind="stable").reset_index(drop=True)[list(REPLICATE_COLUMNS)]
    summary = summarize_power(table)
    table["draw"] = table["rep"] % sets
    by_draw = pd.concat([summarize_power(g.drop(columns="draw")).assign(draw=j) for j, g in table.groupby("draw")],
                        ignore_index=True) if draws is not None else pd.DataFrame()
    truth = pd.concat([true_effects(p).assign(draw=j) for j, p in enumerate(pools_of)], ignore_index=True)
    paths = pd.concat([true_paths(p).assign(draw=j) for j, p in enumerate(pools_of)], ignore_index=True)
    manifest = {"package": "dyadsim", "version": __version__, "trial": trial.model_dump(mode="json"),
                "trial_file": str(path), "grid": grid, "reps": reps, "n_boot": boot, "pool_dyads": trial.pool_dyads,
                "eligible_in_pool": int(np.mean([len(p.eligible) for p in pools_of])), "seed": trial.seed,
                "executor": executor.describe() if executor is not None else "in-process, 1 thread",
                "parameter_draws": record(draws), "elapsed_s": round(time.perf_counter() - started, 3)}
    if draws is None:
        table = table.drop(columns="draw")
    seq = sequential_summary(table, trial) if trial.interim is not None else pd.DataFrame()
    drivers, effects = pd.DataFrame(), pd.DataFrame()
    if draws is not None:  # what decides success, at the grid size nearest the file's
        n_at = min(grid, key=lambda n: (abs(n - trial.n_per_arm), n))
        tested = summary[summary["kind"].isin(["primary", "secondary"])][["target", "kind"]].drop_duplicates()
        parts = [success_drivers(table, draws, t_, k_, n_at) for t_, k_ in tested.itertuples(index=False)]
        drivers = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
            else pd.DataFrame(columns=list(DRIVER_COLUMNS))
        effects = effect_distribution(truth)
    return PowerResult(trial, table, summary, required_sizes(summary, trial), _mean_over_sets(truth),
                       _mean_over_sets(paths), manifest, by_draw, truth if draws is not None else pd.DataFrame(), seq,
                       drivers, effects)


def _mean_over_sets(table: pd.DataFrame) -> pd.DataFrame:
    """True effects averaged over the parameter sets (the set's own where there is one)."""
    if table.empty or table["draw"].nunique() == 1:
        return table.drop(columns="draw").reset_index(drop=True)
    keys = [c for c in table.columns if c != "draw" and not pd.api.types.is_float_dtype(table[c])]
    return table.drop(columns="draw").groupby(keys, sort=False, as_index=False).mean()


def remove_work(work: Path) -> None:
    """Remove a power analysis's working folder once its results are written."""
    shutil.rmtree(work, ignore_errors=True)

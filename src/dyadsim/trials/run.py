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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.version import __version__
from dyadsim.run.sweep import Executor, claim, run_tasks
from dyadsim.trials.design import Trial, load_trial
from dyadsim.trials.plan import estimate_mediation, estimate_outcomes
from dyadsim.trials.power import REPLICATE_COLUMNS, power_tasks, required_sizes, run_power_task, summarize_power
from dyadsim.trials.simulate import Pools, TrialData, build_pools, draw_trial, true_effects, true_paths


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
                   pools: Pools | None = None) -> TrialResult:
    """Simulate and analyse one trial of the file at ``path`` (trial draw seeded by ``seed``,
    default the file's seed)."""
    trial, specs = load_trial(path)
    pools = pools or build_pools(trial, specs, _say(progress))
    s = trial.seed if seed is None else seed
    td = draw_trial(pools, trial.n_per_arm, np.random.default_rng([s, trial.n_per_arm, 0]))
    est = estimate_outcomes(trial, td, seed=s)
    truth = true_effects(pools)
    est = est.merge(truth[["outcome", "arm", "difference", "ratio", "odds_ratio", "standardized"]]
                    .rename(columns={"difference": "true_difference", "ratio": "true_ratio",
                                     "odds_ratio": "true_odds_ratio", "standardized": "true_standardized"}),
                    on=["outcome", "arm"], how="left")
    med = estimate_mediation(trial, td, n_boot=trial.analysis.bootstrap, seed=s)
    return TrialResult(trial, td, by_arm(trial, td), est, med, truth, true_paths(pools), s)


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


def work_folder(out: Path) -> Path:
    """The working folder of a power analysis written to ``out``."""
    return out.parent / f".{out.name}.work"


def run_power(path: str | Path, grid: list[int], reps: int, work: Path, executor: Executor | None = None,
              progress: bool = False, batch: int | None = None, n_boot: int | None = None) -> PowerResult:
    """Power of the trial at ``path`` for every size in ``grid``, ``reps`` replicates each,
    resuming from ``work`` (see the module doc)."""
    from dyadsim.engine.cache import SOURCE_HASH

    started = time.perf_counter()
    trial, specs = load_trial(path)
    boot = n_boot if n_boot is not None else trial.analysis.bootstrap
    identity = {"package": "dyadsim", "version": __version__, "source_hash": SOURCE_HASH,
                "trial": trial.model_dump(mode="json"),
                "arms": [{"scenario": s.scenario.model_dump(mode="json"), "parameters": s.params.as_dict(),
                          "population": s.population.model_dump(mode="json")} for s in specs],
                "grid": grid, "reps": reps, "n_boot": boot}
    claim(work, identity)
    pools = _load_pools(trial, work / "pools")
    if pools is None:
        pools = build_pools(trial, specs, _say(progress))
        _save_pools(pools, work / "pools")
    workers = executor.workers if executor is not None else 1
    size = batch or max(1, min(50, reps // max(1, 2 * workers)))
    tasks = power_tasks(pools, grid, reps, size, boot)
    run_tasks(work / "parts", tasks, run_power_task, executor, progress, unit="replicate")
    table = pd.concat([pd.read_parquet(work / "parts" / f"{k}.parquet") for k, _, _ in tasks], ignore_index=True)
    table = table.sort_values(["n", "rep"], kind="stable").reset_index(drop=True)[list(REPLICATE_COLUMNS)]
    summary = summarize_power(table)
    manifest = {"package": "dyadsim", "version": __version__, "trial": trial.model_dump(mode="json"),
                "trial_file": str(path), "grid": grid, "reps": reps, "n_boot": boot, "pool_dyads": trial.pool_dyads,
                "eligible_in_pool": int(len(pools.eligible)), "seed": trial.seed,
                "executor": executor.describe() if executor is not None else "in-process, 1 thread",
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return PowerResult(trial, table, summary, required_sizes(summary, trial), true_effects(pools), true_paths(pools),
                       manifest)


def remove_work(work: Path) -> None:
    """Remove a power analysis's working folder once its results are written."""
    shutil.rmtree(work, ignore_errors=True)

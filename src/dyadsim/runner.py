"""Run a scenario: replicates over seeds, tables, summary with 95% intervals."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .engine import layout
from .engine.run import SimOutput, simulate
from .params import ParamSet
from .population import PopulationSpec
from .results import aggregates_table, outcomes_table, summarize
from .scenario import Scenario


@dataclass
class RunResult:
    """Everything a scenario run produced (in memory)."""

    scenario: Scenario
    outcomes: pd.DataFrame
    aggregates: pd.DataFrame
    trajectories: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)


def trajectories_table(out: SimOutput, replicate: int = 0) -> pd.DataFrame:
    """Long table of the sampled daily trajectories: one row per dyad and simulation day."""
    tr = out.trajectories
    if tr.shape[0] == 0:
        return pd.DataFrame(columns=["replicate", "dyad_id", "day", *layout.TRAJECTORY_STATES])
    k, t, _ = tr.shape
    flat = tr.reshape(k * t, -1)
    keep = ~np.isnan(flat[:, 0])
    df = pd.DataFrame(flat[keep], columns=list(layout.TRAJECTORY_STATES))
    df.insert(0, "day", np.tile(np.arange(t), k)[keep])
    df.insert(0, "dyad_id", np.repeat(out.traj_ids.astype(np.int64), t)[keep])
    df.insert(0, "replicate", replicate)
    return df


def run_scenario(scn: Scenario, params: ParamSet, spec: PopulationSpec, *, dyads: int | None = None,
                 seed: int | None = None, replicates: int | None = None, progress: bool | None = None) -> RunResult:
    """Simulate every replicate of a scenario and summarise.

    Replicate ``r`` uses seed ``seed + r`` on the same dyad ids, so two scenarios run with the
    same seed share their random numbers (common random numbers) replicate by replicate.
    """
    n = dyads if dyads is not None else scn.cohort.dyads
    base_seed = seed if seed is not None else scn.cohort.seed
    reps = replicates if replicates is not None else scn.cohort.replicates
    if n < 1:
        raise ValueError(f"dyads must be at least 1, got {n}")
    if reps < 1:
        raise ValueError(f"replicates must be at least 1, got {reps}")
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    bar = tqdm(total=n * reps, unit="dyad", desc=scn.name, disable=not show, file=sys.stderr)
    setting = scn.care.nows_setting
    outs, aggs, trajs = [], [], []
    started = time.perf_counter()
    for r in range(reps):
        o = simulate(params, n, base_seed + r, spec, engine=scn.engine.kind, threads=scn.engine.threads,
                     block_size=scn.engine.block_size, trajectory_sample=scn.output.trajectory_sample if r == 0 else 0,
                     progress=bar.update)
        outs.append(outcomes_table(o, setting, replicate=r))
        aggs.append(aggregates_table(o, replicate=r))
        if r == 0:
            trajs.append(trajectories_table(o, r))
    bar.close()
    outcomes = pd.concat(outs, ignore_index=True)
    result = RunResult(scenario=scn, outcomes=outcomes, aggregates=pd.concat(aggs, ignore_index=True),
                       trajectories=trajs[0], summary=summarize(outcomes))
    result.manifest = {
        "package": "dyadsim", "version": __version__, "scenario": scn.model_dump(mode="json"),
        "scenario_hash": scn.hash(), "seed": base_seed, "replicate_seeds": [base_seed + r for r in range(reps)],
        "dyads": n, "replicates": reps, "engine": scn.engine.kind,
        "parameters": params.as_dict(), "population": spec.model_dump(mode="json"),
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    return result

"""Run a cohort: draw baselines, initialise modules, run blocks on a thread pool, gather outputs.

Dyads are split into blocks of a fixed size; each block is independent (its own baseline draws
from the counter-based generator, its own aggregate array), so results do not depend on the
number of threads, and per-dyad results do not depend on the block size either.
"""
from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from dyadsim.core import rng
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec, baseline_states, draw_baseline, load_spec
from dyadsim.core.registry import PARAMS, STREAMS
from dyadsim.model.modules import n_states, settle, settle_functions
from dyadsim.model.states import S
from dyadsim.engine import layout
from dyadsim.engine.access import init_order
from dyadsim.engine.kinds import ENGINES, Engine

@dataclass
class SimOutput:
    """Raw outputs of one cohort run (one seed).

    Attributes:
        ids: (n,) dyad ids.
        final: (n, n_states) float32 final states (baseline covariates, event days, classes, scores).
        monthly: (n, len(layout.MONTHLY), months) float32 sums by postpartum month.
        pregnancy: (n, len(layout.PREGNANCY), 3) float32 sums by trimester.
        aggregates: (300 + horizon, len(layout.AGGREGATES)) int64 daily cohort sums (fixed point
            for continuous measures, see layout.FIXED_POINT).
        trajectories: (n_sampled, t_max, len(layout.TRAJECTORY_STATES)) float32, NaN after follow-up.
        traj_ids: ids of the sampled dyads.
        seed: run seed. horizon_days: follow-up after birth.
    """

    ids: np.ndarray
    final: np.ndarray
    monthly: np.ndarray
    pregnancy: np.ndarray
    aggregates: np.ndarray
    trajectories: np.ndarray
    traj_ids: np.ndarray
    seed: int
    horizon_days: int
    meta: dict[str, float] = field(default_factory=dict)


@functools.cache
def compiled_settle() -> tuple[Callable[..., None], ...]:
    """The modules' settle functions compiled by Numba (cached on disk with the engines): a round
    over the few mothers still settling costs microseconds instead of the interpreter's calls."""
    import numba

    from dyadsim.engine import cache  # noqa: F401  (the cache directory, before anything compiles)

    return tuple(numba.njit(cache=True)(f) for f in settle_functions())


def initial_states(spec: PopulationSpec, p: np.ndarray, seed: int, ids: np.ndarray,
                   w: np.ndarray | None = None) -> np.ndarray:
    """(n_states, n) states at enrolment: baseline draws, every module's ``init``, then the slow
    states settled at their equilibrium with edge strengths ``w`` (:func:`dyadsim.model.modules.settle`;
    the declared strengths if None)."""
    s = baseline_states(draw_baseline(spec, seed, ids), n_states())
    for mod in init_order():
        mod.init(s, p)
    with np.errstate(over="ignore"):
        settle(s, p, ParamSet().link_vector() if w is None else w, compiled_settle())
    return s


def lane_order(state: np.ndarray) -> np.ndarray:
    """Rows of a block in the order lanes take them: longest expected follow-up first.

    Expected follow-up is the time to term plus the (common) horizon, so dyads enrolled earliest
    in pregnancy go first and the lanes left idle at the end of a block hold the shortest ones.
    Order changes no result (each dyad's numbers depend only on its id and day).
    """
    to_term = state[:, S.term_gest_day] - state[:, S.enrol_gest_day]
    return np.argsort(-to_term, kind="stable").astype(np.int64)


def t_max_for(spec: PopulationSpec, horizon_days: int) -> int:
    """Upper bound of days from enrolment to the end of follow-up."""
    enrol_min = getattr(spec.covariates["enrol_week"], "min")
    term_max = getattr(spec.covariates["term_week"], "max")
    return int(np.floor(term_max * 7.0) - np.floor(enrol_min * 7.0)) + horizon_days + 2


def simulate(params: ParamSet, n: int, seed: int, spec: PopulationSpec | None = None, *,
             engine: Engine = "numba", threads: int = 0, block_size: int = 2048,
             trajectory_sample: int = 0, first_id: int = 0,
             progress: Callable[[int], None] | None = None) -> SimOutput:
    """Simulate ``n`` dyads (ids ``first_id .. first_id + n - 1``) for one seed.

    Args:
        params: parameter set (module parameters and edges).
        n: number of dyads (>= 1).
        seed: run seed (stream keys derive from it).
        spec: population (default file if None).
        engine: one of :data:`ENGINES` (results identical for all but ``numba_fast``).
        threads: worker threads (0: all cores).
        block_size: dyads per block (results do not depend on it).
        trajectory_sample: how many dyads (the lowest ids) keep full daily trajectories.
        progress: called with the number of dyads finished after each block.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    spec = spec or load_spec()
    p = params.vector()
    w = params.link_vector()
    horizon = int(round(params.get("pregnancy.horizon_days")))
    # Follow-up is a whole number of days: the kernel and the output arrays use the same value.
    p[list(PARAMS).index("pregnancy.horizon_days")] = float(horizon)
    months = int(np.ceil(horizon / layout.DAYS_PER_MONTH - 1e-9))
    t_max = t_max_for(spec, horizon)
    keys = rng.stream_keys(seed, list(STREAMS))
    ids = np.arange(first_id, first_id + n, dtype=np.uint64)
    final = np.empty((n, n_states()), dtype=np.float32)
    mon = np.zeros((n, len(layout.MONTHLY), months), dtype=np.float32)
    preg = np.zeros((n, len(layout.PREGNANCY), 3), dtype=np.float32)
    n_axis = layout.PREG_AXIS + horizon
    n_traj = min(trajectory_sample, n)
    traj = np.full((n_traj, t_max, len(layout.TRAJECTORY_STATES)), np.nan, dtype=np.float32)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "numpy":
        from dyadsim.engine.reference import simulate_block as block_fn
    else:
        from dyadsim.engine import kernel
        block_fn = {"numba": kernel.simulate_lanes, "numba_fast": kernel.simulate_lanes_fast,
                    "numba_dyad": kernel.simulate_block}[engine]
    lanes = engine in ("numba", "numba_fast")
    starts = list(range(0, n, block_size))
    aggs = [np.zeros((n_axis, len(layout.AGGREGATES)), dtype=np.int64) for _ in starts]

    def run_block(b: int) -> int:
        lo, hi = starts[b], min(starts[b] + block_size, n)
        bid = ids[lo:hi]
        state = np.ascontiguousarray(initial_states(spec, p, seed, bid, w).T)
        m = np.zeros((hi - lo, len(layout.MONTHLY), months), dtype=np.float64)
        q = np.zeros((hi - lo, len(layout.PREGNANCY), 3), dtype=np.float64)
        rows = np.arange(lo, hi, dtype=np.int64)
        traj_row = np.where(rows < n_traj, rows, -1)
        if lanes:
            block_fn(state, bid, keys, p, w, t_max, m, q, aggs[b], traj, traj_row, layout.TRAJ_IDX,
                     lane_order(state))
        else:
            block_fn(state, bid, keys, p, w, t_max, m, q, aggs[b], traj, traj_row, layout.TRAJ_IDX)
        final[lo:hi] = state
        mon[lo:hi] = m
        preg[lo:hi] = q
        return hi - lo

    workers = threads if threads > 0 else (os.cpu_count() or 1)
    if workers == 1 or len(starts) == 1:
        for b in range(len(starts)):
            done = run_block(b)
            if progress:
                progress(done)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(run_block, range(len(starts))):
                if progress:
                    progress(done)
    agg = np.sum(aggs, axis=0) if aggs else np.zeros((n_axis, len(layout.AGGREGATES)), dtype=np.int64)
    return SimOutput(ids=ids, final=final, monthly=mon, pregnancy=preg, aggregates=agg, trajectories=traj,
                     traj_ids=ids[:n_traj], seed=seed, horizon_days=horizon, meta={"t_max": t_max})


__all__ = ["SimOutput", "simulate", "initial_states", "lane_order", "ENGINES", "S"]

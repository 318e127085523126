"""The compiled engines' block functions: lanes (default, exact or fast) and one dyad at a time.

Both run a block of dyads in one call that releases the GIL (``nogil=True``), so blocks run in
parallel on a thread pool. Each dyad's uniforms come from the counter-based generator in
:mod:`dyadsim.core.rng`, indexed by (stream, dyad, the dyad's day), so results are identical whatever
the block size, lane count or thread count.

* :func:`simulate_lanes` / :func:`simulate_lanes_fast`: the generated lane driver
  (:mod:`dyadsim.engine.codegen`); ``fast`` holds the lanes in float32 and compiles the module
  steps with fastmath (close in law, not bit-identical).
* :func:`simulate_block`: the previous engine, one dyad from enrolment to the end of follow-up
  after another, running the generated scalar steps (kept for comparison: ``numba_dyad``).
"""
from __future__ import annotations

import numba
import numpy as np

from dyadsim.core import rng
from dyadsim.model.states import S
from dyadsim.engine import codegen, layout

# error_model="numpy": division by zero gives inf/nan instead of a per-division Python check
# (2x faster here); inline="always" lets LLVM optimise across module steps. No fastmath, so the
# compiled engines stay bit-identical to the NumPy reference on the same inputs.
_JIT = dict(error_model="numpy", cache=True)
_GEN = codegen.load()
_uniform = numba.njit(rng.uniform, inline="always", **_JIT)
_day_step = _GEN.dyad_day
_record = _GEN.dyad_record  # written out from the declared measures (layout.record_source)
_aggregate_values = numba.njit(layout.aggregate_values, inline="always", **_JIT)
_axis_index = numba.njit(layout.axis_index, inline="always", **_JIT)

_DONE = S.done
_N_COUNT = layout.N_COUNT_AGG
_FP = layout.FIXED_POINT

simulate_lanes = _GEN.simulate_block
"""Lane engine (exact). Same arguments as :func:`simulate_block` plus ``order``, the block rows in
the order lanes take them (longest expected follow-up first)."""
simulate_lanes_fast = _GEN.simulate_block_fast
"""Lane engine in float32 with fastmath step loops (fast mode; never the default for published numbers)."""


@numba.njit(nogil=True, **_JIT)
def simulate_block(state: np.ndarray, ids: np.ndarray, keys: np.ndarray, p: np.ndarray, w: np.ndarray,
                   t_max: int, mon: np.ndarray, preg: np.ndarray, agg: np.ndarray, traj: np.ndarray,
                   traj_row: np.ndarray, traj_idx: np.ndarray) -> None:
    """Run every dyad of a block from enrolment to the end of follow-up, one after another, in place.

    Args:
        state: (n, n_states) float64, initial states; holds the final states on return.
        ids: (n,) uint64 global dyad ids (index of the random streams).
        keys: (n_streams,) uint64 stream keys for the run seed.
        p, w: parameter vector and signed edge strengths.
        t_max: upper bound on days simulated per dyad.
        mon, preg: (n, k, months) and (n, k, 3) accumulators, zero on entry.
        agg: (axis, n_aggregates) int64 daily cohort sums for this block.
        traj: (n_sampled, t_max, n_traj) float32 trajectories (NaN on entry).
        traj_row: (n,) row in ``traj`` of each dyad, -1 when not sampled.
        traj_idx: state indices stored in trajectories.
    """
    n_streams = keys.shape[0]
    u = np.empty(n_streams, dtype=np.float64)
    n_agg = agg.shape[1]
    for i in range(state.shape[0]):
        s = state[i]
        did = ids[i]
        row = traj_row[i]
        for t in range(t_max):
            tt = np.uint64(t)
            tf = float(t)
            # Each module draws its own streams, and only on days its gate is open.
            _day_step(s, p, w, u, keys, did, tt, tf)
            _record(s, tf, i, mon, preg)
            vals = _aggregate_values(s)
            ax = _axis_index(s, tf)
            for k in range(n_agg):
                if k < _N_COUNT:
                    agg[ax, k] += np.int64(vals[k])
                else:
                    agg[ax, k] += np.int64(np.floor(vals[k] * _FP + 0.5))
            if row >= 0:
                for k in range(traj_idx.shape[0]):
                    traj[row, t, k] = s[traj_idx[k]]
            if s[_DONE] > 0.5:
                break

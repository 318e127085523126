"""The fast engine: the modules' steps compiled by Numba, one dyad at a time, day by day.

A block of dyads runs in one call that releases the GIL (``nogil=True``), so blocks run in
parallel on a thread pool. Each dyad's uniforms come from the counter-based generator in
:mod:`dyadsim.rng`, so results are identical whatever the block size or thread count.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
import numpy as np


def _source_hash() -> str:
    """Hash of the package's code and data: compiled kernels inline code from many files, so the
    on-disk Numba cache is kept per version of the whole package, never reused across edits."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    compiled = [root / n for n in ("rng.py", "states.py", "registry.py", "graph.py")]
    compiled += sorted((root / "modules").glob("*.py")) + sorted((root / "engine").glob("*.py"))
    compiled += sorted((root / "data").glob("*.yaml"))
    for f in compiled:
        if f.is_file():
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


if not os.environ.get("NUMBA_CACHE_DIR"):
    numba.config.CACHE_DIR = str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                 / "dyadsim" / f"numba-{_source_hash()}")

from .. import rng
from ..modules import UPDATE_ORDER, gates, make_gated_day_step, stream_ranges
from ..registry import STREAMS
from ..states import S
from . import layout

# error_model="numpy": division by zero gives inf/nan instead of a per-division Python check
# (2x faster here); inline="always" lets LLVM optimise across module steps. No fastmath, so the
# compiled engine stays bit-identical to the NumPy reference on the same inputs.
_JIT = dict(error_model="numpy", cache=True)
_uniform = numba.njit(rng.uniform, inline="always", **_JIT)
_day_step = numba.njit(make_gated_day_step(
    tuple(numba.njit(m.step, inline="always", **_JIT) for m in UPDATE_ORDER),
    tuple(numba.njit(g, inline="always", **_JIT) for g in gates()),
    stream_ranges(list(STREAMS)), _uniform), **_JIT)
_record = numba.njit(layout.record, inline="always", **_JIT)
_aggregate_values = numba.njit(layout.aggregate_values, inline="always", **_JIT)
_axis_index = numba.njit(layout.axis_index, inline="always", **_JIT)

_DONE = S.done
_N_COUNT = layout.N_COUNT_AGG
_FP = layout.FIXED_POINT


@numba.njit(nogil=True, **_JIT)
def simulate_block(state: np.ndarray, ids: np.ndarray, keys: np.ndarray, p: np.ndarray, w: np.ndarray,
                   t_max: int, mon: np.ndarray, preg: np.ndarray, agg: np.ndarray, traj: np.ndarray,
                   traj_row: np.ndarray, traj_idx: np.ndarray) -> None:
    """Run every dyad of a block from enrolment to the end of follow-up, in place.

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

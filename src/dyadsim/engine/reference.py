"""The reference engine: the same module steps run as plain NumPy over a whole block at once.

Slower, but with no compiler in the way: tests check that it agrees with the Numba engine.
Dyads whose follow-up has ended keep stepping (arrays move together) but add nothing to the
records (``followed`` is 0), and their final state is the state on their last day.
"""
from __future__ import annotations

import numpy as np

from .. import rng
from ..modules import UPDATE_ORDER, make_day_step
from ..states import S
from . import layout

_day_step = make_day_step(tuple(m.step for m in UPDATE_ORDER))


def simulate_block(state: np.ndarray, ids: np.ndarray, keys: np.ndarray, p: np.ndarray, w: np.ndarray,
                   t_max: int, mon: np.ndarray, preg: np.ndarray, agg: np.ndarray, traj: np.ndarray,
                   traj_row: np.ndarray, traj_idx: np.ndarray) -> None:
    """Same contract as :func:`dyadsim.engine.kernel.simulate_block`."""
    n = state.shape[0]
    s = np.ascontiguousarray(state.T)
    final = s.copy()
    rows = np.arange(n)
    sampled = np.flatnonzero(traj_row >= 0)
    with np.errstate(over="ignore"):
        for t in range(t_max):
            u = np.stack([rng.uniform(k, ids, np.uint64(t)) for k in keys])
            tf = float(t)
            _day_step(s, p, w, u, tf)
            layout.record(s, tf, rows, mon, preg)
            vals = layout.aggregate_values(s)
            # Finished dyads add zeros; clip their (growing) postpartum day to stay in range.
            ax = np.minimum(layout.axis_index(s, tf), agg.shape[0] - 1)
            for k, v in enumerate(vals):
                if k < layout.N_COUNT_AGG:
                    np.add.at(agg[:, k], ax, v.astype(np.int64))
                else:
                    np.add.at(agg[:, k], ax, np.floor(v * layout.FIXED_POINT + 0.5).astype(np.int64))
            if sampled.size:
                live = s[S.followed, sampled] > 0.5
                traj[traj_row[sampled[live]], t, :] = s[np.ix_(traj_idx, sampled[live])].T
            ending = (s[S.done] > 0.5) & (final[S.done] < 0.5)
            final[:, ending] = s[:, ending]
            if np.all(final[S.done] > 0.5):
                break
    state[:] = final.T

"""Face validity, structure item 11: states stay in their declared ranges at parameter corners.

Sensitivity analysis and calibration sample parameters over their whole declared ranges, so every
state must be bounded by construction for any parameter set in those ranges, and the ranges
themselves must exclude absurd regions. Each corner puts every mechanism parameter and every edge
strength at one end of its range (which end: a fixed-seed coin per name), runs 150 dyads day by day
through the modules' NumPy steps for 560 days (pregnancy, birth and the 12-month assessment), and
checks every state against its declared bounds on every day, and that the mothers' mortality stays
of the order the literature allows (overdose deaths among women with OUD are of the order of 1%
a year; the worst corner gave 5% in 800 days when the test was written).
"""
from __future__ import annotations

import numpy as np
import pytest

from dyadsim.core import rng
from dyadsim.core.registry import PARAMS, STATES, STREAMS
from dyadsim.engine.run import initial_states
from dyadsim.model.graph import EDGE_IDS, GRAPH
from dyadsim.model.modules import UPDATE_ORDER, make_day_step
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.model.states import S

N, DAYS = 150, 560
CORNERS = 8
MAX_DEATH_SHARE = 0.15  # in 560 days, at any corner
_STEP = make_day_step(tuple(m.step for m in UPDATE_ORDER))
_RANGES = {e.id: e.range for e in GRAPH.edges}


def corner(k: int) -> ParamSet:
    """Every mechanism parameter and edge strength at the low or the high end of its range."""
    coin = np.random.default_rng(1000 + k)
    ps = ParamSet()
    for name, prm in PARAMS.items():
        if prm.kind == "mechanism" and prm.low < prm.high:
            ps.set(name, (prm.low, prm.high)[int(coin.integers(2))])
    for e in EDGE_IDS:
        ps.set(f"links.{e}.strength", _RANGES[e][int(coin.integers(2))])
    return ps


def run_corner(ps: ParamSet, seed: int) -> tuple[dict[str, tuple[int, float, float]], np.ndarray]:
    """States outside their bounds (name -> first day, min, max) and the final state matrix."""
    p, w = ps.vector(), ps.link_vector()
    keys = rng.stream_keys(seed, list(STREAMS))
    ids = np.arange(N, dtype=np.uint64)
    s = np.ascontiguousarray(initial_states(load_spec(), p, seed, ids))
    lo = np.array([st.low for st in STATES.values()])[:, None]
    hi = np.array([st.high for st in STATES.values()])[:, None]
    names = list(STATES)
    bad: dict[str, tuple[int, float, float]] = {}
    with np.errstate(over="ignore"):
        for t in range(DAYS):
            u = np.stack([rng.uniform(k, ids, np.uint64(t)) for k in keys])
            _STEP(s, p, w, u, float(t))
            out = (s < lo - 1e-9) | (s > hi + 1e-9) | ~np.isfinite(s)
            for i in np.flatnonzero(out.any(axis=1)):
                v = s[i][out[i]]
                first = bad.get(names[i], (t, np.inf, -np.inf))
                bad[names[i]] = (first[0], min(first[1], float(np.nanmin(v))), max(first[2], float(np.nanmax(v))))
    return bad, s


@pytest.mark.parametrize("k", range(CORNERS))
def test_states_bounded_and_mortality_plausible_at_corners(k: int) -> None:
    bad, s = run_corner(corner(k), seed=3 + k)
    assert not bad, f"corner {k}: states outside their declared bounds (first day, min, max): {bad}"
    born = s[S.born] > 0.5
    assert born.mean() > 0.9, f"corner {k}: only {born.mean():.2f} of infants born by day {DAYS}"
    scored = born & (s[S.pp_day] > 364)
    for d in ("physical", "psychological", "cognitive", "social", "economic"):
        v = s[getattr(S, f"wb_{d}")][scored]
        assert ((v >= 20.0) & (v <= 80.0)).all(), f"corner {k}: wb_{d} outside 20-80: {v.min()}..{v.max()}"
    died = 1.0 - s[S.alive].mean()
    assert died < MAX_DEATH_SHARE, f"corner {k}: {died:.0%} of mothers died in {DAYS} days"

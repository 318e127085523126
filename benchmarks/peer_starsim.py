"""Peer benchmark: one small model as a Starsim module and as a dyadsim lane kernel.

The model (20 states, 5 uniforms and 6 ``exp`` per agent-day: a cue, a craving-like level, a
daily event with a logistic probability, a hazard event, and a relaxing chain of states) is
written once in the dyadsim module format (:func:`step`); the lane kernel is generated from it by
the same code generator the engine uses (:mod:`dyadsim.engine.codegen`). The Starsim version
(``ss.Module`` with ``ss.FloatArr`` states and ``ss.random`` draws) is the same arithmetic in
Starsim's array style. Both run the same number of agents and days on one thread.

Usage: ``.venv/bin/python benchmarks/peer_starsim.py [--agents N] [--days D] [--repeats R]`` (needs the optional
``bench`` extra: ``pip install -e .[bench]``, Starsim 3.7). The last line printed is::

    RESULT ratio_vs_starsim=<dyadsim agent-days/s / starsim agent-days/s>
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time

import numpy as np

N_STATES = 20
N_DRAWS = 5
RATES = (7.0, 5.0, 10.0)  # relaxation times (days)


def step(s, p, w, u, t):  # type: ignore[no-untyped-def]
    """One agent-day of the small model (dyadsim module format: 5 draws, 6 exps)."""
    a = 1.0 / (1.0 + np.exp(-(1.5 * s[0] - s[1] + 0.3 * s[19])))
    s[0] = s[0] + (a - s[0]) / p[0]
    cue = 1.0 * (u[0] < 0.3)
    b = 1.0 / (1.0 + np.exp(-(s[2] + 0.8 * cue - 1.0)))
    s[2] = s[2] + (b - s[2]) / p[1]
    use = 1.0 * (u[1] < 1.0 / (1.0 + np.exp(-(2.0 * s[2] - s[3] - 2.5))))
    s[4] = use
    s[3] = s[3] + (0.8 - 0.3 * s[2] - s[3]) / p[2]
    h = 0.01 * np.exp(0.5 * s[4])
    s[5] = s[5] + 1.0 * (u[2] < 1.0 - np.exp(-h))
    s[6] = 0.95 * s[6] + 0.05 * u[3]
    s[7] = 1.0 / (1.0 + np.exp(-(s[6] - s[0])))
    s[8] = 0.9 * s[8] + 0.1 * s[7]
    s[9] = 0.9 * s[9] + 0.1 * s[8] * u[4]
    s[10] = np.minimum(s[10] + use, 365.0)
    s[11] = 0.99 * s[11] + 0.01 * s[9]
    s[12] = np.maximum(s[12], s[11])
    s[13] = s[13] + cue
    s[14] = 0.8 * s[14] + 0.2 * s[2]
    s[15] = 0.8 * s[15] + 0.2 * s[14]
    s[16] = 0.8 * s[16] + 0.2 * s[15]
    s[17] = s[17] + (s[16] - s[17]) / p[0]
    s[18] = 0.5 * (s[17] + s[3])
    s[19] = s[19] + 0.1 * (s[18] - s[19])


DRIVER = '''

@numba.njit(nogil=True, error_model="numpy")
def run_lanes(state, p, keys, days):
    """All agents, all days: blocks of LANES agents, each advanced day by day in lock-step."""
    n = state.shape[1]
    st = np.zeros(N_STATES * LANES)
    uu = np.zeros(N_DRAWS * LANES)
    tl = np.zeros(LANES)
    did = np.zeros(LANES, dtype=np.uint64)
    tu = np.zeros(LANES, dtype=np.uint64)
    w = np.zeros(1)
    for b0 in range(0, n, LANES):
        m = min(LANES, n - b0)
        for j in range(LANES):
            did[j] = np.uint64(b0 + min(j, m - 1))
            for c in range(N_STATES):
                st[c * LANES + j] = state[c, b0 + min(j, m - 1)]
        for d in range(days):
            for j in range(LANES):
                tu[j] = np.uint64(d)
            for k in range(N_DRAWS):
                key = keys[k]
                for j in range(LANES):
                    uu[k * LANES + j] = _uniform(key, did[j], tu[j])
            lane_step_small(st, p, w, uu, tl)
        for j in range(m):
            for c in range(N_STATES):
                state[c, b0 + j] = st[c * LANES + j]
'''


def make_lane_kernel():  # type: ignore[no-untyped-def]
    """Generate the lane kernel from :func:`step` with the engine's code generator."""
    from dyadsim.engine import codegen
    from dyadsim.engine.lower import Lowerer

    lw = Lowerer().lower(step, {"s": "s", "p": "p", "w": "w", "u": "u", "t": "t"})
    src = ("import numba\nimport numpy as np\nfrom dyadsim.core import rng as _rng\n"
           "from dyadsim.engine.vexp import vexp as _vexp\n"
           f"LANES = {codegen.LANES}\nN_STATES = {N_STATES}\nN_DRAWS = {N_DRAWS}\n"
           "_EXACT = dict(error_model='numpy', nogil=True)\n"
           "_uniform = numba.njit(_rng.uniform, inline='always', error_model='numpy')\n\n"
           + codegen._lane_step("small", lw, "_EXACT") + DRIVER)
    path = os.path.join(tempfile.mkdtemp(prefix="dyadsim-peer-"), "peer_lanes.py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location("peer_lanes", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.run_lanes


def run_dyadsim(n: int, days: int) -> float:
    """Agent-days per second of the generated lane kernel (one thread, compile excluded)."""
    from dyadsim.core import rng

    kernel = make_lane_kernel()
    p = np.array(RATES)
    keys = rng.stream_keys(1, [f"peer{k}" for k in range(N_DRAWS)])
    kernel(np.full((N_STATES, 64), 0.5), p, keys, 2)  # compile
    state = np.full((N_STATES, n), 0.5)
    t0 = time.perf_counter()
    kernel(state, p, keys, days)
    secs = time.perf_counter() - t0
    assert np.isfinite(state).all()
    return n * days / secs


def run_starsim(n: int, days: int) -> float:
    """Agent-days per second of the same model as a Starsim module (one thread)."""
    import starsim as ss

    class Small(ss.Module):
        """The small model in Starsim's array style."""

        def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(**kwargs)
            self.define_states(*[ss.FloatArr(f"x{k}", default=0.5) for k in range(N_STATES)])
            self.r0, self.r1, self.r2, self.r3, self.r4 = (ss.random() for _ in range(N_DRAWS))

        def step(self) -> None:
            x = [getattr(self, f"x{k}") for k in range(N_STATES)]
            uids = self.sim.people.auids
            v = [xi[uids] for xi in x]
            u = [r.rvs(uids) for r in (self.r0, self.r1, self.r2, self.r3, self.r4)]
            a = 1.0 / (1.0 + np.exp(-(1.5 * v[0] - v[1] + 0.3 * v[19])))
            v[0] = v[0] + (a - v[0]) / RATES[0]
            cue = 1.0 * (u[0] < 0.3)
            b = 1.0 / (1.0 + np.exp(-(v[2] + 0.8 * cue - 1.0)))
            v[2] = v[2] + (b - v[2]) / RATES[1]
            use = 1.0 * (u[1] < 1.0 / (1.0 + np.exp(-(2.0 * v[2] - v[3] - 2.5))))
            v[4] = use
            v[3] = v[3] + (0.8 - 0.3 * v[2] - v[3]) / RATES[2]
            h = 0.01 * np.exp(0.5 * v[4])
            v[5] = v[5] + 1.0 * (u[2] < 1.0 - np.exp(-h))
            v[6] = 0.95 * v[6] + 0.05 * u[3]
            v[7] = 1.0 / (1.0 + np.exp(-(v[6] - v[0])))
            v[8] = 0.9 * v[8] + 0.1 * v[7]
            v[9] = 0.9 * v[9] + 0.1 * v[8] * u[4]
            v[10] = np.minimum(v[10] + use, 365.0)
            v[11] = 0.99 * v[11] + 0.01 * v[9]
            v[12] = np.maximum(v[12], v[11])
            v[13] = v[13] + cue
            v[14] = 0.8 * v[14] + 0.2 * v[2]
            v[15] = 0.8 * v[15] + 0.2 * v[14]
            v[16] = 0.8 * v[16] + 0.2 * v[15]
            v[17] = v[17] + (v[16] - v[17]) / RATES[0]
            v[18] = 0.5 * (v[17] + v[3])
            v[19] = v[19] + 0.1 * (v[18] - v[19])
            for xi, vi in zip(x, v):
                xi[uids] = vi

    # One step per day (the unit is irrelevant: the module uses no rates); no automatic People
    # results, so Starsim does only the module's work.
    sim = ss.Sim(n_agents=n, modules=Small(), start=0, dur=days, dt=1, rand_seed=1, verbose=0,
                 use_aging=False, people_results=False)
    sim.init()
    t0 = time.perf_counter()
    sim.run()
    secs = time.perf_counter() - t0
    return n * days / secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeats", type=int, default=2, help="alternating repetitions; the best of each is kept")
    args = ap.parse_args()
    try:
        import starsim as ss
    except ImportError:
        raise SystemExit("starsim is not installed: pip install -e '.[bench]' (Starsim 3.7)")
    print(f"small model: {N_STATES} states, {N_DRAWS} uniforms, 6 exp per agent-day; "
          f"{args.agents:,} agents x {args.days} days; starsim {ss.__version__}; one thread")
    # Alternate and keep the best of each, so that load from other processes affects both alike.
    star = dyad = 0.0
    for _ in range(max(args.repeats, 1)):
        star = max(star, run_starsim(args.agents, args.days))
        dyad = max(dyad, run_dyadsim(args.agents, args.days))
    print(f"starsim module:        {star:>14,.0f} agent-days/s")
    print(f"dyadsim lane kernel:   {dyad:>14,.0f} agent-days/s")
    print(f"RESULT ratio_vs_starsim={dyad / star:.2f}")


if __name__ == "__main__":
    main()

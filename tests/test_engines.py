"""The engines agree: lanes (default), one dyad at a time and the NumPy reference bit for bit on
the same seed; fast mode in law and in nearly every discrete event; every engine in law across seeds."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dyadsim.engine import layout
from dyadsim.engine.run import ENGINES, simulate
from dyadsim.core.registry import STATES
from dyadsim.run.results import outcomes_table
from dyadsim.model.states import S

N_REF = 400


@pytest.fixture(scope="module")
def lanes_same_seed(default_params, numpy_cohort):
    return simulate(default_params, N_REF, numpy_cohort.seed, engine="numba", threads=2, trajectory_sample=4)


@pytest.fixture(scope="module")
def dyad_same_seed(default_params, numpy_cohort):
    return simulate(default_params, N_REF, numpy_cohort.seed, engine="numba_dyad", threads=2, trajectory_sample=4)


@pytest.fixture(scope="module")
def numba_other_seed(default_params, numpy_cohort):
    return simulate(default_params, N_REF, numpy_cohort.seed + 1, engine="numba", threads=2)


@pytest.mark.parametrize("engine", ["lanes_same_seed", "dyad_same_seed"])
def test_compiled_engines_equal_the_reference_bit_for_bit(numpy_cohort, engine, request):
    """No fastmath, the same vectorisable exp (NumPy twin in the reference): every array identical."""
    out = request.getfixturevalue(engine)
    for name in ("final", "monthly", "pregnancy", "aggregates", "trajectories"):
        a, b = getattr(numpy_cohort, name), getattr(out, name)
        assert a.shape == b.shape, name
        assert np.array_equal(a, b, equal_nan=True), f"{engine}: {name} differs from the NumPy reference"
    assert np.isfinite(out.final).all()
    assert not np.isnan(out.trajectories[:, 0]).any()  # sampled dyads were recorded from day 0


@pytest.mark.parametrize("block_size,threads", [(1, 1), (5, 2), (63, 1), (65, 2), (1000, 1)])
def test_lanes_do_not_depend_on_block_size_or_threads(default_params, lanes_same_seed, block_size, threads):
    """Blocks smaller than, just under and just over the lane count, on 1 or 2 threads."""
    out = simulate(default_params, 130, lanes_same_seed.seed, engine="numba", threads=threads,
                   block_size=block_size, trajectory_sample=4)
    ref = simulate(default_params, 130, lanes_same_seed.seed, engine="numba_dyad", threads=1)
    for name in ("final", "monthly", "pregnancy", "aggregates"):
        assert np.array_equal(getattr(out, name), getattr(ref, name)), name
    assert np.array_equal(out.trajectories, lanes_same_seed.trajectories, equal_nan=True)


def _mean_diff_z(x: pd.Series, y: pd.Series) -> float:
    """z of a difference of two independent means (SE from the per-dyad SDs)."""
    x, y = x.astype(float).dropna(), y.astype(float).dropna()
    se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    d = x.mean() - y.mean()
    return 0.0 if se == 0 and d == 0 else d / se


STATISTICS = {
    "use_days_pp_year": lambda d: d["use_days_pp_year"],
    "use_days_pregnancy": lambda d: d["use_days_pregnancy"],
    "any_pp_use": lambda d: (d["use_days_pp_year"] > 0).astype(float),
    "secure": lambda d: (d["attachment"] == "secure").astype(float),
    "avoidant": lambda d: (d["attachment"] == "avoidant").astype(float),
    "disorganized": lambda d: (d["attachment"] == "disorganized").astype(float),
    "nows_pharm": lambda d: d["nows_pharm"].astype(float),
    "moud_at_delivery": lambda d: d["moud_at_delivery"].astype(float),
    "cps_report": lambda d: d["cps_report"].astype(float),
    "wb_cognitive": lambda d: d["wb_cognitive"],
    "craving_m12": lambda d: d["craving_m12"],
}


@pytest.mark.parametrize("stat", list(STATISTICS))
def test_engines_agree_in_distribution(numpy_cohort, numba_other_seed, stat):
    """NumPy (seed 5) and lanes (seed 6), 400 dyads each: means agree within 4 SE of the difference."""
    fn = STATISTICS[stat]
    x = fn(outcomes_table(numpy_cohort))
    y = fn(outcomes_table(numba_other_seed))
    z = _mean_diff_z(x, y)
    assert abs(z) < 4.0, f"{stat}: numpy {x.mean():.4f} vs numba {y.mean():.4f} (z = {z:.2f})"


# Discrete states: flags, counts, codes, classes and event days (units as declared in states.py).
DISCRETE = [i for i, st in enumerate(STATES.values())
            if st.unit in ("flag", "code", "class", "days") or st.unit.startswith(("day", "count"))]


@pytest.fixture(scope="module")
def fast_and_exact(default_params):
    n, seed = 1500, 21
    exact = simulate(default_params, n, seed, engine="numba", threads=2)
    fast = simulate(default_params, n, seed, engine="numba_fast", threads=2)
    return exact, fast


def test_fast_mode_keeps_discrete_events_in_at_least_99_percent_of_dyads(fast_and_exact):
    exact, fast = fast_and_exact
    assert S.use_today in DISCRETE and S.death_day in DISCRETE and S.attachment in DISCRETE
    same_final = np.all(exact.final[:, DISCRETE] == fast.final[:, DISCRETE], axis=1)
    counts = [layout.M[k] for k in ("followed_days", "alive_days", "use_days", "od_nonfatal", "od_fatal",
                                    "moud_days", "separated_days")]
    same_months = np.all(exact.monthly[:, counts, :] == fast.monthly[:, counts, :], axis=(1, 2))
    tri = [layout.Q[k] for k in ("followed_days", "alive_days", "use_days", "od_nonfatal", "od_fatal", "moud_days")]
    same = same_final & same_months & np.all(exact.pregnancy[:, tri] == fast.pregnancy[:, tri], axis=(1, 2))
    assert same.mean() >= 0.99, f"only {same.mean():.4f} of dyads have identical discrete histories"
    assert not np.array_equal(exact.final, fast.final), "fast mode should not be bit-identical"


@pytest.mark.parametrize("stat", ["use_days_pp_year", "secure", "wb_cognitive", "craving_m12"])
def test_fast_mode_agrees_in_law(fast_and_exact, stat):
    """Same seed and dyads: the means differ by less than a quarter of the standard error of a
    difference of two independent means (float32 rounding shifts continuous outcomes by ~1e-7,
    which a paired test would resolve; a few flipped events move binary means by ~1/n)."""
    exact, fast = fast_and_exact
    x = STATISTICS[stat](outcomes_table(exact)).astype(float).to_numpy()
    y = STATISTICS[stat](outcomes_table(fast)).astype(float).to_numpy()
    assert np.array_equal(np.isfinite(x), np.isfinite(y)), "defined for different dyads"
    both = np.isfinite(x)
    x, y = x[both], y[both]
    se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    assert se > 0, stat
    assert abs(x.mean() - y.mean()) < 0.25 * se, (stat, x.mean(), y.mean(), se)


def test_fast_mode_is_not_exact_but_close(fast_and_exact):
    """float32 and fastmath change rounding: continuous states differ at float32 precision only."""
    exact, fast = fast_and_exact
    cont = [S.craving, S.neg_affect, S.parenting, S.bonding]
    a, b = exact.final[:, cont].astype(np.float64), fast.final[:, cont].astype(np.float64)
    same_events = np.all(exact.final[:, DISCRETE] == fast.final[:, DISCRETE], axis=1)
    assert np.allclose(a[same_events], b[same_events], rtol=1e-4, atol=1e-5)


def test_unknown_engine_and_bad_sizes_rejected(default_params):
    assert ENGINES[0] == "numba"
    with pytest.raises(ValueError, match="engine"):
        simulate(default_params, 5, 1, engine="cuda")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        simulate(default_params, 0, 1)
    with pytest.raises(ValueError):
        simulate(default_params, 5, 1, block_size=0)


def test_fractional_horizon_follows_exactly_the_recorded_days(default_params):
    ps = default_params.copy()
    ps.set("pregnancy.horizon_days", 366.5)
    for engine in ("numpy", "numba"):
        out = simulate(ps, 10, 3, engine=engine, threads=1)
        followed_pp_days = out.monthly[:, layout.M["followed_days"], :].sum(axis=1)
        axis_pp_days = out.aggregates.shape[0] - 300
        assert np.all(followed_pp_days == axis_pp_days), (engine, followed_pp_days, axis_pp_days)


def test_all_exact_engines_agree_with_programmes_and_supports_on():
    """Gates open (programmes, supports): lanes, one dyad at a time and the reference, bit for bit."""
    from pathlib import Path

    from dyadsim.config.scenario import load_scenario

    root = Path(__file__).resolve().parent.parent
    _, ps, pop = load_scenario(root / "examples" / "more_with_supports.yaml")
    ref = simulate(ps, 90, 8, pop, engine="numpy", trajectory_sample=3)
    assert ref.final[:, S.more_sessions].max() > 0, "the programme reached nobody: the test would be vacuous"
    for engine in ("numba", "numba_dyad"):
        out = simulate(ps, 90, 8, pop, engine=engine, threads=2, block_size=40, trajectory_sample=3)
        for name in ("final", "monthly", "pregnancy", "aggregates", "trajectories"):
            assert np.array_equal(getattr(out, name), getattr(ref, name), equal_nan=True), (engine, name)

"""The NumPy reference engine and the Numba engine agree (same seed: identical; other seed: in law)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dyadsim.engine.run import simulate
from dyadsim.results import outcomes_table

N_REF = 400


@pytest.fixture(scope="module")
def numba_same_seed(default_params, numpy_cohort):
    return simulate(default_params, N_REF, numpy_cohort.seed, engine="numba", threads=2, trajectory_sample=4)


@pytest.fixture(scope="module")
def numba_other_seed(default_params, numpy_cohort):
    return simulate(default_params, N_REF, numpy_cohort.seed + 1, engine="numba", threads=2)


def test_same_seed_final_states_agree(numpy_cohort, numba_same_seed):
    a = numpy_cohort.final.astype(np.float64)
    b = numba_same_seed.final.astype(np.float64)
    assert a.shape == b.shape == (N_REF, a.shape[1])
    assert np.isfinite(a).all() and np.isfinite(b).all()
    differ = np.any(np.abs(a - b) > 1e-6, axis=1)
    # No fastmath in the kernel, so they should be bit-identical; allow < 1% of dyads to differ.
    assert differ.mean() < 0.01, f"{differ.sum()} of {N_REF} dyads end in different states"


def test_same_seed_records_agree(numpy_cohort, numba_same_seed):
    for name in ("monthly", "pregnancy"):
        a, b = getattr(numpy_cohort, name), getattr(numba_same_seed, name)
        assert a.shape == b.shape, name
        differ = np.any(np.abs(a - b) > 1e-3, axis=(1, 2))
        assert differ.mean() < 0.01, f"{name}: {differ.sum()} dyads differ"
    agg_a, agg_b = numpy_cohort.aggregates, numba_same_seed.aggregates
    assert agg_a.shape == agg_b.shape
    # Counts (first columns) equal up to the < 1% of dyads allowed to diverge.
    assert np.abs(agg_a[:, :7] - agg_b[:, :7]).sum() <= 0.01 * np.abs(agg_a[:, :7]).sum()


def test_same_seed_trajectories_agree(numpy_cohort, numba_same_seed):
    a, b = numpy_cohort.trajectories, numba_same_seed.trajectories
    assert a.shape == b.shape and a.shape[0] == 4
    assert np.array_equal(np.isnan(a), np.isnan(b)), "trajectories end on different days"
    ok = ~np.isnan(a)
    assert np.allclose(a[ok], b[ok], atol=1e-6)


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
    """NumPy (seed 5) and Numba (seed 6), 400 dyads each: means agree within 4 SE of the difference."""
    fn = STATISTICS[stat]
    x = fn(outcomes_table(numpy_cohort))
    y = fn(outcomes_table(numba_other_seed))
    z = _mean_diff_z(x, y)
    assert abs(z) < 4.0, f"{stat}: numpy {x.mean():.4f} vs numba {y.mean():.4f} (z = {z:.2f})"


def test_unknown_engine_and_bad_sizes_rejected(default_params):
    with pytest.raises(ValueError, match="engine"):
        simulate(default_params, 5, 1, engine="cuda")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        simulate(default_params, 0, 1)
    with pytest.raises(ValueError):
        simulate(default_params, 5, 1, block_size=0)


def test_fractional_horizon_follows_exactly_the_recorded_days(default_params):
    ps = default_params.copy()
    ps.set("pregnancy.horizon_days", 366.5)
    out = simulate(ps, 10, 3, engine="numpy", threads=1)
    followed_pp_days = out.monthly[:, 0, :].sum(axis=1)
    axis_pp_days = out.aggregates.shape[0] - 300
    assert np.all(followed_pp_days == axis_pp_days), (followed_pp_days, axis_pp_days)

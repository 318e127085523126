"""Shared fixtures: default parameters and one small cohort simulated once per test session.

The Numba kernel compiles on first use in a process (~20-30 s, cached on disk afterwards per
version of the package), so every test that needs a simulated cohort should share these fixtures
or run small cohorts of its own after them.
"""
from __future__ import annotations

import numpy as np
import pytest

from dyadsim.engine.run import SimOutput, simulate
from dyadsim.model.params import ParamSet
from dyadsim.run.results import outcomes_table

COHORT_N = 1500
COHORT_SEED = 11
THREADS = 2


@pytest.fixture(scope="session")
def default_params() -> ParamSet:
    """Default parameter set. Shared: tests must ``.copy()`` it before calling ``set``."""
    return ParamSet()


@pytest.fixture(scope="session")
def cohort(default_params: ParamSet) -> SimOutput:
    """1500 dyads, seed 11, Numba engine, default parameters."""
    return simulate(default_params, COHORT_N, COHORT_SEED, engine="numba", threads=THREADS)


@pytest.fixture(scope="session")
def cohort_table(cohort: SimOutput):
    """Outcomes table of :func:`cohort` (one row per dyad)."""
    return outcomes_table(cohort)


@pytest.fixture(scope="session")
def numpy_cohort(default_params: ParamSet) -> SimOutput:
    """400 dyads, seed 5, NumPy reference engine (slow: run once, shared by the engine tests)."""
    return simulate(default_params, 400, 5, engine="numpy", threads=THREADS, block_size=200, trajectory_sample=4)


def _assert_same_output(a: SimOutput, b: SimOutput, *, aggregates: bool = True) -> None:
    """Exact equality of the per-dyad arrays (and the daily aggregates)."""
    assert np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.final, b.final, equal_nan=True), "final states differ"
    assert np.array_equal(a.monthly, b.monthly), "monthly accumulators differ"
    assert np.array_equal(a.pregnancy, b.pregnancy), "trimester accumulators differ"
    if aggregates:
        assert np.array_equal(a.aggregates, b.aggregates), "daily aggregates differ"


@pytest.fixture(scope="session")
def assert_same_output():
    """The exact-equality check of two runs, as a fixture (tests/ is not a package)."""
    return _assert_same_output

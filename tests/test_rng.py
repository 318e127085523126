"""Counter-based random numbers: Numba equals NumPy bitwise, a known-answer check, and moments."""
from __future__ import annotations

import numba
import numpy as np
import pytest

from dyadsim.core import rng

MASK = (1 << 64) - 1


def _py_uniform(key: int, dyad: int, day: int) -> float:
    """Independent pure-Python implementation of the documented mixer (SplitMix64 finaliser twice)."""
    g, m1, m2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
    x = key ^ ((dyad * g) & MASK) ^ ((day * m1) & MASK)
    for _ in range(2):
        x ^= x >> 30
        x = (x * m1) & MASK
        x ^= x >> 27
        x = (x * m2) & MASK
        x ^= x >> 31
        if _ == 0:
            x = (x + g) & MASK
    return (x >> 11) / 9007199254740992.0


@numba.njit(cache=False)
def _fill(key, ids, days, out):  # pragma: no cover - compiled
    for i in range(ids.shape[0]):
        out[i] = _nb_uniform(key, ids[i], days[i])


_nb_uniform = numba.njit(rng.uniform)


def _grid():
    ids = np.array([0, 1, 2, 3, 7, 1000, 123456789, 2**32 + 5, 2**63 - 1, 2**64 - 1], dtype=np.uint64)
    days = np.array([0, 1, 2, 364, 1000], dtype=np.uint64)
    ii, dd = np.meshgrid(ids, days, indexing="ij")
    return ii.ravel(), dd.ravel()


@pytest.mark.parametrize("seed,name", [(0, "use_cycle.use"), (1, "use_cycle.use"), (12345, "nows.signs")])
def test_numba_equals_numpy_bitwise(seed, name):
    key = rng.stream_key(seed, name)
    ids, days = _grid()
    with np.errstate(over="ignore"):
        ref = rng.uniform(key, ids, days)
    out = np.empty(ids.shape[0], dtype=np.float64)
    _fill(key, ids, days, out)
    assert np.array_equal(out.view(np.uint64), ref.view(np.uint64)), "compiled and NumPy uniforms differ"


def test_engine_kernel_uniform_equals_numpy():
    """The compiled uniform the engine actually uses (with its JIT options) matches too."""
    from dyadsim.engine import kernel

    key = rng.stream_key(3, "overdose.fatal")
    ids, days = _grid()
    with np.errstate(over="ignore"):
        ref = rng.uniform(key, ids, days)
    got = np.array([kernel._uniform(key, i, d) for i, d in zip(ids, days)])
    assert np.array_equal(got.view(np.uint64), ref.view(np.uint64))


def test_known_answer_against_pure_python():
    ids, days = _grid()
    for seed, name in ((0, "a"), (7, "use_cycle.cue")):
        key = rng.stream_key(seed, name)
        with np.errstate(over="ignore"):
            got = rng.uniform(key, ids, days)
        want = np.array([_py_uniform(int(key), int(i), int(d)) for i, d in zip(ids, days)])
        assert np.array_equal(got, want)


def test_scalar_and_vector_calls_agree():
    key = rng.stream_key(9, "x")
    ids = np.arange(50, dtype=np.uint64)
    with np.errstate(over="ignore"):
        vec = rng.uniform(key, ids, np.uint64(17))
        sca = np.array([rng.uniform(key, np.uint64(i), np.uint64(17)) for i in range(50)])
    assert np.array_equal(vec, sca)
    assert np.array_equal(rng.uniforms(9, "x", np.arange(50), day=17), vec)


N = 100_000


@pytest.fixture(scope="module")
def draws() -> np.ndarray:
    return rng.uniforms(2024, "test.moments", np.arange(N, dtype=np.uint64), day=3)


def test_values_in_unit_interval(draws):
    assert draws.dtype == np.float64
    assert draws.min() >= 0.0 and draws.max() < 1.0
    # Across days and ids too (a 2-D grid).
    ids = np.arange(500, dtype=np.uint64)
    for day in range(0, 400, 37):
        u = rng.uniforms(1, "grid", ids, day)
        assert u.min() >= 0.0 and u.max() < 1.0


def test_mean_and_variance(draws):
    # SE of the mean: sqrt(1/12 / n); SE of the variance: sqrt(Var[(U-1/2)^2] / n) = sqrt(1/180 / n).
    se_mean = np.sqrt(1.0 / 12.0 / N)
    se_var = np.sqrt(1.0 / 180.0 / N)
    assert abs(draws.mean() - 0.5) < 4 * se_mean, f"mean {draws.mean()} (SE {se_mean:.2e})"
    assert abs(draws.var() - 1.0 / 12.0) < 4 * se_var, f"variance {draws.var()} (SE {se_var:.2e})"


def test_histogram_is_flat(draws):
    # Chi-square on 20 bins, 19 dof: mean 19, SD sqrt(38) ~ 6.2; 19 + 4 SD ~ 44.
    counts, _ = np.histogram(draws, bins=20, range=(0.0, 1.0))
    expected = N / 20
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 19 + 4 * np.sqrt(38), f"chi2 = {chi2:.1f}"


def test_neighbours_uncorrelated(draws):
    """Adjacent ids, adjacent days and two streams: correlations within 4 SE (SE = 1/sqrt(n))."""
    se = 1.0 / np.sqrt(N)
    ids = np.arange(N, dtype=np.uint64)
    next_day = rng.uniforms(2024, "test.moments", ids, day=4)
    other_stream = rng.uniforms(2024, "test.other", ids, day=3)
    other_seed = rng.uniforms(2025, "test.moments", ids, day=3)
    for label, a, b in (("adjacent ids", draws[:-1], draws[1:]), ("adjacent days", draws, next_day),
                        ("streams", draws, other_stream), ("seeds", draws, other_seed)):
        r = np.corrcoef(a, b)[0, 1]
        assert abs(r) < 4 * se, f"{label}: r = {r:.4f}"


def test_normals_moments():
    z = rng.normals(5, "test.normal", np.arange(N))
    assert np.isfinite(z).all()
    se_mean, se_var = 1.0 / np.sqrt(N), np.sqrt(2.0 / N)
    assert abs(z.mean()) < 4 * se_mean, z.mean()
    assert abs(z.var() - 1.0) < 4 * se_var, z.var()
    # Share beyond 1.96: 0.05 with SE sqrt(0.05*0.95/N).
    share = np.mean(np.abs(z) > 1.959964)
    assert abs(share - 0.05) < 4 * np.sqrt(0.05 * 0.95 / N), share


def test_stream_keys_differ_by_name_and_seed():
    names = ["use_cycle.use", "use_cycle.cue", "nows.signs", "a", "b"]
    keys = {(s, n): rng.stream_key(s, n) for s in (0, 1, 2, 10**9) for n in names}
    assert len(set(keys.values())) == len(keys)
    assert all(isinstance(k, np.uint64) for k in keys.values())
    # Deterministic (a hash, not a process-dependent seed).
    assert rng.stream_key(1, "use_cycle.use") == rng.stream_key(1, "use_cycle.use")
    arr = rng.stream_keys(1, names)
    assert arr.dtype == np.uint64 and [int(k) for k in arr] == [int(keys[(1, n)]) for n in names]


def test_different_streams_give_different_numbers():
    ids = np.arange(1000, dtype=np.uint64)
    a = rng.uniforms(1, "use_cycle.use", ids)
    b = rng.uniforms(1, "use_cycle.cue", ids)
    c = rng.uniforms(2, "use_cycle.use", ids)
    assert not np.any(a == b) and not np.any(a == c)

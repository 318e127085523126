"""Group-sequential boundaries, operating characteristics and looks (:mod:`dyadsim.trials.sequential`).

Published boundaries are the Lan-DeMets spending boundaries for two-sided alpha 0.05 in the
convention of the Lan-DeMets program (Reboussin et al. 2000) and the R package ldbounds (each tail
spends alpha/2), as tabulated to three decimals: e.g. three equal looks 3.710, 2.511, 1.993
(O'Brien-Fleming type) and 2.279, 2.295, 2.296 (Pocock type); four equal looks 4.333, 2.963, 2.359,
2.014; five 4.877, 3.357, 2.680, 2.290, 2.031.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import multivariate_normal, norm

from dyadsim.trials import sequential
from dyadsim.trials.sequential import apply_looks, efficacy_boundaries, operating_characteristics, spending

THIRDS = np.array([1 / 3, 2 / 3, 1.0])

PUBLISHED = [
    # (t, kind, boundaries to 3 decimals)
    (THIRDS, "obrien_fleming", [3.710, 2.511, 1.993]),
    (THIRDS, "pocock", [2.279, 2.295, 2.296]),
    ([0.5, 1.0], "obrien_fleming", [2.963, 1.969]),
    ([0.5, 1.0], "pocock", [2.157, 2.201]),
    ([0.25, 0.5, 0.75, 1.0], "obrien_fleming", [4.333, 2.963, 2.359, 2.014]),
    ([0.25, 0.5, 0.75, 1.0], "pocock", [2.368, 2.368, 2.358, 2.350]),
    ([0.2, 0.4, 0.6, 0.8, 1.0], "obrien_fleming", [4.877, 3.357, 2.680, 2.290, 2.031]),
    ([0.3, 0.9, 1.0], "obrien_fleming", [3.929, 2.094, 2.053]),
    ([0.3, 0.9, 1.0], "pocock", [2.312, 2.162, 2.342]),
]


@pytest.mark.parametrize("t, kind, published", PUBLISHED)
def test_boundaries_match_published_tables(t, kind, published):
    # 0.002 covers the three-decimal rounding of the tables (0.0005) with room to spare.
    np.testing.assert_allclose(efficacy_boundaries(t, 0.05, kind), published, atol=0.002)


def test_obrien_fleming_three_equal_looks():
    np.testing.assert_allclose(efficacy_boundaries(THIRDS), [3.710, 2.511, 1.993], atol=0.002)


def test_spending_not_classical_obrien_fleming():
    # The classical O'Brien-Fleming design, c_k = 2.004 / sqrt(t_k) = 3.471, 2.454, 2.004, is not
    # a spending design: it spends more at the first look than the Lan-DeMets function does.
    c = efficacy_boundaries(THIRDS)
    assert c[0] > 3.471 + 0.2


def test_pocock_type_three_equal_looks_nearly_flat():
    c = efficacy_boundaries(THIRDS, kind="pocock")
    np.testing.assert_allclose(c, [2.279, 2.295, 2.296], atol=0.002)
    assert c.max() - c.min() < 0.05
    assert operating_characteristics(THIRDS, c, 0.0)["reject_two_sided"] == pytest.approx(0.05, abs=1e-4)


def test_two_sided_reading_of_obrien_fleming_form():
    # per_tail=False: the form 2 - 2 Phi(z_{1-alpha/2}/sqrt(t)) spent on the two-sided alpha, so the
    # first bound is exactly z_{0.975} sqrt(3); it still spends exactly alpha in total.
    c = efficacy_boundaries(THIRDS, per_tail=False)
    assert c[0] == pytest.approx(norm.isf(0.025) * np.sqrt(3.0), abs=1e-8)
    assert c[0] < efficacy_boundaries(THIRDS)[0] - 0.2
    assert operating_characteristics(THIRDS, c, 0.0)["reject_two_sided"] == pytest.approx(0.05, abs=1e-4)
    # Pocock type is linear in alpha: both readings coincide.
    np.testing.assert_allclose(spending("pocock", THIRDS, 0.05, per_tail=False), spending("pocock", THIRDS, 0.05))


@pytest.mark.parametrize("kind", ["obrien_fleming", "pocock"])
def test_single_look_is_fixed_design(kind):
    np.testing.assert_allclose(efficacy_boundaries([1.0], 0.05, kind), [1.95996], atol=1e-5)
    np.testing.assert_allclose(spending(kind, np.array([1.0]), 0.05), [0.05], rtol=1e-12)


@pytest.mark.parametrize("kind", ["obrien_fleming", "pocock"])
@pytest.mark.parametrize("t", [[0.3, 1.0], [0.15, 0.5, 1.0], [0.1, 0.25, 0.45, 0.8, 1.0]])
def test_type_one_error_is_alpha(t, kind):
    t = np.asarray(t)
    c = efficacy_boundaries(t, 0.05, kind)
    oc = operating_characteristics(t, c, 0.0)
    assert oc["reject_two_sided"] == pytest.approx(0.05, abs=1e-4)
    # Each look spends its share of alpha, not just the total.
    increments = np.diff(np.concatenate([[0.0], spending(kind, t, 0.05)]))
    np.testing.assert_allclose(oc["p_efficacy"] + oc["p_harm"], increments, atol=1e-6)
    # Independent check: 1 - P(|Z_k| < c_k for all k) under the multivariate normal with
    # corr sqrt(t_i / t_j) (Genz's algorithm, seeded; its error is about 1e-5).
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    inside = multivariate_normal(mean=np.zeros(t.size), cov=cov, seed=1).cdf(c, lower_limit=-c)
    assert 1.0 - inside == pytest.approx(0.05, abs=1e-4)


@pytest.mark.parametrize("kind", ["obrien_fleming", "pocock"])
def test_grid_is_converged(kind, monkeypatch):
    # The integration error is far below the 1e-4 wanted: a grid four times finer moves the
    # boundaries by less than 1e-6 (unequal looks, including an early one with a tall bound).
    t = [0.1, 0.25, 0.45, 0.8, 1.0]
    c = efficacy_boundaries(t, 0.05, kind)
    oc = operating_characteristics(t, c, 2.5, futility=[0.0, 0.0, 0.5, 1.0])
    monkeypatch.setattr(sequential, "_STEP", sequential._STEP / 4)
    np.testing.assert_allclose(efficacy_boundaries(t, 0.05, kind), c, atol=1e-6)
    fine = operating_characteristics(t, c, 2.5, futility=[0.0, 0.0, 0.5, 1.0])
    for key in ("p_efficacy", "p_futility", "p_stop"):
        np.testing.assert_allclose(fine[key], oc[key], atol=1e-7)


def _simulate_z(t: np.ndarray, drift: float, n: int, seed: int) -> np.ndarray:
    """Correlated z paths: cumulative sums of independent N(drift dt, dt) increments over sqrt(t)."""
    dt = np.diff(np.concatenate([[0.0], t]))
    rng = np.random.default_rng(seed)
    increments = rng.standard_normal((n, t.size)) * np.sqrt(dt) + drift * dt
    return np.cumsum(increments, axis=1) / np.sqrt(t)


MC_CASES = [
    (THIRDS, "obrien_fleming", 3.0, None),
    (THIRDS, "obrien_fleming", 3.0, [0.0, 0.75]),
    (np.array([0.3, 0.6, 1.0]), "pocock", 1.0, [-0.5, 0.25]),
    (np.array([0.25, 0.5, 0.75, 1.0]), "pocock", 0.0, [-1.0, -0.5, 0.0]),
]


@pytest.mark.parametrize("t, kind, drift, futility", MC_CASES)
def test_operating_characteristics_agree_with_monte_carlo(t, kind, drift, futility):
    n = 200_000
    c = efficacy_boundaries(t, 0.05, kind)
    oc = operating_characteristics(t, c, drift, futility, n_max=300)
    z = _simulate_z(t, drift, n, seed=20240607)
    look, rejected, futile = apply_looks(z, c, None if futility is None else np.asarray(futility))
    z_stop = z[np.arange(n), look]
    k = np.arange(t.size)[:, None]
    at = look[None, :] == k
    mc = {
        "p_efficacy": (at & (rejected & (z_stop > 0))[None, :]).mean(axis=1),
        "p_harm": (at & (rejected & (z_stop < 0))[None, :]).mean(axis=1),
        "p_futility": (at & futile[None, :]).mean(axis=1),
        "p_stop": at.mean(axis=1),
    }
    # Tolerance: 4 Monte Carlo standard errors. For a probability the standard error is
    # sqrt(p (1 - p) / n) at the closed-form p (the simulated count is Binomial(n, p) if the closed
    # form is right; the simulated share would give a zero error for events never drawn); for the
    # expected sample size fraction it is sd / sqrt(n).
    def within(closed: np.ndarray | float, sim: np.ndarray | float) -> bool:
        se = np.sqrt(np.asarray(closed) * (1.0 - np.asarray(closed)) / n)
        return bool(np.all(np.abs(np.asarray(closed) - sim) <= 4.0 * se + 1e-12))

    for key, sim in mc.items():
        assert within(oc[key], sim), (key, oc[key], sim)
    assert within(oc["power"], mc["p_efficacy"].sum())
    assert within(oc["reject_two_sided"], rejected.mean())
    fraction = t[look]
    assert abs(oc["expected_fraction"] - fraction.mean()) <= 4.0 * fraction.std() / np.sqrt(n)
    assert oc["expected_n"] == pytest.approx(300 * oc["expected_fraction"])
    assert oc["p_stop"].sum() == pytest.approx(1.0, abs=1e-9)
    assert oc["p_futility"][-1] == 0.0


def test_futility_lowers_power_and_sample_size_not_boundaries():
    c = efficacy_boundaries(THIRDS)
    plain = operating_characteristics(THIRDS, c, 3.2415)
    fut = operating_characteristics(THIRDS, c, 3.2415, futility=[0.0, 1.0])
    assert fut["power"] < plain["power"]
    assert fut["expected_fraction"] < plain["expected_fraction"]
    assert fut["p_futility"][:2].sum() > 0.0
    # Non-binding: with futility, the type I error falls below alpha (futility stops only remove
    # rejections), so the efficacy boundaries need no change.
    assert operating_characteristics(THIRDS, c, 0.0, futility=[0.0, 1.0])["reject_two_sided"] < 0.05


def test_obrien_fleming_costs_little_power():
    # Fixed design: drift z_{0.975} + z_{0.90} = 3.2415 gives 90% power. Three O'Brien-Fleming-type
    # looks lose little: power at that drift stays in 0.88-0.90, and the drift (sample size) needed
    # for 90% power is only slightly larger (Jennison & Turnbull 2000, ch. 2 and 7).
    fixed = norm.isf(0.025) + norm.isf(0.10)
    c = efficacy_boundaries(THIRDS)
    assert 0.88 < operating_characteristics(THIRDS, c, fixed)["power"] < 0.90
    drift = brentq(lambda d: operating_characteristics(THIRDS, c, d)["power"] - 0.90, fixed, 2 * fixed)
    assert 1.0 < drift / fixed < 1.03
    assert 1.0 < (drift / fixed) ** 2 < 1.03  # maximum sample size inflation


def test_apply_looks_hand_made():
    c = np.array([3.0, 2.5, 2.0])
    f = np.array([0.0, 0.5])
    z = np.array([
        [3.1, 0.0, 0.0],    # efficacy at the first look
        [1.0, 2.6, 0.0],    # efficacy at the second look
        [1.0, 1.0, 2.1],    # efficacy at the final look
        [1.0, 1.0, 1.0],    # runs to the end, no rejection
        [-0.1, 3.0, 3.0],   # futility at the first look, before the later crossing
        [1.0, 0.4, 3.0],    # futility at the second look
        [-3.2, 0.0, 0.0],   # two-sided rejection (harm) at the first look, not futility
        [1.0, 1.0, -1.0],   # no futility at the final look: ends without rejection
        [2.99, 2.49, 1.99], # just inside every bound
    ])
    look, rejected, futile = apply_looks(z, c, f)
    np.testing.assert_array_equal(look, [0, 1, 2, 2, 0, 1, 0, 2, 2])
    np.testing.assert_array_equal(rejected, [1, 1, 1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(futile, [0, 0, 0, 0, 1, 1, 0, 0, 0])
    look, rejected, futile = apply_looks(z, c)
    np.testing.assert_array_equal(look, [0, 1, 2, 2, 1, 2, 0, 2, 2])
    np.testing.assert_array_equal(rejected, [1, 1, 1, 0, 1, 1, 1, 0, 0])
    assert not futile.any()
    # A bound hit exactly counts as a crossing (|z| >= c).
    assert apply_looks(np.array([[2.5, 0.0]]), np.array([2.5, 2.0]))[1][0]


@pytest.mark.parametrize("t, match", [
    ([0.5, 0.5, 1.0], "strictly increasing"),
    ([0.6, 0.3, 1.0], "strictly increasing"),
    ([0.0, 0.5, 1.0], r"\(0, 1\]"),
    ([0.5, 1.2], r"\(0, 1\]"),
    ([0.3, 0.8], "end at 1.0"),
    ([], "non-empty"),
])
def test_bad_t(t, match):
    with pytest.raises(ValueError, match=rf"^t must.*{match}"):
        efficacy_boundaries(t)
    with pytest.raises(ValueError, match=r"^t must"):
        operating_characteristics(t, [2.0] * max(len(t), 1), 1.0)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_bad_alpha(alpha):
    with pytest.raises(ValueError, match=r"^alpha must.*between 0 and 1"):
        efficacy_boundaries(THIRDS, alpha)
    with pytest.raises(ValueError, match=r"^alpha must"):
        spending("pocock", THIRDS, alpha)


def test_bad_kind():
    with pytest.raises(ValueError, match=r"^kind must be one of obrien_fleming, pocock"):
        efficacy_boundaries(THIRDS, kind="haybittle_peto")
    with pytest.raises(ValueError, match=r"^kind must"):
        spending("OBF", THIRDS, 0.05)


def test_bad_futility_length():
    c = efficacy_boundaries(THIRDS)
    with pytest.raises(ValueError, match=r"^futility must have K-1 = 2 entries"):
        operating_characteristics(THIRDS, c, 1.0, futility=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"^futility must have K-1 = 2 entries"):
        apply_looks(np.zeros((4, 3)), c, np.array([0.0]))
    with pytest.raises(ValueError, match=r"^futility must not contain NaN"):
        apply_looks(np.zeros((4, 3)), c, np.array([0.0, np.nan]))


def test_bad_shapes_of_c_and_z():
    with pytest.raises(ValueError, match=r"^c must"):
        operating_characteristics(THIRDS, [2.0, 2.0], 1.0)
    with pytest.raises(ValueError, match=r"^c must"):
        apply_looks(np.zeros((4, 3)), np.array([2.0, 2.0]))
    with pytest.raises(ValueError, match=r"^z must"):
        apply_looks(np.zeros(3), np.array([2.0, 2.0, 2.0]))


def test_classical_boundaries_match_the_published_tables() -> None:
    """O'Brien & Fleming (1979) and Pocock (1977), three equally spaced looks, two-sided 0.05:
    3.471, 2.454, 2.004 and 2.289 at each look (Jennison & Turnbull 2000, Tables 2.1 and 2.3)."""
    from dyadsim.trials.sequential import classical_boundaries

    t = [1 / 3, 2 / 3, 1.0]
    np.testing.assert_allclose(classical_boundaries(t, 0.05, "obrien_fleming"), [3.471, 2.454, 2.004], atol=0.002)
    np.testing.assert_allclose(classical_boundaries(t, 0.05, "pocock"), [2.289] * 3, atol=0.002)
    np.testing.assert_allclose(classical_boundaries([1.0], 0.05, "pocock"), [1.959964], atol=1e-5)

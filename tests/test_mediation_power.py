"""Known-answer test of the mediation power machinery: Table 3 of Fritz & MacKinnon (2007).

Fritz & MacKinnon (2007, Psychol Sci 18:233-239), Table 3, "Empirical estimates of sample sizes
needed for .8 power": data from X ~ N(0, 1), M = aX + e_M, Y = bM + c'X + e_Y with unit error
variances, alpha = .05 two-sided. Columns name (a, b) by size: S = .14, H = .26, M = .39, L = .59.
The values below are the article's, as transcribed beside an independent replication in the
repliSIMS report of Fossum & Montoya (github.com/replisims/fritz-2007, ResultsImage.png, "original
study" panel), with c' = 0:

    test                  SS    HH    MM    LL
    joint significance   530   159    74    36
    percentile bootstrap 558   162    78    36

At the table's N our power must be 0.80 within 3 combined Monte Carlo SEs: ours,
sqrt(0.16 / reps), and the table's own, since its N was searched by simulation. Per the
replication report's account of the article, the single-sample tests used 100,000 replications
(SE 0.0013 in power) and the resampling tests 1,000 (SE 0.0126). The article's bootstrap used
more resamples than our B; the loss of power from finite B is small (see the mediation module).
"""
from __future__ import annotations

import math

import pytest

from dyadsim.trials.mediation import mediation_power

TABLE_SE = {"joint": math.sqrt(0.8 * 0.2 / 100_000), "bootstrap": math.sqrt(0.8 * 0.2 / 1_000)}


@pytest.mark.parametrize(("path", "n"), [(0.14, 530), (0.26, 159), (0.39, 74), (0.59, 36)])
def test_joint_significance_reproduces_table3(path: float, n: int) -> None:
    res = mediation_power(path, path, 0.0, n, reps=4000, method="joint", seed=1)
    tol = 3 * math.sqrt(res.mcse**2 + TABLE_SE["joint"] ** 2)
    assert abs(res.power - 0.80) < tol, (res.power, res.mcse, tol)
    assert res.failures == 0


@pytest.mark.parametrize(("path", "n"), [(0.59, 36), (0.39, 78)])
def test_percentile_bootstrap_reproduces_table3(path: float, n: int) -> None:
    res = mediation_power(path, path, 0.0, n, reps=1000, method="bootstrap", seed=1, n_boot=1000)
    tol = 3 * math.sqrt(res.mcse**2 + TABLE_SE["bootstrap"] ** 2)
    assert abs(res.power - 0.80) < tol, (res.power, res.mcse, tol)


@pytest.mark.parametrize("method", ["joint", "bootstrap"])
def test_mediation_tests_hold_alpha_when_b_is_zero(method: str) -> None:
    """a = .39, b = 0 (no mediation), N = 78: rejection rate at most 0.05 + 3 SE (both tests are
    conservative here; MacKinnon et al. 2002)."""
    res = mediation_power(0.39, 0.0, 0.0, 78, reps=1000, method=method, seed=2, n_boot=500)
    assert res.power < 0.05 + 3 * math.sqrt(0.05 * 0.95 / 1000), res


def test_power_rises_with_n() -> None:
    """Joint significance power at (M, M) over N = 40, 74, 120: increasing, beyond 3 SE each step."""
    powers = [mediation_power(0.39, 0.39, 0.0, n, reps=2000, method="joint", seed=3) for n in (40, 74, 120)]
    for lo, hi in zip(powers, powers[1:]):
        assert hi.power - lo.power > 3 * math.hypot(lo.mcse, hi.mcse)

"""The one interval helper: t over replicates, Wilson for shares, percentiles for parameter draws."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student_t

from dyadsim.core import intervals
from dyadsim.run.summary import SUMMARY, is_share
from dyadsim.run.streaming import summary_from_replicates


def test_wilson_known_values() -> None:
    lo, hi = intervals.wilson(0.5, 100, 1.959964)
    assert (lo, hi) == pytest.approx((0.403832, 0.596168), abs=1e-6)  # 50 of 100 (Agresti & Coull 1998)
    lo, hi = intervals.wilson(0.0, 10, 1.959964)
    assert lo == 0.0 and hi == pytest.approx(3.841459 / (10 + 3.841459), abs=1e-6)
    lo, hi = intervals.wilson(1.0, 10, 1.959964)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(10 / (10 + 3.841459), abs=1e-6)


def test_t_interval_known_values() -> None:
    iv = intervals.interval([1.0, 2.0, 3.0, 4.0])
    half = 3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2  # t(3) 0.975 quantile
    assert (iv.centre, iv.lower, iv.upper) == pytest.approx((2.5, 2.5 - half, 2.5 + half), rel=1e-6)
    assert iv.label == "Monte Carlo 95%"
    one = intervals.interval([3.0], sd=2.0, n=100)  # one replicate: normal from the dyads
    assert (one.lower, one.upper) == pytest.approx((3 - 0.391993, 3 + 0.391993), rel=1e-5)
    assert np.isnan(intervals.interval([3.0]).lower)  # nothing to say without sd and n


def test_shares_stay_in_unit_interval_and_match_t_where_inside() -> None:
    # The case of the old report: two replicates of a share gave 0.860 [0.506, 1.213].
    t_iv = intervals.interval([0.95, 0.77])
    assert t_iv.upper > 1
    w = intervals.interval([0.95, 0.77], share=True)
    assert 0 <= w.lower <= w.centre <= w.upper <= 1
    # Far from the bounds, with many replicates, Wilson with the effective size is the t interval.
    rng = np.random.default_rng(4)
    v = 0.5 + 0.01 * rng.standard_normal(30)
    a, b = intervals.interval(v), intervals.interval(v, share=True)
    assert (b.lower, b.upper) == pytest.approx((a.lower, a.upper), abs=2e-4)
    for _ in range(200):
        reps = int(rng.integers(1, 6))
        vals = rng.beta(0.3, 0.3, size=reps)
        c, lo, hi = intervals.bands(vals, share=True, sd=0.5, n=50)
        assert 0 <= lo <= c <= hi <= 1, vals
    # No spread between replicates at 0: the pooled count bounds the interval, still in [0, 1].
    c, lo, hi = intervals.bands(np.zeros(3), share=True, n=100)
    assert lo == 0 and 0 < hi < 0.02


def test_parameter_kind_is_percentiles() -> None:
    v = np.arange(1.0, 41.0)
    iv = intervals.interval(v, kind="parameter")
    assert (iv.lower, iv.upper) == pytest.approx((np.percentile(v, 2.5), np.percentile(v, 97.5)))
    assert iv.label == "parameter + Monte Carlo 95%"
    assert intervals.kind_of(iv.label) == "parameter"
    with pytest.raises(ValueError, match="monte_carlo"):
        intervals.interval(v, kind="bootstrap")


def test_bands_are_columnwise() -> None:
    v = np.array([[1.0, 10.0], [3.0, 14.0], [2.0, 12.0]])
    c, lo, hi = intervals.bands(v)
    for k in range(2):
        one = intervals.interval(v[:, k])
        assert (c[k], lo[k], hi[k]) == pytest.approx((one.centre, one.lower, one.upper))
    half = student_t.ppf(0.975, 2) * v[:, 0].std(ddof=1) / np.sqrt(3)
    assert hi[0] - c[0] == pytest.approx(half)


def _reps(n_reps: int) -> pd.DataFrame:
    rng = np.random.default_rng(n_reps)
    rows = []
    for r in range(n_reps):
        for label, _ in SUMMARY:
            mean = rng.uniform(0.2, 0.9) if is_share(label) else rng.uniform(0, 50)
            rows.append({"replicate": r, "outcome": label, "mean": mean, "sd": 0.4, "n": 200, "min": 0.0})
    return pd.DataFrame(rows)


def test_summary_names_its_interval_and_warns_below_three_replicates() -> None:
    with pytest.warns(intervals.FewReplicatesWarning, match="2 replicates"):
        s = summary_from_replicates(_reps(2))
    assert set(s["interval"]) == {"Monte Carlo 95%"}
    shares = s[s["outcome"].map(is_share)]
    assert len(shares) >= 10
    assert ((shares["lower"] >= 0) & (shares["upper"] <= 1)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", intervals.FewReplicatesWarning)
        s3 = summary_from_replicates(_reps(3), kind="parameter")
    assert set(s3["interval"]) == {"parameter + Monte Carlo 95%"}
    assert intervals.few_replicates_note(3) is None and "1 replicate " in (intervals.few_replicates_note(1) or "")


def test_compare_uses_the_helper_with_one_replicate() -> None:
    from dyadsim.analysis.compare import _interval
    from dyadsim.run.streaming import Moments

    m = Moments()
    m.add(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    c, lo, hi = _interval(np.array([3.0]), m)
    assert (lo, hi) == pytest.approx((3 - 1.959964 * m.sd / np.sqrt(5), 3 + 1.959964 * m.sd / np.sqrt(5)), rel=1e-6)

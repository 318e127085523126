"""Trial statistics: analysis models against statsmodels and hand computations, error rates,
missing-data bias, failures counted, multiplicity, and the vectorised mediation bootstrap against a
loop over the same resamples.

Statistical checks use fixed seeds; every tolerance is stated in Monte Carlo standard errors (SE).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from dyadsim.trials.analysis import OutcomeSpec, adjust, analyze, analyze_arms, reject
from dyadsim.trials.analysis import _rubin
from dyadsim.trials.mediation import (bootstrap_counts,
    indices_to_counts,
    mediate,
    mediate_batch,
    mediate_serial,
    simulate_mediation)


def _trial(seed: int, n: int = 120, times: tuple[int, ...] = (3,), effect: float = 0.4) -> pd.DataFrame:
    """Small two-arm trial in long format: continuous, binary, count and time-to-event outcomes."""
    rng = np.random.default_rng(seed)
    arm = np.repeat([0, 1], n // 2)
    base = rng.normal(size=n)
    site = rng.choice(["a", "b", "c"], size=n)
    frames = []
    for t in times:
        lin = 0.6 * base + effect * arm
        frames.append(pd.DataFrame({
            "id": np.arange(n), "arm": arm, "time": t, "base": base, "site": site,
            "y": lin + rng.normal(size=n),
            "yb": (rng.random(n) < 1 / (1 + np.exp(-(lin - 0.2)))).astype(float),
            "yc": rng.poisson(np.exp(1.0 + 0.5 * lin)).astype(float),
            "days": rng.integers(20, 31, size=n).astype(float),
            "tt": rng.exponential(np.exp(-0.5 * lin)),
            "ev": (rng.random(n) < 0.85).astype(float),
        }))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- models against statsmodels

def test_linear_ancova_matches_statsmodels_ols_and_hand_effect_size() -> None:
    d = _trial(1)
    spec = OutcomeSpec("y", "y", "linear", time=3, covariates=("base", "site"))
    e = analyze(d, spec)
    x = np.column_stack([np.ones(len(d)), d.arm, d.base, d.site == "b", d.site == "c"]).astype(float)
    ref = sm.OLS(d.y.to_numpy(), x).fit()
    assert e.converged and e.scale == "mean_difference"
    assert e.estimate == pytest.approx(ref.params[1], rel=1e-10)
    assert e.se == pytest.approx(ref.bse[1], rel=1e-10)
    assert e.p_value == pytest.approx(ref.pvalues[1], rel=1e-8)
    lo, hi = ref.conf_int()[1]
    assert (e.ci_low, e.ci_high) == (pytest.approx(lo, rel=1e-10), pytest.approx(hi, rel=1e-10))
    y0, y1 = d.y[d.arm == 0].to_numpy(), d.y[d.arm == 1].to_numpy()
    pooled = math.sqrt((59 * y0.var(ddof=1) + 59 * y1.var(ddof=1)) / 118)
    assert e.effect_size == pytest.approx(ref.params[1] / pooled * (1 - 3 / (4 * 120 - 9)), rel=1e-10)
    assert (e.n_control, e.n_treatment, e.randomized_control) == (60, 60, 60)


def test_logistic_count_survival_match_statsmodels() -> None:
    d = _trial(2)
    x = np.column_stack([np.ones(len(d)), d.arm, d.base]).astype(float)
    e = analyze(d, OutcomeSpec("yb", "yb", "logistic", time=3, covariates=("base",)))
    ref = sm.GLM(d.yb.to_numpy(), x, family=sm.families.Binomial()).fit()
    assert e.estimate == pytest.approx(math.exp(ref.params[1]), rel=1e-7)
    assert e.se == pytest.approx(ref.bse[1], rel=1e-6)
    assert e.effect_size == pytest.approx(ref.params[1] * math.sqrt(3) / math.pi, rel=1e-7)  # Chinn 2000
    assert e.ci_high == pytest.approx(math.exp(ref.params[1] + stats.norm.ppf(0.975) * ref.bse[1]), rel=1e-6)

    e = analyze(d, OutcomeSpec("yc", "yc", "count", time=3, covariates=("base",), exposure="days"))
    ref = sm.GLM(d.yc.to_numpy(), x, family=sm.families.Poisson(), offset=np.log(d.days.to_numpy())).fit(cov_type="HC0")
    assert e.scale == "rate_ratio" and e.estimate == pytest.approx(math.exp(ref.params[1]), rel=1e-7)
    assert e.se == pytest.approx(ref.bse[1], rel=1e-6)

    from statsmodels.duration.hazard_regression import PHReg
    e = analyze(d, OutcomeSpec("tt", "tt", "survival", time=3, covariates=("base",), event="ev", lower_is_better=True))
    ref = PHReg(d.tt.to_numpy(), x[:, 1:], status=d.ev.to_numpy(), ties="efron").fit()
    assert e.scale == "hazard_ratio" and e.estimate == pytest.approx(math.exp(ref.params[0]), rel=1e-6)
    assert e.p_value == pytest.approx(ref.pvalues[0], rel=1e-5)


@pytest.mark.parametrize(("column", "family"), [("y", "gaussian"), ("yb", "binomial"), ("yc", "poisson")])
def test_gee_matches_statsmodels_exchangeable(column: str, family: str) -> None:
    """The vectorised GEE against statsmodels GEE(Exchangeable) on unbalanced clusters (dropout)."""
    d = _trial(3, times=(1, 2, 3))
    d.loc[np.random.default_rng(1).random(len(d)) < 0.2, column] = np.nan
    e = analyze(d, OutcomeSpec(column, column, "gee", covariates=("base",), family=family))
    fam = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(), "poisson": sm.families.Poisson()}
    ref = sm.GEE.from_formula(f"{column} ~ arm + base + C(time)", groups="id", data=d.dropna(subset=[column]),
                              family=fam[family], cov_struct=sm.cov_struct.Exchangeable()).fit(maxiter=100)
    assert e.converged
    assert e.coef == pytest.approx(ref.params["arm"], rel=1e-6)
    assert e.se == pytest.approx(ref.bse["arm"], rel=1e-6)


def test_three_arms_each_against_control() -> None:
    d = _trial(4, n=180)
    d["arm"] = np.tile([0, 1, 2], 60)
    res = analyze_arms(d, OutcomeSpec("y", "y", "linear", time=3, covariates=("base",)))
    x = np.column_stack([np.ones(len(d)), d.arm == 1, d.arm == 2, d.base]).astype(float)
    ref = sm.OLS(d.y.to_numpy(), x).fit()
    assert sorted(res) == [1, 2]
    assert res[2].estimate == pytest.approx(ref.params[2], rel=1e-10)
    assert res[2].n_control == 60 and res[2].n_treatment == 60


def test_ipw_weighted_fit_matches_wls_hc0_with_hand_weights() -> None:
    d = _trial(5)
    rng = np.random.default_rng(0)
    d.loc[rng.random(len(d)) < 1 / (1 + np.exp(-(d.base - 0.5))), "y"] = np.nan
    e = analyze(d, OutcomeSpec("y", "y", "linear", time=3, covariates=("base",), missing="ipw"))
    obs = d.y.notna().to_numpy()
    x = np.column_stack([np.ones(len(d)), d.arm, d.base]).astype(float)
    p = sm.GLM(obs.astype(float), x, family=sm.families.Binomial()).fit().fittedvalues
    share = np.where(d.arm == 1, obs[d.arm == 1].mean(), obs[d.arm == 0].mean())
    w = (share / p)[obs]
    ref = sm.WLS(d.y.to_numpy()[obs], x[obs], weights=w).fit(cov_type="HC0")
    assert e.estimate == pytest.approx(ref.params[1], rel=1e-8)
    assert e.se == pytest.approx(ref.bse[1], rel=1e-8)


def test_rubin_rules_by_hand() -> None:
    q = np.array([[1.0], [1.2], [0.8], [1.1]])
    u = np.array([[0.2], [0.2], [0.2], [0.2]])  # SEs
    qbar, se, nu = _rubin(q, u, math.inf)
    b = np.var([1.0, 1.2, 0.8, 1.1], ddof=1)
    total = 0.04 + 1.25 * b
    assert qbar[0] == pytest.approx(1.025)
    assert se[0] == pytest.approx(math.sqrt(total))
    assert nu[0] == pytest.approx(3 / (1.25 * b / total) ** 2)  # Rubin (1987) degrees of freedom


# ---------------------------------------------------------------- error rates and bias

def test_null_trials_reject_at_alpha() -> None:
    """400 null ANCOVA trials and 200 null logistic trials: rejection rate within 3 SE of 0.05."""
    rng = np.random.default_rng(20)
    hits_lin = hits_log = 0
    for i in range(400):
        n = 60
        base = rng.normal(size=n)
        d = pd.DataFrame({"id": np.arange(n), "arm": np.repeat([0, 1], n // 2), "base": base,
                          "y": 0.5 * base + rng.normal(size=n)})
        hits_lin += analyze(d, OutcomeSpec("y", "y", "linear", covariates=("base",))).p_value < 0.05
        if i < 200:
            d["yb"] = (rng.random(n) < 0.4).astype(float)
            hits_log += analyze(d, OutcomeSpec("yb", "yb", "logistic", covariates=("base",))).p_value < 0.05
    for hits, reps in ((hits_lin, 400), (hits_log, 200)):
        se = math.sqrt(0.05 * 0.95 / reps)
        assert abs(hits / reps - 0.05) < 3 * se, (hits, reps)


def test_mi_and_ipw_reduce_complete_case_bias_under_mar() -> None:
    """Effect modified by a baseline covariate that drives dropout (missing at random given it).

    y = base + arm * (0.5 + base) + e, E[base] = 0, so the average effect is 0.5. Participants with
    high base drop out more, so complete cases estimate the effect among low-base participants
    (about 0.5 + E[base | observed] < 0.5). IPW reweights to the randomized population; MI imputes
    within each arm. 40 trials of 400: each mean estimate within 3 SE of 0.5, complete case beyond.
    """
    rng = np.random.default_rng(7)
    est: dict[str, list[float]] = {"complete_case": [], "ipw": [], "mi": []}
    for _ in range(40):
        n = 400
        arm = np.repeat([0, 1], n // 2)
        base = rng.normal(size=n)
        y = base + arm * (0.5 + base) + rng.normal(size=n)
        y[rng.random(n) > 1 / (1 + np.exp(-(0.5 - 1.5 * base)))] = np.nan
        d = pd.DataFrame({"id": np.arange(n), "arm": arm, "base": base, "y": y})
        for method in est:
            e = analyze(d, OutcomeSpec("y", "y", "linear", covariates=("base",), missing=method, n_imputations=10),
                        seed=int(rng.integers(1 << 30)))
            est[method].append(e.estimate)
    summary = {k: (np.mean(v) - 0.5, np.std(v, ddof=1) / math.sqrt(len(v))) for k, v in est.items()}
    bias_cc, se_cc = summary["complete_case"]
    assert bias_cc < -6 * se_cc, summary
    for method in ("ipw", "mi"):
        bias, se = summary[method]
        assert abs(bias) < 3 * se, (method, summary)
        assert abs(bias) < abs(bias_cc) / 3, (method, summary)


@pytest.mark.parametrize(("model", "column", "family"), [
    ("linear", "y", None), ("logistic", "yb", None), ("count", "yc", None),
    ("gee", "y", "gaussian"), ("gee", "yb", "binomial"), ("gee", "yc", "poisson")])
@pytest.mark.parametrize("missing", ["complete_case", "ipw", "mi"])
def test_every_model_runs_with_every_missing_data_method(model: str, column: str, family: str | None,
                                                         missing: str) -> None:
    """Dropout (MAR on the baseline covariate) handled by every method; the true effect is positive."""
    d = _trial(11, n=160, times=(1, 2) if model == "gee" else (3,), effect=0.6)
    rng = np.random.default_rng(12)
    d.loc[rng.random(len(d)) < 1 / (1 + np.exp(-(d.base - 1.0))), column] = np.nan
    spec = OutcomeSpec(column, column, model, time=None if model == "gee" else 3, covariates=("base", "site"),
                       missing=missing, family=family, n_imputations=5)
    e = analyze(d, spec)
    assert e.converged, e.failure
    assert e.ci_low < e.estimate < e.ci_high and 0 < e.p_value < 1
    assert e.favours_treatment
    if missing == "mi":
        assert (e.n_control, e.n_treatment) == (80, 80)
    else:
        assert e.n_control < 80 or model == "gee"


# ---------------------------------------------------------------- failures counted, not raised

def test_separation_and_no_events_are_counted_not_raised() -> None:
    d = _trial(8)
    d.loc[d.arm == 1, "yb"] = 1.0
    e = analyze(d, OutcomeSpec("yb", "yb", "logistic", time=3))
    assert not e.converged and "separation" in e.failure and math.isnan(e.p_value)
    assert not e.success()
    # Quasi-complete separation on a covariate: statsmodels' warning becomes a failure.
    d = _trial(9)
    d["yb"] = (d.base > 0).astype(float)
    e = analyze(d, OutcomeSpec("yb", "yb", "logistic", time=3, covariates=("base",)))
    assert not e.converged and e.failure
    d = _trial(10)
    d.loc[d.arm == 0, "ev"] = 0.0
    e = analyze(d, OutcomeSpec("tt", "tt", "survival", time=3, event="ev"))
    assert not e.converged and "no events" in e.failure


def test_power_loop_counts_failures() -> None:
    """Tiny trials with a rare binary outcome: some fits fail, none raises, failures are counted."""
    rng = np.random.default_rng(3)
    failures = 0
    for _ in range(60):
        n = 16
        d = pd.DataFrame({"id": np.arange(n), "arm": np.repeat([0, 1], n // 2),
                          "yb": (rng.random(n) < 0.12).astype(float)})
        failures += not analyze(d, OutcomeSpec("yb", "yb", "logistic")).converged
    assert 0 < failures < 60


def test_spec_validation() -> None:
    with pytest.raises(ValueError):
        OutcomeSpec("t", "t", "survival", event="e", missing="mi")
    with pytest.raises(ValueError):
        OutcomeSpec("y", "y", "linear", missing="drop")
    with pytest.raises(ValueError):
        analyze(_trial(1, times=(1, 2)), OutcomeSpec("y", "y", "linear"))  # two rows per id


# ---------------------------------------------------------------- multiplicity

def test_multiplicity_known_vectors() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    assert np.allclose(adjust(p, "bonferroni"), [0.04, 0.16, 0.12, 0.8])
    assert np.allclose(adjust(p, "holm"), [0.04, 0.09, 0.09, 0.2])
    assert np.allclose(adjust(p, "hochberg"), [0.04, 0.08, 0.08, 0.2])
    assert np.allclose(adjust(p, "none"), p)
    # Fixed sequence: the second hypothesis fails, so the third is not tested even though p = 0.001.
    assert np.allclose(adjust([0.01, 0.2, 0.001], "fixed_sequence"), [0.01, 0.2, 0.2])
    assert reject([0.01, 0.2, 0.001], "fixed_sequence").tolist() == [True, False, False]
    assert reject([0.04, 0.03], "hochberg").tolist() == [True, True]
    assert reject([0.04, 0.03], "holm").tolist() == [False, False]
    assert reject([0.01, float("nan")], "none").tolist() == [True, False]


# ---------------------------------------------------------------- mediation

def _loop_reference(x, ms, y, cov, idx, alpha=0.05):
    """Percentile interval of the product of path coefficients, one lstsq per resample."""
    prods = []
    for rows in idx:
        c = [] if cov is None else [cov[rows]]
        xs, mr, yr = x[rows], [m[rows] for m in ms], y[rows]
        one = np.ones(len(rows))
        if len(ms) == 1:
            a = np.linalg.lstsq(np.column_stack([one, xs] + c), mr[0], rcond=None)[0][1]
            b = np.linalg.lstsq(np.column_stack([one, mr[0], xs] + c), yr, rcond=None)[0][1]
            prods.append(a * b)
        else:
            a1 = np.linalg.lstsq(np.column_stack([one, xs] + c), mr[0], rcond=None)[0][1]
            d21 = np.linalg.lstsq(np.column_stack([one, mr[0], xs] + c), mr[1], rcond=None)[0][1]
            b2 = np.linalg.lstsq(np.column_stack([one, mr[1], mr[0], xs] + c), yr, rcond=None)[0][1]
            prods.append(a1 * d21 * b2)
    return np.quantile(prods, [alpha / 2, 1 - alpha / 2])


@pytest.mark.parametrize("serial", [False, True])
@pytest.mark.parametrize("with_cov", [False, True])
def test_vectorised_bootstrap_equals_loop_on_same_resamples(serial: bool, with_cov: bool) -> None:
    rng = np.random.default_rng(4)
    n, b = 40, 200
    x = np.repeat([0.0, 1.0], n // 2)
    cov = rng.normal(size=(n, 2)) if with_cov else None
    m1 = 0.5 * x + rng.normal(size=n)
    m2 = 0.4 * m1 + rng.normal(size=n)
    y = 0.5 * (m2 if serial else m1) + 0.2 * x + rng.normal(size=n)
    ms = [m1, m2] if serial else [m1]
    idx = rng.integers(0, n, size=(1, b, n))
    res = mediate_batch(x, ms, y, cov, counts=indices_to_counts(idx, n))
    lo, hi = _loop_reference(x, ms, y, cov, idx[0])
    assert res.ci_low[0] == pytest.approx(lo, rel=1e-9, abs=1e-12)
    assert res.ci_high[0] == pytest.approx(hi, rel=1e-9, abs=1e-12)
    # Full-sample paths and p values against statsmodels OLS.
    c = [] if cov is None else [cov]
    ref_a = sm.OLS(m1, np.column_stack([np.ones(n), x] + c)).fit()
    first = "a1" if serial else "a"
    assert res.paths[first][0] == pytest.approx(ref_a.params[1], rel=1e-9)
    assert res.p_paths[first][0] == pytest.approx(ref_a.pvalues[1], rel=1e-7)
    last = np.column_stack([np.ones(n), m2, m1, x] + c) if serial else np.column_stack([np.ones(n), m1, x] + c)
    ref_b = sm.OLS(y, last).fit()
    assert res.paths["b2" if serial else "b"][0] == pytest.approx(ref_b.params[1], rel=1e-9)
    assert res.paths["c_prime"][0] == pytest.approx(ref_b.params[3 if serial else 2], rel=1e-9)


def test_bootstrap_counts_reproduce_indices() -> None:
    rng = np.random.default_rng(1)
    counts = bootstrap_counts(rng, 2, 5, 7)
    assert counts.shape == (2, 5, 7) and np.all(counts.sum(axis=2) == 7)
    again = np.random.default_rng(1)
    idx = np.stack([again.integers(0, 7, size=(5, 7), dtype=np.int16) for _ in range(2)])
    assert np.array_equal(counts, indices_to_counts(idx, 7))


def test_mediate_single_and_serial_results() -> None:
    rng = np.random.default_rng(9)
    x, m, y = simulate_mediation(0.6, 0.6, 0.0, 200, 1, rng, "binary")
    res = mediate(x[0], m[0], y[0], n_boot=500, seed=1)
    assert res.converged and res.joint_significant and res.bootstrap_significant
    assert res.ci_low < res.indirect < res.ci_high
    assert res.indirect == pytest.approx(res.a * res.b)
    m2 = 0.5 * m[0] + rng.normal(size=200)
    y2 = 0.5 * m2 + rng.normal(size=200)
    ser = mediate_serial(x[0], m[0], m2, y2, n_boot=500, seed=1)
    assert ser.converged and ser.indirect == pytest.approx(ser.a1 * ser.d21 * ser.b2)
    assert ser.joint_significant == (max(ser.p_a1, ser.p_d21, ser.p_b2) < 0.05)
    # Missing values: complete cases are analysed.
    mm = m[0].copy()
    mm[:10] = np.nan
    assert mediate(x[0], mm, y[0], n_boot=100).n == 190
    # A constant treatment cannot be analysed: a failure, not an exception.
    bad = mediate(np.ones(50), m[0][:50], y[0][:50], n_boot=50)
    assert not bad.converged and bad.failure

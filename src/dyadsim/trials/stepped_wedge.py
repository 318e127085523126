"""Stepped-wedge trials: the roll-out, its Hussey-Hughes analysis and closed-form power.

Design (:class:`dyadsim.trials.cluster_design.SteppedWedge`): I sites, S steps, T = S + 1
periods; ``X[i, j] = 1`` when site i is in intervention in period j. Every site is in control in
the first period; I / S sites, chosen at random, cross at the start of each later period.

Model (Hussey & Hughes 2007, Contemp. Clin. Trials 28:182-191):
``y_ijk = mu + beta_j + theta X_ij + a_i + e_ijk`` with ``a_i ~ N(0, tau2)``, ``e ~ N(0, sigma_e2)``,
fitted by REML (:func:`dyadsim.trials.lmm.fit_random_intercept`) with period indicators.

Closed form (theirs, for known variances): with ``sigma2 = sigma_e2 / m`` the variance of a site-period mean of m
mothers, ``U = sum_ij X_ij``, ``W = sum_j (sum_i X_ij)^2``, ``V = sum_i (sum_j X_ij)^2``,
``Var(theta) = I sigma2 (sigma2 + T tau2) / ((I U - W) sigma2 + (U^2 + I T U - T W - I V) tau2)``
and power ``Phi(|theta| / sqrt(Var) - z_{1 - alpha/2})`` (the other tail is negligible), for known
variances and a normal reference; ``tests/test_stepped_wedge.py`` checks the simulated power of
the fitted model against it on outcomes drawn from the model itself.

In a model-based roll-out (:func:`draw_stepped_wedge`) each site-period enrols fresh mothers of
its site's pool under the site's condition in that period. The mechanistic model has no calendar
time, so its period effects are truly zero (the analysis still estimates them, as it must), and
a site effect on a programme parameter makes the treatment effect vary between sites, which the
Hussey-Hughes model does not carry: the closed form beside the simulated power is then an
approximation, and the simulation is the answer.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dyadsim.trials.clusters import decide, roles
from dyadsim.trials.design import Trial
from dyadsim.trials.icc import variance_components
from dyadsim.trials.lmm import fit_random_intercept
from dyadsim.trials.simulate import _dropouts
from dyadsim.trials.sites import SitePools, SiteTaker, draw_sizes

SW_COLUMNS: tuple[str, ...] = (
    "outcome", "role", "arm", "model", "scale", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted", "reject",
    "icc", "tau2", "sigma2", "sites", "n_control", "n_treatment", "converged", "failure")
"""Columns of a stepped-wedge trial's estimates (one row per outcome; ``icc``, ``tau2`` and
``sigma2`` from the fitted model)."""


def design_matrix(sites: int, steps: int, order: np.ndarray | None = None) -> np.ndarray:
    """``X`` (sites x steps + 1): row i is 1 from the period its site crosses at. ``order``: a
    permutation of the sites (the randomisation); the identity when None."""
    cross = np.repeat(np.arange(1, steps + 1), sites // steps)
    if order is not None:
        cross = cross[order]
    return (np.arange(steps + 1)[None, :] >= cross[:, None]).astype(np.float64)


def hh_variance(x: np.ndarray, sigma_e2: float, tau2: float, m: float) -> float:
    """Hussey & Hughes (2007): variance of the treatment effect for design ``x`` (I x T),
    individual residual variance ``sigma_e2``, between-site variance ``tau2`` and ``m`` mothers per
    site-period."""
    i, t = x.shape
    s2 = sigma_e2 / m
    u = float(x.sum())
    w = float((x.sum(axis=0) ** 2).sum())
    v = float((x.sum(axis=1) ** 2).sum())
    return i * s2 * (s2 + t * tau2) / ((i * u - w) * s2 + (u * u + i * t * u - t * w - i * v) * tau2)


def hh_power(theta: float, variance: float, alpha: float = 0.05) -> float:
    """Power of the two-sided Wald test at level ``alpha``: ``Phi(|theta|/sd - z) + Phi(-|theta|/sd - z)``."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    d = abs(theta) / math.sqrt(variance)
    return float(stats.norm.cdf(d - z) + stats.norm.cdf(-d - z))


def fit_hussey_hughes(y: np.ndarray, site: np.ndarray, period: np.ndarray, treated: np.ndarray,
                      periods: int, covariate: np.ndarray | None = None) -> tuple[float, float, Any]:
    """Treatment effect, its SE and the fit of the Hussey-Hughes model on individual rows."""
    cols = [np.ones(len(y))] + [(period == j).astype(np.float64) for j in range(1, periods)] + \
        [treated.astype(np.float64)] + ([covariate] if covariate is not None else [])
    fit = fit_random_intercept(y, np.column_stack(cols), site)
    k = periods  # the treatment's column: after the intercept and periods - 1 period indicators
    return float(fit.beta[k]), float(math.sqrt(fit.cov[k, k])), fit


def hh_synthetic(x: np.ndarray, m: int, theta: float, tau2: float, sigma_e2: float, period_effects: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Outcomes drawn from the Hussey-Hughes model itself (no simulator dynamics): ``m`` rows per
    site-period of design ``x``."""
    i, t = x.shape
    a = rng.normal(0.0, math.sqrt(tau2), i)
    site = np.repeat(np.arange(i), t * m)
    period = np.tile(np.repeat(np.arange(t), m), i)
    treated = x[site, period]
    y = period_effects[period] + theta * treated + a[site] + rng.normal(0.0, math.sqrt(sigma_e2), len(site))
    return pd.DataFrame({"site": site, "period": period, "treated": treated, "y": y})


def draw_stepped_wedge(sp: SitePools, sites: int, per_period: float, rng: np.random.Generator) -> pd.DataFrame:
    """One model-based stepped-wedge trial (see the module doc): ``site``, ``period``, ``arm``
    (the condition, 0 control), ``base_<outcome>``, ``dropout_month`` and each outcome as observed."""
    trial = sp.trial
    sw = trial.stepped_wedge
    assert sw is not None
    t = sw.steps + 1
    x = design_matrix(sites, sw.steps, rng.permutation(sites))
    picks = rng.integers(0, len(sp.sites), size=sites)
    taker = SiteTaker(sp, rng)
    site_l, period_l, rows_l = [], [], []
    for i in range(sites):
        for j, n in enumerate(draw_sizes(sw.dyads_per_period, per_period, t, rng)):
            rows = taker.take(int(picks[i]), int(n))
            rows_l.append(rows)
            site_l.append(np.full(len(rows), i))
            period_l.append(np.full(len(rows), j))
    site, period, ids = np.concatenate(site_l), np.concatenate(period_l), np.concatenate(rows_l)
    arm = x[site, period].astype(np.int64)
    mat = np.stack([sp.site(int(picks[s])).matrix[a, r] for s, a, r in zip(site, arm, ids)])
    col = {c: mat[:, j] for j, c in enumerate(sp.columns)}
    dropout = _dropouts(col, trial, rng)
    out: dict[str, np.ndarray] = {"site": site, "period": period, "arm": arm, "id": ids, "dropout_month": dropout}
    first = sp.site(0)
    for c in first.baseline.columns:
        if c.startswith("base_"):
            j = first.baseline_index[c]
            out[c] = np.array([sp.site(int(picks[s])).baseline_matrix[r, j] for s, r in zip(site, ids)])
    for o in trial.outcomes:
        out[o.name] = np.where(dropout > o.last_month, col[o.name], np.nan)
    return pd.DataFrame(out)


def analyse_stepped_wedge(trial: Trial, data: pd.DataFrame) -> pd.DataFrame:
    """Every outcome of one stepped-wedge trial by the Hussey-Hughes model (see :data:`SW_COLUMNS`),
    complete cases, the baseline covariate where the outcome asks for it; multiplicity applied."""
    sw = trial.stepped_wedge
    assert sw is not None
    alpha = trial.analysis.alpha
    rows = []
    for role, o in roles(trial):
        cov = f"base_{o.name}" if "baseline" in o.covariates and f"base_{o.name}" in data.columns else None
        keep = data[np.isfinite(data[o.name].to_numpy(np.float64))]
        if cov is not None:
            keep = keep[np.isfinite(keep[cov].to_numpy(np.float64))]
        site = keep["site"].to_numpy()
        n_sites = len(np.unique(site))
        arm = keep["arm"].to_numpy()
        row: dict[str, Any] = {"outcome": o.name, "role": role, "arm": trial.arms[1].name, "model": "hussey_hughes",
                               "scale": "difference", "sites": n_sites, "n_control": int((arm == 0).sum()),
                               "n_treatment": int((arm == 1).sum())}
        try:
            if n_sites < 3 or min(row["n_control"], row["n_treatment"]) < 2:
                raise RuntimeError(f"too few sites or mothers analysed ({n_sites} sites, {len(keep)} mothers)")
            b, se, fit = fit_hussey_hughes(keep[o.name].to_numpy(np.float64), site, keep["period"].to_numpy(),
                                           arm, sw.steps + 1, keep[cov].to_numpy(np.float64) if cov else None)
            if not (math.isfinite(b) and math.isfinite(se) and se > 0):
                raise RuntimeError("non-finite estimate or SE")
            ref = stats.norm if sw.reference == "normal" else stats.t(n_sites - 2)
            q = float(ref.ppf(1 - alpha / 2))
            row.update(estimate=b, ci_low=b - q * se, ci_high=b + q * se, p_value=float(2 * ref.sf(abs(b / se))),
                       icc=fit.icc, tau2=fit.tau2, sigma2=fit.sigma2, converged=True, failure="")
        except (RuntimeError, np.linalg.LinAlgError, ValueError) as exc:
            row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, icc=np.nan, tau2=np.nan,
                       sigma2=np.nan, converged=False, failure=str(exc)[:200])
        rows.append(row)
    return decide(pd.DataFrame(rows), trial)[list(SW_COLUMNS)]


def closed_form_grid(trial: Trial, sp: SitePools, sites: list[int], per_site: list[float],
                     truth: pd.DataFrame) -> pd.DataFrame:
    """The Hussey-Hughes closed-form power at each grid point and outcome, at the pool's own
    variance components (ANOVA within condition over every eligible mother of the pool sites, no
    drop-out: so it ignores drop-out, which the simulation includes) and true difference."""
    sw = trial.stepped_wedge
    assert sw is not None
    arms = len(trial.arms)
    col = sp.col
    rows = []
    for o in trial.tested:
        vals = [(p.matrix[a, p.eligible, col[o.name]], k * arms + a, a) for k, p in enumerate(sp.built)
                for a in range(arms)]
        y = np.concatenate([v for v, _, _ in vals])
        lab = np.concatenate([np.full(len(v), s) for v, s, _ in vals])
        tau2, sigma_e2 = variance_components(y, lab, lab % arms)
        theta = float(truth.loc[truth["outcome"] == o.name, "difference"].iloc[0])
        for s in sites:
            for m in per_site:
                var = hh_variance(design_matrix(s, sw.steps), sigma_e2, max(tau2, 0.0), m)
                rows.append({"target": o.name, "sites": s, "per_site": m, "true_difference": theta,
                             "tau2": tau2, "sigma_e2": sigma_e2, "se": math.sqrt(var),
                             "closed_form_power": hh_power(theta, var, trial.analysis.alpha)})
    return pd.DataFrame(rows)

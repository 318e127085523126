"""Intention-to-treat analysis of one outcome of one randomized trial, and multiplicity adjustment.

``analyze(data, spec)`` fits the model a trial statistician would fit to one outcome, on every
randomized participant with the stated handling of missing outcomes, and returns the treatment
effect against control (arm 0) on the model's scale with its CI, p value and a standardized
effect size. Data: one row per participant and assessment with columns ``id``, ``arm`` (0 control;
1, 2, ... treatments: each is contrasted with control in one model with arm indicators),
``time``, the outcome (NaN when missing, e.g. after dropout) and baseline covariates.

Models (``OutcomeSpec.model``):

* ``linear``: ANCOVA, OLS of the outcome at the primary time on arm and covariates; mean
  difference, t test on n - k degrees of freedom.
* ``logistic``: logistic regression of a 0/1 outcome; odds ratio, Wald z test.
* ``count``: Poisson regression with robust (HC0 sandwich) SEs, optionally with an exposure
  offset; rate ratio. Chosen over the negative binomial because the rate ratio of a Poisson
  quasi-likelihood fit is consistent whatever the overdispersion and the sandwich SE stays
  valid, while the NB dispersion estimate often fails to converge on zero-heavy timeline
  follow-back day counts (Cameron & Trivedi 2013, Regression Analysis of Count Data, ch. 3; the
  robust-Poisson device of Zou 2004, Am J Epidemiol 159:702-706).
* ``survival``: Cox proportional hazards (statsmodels ``PHReg``, Efron ties), time and event
  columns; hazard ratio. Dropout enters as censoring, so only ``complete_case`` applies.
* ``gee``: repeated measures over every row given (pass the post-baseline assessments), GEE
  with exchangeable working correlation and robust SEs (Liang & Zeger 1986), arm + time
  indicators + covariates, fitted by a vectorised implementation that reproduces statsmodels
  ``GEE`` with ``Exchangeable`` (``trials/_gee.py``); family gaussian/binomial/poisson. The arm coefficient is the effect
  averaged over the assessments.

Missing outcomes (``OutcomeSpec.missing``); baseline covariates with NaN are mean-imputed first,
which is valid in randomized trials because covariates are independent of arm (White & Thompson
2005, Stat Med 24:993-1007):

* ``complete_case``: participants observed at the primary time (all observed rows for GEE).
* ``ipw``: inverse-probability-of-observation weights from a logistic model of being observed on
  arm and covariates (per assessment time for GEE), stabilized by the observed share per arm,
  probabilities truncated below at 0.001 to bound the weights; weighted fits with sandwich SEs,
  which ignore the estimation of the weights and so are conservative (Robins, Rotnitzky & Zhao
  1995; Lunceford & Davidian 2004). GEE with IPW uses an independence working correlation
  (statsmodels GLM with cluster-robust SEs), because observation-level weights with a
  non-diagonal working correlation do not give unbiased estimating equations in general.
* ``mi``: multiple imputation, ``n_imputations`` data sets, pooled by Rubin's rules (Rubin 1987)
  with the Barnard & Rubin (1999) degrees of freedom for linear models. Arm and covariates are
  complete, so the missingness is monotone with one incomplete variable and chained equations
  reduce to one imputation model, fitted separately in each arm (and assessment) with the
  covariates as predictors so that their effects may differ by arm (Carpenter & Kenward 2013,
  Multiple Imputation and its Application; Sullivan et al. 2018, Stat Methods Med Res
  27:2610-2626), and drawn from its approximate posterior: Bayesian linear regression for
  continuous outcomes, logistic with normal-approximation coefficient draws for binary,
  predictive mean matching (5 donors) for counts (van Buuren 2018, Flexible Imputation of
  Missing Data, ch. 3). This avoids statsmodels ``MICE``, whose burn-in cycles are wasted on a
  monotone pattern.

Failures (non-convergence, separation, singular designs, no events) never raise: the Estimate
has ``converged=False`` and a ``failure`` reason, so power loops can count them.
"""
from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from dyadsim.trials._gee import GEEFailure, gee_exchangeable

__all__ = ["OutcomeSpec", "Estimate", "analyze", "analyze_arms", "adjust", "reject", "MODELS", "MISSING"]

MODELS = ("linear", "logistic", "count", "survival", "gee")
MISSING = ("complete_case", "ipw", "mi")
_SCALE = {"linear": "mean_difference", "logistic": "odds_ratio", "count": "rate_ratio", "survival": "hazard_ratio"}
_GEE_SCALE = {"gaussian": "mean_difference", "binomial": "odds_ratio", "poisson": "rate_ratio"}


@dataclass(frozen=True)
class OutcomeSpec:
    """One outcome of a trial and how it is analysed.

    Attributes:
        name: label of the outcome in reports.
        column: the outcome column (time to event, in the data's time unit, for ``survival``).
        model: ``linear``, ``logistic``, ``count``, ``survival`` or ``gee``.
        time: primary assessment (a value of the ``time`` column) for non-GEE models; None when
            the data already hold one row per participant.
        covariates: baseline covariate columns (e.g. the outcome at baseline, stratum indicators);
            non-numeric columns enter as indicators.
        missing: ``complete_case``, ``ipw`` or ``mi``.
        lower_is_better: True when a smaller outcome (or ratio < 1) favours treatment.
        event: event indicator column (1 event, 0 censored) for ``survival``.
        family: GEE family, ``gaussian`` (default), ``binomial`` or ``poisson``.
        exposure: column of exposure (e.g. days observed) for ``count``/GEE poisson; log offset.
        n_imputations: m, number of imputed data sets for ``mi``.
        alpha: two-sided level of the CI and test.
    """

    name: str
    column: str
    model: Literal["linear", "logistic", "count", "survival", "gee"]
    time: object | None = None
    covariates: tuple[str, ...] = ()
    missing: Literal["complete_case", "ipw", "mi"] = "complete_case"
    lower_is_better: bool = False
    event: str | None = None
    family: Literal["gaussian", "binomial", "poisson"] | None = None
    exposure: str | None = None
    n_imputations: int = 20
    alpha: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "covariates", tuple(self.covariates))
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, not {self.model!r}")
        if self.missing not in MISSING:
            raise ValueError(f"missing must be one of {MISSING}, not {self.missing!r}")
        if self.model == "survival":
            if self.event is None:
                raise ValueError("a survival outcome needs an event column")
            if self.missing != "complete_case":
                raise ValueError("survival outcomes treat dropout as censoring: missing must be complete_case")
        if self.model == "gee" and (self.family or "gaussian") not in _GEE_SCALE:
            raise ValueError(f"GEE family must be one of {tuple(_GEE_SCALE)}")
        if self.model != "gee" and self.family is not None:
            raise ValueError("family applies to gee only")
        if self.n_imputations < 2:
            raise ValueError("multiple imputation needs at least 2 imputations")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie in (0, 1)")

    @property
    def scale(self) -> str:
        """Scale of the reported effect: mean_difference, odds_ratio, rate_ratio or hazard_ratio."""
        return _GEE_SCALE[self.family or "gaussian"] if self.model == "gee" else _SCALE[self.model]


@dataclass(frozen=True)
class Estimate:
    """Treatment effect of one arm against control (arm 0) on one outcome.

    ``estimate``, ``ci_low``, ``ci_high`` are on the reported scale (a mean difference in the
    outcome's units, or an odds/rate/hazard ratio); ``coef`` and ``se`` are the model coefficient
    and its SE on the linear-predictor scale (log ratio for ratio scales). ``effect_size`` is
    Hedges' g (adjusted mean difference over the pooled within-arm SD of the observed outcome
    values -- every analysed assessment for GEE, the observed ones under ``mi`` -- times the
    small-sample factor 1 - 3 / (4 (n0 + n1) - 9); Hedges 1981) for gaussian models, Chinn's d = ln(OR) * sqrt(3) / pi
    for binary ones (Chinn 2000, Stat Med 19:3127-3131), and NaN for counts and survival
    (``effect_size_kind`` says which). ``n_control``/``n_treatment`` count participants analysed
    (observed; for ``mi`` the randomized, all of whom are analysed); ``randomized_*`` count ids.
    """

    outcome: str
    model: str
    scale: str
    arm: int
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    coef: float
    se: float
    effect_size: float
    effect_size_kind: str
    n_control: int
    n_treatment: int
    randomized_control: int
    randomized_treatment: int
    missing: str
    lower_is_better: bool
    converged: bool
    failure: str | None = None

    @property
    def favours_treatment(self) -> bool:
        """True when the point estimate lies on the side of benefit (given ``lower_is_better``)."""
        return bool(self.coef < 0) if self.lower_is_better else bool(self.coef > 0)

    def success(self, alpha: float | None = None) -> bool:
        """Converged, significant at ``alpha`` (two-sided) and in the direction of benefit."""
        a = 0.05 if alpha is None else alpha
        return bool(self.converged and self.p_value < a and self.favours_treatment)


@dataclass
class _Fit:
    """Arm coefficients (one per treatment arm), their SEs and degrees of freedom (inf: normal)."""

    coef: np.ndarray
    se: np.ndarray
    df: float


class _FitFailure(Exception):
    """A model that did not converge or could not be fitted (counted, never raised to callers)."""


def _warned(func: Callable[[], Any]) -> Any:
    """Run a statsmodels fit; turn its convergence and separation warnings and errors into _FitFailure."""
    from statsmodels.tools.sm_exceptions import (ConvergenceWarning, HessianInversionWarning,
                                                 PerfectSeparationError, PerfectSeparationWarning)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with np.errstate(all="ignore"):
                res = func()
        except (np.linalg.LinAlgError, PerfectSeparationError, ValueError, ZeroDivisionError,
                FloatingPointError, OverflowError) as exc:
            raise _FitFailure(f"{type(exc).__name__}: {exc}") from None
    for w in caught:
        if issubclass(w.category, (ConvergenceWarning, PerfectSeparationWarning, HessianInversionWarning)):
            raise _FitFailure(f"{w.category.__name__}: {str(w.message).splitlines()[0]}")
    if getattr(res, "converged", True) is False:
        raise _FitFailure("did not converge")
    return res


def _ols(y: np.ndarray, x: np.ndarray, w: np.ndarray | None, n_arms: int) -> _Fit:
    """OLS (classical SEs, t on n - k df) or, with weights, WLS with HC0 sandwich SEs."""
    n, k = x.shape
    if n <= k or np.linalg.matrix_rank(x) < k:
        raise _FitFailure("singular design or too few observations")
    if w is None:
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ beta
        inv = np.linalg.inv(x.T @ x)
        cov = inv * (resid @ resid) / (n - k)
    else:
        xtw = x.T * w
        inv = np.linalg.inv(xtw @ x)
        beta = inv @ (xtw @ y)
        score = x * (w * (y - x @ beta))[:, None]
        cov = inv @ (score.T @ score) @ inv
    sl = slice(1, n_arms)
    return _Fit(beta[sl], np.sqrt(np.diag(cov))[sl], float(n - k))


def _fit_model(spec: OutcomeSpec, y: np.ndarray, x: np.ndarray, n_arms: int, *, w: np.ndarray | None = None,
               groups: np.ndarray | None = None, event: np.ndarray | None = None,
               offset: np.ndarray | None = None) -> _Fit:
    """Fit the analysis model on complete rows; x = [1, arm indicators, covariates (, time indicators)]."""
    import statsmodels.api as sm

    sl = slice(1, n_arms)
    model, family = spec.model, spec.family or "gaussian"
    if model == "linear":
        return _ols(y, x, w, n_arms)
    if model == "survival":
        from statsmodels.duration.hazard_regression import PHReg

        res = _warned(lambda: PHReg(y, x[:, 1:], status=event, ties="efron").fit(disp=False))
        return _Fit(np.asarray(res.params)[: n_arms - 1], np.asarray(res.bse)[: n_arms - 1], math.inf)
    fam = {"logistic": sm.families.Binomial(), "count": sm.families.Poisson()}.get(model)
    if model == "gee":
        fam = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(),
               "poisson": sm.families.Poisson()}[family]
        if w is None:
            # Vectorised twin of statsmodels GEE(Exchangeable) (same estimates; tests check it).
            try:
                with np.errstate(all="ignore"):
                    beta, cov, _ = gee_exchangeable(y, x, groups, family, offset)
            except GEEFailure as exc:
                raise _FitFailure(str(exc)) from None
            return _Fit(beta[sl], np.sqrt(np.diag(cov))[sl], math.inf)
        else:
            res = _warned(lambda: sm.GLM(y, x, family=fam, offset=offset, var_weights=w).fit(
                cov_type="cluster", cov_kwds={"groups": groups}))
        df = math.inf
    else:
        robust = w is not None or model == "count"
        res = _warned(lambda: sm.GLM(y, x, family=fam, offset=offset, var_weights=w).fit(
            cov_type="HC0" if robust else "nonrobust"))
        df = math.inf
    return _Fit(np.asarray(res.params)[sl], np.asarray(res.bse)[sl], df)


def _design(frame: pd.DataFrame, arms: list[int], covariates: Sequence[str], time_dummies: bool) -> np.ndarray:
    """[1, arm indicators (arms[1:]), covariates (mean-imputed; categorical as indicators), time indicators]."""
    cols = [np.ones(len(frame))]
    arm = frame["arm"].to_numpy()
    cols += [(arm == a).astype(float) for a in arms[1:]]
    for c in covariates:
        v = frame[c]
        if pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v):
            vals = v.to_numpy(dtype=float)
            # Mean imputation of baseline covariates (White & Thompson 2005).
            vals = np.where(np.isnan(vals), np.nanmean(vals) if np.isfinite(vals).any() else 0.0, vals)
            cols.append(vals)
        else:
            dummies = pd.get_dummies(v.astype("category"), drop_first=True, dtype=float)
            cols += [dummies[d].to_numpy() for d in dummies.columns]
    if time_dummies:
        t = pd.get_dummies(frame["time"].astype("category"), drop_first=True, dtype=float)
        cols += [t[d].to_numpy() for d in t.columns]
    return np.column_stack(cols)


def _pre_checks(spec: OutcomeSpec, y: np.ndarray, arm: np.ndarray, arms: list[int], event: np.ndarray | None) -> None:
    """Detect the degenerate data that make a model fail before fitting it (counted as failures)."""
    family = spec.family or "gaussian"
    for a in arms:
        ya = y[arm == a]
        if ya.size < 2:
            raise _FitFailure(f"fewer than 2 analysed participants in arm {a}")
        if spec.model == "logistic" or (spec.model == "gee" and family == "binomial"):
            if np.all(ya == ya[0]):
                raise _FitFailure(f"separation: outcome is {ya[0]:g} for every participant of arm {a}")
        if (spec.model == "count" or (spec.model == "gee" and family == "poisson")) and np.all(ya == 0):
            raise _FitFailure(f"zero count for every participant of arm {a}")
        if spec.model == "survival" and not np.any(event[arm == a] > 0):
            raise _FitFailure(f"no events in arm {a}")


def _ipw_weights(frame: pd.DataFrame, observed: np.ndarray, arms: list[int], spec: OutcomeSpec) -> np.ndarray:
    """Stabilized inverse-probability-of-observation weights of the observed rows.

    P(observed | arm, covariates) from a logistic model (one per assessment time for GEE);
    weight = P(observed | arm) / P(observed | arm, covariates).
    """
    import statsmodels.api as sm

    weights = np.zeros(len(frame))
    strata = frame["time"].to_numpy() if spec.model == "gee" else np.zeros(len(frame))
    arm = frame["arm"].to_numpy()
    for s in pd.unique(strata):
        rows = strata == s
        r = observed[rows].astype(float)
        if r.all():
            weights[rows] = 1.0
            continue
        x = _design(frame[rows], arms, spec.covariates, False)
        res = _warned(lambda: sm.GLM(r, x, family=sm.families.Binomial()).fit())
        p = np.clip(res.fittedvalues, 1e-3, 1.0)
        share = {a: r[arm[rows] == a].mean() for a in arms}
        weights[rows] = np.array([share[a] for a in arm[rows]]) / p
    return weights[observed]


def _impute(rng: np.random.Generator, spec: OutcomeSpec, frame: pd.DataFrame, y: np.ndarray,
            observed: np.ndarray, arms: list[int]) -> np.ndarray:
    """One completed outcome vector: one imputation model per arm (and assessment), drawn from its posterior."""
    import statsmodels.api as sm

    out = y.copy()
    family = {"linear": "gaussian", "logistic": "binomial", "count": "poisson"}.get(spec.model, spec.family or "gaussian")
    # Impute within each arm (and assessment), so every covariate effect may differ by arm.
    arm = frame["arm"].to_numpy()
    times = frame["time"].to_numpy() if spec.model == "gee" else np.zeros(len(frame))
    x_all = _design(frame, arms, spec.covariates, False)
    x_all = np.delete(x_all, np.s_[1:len(arms)], axis=1)
    if spec.exposure is not None:
        x_all = np.column_stack([x_all, np.log(frame[spec.exposure].to_numpy(dtype=float))])
    for t, a in itertools.product(pd.unique(times), arms):
        rows = (times == t) & (arm == a)
        obs, mis = rows & observed, rows & ~observed
        if not mis.any():
            continue
        xo, xm, yo = x_all[obs], x_all[mis], y[obs]
        # Covariates constant among the observed of this arm (e.g. a stratum level) carry no
        # information for the imputation and would make the model singular: drop them.
        keep = np.r_[True, xo[:, 1:].std(axis=0) > 0]
        xo, xm = xo[:, keep], xm[:, keep]
        k = xo.shape[1]
        if obs.sum() <= k + 1 or np.linalg.matrix_rank(xo) < k:
            raise _FitFailure("imputation model: too few observed outcomes")
        if family == "binomial" and np.all(yo == yo[0]):
            # No variation to model (logistic separation): draw the probability from its
            # Beta posterior under the Jeffreys prior, ignoring covariates.
            prob = rng.beta(yo.sum() + 0.5, len(yo) - yo.sum() + 0.5)
            out[mis] = (rng.random(mis.sum()) < prob).astype(float)
            continue
        if family == "binomial":
            res = _warned(lambda: sm.GLM(yo, xo, family=sm.families.Binomial()).fit())
            beta = rng.multivariate_normal(np.asarray(res.params), np.asarray(res.cov_params()))
            out[mis] = (rng.random(mis.sum()) < 1 / (1 + np.exp(-xm @ beta))).astype(float)
            continue
        # Bayesian linear regression draw (van Buuren 2018, ch. 3): sigma from its scaled inverse
        # chi-square posterior, then beta given sigma.
        inv = np.linalg.inv(xo.T @ xo)
        bhat = inv @ xo.T @ yo
        resid = yo - xo @ bhat
        dof = len(yo) - k
        sigma = math.sqrt(resid @ resid / rng.chisquare(dof))
        beta = bhat + sigma * np.linalg.cholesky(inv) @ rng.standard_normal(k)
        if family == "gaussian":
            out[mis] = xm @ beta + sigma * rng.standard_normal(mis.sum())
        else:
            # Predictive mean matching, type 1: observed yhat with bhat, missing with the draw.
            yhat_o, yhat_m = xo @ bhat, xm @ beta
            order = np.argsort(np.abs(yhat_m[:, None] - yhat_o[None, :]), axis=1)[:, :5]
            pick = order[np.arange(len(yhat_m)), rng.integers(0, order.shape[1], len(yhat_m))]
            out[mis] = yo[pick]
    return out


def _rubin(coefs: np.ndarray, ses: np.ndarray, df_com: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rubin's rules (Rubin 1987) with the Barnard & Rubin (1999) small-sample degrees of freedom."""
    m = coefs.shape[0]
    qbar = coefs.mean(axis=0)
    ubar = (ses**2).mean(axis=0)
    b = coefs.var(axis=0, ddof=1)
    total = ubar + (1 + 1 / m) * b
    lam = np.where(total > 0, (1 + 1 / m) * b / total, 0.0)
    with np.errstate(divide="ignore"):
        nu_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if math.isfinite(df_com):
            nu_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lam)
            nu = 1 / (1 / nu_old + 1 / nu_obs)
        else:
            nu = nu_old
    return qbar, np.sqrt(total), nu


def analyze_arms(data: pd.DataFrame, spec: OutcomeSpec, *, seed: int | np.random.Generator = 0) -> dict[int, Estimate]:
    """Every treatment arm against control (arm 0), from one model with arm indicators.

    ``seed`` drives the imputations of ``mi`` (other methods are deterministic). Raises
    ValueError for malformed data (missing columns, no control arm, duplicated ids at the primary
    time); model failures are returned as Estimates with ``converged=False``.
    """
    needed = ["id", "arm", spec.column, *spec.covariates] + ([spec.event] if spec.event else [])
    needed += ["time"] if spec.model == "gee" or spec.time is not None else []
    needed += [spec.exposure] if spec.exposure else []
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise ValueError(f"data lack columns {absent}")
    frame = data
    if spec.model != "gee" and spec.time is not None:
        frame = data[data["time"] == spec.time]
    if spec.model != "gee" and frame["id"].duplicated().any():
        raise ValueError("non-GEE models need one row per participant at the primary time (set spec.time)")
    frame = frame.reset_index(drop=True)
    arms = sorted(int(a) for a in pd.unique(frame["arm"]))
    if not arms or arms[0] != 0 or len(arms) < 2:
        raise ValueError("data need a control arm 0 and at least one treatment arm")
    n_arms = len(arms)
    arm = frame["arm"].to_numpy()
    groups = frame["id"].to_numpy()
    randomized = {a: int(np.unique(groups[arm == a]).size) for a in arms}
    y = frame[spec.column].to_numpy(dtype=float)
    event = frame[spec.event].to_numpy(dtype=float) if spec.event else None
    offset = np.log(frame[spec.exposure].to_numpy(dtype=float)) if spec.exposure else None
    observed = np.isfinite(y) & (np.isfinite(event) if event is not None else True)
    observed &= np.isfinite(offset) if offset is not None else True
    x = _design(frame, arms, spec.covariates, spec.model == "gee")
    analysed = {a: int(np.unique(groups[observed & (arm == a)]).size) for a in arms}
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def sub(v: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
        return None if v is None else v[rows]

    try:
        if spec.missing == "mi":
            analysed = dict(randomized)
            fits = []
            for _ in range(spec.n_imputations):
                yi = _impute(rng, spec, frame, y, observed, arms)
                keep = np.isfinite(offset) if offset is not None else np.ones(len(y), bool)
                _pre_checks(spec, yi[keep], arm[keep], arms, None)
                fits.append(_fit_model(spec, yi[keep], x[keep], n_arms, groups=groups[keep],
                                       offset=sub(offset, keep)))
            coef, se, df = _rubin(np.array([f.coef for f in fits]), np.array([f.se for f in fits]), fits[0].df)
            fit = _Fit(coef, se, np.inf)
            dfs = df
        else:
            _pre_checks(spec, y[observed], arm[observed], arms, sub(event, observed))
            w = _ipw_weights(frame, observed, arms, spec) if spec.missing == "ipw" else None
            fit = _fit_model(spec, y[observed], x[observed], n_arms, w=w, groups=groups[observed],
                             event=sub(event, observed), offset=sub(offset, observed))
            dfs = np.full(n_arms - 1, fit.df)
        if not (np.all(np.isfinite(fit.coef)) and np.all(np.isfinite(fit.se)) and np.all(fit.se > 0)):
            raise _FitFailure("non-finite coefficient or standard error")
    except _FitFailure as exc:
        return {a: _failed(spec, a, analysed, randomized, str(exc)) for a in arms[1:]}

    out: dict[int, Estimate] = {}
    for i, a in enumerate(arms[1:]):
        out[a] = _estimate(spec, a, float(fit.coef[i]), float(fit.se[i]), float(dfs[i]), frame, y, observed,
                           analysed, randomized)
    return out


def analyze(data: pd.DataFrame, outcome: OutcomeSpec, *, arm: int = 1, seed: int | np.random.Generator = 0) -> Estimate:
    """Intention-to-treat effect of ``arm`` against control (arm 0) on one outcome; see the module doc."""
    res = analyze_arms(data, outcome, seed=seed)
    if arm not in res:
        raise ValueError(f"arm {arm} not in the data")
    return res[arm]


def _estimate(spec: OutcomeSpec, a: int, coef: float, se: float, df: float, frame: pd.DataFrame, y: np.ndarray,
              observed: np.ndarray, analysed: dict[int, int], randomized: dict[int, int]) -> Estimate:
    """CI, p value and standardized effect size of one arm coefficient."""
    # Module-level distribution functions: freezing a scipy distribution costs milliseconds.
    if math.isfinite(df):
        crit = float(stats.t.ppf(1 - spec.alpha / 2, df))
        p = float(2 * stats.t.sf(abs(coef / se), df))
    else:
        crit = float(stats.norm.ppf(1 - spec.alpha / 2))
        p = float(2 * stats.norm.sf(abs(coef / se)))
    lo, hi = coef - crit * se, coef + crit * se
    scale = spec.scale
    ratio = scale != "mean_difference"
    arm = frame["arm"].to_numpy()
    if scale == "mean_difference":
        y0, y1 = y[observed & (arm == 0)], y[observed & (arm == a)]
        n0, n1 = len(y0), len(y1)
        pooled = math.sqrt(((n0 - 1) * y0.var(ddof=1) + (n1 - 1) * y1.var(ddof=1)) / (n0 + n1 - 2))
        j = 1 - 3 / (4 * (n0 + n1) - 9)
        es, kind = (coef / pooled * j if pooled > 0 else math.nan), "hedges_g"
    elif scale == "odds_ratio":
        es, kind = coef * math.sqrt(3) / math.pi, "chinn_d"
    else:
        es, kind = math.nan, "none"
    f = math.exp if ratio else float
    return Estimate(spec.name, spec.model, scale, a, f(coef), f(lo), f(hi), p, coef, se, es, kind,
                    analysed[0], analysed[a], randomized[0], randomized[a], spec.missing, spec.lower_is_better,
                    True, None)


def _failed(spec: OutcomeSpec, a: int, analysed: dict[int, int], randomized: dict[int, int], why: str) -> Estimate:
    nan = math.nan
    return Estimate(spec.name, spec.model, spec.scale, a, nan, nan, nan, nan, nan, nan, nan, "none",
                    analysed[0], analysed[a], randomized[0], randomized[a], spec.missing, spec.lower_is_better,
                    False, why)


AdjustMethod = Literal["holm", "bonferroni", "hochberg", "fixed_sequence", "none"]


def adjust(pvalues: Sequence[float], method: AdjustMethod = "holm") -> np.ndarray:
    """Multiplicity-adjusted p values of secondary outcomes (reject where adjusted p <= alpha).

    ``holm`` (Holm 1979), ``bonferroni``, ``hochberg`` (Hochberg 1988; valid under independence or
    positive dependence) in closed form (equal to statsmodels ``multipletests``, tested);
    ``fixed_sequence`` tests in the given (pre-declared) order, each at full alpha, stopping at the first non-rejection: adjusted p is
    the running maximum (Maurer, Hothorn & Lehmacher 1995); ``none``. A NaN p value (failed fit)
    counts as 1: never rejected, and in ``fixed_sequence`` it stops the sequence.
    """

    p = np.asarray(pvalues, dtype=float)
    p = np.where(np.isnan(p), 1.0, p)
    if p.size == 0:
        return p
    if method == "none":
        return p.copy()
    if method == "fixed_sequence":
        return np.maximum.accumulate(p)
    if method not in ("holm", "bonferroni", "hochberg"):
        raise ValueError(f"unknown multiplicity method {method!r}")
    # Closed forms (Holm 1979; Hochberg 1988), equal to statsmodels' multipletests, written out
    # because that function calls gc.collect() for Holm, which costs ~0.2 s per call in a power loop.
    m = p.size
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    if method == "holm":
        adj = np.maximum.accumulate(scaled)
    else:
        adj = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = adj
    return out


def reject(pvalues: Sequence[float], method: AdjustMethod = "holm", alpha: float = 0.05) -> np.ndarray:
    """Which hypotheses are rejected at family-wise level ``alpha`` under ``method`` (see :func:`adjust`)."""
    return adjust(pvalues, method) <= alpha

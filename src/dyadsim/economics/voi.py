"""Expected value of partial perfect information (EVPPI) by a regression metamodel.

Strong, Oakley and Brennan 2014 (Med Decis Making 34(3):311-326, "Estimating multiparameter partial
expected value of perfect information from a probabilistic sensitivity analysis sample: a
nonparametric regression approach"): with the probabilistic sample of inputs and net benefits,
regress each strategy's net benefit (here: incremental over the first strategy, which leaves the
decision unchanged) on the inputs of interest ``theta``; the fitted values estimate
``E[NB_d | theta]``, and

    EVPPI(theta) = mean_i max_d g_d(theta_i) - max_d mean_i g_d(theta_i).

The smoother is a generalised additive model (:func:`gam_fit`: penalised regression splines with
the penalty chosen by generalised cross-validation), the GAM of Strong et al. 2014, additive in the
inputs of a group (interactions between them are not modelled; the paper's Gaussian process would
model them). What ``theta`` does not explain (other inputs, Monte Carlo noise) is
left in the residual. With few draws the estimate is rough and biased upwards by overfitting; the
report says how many draws it rests on.
"""
from __future__ import annotations

import numpy as np


def gam_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fitted values of ``y`` (n,) on ``x`` (n, p) by an additive penalised regression spline (a GAM):
    per standardised input a linear term and truncated cubics at up to 8 quantile knots, one ridge
    penalty on the cubic terms chosen by generalised cross-validation."""
    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    cols, pen = [np.ones(n)], [0.0]
    for j in range(x.shape[1]):
        sd = x[:, j].std()
        if sd == 0:
            continue
        z = (x[:, j] - x[:, j].mean()) / sd
        cols.append(z)
        pen.append(0.0)
        k = int(min(8, max(n // 10 - 1, 0)))
        for knot in np.quantile(z, np.linspace(0, 1, k + 2)[1:-1]) if k else []:
            cols.append(np.maximum(z - knot, 0.0) ** 3)
            pen.append(1.0)
    b = np.column_stack(cols)
    btb, bty, d = b.T @ b, b.T @ y, np.diag(pen)
    best, fitted = np.inf, np.full(n, y.mean())
    for lam in np.logspace(-6, 6, 49):
        try:
            inv = np.linalg.solve(btb + lam * d + 1e-10 * np.eye(len(pen)), np.column_stack([bty, b.T]))
        except np.linalg.LinAlgError:
            continue
        f = b @ inv[:, 0]
        edf = float(np.einsum("ij,ji->", b, inv[:, 1:]))
        if edf >= n - 1:
            continue
        gcv = n * float(((y - f) ** 2).sum()) / (n - edf) ** 2
        if gcv < best:
            best, fitted = gcv, f
    return fitted


def evppi(nmb: np.ndarray, theta: np.ndarray) -> float:
    """EVPPI of the inputs ``theta`` (draws, p) from net monetary benefits ``nmb`` (draws, strategies)."""
    nmb = np.asarray(nmb, dtype=np.float64)
    inc = nmb - nmb[:, :1]
    fitted = np.zeros_like(inc)
    for d in range(1, inc.shape[1]):
        fitted[:, d] = gam_fit(theta, inc[:, d])
    best = int(fitted.mean(axis=0).argmax())
    return float((fitted.max(axis=1) - fitted[:, best]).mean())  # never below zero (as decision.evpi)


def evppi_table(nmb_by_wtp: dict[float, np.ndarray], groups: dict[str, np.ndarray], min_draws: int = 10) -> list[dict[str, object]]:
    """EVPPI (per dyad) of each group of inputs at each willingness to pay; groups whose inputs do not
    vary, or too few draws (under ``min_draws``), give ``NaN`` with the reason."""
    rows: list[dict[str, object]] = []
    for wtp, nmb in nmb_by_wtp.items():
        for name, theta in groups.items():
            theta = np.asarray(theta, dtype=np.float64).reshape(nmb.shape[0], -1)
            if nmb.shape[0] < min_draws:
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": np.nan,
                             "note": f"needs at least {min_draws} draws, got {nmb.shape[0]}"})
            elif 2 * (theta.shape[1] + 2) > nmb.shape[0]:
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": np.nan,
                             "note": f"{theta.shape[1]} inputs need at least {2 * (theta.shape[1] + 2)} draws"})
            elif not (theta.std(axis=0) > 0).any():
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": 0.0,
                             "note": "inputs fixed (not drawn)"})
            else:
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": evppi(nmb, theta),
                             "note": ""})
    return rows


EVSI_BOOT = 100
"""Bootstrap resamples of the draws behind each EVSI's standard error and interval."""
EVSI_ROUGH = 50
"""Under this many draws an EVSI is flagged rough: a regression on few draws fits noise, which can only
raise the estimate (a judgement, not a published threshold; the conjugate test uses 2,000)."""


def evsi_table(nmb_by_wtp: dict[float, np.ndarray], statistic: np.ndarray, grid: list[int], *,
               boot: int = EVSI_BOOT, seed: int = 0, min_draws: int = 10) -> list[dict[str, object]]:
    """Expected value of sample information (per dyad) of a proposed study at each size of ``grid``
    and willingness to pay, by the regression method of Strong, Oakley, Brennan and Breeze 2015
    (Med Decis Making 35(5):570-583): ``statistic`` (draws, sizes) holds the summary statistic the
    study of each size would report under each draw's inputs, and

        EVSI(n) = mean_k max_d g_d(X_k(n)) - max_d mean_k g_d(X_k(n)),

    ``g_d`` the fitted values of strategy ``d``'s incremental net benefit regressed on ``X(n)`` by
    the same smoother as the EVPPI (:func:`gam_fit`; the EVPPI of a statistic, :func:`evppi`). Its
    standard error and 95% percentile interval come from ``boot`` bootstrap resamples of the draws
    (refitting the regression each time); ``evpi`` beside it is the bound it cannot exceed but by
    Monte Carlo error. Sizes with too few draws give ``NaN`` with the reason (as :func:`evppi_table`)."""
    from dyadsim.economics.decision import evpi

    statistic = np.asarray(statistic, dtype=np.float64).reshape(-1, len(grid))
    groups = {str(n): statistic[:, j] for j, n in enumerate(grid)}
    rows = evppi_table(nmb_by_wtp, groups, min_draws)
    k = statistic.shape[0]
    resample = np.random.default_rng([seed, 22]).integers(0, k, size=(boot, k))
    out: list[dict[str, object]] = []
    for r in rows:
        nmb = nmb_by_wtp[float(r["wtp"])]  # type: ignore[arg-type]
        x = groups[str(r["group"])]
        value = float(r["evppi"])  # type: ignore[arg-type]
        se = lo = hi = np.nan
        if np.isfinite(value) and r["note"] == "":
            reps = np.array([evppi(nmb[i], x[i]) for i in resample])
            se, lo, hi = float(reps.std(ddof=1)), float(np.quantile(reps, 0.025)), float(np.quantile(reps, 0.975))
        note = r["note"] or (f"rough: {k} draws (a regression on few draws fits noise, biased upwards; give more "
                             f"--parameter-draws)" if k < EVSI_ROUGH else "")
        out.append({"wtp": r["wtp"], "n": int(str(r["group"])), "evsi": value, "se": se, "lower": lo, "upper": hi,
                    "evpi": evpi(nmb), "note": note})
    return out

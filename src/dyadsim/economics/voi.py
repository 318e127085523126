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

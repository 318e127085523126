"""Expected value of partial perfect information (EVPPI) by a regression metamodel.

Strong, Oakley and Brennan 2014 (Med Decis Making 34(3):311-326, "Estimating multiparameter partial
expected value of perfect information from a probabilistic sensitivity analysis sample: a
nonparametric regression approach"): with the probabilistic sample of inputs and net benefits,
regress each strategy's net benefit (here: incremental over the first strategy, which leaves the
decision unchanged) on the inputs of interest ``theta``; the fitted values estimate
``E[NB_d | theta]``, and

    EVPPI(theta) = mean_i max_d g_d(theta_i) - max_d mean_i g_d(theta_i).

The smoother is a Gaussian process (scikit-learn ``GaussianProcessRegressor``, a constant times an
anisotropic RBF kernel plus a white-noise kernel, inputs standardised, ``normalize_y``), the GP of
Strong et al. 2014; the white-noise part absorbs what ``theta`` does not explain (other inputs and
Monte Carlo noise), and the fitted values are the smooth mean only. With few draws the estimate is
rough and biased upwards by overfitting; the report says how many draws it rests on.
"""
from __future__ import annotations

import warnings

import numpy as np


def gp_fit(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """Fitted smooth mean of ``y`` (n,) given inputs ``x`` (n, p), by a Gaussian process."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64)
    if np.ptp(y) == 0:
        return y.copy()
    sd = x.std(axis=0)
    keep = sd > 0
    if not keep.any():  # inputs that do not vary explain nothing
        return np.full_like(y, y.mean())
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(z.shape[1]), (1e-2, 1e3))
              + WhiteKernel(0.1, (1e-6, 1e1)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(z, y)
    return np.asarray(gp.predict(z), dtype=np.float64)


def evppi(nmb: np.ndarray, theta: np.ndarray, seed: int = 0) -> float:
    """EVPPI of the inputs ``theta`` (draws, p) from net monetary benefits ``nmb`` (draws, strategies)."""
    nmb = np.asarray(nmb, dtype=np.float64)
    inc = nmb - nmb[:, :1]
    fitted = np.zeros_like(inc)
    for d in range(1, inc.shape[1]):
        fitted[:, d] = gp_fit(theta, inc[:, d], seed)
    return float(max(fitted.max(axis=1).mean() - fitted.mean(axis=0).max(), 0.0))


def evppi_table(nmb_by_wtp: dict[float, np.ndarray], groups: dict[str, np.ndarray], seed: int = 0,
                min_draws: int = 10) -> list[dict[str, object]]:
    """EVPPI (per dyad) of each group of inputs at each willingness to pay; groups whose inputs do not
    vary, or too few draws (under ``min_draws``), give ``NaN`` with the reason."""
    rows: list[dict[str, object]] = []
    for wtp, nmb in nmb_by_wtp.items():
        for name, theta in groups.items():
            theta = np.asarray(theta, dtype=np.float64).reshape(nmb.shape[0], -1)
            if nmb.shape[0] < min_draws:
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": np.nan,
                             "note": f"needs at least {min_draws} draws, got {nmb.shape[0]}"})
            elif not (theta.std(axis=0) > 0).any():
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": 0.0,
                             "note": "inputs fixed (not drawn)"})
            else:
                rows.append({"wtp": wtp, "group": name, "inputs": theta.shape[1], "evppi": evppi(nmb, theta, seed),
                             "note": ""})
    return rows

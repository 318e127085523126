"""Vectorised GEE with exchangeable working correlation (Liang & Zeger 1986), canonical links.

The same estimator as statsmodels ``GEE(..., cov_struct=Exchangeable())`` with its robust
(sandwich) covariance -- same moment estimators of the scale and of the common correlation rho,
same degrees-of-freedom corrections -- but with the per-cluster loops replaced by group sums, which
makes it about an order of magnitude faster on trial-sized data, as power loops need. The tests
check it against statsmodels.

For a cluster of n_i observations with R = (1 - rho) I + rho J,
R^-1 = [I - c_i J] / (1 - rho) with c_i = rho / (1 + (n_i - 1) rho), so with the rows of the
derivative matrix and the residuals scaled by 1/sd (sd = sqrt(variance function)):
D'V^-1 D = [sum of d d' - c_i G_i G_i'] / (1 - rho) and D'V^-1 r = [sum of d r - c_i G_i s_i] /
(1 - rho), with G_i and s_i the within-cluster sums of d and r. The scale cancels from the
Fisher-scoring update and from the robust covariance.
"""
from __future__ import annotations

import numpy as np

__all__ = ["gee_exchangeable", "GEEFailure"]


class GEEFailure(Exception):
    """Non-convergence or an invalid working correlation."""


def _mean(family: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, d mean / d eta and variance function at the linear predictor (canonical links)."""
    if family == "gaussian":
        mu = eta
        return mu, np.ones_like(mu), np.ones_like(mu)
    if family == "binomial":
        mu = 1.0 / (1.0 + np.exp(-eta))
        v = mu * (1 - mu)
        return mu, v, v
    if family == "poisson":
        mu = np.exp(eta)
        return mu, mu, mu
    raise ValueError(f"unknown family {family!r}")


def _group_sum(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    """Sum the rows of ``values`` (n, p) or (n,) within groups -> (n_groups, p) or (n_groups,)."""
    out = np.zeros((n_groups,) + values.shape[1:])
    np.add.at(out, codes, values)
    return out


def gee_exchangeable(y: np.ndarray, x: np.ndarray, groups: np.ndarray, family: str = "gaussian",
                     offset: np.ndarray | None = None, maxiter: int = 100,
                     tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit the GEE; return coefficients, robust covariance and the working correlation rho.

    Args:
        y: outcome (n,), no NaN.
        x: design (n, p) with an intercept column.
        groups: cluster labels (n,).
        family: ``gaussian`` (identity), ``binomial`` (logit) or ``poisson`` (log).
        offset: added to the linear predictor (e.g. log exposure).
        maxiter, tol: Fisher scoring stops when the summed absolute update is below ``tol``.

    Raises GEEFailure when it does not converge or rho leaves the valid range.
    """
    n, p = x.shape
    off = np.zeros(n) if offset is None else offset
    _, codes, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    g = sizes.size
    n_pairs = float(0.5 * (sizes * (sizes - 1)).sum())
    beta = np.zeros(p)
    ybar = y.mean()
    # Start from the intercept-only mean on the link scale.
    beta[0] = {"gaussian": ybar, "binomial": np.log(max(ybar, 1e-6) / max(1 - ybar, 1e-6)),
               "poisson": np.log(max(ybar, 1e-6))}[family] - off.mean()
    rho = 0.0
    for it in range(maxiter):
        mu, dmu, var = _mean(family, x @ beta + off)
        sd = np.sqrt(var)
        r = (y - mu) / sd
        # Moment estimators as in statsmodels: scale on n - p, rho on n_pairs - p degrees of freedom.
        scale = (r @ r) / (n - p)
        rsum = _group_sum(codes, g, r)
        pair_sum = float((rsum * rsum).sum() - r @ r) / 2
        rho = pair_sum / scale / (n_pairs - p) if n_pairs > p else 0.0
        denom = 1 + (sizes - 1) * rho
        if 1 - rho <= 0 or np.any(denom <= 0):
            raise GEEFailure(f"working correlation {rho:.3g} out of range")
        c = rho / denom
        d = x * (dmu / sd)[:, None]
        gsum = _group_sum(codes, g, d)
        bmat = (d.T @ d - (gsum * c[:, None]).T @ gsum) / (1 - rho)
        score = (d.T @ r - (gsum * (c * rsum)[:, None]).sum(axis=0)) / (1 - rho)
        try:
            update = np.linalg.solve(bmat, score)
        except np.linalg.LinAlgError:
            raise GEEFailure("singular GEE information matrix") from None
        if not np.all(np.isfinite(update)):
            raise GEEFailure("non-finite GEE update")
        beta = beta + update
        if np.abs(update).sum() < tol:
            break
    else:
        raise GEEFailure(f"GEE did not converge in {maxiter} iterations")
    # Robust covariance at the final estimates and rho (statsmodels keeps rho from the last update).
    mu, dmu, var = _mean(family, x @ beta + off)
    sd = np.sqrt(var)
    r = (y - mu) / sd
    d = x * (dmu / sd)[:, None]
    c = rho / (1 + (sizes - 1) * rho)
    gsum = _group_sum(codes, g, d)
    rsum = _group_sum(codes, g, r)
    bmat = (d.T @ d - (gsum * c[:, None]).T @ gsum) / (1 - rho)
    u = (_group_sum(codes, g, d * r[:, None]) - gsum * (c * rsum)[:, None]) / (1 - rho)
    bi = np.linalg.inv(bmat)
    return beta, bi @ (u.T @ u) @ bi, rho

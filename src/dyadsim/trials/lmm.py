"""Linear mixed model with a random intercept per cluster, fitted by REML (vectorised).

``y = X beta + u_site + e`` with ``u ~ N(0, tau2)`` and ``e ~ N(0, sigma2)``: the model of a
cluster-randomised trial analysed on the individual level and, with period indicators in ``X``,
the Hussey & Hughes (2007) model of a stepped-wedge trial. It is the estimator of statsmodels
``MixedLM(y, X, groups).fit(reml=True)`` (same REML criterion and estimates; the covariance of
the fixed effects is the model-based ``(X' V^-1 X)^-1`` at the REML estimates, which statsmodels'
observed-information version matches within about 1%), but with the compound-symmetry structure used in closed form, so one fit is a few
group sums and a one-dimensional optimisation instead of a general Newton search: a power loop
fits thousands. ``tests/test_clusters.py`` checks it against statsmodels.

For cluster i with n_i rows and gamma = tau2 / sigma2, ``V_i = sigma2 (I + gamma J)``,
``V_i^-1 = (I - c_i J) / sigma2`` with ``c_i = gamma / (1 + n_i gamma)`` and
``log |V_i| = n_i log sigma2 + log(1 + n_i gamma)``. Profiling sigma2 out of the REML
log-likelihood (Harville 1977; Pinheiro & Bates 2000, ch. 2) leaves, up to a constant,
``-2 l_R(gamma) = (N - p) log Q(gamma) + sum_i log(1 + n_i gamma) + log |X' W X|`` with
``W = V^-1 sigma2`` and ``Q`` the weighted residual sum of squares; minimised over
``log gamma``, with the boundary gamma = 0 (no clustering) compared explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["LMMFit", "fit_random_intercept"]


@dataclass(frozen=True)
class LMMFit:
    """A fitted random-intercept model.

    Attributes:
        beta: fixed effects (in ``X``'s column order).
        cov: their covariance (model-based, at the REML estimates).
        sigma2: residual (within-cluster) variance.
        tau2: between-cluster variance of the intercepts.
        clusters: number of clusters.
    """

    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    tau2: float
    clusters: int

    @property
    def icc(self) -> float:
        """The model's intra-cluster correlation ``tau2 / (tau2 + sigma2)``."""
        total = self.tau2 + self.sigma2
        return self.tau2 / total if total > 0 else float("nan")


def _sums(codes: np.ndarray, k: int, v: np.ndarray) -> np.ndarray:
    out = np.zeros((k,) + v.shape[1:])
    np.add.at(out, codes, v)
    return out


def fit_random_intercept(y: np.ndarray, x: np.ndarray, groups: np.ndarray) -> LMMFit:
    """REML fit of ``y = X beta + u_group + e`` (see the module doc).

    Args:
        y: outcome (n,), finite.
        x: design (n, p) of full column rank, an intercept column included.
        groups: cluster labels (n,).

    Raises:
        np.linalg.LinAlgError: a singular design.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    n, p = x.shape
    _, codes, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    k = sizes.size
    xx, xy, yy = x.T @ x, x.T @ y, float(y @ y)
    sx, sy = _sums(codes, k, x), _sums(codes, k, y)  # per-cluster sums of X's columns and of y

    def parts(gamma: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        c = gamma / (1.0 + sizes * gamma)
        a = xx - (sx * c[:, None]).T @ sx  # X' W X
        b = xy - (sx * (c * sy)[:, None]).sum(axis=0)  # X' W y
        beta = np.linalg.solve(a, b)
        q = yy - float(c @ (sy * sy)) - float(beta @ b)  # y' W y - b' beta: weighted residual SS
        return a, beta, max(q, 1e-300), float(np.log1p(sizes * gamma).sum())

    def crit(log_gamma: float) -> float:
        a, _, q, logdet_v = parts(float(np.exp(log_gamma)))
        return (n - p) * np.log(q) + logdet_v + float(np.linalg.slogdet(a)[1])

    res = optimize.minimize_scalar(crit, bounds=(-25.0, 12.0), method="bounded", options={"xatol": 1e-7})
    gamma = float(np.exp(res.x))
    a0, _, q0, _ = parts(0.0)
    if (n - p) * np.log(q0) + float(np.linalg.slogdet(a0)[1]) <= float(res.fun):
        gamma = 0.0  # the boundary: no between-cluster variance
    a, beta, q, _ = parts(gamma)
    sigma2 = q / (n - p)
    return LMMFit(beta, sigma2 * np.linalg.inv(a), float(sigma2), float(gamma * sigma2), int(k))

"""Gaussian-process emulators of the targets and the implausibility of a parameter point.

One emulator per fitted target (scikit-learn's ``GaussianProcessRegressor``), on the unit cube of
the calibrated parameters (prior quantiles), of the simulated statistic on its observation scale
(:func:`dyadsim.analysis.targets.on_scale`). The kernel is a constant times an anisotropic Matérn
(ν = 5/2) plus a white-noise term: the white term absorbs the Monte Carlo noise of a run and the
effect of the inactive parameters, which are drawn from their priors at every design point and are
not inputs of the emulator (Vernon, Goldstein & Bower 2010, inactive variables). Its predictive
variance therefore includes both (scikit-learn adds the ``WhiteKernel`` to the predictive
covariance).

Implausibility of a point x for target t (Craig et al. 1997; Andrianakis et al. 2015)::

    I_t(x) = |E[f_t(x)] - z_t| / sqrt(Var[f_t(x)] + V_obs,t)

with ``z_t`` the published figure on the same scale and ``V_obs,t`` its sampling variance plus the
model discrepancy (:func:`dyadsim.analysis.targets.observed_sd`). A point is non-implausible when
the ``k``-th largest I_t (``k = 2`` by default: one target may be missed by a structural
discrepancy without ruling out the space; Vernon et al. 2010 use the second and third maxima) is
at most the cut-off (3, Pukelsheim's three-sigma rule).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

CUTOFF = 3.0
"""Implausibility cut-off (Pukelsheim's three-sigma rule for unimodal distributions)."""
KTH_MAX = 2
"""The implausibility of a point is the k-th largest over the targets (k = 2 by default)."""


@dataclass(frozen=True)
class Observed:
    """The fitted targets on their observation scales: ids, published figures ``z`` and SDs ``sd``
    (sampling and discrepancy in quadrature)."""

    ids: tuple[str, ...]
    z: np.ndarray
    sd: np.ndarray


class Emulators:
    """One GP per target fitted to design points ``X`` (n, k) on the unit cube and outputs ``Y``
    (n, T) on the observation scales; rows with a non-finite output are left out per target.

    Args:
        X: design points (prior quantiles of the calibrated parameters).
        Y: simulated statistics on their observation scales.
        seed: seed of the optimiser's restarts.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, seed: int = 0) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        Y = np.asarray(Y, dtype=np.float64)
        k = X.shape[1]
        self.models: list[object | None] = []
        self.constant: list[float] = []
        self.scores: list[float] = []
        for j in range(Y.shape[1]):
            ok = np.isfinite(Y[:, j])
            y = Y[ok, j]
            if ok.sum() < max(5, k + 2) or np.ptp(y) == 0:
                # Too few points, or a statistic that does not vary: a constant with the spread seen.
                self.models.append(None)
                self.constant.append(float(np.nanmean(Y[:, j])) if ok.any() else float("nan"))
                self.scores.append(float("nan"))
                continue
            kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.full(k, 0.5), (0.03, 50.0), nu=2.5)
                      + WhiteKernel(0.1, (1e-6, 1e1)))
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2, random_state=seed + j)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                gp.fit(X[ok], y)
            self.models.append(gp)
            self.constant.append(float("nan"))
            self.scores.append(self._loo_score(gp, X[ok], y))
        self._spread = np.array([float(np.nanvar(Y[:, j])) if np.isfinite(Y[:, j]).any() else np.nan
                                 for j in range(Y.shape[1])])

    @staticmethod
    def _loo_score(gp: object, X: np.ndarray, y: np.ndarray) -> float:
        """Share of the outputs' variance the emulator's signal explains (1 - white / total, on the
        normalised scale): near 1, the parameters drive the target; near 0, noise and inactive
        parameters do."""
        kern = gp.kernel_  # type: ignore[attr-defined]
        white = float(kern.k2.noise_level)
        signal = float(kern.k1.k1.constant_value)
        return signal / (signal + white) if signal + white > 0 else float("nan")

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulator mean and variance (m, T) at points ``X`` (m, k); the variance includes the
        white-noise term (Monte Carlo noise and inactive parameters)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        T = len(self.models)
        mean = np.empty((X.shape[0], T))
        var = np.empty_like(mean)
        for j, gp in enumerate(self.models):
            if gp is None:
                mean[:, j] = self.constant[j]
                var[:, j] = self._spread[j] if math.isfinite(self._spread[j]) else np.inf
                continue
            m, s = gp.predict(X, return_std=True)  # type: ignore[attr-defined]
            mean[:, j] = m
            var[:, j] = s ** 2
        return mean, var


def implausibility(em: Emulators, obs: Observed, X: np.ndarray) -> np.ndarray:
    """I_t(x) (m, T) of each point and target (see the module doc)."""
    mean, var = em.predict(X)
    return np.abs(mean - obs.z) / np.sqrt(var + obs.sd ** 2)


def criterion(imp: np.ndarray, kth: int = KTH_MAX) -> np.ndarray:
    """The k-th largest implausibility of each point (the largest where there are fewer targets)."""
    imp = np.where(np.isfinite(imp), imp, 0.0)
    k = min(kth, imp.shape[1])
    return np.sort(imp, axis=1)[:, -k]


def log_likelihood(em: Emulators, obs: Observed, X: np.ndarray) -> np.ndarray:
    """Gaussian log-likelihood of the published figures at points ``X`` (m,): each target's
    figure ~ N(emulator mean, emulator variance + sampling variance + discrepancy²), on its
    observation scale, independent across targets (Kennedy & O'Hagan 2001, with the emulator's
    uncertainty carried into the likelihood)."""
    mean, var = em.predict(X)
    tot = var + obs.sd ** 2
    ll = -0.5 * ((mean - obs.z) ** 2 / tot + np.log(2 * np.pi * tot))
    return ll.sum(axis=1)

"""Intra-cluster correlation and design effects of cluster-randomised and stepped-wedge trials.

* :func:`anova_icc`: the one-way analysis-of-variance estimator of the ICC (Donner 1986; Donner &
  Klar 2000, ch. 2, with the unequal-size ``n0``), with the arms as fixed effects: sums of
  squares are taken within arms and pooled, so a treatment effect does not pass for clustering.
* :func:`textbook_design_effect`: ``1 + ((cv^2 + 1) m - 1) ICC`` (Eldridge, Ashby & Kerry 2006,
  Int. J. Epidemiol. 35:1292-1300), which is ``1 + (m - 1) ICC`` (Kish 1965; Donner, Birkett
  & Buck 1981) when every cluster has the mean size m (cv = 0).
* :func:`observed_design_effect`: the variance of the effect estimate over replicate trials under
  cluster randomisation divided by its variance under individual randomisation of the same
  participants, with a bootstrap SE over the replicates (pairs resampled together).

Both design effects are for the unadjusted difference in means, the estimator the formula is
derived for; the trial's own analysis model is reported beside them, not checked against them.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["anova_icc", "variance_components", "icc_se", "textbook_design_effect", "observed_design_effect", "difference_in_means"]


def variance_components(y: np.ndarray, site: np.ndarray, arm: np.ndarray | None = None) -> tuple[float, float]:
    """ANOVA estimates ``(tau2, sigma2)`` of the between- and within-cluster variances of ``y``
    in clusters ``site``, within ``arm`` (fixed effects); see :func:`anova_icc`.

    ``MSB = sum_j n_j (ybar_j - ybar_arm(j))^2 / (K - A)``, ``MSW = sum (y - ybar_j)^2 / (N - K)``,
    ``n0 = (N - sum_a sum_j n_aj^2 / N_a) / (K - A)``, ``sigma2 = MSW`` and
    ``tau2 = (MSB - MSW) / n0`` (not truncated at 0), for N finite values in K clusters of A arms.
    NaN values of ``y`` are left out; NaNs when an arm has fewer than two clusters or no cluster
    has two values.
    """
    nan = (float("nan"), float("nan"))
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(y)
    y, site = y[ok], np.asarray(site)[ok]
    arms = np.zeros(len(y), dtype=np.int64) if arm is None else np.asarray(arm)[ok]
    ssb = ssw = size_term = 0.0
    k_total = a_total = 0
    n = len(y)
    for a in np.unique(arms):
        ya, sa = y[arms == a], site[arms == a]
        labels, codes, sizes = np.unique(sa, return_inverse=True, return_counts=True)
        if len(labels) < 2:
            return nan
        means = np.bincount(codes, weights=ya) / sizes
        ssb += float((sizes * (means - ya.mean()) ** 2).sum())
        ssw += float(((ya - means[codes]) ** 2).sum())
        size_term += float((sizes.astype(np.float64) ** 2).sum()) / len(ya)
        k_total += len(labels)
        a_total += 1
    if n - k_total <= 0 or a_total == 0:
        return nan
    msb, msw = ssb / (k_total - a_total), ssw / (n - k_total)
    n0 = (n - size_term) / (k_total - a_total)
    return float((msb - msw) / n0), float(msw)


def anova_icc(y: np.ndarray, site: np.ndarray, arm: np.ndarray | None = None) -> float:
    """ANOVA estimator of the ICC of ``y`` in clusters ``site``, within ``arm`` (fixed effects):
    ``ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW) = tau2 / (tau2 + sigma2)`` with the components of
    :func:`variance_components`. It can be negative (it is not truncated at 0, so that its mean
    over replicates is unbiased to first order); NaN where the components are.
    """
    tau2, sigma2 = variance_components(y, site, arm)
    total = tau2 + sigma2
    return float(tau2 / total) if np.isfinite(total) and total > 0 else float("nan")


def icc_se(icc: float, m: float, k: int) -> float:
    """Large-sample SE of the ANOVA ICC for ``k`` clusters of size ``m`` (Fisher 1925; Donner &
    Koval 1980): ``sqrt(2 (1 - r)^2 (1 + (m - 1) r)^2 / (m (m - 1) (k - 1)))``."""
    if m <= 1 or k <= 1:
        return float("nan")
    return math.sqrt(2.0 * (1 - icc) ** 2 * (1 + (m - 1) * icc) ** 2 / (m * (m - 1) * (k - 1)))


def textbook_design_effect(mean_size: float, cv: float, icc: float) -> float:
    """``1 + ((cv^2 + 1) m - 1) ICC`` (Eldridge et al. 2006): m the mean cluster size, cv the
    coefficient of variation of the cluster sizes (0 for equal sizes: ``1 + (m - 1) ICC``)."""
    return 1.0 + ((cv * cv + 1.0) * mean_size - 1.0) * icc


def difference_in_means(y: np.ndarray, arm: np.ndarray) -> float:
    """Mean of ``y`` in arm 1 minus arm 0 (NaN values left out)."""
    y = np.asarray(y, dtype=np.float64)
    a = np.asarray(arm)
    one, zero = y[(a == 1) & np.isfinite(y)], y[(a == 0) & np.isfinite(y)]
    return float(one.mean() - zero.mean()) if len(one) and len(zero) else float("nan")


def observed_design_effect(cluster: np.ndarray, individual: np.ndarray, n_boot: int = 500,
                           seed: int = 0) -> tuple[float, float]:
    """``var(cluster) / var(individual)`` of paired replicate estimates and its bootstrap SE.

    ``cluster[r]`` and ``individual[r]`` are the effect estimates of replicate r under cluster and
    under individual randomisation of the same participants; replicates with a NaN in either are
    left out. The SE resamples replicates (pairs together) ``n_boot`` times. NaN with fewer than 3
    complete pairs.
    """
    c, i = np.asarray(cluster, dtype=np.float64), np.asarray(individual, dtype=np.float64)
    ok = np.isfinite(c) & np.isfinite(i)
    c, i = c[ok], i[ok]
    if len(c) < 3 or np.var(i, ddof=1) <= 0:
        return float("nan"), float("nan")
    ratio = float(np.var(c, ddof=1) / np.var(i, ddof=1))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(c), size=(n_boot, len(c)))
    vi = np.var(i[idx], axis=1, ddof=1)
    boots = np.var(c[idx], axis=1, ddof=1)[vi > 0] / vi[vi > 0]
    return ratio, float(np.std(boots, ddof=1)) if len(boots) > 2 else float("nan")

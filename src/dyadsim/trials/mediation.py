"""Mediation of a randomized treatment effect: joint significance and percentile bootstrap.

Trial data: X the randomized arm (0/1), M (or M1 then M2) mediators measured after X, Y the
outcome, C baseline covariates. Every path is an ordinary least-squares regression with an
intercept and C (for a binary Y this is a linear probability model, so b is a risk difference per
unit of M):

* single mediator: ``M ~ X + C`` gives a; ``Y ~ M + X + C`` gives b and the direct effect c';
  ``Y ~ X + C`` the total effect c. Indirect effect a*b (product of coefficients).
* serial mediators X -> M1 -> M2 -> Y: ``M1 ~ X + C`` gives a1; ``M2 ~ M1 + X + C`` gives d21;
  ``Y ~ M2 + M1 + X + C`` gives b2 and c'. Indirect effect a1*d21*b2.

Two tests of the indirect effect, both recommended by Fritz & MacKinnon (2007, Psychol Sci
18:233-239) and MacKinnon et al. (2002, Psychol Methods 7:83-104):

* joint significance: every path coefficient of the chain is significant at ``alpha`` by its own
  two-sided OLS t test (MacKinnon et al. 2002), i.e. the largest path p value is below alpha;
* percentile bootstrap: participants are resampled with replacement B times, every regression is
  refitted on each resample, and the indirect effect is significant when the central
  (1 - alpha) percentile interval of the B products (``np.quantile``, linear interpolation)
  excludes 0 (Efron & Tibshirani 1993).

Speed: the B resamples are never looped over. A resample is a vector of counts w (how often each
participant is drawn), so its cross-product matrix is sum_i w_i z_i z_i' with z = [1, X, mediators,
Y, C] -- one matrix product of the (B, n) count matrix with the (n, K(K+1)/2) matrix of distinct
per-participant products -- every regression's Gram matrix and X'y are sub-blocks of it, and the B
systems are solved at once by a batched ``np.linalg.solve``. The same code handles R replicate trials at once
(``mediate_batch``), which is what power loops use. ``benchmarks/mediation.py`` measures it.
These products are small, so the bootstrap runs them with BLAS limited to one thread
(threadpoolctl): on a shared 2-core machine a multithreaded BLAS made them about ten times slower
when measured, and power loops get their parallelism from worker processes instead.

Monte Carlo error of a bootstrap decision: with B resamples the percentile endpoint is the
empirical alpha/2 quantile of B draws, whose SD is about sqrt(q(1-q)/B)/f(xi) on the scale of the
indirect effect (f the bootstrap density at the quantile xi). Only trials whose ideal (B = infinity)
endpoint lies within about that distance of 0 can change decision, so the share of flipped
decisions shrinks like 1/sqrt(B) while power, an average over trials, moves much less (the flips
go both ways; on the choice of B for bootstrap tests see Davidson & MacKinnon 2000, Econometric
Reviews 19:55-68). Measured once on the same
3,000 data sets (a = b = 0.39, c' = 0, N = 78): power 0.810, 0.807, 0.806, 0.806 with B = 250,
500, 1,000, 4,000, and decisions differing from B = 4,000 in 4.1%, 3.2%, 2.5% of data sets for
B = 250, 500, 1,000. So B = 500 is adequate in power loops; ``mediation_power`` reports the Monte
Carlo SE over replicates only.

statsmodels' ``Mediation`` class (counterfactual, with its own simulation) suits a single final
analysis; it is deliberately not used here because it is far too slow inside power loops.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats
from threadpoolctl import ThreadpoolController

__all__ = [
    "MediationResult", "SerialMediationResult", "MediationBatch", "PowerResult",
    "mediate", "mediate_serial", "mediate_batch", "simulate_mediation", "mediation_power",
    "bootstrap_counts",
]

_CONTROLLER: ThreadpoolController | None = None


def _one_blas_thread():
    """Context limiting BLAS to one thread (the controller is built once: it scans loaded libraries)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


# Largest number of floats in one block of resample counts (R_chunk * B * n); bounds memory to
# about 32 MB per block whatever the number of replicates.
_BLOCK_FLOATS = 4_000_000


@dataclass(frozen=True)
class MediationBatch:
    """Results of a single- or serial-mediator analysis of R replicate data sets (arrays of length R).

    ``paths`` maps path names (``a``, ``b`` or ``a1``, ``d21``, ``b2``; always ``c_prime`` and ``c``)
    to their OLS estimates, ``p_paths`` to their two-sided t-test p values. ``indirect`` is the
    product of the chain's paths in the full sample, ``ci_low``/``ci_high`` its percentile bootstrap
    interval (NaN when ``n_boot`` = 0). ``boot_failed`` counts resamples with a singular design
    (dropped from the percentiles). ``converged`` is False where the full-sample fit was singular.
    """

    paths: dict[str, np.ndarray]
    p_paths: dict[str, np.ndarray]
    chain: tuple[str, ...]
    indirect: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    joint_significant: np.ndarray
    bootstrap_significant: np.ndarray
    boot_failed: np.ndarray
    converged: np.ndarray
    n: int
    n_boot: int
    alpha: float


@dataclass(frozen=True)
class MediationResult:
    """Single-mediator analysis of one trial (Y, M, X on their own units; a*b in units of Y per unit of X)."""

    a: float
    b: float
    c_prime: float
    c: float
    p_a: float
    p_b: float
    p_c_prime: float
    indirect: float
    ci_low: float
    ci_high: float
    joint_significant: bool
    bootstrap_significant: bool
    n: int
    n_boot: int
    boot_failed: int
    alpha: float
    converged: bool
    failure: str | None


@dataclass(frozen=True)
class SerialMediationResult:
    """Serial two-mediator analysis X -> M1 -> M2 -> Y of one trial (indirect = a1*d21*b2)."""

    a1: float
    d21: float
    b2: float
    c_prime: float
    c: float
    p_a1: float
    p_d21: float
    p_b2: float
    indirect: float
    ci_low: float
    ci_high: float
    joint_significant: bool
    bootstrap_significant: bool
    n: int
    n_boot: int
    boot_failed: int
    alpha: float
    converged: bool
    failure: str | None


@dataclass(frozen=True)
class PowerResult:
    """Monte Carlo power: the share of replicates whose test rejected, with its binomial SE."""

    power: float
    mcse: float
    reps: int
    n: int
    method: str
    failures: int


def _index_dtype(n: int) -> type:
    # Narrow integers halve or quarter the cost of drawing the indices; int16 holds 0..32766.
    return np.int16 if n < 32767 else np.int32


def bootstrap_counts(rng: np.random.Generator, reps: int, n_boot: int, n: int) -> np.ndarray:
    """Resample counts, shape (reps, n_boot, n): how often each participant is drawn in each resample.

    For each replicate in turn the indices are drawn as ``rng.integers(0, n, size=(n_boot, n),
    dtype=np.int16)`` (int32 when n >= 32767), the usual nonparametric bootstrap, then counted,
    so a loop over the same indices reproduces every resample exactly.
    """
    out = np.empty((reps, n_boot, n))
    for r in range(reps):
        out[r] = indices_to_counts(rng.integers(0, n, size=(n_boot, n), dtype=_index_dtype(n)), n)
    return out


def indices_to_counts(idx: np.ndarray, n: int) -> np.ndarray:
    """Counts (..., n) of resample indices (..., n), one bincount per block of rows (no loop over resamples).

    Blocks of at most 2**18 indices keep the offset buffer and the bincount in cache, which makes
    counting several times faster than one bincount over every replicate.
    """
    lead = idx.shape[:-1]
    rows = int(np.prod(lead)) if lead else 1
    flat_idx = idx.reshape(rows, n)
    out = np.empty((rows, n))
    step = max(1, (1 << 18) // n)
    offsets = (np.arange(step, dtype=np.intp) * n)[:, None]
    buf = np.empty((step, n), dtype=np.intp)
    for lo in range(0, rows, step):
        hi = min(rows, lo + step)
        b = buf[: hi - lo]
        np.add(flat_idx[lo:hi], offsets[: hi - lo], out=b)
        out[lo:hi] = np.bincount(b.ravel(), minlength=(hi - lo) * n).reshape(hi - lo, n)
    return out.reshape(*lead, n)


def _ols_full(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS of each replicate: design (R, n, k), y (R, n) -> coefficients, classical SEs (R, k), ok (R,).

    Classical (homoscedastic) SEs with n - k degrees of freedom, as in the tests studied by
    MacKinnon et al. (2002) and Fritz & MacKinnon (2007). Singular designs give NaN and ok False.
    """
    r, n, k = design.shape
    gram = np.einsum("rni,rnj->rij", design, design)
    xty = np.einsum("rni,rn->ri", design, y)
    ok = np.linalg.matrix_rank(gram) == k
    gram_safe = np.where(ok[:, None, None], gram, np.eye(k))
    inv = np.linalg.inv(gram_safe)
    beta = np.einsum("rij,rj->ri", inv, xty)
    resid = y - np.einsum("rni,ri->rn", design, beta)
    s2 = np.einsum("rn,rn->r", resid, resid) / (n - k)
    se = np.sqrt(s2[:, None] * np.diagonal(inv, axis1=1, axis2=2))
    beta[~ok] = np.nan
    se[~ok] = np.nan
    return beta, se, ok


def _boot_cross_products(z: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Weighted cross-product matrices sum_i w_i z_i z_i' of every resample: z (R, n, K), counts (R, B, n) -> (R, B, K, K).

    Only the K(K+1)/2 distinct products are formed, each as one matrix product of the counts with
    a column of per-participant products, so the cost is one (B, n) x (n, K(K+1)/2) BLAS call per
    replicate; the symmetric matrices are then filled in by indexing.
    """
    r, n, k = z.shape
    iu, ju = np.triu_indices(k)
    prods = z[:, :, iu] * z[:, :, ju]
    tri = np.einsum("rbn,rnc->rbc", counts, prods, optimize=True)
    pos = np.zeros((k, k), dtype=np.intp)
    pos[iu, ju] = np.arange(iu.size)
    pos[ju, iu] = np.arange(iu.size)
    return tri[:, :, pos]


def _boot_coef(cross: np.ndarray, regressors: list[int], target: int, col: int) -> np.ndarray:
    """Coefficient ``col`` of the OLS of z[target] on z[regressors] in every resample -> (R, B).

    The Gram matrix and X'y are sub-blocks of the cross products; the B systems are solved by one
    batched solve. Resamples whose Gram matrix is singular give NaN.
    """
    gram = cross[:, :, regressors][:, :, :, regressors]
    xty = cross[:, :, regressors, target]
    try:
        return np.linalg.solve(gram, xty[..., None])[..., col, 0]
    except np.linalg.LinAlgError:
        # Rare (e.g. a resample drawn from one arm only): solve only the nonsingular systems.
        k = len(regressors)
        scale = np.abs(gram).max(axis=(-1, -2)) ** k
        good = np.nonzero(np.abs(np.linalg.det(gram)) > 1e-10 * scale)
        out = np.full(gram.shape[:2], np.nan)
        if good[0].size:
            out[good] = np.linalg.solve(gram[good], xty[good][..., None])[..., col, 0]
        return out


def _percentile_intervals(z: np.ndarray, chain: list[tuple[list[int], int, int]], counts: np.ndarray | None,
                          n_boot: int, rng: np.random.Generator | None, alpha: float, ci_low: np.ndarray,
                          ci_high: np.ndarray, failed: np.ndarray) -> None:
    """Fill the percentile interval of the product of the chain's coefficients, blocks of replicates at a time."""
    r, n, _ = z.shape
    step = max(1, _BLOCK_FLOATS // (n_boot * n))
    probs = [alpha / 2, 1 - alpha / 2]
    for lo in range(0, r, step):
        hi = min(r, lo + step)
        w = counts[lo:hi] if counts is not None else bootstrap_counts(rng, hi - lo, n_boot, n)
        cross = _boot_cross_products(z[lo:hi], w)
        prod = np.ones((hi - lo, n_boot))
        for regs, target, col in chain:
            prod = prod * _boot_coef(cross, regs, target, col)
        bad = np.isnan(prod)
        failed[lo:hi] = bad.sum(axis=1)
        if bad.any():
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN: no decision
                q = np.nanquantile(prod, probs, axis=1)
        else:
            q = np.quantile(prod, probs, axis=1)
        ci_low[lo:hi], ci_high[lo:hi] = q[0], q[1]


def _as_batch(arr: np.ndarray) -> np.ndarray:
    """(n,) -> (1, n); (R, n) unchanged; as float64."""
    a = np.asarray(arr, dtype=np.float64)
    return a[None, :] if a.ndim == 1 else a


def mediate_batch(
    x: np.ndarray,
    mediators: list[np.ndarray],
    y: np.ndarray,
    covariates: np.ndarray | None = None,
    *,
    n_boot: int = 1000,
    alpha: float = 0.05,
    rng: np.random.Generator | None = None,
    counts: np.ndarray | None = None,
) -> MediationBatch:
    """Single (one mediator) or serial (two mediators, M1 then M2) mediation of R data sets at once.

    Args:
        x: treatment, shape (R, n) or (n,) (0/1 arm, or any numeric X).
        mediators: ``[m]`` or ``[m1, m2]``, each shaped like ``x``.
        y: outcome, shaped like ``x``.
        covariates: baseline covariates, shape (R, n, q), (n, q) or None.
        n_boot: bootstrap resamples B per data set (0: joint significance only).
        alpha: two-sided level of every test; the bootstrap interval is (alpha/2, 1 - alpha/2).
        rng: source of the resamples (``np.random.default_rng(0)`` if None and no ``counts``).
        counts: resample counts (R, B, n) to use instead of drawing (see :func:`bootstrap_counts`).

    Rows with any NaN must be removed by the caller (complete cases): all data sets share n.
    """
    xb = _as_batch(x)
    ms = [_as_batch(m) for m in mediators]
    yb = _as_batch(y)
    if len(ms) not in (1, 2):
        raise ValueError("mediators must hold one or two arrays")
    r, n = xb.shape
    if any(m.shape != (r, n) for m in ms) or yb.shape != (r, n):
        raise ValueError("x, mediators and y must have the same shape")
    if covariates is None:
        cov = np.zeros((r, n, 0))
    else:
        cov = np.asarray(covariates, dtype=np.float64)
        cov = np.broadcast_to(cov[None] if cov.ndim == 2 else cov, (r, n, cov.shape[-1]))
    finite = np.isfinite(xb).all() and np.isfinite(yb).all() and all(np.isfinite(m).all() for m in ms)
    if not finite or not np.isfinite(cov).all():
        raise ValueError("mediation data contain NaN or inf: pass complete cases")

    # One matrix z = [1, x, mediators, y, covariates]; every regression of the chain uses a subset
    # of its columns, so one set of resample cross products serves all of them. Centering every
    # column but the intercept by its full-sample mean leaves the slopes of every resample
    # unchanged (an affine reparametrization) and keeps the Gram matrices well conditioned.
    z = np.concatenate([np.ones((r, n, 1)), xb[:, :, None]] + [m[:, :, None] for m in ms]
                       + [yb[:, :, None], cov], axis=2)
    z[:, :, 1:] -= z[:, :, 1:].mean(axis=1, keepdims=True)
    covs = list(range(3 + len(ms), z.shape[2]))
    y_col = 2 + len(ms)
    # name -> (regressors, target, position of the path coefficient among the regressors)
    if len(ms) == 1:
        models = {"a": ([0, 1] + covs, 2, 1), "b": ([0, 2, 1] + covs, y_col, 1)}
        direct = ("b", 2)
        chain: tuple[str, ...] = ("a", "b")
    else:
        models = {"a1": ([0, 1] + covs, 2, 1), "d21": ([0, 2, 1] + covs, 3, 1),
                  "b2": ([0, 3, 2, 1] + covs, y_col, 1)}
        direct = ("b2", 3)
        chain = ("a1", "d21", "b2")
    models_all = dict(models, c=([0, 1] + covs, y_col, 1))
    paths: dict[str, np.ndarray] = {}
    p_paths: dict[str, np.ndarray] = {}
    ok_all = np.ones(r, dtype=bool)
    for name, (regs, target, col) in models_all.items():
        beta, se, ok = _ols_full(z[:, :, regs], z[:, :, target])
        df = n - len(regs)
        pvals = 2 * stats.t.sf(np.abs(beta / se), df)
        paths[name] = beta[:, col]
        p_paths[name] = pvals[:, col]
        if name != "c":
            ok_all &= ok
        if name == direct[0]:
            paths["c_prime"] = beta[:, direct[1]]
            p_paths["c_prime"] = pvals[:, direct[1]]
    indirect = np.prod([paths[c] for c in chain], axis=0)
    joint = np.all([p_paths[c] < alpha for c in chain], axis=0) & ok_all

    ci_low = np.full(r, np.nan)
    ci_high = np.full(r, np.nan)
    failed = np.zeros(r, dtype=np.int64)
    if counts is not None or n_boot > 0:
        if counts is None and rng is None:
            rng = np.random.default_rng(0)
        n_boot = counts.shape[1] if counts is not None else n_boot
        with _one_blas_thread():
            _percentile_intervals(z, [models[c] for c in chain], counts, n_boot, rng, alpha, ci_low, ci_high, failed)
    boot_sig = ((ci_low > 0) | (ci_high < 0)) & ok_all
    return MediationBatch(paths, p_paths, chain, indirect, ci_low, ci_high, joint, boot_sig, failed,
                          ok_all, n, int(n_boot), alpha)


def _unbatch(x: np.ndarray, y: np.ndarray) -> None:
    """Reject batched input to the one-trial functions."""
    if np.asarray(x).ndim != 1 or np.asarray(y).ndim != 1:
        raise ValueError("mediate/mediate_serial take one data set (1-d arrays); use mediate_batch for many")


def _complete(*arrays: np.ndarray | None) -> tuple[np.ndarray | None, ...]:
    """Drop participants with any NaN in any array (complete-case mediation analysis)."""
    cols = [np.asarray(a, dtype=np.float64) for a in arrays if a is not None]
    keep = np.ones(len(cols[0]), dtype=bool)
    for c in cols:
        # all() over the non-participant axes: reshape(len, -1) cannot take an empty array
        keep &= np.isfinite(c).all(axis=tuple(range(1, c.ndim))) if c.ndim > 1 else np.isfinite(c)
    return tuple(None if a is None else np.asarray(a, dtype=np.float64)[keep] for a in arrays)


def _n_covariates(covariates: np.ndarray | None) -> int:
    """Number of covariate columns (0 for None); works with no rows, where reshape(0, -1) cannot."""
    if covariates is None:
        return 0
    return int(np.prod(covariates.shape[1:])) if covariates.ndim > 1 else 1


def _as_columns(covariates: np.ndarray | None, n: int) -> np.ndarray | None:
    """Covariates as an (n, q) matrix (None stays None)."""
    return None if covariates is None else covariates.reshape(n, _n_covariates(covariates))


def mediate(
    x: np.ndarray, m: np.ndarray, y: np.ndarray, covariates: np.ndarray | None = None, *,
    n_boot: int = 1000, alpha: float = 0.05, seed: int | np.random.Generator = 0,
) -> MediationResult:
    """Single-mediator analysis of one trial (complete cases on x, m, y and covariates).

    Returns a, b, c', c with OLS p values, a*b with its percentile bootstrap interval (``n_boot``
    resamples of participants drawn from ``seed``), and both test decisions at ``alpha``.
    """
    _unbatch(x, y)
    x, m, y, covariates = _complete(x, m, y, covariates)
    if len(x) < 5 + _n_covariates(covariates):
        return _failed_single(len(x), n_boot, alpha, f"too few complete cases ({len(x)})")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    res = mediate_batch(x, [m], y, _as_columns(covariates, len(x)), n_boot=n_boot, alpha=alpha, rng=rng)
    ok = bool(res.converged[0])
    return MediationResult(
        a=float(res.paths["a"][0]), b=float(res.paths["b"][0]), c_prime=float(res.paths["c_prime"][0]),
        c=float(res.paths["c"][0]), p_a=float(res.p_paths["a"][0]), p_b=float(res.p_paths["b"][0]),
        p_c_prime=float(res.p_paths["c_prime"][0]), indirect=float(res.indirect[0]),
        ci_low=float(res.ci_low[0]), ci_high=float(res.ci_high[0]),
        joint_significant=bool(res.joint_significant[0]), bootstrap_significant=bool(res.bootstrap_significant[0]),
        n=res.n, n_boot=res.n_boot, boot_failed=int(res.boot_failed[0]), alpha=alpha, converged=ok,
        failure=None if ok else "singular design")


def _failed_single(n: int, n_boot: int, alpha: float, why: str) -> MediationResult:
    nan = float("nan")
    return MediationResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, False, False, n, n_boot, 0,
                           alpha, False, why)


def mediate_serial(
    x: np.ndarray, m1: np.ndarray, m2: np.ndarray, y: np.ndarray, covariates: np.ndarray | None = None, *,
    n_boot: int = 1000, alpha: float = 0.05, seed: int | np.random.Generator = 0,
) -> SerialMediationResult:
    """Serial two-mediator analysis X -> M1 -> M2 -> Y of one trial (complete cases).

    Joint significance of a1, d21 and b2 (all three t tests at ``alpha``) and the percentile
    bootstrap interval of a1*d21*b2.
    """
    _unbatch(x, y)
    x, m1, m2, y, covariates = _complete(x, m1, m2, y, covariates)
    nan = float("nan")
    if len(x) < 6 + _n_covariates(covariates):
        return SerialMediationResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan, False, False,
                                     len(x), n_boot, 0, alpha, False, f"too few complete cases ({len(x)})")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    res = mediate_batch(x, [m1, m2], y, _as_columns(covariates, len(x)), n_boot=n_boot, alpha=alpha, rng=rng)
    ok = bool(res.converged[0])
    p, pp = res.paths, res.p_paths
    return SerialMediationResult(
        a1=float(p["a1"][0]), d21=float(p["d21"][0]), b2=float(p["b2"][0]), c_prime=float(p["c_prime"][0]),
        c=float(p["c"][0]), p_a1=float(pp["a1"][0]), p_d21=float(pp["d21"][0]), p_b2=float(pp["b2"][0]),
        indirect=float(res.indirect[0]), ci_low=float(res.ci_low[0]), ci_high=float(res.ci_high[0]),
        joint_significant=bool(res.joint_significant[0]), bootstrap_significant=bool(res.bootstrap_significant[0]),
        n=res.n, n_boot=res.n_boot, boot_failed=int(res.boot_failed[0]), alpha=alpha, converged=ok,
        failure=None if ok else "singular design")


def simulate_mediation(
    a: float, b: float, c_prime: float, n: int, reps: int, rng: np.random.Generator,
    x_kind: Literal["normal", "binary"] = "normal",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R data sets of the plain linear mediation model of Fritz & MacKinnon (2007).

    X ~ N(0, 1) (or a balanced 0/1 arm, ``x_kind="binary"``, as in a two-arm trial),
    M = a X + e_M, Y = b M + c' X + e_Y, with independent N(0, 1) errors. Returns x, m, y of
    shape (reps, n).
    """
    if x_kind == "normal":
        x = rng.standard_normal((reps, n))
    elif x_kind == "binary":
        # Balanced allocation in random order, as randomization with equal arms produces.
        x = rng.permuted(np.tile((np.arange(n) % 2).astype(np.float64), (reps, 1)), axis=1)
    else:
        raise ValueError(f"unknown x_kind {x_kind!r}")
    m = a * x + rng.standard_normal((reps, n))
    y = b * m + c_prime * x + rng.standard_normal((reps, n))
    return x, m, y


def mediation_power(
    a: float, b: float, c_prime: float, n: int, reps: int,
    method: Literal["joint", "bootstrap"] = "joint", seed: int = 0, *,
    n_boot: int = 1000, alpha: float = 0.05, x_kind: Literal["normal", "binary"] = "normal",
    chunk: int = 200,
) -> PowerResult:
    """Monte Carlo power of a single-mediator test on the plain linear mediation model.

    ``reps`` data sets of size ``n`` are drawn by :func:`simulate_mediation` from ``seed`` and
    analysed by :func:`mediate_batch` in chunks of ``chunk``; power is the share of replicates whose
    test (``joint``: joint significance; ``bootstrap``: percentile bootstrap with ``n_boot``
    resamples) rejects at ``alpha``, with Monte Carlo SE sqrt(p(1-p)/reps). Singular fits count as
    non-rejections and are reported in ``failures``.
    """
    if method not in ("joint", "bootstrap"):
        raise ValueError(f"unknown method {method!r}")
    rng = np.random.default_rng(seed)
    hits = 0
    failures = 0
    for lo in range(0, reps, chunk):
        k = min(chunk, reps - lo)
        x, m, y = simulate_mediation(a, b, c_prime, n, k, rng, x_kind)
        res = mediate_batch(x, [m], y, n_boot=n_boot if method == "bootstrap" else 0, alpha=alpha, rng=rng)
        sig = res.joint_significant if method == "joint" else res.bootstrap_significant
        hits += int(sig.sum())
        failures += int((~res.converged).sum())
    p = hits / reps
    return PowerResult(power=p, mcse=float(np.sqrt(p * (1 - p) / reps)), reps=reps, n=n, method=method,
                       failures=failures)

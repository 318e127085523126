"""Group-sequential designs: Lan-DeMets alpha spending, operating characteristics and interim looks.

A two-arm trial analysed by a z statistic is looked at K times, at information fractions
``0 < t_1 < ... < t_K = 1`` (the share of the planned maximum information, e.g. of the planned
number of participants with the primary outcome). At look k it stops for efficacy when
``|Z_k| >= c_k`` and, optionally, for futility when ``Z_k < f_k`` (interim looks only; positive Z
favours the intervention).

Method
------
* Alpha spending (Lan & DeMets 1983): a spending function ``alpha(t)`` gives the cumulative
  two-sided type I error spent by information fraction t; the boundaries are found look by look so
  that the probability under H0 of first crossing at look k is ``alpha(t_k) - alpha(t_{k-1})``.
  The O'Brien-Fleming-type function ``2 - 2 Phi(z_{1-a/2} / sqrt(t))`` spends almost nothing
  early and mimics the boundaries of O'Brien & Fleming (1979); the Pocock-type function
  ``alpha ln(1 + (e - 1) t)`` spends roughly evenly and mimics the constant boundaries of Pocock
  (1977). Because only t enters, looks need not be equally spaced nor fixed in advance.
* Two-sided symmetric boundaries follow the convention of the published tables and programs
  (Reboussin et al. 2000, Control Clin Trials 21:190-207; R package ldbounds): each tail spends
  ``a = alpha / 2`` by the one-sided function, so three equally spaced looks at two-sided 0.05 give
  3.710, 2.511, 1.993 (O'Brien-Fleming type) and 2.279, 2.295, 2.296 (Pocock type). The classical
  O'Brien-Fleming boundaries (3.471, 2.454, 2.004) are a different design, not a spending one.
  ``per_tail=False`` applies the O'Brien-Fleming-type form to the two-sided alpha instead.
* Joint distribution: with ``Z_k = S_k / sqrt(t_k)`` for the score (B-value scale) ``S_k``, the
  increments ``S_k - S_{k-1}`` are independent ``N(theta (t_k - t_{k-1}), t_k - t_{k-1})``, so
  ``corr(Z_i, Z_j) = sqrt(t_i / t_j)`` and ``E[Z_k] = theta sqrt(t_k)`` for the drift theta (the
  expected Z at the final look).
* Crossing probabilities by the recursive numerical integration of Armitage, McPherson & Rowe
  (1969), as set out in Jennison & Turnbull (2000, ch. 19): the sub-density of ``Z_k`` on the
  continuation region (trials still running) is tabulated on a grid and convolved with the normal
  increment to the next look; exit probabilities integrate the normal tail against it. Integrals
  use Simpson's rule on a uniform grid; the integrands are smooth on the continuation interval, so
  the error is far below the 1e-4 wanted in the boundaries. It is deterministic (no Monte Carlo).
* Futility bounds are non-binding: the efficacy boundaries ignore them (type I error is controlled
  even if the trial continues past a futility bound), while the operating characteristics count the
  futility stops, so power and expected sample size are those of a trial that obeys them.

Sources: Lan KKG, DeMets DL (1983) Biometrika 70:659-63; O'Brien PC, Fleming TR (1979)
Biometrics 35:549-56; Pocock SJ (1977) Biometrika 64:191-9; Armitage P, McPherson CK, Rowe BC
(1969) J R Stat Soc A 132:235-44; Jennison C, Turnbull BW (2000) Group Sequential Methods with
Applications to Clinical Trials, Chapman & Hall/CRC.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

KINDS: tuple[str, ...] = ("obrien_fleming", "pocock")
"""Spending functions offered by :func:`spending`."""

_STEP = 0.01
"""Target grid spacing on the Z scale (standard deviations). Simpson's error falls as the fourth
power of the spacing; at this spacing the boundaries move by less than 1e-9 when it is halved."""

_HALF_WIDTH = 9.0
"""The grid is clipped to the mean of ``Z_k`` plus or minus this many standard deviations: the
sub-density is bounded by the N(mean, 1) density, whose mass beyond is below 1e-18."""

_C_MAX = 40.0
"""Largest boundary searched (z); a look that is allotted no alpha to spend gets this bound."""


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float, np.integer, np.floating)) and 0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be a number strictly between 0 and 1 (two-sided), got {alpha!r}")
    return float(alpha)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return kind


def _as_fractions(t: np.ndarray | list[float], design: bool) -> np.ndarray:
    """Information fractions as a float array; ``design`` also demands increasing with last 1."""
    arr = np.asarray(t, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError("t must be a non-empty 1-D array of finite information fractions in (0, 1]")
    if np.any(arr <= 0.0) or np.any(arr > 1.0):
        raise ValueError(f"t must lie in (0, 1] (information fractions), got {arr.tolist()}")
    if design:
        if np.any(np.diff(arr) <= 0.0):
            raise ValueError(f"t must be strictly increasing (one fraction per look), got {arr.tolist()}")
        if arr[-1] != 1.0:
            raise ValueError(f"t must end at 1.0 (the final look has all the information), got {arr[-1]!r}")
    return arr


def _check_futility(futility: np.ndarray | list[float] | None, k: int) -> np.ndarray | None:
    """Futility bounds as a float array of the K-1 interim looks (``-inf``: none at that look)."""
    if futility is None:
        return None
    f = np.asarray(futility, dtype=float)
    if f.ndim != 1 or f.size != k - 1:
        raise ValueError(f"futility must have K-1 = {k - 1} entries, one z bound per interim look "
                         f"(none at the final look), got shape {f.shape}")
    if np.any(np.isnan(f)):
        raise ValueError("futility must not contain NaN (use -inf for no futility bound at a look)")
    return f


def spending(kind: str, t: np.ndarray | list[float], alpha: float, per_tail: bool = True) -> np.ndarray:
    """Cumulative two-sided type I error spent by information fractions ``t``.

    Args:
        kind: ``"obrien_fleming"`` (Lan-DeMets O'Brien-Fleming type) or ``"pocock"`` (Lan-DeMets
            Pocock type, ``alpha ln(1 + (e - 1) t)``).
        t: information fractions in (0, 1] (unitless; any order).
        alpha: total two-sided type I error (probability) spent at ``t = 1``.
        per_tail: for ``"obrien_fleming"`` only, how the one-sided form
            ``2 - 2 Phi(z_{1-a/2} / sqrt(t))`` is applied. True (the default, the convention of the
            Lan-DeMets program of Reboussin et al. 2000, the R package ldbounds and the published
            tables): each tail spends ``a = alpha / 2``, so the two-sided total is
            ``4 - 4 Phi(z_{1-alpha/4} / sqrt(t))``. False: the form is applied to the two-sided
            alpha itself, ``2 - 2 Phi(z_{1-alpha/2} / sqrt(t))``, which spends more early (3 equal
            looks at 0.05: first bound 3.39 instead of 3.71). The Pocock type is linear in alpha,
            so both readings agree.

    Returns:
        Cumulative alpha (probability) at each ``t``; equals ``alpha`` at ``t = 1``.

    Raises:
        ValueError: for an unknown kind, t outside (0, 1] or alpha outside (0, 1).
    """
    kind, alpha = _check_kind(kind), _check_alpha(alpha)
    arr = _as_fractions(t, design=False)
    if kind == "obrien_fleming":
        tails = 2.0 if per_tail else 1.0
        a = alpha / tails
        # norm.sf keeps precision for the tiny amounts spent at small t (1 - cdf would cancel to 0).
        return tails * 2.0 * norm.sf(norm.isf(a / 2.0) / np.sqrt(arr))
    return alpha * np.log1p((math.e - 1.0) * arr)


def _grid(lo: float, hi: float, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson weights on ``[lo, hi]`` clipped to ``mean +- _HALF_WIDTH`` (may be empty)."""
    lo, hi = max(lo, mean - _HALF_WIDTH), min(hi, mean + _HALF_WIDTH)
    if not hi > lo:
        return np.empty(0), np.empty(0)
    n = 2 * max(1, math.ceil((hi - lo) / (2.0 * _STEP))) + 1  # Simpson needs an odd node count
    z = np.linspace(lo, hi, n)
    w = np.ones(n)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return z, w * (hi - lo) / (3.0 * (n - 1))


class _Recursion:
    """The continuation sub-density of ``Z_k`` carried look to look (Armitage, McPherson & Rowe).

    ``mass`` holds node weight times sub-density at the nodes ``z`` of the last look, so a sum over
    ``mass`` integrates against the probability of still running; before the first look the trial
    runs with probability 1 at ``Z_0 = 0``, ``t_0 = 0``.
    """

    def __init__(self, drift: float) -> None:
        self.drift = drift
        self.t_prev = 0.0
        self.z = np.zeros(1)
        self.mass = np.ones(1)

    def _standardise(self, y: np.ndarray | float, t: float) -> np.ndarray:
        """``(y sqrt(t) - z sqrt(t_prev) - drift dt) / sqrt(dt)``: rows the nodes, columns ``y``."""
        dt = t - self.t_prev
        y = np.atleast_1d(np.asarray(y, dtype=float))
        return ((y[None, :] * math.sqrt(t) - self.z[:, None] * math.sqrt(self.t_prev)
                 - self.drift * dt) / math.sqrt(dt))

    def above(self, y: float, t: float) -> float:
        """P(still running before this look and ``Z_k >= y``) at information fraction ``t``."""
        return float(self.mass @ norm.sf(self._standardise(y, t))[:, 0])

    def below(self, y: float, t: float) -> float:
        """P(still running before this look and ``Z_k <= y``) at information fraction ``t``."""
        return float(self.mass @ norm.cdf(self._standardise(y, t))[:, 0])

    def advance(self, lo: float, hi: float, t: float) -> None:
        """Move to the look at ``t``, keeping the trials with ``lo < Z_k < hi``."""
        z, w = _grid(lo, hi, self.drift * math.sqrt(t))
        if z.size:
            # Density of Z_k = (S_{k-1} + increment) / sqrt(t): Jacobian sqrt(t / dt).
            dens = self.mass @ norm.pdf(self._standardise(z, t)) * math.sqrt(t / (t - self.t_prev))
            self.mass = w * dens
        else:
            self.mass = np.zeros(0)
        self.z, self.t_prev = z, t


def efficacy_boundaries(t: np.ndarray | list[float], alpha: float = 0.05,
                        kind: str = "obrien_fleming", per_tail: bool = True) -> np.ndarray:
    """Two-sided symmetric efficacy boundaries ``c_1..c_K`` by Lan-DeMets alpha spending.

    Each ``c_k`` solves (Brent's method) P_H0(first ``|Z_j| >= c_j`` at ``j = k``) =
    ``alpha(t_k) - alpha(t_{k-1})``, with the crossing probability computed by recursive
    numerical integration. Futility bounds play no part (they are non-binding).

    Args:
        t: information fractions of the looks, strictly increasing in (0, 1], last 1.0 (unitless).
        alpha: total two-sided type I error (probability).
        kind: spending function, ``"obrien_fleming"`` or ``"pocock"`` (see :func:`spending`).
        per_tail: how the O'Brien-Fleming-type function splits alpha (see :func:`spending`);
            the default reproduces the published Lan-DeMets tables.

    Returns:
        Critical values on the z scale, one per look.

    Raises:
        ValueError: for a bad ``t``, ``alpha`` or ``kind``.
    """
    kind, alpha = _check_kind(kind), _check_alpha(alpha)
    t = _as_fractions(t, design=True)
    spent = np.diff(np.concatenate([[0.0], spending(kind, t, alpha, per_tail)]))
    rec = _Recursion(drift=0.0)
    c = np.empty(t.size)
    for k, (tk, target) in enumerate(zip(t, spent)):
        # Under H0 the sub-density is symmetric, so both tails exit equally; the sum is kept anyway
        # so that the equation is literally the two-sided first-crossing probability.
        def excess(ck: float, tk: float = tk, target: float = target) -> float:
            return rec.above(ck, tk) + rec.below(-ck, tk) - target

        # excess falls from (mass still running - target) > 0 at c = 0 towards -target.
        c[k] = _C_MAX if excess(_C_MAX) >= 0.0 else brentq(excess, 0.0, _C_MAX, xtol=1e-12, rtol=1e-14)
        rec.advance(-c[k], c[k], tk)
    return c


CLASSICAL_SHAPE = {"obrien_fleming": 0.0, "pocock": 0.5}
"""Wang-Tsiatis shape parameter Delta of the classical designs (``c_k = C t_k^(Delta - 1/2)``)."""


def classical_boundaries(t: np.ndarray | list[float], alpha: float = 0.05, kind: str = "obrien_fleming") -> np.ndarray:
    """Two-sided symmetric boundaries of the classical designs, fixed for the planned looks:
    O'Brien & Fleming (1979), ``c_k = C / sqrt(t_k)``, and Pocock (1977), ``c_k = C``, both
    members of the Wang & Tsiatis (1987, Biometrics 43:193-9) family ``c_k = C t_k^(Delta - 1/2)``,
    with C solving P_H0(any ``|Z_k| >= c_k``) = ``alpha``. Three equally spaced looks at 0.05 give
    3.471, 2.454, 2.004 (O'Brien-Fleming) and 2.289 at each look (Pocock). Unlike the spending
    boundaries (:func:`efficacy_boundaries`) they hold only for the looks planned.

    Raises:
        ValueError: for a bad ``t``, ``alpha`` or ``kind``.
    """
    kind, alpha = _check_kind(kind), _check_alpha(alpha)
    t = _as_fractions(t, design=True)
    shape = t ** (CLASSICAL_SHAPE[kind] - 0.5)

    def excess(big_c: float) -> float:
        return float(operating_characteristics(t, big_c * shape, 0.0)["reject_two_sided"]) - alpha

    return brentq(excess, 1.0, _C_MAX, xtol=1e-12, rtol=1e-14) * shape


def operating_characteristics(t: np.ndarray | list[float], c: np.ndarray | list[float], drift: float,
                              futility: np.ndarray | list[float] | None = None,
                              n_max: float | None = None) -> dict[str, np.ndarray | float]:
    """Stopping probabilities, power and expected sample size of a group-sequential design.

    Closed form by recursive numerical integration. At interim look k a trial stops for efficacy if
    ``Z_k >= c_k`` (benefit) or ``Z_k <= -c_k`` (harm; a two-sided rejection), else for futility
    if ``Z_k < f_k``; at the final look it stops whatever ``Z_K``.

    Args:
        t: information fractions of the looks, strictly increasing in (0, 1], last 1.0 (unitless).
        c: efficacy boundaries (z), one per look, e.g. from :func:`efficacy_boundaries`.
        drift: standardized drift theta, the expected Z at the final look (``E[Z_k] = theta sqrt(t_k)``;
            0 is H0, ``z_{1-alpha/2} + z_{power}`` gives the fixed design's power).
        futility: optional non-binding futility bounds (z), one per interim look (K-1 entries);
            ``-inf`` for none at a look.
        n_max: optional maximum sample size (participants) to scale the expected sample size.

    Returns:
        A dict with per-look arrays (probabilities) ``p_efficacy`` (stop with ``Z_k >= c_k``),
        ``p_harm`` (stop with ``Z_k <= -c_k``), ``p_futility`` (0 at the final look) and ``p_stop``
        (all stops; the final look takes the remainder so it sums to 1); scalars ``power``
        (P of crossing in the direction of benefit), ``reject_two_sided`` (P of any rejection),
        ``expected_fraction`` (expected information as a fraction of the maximum) and, when
        ``n_max`` is given, ``expected_n`` (participants).

    Raises:
        ValueError: for a bad ``t``, ``c`` of the wrong length or futility of the wrong length.
    """
    t = _as_fractions(t, design=True)
    k_looks = t.size
    c = np.asarray(c, dtype=float)
    if c.shape != (k_looks,) or np.any(np.isnan(c)) or np.any(c <= 0.0):
        raise ValueError(f"c must hold {k_looks} positive efficacy boundaries (z), one per look, got {c.tolist()}")
    f = _check_futility(futility, k_looks)
    if n_max is not None and not (np.isfinite(n_max) and n_max > 0):
        raise ValueError(f"n_max must be a positive number of participants, got {n_max!r}")
    rec = _Recursion(drift=float(drift))
    p_eff, p_harm, p_fut = np.zeros(k_looks), np.zeros(k_looks), np.zeros(k_looks)
    for k in range(k_looks):
        p_eff[k] = rec.above(c[k], t[k])
        p_harm[k] = rec.below(-c[k], t[k])
        if k == k_looks - 1:
            break
        lo = -c[k]
        if f is not None and f[k] > -c[k]:
            # The futility region starts where the harm region ends, and cannot reach past c_k.
            lo = min(f[k], c[k])
            p_fut[k] = max(rec.below(lo, t[k]) - p_harm[k], 0.0)
        rec.advance(lo, c[k], t[k])
    p_stop = p_eff + p_harm + p_fut
    p_stop[-1] = max(1.0 - p_stop[:-1].sum(), 0.0)
    out: dict[str, np.ndarray | float] = {
        "p_efficacy": p_eff, "p_harm": p_harm, "p_futility": p_fut, "p_stop": p_stop,
        "power": float(p_eff.sum()), "reject_two_sided": float(p_eff.sum() + p_harm.sum()),
        "expected_fraction": float(t @ p_stop),
    }
    if n_max is not None:
        out["expected_n"] = float(n_max) * float(out["expected_fraction"])
    return out


def apply_looks(z: np.ndarray, c: np.ndarray, futility: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply the stopping rules to simulated trials, all at once.

    A trial stops at its first look with ``|z_k| >= c_k`` (efficacy, H0 rejected) or, at an
    interim look with futility bounds, ``z_k < f_k`` (futility; efficacy is checked first, so a
    ``z_k <= -c_k`` counts as a rejection); otherwise it runs to the final look.

    Args:
        z: observed z statistics, shape (n_trials, K), positive favouring the intervention.
        c: efficacy boundaries (z), K entries.
        futility: optional futility bounds (z), K-1 entries (one per interim look).

    Returns:
        ``(look, rejected, futile)``: the 0-based look at which each trial stopped (K-1 if it ran
        to the end), whether it rejected H0 there, and whether it stopped for futility.

    Raises:
        ValueError: for ``z`` not 2-D, ``c`` not matching its K columns, or futility not K-1 long.
    """
    z = np.asarray(z, dtype=float)
    c = np.asarray(c, dtype=float)
    if z.ndim != 2 or z.shape[1] == 0:
        raise ValueError(f"z must be a 2-D array (n_trials, K looks), got shape {z.shape}")
    k_looks = z.shape[1]
    if c.shape != (k_looks,):
        raise ValueError(f"c must have one boundary per look (K = {k_looks}), got shape {c.shape}")
    f = _check_futility(futility, k_looks)
    efficacy = np.abs(z) >= c[None, :]
    fut = np.zeros_like(efficacy)
    if f is not None:
        fut[:, :-1] = (z[:, :-1] < f[None, :]) & ~efficacy[:, :-1]
    stop = efficacy | fut
    stop[:, -1] = True  # the final look ends every trial still running
    look = np.argmax(stop, axis=1)
    rows = np.arange(z.shape[0])
    return look, efficacy[rows, look], fut[rows, look]

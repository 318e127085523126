"""One place for every interval that a table, figure or page shows.

A summary is computed per replicate (one seed, and where parameters are drawn, one parameter draw
per replicate) and the interval describes the spread of those replicate means. Two *kinds* exist,
each printed with its label (the ``interval`` column of every summary table):

* ``"monte_carlo"`` ("Monte Carlo 95%"): uncertainty from simulating a finite cohort with finite
  replicates, parameters fixed. With two or more replicates, the t interval of the replicate
  means (Student's t with R - 1 degrees of freedom); with one replicate, the normal interval from
  the between-dyad SD (mean +- 1.96 SD / sqrt(n)). A *share* (a mean of 0/1 values, or any
  proportion in [0, 1]) gets the Wilson score interval instead (Wilson 1927, *JASA* 22:209),
  with the sample size replaced by the effective size p(1 - p) / SE^2 implied by the same
  standard error and the same t quantile (Korn & Graubard 1998, *Survey Methodology* 24:193), so
  it matches the t interval where that is inside [0, 1] and never leaves [0, 1].
* ``"parameter"`` ("parameter + Monte Carlo 95%"): every replicate carries its own parameter draw,
  so the 2.5th to 97.5th percentile of the replicate means spans parameter and Monte Carlo
  uncertainty together (Briggs et al. 2012, *Med. Decis. Making* 32:722, probabilistic
  sensitivity analysis). Percentiles of values in [0, 1] stay in [0, 1].

Fewer than :data:`MIN_REPLICATES` replicates give a :class:`FewReplicatesWarning` and a note that
pages print (:func:`few_replicates_note`): a t quantile with one or two degrees of freedom is
large (12.7, 4.3) and the replicate SD itself is poorly estimated.

To add a kind: add its label to :data:`KINDS` and its rule to :func:`bands`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
"""Coverage of every interval shown."""
KINDS: dict[str, str] = {"monte_carlo": "Monte Carlo 95%", "parameter": "parameter + Monte Carlo 95%"}
"""Interval kind -> the label printed in tables (column ``interval``), figures and pages."""
MIN_REPLICATES = 3
"""Below this many replicates an interval is flagged (warning and page note)."""


class FewReplicatesWarning(UserWarning):
    """Intervals from fewer than :data:`MIN_REPLICATES` replicates are unreliable."""


@dataclass(frozen=True)
class Interval:
    """A point estimate with its interval and the label of the interval's kind."""

    centre: float
    lower: float
    upper: float
    label: str


def check_kind(kind: str) -> str:
    """``kind`` if it is known; otherwise a ``ValueError`` naming the allowed kinds."""
    if kind not in KINDS:
        raise ValueError(f"interval kind {kind!r} is not one of {sorted(KINDS)}")
    return kind


def label(kind: str) -> str:
    """The printed label of an interval kind (e.g. ``"Monte Carlo 95%"``)."""
    return KINDS[check_kind(kind)]


def scope_note(kind: str) -> str | None:
    """One plain sentence, shown next to the numbers, for intervals that carry stochastic uncertainty only.

    Monte Carlo intervals shrink as dyads and replicates grow, whatever is known about the
    parameters: without the sentence a narrow interval reads as a precise estimate. None for
    ``parameter`` intervals, whose replicates each carry a parameter draw."""
    if check_kind(kind) != "monte_carlo":
        return None
    return ("These intervals carry only the chance of simulating a finite cohort (Monte Carlo), not uncertainty "
            "in the model's parameters: they narrow with more dyads and replicates whatever the evidence, so they "
            "look more certain than the model is (--parameters posterior, the default, adds parameter uncertainty).")


def figure_label(kind: str) -> str:
    """The interval label for a figure title: :func:`label`, and for Monte Carlo intervals the short
    reminder that they are stochastic only (see :func:`scope_note`)."""
    return label(kind) + ("; stochastic only, not parameter uncertainty" if kind == "monte_carlo" else "")


def kind_of(text: str) -> str:
    """The kind whose label is ``text`` (inverse of :func:`label`; reads a table's ``interval``)."""
    for k, lbl in KINDS.items():
        if lbl == text:
            return k
    raise ValueError(f"interval label {text!r} is not one of {sorted(KINDS.values())}")


def t_quantile(dof: int | float, level: float = LEVEL) -> float:
    """Two-sided ``level`` quantile of Student's t with ``dof`` degrees of freedom (0.975 for 95%)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, dof))


def z_quantile(level: float = LEVEL) -> float:
    """Two-sided ``level`` quantile of the standard normal (1.96 for 95%)."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def wilson(p: np.ndarray | float, n: np.ndarray | float, q: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``p`` from ``n`` trials with quantile ``q``
    (Wilson 1927; Agresti & Coull 1998, *Am. Stat.* 52:119). Always inside [0, 1]; ``n`` may be
    infinite (zero width) or non-integer (an effective sample size)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(np.isinf(n), 0.0, np.asarray(q, dtype=np.float64) ** 2 / n)
        centre = (p + k / 2) / (1 + k)
        half = np.sqrt(np.maximum(k * p * (1 - p) + k * k / 4, 0.0)) / (1 + k)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def bands(values: np.ndarray, *, kind: str = "monte_carlo", share: bool = False,
          sd: np.ndarray | float | None = None, n: np.ndarray | float | None = None,
          se: np.ndarray | float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre, lower and upper of each column of ``values`` (replicates x points; NaN ignored).

    Args:
        values: replicate means, shape (R,) or (R, K).
        kind: ``"monte_carlo"`` or ``"parameter"`` (see the module doc).
        share: the values are proportions in [0, 1] (Wilson interval for ``"monte_carlo"``).
        sd, n: between-dyad SD and dyad count of the single replicate (used only when R == 1;
            without them one replicate gives a NaN interval). ``n`` also caps a share's effective
            size (a cohort of n dyads per replicate cannot carry more than R * n trials).
        se: standard error of the single replicate's estimate, where it is known directly
            (e.g. a Kaplan-Meier variance); used only when R == 1, instead of ``sd``/``n``.
    Returns:
        Arrays of shape (K,) (or scalars' 0-d arrays for 1-d input).
    """
    check_kind(kind)
    known_se = se
    v = np.asarray(values, dtype=np.float64)
    flat = v.ndim == 1
    if flat:
        v = v[:, None]
    reps = (~np.isnan(v)).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as they should
        centre = np.nanmean(v, axis=0)
        if kind == "parameter":
            lo = np.nanpercentile(v, 100 * (1 - LEVEL) / 2, axis=0)
            hi = np.nanpercentile(v, 100 * (1 + LEVEL) / 2, axis=0)
            lo, hi = np.where(reps >= 2, lo, np.nan), np.where(reps >= 2, hi, np.nan)
        else:
            rep_sd = np.nanstd(v, axis=0, ddof=1) if v.shape[0] > 1 else np.full(v.shape[1], np.nan)
            many = reps >= 2
            se = np.where(many, rep_sd / np.sqrt(np.maximum(reps, 1)), np.nan)
            q = np.array([t_quantile(r - 1) if r >= 2 else z_quantile() for r in reps])
            if sd is not None and n is not None:
                sd_a = np.broadcast_to(np.asarray(sd, dtype=np.float64), centre.shape)
                n_a = np.broadcast_to(np.asarray(n, dtype=np.float64), centre.shape)
                one_se = np.where(n_a > 1, sd_a / np.sqrt(np.maximum(n_a, 1)), np.nan)
                se = np.where(reps == 1, one_se, se)
            if known_se is not None and v.shape[0] == 1:
                se = np.broadcast_to(np.asarray(known_se, dtype=np.float64), centre.shape)
            lo, hi = centre - q * se, centre + q * se
            if share:
                p = np.clip(centre, 0.0, 1.0)
                safe = np.where(se > 0, se, 1.0)
                # Effective size from the same standard error; zero SE means no spread at all
                # (capped below by the dyads simulated), a NaN SE (no spread known) stays NaN.
                n_eff = np.where(np.isnan(se), np.nan, np.where(se > 0, p * (1 - p) / safe**2, np.inf))
                if n is not None:
                    cap = np.broadcast_to(np.asarray(n, dtype=np.float64), centre.shape) * np.maximum(reps, 1)
                    n_eff = np.minimum(n_eff, cap)
                # With no spread between replicates the pooled binomial count is all there is:
                # the normal quantile applies, not t.
                lo, hi = wilson(p, n_eff, np.where(se > 0, q, z_quantile()))
    if flat:
        return centre[0], lo[0], hi[0]
    return centre, lo, hi


def interval(values: np.ndarray, *, kind: str = "monte_carlo", share: bool = False,
             sd: float | None = None, n: float | None = None, se: float | None = None) -> Interval:
    """:func:`bands` of one outcome's replicate means, as an :class:`Interval` with its label."""
    c, lo, hi = bands(np.asarray(values, dtype=np.float64).ravel(), kind=kind, share=share, sd=sd, n=n, se=se)
    return Interval(float(c), float(lo), float(hi), label(kind))


def few_replicates_note(replicates: int) -> str | None:
    """The note a page prints when intervals rest on fewer than :data:`MIN_REPLICATES` replicates."""
    if replicates >= MIN_REPLICATES:
        return None
    return (f"Intervals rest on {replicates} replicate{'s' if replicates != 1 else ''} "
            f"(fewer than {MIN_REPLICATES}): they are unreliable; run more replicates (--replicates).")


def warn_few_replicates(replicates: int, where: str) -> str | None:
    """Warn (:class:`FewReplicatesWarning`) when ``replicates`` is below :data:`MIN_REPLICATES`;
    return the page note (or None)."""
    note = few_replicates_note(replicates)
    if note is not None:
        warnings.warn(f"{where}: {note}", FewReplicatesWarning, stacklevel=3)
    return note

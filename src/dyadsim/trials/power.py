"""Monte Carlo power of a trial design: every outcome and every mediation path, over sample sizes.

For each sample size N (per allocation unit) of the grid, ``reps`` trials are drawn from the arms'
pools of potential outcomes (:mod:`dyadsim.trials.simulate`: random screening order,
stratified block randomization, measurement error and drop-out differ between replicates) and
analysed by the trial's plan (:mod:`dyadsim.trials.plan`). Power is the share of replicates
that reject: the primary outcome at alpha, secondary outcomes after the plan's multiplicity
adjustment, process measures unadjusted, each mediation path by joint significance and by the
percentile bootstrap. Its Monte Carlo standard error is ``sqrt(p (1 - p) / R)`` over the R
replicates whose model converged; replicates whose model failed (non-convergence, separation)
are counted and reported, and count as non-rejections in the power (a failed analysis rejects
nothing).

Replicate ``r`` at size ``N`` draws from ``numpy.random.default_rng([seed, N, r])``, so results
do not depend on how replicates are batched or which executor ran them, and a stopped analysis
resumes where it stopped (:func:`dyadsim.run.sweep.run_tasks`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError
from dyadsim.trials.design import Trial
from dyadsim.trials.interim import sequential_row
from dyadsim.trials.plan import estimate_mediation, estimate_outcomes
from dyadsim.trials.simulate import Pools, draw_trial

REPLICATE_COLUMNS: tuple[str, ...] = ("n", "rep", "target", "kind", "reject", "estimate", "p_value", "converged")
"""Columns of the per-replicate table: sample size per allocation unit, replicate, target (outcome
or mediation path), kind (``primary``, ``secondary``, ``process``, ``mediation (joint)``,
``mediation (bootstrap)``), whether it rejected, the estimate, the p value (NaN for bootstrap
decisions) and whether the analysis converged."""


def parse_grid(text: str, option: str = "--n") -> list[int]:
    """Sample sizes from ``A:B:STEP`` (inclusive), ``A,B,C`` or one number.

    Raises:
        InputError: naming the option and the allowed forms.
    """
    allowed = "give sizes as FIRST:LAST:STEP (e.g. 50:400:50), a list (50,100,200) or one number, each 4-100000"
    try:
        if ":" in text:
            a, b, step = (int(x) for x in text.split(":"))
            if step < 1 or b < a:
                raise ValueError
            grid = list(range(a, b + 1, step))
        else:
            grid = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError("command line", option, allowed) from None
    if not grid or min(grid) < 4 or max(grid) > 100_000 or len(grid) > 200:
        raise InputError("command line", option, allowed + " (at most 200 sizes)")
    return sorted(set(grid))


def analyse_replicate(pools: Pools, n: int, rep: int, n_boot: int) -> list[tuple[Any, ...]]:
    """Draw and analyse one replicate trial; its rows of :data:`REPLICATE_COLUMNS`."""
    trial = pools.trial
    rng = np.random.default_rng([trial.seed, n, rep])
    td = draw_trial(pools, n, rng)
    seed = int(rng.integers(2**31))
    rows: list[tuple[Any, ...]] = []
    est = estimate_outcomes(trial, td, seed=seed)
    multi_arm = est["arm"].nunique() > 1
    if trial.interim is not None:  # the group-sequential design, on the same replicate trial
        rows.append(sequential_row(trial, td, est.iloc[0].to_dict(), n, rep, seed))
    for r in est.to_dict("records"):
        target = f"{r['outcome']} ({r['arm']})" if multi_arm else r["outcome"]
        reject = bool(r["reject"]) if r["role"] != "process" else \
            bool(r["converged"] and r["p_value"] < trial.analysis.alpha)
        rows.append((n, rep, target, r["role"], reject, r["estimate"], r["p_value"], bool(r["converged"])))
    if trial.mediation:
        med = estimate_mediation(trial, td, n_boot=n_boot, seed=seed)
        for m in med.to_dict("records"):
            ok = bool(m["converged"])
            for kind, key in (("mediation (joint)", "joint_significant"), ("mediation (bootstrap)", "bootstrap_significant")):
                rows.append((n, rep, m["path"], kind, bool(m[key]) and ok, m["indirect"], np.nan, ok))
    return rows


def run_power_task(payload: dict[str, Any]) -> pd.DataFrame:
    """Replicates ``reps`` of size ``n`` (a task of a power analysis; runs in any worker).

    BLAS runs on one thread here: the models' matrices are small, and threaded BLAS on them was
    about ten times slower on a loaded 2-core machine (see :mod:`dyadsim.trials.mediation`)."""
    from threadpoolctl import threadpool_limits

    rows: list[tuple[Any, ...]] = []
    with threadpool_limits(limits=1, user_api="blas"):
        for rep in payload["reps"]:
            rows += analyse_replicate(payload["pools"], payload["n"], rep, payload["n_boot"])
    return pd.DataFrame(rows, columns=list(REPLICATE_COLUMNS))


def power_tasks(pools: Pools, grid: list[int], reps: int | list[int], batch: int,
                n_boot: int) -> list[tuple[str, dict[str, Any], int]]:
    """Tasks (key, payload, replicates) covering every size and replicate (``reps``: how many, or
    which), ``batch`` replicates each, keyed by size and first replicate."""
    which = list(range(reps)) if isinstance(reps, int) else list(reps)
    tasks = []
    for n in grid:
        for lo in range(0, len(which), batch):
            chunk = which[lo:lo + batch]
            tasks.append((f"n{n:06d}-r{chunk[0]:06d}", {"pools": pools, "n": n, "reps": chunk,
                                                        "n_boot": n_boot}, len(chunk)))
    return tasks


def summarize_power(table: pd.DataFrame) -> pd.DataFrame:
    """Power per size and target with its Monte Carlo SE, replicates and failures."""
    rows = []
    for (target, kind, n), g in table.groupby(["target", "kind", "n"], sort=False):
        r = len(g)
        p = float(g["reject"].mean())
        rows.append({"target": target, "kind": kind, "n": int(n), "power": p,
                     "mcse": math.sqrt(p * (1 - p) / r) if r else np.nan, "replicates": r,
                     "failures": int((~g["converged"].astype(bool)).sum()),
                     "mean_estimate": float(g["estimate"].mean())})
    out = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(dict.fromkeys(table["target"]))}
    return out.sort_values(["target", "kind", "n"], key=lambda s: s.map(order) if s.name == "target" else s,
                           kind="stable").reset_index(drop=True)


READ_OFF = ("within grid", "below grid", "above grid", "not estimable")
"""How a required size was read off a power curve (column ``how_80``/``how_90`` of required_n.csv)."""


def _probit_fit(n: np.ndarray, p: np.ndarray, reps: np.ndarray) -> tuple[float, float] | None:
    """Least-squares fit of ``probit(power) = a + b sqrt(n)`` over the grid.

    The form is the normal approximation of a test's power, ``Phi(delta sqrt(n) / sigma - z)``
    (e.g. Chow, Shao & Wang 2008, Sample Size Calculations in Clinical Research, ch. 3): power's
    probit is linear in the square root of the size. Powers of 0 or 1 are moved half a replicate
    inside (0, 1) so they stay finite. None when the curve does not rise (b <= 0) or has one point.
    """
    from scipy.stats import norm

    if len(n) < 2:
        return None
    half = 0.5 / np.maximum(reps, 1)
    z = norm.ppf(np.clip(p, half, 1.0 - half))
    if np.ptp(z) < 1e-9:  # a flat curve: a fitted slope would be rounding noise
        return None
    x = np.sqrt(n)
    b, a = np.polyfit(x, z, 1)
    return (float(a), float(b)) if b > 0 and np.isfinite(a) else None


def n_for_power(curve: pd.DataFrame, level: float) -> tuple[float, str]:
    """Size at which power reaches ``level``, and how it was read off (one of :data:`READ_OFF`).

    Within the grid: linear interpolation between the grid points around the crossing. When even
    the smallest size has the power (``below grid``) or the largest falls short (``above grid``),
    the size is extrapolated from the probit fit of :func:`_probit_fit`: an estimate outside what
    was simulated, to be checked by a grid that brackets it. ``(nan, "not estimable")`` when the
    curve does not rise with size and falls short, ``(nan, "below grid")`` when it is flat at or
    above the level at every size.
    """
    c = curve.sort_values("n")
    n, p = c["n"].to_numpy(np.float64), c["power"].to_numpy(np.float64)
    reps = c["replicates"].to_numpy(np.float64) if "replicates" in c else np.full(len(n), 1000.0)
    hit = np.flatnonzero(p >= level)
    if len(hit) and hit[0] > 0:
        i = int(hit[0])
        return float(n[i - 1] + (level - p[i - 1]) * (n[i] - n[i - 1]) / (p[i] - p[i - 1])), "within grid"
    how = "below grid" if len(hit) else "above grid"
    fit = _probit_fit(n, p, reps)
    if fit is None:
        # Power already at the level on a flat curve (often 1 at every size): the size is below the
        # grid, but there is no slope to extrapolate from.
        return float("nan"), how if how == "below grid" else "not estimable"
    from scipy.stats import norm

    a, b = fit
    root = (float(norm.ppf(level)) - a) / b
    if root <= 0:
        return 1.0, how
    est = root * root
    # The fit can land on the wrong side of the grid it was fitted to: keep the estimate outside it.
    est = min(est, float(n[0])) if how == "below grid" else max(est, float(n[-1]))
    return float(est), how


def required_sizes(summary: pd.DataFrame, trial: Trial) -> pd.DataFrame:
    """N per allocation unit (and in total) for 80% and 90% power, per target, with how each was
    read off the curve (``how_80``, ``how_90``: :data:`READ_OFF`)."""
    rows = []
    for (target, kind), g in summary.groupby(["target", "kind"], sort=False):
        (n80, how80), (n90, how90) = n_for_power(g, 0.8), n_for_power(g, 0.9)
        rows.append({"target": target, "kind": kind, "n_80": n80, "how_80": how80, "n_90": n90, "how_90": how90,
                     "total_80": n80 * sum(trial.ratio), "total_90": n90 * sum(trial.ratio)})
    return pd.DataFrame(rows)


def describe_size(n: float, how: str, grid: tuple[int, int]) -> str:
    """A required size as a reader should see it: ``125``, ``below the grid (< 50; about 31,
    extrapolated)``, ``above the grid (> 300; about 410, extrapolated)`` or ``not estimable``."""
    if how == "within grid":
        return f"{n:.0f}"
    if how == "not estimable":
        return "not estimable (power does not rise with size)"
    if how == "below grid" and not math.isfinite(n):
        return f"below the grid (< {grid[0]}; power is flat at every size, nothing to extrapolate from)"
    side, bound = ("below", f"< {grid[0]}") if how == "below grid" else ("above", f"> {grid[1]}")
    return f"{side} the grid ({bound}; about {math.ceil(n)}, extrapolated)"

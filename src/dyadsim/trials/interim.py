"""Interim analyses of a simulated trial: group-sequential looks at its primary outcome.

A trial file's ``interim:`` names the looks as information fractions (the share of the enrolled
participants, in order of enrolment, whose primary outcome is analysed at that look; the last is
1.0, the final analysis), the alpha-spending function (Lan-DeMets, O'Brien-Fleming or Pocock type:
:mod:`dyadsim.trials.sequential`) and optional non-binding futility bounds. Each replicate trial of
a power analysis is analysed at every look by the plan's model for the primary outcome on the
participants enrolled by then; its signed z (positive favours the intervention) is compared with
the boundaries; the trial stops at the first look that crosses one. The power analysis then
reports, per size, the sequential power, the probability of stopping at each look (for efficacy
or futility) and the expected number enrolled, beside the closed-form operating characteristics
at the drift the fixed design's z implies.

Simplification, stated: a look analyses everyone enrolled by then with the outcome as it will be
observed (accrual is instantaneous relative to follow-up), so the information fraction is the
share enrolled; a real trial's look sees only those already assessed.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from dyadsim.trials.design import Trial
from dyadsim.trials.measures import MEASURES
from dyadsim.trials.plan import estimate_outcomes
from dyadsim.trials.sequential import apply_looks, efficacy_boundaries, operating_characteristics
from dyadsim.trials.simulate import TrialData

KIND = "primary (sequential)"
"""``kind`` of the replicate rows of the sequential design."""


def boundaries(trial: Trial) -> np.ndarray:
    """The efficacy boundaries (z) of the trial's looks at its alpha (two-sided)."""
    assert trial.interim is not None
    return efficacy_boundaries(trial.interim.looks, trial.analysis.alpha, trial.interim.spending)


def signed_z(row: dict[str, Any], lower_is_better: bool) -> float:
    """The z of an estimate row, positive when it favours the intervention (0 if it failed)."""
    if not row["converged"] or not np.isfinite(row["p_value"]):
        return 0.0
    effect = math.log(row["estimate"]) if row["scale"] != "mean_difference" else float(row["estimate"])
    direction = float(np.sign(effect)) * (-1.0 if lower_is_better else 1.0)
    return direction * float(norm.isf(max(float(row["p_value"]), 1e-300) / 2.0))


def look_sizes(trial: Trial, n_total: int) -> list[int]:
    """Participants enrolled at each look (the last is everyone)."""
    assert trial.interim is not None
    return [max(2, int(math.ceil(t * n_total - 1e-9))) for t in trial.interim.looks]


def sequential_row(trial: Trial, td: TrialData, final: dict[str, Any], n: int, rep: int,
                   seed: int) -> tuple[Any, ...]:
    """The replicate row of the sequential design: interim looks analysed on the participants
    enrolled by then, the final look from ``final`` (the full analysis's primary row). ``estimate``
    holds the z at the look where the trial stopped, ``p_value`` the 1-based look, ``reject``
    whether it stopped for efficacy there."""
    assert trial.interim is not None
    only = trial.model_copy(update={"secondary": [], "process": [], "mediation": []})
    sizes = look_sizes(trial, len(td.participants))
    z = np.empty((1, len(sizes)))
    for k, m in enumerate(sizes[:-1]):
        part = td.participants.iloc[:m]
        est = estimate_outcomes(only, TrialData(part, td.consort), seed=seed + 1 + k)
        z[0, k] = signed_z(est.iloc[0].to_dict(), trial.primary.lower_is_better)
    z[0, -1] = signed_z(final, trial.primary.lower_is_better)
    fut = None if trial.interim.futility is None else np.asarray(trial.interim.futility, dtype=float)
    look, rejected, _ = apply_looks(z, boundaries(trial), fut)
    k = int(look[0])
    return (n, rep, trial.primary.name, KIND, bool(rejected[0]), float(z[0, k]), float(k + 1), True)


def sequential_summary(table: pd.DataFrame, trial: Trial) -> pd.DataFrame:
    """Per size: the sequential power, the probability of stopping at each look, the expected
    number enrolled (total), and the closed-form operating characteristics at the drift implied
    by the mean final z of the fixed design (the primary's replicates)."""
    assert trial.interim is not None
    t = np.asarray(trial.interim.looks, dtype=float)
    c = boundaries(trial)
    fut = None if trial.interim.futility is None else np.asarray(trial.interim.futility, dtype=float)
    rows = []
    seq = table[table["kind"] == KIND]
    fixed = table[(table["kind"] == "primary") & (table["target"] == trial.primary.name)]
    for n, g in seq.groupby("n", sort=True):
        n_total = int(n) * sum(trial.ratio)
        sizes = np.asarray(look_sizes(trial, n_total), dtype=float)
        looks = g["p_value"].to_numpy(dtype=int) - 1
        stop = np.bincount(looks, minlength=len(t)) / len(g)
        power = float(g["reject"].mean())
        row: dict[str, Any] = {"n": int(n), "replicates": len(g), "power": power,
                               "mcse": math.sqrt(power * (1 - power) / len(g)),
                               "expected_total": float(sizes[looks].mean()), "max_total": n_total}
        for k in range(len(t)):
            row[f"stop_look_{k + 1}"] = float(stop[k])
        f = fixed[fixed["n"] == n]
        ok = f[f["converged"].astype(bool)]
        if len(ok):  # drift from the fixed design's z (Z ~ N(theta, 1)): the closed form at the same effect
            scale = "mean_difference" if MEASURES[trial.primary.measure].kind == "continuous" else "ratio"
            drift = float(np.mean([signed_z({"converged": True, "p_value": p, "estimate": e, "scale": scale},
                                            trial.primary.lower_is_better)
                                   for p, e in zip(ok["p_value"], ok["estimate"])]))
            oc = operating_characteristics(t, c, drift, fut, n_total)
            row["fixed_drift"] = drift
            row["closed_form_power"] = float(oc["power"])
            row["closed_form_expected_total"] = float(oc["expected_n"])
        rows.append(row)
    return pd.DataFrame(rows)

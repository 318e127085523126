"""Effects on a trial's primary outcome by the pre-specified subgroups, with interaction tests.

The subgroups are those of :data:`dyadsim.analysis.subgroups.SUBGROUPS` (MOUD at enrolment, four
or more ACEs, prior CPS contact), read from each mother's baseline when the pools are built. In
each subgroup level (in it, not in it) the primary outcome is analysed by the trial's own plan
(its model, covariates and missing-data method: :func:`dyadsim.trials.analysis.analyze_arms`);
a stratum covariate with a single level inside the subgroup is left out there (it is constant).
The interaction test compares the two levels' estimates on the model's linear-predictor scale
(log ratio for ratios): ``z = (b_in - b_out) / sqrt(se_in^2 + se_out^2)``, valid because the two
levels are disjoint sets of mothers (Altman & Bland 2003, BMJ 326:219). The interaction is
reported on the outcome's scale: a difference of differences, or a ratio of ratios.

Subgroup analyses of one trial are underpowered for interactions (a trial sized for the main
effect has about a quarter of the power for an interaction of the same size; Brookes et al. 2004,
J. Clin. Epidemiol. 57:229-236): read them as a planner's check of where the effect lives.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from dyadsim.analysis.subgroups import COLUMNS, SUBGROUPS
from dyadsim.trials.analysis import analyze_arms
from dyadsim.trials.design import Trial, repeated_months
from dyadsim.trials.plan import _long, _spec, analysis_frame
from dyadsim.trials.simulate import TrialData

RATIO_SCALES = ("rate_ratio", "odds_ratio", "hazard_ratio")
"""Scales on which effects are ratios (the null is 1, the interaction a ratio of ratios)."""


def subgroup_column(name: str) -> str:
    """The participants' 0/1 column of subgroup ``name``."""
    return f"sg_{name}"


def subgroup_estimates(trial: Trial, td: TrialData, seed: int = 0) -> pd.DataFrame:
    """The primary outcome's effect in and out of each subgroup, per treatment arm (columns of
    :data:`dyadsim.analysis.subgroups.COLUMNS`, ``scenario`` the arm, plus ``scale``,
    ``n_control`` and ``n_treatment``)."""
    data = analysis_frame(trial, td)
    o = trial.primary
    spec = _spec(trial, o, data)
    frame = _long(data, o, repeated_months(trial, o)) if o.model == "gee" else data
    z = float(stats.norm.ppf(1 - trial.analysis.alpha / 2))
    rows = []
    for sg in SUBGROUPS:
        col = subgroup_column(sg)
        if col not in frame.columns:
            continue
        fits = {}
        for level, flag in (("in", 1.0), ("out", 0.0)):
            sub = frame[frame[col].to_numpy() == flag]
            covs = tuple(c for c in spec.covariates if sub[c].nunique(dropna=True) > 1)
            mine = replace(spec, covariates=covs)
            keep = ["id", "arm", mine.column, *covs, *(["time"] if o.model == "gee" else []),
                    *([mine.event] if mine.event else [])]
            try:
                fits[level] = analyze_arms(sub[keep], mine, seed=seed) if sub["arm"].nunique() > 1 else {}
            except ValueError:  # a level with no control or no treated mother
                fits[level] = {}
        for a in range(1, len(trial.arms)):
            per = {lv: fits[lv].get(a) for lv in ("in", "out")}
            for level in ("in", "out"):
                e = per[level]
                ok = e is not None and e.converged
                row = {"scenario": trial.arms[a].name, "subgroup": sg, "level": level, "outcome": o.name,
                       "effect": e.estimate if ok else np.nan, "lower": e.ci_low if ok else np.nan,
                       "upper": e.ci_high if ok else np.nan,
                       "dyads": float(e.n_control + e.n_treatment) if e is not None else 0.0,
                       "interval": f"{100 * (1 - trial.analysis.alpha):g}% CI", "scale": e.scale if e else "",
                       "n_control": e.n_control if e else 0, "n_treatment": e.n_treatment if e else 0}
                if level == "in":
                    row.update(_interaction(per["in"], per["out"], z))
                rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, "scale", "n_control", "n_treatment"])


def _interaction(inside: object, outside: object, z: float) -> dict[str, float]:
    """The interaction of two disjoint levels' estimates (see the module doc)."""
    nan = {"interaction": np.nan, "interaction_lower": np.nan, "interaction_upper": np.nan, "p_interaction": np.nan}
    if inside is None or outside is None or not (inside.converged and outside.converged):  # type: ignore[attr-defined]
        return nan
    b = inside.coef - outside.coef  # type: ignore[attr-defined]
    se = math.sqrt(inside.se ** 2 + outside.se ** 2)  # type: ignore[attr-defined]
    if not (math.isfinite(b) and math.isfinite(se) and se > 0):
        return nan
    back = math.exp if inside.scale in RATIO_SCALES else float  # type: ignore[attr-defined]
    return {"interaction": back(b), "interaction_lower": back(b - z * se), "interaction_upper": back(b + z * se),
            "p_interaction": float(2 * stats.norm.sf(abs(b / se)))}

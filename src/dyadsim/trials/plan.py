"""The statistical analysis plan of a trial file, applied to one simulated trial.

Every tested outcome (primary, then secondary) and process measure is analysed by intention to
treat with its declared model and the plan's missing-data method (:mod:`dyadsim.trials.analysis`);
secondary outcomes are adjusted for multiplicity by the plan's procedure (the primary is tested at
alpha alone); each declared mediation path is tested by joint significance and by the percentile
bootstrap of the product of coefficients (:mod:`dyadsim.trials.mediation`) on the participants
with every value observed (complete cases), treatment against control (arms 1 and 0).
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from dyadsim.trials.analysis import Estimate, OutcomeSpec, adjust, analyze_arms
from dyadsim.trials.design import Outcome, Trial, repeated_months
from dyadsim.trials.measures import MEASURES
from dyadsim.trials.mediation import mediate, mediate_serial
from dyadsim.trials.simulate import TrialData

ESTIMATE_COLUMNS: tuple[str, ...] = (
    "outcome", "role", "arm", "model", "scale", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted",
    "reject", "effect_size", "effect_size_kind", "n_control", "n_treatment", "converged", "failure")
"""Columns of the estimates table: one row per outcome and treatment arm (against control)."""
MEDIATION_COLUMNS: tuple[str, ...] = (
    "path", "mediators", "outcome", "indirect", "ci_low", "ci_high", "joint_significant", "bootstrap_significant",
    "paths", "p_paths", "c_prime", "n", "converged", "failure")
"""Columns of the mediation table: one row per declared path."""


MIN_COMPLETE_PER_ARM = 2
"""Fewest complete cases (mediators and outcome observed) per arm for a mediation path to be
estimated: with fewer, the arm's contribution to the a path is one point or none."""


def _not_estimable(path: str, mediators: str, outcome: str, n: int, why: str) -> dict[str, object]:
    """A mediation row that could not be estimated: NaN effects, no rejection, and the reason."""
    nan = float("nan")
    return {"path": path, "mediators": mediators, "outcome": outcome, "indirect": nan, "ci_low": nan,
            "ci_high": nan, "joint_significant": False, "bootstrap_significant": False, "paths": "",
            "p_paths": "", "c_prime": nan, "n": n, "converged": False, "failure": why}


def _spec(trial: Trial, o: Outcome, data: pd.DataFrame) -> OutcomeSpec:
    covs: list[str] = []
    if "baseline" in o.covariates and f"base_{o.name}" in data.columns:
        covs.append(f"base_{o.name}")
    if "strata" in o.covariates:
        covs += [f"stratum_{s}" for s in trial.randomization.strata]
    survival = MEASURES[o.measure].kind == "survival"
    family = {"continuous": "gaussian", "binary": "binomial", "count": "poisson"}.get(MEASURES[o.measure].kind)
    return OutcomeSpec(
        name=o.name, column=f"{o.name}_time" if survival else o.name, model=o.model,  # type: ignore[arg-type]
        time=None if o.model != "gee" else None, covariates=tuple(covs),
        missing="complete_case" if survival else trial.analysis.missing, lower_is_better=o.lower_is_better,
        event=f"{o.name}_event" if survival else None, family=family if o.model == "gee" else None,  # type: ignore[arg-type]
        n_imputations=trial.analysis.imputations, alpha=trial.analysis.alpha)


def analysis_frame(trial: Trial, td: TrialData) -> pd.DataFrame:
    """The participants table with strata as categorical indicators' source columns (``stratum_<s>``)."""
    data = td.participants.copy()
    for s in trial.randomization.strata:  # categorical: entered as indicators of each level
        data[f"stratum_{s}"] = pd.Categorical(data[s].astype(np.int64))
    return data


def _long(data: pd.DataFrame, o: Outcome, months: list[int]) -> pd.DataFrame:
    """Repeated measures of a GEE outcome: one row per participant and assessment month."""
    frames = []
    for m in months:
        f = data.drop(columns=[o.name]).assign(time=m)
        f[o.name] = data[f"{o.name}@{m}"].to_numpy()
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def estimate_outcomes(trial: Trial, td: TrialData, seed: int = 0) -> pd.DataFrame:
    """Effect estimates of every outcome (see :data:`ESTIMATE_COLUMNS`), multiplicity applied."""
    data = analysis_frame(trial, td)
    rows = []
    roles = [("primary", trial.primary)] + [("secondary", o) for o in trial.secondary] + \
            [("process", o) for o in trial.process]
    for role, o in roles:
        spec = _spec(trial, o, data)
        frame = _long(data, o, repeated_months(trial, o)) if o.model == "gee" else data
        # Only the columns this model reads: row selections inside the fits cost per column.
        keep = ["id", "arm", spec.column, *spec.covariates, *(["time"] if o.model == "gee" else []),
                *([spec.event] if spec.event else [])]
        frame = frame[keep]
        ests: dict[int, Estimate] = analyze_arms(frame, spec, seed=seed)
        for a, est in sorted(ests.items()):
            d = asdict(est)
            rows.append({"outcome": o.name, "role": role, "arm": trial.arms[a].name, "model": o.model,
                         "scale": d["scale"], "estimate": d["estimate"], "ci_low": d["ci_low"],
                         "ci_high": d["ci_high"], "p_value": d["p_value"], "effect_size": d["effect_size"],
                         "effect_size_kind": d["effect_size_kind"], "n_control": d["n_control"],
                         "n_treatment": d["n_treatment"], "converged": d["converged"], "failure": d["failure"]})
    table = pd.DataFrame(rows, columns=[c for c in ESTIMATE_COLUMNS if c not in ("p_adjusted", "reject")])
    alpha = trial.analysis.alpha
    table["p_adjusted"] = table["p_value"]
    for arm in table["arm"].unique():
        sec = (table["role"] == "secondary") & (table["arm"] == arm)
        if sec.any():
            p = table.loc[sec, "p_value"].fillna(1.0).to_numpy()
            table.loc[sec, "p_adjusted"] = adjust(p, trial.analysis.multiplicity)
    table["reject"] = (table["p_adjusted"] < alpha) & table["converged"] & (table["role"] != "process")
    return table[list(ESTIMATE_COLUMNS)]


def estimate_mediation(trial: Trial, td: TrialData, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Each mediation path tested on treatment (arm 1) against control (arm 0), complete cases,
    strata as covariates (see :data:`MEDIATION_COLUMNS`)."""
    data = td.participants
    rows = []
    two = data["arm"].isin([0, 1]).to_numpy()
    strata = trial.randomization.strata
    cov = None
    if strata:
        codes = data.loc[two, "stratum"].to_numpy()
        levels = np.unique(codes)
        cov = (codes[:, None] == levels[None, 1:]).astype(np.float64) if len(levels) > 1 else None
    x = data.loc[two, "arm"].to_numpy(np.float64)
    for i, p in enumerate(trial.mediation):
        y = data.loc[two, p.outcome].to_numpy(np.float64)
        ms = [data.loc[two, m].to_numpy(np.float64) for m in p.mediators]
        rng = np.random.default_rng([seed, i])
        complete = np.isfinite(y) & np.all([np.isfinite(m) for m in ms], axis=0)
        per_arm = [int((complete & (x == a)).sum()) for a in (0, 1)]
        if min(per_arm) < MIN_COMPLETE_PER_ARM:
            # An arm with (almost) no complete cases has no contrast to estimate: not estimable,
            # reported as such rather than fitted into a singular or meaningless regression.
            rows.append(_not_estimable(p.name, " -> ".join(p.mediators), p.outcome, int(complete.sum()),
                                       f"too few complete cases in an arm ({trial.arms[0].name}: {per_arm[0]}, "
                                       f"{trial.arms[1].name}: {per_arm[1]}; at least {MIN_COMPLETE_PER_ARM} each)"))
            continue
        if len(ms) == 1:
            r = mediate(x, ms[0], y, cov, n_boot=n_boot, alpha=trial.analysis.alpha, seed=rng)
            paths, pvals = {"a": r.a, "b": r.b}, {"a": r.p_a, "b": r.p_b}
        else:
            r2 = mediate_serial(x, ms[0], ms[1], y, cov, n_boot=n_boot, alpha=trial.analysis.alpha, seed=rng)
            paths = {"a1": r2.a1, "d21": r2.d21, "b2": r2.b2}
            pvals = {"a1": r2.p_a1, "d21": r2.p_d21, "b2": r2.p_b2}
            r = r2  # type: ignore[assignment]
        rows.append({"path": p.name, "mediators": " -> ".join(p.mediators), "outcome": p.outcome,
                     "indirect": r.indirect, "ci_low": r.ci_low, "ci_high": r.ci_high,
                     "joint_significant": r.joint_significant, "bootstrap_significant": r.bootstrap_significant,
                     "paths": "; ".join(f"{k} = {v:.4g}" for k, v in paths.items()),
                     "p_paths": "; ".join(f"{k}: {v:.3g}" for k, v in pvals.items()),
                     "c_prime": r.c_prime, "n": r.n, "converged": r.converged, "failure": r.failure})
    return pd.DataFrame(rows, columns=list(MEDIATION_COLUMNS))

"""Simulated trials: pools of potential outcomes, enrolment, randomization, assessment and drop-out.

Each arm's scenario is simulated once on the same ``pool_dyads`` dyad ids with the same seed, so
dyad ``d`` has one potential outcome per arm and meets the same random numbers in every arm
(common random numbers): the pools hold every participant's outcomes under every allocation. A
trial is then drawn from the pools as a real one unfolds:

1. screening in a random order of the pool, with the eligibility rules (gestational week and MOUD
   status at enrolment, read from the control arm's baselines), until ``n_per_arm x sum(ratio)``
   mothers are enrolled;
2. stratified permuted-block randomization in order of enrolment;
3. assessment at each scheduled postpartum month of the arm each mother was allocated to, with
   instruments' measurement error (:mod:`dyadsim.trials.measures`) and monotone drop-out that
   depends on her use since the last assessment (:class:`dyadsim.trials.design.Attrition`);
   a mother who died is missing from then on.

The true effects are computed on the whole eligible pool: the mean of each outcome in each arm
(no drop-out), so an estimate from a trial can be checked against them. A pool large against the
trial (the default 4,000 against a few hundred) makes the overlap between replicate trials small.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.analysis.subgroups import SUBGROUPS
from dyadsim.core.units import DAYS_PER_MONTH
from dyadsim.core.errors import InputError
from dyadsim.run.evaluate import ScenarioSpec, apply_set
from dyadsim.trials.design import Trial, repeated_months
from dyadsim.trials.measures import MEASURES, baseline_values

@dataclass
class Pools:
    """Per-arm potential outcomes of the pool's dyads and their baselines.

    Attributes:
        trial: the design.
        arms: arm names (the first is the control).
        values: per arm, a frame indexed by pool row with one column per outcome (``<name>`` or,
            for survival, ``<name>_time`` and ``<name>_event``), ``use_mMM`` (days of use by
            postpartum month) and ``death_day`` (postpartum day of death, NaN if alive).
        baseline: per pool row: ``enrol_week``, ``on_moud``, the strata, ``base_<outcome>`` and
            ``sg_<subgroup>`` (1 in each pre-specified subgroup of
            :data:`dyadsim.analysis.subgroups.SUBGROUPS`, else 0).
        eligible: pool rows meeting the eligibility rules.
        cut: per mediation path, the treatment arm's values with the path cut.
    """

    trial: Trial
    arms: list[str]
    values: list[pd.DataFrame]
    baseline: pd.DataFrame
    eligible: np.ndarray
    cut: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Arrays for fast draws: (arms, pool rows, columns) values, eligibility and stratum codes.
        self.columns: list[str] = list(self.values[0].columns)
        self.matrix = np.stack([v.to_numpy(np.float64) for v in self.values])
        self.is_eligible = np.zeros(len(self.baseline), dtype=bool)
        self.is_eligible[self.eligible] = True
        strata = self.trial.randomization.strata
        if strata:
            self.stratum_code = np.unique(self.baseline[strata].to_numpy(), axis=0, return_inverse=True)[1].ravel()
        else:
            self.stratum_code = np.zeros(len(self.baseline), dtype=np.int64)
        self.baseline_matrix = self.baseline.to_numpy(np.float64)
        self.baseline_index = {c: j for j, c in enumerate(self.baseline.columns)}


def _outcome_columns(df: pd.DataFrame, trial: Trial, months: int) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    for o in trial.outcomes:
        m = MEASURES[o.measure]
        first, last = (o.months[0], o.months[1]) if o.months is not None else (o.last_month, o.last_month)
        if o.model == "gee":  # the measure at every assessment up to its month (repeated measures)
            prev = 0
            for k in repeated_months(trial, o):
                cols[f"{o.name}@{k}"] = m.values(df, prev + 1 if m.window else k, k).to_numpy(np.float64)
                prev = k
        v = m.values(df, first, last)
        if isinstance(v, pd.DataFrame):
            cols[f"{o.name}_time"] = v["time"].to_numpy(np.float64)
            cols[f"{o.name}_event"] = v["event"].to_numpy(np.float64)
        else:
            cols[o.name] = v.to_numpy(np.float64)
    for k in range(1, months + 1):
        cols[f"use_m{k:02d}"] = df[f"use_days_m{k:02d}"].to_numpy(np.float64)
    cols["death_day"] = df["maternal_death_pp_day"].to_numpy(np.float64)
    return pd.DataFrame(cols)


def _simulate_arm(spec: ScenarioSpec, trial: Trial, extra: dict[str, float] | None = None) -> pd.DataFrame:
    from dyadsim.engine.run import simulate
    from dyadsim.run.results import outcomes_table

    params = apply_set(spec.params, list(extra), np.array(list(extra.values()))) if extra else spec.params
    out = simulate(params, trial.pool_dyads, trial.seed, spec.population, engine=spec.scenario.engine.kind,
                   block_size=spec.scenario.engine.block_size)
    return outcomes_table(out, spec.scenario.care.nows_setting)


def build_pools(trial: Trial, specs: list[ScenarioSpec], progress: Callable[[str], None] | None = None,
                values: dict[str, float] | None = None) -> Pools:
    """Simulate every arm's pool (and each mediation path's cut treatment arm), every arm with the
    parameter values ``values`` on top of its scenario's (one set of :mod:`dyadsim.trials.draws`).

    Raises:
        InputError: a mediation cut names an unknown parameter or a value out of range.
    """
    months = max(trial.schedule.postpartum_months)
    frames: list[pd.DataFrame] = []
    raw0: pd.DataFrame | None = None
    for spec, arm in zip(specs, trial.arms):
        if progress:
            progress(f"simulating arm {arm.name} ({trial.pool_dyads} dyads)")
        df = _simulate_arm(spec, trial, values)
        raw0 = df if raw0 is None else raw0
        frames.append(_outcome_columns(df, trial, months))
    assert raw0 is not None
    cut: dict[str, pd.DataFrame] = {}
    for path in trial.mediation:
        if progress:
            progress(f"simulating the treatment arm with path {path.name} cut")
        try:
            df = _simulate_arm(specs[1], trial, {**(values or {}), **path.cut})
        except InputError as exc:
            raise InputError("trial file", f"mediation.{path.name}.cut.{exc.field}", exc.allowed) from None
        cut[path.name] = _outcome_columns(df, trial, months)
    base = pd.DataFrame({"enrol_week": raw0["enrol_week"].to_numpy(np.float64),
                         "on_moud": ((raw0["moud_type"].cat.codes.to_numpy() > 0)
                                     & (raw0["moud_start_week"].to_numpy() <= raw0["enrol_week"].to_numpy())
                                     ).astype(np.float64)})
    for s in trial.randomization.strata:
        base[s] = (raw0[s].cat.codes if hasattr(raw0[s], "cat") else raw0[s]).to_numpy(np.float64)
    for name, (_, member_of) in SUBGROUPS.items():  # pre-specified subgroups, at baseline
        base[f"sg_{name}"] = member_of(raw0).astype(np.float64)
    for o in trial.outcomes:
        inst = MEASURES[o.measure].baseline
        if inst is not None:
            base[f"base_{o.name}"] = baseline_values(raw0, inst).to_numpy(np.float64)
    el = trial.eligibility
    ok = (base["enrol_week"] >= el.gest_week[0]) & (base["enrol_week"] <= el.gest_week[1])
    if el.moud != "any":
        ok &= base["on_moud"] == (1.0 if el.moud == "on" else 0.0)
    return Pools(trial, [a.name for a in trial.arms], frames, base, np.flatnonzero(ok.to_numpy()), cut)


@dataclass
class TrialData:
    """One simulated trial.

    Attributes:
        participants: one row per randomized mother: ``id`` (pool row), ``arm`` (index, 0 =
            control), ``stratum``, baselines ``base_<outcome>``, strata columns, ``dropout_month``
            (first scheduled month missed; inf if none) and each outcome as observed (NaN when
            missing; survival outcomes censored at drop-out).
        consort: counts for the flow diagram (screened, excluded, randomized and, per arm,
            allocated, lost by month, assessed at each outcome's month).
    """

    participants: pd.DataFrame
    consort: dict[str, Any]


def _blocks(n: int, ratio: list[int], sizes: list[int], rng: np.random.Generator) -> np.ndarray:
    """Allocation sequence of ``n`` from permuted blocks of random size (in order)."""
    unit = np.repeat(np.arange(len(ratio)), ratio)
    seq: list[np.ndarray] = []
    total = 0
    picks = rng.integers(0, len(sizes), size=n // min(sizes) + 1)
    for k in picks:
        block = np.tile(unit, sizes[k] // len(unit))
        seq.append(block[rng.permutation(len(block))])
        total += sizes[k]
        if total >= n:
            break
    return np.concatenate(seq)[:n]


def draw_trial(pools: Pools, n_per_arm: int, rng: np.random.Generator) -> TrialData:
    """One trial of ``n_per_arm`` per allocation unit drawn from the pools (see the module doc).

    Raises:
        InputError: the pool has too few eligible mothers for the trial.
    """
    trial = pools.trial
    ratio = trial.ratio
    n_total = n_per_arm * sum(ratio)
    if n_total > len(pools.eligible):
        raise InputError("trial file", "pool_dyads", f"{len(pools.eligible)} eligible mothers in the pool, fewer than "
                         f"the {n_total} to enrol; raise pool_dyads (keep it well above the trial size)")
    order = rng.permutation(len(pools.baseline))
    el_pos = np.flatnonzero(pools.is_eligible[order])
    screened = int(el_pos[n_total - 1]) + 1
    ids = order[el_pos[:n_total]]
    codes = pools.stratum_code[ids]
    arm = np.empty(n_total, dtype=np.int64)
    for k in np.unique(codes):  # strata in order of first arrival do not matter: blocks are per stratum
        rows = np.flatnonzero(codes == k)
        arm[rows] = _blocks(len(rows), ratio, trial.randomization.block_sizes, rng)
    mat = pools.matrix[arm, ids]  # each mother's values under the arm she was allocated to
    col = {c: mat[:, j] for j, c in enumerate(pools.columns)}
    dropout = _dropouts(col, trial, rng)
    out: dict[str, np.ndarray] = {"id": ids, "arm": arm, "stratum": codes, "dropout_month": dropout}
    for c in pools.baseline.columns:
        if c not in ("enrol_week", "on_moud"):
            out[c] = pools.baseline_matrix[ids, pools.baseline_index[c]]
    analysed: dict[str, np.ndarray] = {}
    for o in trial.outcomes:
        seen = dropout > o.last_month
        if MEASURES[o.measure].kind == "survival":
            t, e = col[f"{o.name}_time"], col[f"{o.name}_event"]
            stop = np.where(np.isfinite(dropout), _last_seen(dropout, trial) * DAYS_PER_MONTH, np.inf)
            out[f"{o.name}_time"] = np.minimum(t, stop)
            out[f"{o.name}_event"] = np.where(t <= stop, e, 0.0)
            analysed[o.name] = np.isfinite(out[f"{o.name}_time"])
        else:
            out[o.name] = np.where(seen, col[o.name], np.nan)
            analysed[o.name] = ~np.isnan(out[o.name])
        if o.model == "gee":
            for k in repeated_months(trial, o):
                out[f"{o.name}@{k}"] = np.where(dropout > k, col[f"{o.name}@{k}"], np.nan)
    part = pd.DataFrame(out)
    consort: dict[str, Any] = {"screened": screened, "excluded": screened - n_total, "randomized": n_total,
                               "arms": {}}
    for a, name in enumerate(pools.arms):
        rows = arm == a
        consort["arms"][name] = {
            "allocated": int(rows.sum()),
            "lost_by_month": {m: int((dropout[rows] <= m).sum()) for m in trial.schedule.postpartum_months},
            "analysed": {k: int(v[rows].sum()) for k, v in analysed.items()}}
    return TrialData(part, consort)


def _last_seen(dropout: np.ndarray, trial: Trial) -> np.ndarray:
    """Postpartum month of the last assessment attended before drop-out (0: none after birth)."""
    months = np.array([0, *trial.schedule.postpartum_months], dtype=np.float64)
    idx = np.searchsorted(months, dropout, side="left") - 1
    return months[np.clip(idx, 0, len(months) - 1)]


def _dropouts(mine: dict[str, np.ndarray], trial: Trial, rng: np.random.Generator) -> np.ndarray:
    """First scheduled month each mother misses (inf: attends all); monotone, use-dependent."""
    att = trial.attrition
    n = len(mine["death_day"])
    out = np.full(n, np.inf)
    prev = 0
    gone = np.zeros(n, dtype=bool)
    death = mine["death_day"]
    for m in trial.schedule.postpartum_months:
        use = sum(mine[f"use_m{k:02d}"] for k in range(prev + 1, m + 1))
        p_stay = 1.0 / (1.0 + np.exp(-(att.retention_logit - att.use_log_odds * use)))
        leave = ~gone & ((rng.random(n) >= p_stay) | (death <= m * DAYS_PER_MONTH))
        out[leave] = m
        gone |= leave
        prev = m
    return out


def true_effects(pools: Pools) -> pd.DataFrame:
    """Each outcome's mean in each arm over the eligible pool (no drop-out), the difference and
    ratio from the control arm and the standardized difference (pooled SD); for survival
    outcomes, the share with the event by the outcome's month."""
    rows = []
    el = pools.eligible
    for o in pools.trial.outcomes:
        col = f"{o.name}_event" if f"{o.name}_event" in pools.values[0] else o.name
        ctrl = pools.values[0][col].to_numpy()[el]
        for a in range(1, len(pools.arms)):
            trt = pools.values[a][col].to_numpy()[el]
            m0, m1 = np.nanmean(ctrl), np.nanmean(trt)
            sd = np.sqrt((np.nanvar(ctrl, ddof=1) + np.nanvar(trt, ddof=1)) / 2.0)
            rows.append({"outcome": o.name, "arm": pools.arms[a], "control_mean": m0, "arm_mean": m1,
                         "difference": m1 - m0, "ratio": m1 / m0 if m0 else np.nan,
                         "standardized": (m1 - m0) / sd if sd > 0 else np.nan,
                         "odds_ratio": _odds_ratio(m1, m0) if MEASURES[o.measure].kind in ("binary", "survival")
                         else np.nan})
    return pd.DataFrame(rows)


def true_paths(pools: Pools) -> pd.DataFrame:
    """Per mediation path: total, indirect (treatment minus treatment with the path cut) and
    direct (the cut treatment minus control) effects on the path's outcome, over the eligible pool."""
    rows = []
    el = pools.eligible
    for p in pools.trial.mediation:
        col = p.outcome
        y0 = np.nanmean(pools.values[0][col].to_numpy()[el])
        y1 = np.nanmean(pools.values[1][col].to_numpy()[el])
        yc = np.nanmean(pools.cut[p.name][col].to_numpy()[el])
        rows.append({"path": p.name, "outcome": col, "total": y1 - y0, "indirect": y1 - yc, "direct": yc - y0,
                     "mediators": " -> ".join(p.mediators)})
    return pd.DataFrame(rows)


def _odds_ratio(p1: float, p0: float) -> float:
    if not (0 < p1 < 1 and 0 < p0 < 1):
        return np.nan
    return (p1 / (1 - p1)) / (p0 / (1 - p0))

"""What the engine records: monthly and trimester accumulators, daily aggregates, trajectories.

``record`` is shared by the Numba engine and the NumPy reference (same source), like the
modules' steps: it adds today's values to per-dyad accumulators ``mon[i, k, month]`` (postpartum
months) and ``preg[i, k, trimester]`` (pregnancy), weighted by ``followed`` so days after the end
of follow-up add nothing. Every recorded value is a latent state on its own scale (0-1), or a count
of days: scores on published instrument scales, with measurement error, are drawn after the run by
:mod:`dyadsim.model.instruments`. Perceived stress is the mean of negative appraisal and negative affect
(written out in place: code shared with Numba may call no plain Python function).
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from dyadsim.core.units import DAYS_PER_MONTH, TRIMESTER_DAYS
from dyadsim.model.states import S

PREG_AXIS = 300        # daily aggregates: gestational days 0..299, then postpartum days

MONTHLY = ("followed_days", "alive_days", "use_days", "od_nonfatal", "od_fatal", "moud_days",
           "separated_days", "craving", "perceived_stress", "parenting_stress", "depression", "bonding",
           "parenting", "synchrony", "salience", "infant_distress",
           # outputs for checking the model against studies
           "pos_affect", "neg_affect", "withdrawal", "self_control", "other_use_days", "tobacco_days")
"""Per-dyad sums by postpartum month (means are sums / alive_days, infant_distress / followed_days)."""
M = {k: i for i, k in enumerate(MONTHLY)}
"""Index of each monthly accumulator."""
MS = namedtuple("MonthlySlots", MONTHLY)(*range(len(MONTHLY)))
"""The same indices as attributes, as :func:`record` uses them (``mon[i, MS.use_days, m]``)."""
PREGNANCY = ("followed_days", "alive_days", "use_days", "od_nonfatal", "od_fatal", "moud_days", "craving",
             # outputs for checking the model against studies
             "perceived_stress", "pos_affect", "neg_affect", "depression", "other_use_days", "tobacco_days")
"""Per-dyad sums by trimester of pregnancy (days observed after enrolment)."""
Q = {k: i for i, k in enumerate(PREGNANCY)}
"""Index of each trimester accumulator."""
QS = namedtuple("TrimesterSlots", PREGNANCY)(*range(len(PREGNANCY)))
"""The same indices as attributes, as :func:`record` uses them (``preg[i, QS.use_days, tri]``)."""

AGGREGATE_COUNTS = ("followed", "alive", "use", "on_moud", "overdose", "death", "separated")
"""Daily cohort aggregates that are counts of dyads (stored as integers)."""
AGGREGATE_SUMS = ("craving", "salience", "parenting", "synchrony", "infant_distress", "perceived_stress")
"""Daily cohort aggregates that are sums of continuous values (stored in fixed point)."""
AGGREGATES = AGGREGATE_COUNTS + AGGREGATE_SUMS
"""Daily cohort sums by gestational day (pregnancy) and postpartum day, in the order
:func:`aggregate_values` returns them: the counts, then the continuous sums."""
N_COUNT_AGG = len(AGGREGATE_COUNTS)
FIXED_POINT = 1_000_000.0

TRAJECTORY_STATES = ("pregnant", "pp_day", "stressors", "neg_appraisal", "pos_affect", "neg_affect",
                     "allostatic_load", "stress_sensitization", "reward_dysregulation", "attentional_bias",
                     "craving", "self_control", "use_today", "tolerance", "withdrawal", "on_moud", "alive",
                     "nows", "separated", "infant_distress", "salience", "parenting", "synchrony", "bonding")
TRAJ_IDX = np.array([getattr(S, k) for k in TRAJECTORY_STATES], dtype=np.int64)

def record(s: np.ndarray, t: float, i: np.ndarray, mon: np.ndarray, preg: np.ndarray) -> None:
    """Add today's values of dyad(s) ``i`` to the monthly and trimester accumulators."""
    f = s[S.followed]
    alive = (s[S.alive] + s[S.fatal_today]) * f  # alive at the start of the day
    pp = s[S.pp_day]
    is_pp = 1.0 * (pp >= 0.0)
    n_months = mon.shape[2]
    m = np.int64(np.minimum(np.maximum(pp, 0.0) / DAYS_PER_MONTH, n_months - 1.0))
    tri = np.int64(np.minimum((s[S.enrol_gest_day] + t) / TRIMESTER_DAYS, 2.0))
    a_pp = alive * is_pp
    mon[i, MS.followed_days, m] += f * is_pp
    mon[i, MS.alive_days, m] += a_pp
    mon[i, MS.use_days, m] += a_pp * s[S.use_today]
    mon[i, MS.od_nonfatal, m] += a_pp * s[S.od_today]
    mon[i, MS.od_fatal, m] += f * is_pp * s[S.fatal_today]
    mon[i, MS.moud_days, m] += a_pp * s[S.on_moud]
    mon[i, MS.separated_days, m] += f * is_pp * s[S.separated]
    mon[i, MS.craving, m] += a_pp * s[S.craving]
    mon[i, MS.perceived_stress, m] += a_pp * (0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect])
    mon[i, MS.parenting_stress, m] += a_pp * s[S.parenting_stress]
    mon[i, MS.depression, m] += a_pp * s[S.depression]
    mon[i, MS.bonding, m] += a_pp * s[S.bonding]
    mon[i, MS.parenting, m] += a_pp * s[S.parenting]
    mon[i, MS.synchrony, m] += a_pp * s[S.synchrony]
    mon[i, MS.salience, m] += a_pp * s[S.salience]
    mon[i, MS.infant_distress, m] += f * is_pp * s[S.infant_distress]
    mon[i, MS.pos_affect, m] += a_pp * s[S.pos_affect]
    mon[i, MS.neg_affect, m] += a_pp * s[S.neg_affect]
    mon[i, MS.withdrawal, m] += a_pp * s[S.withdrawal]
    mon[i, MS.self_control, m] += a_pp * s[S.self_control]
    mon[i, MS.other_use_days, m] += a_pp * s[S.other_use_today]
    mon[i, MS.tobacco_days, m] += a_pp * s[S.tobacco_today]
    a_pr = alive * (1.0 - is_pp)
    preg[i, QS.followed_days, tri] += f * (1.0 - is_pp)
    preg[i, QS.alive_days, tri] += a_pr
    preg[i, QS.use_days, tri] += a_pr * s[S.use_today]
    preg[i, QS.od_nonfatal, tri] += a_pr * s[S.od_today]
    preg[i, QS.od_fatal, tri] += f * (1.0 - is_pp) * s[S.fatal_today]
    preg[i, QS.moud_days, tri] += a_pr * s[S.on_moud]
    preg[i, QS.craving, tri] += a_pr * s[S.craving]
    preg[i, QS.perceived_stress, tri] += a_pr * (0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect])
    preg[i, QS.pos_affect, tri] += a_pr * s[S.pos_affect]
    preg[i, QS.neg_affect, tri] += a_pr * s[S.neg_affect]
    preg[i, QS.depression, tri] += a_pr * s[S.depression]
    preg[i, QS.other_use_days, tri] += a_pr * s[S.other_use_today]
    preg[i, QS.tobacco_days, tri] += a_pr * s[S.tobacco_today]


def aggregate_values(s: np.ndarray) -> tuple:
    """Today's contributions of dyad(s) to the daily aggregates, in AGGREGATES order."""
    f = s[S.followed]
    a = (s[S.alive] + s[S.fatal_today]) * f  # alive at the start of the day, as in record()
    return (f, a, a * s[S.use_today], a * s[S.on_moud], f * (s[S.od_today] + s[S.fatal_today]),
            f * s[S.fatal_today], f * s[S.separated], a * s[S.craving], a * s[S.salience],
            a * s[S.parenting] * s[S.born], a * s[S.synchrony], f * s[S.infant_distress],
            a * (0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect]))


def axis_index(s: np.ndarray, t: float) -> np.ndarray:
    """Row of the daily aggregates: gestational day in pregnancy, 300 + postpartum day after."""
    pp = s[S.pp_day]
    gest = np.minimum(s[S.enrol_gest_day] + t, PREG_AXIS - 1.0)
    return np.int64((pp >= 0.0) * (PREG_AXIS + pp) + (pp < 0.0) * gest)

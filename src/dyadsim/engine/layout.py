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
"""Index of each monthly accumulator (the ``_M_*`` constants used by :func:`record` are checked against it)."""
PREGNANCY = ("followed_days", "alive_days", "use_days", "od_nonfatal", "od_fatal", "moud_days", "craving",
             # outputs for checking the model against studies
             "perceived_stress", "pos_affect", "neg_affect", "depression", "other_use_days", "tobacco_days")
"""Per-dyad sums by trimester of pregnancy (days observed after enrolment)."""
Q = {k: i for i, k in enumerate(PREGNANCY)}

AGGREGATES = ("followed", "alive", "use", "on_moud", "overdose", "death", "separated", "craving",
              "salience", "parenting", "synchrony", "infant_distress", "perceived_stress")
"""Daily cohort sums by gestational day (pregnancy) and postpartum day; counts, or fixed-point sums."""
N_COUNT_AGG = 7  # the first 7 are counts, the rest continuous values in fixed point
FIXED_POINT = 1_000_000.0

TRAJECTORY_STATES = ("pregnant", "pp_day", "stressors", "neg_appraisal", "pos_affect", "neg_affect",
                     "allostatic_load", "stress_sensitization", "reward_dysregulation", "attentional_bias",
                     "craving", "self_control", "use_today", "tolerance", "withdrawal", "on_moud", "alive",
                     "nows", "separated", "infant_distress", "salience", "parenting", "synchrony", "bonding")
TRAJ_IDX = np.array([getattr(S, k) for k in TRAJECTORY_STATES], dtype=np.int64)

_M_FOL, _M_ALIVE, _M_USE, _M_OD, _M_FATAL, _M_MOUD, _M_SEP = 0, 1, 2, 3, 4, 5, 6
_M_CRAV, _M_PSS, _M_PSI, _M_EPDS, _M_BOND, _M_PAR, _M_SYN, _M_SAL, _M_DIS = 7, 8, 9, 10, 11, 12, 13, 14, 15
_M_POS, _M_NEG, _M_WD, _M_SC, _M_OTHER, _M_TOB = 16, 17, 18, 19, 20, 21
_Q_FOL, _Q_ALIVE, _Q_USE, _Q_OD, _Q_FATAL, _Q_MOUD, _Q_CRAV = 0, 1, 2, 3, 4, 5, 6
_Q_PSS, _Q_POS, _Q_NEG, _Q_EPDS, _Q_OTHER, _Q_TOB = 7, 8, 9, 10, 11, 12


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
    mon[i, _M_FOL, m] += f * is_pp
    mon[i, _M_ALIVE, m] += a_pp
    mon[i, _M_USE, m] += a_pp * s[S.use_today]
    mon[i, _M_OD, m] += a_pp * s[S.od_today]
    mon[i, _M_FATAL, m] += f * is_pp * s[S.fatal_today]
    mon[i, _M_MOUD, m] += a_pp * s[S.on_moud]
    mon[i, _M_SEP, m] += f * is_pp * s[S.separated]
    mon[i, _M_CRAV, m] += a_pp * s[S.craving]
    mon[i, _M_PSS, m] += a_pp * (0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect])
    mon[i, _M_PSI, m] += a_pp * s[S.parenting_stress]
    mon[i, _M_EPDS, m] += a_pp * s[S.depression]
    mon[i, _M_BOND, m] += a_pp * s[S.bonding]
    mon[i, _M_PAR, m] += a_pp * s[S.parenting]
    mon[i, _M_SYN, m] += a_pp * s[S.synchrony]
    mon[i, _M_SAL, m] += a_pp * s[S.salience]
    mon[i, _M_DIS, m] += f * is_pp * s[S.infant_distress]
    mon[i, _M_POS, m] += a_pp * s[S.pos_affect]
    mon[i, _M_NEG, m] += a_pp * s[S.neg_affect]
    mon[i, _M_WD, m] += a_pp * s[S.withdrawal]
    mon[i, _M_SC, m] += a_pp * s[S.self_control]
    mon[i, _M_OTHER, m] += a_pp * s[S.other_use_today]
    mon[i, _M_TOB, m] += a_pp * s[S.tobacco_today]
    a_pr = alive * (1.0 - is_pp)
    preg[i, _Q_FOL, tri] += f * (1.0 - is_pp)
    preg[i, _Q_ALIVE, tri] += a_pr
    preg[i, _Q_USE, tri] += a_pr * s[S.use_today]
    preg[i, _Q_OD, tri] += a_pr * s[S.od_today]
    preg[i, _Q_FATAL, tri] += f * (1.0 - is_pp) * s[S.fatal_today]
    preg[i, _Q_MOUD, tri] += a_pr * s[S.on_moud]
    preg[i, _Q_CRAV, tri] += a_pr * s[S.craving]
    preg[i, _Q_PSS, tri] += a_pr * (0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect])
    preg[i, _Q_POS, tri] += a_pr * s[S.pos_affect]
    preg[i, _Q_NEG, tri] += a_pr * s[S.neg_affect]
    preg[i, _Q_EPDS, tri] += a_pr * s[S.depression]
    preg[i, _Q_OTHER, tri] += a_pr * s[S.other_use_today]
    preg[i, _Q_TOB, tri] += a_pr * s[S.tobacco_today]


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

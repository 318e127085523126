"""Medication for opioid use disorder (MOUD): initiation, re-entry, retention, discontinuation.

Initiation: a mother with a planned MOUD type starts at her baseline start week (on MOUD from
day 0 if that is before enrolment). Any mother off MOUD (never started, or after stopping) may
also enter treatment with a daily hazard, in pregnancy (``init_hazard_pregnancy``) and after birth
(``init_hazard_postpartum``), raised by a recent crisis (overdose, CPS report; edge
``crisis_moud_initiation``) and by motivation to stop (edge ``motivation_moud_initiation``), a peer recovery specialist and trained providers (lever
``lever_moud_initiation``), earlier treatment (``reentry_log_hr``), and lowered by stigma in care,
transport (low income) and, after birth, childcare barriers (seed 003); a quit attempt is when
treatment is sought (edge ``resolve_moud_initiation``, per unit of ``resolve``). At entry she starts
methadone with probability ``methadone_share`` or buprenorphine.

Retention: each day on MOUD a discontinuation hazard applies. It falls with time on treatment in
the current episode (Weibull shape ``stop_shape`` < 1: early drop-out is commonest) and rises after
birth, most in the first months (edge ``birth_moud_discontinuation``, scaled by a profile that
decays from 1 at birth to ``pp_risk_floor`` with time constant ``pp_risk_days``). Its log is also
raised by craving and recent use and lowered by self-control (so longer treatment, which
stabilises craving, habit and self-control, improves retention through mechanism), raised by
stigma and by separation from the infant (no dosing while the infant is in the NICU), lowered by
longer prenatal treatment (edge ``prenatal_moud_retention``, per 90 days, capped at 270) and by
supports (``lever_moud_retention``); methadone differs from buprenorphine (``methadone_stop_log_hr``).
Dose adequacy (``moud_dose_adequacy``, 0-1). A new episode starts at an induction dose below the
maintenance dose (``induction_methadone``, ``induction_buprenorphine``: methadone is started low
and raised step by step, buprenorphine reaches a therapeutic dose within a day or two), and the
dose titrates toward adequacy (1) with the medicine's time constant (``titration_days_methadone``
of weeks, ``titration_days_buprenorphine`` of days): ``titration <- titration + (1 - titration) /
tau``. A mother on MOUD at enrolment has titrated for the days she has been on it. After birth
the dose is out of step with the postpartum body (``dose_mismatch``: 1 at delivery for a mother on
MOUD, fading with its time constant as the dose is re-adjusted; the pregnancy-induced rise in
clearance and volume reverses over weeks), and adequacy is ``titration x (1 - depth x
dose_mismatch)``, the depth larger for methadone, whose metabolism pregnancy changes most
(``pp_mismatch_methadone``, ``pp_mismatch_buprenorphine``). Off MOUD adequacy and titration are 0.
Both stay in [0, 1] by construction (an induction dose in [0, 1], tau >= 1, depth and mismatch in
[0, 1]). Adequacy, not mere enrolment, is what suppresses withdrawal (edge ``moud_withdrawal``)
and craving (edge ``moud_craving``) in :mod:`use_cycle` and protects against overdose (edge
``moud_overdose``, :mod:`overdose`); the mismatch also lets withdrawal through directly (edge
``dose_mismatch_withdrawal``), on days of use as well. An adequate dose also blocks part of the
reinforcing effect of illicit opioids (``blockade``: narcotic blockade, Dole et al. 1966;
Greenwald et al. 2003), so use on MOUD feeds reward dysregulation and habit less
(:func:`reinforcement`).

A crisis is a contact with care: after a non-fatal overdose (emergency department) or a CPS report
the mother is offered treatment, so the initiation hazard of a mother off MOUD is raised while the
crisis lasts (edge ``crisis_moud_initiation``, log HR per unit of ``crisis``, which is 1 on the
day after the event and fades with its time constant; Larochelle et al. 2018: 30% of overdose
survivors received MOUD in the next 12 months). Treatment entered from an emergency department
after an overdose is usually buprenorphine (``crisis_bup_share``), the medicine started there.

Every episode's start and stop day and type are recorded (first three episodes).

Sources: Larochelle et al. 2018 (Ann Intern Med 169:137: 11% methadone, 17% buprenorphine in the 12
months after a non-fatal overdose); Schiff et al. 2021 (AJOG 225:424: 64.1% continued 12 months; 34% if started the month
before delivery versus 80% if used throughout pregnancy); Wilder et al. 2015 (11% discontinued in
pregnancy, 56% of methadone by 6 months; HR 0.98 per week of prenatal treatment); seed 003
(ill-equipped system, peer support, stigma); seed 004 (postpartum vulnerability).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import daily_probability
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import MOUD_TYPES, S
from dyadsim.model.modules.context import P as CTX
from dyadsim.model.modules.supports import P as SUP

P = declare_params("moud", (
    Param("stop_hazard", 0.0012, "1/day", 0.0003, 0.005,
          "assumed (order of Schiff 2021: 35.9% stop in 12 months)", "daily discontinuation hazard at reference (day 30)"),
    Param("stop_shape", 0.7, "Weibull shape", 0.3, 1.0, "assumed (early drop-out commonest)",
          "shape of the hazard in time on treatment (1: constant)"),
    Param("stop_ref_days", 30.0, "days", 7.0, 90.0, "assumed", "time on treatment at which the hazard is stop_hazard"),
    Param("pp_risk_days", 90.0, "days", 30.0, 365.0, "assumed (Wilder 2015: postpartum risk of discontinuation)",
          "decay of the postpartum rise in discontinuation"),
    Param("pp_risk_floor", 0.3, "share", 0.0, 1.0, "assumed", "share of the birth effect that persists"),
    Param("methadone_stop_log_hr", 0.2, "log HR", -0.5, 1.0, "assumed (Wilder 2015 methadone figures)",
          "methadone versus buprenorphine"),
    Param("init_hazard_pregnancy", 0.002, "1/day", 0.0001, 0.02, "assumed (prenatal care contact)",
          "daily hazard of entering MOUD in pregnancy, at reference"),
    Param("init_hazard_postpartum", 0.0008, "1/day", 0.00005, 0.01, "assumed",
          "daily hazard of entering MOUD after birth, at reference"),
    Param("reentry_log_hr", 0.5, "log HR", -1.0, 1.5, "assumed", "re-entry after an earlier episode"),
    Param("stigma_init_log_hr", -0.7, "log HR per unit", -2.0, 0.0, "assumed (seed 003 culture of care)",
          "stigma in care lowers initiation"),
    Param("transport_init_log_hr", -0.4, "log HR", -1.5, 0.0, "assumed (seed 003 transport barriers)",
          "low income (transport) lowers initiation"),
    Param("childcare_init_log_hr", -0.5, "log HR per unit", -1.5, 0.0, "assumed (seed 003 childcare barriers)",
          "after birth, lack of support (childcare) lowers initiation"),
    Param("methadone_share", 0.5, "probability", 0.0, 1.0, "assumed", "share of new entries on methadone"),
    Param("prenatal_cap_days", 270.0, "days", 90.0, 300.0, "assumed", "prenatal days beyond which retention gains no more"),
    Param("prenatal_unit_days", 90.0, "days", 30.0, 180.0, "assumed", "prenatal days per unit of prenatal_moud_retention"),
    Param("induction_methadone", 0.3, "0-1", 0.1, 0.8,
          "assumed (methadone is started low and raised step by step for safety)",
          "dose adequacy on the first day of a methadone episode"),
    Param("induction_buprenorphine", 0.6, "0-1", 0.3, 0.95,
          "assumed (buprenorphine induction reaches a therapeutic dose within a day or two)",
          "dose adequacy on the first day of a buprenorphine episode"),
    Param("titration_days_methadone", 21.0, "days", 7.0, 60.0,
          "assumed (methadone titration to a maintenance dose takes weeks)",
          "time constant of methadone titration toward an adequate dose"),
    Param("titration_days_buprenorphine", 4.0, "days", 1.0, 14.0,
          "assumed (buprenorphine is titrated over days)",
          "time constant of buprenorphine titration toward an adequate dose"),
    Param("pp_mismatch_methadone", 0.4, "share", 0.0, 1.0,
          "assumed (pregnancy raises methadone clearance; the change reverses after delivery)",
          "share of methadone dose adequacy lost at delivery (times dose_mismatch)"),
    Param("pp_mismatch_buprenorphine", 0.2, "share", 0.0, 1.0,
          "assumed (buprenorphine doses change less across pregnancy)",
          "share of buprenorphine dose adequacy lost at delivery (times dose_mismatch)"),
    Param("blockade", 0.5, "share", 0.0, 0.9,
          "assumed (an adequate agonist dose blunts the effect of other opioids: Dole, Nyswander & Kreek 1966, narcotic "
          "blockade; Greenwald et al. 2003, Neuropsychopharmacology 28:2000, buprenorphine dose, mu-receptor availability "
          "and hydromorphone effects)",
          "share of the reinforcement of illicit use blocked at full dose adequacy"),
    Param("crisis_bup_share", 0.6, "probability", 0.0, 1.0,
          "Larochelle et al. 2018 (after an overdose 17% buprenorphine vs 11% methadone: 0.6 of agonist entries)",
          "share of entries on buprenorphine while a crisis lasts (weighted by crisis)"),
))
U = declare_streams("moud", (Stream("stop", "discontinuation"), Stream("initiate", "initiation or re-entry"),
                             Stream("type", "methadone or buprenorphine at entry")))

EP_START = (S.moud_ep1_start, S.moud_ep2_start, S.moud_ep3_start)
EP_STOP = (S.moud_ep1_stop, S.moud_ep2_stop, S.moud_ep3_stop)
EP_TYPE = (S.moud_ep1_type, S.moud_ep2_type, S.moud_ep3_type)


@register_jitable
def reinforcement(s, p):  # type: ignore[no-untyped-def]
    """Share of the reinforcing effect of illicit use that gets through (1 off MOUD): an adequate
    agonist dose blocks part of it, so use on MOUD feeds reward dysregulation and habit less."""
    return 1.0 - p[P.blockade] * s[S.moud_dose_adequacy] * s[S.on_moud]


def init(s: np.ndarray, p: np.ndarray) -> None:
    """On MOUD at enrolment when the planned start week is before enrolment (episode 1, day 0)."""
    has = s[S.moud_type] > 0.5
    start_day = s[S.moud_start_week] * 7.0
    before = 1.0 * (has & (start_day <= s[S.enrol_gest_day]))
    s[S.on_moud] = before
    s[S.moud_started] = before
    s[S.prenatal_moud_days] = before * (s[S.enrol_gest_day] - start_day)
    s[S.moud_episode_days] = s[S.prenatal_moud_days] + before
    s[S.moud_episodes] = before
    s[S.moud_current_type] = before * s[S.moud_type]
    for k in range(len(EP_START)):
        s[EP_START[k]] = -1.0 + (k == 0) * before
        s[EP_STOP[k]] = -1.0
        s[EP_TYPE[k]] = (k == 0) * before * s[S.moud_type]
    s[S.moud_at_delivery] = 0.0
    s[S.moud_stop_pp_day] = -1.0
    s[S.moud_stop_gest_day] = -1.0
    s[S.dose_mismatch] = 0.0
    # Titrated for the days already on MOUD at enrolment (closed form of the daily relaxation).
    meth = 1.0 * (s[S.moud_type] == 1.0)
    ind = meth * p[P.induction_methadone] + (1.0 - meth) * p[P.induction_buprenorphine]
    tau = meth * p[P.titration_days_methadone] + (1.0 - meth) * p[P.titration_days_buprenorphine]
    titr = before * (1.0 - (1.0 - ind) * (1.0 - 1.0 / tau) ** np.maximum(s[S.prenatal_moud_days], 0.0))
    s[S.moud_titration] = titr
    s[S.moud_dose_adequacy] = titr


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day of MOUD: planned start or initiation, discontinuation; episodes and delivery status."""
    alive = s[S.alive]
    pregnant = s[S.pregnant]
    born = s[S.born]
    gest = s[S.enrol_gest_day] + t
    was_on = s[S.on_moud] * alive
    planned = 1.0 * (s[S.moud_type] > 0.5) * pregnant * (1.0 - s[S.moud_started]) * (gest >= s[S.moud_start_week] * 7.0)
    # Unplanned initiation or re-entry (any mother off MOUD).
    log_h = (w[L.crisis_moud_initiation] * s[S.crisis] + w[L.motivation_moud_initiation] * s[S.motivation]
             + w[L.resolve_moud_initiation] * s[S.resolve]
             + s[S.lever_moud_initiation]
             + p[P.reentry_log_hr] * s[S.moud_started]
             + p[P.stigma_init_log_hr] * p[CTX.stigma] * s[S.lever_stigma_scale]
             + p[P.transport_init_log_hr] * s[S.low_income]
             + p[P.childcare_init_log_hr] * born * (1.0 - s[S.support_eff]))
    h0 = pregnant * p[P.init_hazard_pregnancy] + born * p[P.init_hazard_postpartum]
    enter = (1.0 - planned) * (1.0 - was_on) * alive * (u[U.initiate] < daily_probability(h0 * np.exp(log_h)))
    start = np.minimum(planned + enter, 1.0) * (1.0 - was_on) * alive
    # After a crisis, entry is mostly through emergency care, which starts buprenorphine.
    crisis = s[S.crisis]
    meth_share = (1.0 - crisis) * p[P.methadone_share] + crisis * (1.0 - p[P.crisis_bup_share])
    new_type = planned * s[S.moud_type] + enter * (1.0 + 1.0 * (u[U.type] >= meth_share))
    s[S.moud_current_type] = start * new_type + (1.0 - start) * s[S.moud_current_type]
    s[S.moud_started] = np.minimum(s[S.moud_started] + start, 1.0)
    on = np.minimum(was_on + start, 1.0)
    days = (s[S.moud_episode_days] + 1.0) * on
    # With NICU dosing continuity a NICU stay no longer counts as a separation for MOUD.
    separation = np.maximum(s[S.separated] - p[SUP.nicu_dosing] * s[S.nicu] * s[S.in_hospital], 0.0)
    prenatal_units = np.minimum(s[S.prenatal_moud_days], p[P.prenatal_cap_days]) / p[P.prenatal_unit_days]
    pp_profile = born * (p[P.pp_risk_floor] + (1.0 - p[P.pp_risk_floor])
                         * np.exp(-np.maximum(s[S.pp_day], 0.0) / p[P.pp_risk_days]))
    # Edges into MOUD are effects on retention, so the discontinuation log-hazard takes minus them.
    log_hr = -(w[L.birth_moud_discontinuation] * pp_profile
               + w[L.prenatal_moud_retention] * prenatal_units
               + w[L.use_moud_discontinuation] * s[S.intoxication]
               + w[L.craving_moud_discontinuation] * s[S.craving]
               + w[L.self_control_moud_retention] * s[S.self_control]
               + w[L.stigma_moud_discontinuation] * p[CTX.stigma] * s[S.lever_stigma_scale]
               + w[L.separation_moud_discontinuation] * separation) - s[S.lever_moud_retention] \
        + p[P.methadone_stop_log_hr] * (s[S.moud_current_type] == 1.0)
    weibull = np.exp((p[P.stop_shape] - 1.0) * np.log(np.maximum(days, 1.0) / p[P.stop_ref_days]))
    stop = on * (1.0 - start) * (u[U.stop] < daily_probability(p[P.stop_hazard] * weibull * np.exp(log_hr)))
    on = on - stop
    s[S.on_moud] = on
    s[S.moud_episode_days] = days * on
    # Episodes: the slot of a start is the count before it; of a stop, the count minus one.
    n_ep = s[S.moud_episodes]
    for k in range(len(EP_START)):
        s[EP_START[k]] = s[EP_START[k]] + start * (n_ep == k) * (t + 1.0)
        s[EP_TYPE[k]] = s[EP_TYPE[k]] + start * (n_ep == k) * new_type
        s[EP_STOP[k]] = s[EP_STOP[k]] + stop * (n_ep == k + 1) * (t + 1.0)
    s[S.moud_episodes] = n_ep + start
    s[S.prenatal_moud_days] = s[S.prenatal_moud_days] + pregnant * on
    at_birth = 1.0 * (s[S.pp_day] == 0.0)
    s[S.moud_at_delivery] = s[S.moud_at_delivery] + at_birth * on
    mis = s[S.dose_mismatch] * (1.0 - 1.0 / p[TAU.dose_mismatch])
    mis = at_birth * on + (1.0 - at_birth) * mis
    s[S.dose_mismatch] = mis
    # Dose adequacy: induction at entry, titration toward 1, less the postpartum mismatch.
    meth = 1.0 * (s[S.moud_current_type] == 1.0)
    ind = meth * p[P.induction_methadone] + (1.0 - meth) * p[P.induction_buprenorphine]
    tau = meth * p[P.titration_days_methadone] + (1.0 - meth) * p[P.titration_days_buprenorphine]
    titr = s[S.moud_titration]
    titr = on * (start * ind + (1.0 - start) * (titr + (1.0 - titr) / tau))
    s[S.moud_titration] = titr
    depth = meth * p[P.pp_mismatch_methadone] + (1.0 - meth) * p[P.pp_mismatch_buprenorphine]
    s[S.moud_dose_adequacy] = titr * (1.0 - depth * mis)
    first_pp = stop * born * (s[S.moud_stop_pp_day] < 0.0)
    s[S.moud_stop_pp_day] = s[S.moud_stop_pp_day] + first_pp * (s[S.pp_day] + 1.0)
    first_preg = stop * pregnant * (s[S.moud_stop_gest_day] < 0.0)
    s[S.moud_stop_gest_day] = s[S.moud_stop_gest_day] + first_preg * (gest + 1.0)


FINAL = (
    Final("moud_at_delivery", "moud_at_delivery", "flag", doc="on MOUD on the day of birth"),
    Final("moud_stop_gest_week", "moud_stop_gest_day", "day", divide_by=7.0,
          doc="first prenatal discontinuation (weeks after enrolment), NaN if none"),
    Final("moud_stop_pp_day", "moud_stop_pp_day", "day", doc="postpartum day of the first discontinuation"),
    Final("moud_episodes", "moud_episodes", doc="MOUD episodes started"),
    *(f for e in range(1, len(EP_START) + 1) for f in (
        Final(f"moud_ep{e}_start_day", f"moud_ep{e}_start", "day", doc=f"day episode {e} started"),
        Final(f"moud_ep{e}_stop_day", f"moud_ep{e}_stop", "day", doc=f"day episode {e} stopped"),
        Final(f"moud_ep{e}_type", f"moud_ep{e}_type", "category", categories=MOUD_TYPES,
              doc=f"medicine of episode {e}"))),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (Recorded("moud_days", "on_moud", report="sum", trimesters=True, doc="days on MOUD"),
            Recorded("moud_dose_adequacy", "moud_dose_adequacy", trimesters=True,
                     doc="MOUD dose adequacy (0-1; 0 off MOUD)"))
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

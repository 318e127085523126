"""Medication for opioid use disorder (MOUD): start, continuation, discontinuation, re-start.

A dyad with an MOUD type starts treatment at her baseline start week (if that is before
enrolment she is on MOUD from day 0, with the prenatal days already accrued). Each day on MOUD a
discontinuation hazard applies; its log is raised after birth (edge ``birth_moud_discontinuation``),
by recent use, by stigma in care and by separation from the infant (no dosing while the infant
is in the NICU, seed 003), and lowered by longer prenatal treatment (edge
``prenatal_moud_retention``, per 90 days, capped at 270). After stopping, a small daily re-start
hazard applies. MOUD then damps craving, withdrawal, use and overdose (edges in the other
modules) and keeps a tolerance floor.

Sources: Schiff et al. 2021 (64.1% continued 12 months postpartum); Wilder et al. 2015 (11%
discontinued in pregnancy, 56% methadone by 6 months); seed 003 (ill-equipped system).
"""
from __future__ import annotations

import numpy as np

from ..graph import L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S
from .context import P as CTX
from .supports import P as SUP

P = declare_params("moud", (
    Param("stop_hazard", 0.0012, "1/day", 0.0003, 0.005,
          "assumed (order of Schiff 2021: 35.9% stop in 12 months)", "daily discontinuation hazard at reference"),
    Param("restart_hazard", 0.002, "1/day", 0.0, 0.02, "assumed", "daily hazard of re-starting after stopping"),
    Param("methadone_stop_log_hr", 0.2, "log HR", -0.5, 1.0, "assumed (Wilder 2015 methadone figures)",
          "methadone versus buprenorphine"),
))
U = declare_streams("moud", (Stream("stop", "discontinuation"), Stream("restart", "re-start")))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """On MOUD at enrolment when the start week is before enrolment."""
    has = s[S.moud_type] > 0.5
    start_day = s[S.moud_start_week] * 7.0
    before = has & (start_day <= s[S.enrol_gest_day])
    s[S.on_moud] = 1.0 * before
    s[S.moud_started] = 1.0 * before
    s[S.prenatal_moud_days] = before * (s[S.enrol_gest_day] - start_day)
    s[S.moud_at_delivery] = 0.0
    s[S.moud_stop_pp_day] = -1.0
    s[S.moud_stop_gest_day] = -1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day of MOUD: scheduled start, discontinuation, re-start; records delivery status."""
    alive = s[S.alive]
    pregnant = s[S.pregnant]
    gest = s[S.enrol_gest_day] + t
    has = 1.0 * (s[S.moud_type] > 0.5)
    start = has * pregnant * (1.0 - s[S.moud_started]) * (gest >= s[S.moud_start_week] * 7.0)
    s[S.moud_started] = s[S.moud_started] + start
    on = np.minimum(s[S.on_moud] + start, 1.0) * alive
    # With NICU dosing continuity a NICU stay no longer counts as a separation for MOUD.
    separation = np.maximum(s[S.separated] - p[SUP.nicu_dosing] * s[S.nicu] * s[S.in_hospital], 0.0)
    prenatal_years = np.minimum(s[S.prenatal_moud_days], 270.0) / 90.0
    # Edges into MOUD are effects on retention, so the discontinuation log-hazard takes minus them.
    log_hr = -(w[L.birth_moud_discontinuation] * s[S.born]
               + w[L.prenatal_moud_retention] * prenatal_years
               + w[L.use_moud_discontinuation] * s[S.intoxication]
               + w[L.stigma_moud_discontinuation] * p[CTX.stigma] * s[S.lever_stigma_scale]
               + w[L.separation_moud_discontinuation] * separation) - s[S.lever_moud_retention] \
        + p[P.methadone_stop_log_hr] * (s[S.moud_type] == 1.0)
    stop = on * (u[U.stop] < 1.0 - np.exp(-p[P.stop_hazard] * np.exp(log_hr)))
    restart = has * s[S.moud_started] * (1.0 - on) * alive * (u[U.restart] < p[P.restart_hazard])
    on = on - stop + restart
    s[S.on_moud] = on
    s[S.prenatal_moud_days] = s[S.prenatal_moud_days] + pregnant * on
    at_birth = 1.0 * (s[S.pp_day] == 0.0)
    s[S.moud_at_delivery] = s[S.moud_at_delivery] + at_birth * on
    first_pp = stop * s[S.born] * (s[S.moud_stop_pp_day] < 0.0)
    s[S.moud_stop_pp_day] = s[S.moud_stop_pp_day] + first_pp * (s[S.pp_day] + 1.0)
    first_preg = stop * pregnant * (s[S.moud_stop_gest_day] < 0.0)
    s[S.moud_stop_gest_day] = s[S.moud_stop_gest_day] + first_preg * (gest + 1.0)


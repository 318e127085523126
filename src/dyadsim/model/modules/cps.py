"""Child protective services: report, removal, reunification; separation of mother and infant.

A report can come at birth (log-odds raised by NOWS signs, recent use, prior CPS contact and
stigma in care) or later as a daily hazard (raised by recent use, prior contact, stigma). A report
opens a case for ``case_days``; during an open case removal is a daily hazard raised by recent
use and housing instability and lowered by social support. Removal separates the dyad (caregiving
stops, a stressor for the mother, edge ``separation_stressors``) until reunification, a daily
hazard lowered by continued use. ``separated`` also covers a NICU stay and maternal death.

Sources: seed 000 Introduction (opioid use as a risk factor for CPS involvement); seed 003
(culture of care, fear of losing the child, keeping mother and baby together); seed 004 (CPS
involvement hinders recovery, some saw it as help).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import daily_probability, logistic
from dyadsim.model.graph import L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.context import P as CTX

P = declare_params("cps", (
    Param("birth_report_logit", -2.5, "logit", -5.0, 0.0, "assumed", "log-odds of a report at birth before risk terms"),
    Param("report_hazard", 0.0004, "1/day", 0.00005, 0.003, "assumed", "daily hazard of a later report at reference"),
    Param("removal_hazard", 0.0015, "1/day", 0.0, 0.01, "assumed", "daily hazard of removal during an open case"),
    Param("housing_removal_log_hr", 0.5, "log HR", 0.0, 1.5, "assumed (seed 003 social determinants)", "housing effect on removal"),
    Param("case_days", 180.0, "days", 30.0, 365.0, "assumed", "length of an open case"),
    Param("reunify_hazard", 0.004, "1/day", 0.0, 0.02, "assumed", "daily hazard of reunification"),
    Param("reunify_use_log_hr", -3.0, "log HR per unit", -6.0, 0.0, "assumed", "recent use delays reunification"),
))
U = declare_streams("cps", (Stream("report", "CPS report"), Stream("removal", "removal"),
                            Stream("reunify", "reunification")))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything (used by the compiled engine to skip it): only after birth."""
    return s[S.born] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No report or removal at enrolment (reports concern the newborn)."""
    s[S.cps_report] = 0.0
    s[S.cps_report_day] = -1.0
    s[S.removed] = 0.0
    s[S.cps_removal_day] = -1.0
    s[S.separated] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day of child welfare after birth; then today's separation flag."""
    born = s[S.born]
    pp = s[S.pp_day]
    at_birth = 1.0 * (pp == 0.0)
    risk = (w[L.use_cps_report] * s[S.intoxication] + w[L.prior_cps_report] * s[S.prior_cps]
            + w[L.stigma_cps_report] * p[CTX.stigma] * s[S.lever_stigma_scale] - s[S.lever_cps_report])
    p_birth = logistic(p[P.birth_report_logit] + risk + w[L.nows_cps_report] * s[S.nows_signs])
    p_later = daily_probability(p[P.report_hazard] * np.exp(risk))
    p_report = at_birth * p_birth + (1.0 - at_birth) * born * p_later
    report = (1.0 - s[S.cps_report]) * (u[U.report] < p_report)
    s[S.cps_report] = s[S.cps_report] + report
    s[S.cps_report_day] = s[S.cps_report_day] + report * (pp + 1.0)
    open_case = s[S.cps_report] * ((pp - s[S.cps_report_day]) < p[P.case_days])
    # Removal given an open case: the edges into "separation" act on its log-hazard.
    log_hr = (w[L.use_removal] * s[S.intoxication] + w[L.support_removal] * s[S.support_eff]
              + p[P.housing_removal_log_hr] * s[S.housing_eff] - s[S.lever_cps_removal])
    h_rem = w[L.cps_separation] * p[P.removal_hazard] * np.exp(log_hr)
    removal = open_case * (1.0 - s[S.removed]) * (u[U.removal] < daily_probability(h_rem))
    h_re = p[P.reunify_hazard] * np.exp(p[P.reunify_use_log_hr] * s[S.intoxication])
    reunify = s[S.removed] * s[S.alive] * (u[U.reunify] < daily_probability(h_re))
    first = removal * (s[S.cps_removal_day] < 0.0)
    s[S.cps_removal_day] = s[S.cps_removal_day] + first * (pp + 1.0)
    s[S.removed] = s[S.removed] + removal - reunify
    nicu_stay = w[L.nows_separation] * s[S.nicu] * s[S.in_hospital]
    s[S.separated] = born * np.minimum(nicu_stay + s[S.removed] + (1.0 - s[S.alive]), 1.0)


FINAL = (
    Final("cps_report", "cps_report", "flag", doc="reported to CPS since birth"),
    Final("cps_report_day", "cps_report_day", "day", doc="postpartum day of the report"),
    Final("cps_removal", "cps_removal_day", "ever", doc="infant removed from the mother's care"),
    Final("cps_removal_day", "cps_removal_day", "day", doc="postpartum day of the first removal"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (Recorded("separated_days", "separated", over="followed", report="sum",
                     doc="days mother and infant were apart (NICU, removal, death)"),)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

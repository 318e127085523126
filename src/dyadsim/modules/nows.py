"""Neonatal opioid withdrawal syndrome (NOWS): occurrence, severity, treatment, length of stay.

At birth, in-utero exposure is MOUD on the day of delivery (weighted by type: buprenorphine gives
milder NOWS than methadone) plus recent illicit use. Exposure raises the log-odds of withdrawal
signs and NOWS severity (edges ``moud_nows``, ``use_nows``). Infants with signs may receive
pharmacotherapy (less often under rooming-in / Eat-Sleep-Console care). Discharge is a daily
hazard whose mean depends on pharmacotherapy and care setting, so length of stay is a duration,
not a fixed number. Under NICU care an infant who needs pharmacotherapy stays in the NICU, apart
from the mother (others are observed with her); under rooming-in the dyad stays together.

Sources: Kraft et al. 2017 (NEJM 376:2341; treatment 15 vs 28 d, stay 21 vs 33 d); review figure
in TARGETS.md (~95% signs, ~50% pharmacotherapy); seed 003 (rooming-in versus NICU).
"""
from __future__ import annotations

import numpy as np

from ..graph import TAU, L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S

P = declare_params("nows", (
    Param("signs_logit", 1.5, "logit", -1.0, 4.0, "assumed (with exposure gives ~90-95% signs; TARGETS review figure)",
          "log-odds of withdrawal signs before exposure terms"),
    Param("severity_logit", -1.5, "logit", -4.0, 1.0, "assumed", "log-odds of severity before exposure"),
    Param("severity_spread", 2.0, "logit", 0.0, 4.0, "assumed", "spread of severity between infants"),
    Param("pharm_logit", -2.5, "logit", -5.0, 0.0, "assumed (gives ~50% pharmacotherapy; TARGETS [S])",
          "log-odds of pharmacotherapy at zero severity"),
    Param("pharm_severity", 5.0, "logit per unit", 1.0, 10.0, "assumed", "severity effect on pharmacotherapy"),
    Param("rooming_in", 0.0, "flag", 0.0, 1.0, "scenario setting (seed 003)", "1: rooming-in / ESC care, 0: NICU care"),
    Param("rooming_pharm_effect", -1.5, "logit", -3.0, 0.0, "assumed (ESC lowers pharmacotherapy)",
          "change in log-odds of pharmacotherapy under rooming-in"),
    Param("bup_relative_exposure", 0.7, "ratio", 0.4, 1.0, "assumed (milder NOWS after buprenorphine)",
          "buprenorphine exposure relative to methadone"),
    Param("los_pharm_nicu", 25.0, "days", 10.0, 40.0, "Kraft et al. 2017 (stay 21-33 d)",
          "mean stay with pharmacotherapy in NICU care"),
    Param("los_pharm_rooming", 14.0, "days", 5.0, 30.0, "assumed (ESC shortens stay)",
          "mean stay with pharmacotherapy under rooming-in"),
    Param("los_observation", 5.0, "days", 2.0, 8.0, "assumed (observation of exposed infants)",
          "mean stay without pharmacotherapy"),
))
U = declare_streams("nows", (
    Stream("signs", "withdrawal signs at birth"),
    Stream("severity", "severity at birth"),
    Stream("pharm", "pharmacotherapy"),
    Stream("discharge", "discharge on a day"),
))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything (used by the compiled engine to skip it): only after birth."""
    return s[S.born] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No infant before birth."""
    for k in (S.nows, S.nows_birth_severity, S.nows_signs, S.nows_pharm, S.in_hospital, S.nicu, S.los):
        s[k] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """At birth: signs, severity, pharmacotherapy, setting. After: stay, discharge, recovery."""
    at_birth = 1.0 * (s[S.pp_day] == 0.0)
    moud_weight = 1.0 * (s[S.moud_type] == 1.0) + p[P.bup_relative_exposure] * (s[S.moud_type] == 2.0)
    exposure = w[L.moud_nows] * s[S.on_moud] * moud_weight + w[L.use_nows] * s[S.intoxication]
    signs = at_birth * (u[U.signs] < 1.0 / (1.0 + np.exp(-(p[P.signs_logit] + exposure))))
    sev_logit = p[P.severity_logit] + exposure + p[P.severity_spread] * (u[U.severity] - 0.5) * 2.0
    severity = signs / (1.0 + np.exp(-sev_logit))
    rooming = 1.0 * (p[P.rooming_in] > 0.5)
    pharm_logit = p[P.pharm_logit] + p[P.pharm_severity] * severity + p[P.rooming_pharm_effect] * rooming
    pharm = signs * (u[U.pharm] < 1.0 / (1.0 + np.exp(-pharm_logit)))
    s[S.nows_signs] = s[S.nows_signs] + signs
    s[S.nows_pharm] = s[S.nows_pharm] + pharm
    s[S.nows_birth_severity] = s[S.nows_birth_severity] + severity
    s[S.in_hospital] = s[S.in_hospital] + at_birth
    # NICU care admits infants who need pharmacotherapy; others are observed with their mother.
    s[S.nicu] = s[S.nicu] + pharm * (1.0 - rooming)
    # Recovery: severity decays with the NOWS time constant after birth.
    s[S.nows] = at_birth * severity + (1.0 - at_birth) * s[S.nows] * (1.0 - 1.0 / p[TAU.nows])
    # Stay: a daily discharge hazard from the day after birth (mean stay = 1/hazard).
    mean_stay = (s[S.nows_pharm] * (rooming * p[P.los_pharm_rooming] + (1.0 - rooming) * p[P.los_pharm_nicu])
                 + (1.0 - s[S.nows_pharm]) * p[P.los_observation])
    in_hosp = s[S.in_hospital]
    s[S.los] = s[S.los] + in_hosp
    discharge = (1.0 - at_birth) * in_hosp * (u[U.discharge] < 1.0 / mean_stay)
    s[S.in_hospital] = in_hosp - discharge

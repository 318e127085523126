"""System supports and MOUD policies named by mothers and professionals (seeds 003 and 004).

Each support is switched on by a flag parameter and acts on named parameters through lever
states (all zero, or multipliers of one, when it is off, so switching a support off reproduces
usual care exactly):

* MOUD policies: postpartum continuation support (lower discontinuation hazard after birth);
  dosing continuity while the infant is in the NICU (a NICU stay no longer raises discontinuation).
  Type and start week of MOUD are population settings (``population.overrides``).
* Peer recovery support specialist from pregnancy: more social support, better MOUD retention,
  better attendance at group sessions.
* Home visiting with Nurse-Family-Partnership-like eligibility (enrolled before 29 weeks, first
  pregnancy): parenting skill and support (in :mod:`programs`), fewer CPS reports.
* Transitional housing: a share of mothers with unstable housing are housed from enrolment.
* Provider training against stigma and about MOUD and pain management: less stigma met in care,
  less delivery-pain stress, better MOUD retention.
* Mental-health screening and referral: detected depression or anxiety is treated.
* Child-welfare practice keeping mother and baby together under a safety plan: lower removal hazard.

Rooming-in / Eat-Sleep-Console versus NICU care is ``care.nows_setting`` (:mod:`nows`).
Sources: seed 003 (Allen et al. 2023: continuum of care, ill-equipped system, social
determinants, culture of care, keeping mother and baby together); seed 004 (Martin et al.: peers,
compassionate care, depression and anxiety). Effect sizes are assumed.
"""
from __future__ import annotations

import numpy as np

from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S


def _flag(name: str, doc: str) -> Param:
    return Param(name, 0.0, "flag", 0.0, 1.0, "scenario setting", doc)


P = declare_params("supports", (
    _flag("moud_pp_support", "postpartum MOUD continuation support"),
    Param("pp_support_log_hr", 0.5, "log HR (lower)", 0.0, 1.5, "assumed (seed 003 continuum of care)",
          "lower postpartum discontinuation hazard with continuation support"),
    _flag("nicu_dosing", "MOUD dosing continues while the infant is in the NICU"),
    _flag("peer_support", "peer recovery support specialist from pregnancy"),
    Param("peer_support_boost", 0.15, "0-1", 0.0, 0.4, "assumed (seed 003 peer support; seed 004 peers)",
          "added social support"),
    Param("peer_moud_log_hr", 0.3, "log HR (lower)", 0.0, 1.0, "assumed", "better MOUD retention with a peer"),
    Param("peer_init_log_hr", 0.5, "log HR", 0.0, 1.5, "assumed (seed 003 peer recovery specialists link to care)",
          "higher MOUD initiation and re-entry with a peer"),
    Param("peer_attendance", 0.5, "logit", 0.0, 1.5, "assumed", "higher attendance at group sessions"),
    _flag("home_visiting", "home visiting with NFP-like eligibility"),
    Param("hv_max_enrol_week", 29.0, "gestational week", 16.0, 40.0, "seed 003 (NFP: enrolment before 29 weeks)",
          "latest enrolment week for eligibility"),
    Param("hv_first_pregnancy_only", 1.0, "flag", 0.0, 1.0, "seed 003 (NFP: first pregnancy)", "eligibility rule"),
    Param("hv_parenting", 0.4, "logit", 0.0, 1.0, "assumed", "parenting skill from home visiting"),
    Param("hv_support", 0.1, "0-1", 0.0, 0.3, "assumed", "added social support from home visiting"),
    Param("hv_report_log_hr", 0.3, "log HR (lower)", 0.0, 1.0, "assumed", "fewer CPS reports with home visiting"),
    _flag("transitional_housing", "transitional housing from enrolment"),
    Param("housing_uptake", 0.7, "probability", 0.0, 1.0, "assumed", "share of unstably housed mothers housed"),
    _flag("provider_training", "provider training against stigma, about MOUD and pain management"),
    Param("training_stigma", 0.5, "share", 0.0, 1.0, "assumed (seed 003 culture of care)", "reduction of stigma met"),
    Param("training_pain", 0.3, "share", 0.0, 1.0, "assumed (seed 004 pain after delivery)", "reduction of pain stress"),
    Param("training_moud_log_hr", 0.2, "log HR (lower)", 0.0, 1.0, "assumed (seed 003 mixed messages)",
          "better MOUD retention"),
    Param("training_init_log_hr", 0.3, "log HR", 0.0, 1.0, "assumed (seed 003 providers ill-equipped to start MOUD)",
          "higher MOUD initiation with trained providers"),
    _flag("mh_screening", "mental-health screening and referral"),
    Param("mh_uptake", 0.6, "probability", 0.0, 1.0, "assumed", "share of mothers with a diagnosis detected and treated"),
    Param("mh_effect", 1.0, "logit", 0.0, 2.0, "assumed", "lower depressive symptoms when treated"),
    _flag("keep_together", "child-welfare practice keeping mother and baby together under a safety plan"),
    Param("keep_together_log_hr", 1.2, "log HR (lower)", 0.0, 3.0, "assumed (seed 003 keeping mother and baby together)",
          "lower removal hazard"),
))
U = declare_streams("supports", (Stream("housing", "housed by transitional housing"),
                                 Stream("mh", "detected and treated after screening")))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only when some support is switched on."""
    return (p[P.moud_pp_support] + p[P.peer_support] + p[P.home_visiting] + p[P.transitional_housing]
            + p[P.provider_training] + p[P.mh_screening] + p[P.keep_together]) > 0.0


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Eligibility and neutral levers at enrolment."""
    s[S.housing_eff] = s[S.housing_unstable]
    first_ok = (p[P.hv_first_pregnancy_only] < 0.5) | (s[S.first_pregnancy] > 0.5)
    s[S.hv_eligible] = 1.0 * ((s[S.enrol_gest_day] < 7.0 * p[P.hv_max_enrol_week]) & first_ok)
    s[S.mh_treated] = 0.0
    for k in (S.lever_moud_retention, S.lever_moud_initiation, S.lever_cps_report, S.lever_cps_removal,
              S.lever_attendance, S.lever_depression):
        s[k] = 0.0
    s[S.lever_stigma_scale] = 1.0
    s[S.lever_pain_scale] = 1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Set today's support levers (decisions on uptake are taken on day 0)."""
    day0 = 1.0 * (t == 0.0)
    housed = p[P.transitional_housing] * (u[U.housing] < p[P.housing_uptake])
    s[S.housing_eff] = day0 * s[S.housing_unstable] * (1.0 - housed) + (1.0 - day0) * s[S.housing_eff]
    dx = np.minimum(s[S.depression_dx] + s[S.anxiety_dx], 1.0)
    treated = p[P.mh_screening] * dx * (u[U.mh] < p[P.mh_uptake])
    s[S.mh_treated] = day0 * treated + (1.0 - day0) * s[S.mh_treated]
    training = p[P.provider_training]
    peer = p[P.peer_support]
    s[S.lever_moud_retention] = (p[P.moud_pp_support] * s[S.born] * p[P.pp_support_log_hr]
                                 + peer * p[P.peer_moud_log_hr] + training * p[P.training_moud_log_hr])
    s[S.lever_moud_initiation] = peer * p[P.peer_init_log_hr] + training * p[P.training_init_log_hr]
    s[S.lever_cps_report] = p[P.home_visiting] * s[S.hv_eligible] * p[P.hv_report_log_hr]
    s[S.lever_cps_removal] = p[P.keep_together] * p[P.keep_together_log_hr]
    s[S.lever_attendance] = peer * p[P.peer_attendance]
    s[S.lever_stigma_scale] = 1.0 - training * p[P.training_stigma]
    s[S.lever_pain_scale] = 1.0 - training * p[P.training_pain]
    s[S.lever_depression] = s[S.mh_treated] * p[P.mh_effect]


FINAL = (
    Final("hv_eligible", "hv_eligible", "flag", doc="eligible for home visiting"),
    Final("mh_treated", "mh_treated", "flag", doc="treated after mental-health screening"),
    Final("housing_unstable_end", "housing_eff", "flag", doc="housing unstable at the end of follow-up"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

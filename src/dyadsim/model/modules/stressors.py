"""Stressors from the eco-social context and from the infant.

Each day a stressful event happens with probability ``1 - exp(-rate)``; the log of the rate is a
base plus the edges into ``stressors``: housing instability, low income, social support (minus),
CPS contact (prior involvement, or a case open after a report: ``cps.case_days``), stigma in care, pain in the weeks after delivery,
separation from the infant, and the infant's distress (the reciprocal loop of Figure 1). The state
``stressors`` is the event rate smoothed with time constant ``tau.stressors`` (events/day).

Sleep loss after delivery (``sleep_loss``) follows the infant's night waking, from a newborn's needs
and from its distress, while the mother cares for the infant herself; both fall as the infant's
sleep consolidates with age (time constant ``sleep_settle_days``: night waking falls over the first
months, Henderson et al. 2010), so the strain of the postpartum transition passes. It lowers
self-control and raises negative affect. At enrolment the event rate starts at its expectation
for her context (``settle``).

Sources: seed 000 §Stress and Cognitive Appraisal; seed 003 (social determinants, culture of
care); seed 004 (pain after delivery, CPS involvement, parenting stress).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import daily_probability, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.context import P as CTX
from dyadsim.model.modules.cps import P as CPS
from dyadsim.model.modules.pregnancy import P as PREG

P = declare_params("stressors", (
    Param("base_rate", 0.12, "events/day", 0.03, 0.4, "assumed (about one stressful event a week)",
          "daily rate of stressful events at reference context"),
    Param("newborn_sleep_loss", 0.6, "0-1", 0.0, 1.0, "assumed (night feeds and waking of a newborn)",
          "sleep loss of a mother caring for a newborn, before infant distress"),
    Param("sleep_settle_days", 120.0, "days", 30.0, 365.0,
          "assumed (night waking falls over the first months as sleep consolidates, fastest in the first 4 months: "
          "Henderson et al. 2010, Pediatrics 126:e1081)",
          "time constant of the fall of night waking (newborn needs and distress) with infant age"),
))
U = declare_streams("stressors", (Stream("event", "a stressful event today"),))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Start at the base rate (``settle`` moves it to the person's expected rate); no postpartum sleep loss yet."""
    s[S.stressors] = p[P.base_rate]
    s[S.sleep_loss] = 0.0


@register_jitable
def _event_probability(s, p, w):  # type: ignore[no-untyped-def]
    """Today's probability of a stressful event from the context and the infant."""
    born = s[S.born]
    pain = born * (s[S.pp_day] < p[PREG.pain_days])
    # CPS weighs on her while a case is open (and as a history of involvement), not for ever.
    open_case = s[S.cps_report] * ((s[S.pp_day] - s[S.cps_report_day]) < p[CPS.case_days])
    cps = np.minimum(s[S.prior_cps] + open_case, 1.0)
    log_rr = (w[L.housing_stressors] * s[S.housing_eff]
              + w[L.income_stressors] * s[S.low_income]
              + w[L.support_stressors] * s[S.support_eff]
              + w[L.cps_stressors] * cps
              + w[L.stigma_stressors] * p[CTX.stigma] * s[S.lever_stigma_scale]
              + w[L.pain_stressors] * s[S.lever_pain_scale] * pain
              + w[L.separation_stressors] * s[S.separated] * s[S.alive]
              + w[L.infant_distress_stressors] * s[S.infant_distress] * born)
    return daily_probability(p[P.base_rate] * np.exp(log_rr))


@register_jitable
def _sleep_target(s, p, w):  # type: ignore[no-untyped-def]
    """Sleep loss of a mother caring for her infant: night waking, from the newborn's needs and from
    the infant's distress, both falling as the infant's sleep consolidates with age."""
    age = np.maximum(s[S.pp_day], 0.0)
    caring = s[S.born] * (1.0 - s[S.separated])
    night = np.exp(-age / p[P.sleep_settle_days])
    return caring * np.minimum(night * (p[P.newborn_sleep_loss] + w[L.infant_distress_sleep] * s[S.infant_distress]), 1.0)


def settle(s: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """The smoothed event rate at its expectation for her context (one round of
    :func:`dyadsim.model.modules.settle`); sleep loss at its target."""
    s[S.stressors] = _event_probability(s, p, w)
    s[S.sleep_loss] = _sleep_target(s, p, w)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Draw today's stressful event and update the smoothed stressor rate and sleep loss."""
    event = 1.0 * (u[U.event] < _event_probability(s, p, w))
    s[S.stressors] = relax(s[S.stressors], event, p[TAU.stressors])
    s[S.sleep_loss] = relax(s[S.sleep_loss], _sleep_target(s, p, w), p[TAU.sleep_loss])

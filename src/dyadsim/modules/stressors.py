"""Stressors from the eco-social context and from the infant.

Each day a stressful event happens with probability ``1 - exp(-rate)``; the log of the rate is a
base plus the edges into ``stressors``: housing instability, low income, social support (minus),
CPS contact (prior, or a current report), stigma in care, pain in the weeks after delivery,
separation from the infant, and the infant's distress (the reciprocal loop of Figure 1). The state
``stressors`` is the event rate smoothed with time constant ``tau.stressors`` (events/day).

Sources: seed 000 §Stress and Cognitive Appraisal; seed 003 (social determinants, culture of
care); seed 004 (pain after delivery, CPS involvement, parenting stress).
"""
from __future__ import annotations

import numpy as np

from ..graph import TAU, L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S
from .context import P as CTX
from .pregnancy import P as PREG

P = declare_params("stressors", (
    Param("base_rate", 0.12, "events/day", 0.03, 0.4, "assumed (about one stressful event a week)",
          "daily rate of stressful events at reference context"),
))
U = declare_streams("stressors", (Stream("event", "a stressful event today"),))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Start at the base rate."""
    s[S.stressors] = p[P.base_rate]


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Draw today's stressful event and update the smoothed stressor rate."""
    born = s[S.born]
    pain = born * (s[S.pp_day] < p[PREG.pain_days])
    cps = np.minimum(s[S.prior_cps] + s[S.cps_report], 1.0)
    log_rr = (w[L.housing_stressors] * s[S.housing_eff]
              + w[L.income_stressors] * s[S.low_income]
              + w[L.support_stressors] * s[S.support_eff]
              + w[L.cps_stressors] * cps
              + w[L.stigma_stressors] * p[CTX.stigma] * s[S.lever_stigma_scale]
              + w[L.pain_stressors] * s[S.lever_pain_scale] * pain
              + w[L.separation_stressors] * s[S.separated] * s[S.alive]
              + w[L.infant_distress_stressors] * s[S.infant_distress] * born)
    rate = p[P.base_rate] * np.exp(log_rr)
    event = 1.0 * (u[U.event] < 1.0 - np.exp(-rate))
    s[S.stressors] = s[S.stressors] + (event - s[S.stressors]) / p[TAU.stressors]

"""Attachment formed over the first year and classified at 12 months.

Over postpartum days 0-364 the module accumulates what the infant experiences: days in the
mother's care, the mean and the day-to-day spread (SD) of her sensitivity on those days, mean
synchrony, care days with use (care while intoxicated: frightening or unpredictable), and days
apart. On day 364 the class is drawn from a multinomial logit against secure:

* avoidant: consistently low sensitivity (``-w.parenting_attachment * (mean - ref)``) and low synchrony;
* resistant: inconsistent sensitivity (``-w.inconsistency_attachment * SD``) and low mean;
* disorganized: care while intoxicated (share of care days) and separation (share of days), and
  low mean sensitivity.

Sources: Ainsworth (consistent sensitive care -> secure; rejecting -> avoidant; inconsistent ->
resistant); Cittern, Nolte, Friston & Edalat 2018 (PLoS ONE 13:e0193955: contradictory or
frightening cues -> disorganized); seed 000 §Attachment and Child Well-Being; van IJzendoorn et
al. 1999 (~15% disorganized in normative samples, 2-3x in clinical groups).
"""
from __future__ import annotations

import numpy as np

from ..graph import L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S

CLASSIFY_DAY = 364.0  # last day of the first postpartum year (pp days 0..364)
CLASSES = ("secure", "avoidant", "resistant", "disorganized")

P = declare_params("attachment", (
    Param("avoidant_logit", -1.1, "logit vs secure", -3.0, 1.0, "assumed (van IJzendoorn & Kroonenberg 1988 shares)",
          "avoidant at reference care"),
    Param("resistant_logit", -2.3, "logit vs secure", -4.0, 0.0, "assumed (van IJzendoorn & Kroonenberg 1988 shares)",
          "resistant at reference care"),
    Param("disorganized_logit", -1.6, "logit vs secure", -4.0, 0.0, "assumed (van IJzendoorn et al. 1999: ~15%)",
          "disorganized at reference care"),
    Param("ref_sensitivity", 0.6, "0-1", 0.3, 0.9, "assumed", "reference mean sensitivity"),
    Param("ref_synchrony", 0.5, "0-1", 0.2, 0.9, "assumed", "reference mean synchrony"),
    Param("ref_spread", 0.05, "0-1", 0.0, 0.2, "assumed", "reference SD of sensitivity"),
))
U = declare_streams("attachment", (Stream("classify", "attachment class at 12 months"),))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only in the first postpartum year."""
    return (s[S.born] > 0.5) & (s[S.pp_day] <= CLASSIFY_DAY)


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Empty accumulators."""
    for k in (S.care_days, S.sens_sum, S.sens_sq_sum, S.sync_sum, S.intox_care_days, S.sep_days,
              S.distress_sum, S.pp_use_days):
        s[k] = 0.0
    s[S.attachment] = -1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Accumulate the first year of care; classify on day 364."""
    pp = s[S.pp_day]
    year = s[S.born] * (pp <= CLASSIFY_DAY)
    care = year * (1.0 - s[S.separated])
    sens = s[S.parenting]
    s[S.care_days] = s[S.care_days] + care
    s[S.sens_sum] = s[S.sens_sum] + care * sens
    s[S.sens_sq_sum] = s[S.sens_sq_sum] + care * sens * sens
    s[S.sync_sum] = s[S.sync_sum] + care * s[S.synchrony]
    s[S.intox_care_days] = s[S.intox_care_days] + care * s[S.use_today]
    s[S.sep_days] = s[S.sep_days] + year * s[S.separated]
    s[S.distress_sum] = s[S.distress_sum] + year * s[S.infant_distress]
    s[S.pp_use_days] = s[S.pp_use_days] + year * s[S.use_today]
    n = np.maximum(s[S.care_days], 1.0)
    mean = s[S.sens_sum] / n
    sd = np.sqrt(np.maximum(s[S.sens_sq_sum] / n - mean * mean, 0.0))
    low = -w[L.parenting_attachment] * (mean - p[P.ref_sensitivity]) \
        - w[L.synchrony_attachment] * (s[S.sync_sum] / n - p[P.ref_synchrony])
    e_av = np.exp(p[P.avoidant_logit] + low)
    e_res = np.exp(p[P.resistant_logit] + 0.5 * low - w[L.inconsistency_attachment] * (sd - p[P.ref_spread]))
    e_dis = np.exp(p[P.disorganized_logit] + 0.5 * low
                   - w[L.intoxicated_care_attachment] * s[S.intox_care_days] / n
                   - w[L.separation_attachment] * s[S.sep_days] / (CLASSIFY_DAY + 1.0))
    total = 1.0 + e_av + e_res + e_dis
    x = u[U.classify] * total
    cls = 1.0 * (x >= 1.0) + 1.0 * (x >= 1.0 + e_av) + 1.0 * (x >= 1.0 + e_av + e_res)
    now = 1.0 * (pp == CLASSIFY_DAY)
    s[S.attachment] = s[S.attachment] + now * (cls + 1.0)

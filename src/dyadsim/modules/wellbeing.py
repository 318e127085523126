"""Child well-being at 12 months in five domains: physical, psychological, cognitive, social, economic.

Scores are on a T-like scale (50 at reference experience, higher is better), computed on postpartum
day 364 from what the first year accumulated: NOWS severity and preterm birth (physical), the
attachment class and infant distress (psychological, social), sensitivity and synchrony
(cognitive, physical), separation (social), and housing, income and the share of days with
maternal use (economic). Each term is an edge into a ``wb_*`` node.

Sources: seed 000 (child well-being in five domains, Pollard & Lee 2003; §Attachment and Child
Well-Being).
"""
from __future__ import annotations

import numpy as np

from ..graph import L
from ..registry import Param, declare_params
from ..states import S
from .attachment import CLASSIFY_DAY
from .attachment import P as ATT

P = declare_params("wellbeing", (
    Param("ref_distress", 0.4, "0-1", 0.1, 0.7, "assumed", "reference mean infant distress"),
))

DOMAINS = ("physical", "psychological", "cognitive", "social", "economic")


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only on the classification day."""
    return s[S.pp_day] == CLASSIFY_DAY


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Scores are set on day 364."""
    for k in (S.wb_physical, S.wb_psychological, S.wb_cognitive, S.wb_social, S.wb_economic):
        s[k] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Score the five domains on the classification day."""
    now = 1.0 * (s[S.pp_day] == CLASSIFY_DAY)
    n = np.maximum(s[S.care_days], 1.0)
    sens = s[S.sens_sum] / n - p[ATT.ref_sensitivity]
    sync = s[S.sync_sum] / n - p[ATT.ref_synchrony]
    cls = s[S.attachment]
    secure_vs_dis = 1.0 * (cls == 0.0) - 1.0 * (cls == 3.0)
    year = CLASSIFY_DAY + 1.0
    phys = (50.0 + w[L.nows_wb_physical] * s[S.nows_birth_severity]
            + w[L.preterm_wb_physical] * s[S.preterm] + w[L.parenting_wb_physical] * sens)
    psych = (50.0 + w[L.attachment_wb_psychological] * secure_vs_dis
             + w[L.infant_distress_wb_psychological] * (s[S.distress_sum] / year - p[P.ref_distress]))
    cog = 50.0 + w[L.synchrony_wb_cognitive] * sync + w[L.parenting_wb_cognitive] * sens
    soc = 50.0 + w[L.attachment_wb_social] * secure_vs_dis + w[L.separation_wb_social] * s[S.sep_days] / year
    econ = (50.0 + w[L.housing_wb_economic] * s[S.housing_eff] + w[L.income_wb_economic] * s[S.low_income]
            + w[L.use_wb_economic] * s[S.pp_use_days] / year)
    # Written once, on the classification day; kept unchanged afterwards.
    s[S.wb_physical] = s[S.wb_physical] + now * (phys - s[S.wb_physical])
    s[S.wb_psychological] = s[S.wb_psychological] + now * (psych - s[S.wb_psychological])
    s[S.wb_cognitive] = s[S.wb_cognitive] + now * (cog - s[S.wb_cognitive])
    s[S.wb_social] = s[S.wb_social] + now * (soc - s[S.wb_social])
    s[S.wb_economic] = s[S.wb_economic] + now * (econ - s[S.wb_economic])

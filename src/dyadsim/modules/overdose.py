"""Non-fatal and fatal overdose, whose risk rises when use resumes after tolerance was lost.

Overdose can happen only on a day of use (edge ``use_overdose`` is the gate). Its log-odds fall
with tolerance (edge ``tolerance_overdose``) and with MOUD (edge ``moud_overdose``); a share of
overdoses is fatal. A fatal overdose ends the mother's follow-up (``alive`` = 0) and separates the
infant from her for the rest of follow-up.

Sources: seed 000 Introduction (maternal death from opioid overdose; Schiff et al. 2018, Smid et
al. 2019); MODEL.md (return to use after abstinence carries higher overdose risk).
"""
from __future__ import annotations

import numpy as np

from ..graph import L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S

P = declare_params("overdose", (
    Param("od_logit", -6.0, "logit", -9.0, -3.0, "assumed (order of postpartum overdose rates, Schiff 2018)",
          "log-odds of overdose on a use day at zero tolerance offset"),
    Param("fatal_share", 0.06, "probability", 0.01, 0.2, "assumed", "share of overdoses that are fatal"),
))
U = declare_streams("overdose", (Stream("overdose", "overdose on a use day"), Stream("fatal", "fatality")))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Everyone alive at enrolment."""
    s[S.alive] = 1.0
    s[S.od_today] = 0.0
    s[S.fatal_today] = 0.0
    s[S.death_day] = -1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Overdose on a use day; fatal share; death."""
    logit = p[P.od_logit] + w[L.tolerance_overdose] * s[S.tolerance] + w[L.moud_overdose] * s[S.on_moud]
    od = w[L.use_overdose] * s[S.use_today] * (u[U.overdose] < 1.0 / (1.0 + np.exp(-logit)))
    fatal = od * (u[U.fatal] < p[P.fatal_share])
    s[S.od_today] = od - fatal
    s[S.fatal_today] = fatal
    s[S.death_day] = s[S.death_day] + fatal * (t + 1.0)
    s[S.alive] = s[S.alive] - fatal

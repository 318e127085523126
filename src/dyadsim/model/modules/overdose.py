"""Non-fatal and fatal overdose, whose risk rises when use resumes after tolerance was lost.

Overdose can happen only on a day of use (edge ``use_overdose`` is the gate). Its log-odds fall
with tolerance (edge ``tolerance_overdose``; tolerance decays during abstinence and after MOUD
stops, since MOUD keeps a tolerance floor) and with MOUD (edge ``moud_overdose``), rise after a
recent non-fatal overdose (edge ``od_history_overdose``; ``od_history`` fades with its time
constant) and with the potency of the drug supply (``potency_log_or``: 0 for a heroin-era supply,
higher where fentanyl is common). A share of overdoses is fatal. A fatal overdose ends the
mother's follow-up (``alive`` = 0) and separates the infant from her for the rest of follow-up.
Overdoses on postpartum returns to use are counted (``returns_od_pp``).

Sources: seed 000 Introduction (maternal death from opioid overdose; Schiff et al. 2018, Smid et
al. 2019); seed 004 (increased overdose in the postpartum year); Schiff et al. 2018 (Obstet
Gynecol 132:466: overdose lowest in the third trimester, highest 7-12 months postpartum);
Caudarella et al. 2016 (non-fatal overdose predicts fatal overdose); MODEL.md (return to use after
abstinence carries higher overdose risk).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S

P = declare_params("overdose", (
    # The ranges keep the daily risk of a tolerant daily user (od_logit + potency - tolerance edge)
    # below about 1% at every corner: above it, most daily users would die within two years, far
    # beyond any published overdose mortality among women with OUD (Schiff 2018).
    Param("od_logit", -6.0, "logit", -8.0, -4.5, "assumed (order of postpartum overdose rates, Schiff 2018)",
          "log-odds of overdose on a use day at zero tolerance offset"),
    Param("fatal_share", 0.06, "probability", 0.02, 0.12, "assumed (Schiff 2018: 11 of 242 events fatal, 4.5%)",
          "share of overdoses that are fatal"),
    Param("potency_log_or", 0.0, "log OR", -1.0, 2.0, "assumed (drug-supply potency; 0 = reference supply)",
          "potency of the drug supply (fentanyl raises it)"),
))
U = declare_streams("overdose", (Stream("overdose", "overdose on a use day"), Stream("fatal", "fatality")))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Everyone alive at enrolment, no recent overdose, no postpartum return to use with an overdose."""
    s[S.alive] = 1.0
    s[S.od_today] = 0.0
    s[S.fatal_today] = 0.0
    s[S.death_day] = -1.0
    s[S.od_history] = 0.0
    s[S.returns_od_pp] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Overdose on a use day; fatal share; death; the fading memory of a non-fatal overdose."""
    logit = (p[P.od_logit] + p[P.potency_log_or] + w[L.tolerance_overdose] * s[S.tolerance]
             + w[L.moud_overdose] * s[S.moud_dose_adequacy] * s[S.on_moud] + w[L.od_history_overdose] * s[S.od_history])
    od = w[L.use_overdose] * s[S.use_today] * (u[U.overdose] < logistic(logit))
    fatal = od * (u[U.fatal] < p[P.fatal_share])
    nonfatal = od - fatal
    s[S.od_today] = nonfatal
    s[S.fatal_today] = fatal
    s[S.death_day] = s[S.death_day] + fatal * (t + 1.0)
    s[S.alive] = s[S.alive] - fatal
    hist = s[S.od_history] * (1.0 - 1.0 / p[TAU.od_history])
    s[S.od_history] = hist + nonfatal * (1.0 - hist)
    s[S.returns_od_pp] = s[S.returns_od_pp] + od * s[S.return_today] * s[S.born]


FINAL = (
    Final("maternal_death", "death_day", "ever", doc="the mother died during follow-up"),
    Final("returns_od_pp", "returns_od_pp", doc="postpartum returns to use with an overdose (count)"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (
    Recorded("od_nonfatal", "od_today", report="sum", trimesters=True, year_total=True, doc="non-fatal overdoses"),
    Recorded("od_fatal", "fatal_today", over="followed", report="sum", trimesters=True, doc="fatal overdose (0/1)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

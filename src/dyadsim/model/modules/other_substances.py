"""Days of use of other substances and of tobacco (polysubstance use beside opioids).

Most pregnant women with OUD have another substance use disorder (78.2%) and smoke (74.9%; Shen et
al. 2020, the baseline flags ``other_sud`` and ``tobacco``). This module turns those flags into
daily events so that outcomes can count days of use, as studies of polysubstance use report them:

* a mother with another SUD uses another substance on a day with log-odds ``other_logit``, lower
  in pregnancy (``other_pregnancy``), higher with negative affect (edge
  ``neg_affect_other_substance``: use to relieve negative affect, the withdrawal/negative-affect
  stage of the addiction cycle) and on days of opioid use (edge ``opioid_other_substance``:
  co-use on the same days);
* a mother who smokes smokes on a day with log-odds ``tobacco_logit``, lower in pregnancy
  (``tobacco_pregnancy``: many smokers cut down while pregnant).

Nothing else in the day reads these events (the module runs last); prenatal tobacco acts on
NOWS severity through the baseline flag (edge ``tobacco_nows``, in :mod:`.nows`).

Sources: Shen et al. 2020 (comorbidity in pregnancy with OUD); seed 000 (negative reinforcement);
daily probabilities and effects assumed.
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic
from dyadsim.model.graph import L
from dyadsim.core.registry import Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S

P = declare_params("other_substances", (
    Param("other_logit", -1.5, "logit", -4.0, 1.0, "assumed (another substance on ~1 day in 5 with another SUD)",
          "log-odds of another substance on a day, mother with another SUD, not pregnant, no negative affect"),
    Param("other_pregnancy", -0.5, "logit", -2.0, 0.0, "assumed (less use in pregnancy)",
          "change in log-odds of other-substance use while pregnant"),
    Param("tobacco_logit", 2.0, "logit", 0.0, 4.0, "assumed (most smokers with OUD smoke daily)",
          "log-odds of smoking on a day, mother who smokes, not pregnant"),
    Param("tobacco_pregnancy", -0.7, "logit", -3.0, 0.0, "assumed (many smokers cut down in pregnancy)",
          "change in log-odds of smoking on a day while pregnant"),
))
U = declare_streams("other_substances", (
    Stream("other_use", "other-substance use on a day"),
    Stream("tobacco", "smoking on a day"),
))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only for a mother with another SUD or who smokes."""
    return s[S.other_sud] + s[S.tobacco] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No use recorded before day 0."""
    s[S.other_use_today] = 0.0
    s[S.tobacco_today] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Today's other-substance and tobacco events of a living mother."""
    alive = s[S.alive]
    preg = s[S.pregnant]
    other_logit = (p[P.other_logit] + p[P.other_pregnancy] * preg + w[L.neg_affect_other_substance] * s[S.neg_affect]
                   + w[L.opioid_other_substance] * s[S.use_today])
    s[S.other_use_today] = alive * s[S.other_sud] * (u[U.other_use] < logistic(other_logit))
    tob_logit = p[P.tobacco_logit] + p[P.tobacco_pregnancy] * preg
    s[S.tobacco_today] = alive * s[S.tobacco] * (u[U.tobacco] < logistic(tob_logit))


RECORDED = (
    Recorded("other_use_days", "other_use_today", report="sum", trimesters=True, year_total=True,
             pregnancy_total=True, doc="days of use of another substance"),
    Recorded("tobacco_days", "tobacco_today", report="sum", trimesters=True, year_total=True,
             pregnancy_total=True, doc="days of smoking"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

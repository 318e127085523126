"""Salience of infant cues: the incentive value of the infant's face, cry and bids for care.

The target log-odds rise with the oxytocin/prolactin drive after birth (edge ``birth_salience``),
with positive affect and savoring, and briefly with allostatic load in the first six postpartum
weeks (early HPA activity supports caregiving); they fall with reward dysregulation (opioids
compete for the reward circuit) and with chronic allostatic load.

Sources: seed 000 §Salience of Infant Cues and Parenting Behavior (Rutherford & Mayes 2017;
Swain et al. 2014; oxytocin and cortisol); §MORE Restructures Reward (savoring).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, Recorded, declare_params
from dyadsim.model.states import S

P = declare_params("salience", (
    Param("salience_logit", 0.0, "logit", -2.0, 2.0, "assumed", "intercept of infant-cue salience"),
    Param("savoring", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE savoring)",
          "savoring of natural rewards raises salience of infant cues"),
    Param("early_window", 42.0, "days", 14.0, 90.0, "assumed (seed 000: early postpartum cortisol)",
          "postpartum days in which HPA activity raises salience"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Moderate salience in pregnancy."""
    s[S.salience] = 0.45


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Salience relaxes toward its target."""
    al = s[S.allostatic_load]
    early = s[S.born] * (s[S.pp_day] < p[P.early_window])
    target = logistic(p[P.salience_logit] + p[P.savoring] + s[S.lever_savoring]
                      + w[L.birth_salience] * s[S.birth_drive]
                      + w[L.reward_salience] * s[S.reward_dysregulation]
                      + w[L.allostasis_salience] * al
                      + w[L.early_hpa_salience] * al * early
                      + w[L.pos_affect_salience] * s[S.pos_affect])
    s[S.salience] = relax(s[S.salience], target, p[TAU.salience])


RECORDED = (Recorded("salience", "salience", doc="salience of infant cues (0-1, latent)"),)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

"""Co-regulation / dyadic synchrony and bonding.

Synchrony exists only when mother and infant are together after birth: its target is the
mother's sensitivity (edge ``parenting_synchrony``) minus a share of the infant's distress (edge
``infant_distress_synchrony``); apart, it decays toward zero. Bonding relaxes toward a logistic
target of synchrony and salience. Synchrony rewards the mother through positive affect (edge
``synchrony_pos_affect`` in :mod:`dyadsim.model.modules.appraisal`).

Sources: seed 000 Figure 1 (dyadic synchrony; Harrist & Waugh 2002); Skoranski et al. 2017;
seed 004 (bonding with the infant promotes recovery).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, Recorded, declare_params
from dyadsim.model.states import S

P = declare_params("synchrony", (
    Param("bonding_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of bonding"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No synchrony before birth; prenatal bonding from salience."""
    s[S.synchrony] = 0.0
    s[S.bonding] = 0.4


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Synchrony (together, after birth) and bonding relax toward their targets."""
    together = s[S.born] * (1.0 - s[S.separated])
    y_t = together * np.minimum(np.maximum(w[L.parenting_synchrony] * s[S.parenting]
                                           + w[L.infant_distress_synchrony] * s[S.infant_distress], 0.0), 1.0)
    y = relax(s[S.synchrony], y_t, p[TAU.synchrony])
    s[S.synchrony] = y
    b_t = logistic(p[P.bonding_logit] + w[L.synchrony_bonding] * y
                   + w[L.salience_bonding] * s[S.salience])
    s[S.bonding] = relax(s[S.bonding], b_t, p[TAU.bonding])


RECORDED = (
    Recorded("bonding", "bonding", doc="bonding (0-1, latent)"),
    Recorded("synchrony", "synchrony", doc="dyadic synchrony (0-1, latent)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

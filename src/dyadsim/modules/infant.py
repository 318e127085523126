"""Infant affect and distress, co-regulated by the caregiver.

After birth, infant distress follows a coupled AR(1) (Skoranski et al. 2017): each day it moves
toward a logistic target with time constant ``tau.infant_distress`` plus a uniform shock. The
target combines the normative crying curve (peak near 6 weeks), NOWS severity, separation and the
regulation the infant receives: the mother's sensitivity when together (edge
``parenting_infant_distress``) or substitute care when apart. Distress is in turn a stressor for
the mother (edge ``infant_distress_stressors``), closing the loop of Figure 1.

Sources: seed 000 §Infant Affect and Behavior and Figure 1; Skoranski et al. 2017 (Dev Psychobiol
59:888); Helm, Sbarra & Ferrer 2012 (coupled affect dynamics).
"""
from __future__ import annotations

import numpy as np

from ..graph import TAU, L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S
from .context import P as CTX

P = declare_params("infant", (
    Param("distress_logit", -0.2, "logit", -2.0, 1.5, "assumed", "intercept of infant distress"),
    Param("crying_peak", 1.0, "logit", 0.0, 2.0, "assumed (normative crying curve)", "extra distress at the 6-week peak"),
    Param("crying_peak_day", 42.0, "days", 28.0, 70.0, "assumed (Brazelton crying curve)", "age of peak crying"),
    Param("shock", 0.15, "0-1", 0.0, 0.4, "assumed", "width of the daily uniform shock"),
))
U = declare_streams("infant", (Stream("shock", "daily affect shock"),))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything (used by the compiled engine to skip it): only after birth."""
    return s[S.born] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No infant state before birth."""
    s[S.infant_distress] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Infant distress moves toward its target, regulated by whoever gives care."""
    born = s[S.born]
    age = np.maximum(s[S.pp_day], 0.0) / p[P.crying_peak_day]
    crying = age * np.exp(1.0 - age)
    sep = s[S.separated]
    care = (1.0 - sep) * s[S.parenting] + sep * p[CTX.substitute_care]
    target = 1.0 / (1.0 + np.exp(-(p[P.distress_logit] + p[P.crying_peak] * crying
                                   + w[L.nows_infant_distress] * s[S.nows]
                                   + w[L.separation_infant_distress] * sep
                                   + w[L.parenting_infant_distress] * (care - 0.5))))
    d = s[S.infant_distress] + (target - s[S.infant_distress]) / p[TAU.infant_distress] \
        + p[P.shock] * (u[U.shock] - 0.5)
    s[S.infant_distress] = born * np.minimum(np.maximum(d, 0.0), 1.0)

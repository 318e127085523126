"""Allostasis: allostatic load accumulates from negative affect; stress sensitization follows.

Allostatic load relaxes slowly (``tau.allostatic_load``, months) toward the level of negative
affect scaled by edge ``neg_affect_allostasis``. Stress sensitization rises with allostatic load,
recurrent use and withdrawal, and with a history of adversity; it feeds back on appraisal (edge
``sensitization_appraisal``) and craving.

Sources: seed 000 §Allostatic Load Leads to Stress Sensitization, Reward Dysregulation, and Craving
(McEwen; Sterling & Eyer 1988; Koob 2019); Ahmed & Koob 2005 (allostatic change of set point).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, declare_params
from dyadsim.model.states import S

P = declare_params("allostasis", (
    Param("sensitization_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of stress sensitization"),
    Param("aces_sensitization", 0.15, "logit per ACE", 0.0, 0.4, "assumed (ACEs and stress sensitivity)",
          "history of adversity raises stress sensitivity"),
    Param("initial_load", 0.3, "0-1", 0.0, 0.8, "assumed", "allostatic load at enrolment (plus ACE term)"),
    Param("stress_recovery", 0.0, "0-1", 0.0, 0.8, "assumed (intervention target: MORE reappraisal)",
          "faster parasympathetic recovery: share of load not accumulated"),
    Param("init_load_per_ace", 0.02, "0-1 per ACE", 0.0, 0.06, "assumed (ACEs and allostatic load)",
          "added allostatic load at enrolment per ACE"),
    Param("init_sensitization_offset", 1.5, "logit", 0.0, 3.0, "assumed (mothers with OUD enter sensitized)",
          "stress sensitization at enrolment above the intercept"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Mothers enter with load and sensitization shaped by ACEs and prior use."""
    s[S.allostatic_load] = np.minimum(p[P.initial_load] + p[P.init_load_per_ace] * s[S.aces], 1.0)
    s[S.stress_sensitization] = logistic(p[P.sensitization_logit] + p[P.init_sensitization_offset]
                                         + p[P.aces_sensitization] * s[S.aces])


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Allostatic load and stress sensitization relax toward their targets."""
    al_t = np.minimum(np.maximum(w[L.neg_affect_allostasis] * s[S.neg_affect] * (1.0 - np.minimum(p[P.stress_recovery] + s[S.lever_recovery], 1.0)), 0.0), 1.0)
    al = relax(s[S.allostatic_load], al_t, p[TAU.allostatic_load])
    s[S.allostatic_load] = al
    # Reappraisal (MORE) lowers sensitization directly as well as through less allostatic load.
    ss_t = logistic(p[P.sensitization_logit] - s[S.lever_sensitization] + p[P.aces_sensitization] * s[S.aces]
                    + w[L.allostasis_sensitization] * al
                    + w[L.use_sensitization] * s[S.intoxication]
                    + w[L.withdrawal_sensitization] * s[S.withdrawal])
    s[S.stress_sensitization] = relax(s[S.stress_sensitization], ss_t, p[TAU.stress_sensitization])

"""Allostasis: allostatic load accumulates from negative affect; stress sensitization follows.

Allostatic load relaxes slowly (``tau.allostatic_load``, months) toward the level of negative
affect scaled by edge ``neg_affect_allostasis``. Stress sensitization rises with allostatic load,
recurrent use and withdrawal, and with a history of adversity; it feeds back on appraisal (edge
``sensitization_appraisal``) and craving. Both start at their equilibrium for the person
(``settle``): a mother with more ACEs, more negative affect and more use enters more loaded.

Sources: seed 000 §Allostatic Load Leads to Stress Sensitization, Reward Dysregulation, and Craving
(McEwen; Sterling & Eyer 1988; Koob 2019); Ahmed & Koob 2005 (allostatic change of set point).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, declare_params
from dyadsim.model.states import S

P = declare_params("allostasis", (
    Param("sensitization_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of stress sensitization"),
    Param("aces_sensitization", 0.15, "logit per ACE", 0.0, 0.4, "assumed (ACEs and stress sensitivity)",
          "history of adversity raises stress sensitivity"),
    Param("stress_recovery", 0.0, "0-1", 0.0, 0.8, "assumed (intervention target: MORE reappraisal)",
          "faster parasympathetic recovery: share of load not accumulated"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """A neutral first guess: :func:`settle` then moves both to their equilibrium."""
    s[S.allostatic_load] = 0.5
    s[S.stress_sensitization] = 0.5


@register_jitable
def _load_target(s, p, w):  # type: ignore[no-untyped-def]
    """Target of allostatic load: negative affect, less what faster recovery spares."""
    return np.minimum(np.maximum(w[L.neg_affect_allostasis] * s[S.neg_affect]
                                 * (1.0 - np.minimum(p[P.stress_recovery] + s[S.lever_recovery], 1.0)), 0.0), 1.0)


@register_jitable
def _sensitization_target(s, p, w, al):  # type: ignore[no-untyped-def]
    """Target of stress sensitization, given allostatic load ``al``. Reappraisal (MORE) lowers
    sensitization directly as well as through less allostatic load."""
    return logistic(p[P.sensitization_logit] - s[S.lever_sensitization] + p[P.aces_sensitization] * s[S.aces]
                    + w[L.allostasis_sensitization] * al
                    + w[L.use_sensitization] * s[S.intoxication]
                    + w[L.withdrawal_sensitization] * s[S.withdrawal])


def settle(s: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Both at their targets (one round of :func:`dyadsim.model.modules.settle`)."""
    al = _load_target(s, p, w)
    s[S.allostatic_load] = al
    s[S.stress_sensitization] = _sensitization_target(s, p, w, al)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Allostatic load and stress sensitization relax toward their targets."""
    al = relax(s[S.allostatic_load], _load_target(s, p, w), p[TAU.allostatic_load])
    s[S.allostatic_load] = al
    s[S.stress_sensitization] = relax(s[S.stress_sensitization], _sensitization_target(s, p, w, al),
                                      p[TAU.stress_sensitization])

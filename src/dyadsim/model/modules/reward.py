"""Reward dysregulation: natural rewards (the infant among them) lose value, drug reward gains it.

A single 0-1 level (0: balanced reward, 1: drug reward dominates) relaxes slowly toward a target
raised by recurrent use (less of it on an adequate MOUD dose, which blocks part of its
reinforcement: :func:`dyadsim.model.modules.moud.reinforcement`) and by allostatic load (the allostatic shift of the reward set point), and
lowered by natural-reward responsiveness (savoring). It starts at its equilibrium for her recent
use and load (``settle``). It lowers positive affect and the salience of
infant cues, and raises attentional bias and craving.

Sources: seed 000 §Allostatic Load Leads to ... Reward Dysregulation (Koob & Volkow 2016);
Ahmed & Koob 2005; §MORE Restructures Reward (Garland et al. 2014, 2019).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, declare_params
from dyadsim.model.states import S
from dyadsim.model.modules.individual import P as IND
from dyadsim.model.modules.moud import reinforcement

P = declare_params("reward", (
    Param("dysregulation_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of reward dysregulation"),
    Param("natural_reward", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE savoring)",
          "natural-reward responsiveness: lowers dysregulation"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """A neutral first guess: ``settle`` moves it to her equilibrium given her recent use."""
    s[S.reward_dysregulation] = 0.5


@register_jitable
def _target(s, p, w):  # type: ignore[no-untyped-def]
    return logistic(p[P.dysregulation_logit] + p[IND.sd_reward] * s[S.re_reward]
                    - p[P.natural_reward] - s[S.lever_natural_reward]
                    + w[L.use_reward] * s[S.intoxication] * reinforcement(s, p)
                    + w[L.allostasis_reward] * s[S.allostatic_load])


def settle(s: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """At its target (one round of :func:`dyadsim.model.modules.settle`)."""
    s[S.reward_dysregulation] = _target(s, p, w)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Reward dysregulation relaxes toward its target."""
    s[S.reward_dysregulation] = relax(s[S.reward_dysregulation], _target(s, p, w), p[TAU.reward_dysregulation])

"""Reward dysregulation: natural rewards (the infant among them) lose value, drug reward gains it.

A single 0-1 level (0: balanced reward, 1: drug reward dominates) relaxes slowly toward a target
raised by recurrent use and by allostatic load (the allostatic shift of the reward set point), and
lowered by natural-reward responsiveness (savoring). It lowers positive affect and the salience of
infant cues, and raises attentional bias and craving.

Sources: seed 000 §Allostatic Load Leads to ... Reward Dysregulation (Koob & Volkow 2016);
Ahmed & Koob 2005; §MORE Restructures Reward (Garland et al. 2014, 2019).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, declare_params
from dyadsim.model.states import S
from dyadsim.model.modules.individual import P as IND

P = declare_params("reward", (
    Param("dysregulation_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of reward dysregulation"),
    Param("natural_reward", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE savoring)",
          "natural-reward responsiveness: lowers dysregulation"),
    Param("initial_dysregulation", 0.45, "0-1", 0.1, 0.9, "assumed (mothers with OUD at enrolment)",
          "reward dysregulation at enrolment"),
    Param("init_other_sud", 0.1, "0-1", 0.0, 0.3, "assumed (Shen 2020: other SUD)",
          "added reward dysregulation at enrolment with another substance use disorder"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Enrolled mothers have OUD, so reward is already shifted toward the drug."""
    s[S.reward_dysregulation] = np.minimum(p[P.initial_dysregulation] + p[P.init_other_sud] * s[S.other_sud], 1.0)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Reward dysregulation relaxes toward its target."""
    target = logistic(p[P.dysregulation_logit] + p[IND.sd_reward] * s[S.re_reward]
                      - p[P.natural_reward] - s[S.lever_natural_reward]
                      + w[L.use_reward] * s[S.intoxication]
                      + w[L.allostasis_reward] * s[S.allostatic_load])
    s[S.reward_dysregulation] = relax(s[S.reward_dysregulation], target, p[TAU.reward_dysregulation])

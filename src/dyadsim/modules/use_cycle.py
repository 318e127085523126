"""The three-stage use cycle (Koob & Volkow), with craving against self-control and days of use.

Binge/intoxication: attentional bias to drug cues grows with recent use and reward dysregulation;
a drug cue meets the mother on some days and, through cue reactivity (edge
``attentional_bias_cue_reactivity``), triggers craving; habit (automatic use) builds with use.
Withdrawal/negative affect: on abstinent days withdrawal rises with tolerance unless MOUD
suppresses it; it feeds negative affect, stress sensitization and craving.
Preoccupation/anticipation: craving relaxes toward a target raised by cue reactivity, negative
affect, withdrawal, reward dysregulation and stress sensitization, and lowered by MOUD.
Self-control recovers toward a ceiling and is eroded by craving and use.

A day of use is an event with log-odds ``use_logit + w.craving_use * craving + w.self_control_use *
self_control + w.habit_use * habit + ...`` (vulnerability = craving - self-control - external
support, Grasman et al. 2016, scaled from weeks to days). Tolerance rises on use days and decays
during abstinence (``tau.tolerance``), with a floor on MOUD, so a return to use after abstinence
finds low tolerance (see :mod:`dyadsim.modules.overdose`).

Sources: seed 000 §Allostatic Load Leads to ... Craving; Grasman, Grasman & van der Maas 2016
(PLoS ONE 11:e0158323); Preston et al. 2018 (craving and negative mood before lapses).
"""
from __future__ import annotations

import numpy as np

from ..graph import TAU, L
from ..registry import Param, Stream, declare_params, declare_streams
from ..states import S

P = declare_params("use_cycle", (
    Param("use_logit", -4.5, "logit", -8.0, -1.0, "assumed", "log-odds of a use day at zero craving and habit"),
    Param("other_sud_use", 0.3, "logit", 0.0, 1.0, "assumed (Shen 2020: 78.2% other SUD)", "other substance use disorder"),
    Param("cue_prob", 0.3, "1/day", 0.05, 0.8, "assumed", "daily probability of meeting a drug cue"),
    Param("bias_logit", -2.0, "logit", -4.0, 0.0, "assumed", "intercept of attentional bias"),
    Param("attention_regulation", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE mindfulness)",
          "attention regulation: lowers attentional bias"),
    Param("craving_logit", -2.5, "logit", -5.0, 0.0, "assumed", "intercept of craving"),
    Param("craving_regulation", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE mindfulness)",
          "mindful coping with craving: lowers craving"),
    Param("self_control_max", 0.8, "0-1", 0.4, 1.0, "assumed (Grasman 2016 ceiling)", "ceiling of self-control"),
    Param("automaticity_disengagement", 0.0, "0-1", 0.0, 0.8, "assumed (intervention target: MORE mindfulness)",
          "share of habit-driven use interrupted by awareness"),
    Param("initial_use", 0.3, "0-1", 0.0, 0.9, "assumed", "recent use at enrolment (no MOUD)"),
))
U = declare_streams("use_cycle", (Stream("cue", "drug cue met today"), Stream("use", "a day of use")))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Mothers enter with OUD: recent use, bias and habit higher without MOUD."""
    off = 1.0 - s[S.on_moud]
    s[S.intoxication] = p[P.initial_use] * (0.3 + 0.7 * off)
    s[S.habit] = 0.3 + 0.2 * off
    s[S.attentional_bias] = 0.4 + 0.1 * off
    s[S.cue_reactivity] = 0.0
    s[S.craving] = 0.3 + 0.2 * off
    s[S.self_control] = p[P.self_control_max] * 0.6
    s[S.use_today] = 0.0
    s[S.withdrawal] = 0.1
    s[S.tolerance] = 0.4 + 0.4 * s[S.on_moud] + 0.3 * off * s[S.intoxication]
    s[S.days_since_use] = 0.0
    s[S.first_pp_use_day] = -1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day of the cycle: bias and cue, craving, self-control, the use decision, then
    intoxication, habit, withdrawal and tolerance."""
    on = s[S.on_moud]
    alive = s[S.alive]
    rd = s[S.reward_dysregulation]
    ab_t = 1.0 / (1.0 + np.exp(-(p[P.bias_logit] - p[P.attention_regulation] - s[S.lever_attention]
                                 + w[L.use_attentional_bias] * s[S.intoxication]
                                 + w[L.reward_attentional_bias] * rd)))
    ab = s[S.attentional_bias] + (ab_t - s[S.attentional_bias]) / p[TAU.attentional_bias]
    s[S.attentional_bias] = ab
    cue = 1.0 * (u[U.cue] < p[P.cue_prob])
    cr = np.minimum(w[L.attentional_bias_cue_reactivity] * s[S.lever_cue_scale] * ab * cue, 1.0)
    s[S.cue_reactivity] = cr
    c_t = 1.0 / (1.0 + np.exp(-(p[P.craving_logit] - p[P.craving_regulation] - s[S.lever_craving]
                                + w[L.cue_reactivity_craving] * cr
                                + w[L.neg_affect_craving] * s[S.neg_affect]
                                + w[L.withdrawal_craving] * s[S.withdrawal]
                                + w[L.reward_craving] * rd
                                + w[L.sensitization_craving] * s[S.stress_sensitization]
                                + w[L.moud_craving] * on)))
    c = s[S.craving] + (c_t - s[S.craving]) / p[TAU.craving]
    s[S.craving] = c
    sc_t = np.minimum(np.maximum(p[P.self_control_max] + w[L.craving_self_control] * c
                                 + w[L.use_self_control] * s[S.intoxication], 0.0), 1.0)
    sc = s[S.self_control] + (sc_t - s[S.self_control]) / p[TAU.self_control]
    s[S.self_control] = sc
    logit = (p[P.use_logit] + w[L.craving_use] * c + w[L.self_control_use] * sc
             + w[L.habit_use] * s[S.habit] * (1.0 - np.minimum(p[P.automaticity_disengagement] + s[S.lever_automaticity], 1.0))
             + w[L.support_use] * s[S.support_eff] + w[L.moud_use] * on
             + w[L.pregnancy_use] * s[S.pregnant] + p[P.other_sud_use] * s[S.other_sud])
    use = alive * (u[U.use] < 1.0 / (1.0 + np.exp(-logit)))
    s[S.use_today] = use
    first_pp = use * s[S.born] * (s[S.first_pp_use_day] < 0.0)
    s[S.first_pp_use_day] = s[S.first_pp_use_day] + first_pp * (s[S.pp_day] + 1.0)
    s[S.days_since_use] = (1.0 - use) * (s[S.days_since_use] + 1.0)
    s[S.intoxication] = s[S.intoxication] + (w[L.use_intoxication] * use - s[S.intoxication]) / p[TAU.intoxication]
    habit_t = np.minimum(w[L.use_habit] * s[S.intoxication], 1.0)
    s[S.habit] = s[S.habit] + (habit_t - s[S.habit]) / p[TAU.habit]
    tol = s[S.tolerance]
    wd_t = np.minimum(np.maximum(w[L.tolerance_withdrawal] * tol * (1.0 - use) * (1.0 + w[L.moud_withdrawal] * on), 0.0), 1.0)
    s[S.withdrawal] = s[S.withdrawal] + (wd_t - s[S.withdrawal]) / p[TAU.withdrawal]
    tol = use * (tol + w[L.use_tolerance] * (1.0 - tol)) + (1.0 - use) * tol * (1.0 - 1.0 / p[TAU.tolerance])
    s[S.tolerance] = np.maximum(tol, w[L.moud_tolerance] * on)

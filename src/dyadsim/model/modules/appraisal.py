"""Cognitive appraisal, problem- and emotion-focused coping, affect and depressive symptoms.

Negative appraisal rises with stressors, stress sensitization and a history of adversity (ACEs)
and falls with social support and reappraisal skill. Coping succeeds less often when appraisal is
negative; problem-focused coping draws on support and income. Coping success raises positive
affect and lowers negative affect; withdrawal (anti-reward) and depressive symptoms raise negative
affect; reward dysregulation lowers positive affect (natural rewards lose value) and synchrony with
the infant raises it. Every level relaxes toward a logistic target with its node's time constant.
Negative affect has a set point of the person's own (trait negative affectivity, random effect
``affect``): its target is that set point shifted by today's appraisal, coping, withdrawal,
depressive symptoms and sleep loss, so it returns to the set point as postpartum stressors pass.
At enrolment every level starts at its equilibrium for the person (``settle``), not at a guess.

Sources: seed 000 §Stress and Cognitive Appraisal (Lazarus & Folkman 1984), §Problem-Focused and
Emotion-Focused Coping, Figure 1; seed 004 (depression and anxiety hinder recovery).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, Recorded, declare_params
from dyadsim.model.states import S
from dyadsim.model.modules.individual import P as IND

P = declare_params("appraisal", (
    Param("appraisal_logit", -2.0, "logit", -4.0, 0.0, "assumed", "intercept of negative appraisal"),
    Param("reappraisal_skill", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE reappraisal)",
          "skill at reappraisal: lowers negative appraisal, raises emotion-focused coping"),
    Param("problem_coping_logit", 0.0, "logit", -2.0, 2.0, "assumed", "intercept of problem-focused coping"),
    Param("emotion_coping_logit", 0.3, "logit", -2.0, 2.0, "assumed", "intercept of emotion-focused coping"),
    Param("pos_affect_logit", -1.5, "logit", -3.0, 1.0, "assumed", "intercept of positive affect"),
    Param("neg_affect_logit", -1.5, "logit", -3.0, 1.0, "assumed", "intercept of negative affect"),
    Param("anxiety_neg_affect", 0.5, "logit", 0.0, 1.5, "assumed (Shen 2020 comorbidity)", "anxiety diagnosis"),
    Param("depression_logit", -3.0, "logit", -5.0, -1.0, "assumed", "intercept of depressive symptoms"),
    Param("depression_dx_effect", 1.5, "logit", 0.0, 3.0, "assumed (Shen 2020: 36.9% major depression)",
          "depression diagnosis at enrolment"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """A neutral first guess: :func:`settle` then moves every level to its equilibrium."""
    for k in (S.neg_appraisal, S.problem_coping, S.emotion_coping, S.pos_affect, S.neg_affect, S.depression):
        s[k] = 0.5


@register_jitable
def _appraisal_target(s, p, w):  # type: ignore[no-untyped-def]
    """Target of negative appraisal: stressors, sensitization, ACEs, support, reappraisal skill."""
    skill = p[P.reappraisal_skill] + s[S.lever_reappraisal]
    return logistic(p[P.appraisal_logit] - skill + p[IND.sd_stress] * s[S.re_stress]
                    + w[L.stressors_appraisal] * s[S.lever_stress_scale] * s[S.stressors]
                    + w[L.sensitization_appraisal] * s[S.stress_sensitization]
                    + w[L.support_appraisal] * s[S.support_eff]
                    + w[L.aces_appraisal] * s[S.aces])


@register_jitable
def _coping_targets(s, p, w, a):  # type: ignore[no-untyped-def]
    """Targets of problem- and emotion-focused coping success, given appraisal ``a``."""
    skill = p[P.reappraisal_skill] + s[S.lever_reappraisal]
    pc_t = logistic(p[P.problem_coping_logit] + s[S.lever_problem_coping]
                    + w[L.support_problem_coping] * s[S.support_eff]
                    + w[L.income_problem_coping] * s[S.low_income]
                    + w[L.appraisal_problem_coping] * a)
    ec_t = logistic(p[P.emotion_coping_logit] + skill + w[L.appraisal_emotion_coping] * a)
    return pc_t, ec_t


@register_jitable
def _affect_targets(s, p, w, a, pc, ec):  # type: ignore[no-untyped-def]
    """Targets of positive and negative affect. Negative affect relaxes toward the person's own set
    point (intercept, anxiety, trait ``re_affect``) shifted by today's appraisal, coping,
    withdrawal, depressive symptoms and sleep loss: once those pass, it returns to her set point."""
    pa_t = logistic(p[P.pos_affect_logit] + s[S.lever_pos_affect] + w[L.problem_coping_pos_affect] * pc
                    + w[L.emotion_coping_pos_affect] * ec
                    + w[L.reward_pos_affect] * s[S.reward_dysregulation]
                    + w[L.synchrony_pos_affect] * s[S.synchrony])
    na_t = logistic(p[P.neg_affect_logit] + p[IND.sd_affect] * s[S.re_affect]
                    + w[L.appraisal_neg_affect] * a
                    + w[L.problem_coping_neg_affect] * pc
                    + w[L.emotion_coping_neg_affect] * ec
                    + w[L.withdrawal_neg_affect] * s[S.withdrawal]
                    + w[L.depression_neg_affect] * s[S.depression]
                    + w[L.sleep_neg_affect] * s[S.sleep_loss]
                    + p[P.anxiety_neg_affect] * s[S.anxiety_dx])
    return pa_t, na_t


@register_jitable
def _depression_target(s, p, w, na):  # type: ignore[no-untyped-def]
    """Target of depressive symptoms, given negative affect ``na``."""
    return logistic(p[P.depression_logit] - s[S.lever_depression] + w[L.neg_affect_depression] * na
                    + w[L.allostasis_depression] * s[S.allostatic_load]
                    + p[P.depression_dx_effect] * s[S.depression_dx])


def settle(s: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """Each level at its target (one round of the fixed-point iteration, see :func:`dyadsim.model.modules.settle`)."""
    a = _appraisal_target(s, p, w)
    s[S.neg_appraisal] = a
    pc, ec = _coping_targets(s, p, w, a)
    s[S.problem_coping] = pc
    s[S.emotion_coping] = ec
    pa, na = _affect_targets(s, p, w, a, pc, ec)
    s[S.pos_affect] = pa
    s[S.neg_affect] = na
    s[S.depression] = _depression_target(s, p, w, na)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Appraisal -> coping -> affect -> depressive symptoms, each relaxing toward its target."""
    a = relax(s[S.neg_appraisal], _appraisal_target(s, p, w), p[TAU.neg_appraisal])
    s[S.neg_appraisal] = a
    pc_t, ec_t = _coping_targets(s, p, w, a)
    pc = relax(s[S.problem_coping], pc_t, p[TAU.problem_coping])
    ec = relax(s[S.emotion_coping], ec_t, p[TAU.emotion_coping])
    s[S.problem_coping] = pc
    s[S.emotion_coping] = ec
    pa_t, na_t = _affect_targets(s, p, w, a, pc, ec)
    s[S.pos_affect] = relax(s[S.pos_affect], pa_t, p[TAU.pos_affect])
    na = relax(s[S.neg_affect], na_t, p[TAU.neg_affect])
    s[S.neg_affect] = na
    s[S.depression] = relax(s[S.depression], _depression_target(s, p, w, na), p[TAU.depression])


@register_jitable
def perceived_stress(s):  # type: ignore[no-untyped-def]
    """Perceived stress (0-1, latent; what the PSS-10 measures): the mean of negative appraisal and
    negative affect (Lazarus & Folkman 1984: stress is appraised, and felt)."""
    return 0.5 * s[S.neg_appraisal] + 0.5 * s[S.neg_affect]


RECORDED = (
    Recorded("perceived_stress", perceived_stress, trimesters=True,
             doc="perceived stress (0-1, latent): the mean of negative appraisal and negative affect"),
    Recorded("depression", "depression", trimesters=True, doc="depressive symptoms (0-1, latent)"),
    Recorded("pos_affect", "pos_affect", trimesters=True, doc="positive affect (0-1, latent)"),
    Recorded("neg_affect", "neg_affect", trimesters=True, doc="negative affect (0-1, latent)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

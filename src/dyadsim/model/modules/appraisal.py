"""Cognitive appraisal, problem- and emotion-focused coping, affect and depressive symptoms.

Negative appraisal rises with stressors, stress sensitization and a history of adversity (ACEs)
and falls with social support and reappraisal skill. Coping succeeds less often when appraisal is
negative; problem-focused coping draws on support and income. Coping success raises positive
affect and lowers negative affect; withdrawal (anti-reward) and depressive symptoms raise negative
affect; reward dysregulation lowers positive affect (natural rewards lose value) and synchrony with
the infant raises it. Every level relaxes toward a logistic target with its node's time constant.

Sources: seed 000 §Stress and Cognitive Appraisal (Lazarus & Folkman 1984), §Problem-Focused and
Emotion-Focused Coping, Figure 1; seed 004 (depression and anxiety hinder recovery).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import GRAPH, TAU, L
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
    Param("init_coping", 0.5, "0-1", 0.2, 0.8, "assumed", "problem- and emotion-focused coping success at enrolment"),
    Param("init_pos_affect", 0.4, "0-1", 0.1, 0.8, "assumed", "positive affect at enrolment"),
    Param("init_neg_affect", 0.3, "0-1", 0.1, 0.7, "assumed", "negative affect at enrolment"),
    Param("init_neg_affect_depression", 0.1, "0-1", 0.0, 0.3, "assumed", "added negative affect with a depression diagnosis"),
    Param("init_neg_affect_anxiety", 0.05, "0-1", 0.0, 0.3, "assumed", "added negative affect with an anxiety diagnosis"),
    Param("init_depression_offset", 1.0, "logit", 0.0, 2.0, "assumed (symptoms at entry to care)",
          "depressive symptoms at enrolment above the intercept"),
))


# Start value of negative appraisal uses the declared default strength of the ACEs edge (edge
# values set by a scenario reach the daily step, not ``init``).
_ACES_DEFAULT = next(e.sign * e.strength for e in GRAPH.edges if e.id == "aces_appraisal")


def _logistic(x: np.ndarray) -> np.ndarray:
    return logistic(x)


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Start near the day-0 targets with no stressors history beyond the base rate."""
    # Edge strengths are not available at init: the default aces -> appraisal strength is used.
    s[S.neg_appraisal] = _logistic(p[P.appraisal_logit] + _ACES_DEFAULT * s[S.aces])
    s[S.problem_coping] = p[P.init_coping]
    s[S.emotion_coping] = p[P.init_coping]
    s[S.pos_affect] = p[P.init_pos_affect]
    s[S.neg_affect] = (p[P.init_neg_affect] + p[P.init_neg_affect_depression] * s[S.depression_dx]
                       + p[P.init_neg_affect_anxiety] * s[S.anxiety_dx])
    s[S.depression] = _logistic(p[P.depression_logit] + p[P.init_depression_offset]
                                + p[P.depression_dx_effect] * s[S.depression_dx])


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Appraisal -> coping -> affect -> depressive symptoms, each relaxing toward its target."""
    skill = p[P.reappraisal_skill] + s[S.lever_reappraisal]
    a_t = logistic(p[P.appraisal_logit] - skill + p[IND.sd_stress] * s[S.re_stress]
                   + w[L.stressors_appraisal] * s[S.lever_stress_scale] * s[S.stressors]
                   + w[L.sensitization_appraisal] * s[S.stress_sensitization]
                   + w[L.support_appraisal] * s[S.support_eff]
                   + w[L.aces_appraisal] * s[S.aces])
    a = relax(s[S.neg_appraisal], a_t, p[TAU.neg_appraisal])
    s[S.neg_appraisal] = a
    pc_t = logistic(p[P.problem_coping_logit] + s[S.lever_problem_coping]
                    + w[L.support_problem_coping] * s[S.support_eff]
                    + w[L.income_problem_coping] * s[S.low_income]
                    + w[L.appraisal_problem_coping] * a)
    ec_t = logistic(p[P.emotion_coping_logit] + skill + w[L.appraisal_emotion_coping] * a)
    pc = relax(s[S.problem_coping], pc_t, p[TAU.problem_coping])
    ec = relax(s[S.emotion_coping], ec_t, p[TAU.emotion_coping])
    s[S.problem_coping] = pc
    s[S.emotion_coping] = ec
    pa_t = logistic(p[P.pos_affect_logit] + s[S.lever_pos_affect] + w[L.problem_coping_pos_affect] * pc
                    + w[L.emotion_coping_pos_affect] * ec
                    + w[L.reward_pos_affect] * s[S.reward_dysregulation]
                    + w[L.synchrony_pos_affect] * s[S.synchrony])
    na_t = logistic(p[P.neg_affect_logit] + w[L.appraisal_neg_affect] * a
                    + w[L.problem_coping_neg_affect] * pc
                    + w[L.emotion_coping_neg_affect] * ec
                    + w[L.withdrawal_neg_affect] * s[S.withdrawal]
                    + w[L.depression_neg_affect] * s[S.depression]
                    + w[L.sleep_neg_affect] * s[S.sleep_loss]
                    + p[P.anxiety_neg_affect] * s[S.anxiety_dx])
    s[S.pos_affect] = relax(s[S.pos_affect], pa_t, p[TAU.pos_affect])
    na = relax(s[S.neg_affect], na_t, p[TAU.neg_affect])
    s[S.neg_affect] = na
    dep_t = logistic(p[P.depression_logit] - s[S.lever_depression] + w[L.neg_affect_depression] * na
                     + w[L.allostasis_depression] * s[S.allostatic_load]
                     + p[P.depression_dx_effect] * s[S.depression_dx])
    s[S.depression] = relax(s[S.depression], dep_t, p[TAU.depression])


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

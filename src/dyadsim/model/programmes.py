"""The group programmes, one declaration each: what a scenario switches on, how it is delivered, what
its dose acts on, and its effect parameters.

Everything else about a programme is derived from its declaration: its delivery parameters
(``programs.<key>_on``, ``_sessions``, ``_attendance``, ...), its random streams (attendance,
practice), its states (sessions attended, dose, first session day, practice days), its columns in
the outcomes table, its scenario field, its colours on the graph drawing. The mechanism of each
effect (which lever it moves, in what form) is written in :func:`dyadsim.model.modules.programs.step`,
beside the sources of the mechanism.

Sources: seed 000 §MBIs Address Substance Use and Promote Attentive Caregiving, §MORE and the MMT,
Figure 2 (Garland et al. 2014, 2019, 2022; Cooperman et al. 2021); mindfulness-based parenting
(Short et al. 2017; Gannon et al. 2017); ABC and Mom Power (seed 000 Introduction).
"""
from __future__ import annotations

from dataclasses import dataclass

from dyadsim.core.registry import Param


def _effect(name: str, default: float, unit: str, high: float, source: str, doc: str) -> Param:
    return Param(name, default, unit, 0.0, high, source, doc)


@dataclass(frozen=True)
class Programme:
    """One weekly group programme.

    Attributes:
        key: short name, the prefix of its parameters and states (``more``).
        label: its name in tables and figures.
        field: its field under ``interventions:`` in a scenario file.
        sessions, attendance: default weekly sessions and attendance at a session (no barriers).
        practice, practice_after: default daily home practice during and after the programme.
        components: components a scenario can switch on or off (each a ``programs.<key>_<c>`` flag).
        targets: component -> the graph's node and edge ids its dose acts on (Figure 2).
        effects: its effect parameters (at full dose), each with unit, range and source.
    """

    key: str
    label: str
    field: str
    sessions: float
    attendance: float
    practice: float
    practice_after: float
    targets: dict[str, tuple[str, ...]]
    effects: tuple[Param, ...]
    components: tuple[str, ...] = ()


MORE = Programme(
    "more", "MORE", "more", 8.0, 0.8, 0.5, 0.25,
    components=("mindfulness", "reappraisal", "savoring"),
    targets={
        "mindfulness": ("attentional_bias", "attentional_bias_cue_reactivity", "craving", "habit_use", "self_control"),
        "reappraisal": ("neg_appraisal", "stressors_appraisal", "neg_affect_allostasis", "appraisal_emotion_coping",
                        "problem_coping", "stress_sensitization"),
        "savoring": ("reward_dysregulation", "pos_affect", "salience", "salience_parenting"),
    },
    effects=(
        _effect("mindfulness_attention", 0.6, "logit", 3.0, "assumed (Garland 2019: less attentional bias)",
                "attention regulation"),
        _effect("mindfulness_cue", 0.3, "share", 1.0, "assumed (seed 000 §MORE Addresses ... Cue-Reactivity)",
                "cue reactivity reduction"),
        _effect("mindfulness_craving", 0.5, "logit", 3.0, "assumed (Li et al. 2017: craving d = -0.63)",
                "craving regulation"),
        _effect("mindfulness_automaticity", 0.2, "share", 0.8, "assumed", "disengagement from automatic use"),
        _effect("mindfulness_self_control", 0.1, "0-1", 0.3, "assumed (seed 000 Figure 2: mindfulness strengthens "
                "executive control)", "higher self-control ceiling"),
        _effect("reappraisal_skill", 0.6, "logit", 3.0, "assumed (Garland 2014: more reappraisal)", "reappraisal skill"),
        _effect("reappraisal_stress", 0.2, "share", 0.8, "assumed (Garland 2014: less stress arousal)",
                "stress reactivity reduction"),
        _effect("reappraisal_recovery", 0.2, "share", 0.8, "assumed (seed 000 §MORE Enhances Stress Recovery)",
                "faster recovery"),
        _effect("reappraisal_coping", 0.3, "logit", 2.0, "assumed (seed 000 Figure 2)", "problem-focused coping"),
        _effect("reappraisal_sensitization", 0.3, "logit", 1.5, "assumed (seed 000 Figure 2: reappraisal reduces "
                "stress sensitization)", "lower stress sensitization"),
        _effect("savoring_reward", 0.5, "logit", 3.0, "assumed (seed 000 §MORE Restructures Reward)", "natural reward"),
        _effect("savoring_affect", 0.3, "logit", 2.0, "assumed (Garland 2017: OR 2.75 positive affect)",
                "positive affect"),
        _effect("savoring_salience", 0.5, "logit", 3.0, "assumed (seed 000 Figure 2: savoring -> infant cues)",
                "salience of infant cues"),
        _effect("savoring_sensitivity", 0.15, "share", 1.0, "assumed (seed 000 Figure 2: savoring strengthens "
                "salience -> parenting)", "stronger salience -> parenting"),
    ),
)
SUPPORTIVE_GROUP = Programme(
    "sg", "supportive group", "supportive_group", 8.0, 0.8, 0.0, 0.0,
    targets={"support": ("social_support", "pos_affect")},
    effects=(
        _effect("sg_support", 0.1, "0-1", 0.3, "assumed (supportive group: contact)", "social support"),
        _effect("sg_affect", 0.2, "logit", 1.0, "assumed", "positive affect"),
    ),
)
MINDFUL_PARENTING = Programme(
    "mbp", "mindfulness-based parenting", "mindful_parenting", 8.0, 0.8, 0.4, 0.2,
    targets={"parenting": ("parenting_stress", "neg_appraisal", "parenting")},
    effects=(
        _effect("mbp_stress", 0.8, "logit", 2.0, "assumed (Short 2017; Gannon 2017: PSI-SF fell)",
                "lower parenting stress"),
        _effect("mbp_reappraisal", 0.3, "logit", 1.5, "assumed (Short 2017: PSS-10 fell)", "reappraisal"),
        _effect("mbp_parenting", 0.4, "logit", 1.5, "assumed (Short 2017: KIPS rose)", "parenting skill"),
    ),
)
ATTACHMENT_PARENTING = Programme(
    "abc", "attachment-based parenting", "attachment_parenting", 10.0, 0.8, 0.0, 0.0,
    targets={"attachment": ("parenting", "salience_parenting")},
    effects=(
        _effect("abc_parenting", 0.8, "logit", 2.0, "assumed (ABC, Mom Power)", "parenting skill"),
        _effect("abc_sensitivity", 0.3, "share", 1.0, "assumed (ABC: sensitivity to infant cues)",
                "stronger salience -> parenting"),
    ),
)

PROGRAMMES: tuple[Programme, ...] = (MORE, SUPPORTIVE_GROUP, MINDFUL_PARENTING, ATTACHMENT_PARENTING)
"""Every programme, in the order of its parameters, states and outputs."""

KEYS: tuple[str, ...] = tuple(g.key for g in PROGRAMMES)
LABELS: dict[str, str] = {g.key: g.label for g in PROGRAMMES}
TARGETS: dict[str, dict[str, tuple[str, ...]]] = {g.key: g.targets for g in PROGRAMMES}
FIELDS: dict[str, str] = {g.field: g.key for g in PROGRAMMES}
"""Scenario field under ``interventions:`` -> programme key."""

"""The group programmes, one declaration each: what a scenario switches on, how it is delivered, how
its skill builds and fades (its dose), what that skill acts on, and its effect parameters.

Everything else about a programme is derived from its declaration: its delivery parameters
(``programs.<key>_on``, ``_sessions``, ``_attendance``, ...), its random streams (attendance,
practice), its states (sessions attended, dose, first session day, practice days), its columns in
the outcomes table, its scenario field, its colours on the graph drawing. The mechanism of each
effect (which lever it moves, in what form) is written in :func:`dyadsim.model.modules.programs.step`,
beside the sources of the mechanism.

Each programme has its own dose (:class:`Dose`): how many sessions teach most of what there is to
practise, how much of that a session attended and a day of home practice turn into skill, and how
fast the skill fades when it is not practised. Home practice is how the skill of a mindfulness
programme is built and kept (Parsons et al. 2017, Behav Res Ther 95:29-41: participants of MBSR and
MBCT practised at home about 30 minutes a day, six days a week, 64% of what was assigned, and the
amount practised went with better outcomes, r = 0.26).

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
class Dose:
    """How one programme's skill (its dose, 0-1) builds and fades; the form is in
    :func:`dyadsim.model.modules.programs.deliver`.

    Attributes:
        learn_sessions: sessions attended that teach 63% of the curriculum (what there is to
            practise: ``1 - exp(-sessions / learn_sessions)``); home practice grows with it too.
        session_gain: share of the gap between the skill and what has been taught that one session
            attended closes (the practice and coaching within the session).
        practice_gain: the same for one day of home practice.
        fade_days: time constant with which the skill fades (every day; practice offsets it).
        sources: parameter -> its source (``learn_sessions``, ``session_gain``, ...).
    """

    learn_sessions: float
    session_gain: float
    practice_gain: float
    fade_days: float
    sources: dict[str, str]


@dataclass(frozen=True)
class Programme:
    """One weekly group programme.

    Attributes:
        key: short name, the prefix of its parameters and states (``more``).
        label: its name in tables and figures.
        field: its field under ``interventions:`` in a scenario file.
        sessions, attendance: default weekly sessions and attendance at a session (no barriers).
        practice, practice_after: default daily home practice during and after the programme.
        dose: how its skill builds with sessions and practice and fades (:class:`Dose`).
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
    dose: Dose
    components: tuple[str, ...] = ()


MORE = Programme(
    "more", "MORE", "more", 8.0, 0.8, 0.5, 0.25,
    components=("mindfulness", "reappraisal", "savoring"),
    targets={
        "mindfulness": ("attentional_bias", "attentional_bias_cue_reactivity", "craving", "habit_use", "self_control"),
        "reappraisal": ("neg_appraisal", "stressors_appraisal", "neg_affect_allostasis", "appraisal_emotion_coping",
                        "problem_coping", "stress_sensitization"),
        "savoring": ("reward_dysregulation", "pos_affect", "reward_pos_affect", "reward_craving", "salience",
                     "salience_parenting"),
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
        _effect("savoring_hedonic", 0.5, "share", 1.0, "assumed (Garland et al. 2022: more savoring of positive "
                "emotions mediated MORE's effect on opioid misuse; Garland et al. 2017: OR 2.75 for keeping or raising "
                "positive affect; seed 000 §MORE Restructures Reward)",
                "share of reward dysregulation's blunting of positive affect and of its pull on craving undone "
                "(natural rewards savored)"),
        _effect("savoring_salience", 0.5, "logit", 3.0, "assumed (seed 000 Figure 2: savoring -> infant cues)",
                "salience of infant cues"),
        _effect("savoring_sensitivity", 0.15, "share", 1.0, "assumed (seed 000 Figure 2: savoring strengthens "
                "salience -> parenting)", "stronger salience -> parenting"),
    ),
    dose=Dose(4.0, 0.08, 0.05, 90.0, {
        "learn_sessions": "assumed (Garland et al. 2022: 4 of the 8 sessions were the minimum dose)",
        "session_gain": "assumed (a 2-hour group holds guided practice worth about one and a half days of home "
                        "practice, Parsons et al. 2017: about 30 min a day)",
        "practice_gain": "assumed (the home practice of an 8-week course as done, 64% of assigned, about 30 days, "
                         "Parsons et al. 2017, builds about 80% of what was taught)",
        "fade_days": "assumed (Garland et al. 2014: effects on desire for opioids and OUD criteria after treatment "
                     "were not sustained at 3-month follow-up; Garland et al. 2022: lower misuse through 9 months)",
    }),
)
SUPPORTIVE_GROUP = Programme(
    "sg", "supportive group", "supportive_group", 8.0, 0.8, 0.0, 0.0,
    targets={"support": ("social_support", "pos_affect")},
    effects=(
        _effect("sg_support", 0.1, "0-1", 0.3, "assumed (supportive group: contact)", "social support"),
        _effect("sg_affect", 0.2, "logit", 1.0, "assumed", "positive affect"),
    ),
    dose=Dose(2.0, 0.3, 0.0, 30.0, {
        "learn_sessions": "assumed (contact and support come from the first meetings)",
        "session_gain": "assumed (support builds with the meetings attended)",
        "practice_gain": "assumed (no home practice in a supportive group)",
        "fade_days": "assumed (support that came from the group's contact lapses once it stops meeting)",
    }),
)
MINDFUL_PARENTING = Programme(
    "mbp", "mindfulness-based parenting", "mindful_parenting", 8.0, 0.8, 0.4, 0.2,
    targets={"parenting": ("parenting_stress", "neg_appraisal", "aces_appraisal", "parenting", "neg_affect_parenting")},
    effects=(
        _effect("mbp_stress", 0.8, "logit", 2.0, "assumed (Short 2017; Gannon 2017: PSI-SF fell)",
                "lower parenting stress"),
        _effect("mbp_trauma_appraisal", 0.5, "share", 1.0, "assumed (Short et al. 2017: perceived stress, PSS-10, "
                "fell; Gannon et al. 2017: the programme is trauma-informed, teaching the impact of trauma on "
                "parenting)", "share of the ACEs' pull on negative appraisal undone (trauma-informed reappraisal)"),
        _effect("mbp_regulation", 0.75, "share", 1.0, "assumed (Gannon et al. 2017: parenting quality, KIPS, rose, "
                "faster with more ACEs and more sessions attended; the trauma-informed programme teaches emotional "
                "awareness and self-regulation in parenting)",
                "share of negative affect's pull on parenting undone (self-regulation in parenting)"),
    ),
    dose=Dose(4.0, 0.08, 0.05, 120.0, {
        "learn_sessions": "assumed (Gannon et al. 2017: parenting gains grew with sessions attended)",
        "session_gain": "assumed (as MORE: guided practice within the group, Parsons et al. 2017)",
        "practice_gain": "assumed (as MORE: the home practice of a course as done, Parsons et al. 2017)",
        "fade_days": "assumed (parenting practices, once in daily care, fade more slowly than MORE's skills)",
    }),
)
ATTACHMENT_PARENTING = Programme(
    "abc", "attachment-based parenting", "attachment_parenting", 10.0, 0.8, 0.0, 0.0,
    targets={"attachment": ("parenting", "salience_parenting")},
    effects=(
        _effect("abc_parenting", 0.8, "logit", 2.0, "assumed (ABC, Mom Power)", "parenting skill"),
        _effect("abc_sensitivity", 0.3, "share", 1.0, "assumed (ABC: sensitivity to infant cues)",
                "stronger salience -> parenting"),
    ),
    dose=Dose(4.0, 0.15, 0.05, 365.0, {
        "learn_sessions": "assumed (10 home sessions)",
        "session_gain": "assumed (ABC coaches the mother in the moment, with her infant, in each session; no home "
                        "practice assigned)",
        "practice_gain": "assumed (as MORE, where a scenario adds home practice)",
        "fade_days": "assumed (ABC's effects on attachment are seen after the 10 sessions, Bernard et al. 2012)",
    }),
)

PROGRAMMES: tuple[Programme, ...] = (MORE, SUPPORTIVE_GROUP, MINDFUL_PARENTING, ATTACHMENT_PARENTING)
"""Every programme, in the order of its parameters, states and outputs."""

KEYS: tuple[str, ...] = tuple(g.key for g in PROGRAMMES)
LABELS: dict[str, str] = {g.key: g.label for g in PROGRAMMES}
TARGETS: dict[str, dict[str, tuple[str, ...]]] = {g.key: g.targets for g in PROGRAMMES}
FIELDS: dict[str, str] = {g.field: g.key for g in PROGRAMMES}
"""Scenario field under ``interventions:`` -> programme key."""

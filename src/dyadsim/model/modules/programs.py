"""Group programmes: MORE (three components), supportive group, mindfulness-based and
attachment-based parenting; their delivery, the dose a mother receives, and its effects.

Delivery as in practice: weekly group sessions (``<g>_sessions``) starting in pregnancy at a
gestational week (a mother enrolled later joins at enrolment) or after birth at a postpartum week
(``<g>_start_postpartum``, ``<g>_start_week``). A mother attends a session with log-odds
``logit(<g>_attendance) + lever_attendance - barriers``, the barriers being transport (low income),
childcare (after birth, lacking support), CPS involvement, stigma in care, negative affect and
recent use. MORE and mindfulness-based parenting add daily home practice (more often during the
programme than after).

Dose: a skill level (0-1) builds with each session attended (``learn_rate`` of the gap to 1) and
each day of practice (``practice_gain``), and fades with time constant ``fade_days``. Home practice
depends on the sessions attended (saturating in ``practice_sessions``) and, after the last
session, falls with time constant ``practice_decay_days``; so the effect rises with the dose
received and saturates, and fades after the programme unless practice goes on. A mother who
attends no session receives nothing: her skill stays exactly 0 and her history is unchanged. Each
dyad's first session day, sessions attended and practice days are recorded (complier-average
analyses).

Effects (at skill 1; each is a lever on a named parameter or edge of Figure 2):

* MORE mindfulness: attention regulation (attentional bias), multiplier on cue reactivity, mindful
  coping with craving, disengagement from automatic use (habit -> use), a higher ceiling of
  executive self-control.
* MORE reappraisal: reappraisal skill (negative appraisal, emotion-focused coping), multiplier on
  stress reactivity (stressors -> appraisal), faster stress recovery (less allostasis), lower stress
  sensitization, problem-focused coping.
* MORE savoring: natural-reward responsiveness (reward dysregulation), positive affect (which
  lowers craving), salience of infant cues and a stronger salience -> parenting link.
* Supportive group (the control arm of the MORE trials): social contact and support, some positive affect.
* Mindfulness-based parenting: lower parenting stress, some reappraisal, parenting skill.
* Attachment-based parenting (ABC, Mom Power): parenting skill and a stronger salience -> parenting link.

Sources: seed 000 §MBIs Address Substance Use and Promote Attentive Caregiving, §MORE and the MMT,
Figure 2 (Garland et al. 2014, 2019, 2022; Cooperman et al. 2021); mindfulness-based parenting
(Short et al. 2017; Gannon et al. 2017); ABC and Mom Power (seed 000 Introduction). Effect sizes are
assumed until calibrated against TARGETS.md.
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.context import P as CTX
from dyadsim.model.modules.supports import P as SUP

PROGRAMS = ("more", "sg", "mbp", "abc")
LABELS = {"more": "MORE", "sg": "supportive group", "mbp": "mindfulness-based parenting",
          "abc": "attachment-based parenting"}


# What each programme component acts on in the mechanism graph (node or edge ids): drawn as
# Figure 2 by ``dyadsim graph --intervention more`` and listed in the docs.
TARGETS: dict[str, dict[str, tuple[str, ...]]] = {
    "more": {
        "mindfulness": ("attentional_bias", "attentional_bias_cue_reactivity", "craving", "habit_use", "self_control"),
        "reappraisal": ("neg_appraisal", "stressors_appraisal", "neg_affect_allostasis", "appraisal_emotion_coping",
                        "problem_coping", "stress_sensitization"),
        "savoring": ("reward_dysregulation", "pos_affect", "salience", "salience_parenting"),
    },
    "sg": {"support": ("social_support", "pos_affect")},
    "mbp": {"parenting": ("parenting_stress", "neg_appraisal", "parenting")},
    "abc": {"attachment": ("parenting", "salience_parenting")},
}


def _delivery(g: str, sessions: float, attendance: float, practice: float, after: float) -> tuple[Param, ...]:
    return (
        Param(f"{g}_on", 0.0, "flag", 0.0, 1.0, "scenario setting", f"{LABELS[g]} offered"),
        Param(f"{g}_start_postpartum", 0.0, "flag", 0.0, 1.0, "scenario setting", "1: start after birth"),
        Param(f"{g}_start_week", 20.0, "week", 0.0, 52.0, "scenario setting",
              "gestational week (pregnancy start) or postpartum week"),
        Param(f"{g}_sessions", sessions, "sessions", 0.0, 30.0, "seed 000 (MORE: 8-10 weekly sessions)",
              "weekly group sessions"),
        Param(f"{g}_attendance", attendance, "probability", 0.0, 1.0, "assumed", "attendance at a session, no barriers"),
        Param(f"{g}_practice", practice, "1/day", 0.0, 1.0, "assumed", "home practice during the programme"),
        Param(f"{g}_practice_after", after, "1/day", 0.0, 1.0, "assumed", "home practice after the programme"),
    )


def _effect(name: str, default: float, unit: str, high: float, source: str, doc: str) -> Param:
    return Param(name, default, unit, 0.0, high, source, doc)


P = declare_params("programs", (
    *_delivery("more", 8.0, 0.8, 0.5, 0.25),
    *_delivery("sg", 8.0, 0.8, 0.0, 0.0),
    *_delivery("mbp", 8.0, 0.8, 0.4, 0.2),
    *_delivery("abc", 10.0, 0.8, 0.0, 0.0),
    Param("more_mindfulness", 1.0, "flag", 0.0, 1.0, "scenario setting", "MORE mindfulness component"),
    Param("more_reappraisal", 1.0, "flag", 0.0, 1.0, "scenario setting", "MORE reappraisal component"),
    Param("more_savoring", 1.0, "flag", 0.0, 1.0, "scenario setting", "MORE savoring component"),
    Param("learn_rate", 0.2, "share of gap per session", 0.05, 0.5, "assumed", "skill gained per session"),
    Param("practice_gain", 0.01, "share of gap per day", 0.0, 0.05, "assumed", "skill gained per practice day"),
    Param("fade_days", 180.0, "days", 30.0, 720.0, "assumed", "time constant of fading skill"),
    Param("practice_sessions", 3.0, "sessions", 0.5, 10.0, "assumed (Short 2017: effects grew with attendance)",
          "sessions attended for 63% of full home practice (practice grows with sessions, saturating)"),
    Param("practice_decay_days", 90.0, "days", 14.0, 365.0, "assumed (MODEL.md: practice fades after the programme)",
          "time constant of the fall of home practice after the programme ends"),
    Param("barrier_income", 0.4, "logit", 0.0, 1.5, "assumed (seed 003 transport)", "transport barrier"),
    Param("barrier_childcare", 0.6, "logit", 0.0, 2.0, "assumed (seed 003 childcare)", "childcare barrier after birth"),
    Param("barrier_cps", 0.5, "logit", 0.0, 1.5, "assumed (seed 004 CPS involvement)", "CPS involvement"),
    Param("barrier_stigma", 0.8, "logit", 0.0, 2.0, "assumed (seed 003 culture of care)", "stigma in care"),
    Param("barrier_neg_affect", 1.0, "logit", 0.0, 3.0, "assumed", "negative affect"),
    Param("barrier_use", 1.5, "logit", 0.0, 4.0, "assumed", "recent use"),
    _effect("mindfulness_attention", 0.6, "logit", 3.0, "assumed (Garland 2019: less attentional bias)", "attention regulation"),
    _effect("mindfulness_cue", 0.3, "share", 1.0, "assumed (seed 000 §MORE Addresses ... Cue-Reactivity)", "cue reactivity reduction"),
    _effect("mindfulness_craving", 0.5, "logit", 3.0, "assumed (Li et al. 2017: craving d = -0.63)", "craving regulation"),
    _effect("mindfulness_automaticity", 0.2, "share", 0.8, "assumed", "disengagement from automatic use"),
    _effect("mindfulness_self_control", 0.1, "0-1", 0.3, "assumed (seed 000 Figure 2: mindfulness strengthens "
            "executive control)", "higher self-control ceiling"),
    _effect("reappraisal_skill", 0.6, "logit", 3.0, "assumed (Garland 2014: more reappraisal)", "reappraisal skill"),
    _effect("reappraisal_stress", 0.2, "share", 0.8, "assumed (Garland 2014: less stress arousal)", "stress reactivity reduction"),
    _effect("reappraisal_recovery", 0.2, "share", 0.8, "assumed (seed 000 §MORE Enhances Stress Recovery)", "faster recovery"),
    _effect("reappraisal_coping", 0.3, "logit", 2.0, "assumed (seed 000 Figure 2)", "problem-focused coping"),
    _effect("reappraisal_sensitization", 0.3, "logit", 1.5, "assumed (seed 000 Figure 2: reappraisal reduces "
            "stress sensitization)", "lower stress sensitization"),
    _effect("savoring_reward", 0.5, "logit", 3.0, "assumed (seed 000 §MORE Restructures Reward)", "natural reward"),
    _effect("savoring_affect", 0.3, "logit", 2.0, "assumed (Garland 2017: OR 2.75 positive affect)", "positive affect"),
    _effect("savoring_salience", 0.5, "logit", 3.0, "assumed (seed 000 Figure 2: savoring -> infant cues)", "salience of infant cues"),
    _effect("savoring_sensitivity", 0.15, "share", 1.0, "assumed (seed 000 Figure 2: savoring strengthens "
            "salience -> parenting)", "stronger salience -> parenting"),
    _effect("sg_support", 0.1, "0-1", 0.3, "assumed (supportive group: contact)", "social support"),
    _effect("sg_affect", 0.2, "logit", 1.0, "assumed", "positive affect"),
    _effect("mbp_stress", 0.8, "logit", 2.0, "assumed (Short 2017; Gannon 2017: PSI-SF fell)", "lower parenting stress"),
    _effect("mbp_reappraisal", 0.3, "logit", 1.5, "assumed (Short 2017: PSS-10 fell)", "reappraisal"),
    _effect("mbp_parenting", 0.4, "logit", 1.5, "assumed (Short 2017: KIPS rose)", "parenting skill"),
    _effect("abc_parenting", 0.8, "logit", 2.0, "assumed (ABC, Mom Power)", "parenting skill"),
    _effect("abc_sensitivity", 0.3, "share", 1.0, "assumed (ABC: sensitivity to infant cues)", "stronger salience -> parenting"),
))
U = declare_streams("programs", (
    Stream("more_attend", "MORE session attended"), Stream("sg_attend", "supportive group attended"),
    Stream("mbp_attend", "MBP session attended"), Stream("abc_attend", "ABC session attended"),
    Stream("more_practice", "MORE home practice"), Stream("mbp_practice", "MBP home practice"),
    Stream("sg_practice", "supportive group practice"), Stream("abc_practice", "ABC practice"),
))


# Per programme, in PROGRAMS order: parameter block, streams and states (global indices).
PROGRAM_BASE = (P.more_on, P.sg_on, P.mbp_on, P.abc_on)
PROGRAM_ATTEND = (U.more_attend, U.sg_attend, U.mbp_attend, U.abc_attend)
PROGRAM_PRACTICE = (U.more_practice, U.sg_practice, U.mbp_practice, U.abc_practice)
PROGRAM_SESSIONS = (S.more_sessions, S.sg_sessions, S.mbp_sessions, S.abc_sessions)
PROGRAM_SKILL = (S.more_skill, S.sg_skill, S.mbp_skill, S.abc_skill)
PROGRAM_START = (S.more_start_day, S.sg_start_day, S.mbp_start_day, S.abc_start_day)
PROGRAM_PRACTICE_DAYS = (S.practice_days, S.sg_practice_days, S.mbp_practice_days, S.abc_practice_days)

def init(s: np.ndarray, p: np.ndarray) -> None:
    """Nothing received at enrolment; support as the mother's own until a programme or support adds to it."""
    s[S.support_eff] = s[S.support]
    for k in (S.more_sessions, S.more_skill, S.sg_sessions, S.sg_skill, S.mbp_sessions, S.mbp_skill,
              S.abc_sessions, S.abc_skill, S.practice_days, S.lever_attention, S.lever_craving,
              S.lever_automaticity, S.lever_reappraisal, S.lever_recovery, S.lever_problem_coping,
              S.lever_natural_reward, S.lever_pos_affect, S.lever_savoring, S.lever_parenting_skill,
              S.lever_parenting_stress, S.lever_self_control, S.lever_sensitization, S.sg_practice_days,
              S.mbp_practice_days, S.abc_practice_days):
        s[k] = 0.0
    for k in PROGRAM_START:
        s[k] = -1.0
    for k in (S.lever_cue_scale, S.lever_stress_scale, S.lever_sensitivity_scale):
        s[k] = 1.0


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only when a programme, or a support that adds
    social support or parenting skill, is switched on."""
    return (p[P.more_on] + p[P.sg_on] + p[P.mbp_on] + p[P.abc_on] + p[SUP.peer_support]
            + p[SUP.home_visiting]) > 0.0


# Offsets within each programme's block of delivery parameters (the order of ``_delivery``).
_ON, _POST, _WEEK, _SESSIONS, _ATTENDANCE, _PRACTICE, _AFTER = 0, 1, 2, 3, 4, 5, 6


@register_jitable
def deliver(p, base, barrier, u_attend, u_practice, s_sessions, skill, born, alive, pp, gest, enrol,
            lr, gain, fade, practice_sessions, practice_decay):  # type: ignore[no-untyped-def]
    """One day of one programme for dyad(s): (sessions attended so far, practiced today, new skill,
    first session offered today).

    Home practice grows with sessions attended (saturating: ``1 - exp(-sessions /
    practice_sessions)``) and, after the last session, falls with time constant ``practice_decay``.

    ``base`` is the index of the programme's ``<g>_on`` parameter; its other delivery parameters
    follow in the order declared by ``_delivery``. Plain Python for the NumPy reference;
    ``register_jitable`` lets the compiled engine call it too.
    """
    on = p[base + _ON]
    post = p[base + _POST]
    attendance = p[base + _ATTENDANCE]
    # Days since the programme started for this mother (negative before the start).
    wk = 7.0 * p[base + _WEEK]
    d = (1.0 - post) * (gest - np.maximum(wk, enrol)) + post * (born * (pp - wk + 1.0) - 1.0)
    in_prog = (d >= 0.0) & (d < 7.0 * p[base + _SESSIONS])
    session = in_prog & (d - 7.0 * np.floor(d / 7.0) == 0.0)
    # Attendance 0 gives log(1e-300) = -691: probability exactly 0 after exp overflow, so a
    # programme nobody attends changes nothing.
    logit = np.log(attendance / (1.0 - attendance + 1e-12) + 1e-300) - barrier
    attended = on * alive * session * (u_attend < logistic(logit))
    sessions = s_sessions + attended
    engaged = 1.0 - np.exp(-sessions / practice_sessions)
    after_end = np.maximum(d - 7.0 * p[base + _SESSIONS], 0.0)
    prac_p = engaged * (in_prog * p[base + _PRACTICE]
                        + (1.0 - in_prog) * p[base + _AFTER] * np.exp(-after_end / practice_decay))
    practiced = on * alive * (d >= 0.0) * (u_practice < prac_p)
    skill = skill + (attended * lr + practiced * gain) * (1.0 - skill) - skill * fade
    first = on * alive * (d == 0.0) * (p[base + _SESSIONS] > 0.0)
    return sessions, practiced, skill, first


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Sessions, practice and dose of each programme; then today's levers."""
    born = s[S.born]
    alive = s[S.alive]
    pp = s[S.pp_day]
    enrol = s[S.enrol_gest_day]
    gest = enrol + t
    barrier = (p[P.barrier_income] * s[S.low_income] + p[P.barrier_childcare] * born * (1.0 - s[S.support_eff])
               + p[P.barrier_cps] * s[S.cps_report] + p[P.barrier_stigma] * p[CTX.stigma] * s[S.lever_stigma_scale]
               + p[P.barrier_neg_affect] * s[S.neg_affect] + p[P.barrier_use] * s[S.intoxication]
               - s[S.lever_attendance])
    lr = p[P.learn_rate]
    gain = p[P.practice_gain]
    fade = 1.0 / p[P.fade_days]
    for g in range(len(PROGRAM_BASE)):
        sess, practiced, skill, first = deliver(p, PROGRAM_BASE[g], barrier, u[PROGRAM_ATTEND[g]],
                                                u[PROGRAM_PRACTICE[g]], s[PROGRAM_SESSIONS[g]], s[PROGRAM_SKILL[g]],
                                                born, alive, pp, gest, enrol, lr, gain, fade,
                                                p[P.practice_sessions], p[P.practice_decay_days])
        s[PROGRAM_SESSIONS[g]] = sess
        s[PROGRAM_SKILL[g]] = skill
        s[PROGRAM_PRACTICE_DAYS[g]] = s[PROGRAM_PRACTICE_DAYS[g]] + practiced
        start = s[PROGRAM_START[g]]
        s[PROGRAM_START[g]] = start + first * (start < 0.0) * (t + 1.0)
    ms = s[S.more_skill]
    sg = s[S.sg_skill]
    mb = s[S.mbp_skill]
    ab = s[S.abc_skill]
    # --- levers (written fresh every day: zero dose gives exactly zero) -------------------------
    mind = p[P.more_mindfulness] * ms
    reap = p[P.more_reappraisal] * ms
    sav = p[P.more_savoring] * ms
    s[S.lever_attention] = mind * p[P.mindfulness_attention]
    s[S.lever_cue_scale] = 1.0 - mind * p[P.mindfulness_cue]
    s[S.lever_craving] = mind * p[P.mindfulness_craving]
    s[S.lever_automaticity] = mind * p[P.mindfulness_automaticity]
    s[S.lever_self_control] = mind * p[P.mindfulness_self_control]
    s[S.lever_sensitization] = reap * p[P.reappraisal_sensitization]
    s[S.lever_reappraisal] = reap * p[P.reappraisal_skill] + mb * p[P.mbp_reappraisal]
    s[S.lever_stress_scale] = 1.0 - reap * p[P.reappraisal_stress]
    s[S.lever_recovery] = reap * p[P.reappraisal_recovery]
    s[S.lever_problem_coping] = reap * p[P.reappraisal_coping]
    s[S.lever_natural_reward] = sav * p[P.savoring_reward]
    s[S.lever_pos_affect] = sav * p[P.savoring_affect] + sg * p[P.sg_affect]
    s[S.lever_savoring] = sav * p[P.savoring_salience]
    hv = p[SUP.home_visiting] * s[S.hv_eligible]
    s[S.lever_parenting_skill] = mb * p[P.mbp_parenting] + ab * p[P.abc_parenting] + hv * p[SUP.hv_parenting]
    s[S.lever_parenting_stress] = mb * p[P.mbp_stress]
    s[S.lever_sensitivity_scale] = 1.0 + ab * p[P.abc_sensitivity] + sav * p[P.savoring_sensitivity]
    boost = p[SUP.peer_support] * p[SUP.peer_support_boost] + hv * p[SUP.hv_support] + sg * p[P.sg_support]
    s[S.support_eff] = np.minimum(s[S.support] + boost, 1.0)


FINAL = (
    *(Final(f"{g}_sessions", f"{g}_sessions", doc=f"{LABELS[g]} sessions attended") for g in PROGRAMS),
    Final("practice_days", "practice_days", doc="days of MORE home practice"),
    Final("more_dose_end", "more_skill", doc="MORE dose at the end of follow-up (0-1)"),
    *(Final(f"{g}_start_day", f"{g}_start_day", "day", doc=f"day of the first {LABELS[g]} session")
      for g in PROGRAMS),
    *(Final(f"{g}_practice_days", f"{g}_practice_days", doc=f"days of {LABELS[g]} practice") for g in PROGRAMS[1:]),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

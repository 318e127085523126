"""Group programmes: MORE (three components), supportive group, mindfulness-based and
attachment-based parenting; their delivery, the dose a mother receives, and its effects.

Delivery as in practice: weekly group sessions (``<g>_sessions``) starting in pregnancy at a
gestational week (a mother enrolled later joins at enrolment) or after birth at a postpartum week
(``<g>_start_postpartum``, ``<g>_start_week``). A mother attends a session with log-odds
``logit(<g>_attendance) + lever_attendance - barriers``, the barriers being transport (low income),
childcare (after birth, lacking support), CPS involvement, stigma in care, negative affect and
recent use. MORE and mindfulness-based parenting add daily home practice (more often during the
programme than after).

Dose, each programme with its own numbers (``<g>_learn_sessions``, ``<g>_session_gain``,
``<g>_practice_gain``, ``<g>_fade_days``; declared in :mod:`dyadsim.model.programmes`). Sessions
teach and practice builds the skill:

* what has been taught grows with the sessions attended and saturates:
  ``taught = 1 - exp(-sessions / learn_sessions)``; it is the most skill there is to build;
* the skill (0-1, the dose that the effects scale with) closes a share of its gap to what has been
  taught on each session attended (``session_gain``: the guided practice or coaching in the session)
  and on each day of home practice (``practice_gain``), and fades every day with time constant
  ``fade_days``: ``skill += (session * session_gain + practice * practice_gain) * (taught - skill)
  - skill / fade_days``. It stays within [0, taught] by construction (the shares and 1/fade_days
  sum to less than 1 within their ranges);
* home practice on a day: probability ``taught * <g>_practice`` during the programme (a mother
  practises what she has been taught), ``taught * <g>_practice_after * exp(-days since the last
  session / practice_decay_days)`` afterwards.

So the effect rises with sessions and saturates, rises with home practice (a mother who never
practises keeps only what the sessions themselves built), is kept up by continued practice and
fades without it (Parsons et al. 2017, Behav Res Ther 95:29-41: home practice and outcomes of
MBSR/MBCT, r = 0.26; Garland et al. 2014: MORE's effects on desire for opioids not sustained at 3
months). A mother who attends no session receives nothing: her skill stays exactly 0 and her
history is unchanged. Each dyad's first session day, sessions attended and practice days are
recorded (complier-average analyses).

The programmes are declared in :mod:`dyadsim.model.programmes` (delivery defaults, components,
targets, effect parameters); their parameters, streams, per-programme state indices and output
columns here are derived from those declarations. The effects are written below, in ``step``.

Effects (at skill 1; each is a lever on a named parameter or edge of Figure 2):

* MORE mindfulness: attention regulation (attentional bias), multiplier on cue reactivity, mindful
  coping with craving, disengagement from automatic use (habit -> use), a higher ceiling of
  executive self-control.
* MORE reappraisal: reappraisal skill (negative appraisal, emotion-focused coping), multiplier on
  stress reactivity (stressors -> appraisal), faster stress recovery (less allostasis), lower stress
  sensitization, problem-focused coping.
* MORE savoring: natural-reward responsiveness (reward dysregulation, slowly restructured); today,
  a share (``savoring_hedonic``) of what reward dysregulation takes away undone: its blunting of
  positive affect and its pull on craving, so the mothers whose natural rewards are most blunted
  gain most (Garland et al. 2022: savoring mediated MORE's effect on opioid misuse; Garland et al.
  2019: positive psychological health mediated its effect on misuse risk); salience of infant cues
  and a stronger salience -> parenting link.
* Supportive group (the control arm of the MORE trials): social contact and support, some positive affect.
* Mindfulness-based parenting (trauma-informed): lower parenting stress; reappraisal of what
  childhood adversity makes of today's events (a share, ``mbp_trauma_appraisal``, of the ACEs' pull
  on negative appraisal undone); and self-regulation in parenting (a share, ``mbp_regulation``, of
  the pull of negative affect on parenting undone). The mothers with more room to improve (more
  ACEs: more negative appraisal and affect) gain most (Gannon et al. 2017: KIPS rose faster with
  more ACEs and more sessions attended).

The "share undone" effects read the mother's ACEs and yesterday's reward dysregulation and negative
affect (both updated later in the day), through the same edge strengths as the modules they act on,
so a switched-off edge switches off its effect too.
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
from dyadsim.model.graph import L
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.programmes import KEYS, LABELS, PROGRAMMES, TARGETS, Programme
from dyadsim.model.states import S
from dyadsim.model.modules.context import P as CTX
from dyadsim.model.modules.supports import P as SUP

PROGRAMS = KEYS


def _delivery(g: Programme) -> tuple[Param, ...]:
    """A programme's delivery parameters, in the order the offsets ``_ON`` ... ``_AFTER`` name them."""
    return (
        Param(f"{g.key}_on", 0.0, "flag", 0.0, 1.0, "scenario setting", f"{g.label} offered"),
        Param(f"{g.key}_start_postpartum", 0.0, "flag", 0.0, 1.0, "scenario setting", "1: start after birth"),
        Param(f"{g.key}_start_week", 20.0, "week", 0.0, 52.0, "scenario setting",
              "gestational week (pregnancy start) or postpartum week"),
        Param(f"{g.key}_sessions", g.sessions, "sessions", 0.0, 30.0, "seed 000 (MORE: 8-10 weekly sessions)",
              "weekly group sessions"),
        Param(f"{g.key}_attendance", g.attendance, "probability", 0.0, 1.0, "assumed",
              "attendance at a session, no barriers"),
        Param(f"{g.key}_practice", g.practice, "1/day", 0.0, 1.0, "assumed", "home practice during the programme"),
        Param(f"{g.key}_practice_after", g.practice_after, "1/day", 0.0, 1.0, "assumed",
              "home practice after the programme"),
        # Its dose: how sessions and practice build the skill and how fast it fades.
        Param(f"{g.key}_learn_sessions", g.dose.learn_sessions, "sessions", 0.5, 10.0, g.dose.sources["learn_sessions"],
              "sessions attended that teach 63% of the curriculum (what there is to practise)"),
        Param(f"{g.key}_session_gain", g.dose.session_gain, "share of gap per session", 0.0, 0.5,
              g.dose.sources["session_gain"], "share of the gap to what was taught closed by a session attended"),
        Param(f"{g.key}_practice_gain", g.dose.practice_gain, "share of gap per day", 0.0, 0.2,
              g.dose.sources["practice_gain"], "share of the gap to what was taught closed by a day of home practice"),
        Param(f"{g.key}_fade_days", g.dose.fade_days, "days", 14.0, 730.0, g.dose.sources["fade_days"],
              "time constant with which the skill fades (practice offsets it)"),
    )


P = declare_params("programs", (
    *(q for g in PROGRAMMES for q in _delivery(g)),
    *(Param(f"{g.key}_{c}", 1.0, "flag", 0.0, 1.0, "scenario setting", f"{g.label} {c} component")
      for g in PROGRAMMES for c in g.components),
    Param("practice_decay_days", 90.0, "days", 14.0, 365.0, "assumed (MODEL.md: practice fades after the programme)",
          "time constant of the fall of home practice after the programme ends"),
    Param("barrier_income", 0.4, "logit", 0.0, 1.5, "assumed (seed 003 transport)", "transport barrier"),
    Param("barrier_childcare", 0.6, "logit", 0.0, 2.0, "assumed (seed 003 childcare)", "childcare barrier after birth"),
    Param("barrier_cps", 0.5, "logit", 0.0, 1.5, "assumed (seed 004 CPS involvement)", "CPS involvement"),
    Param("barrier_stigma", 0.8, "logit", 0.0, 2.0, "assumed (seed 003 culture of care)", "stigma in care"),
    Param("barrier_neg_affect", 1.0, "logit", 0.0, 3.0, "assumed", "negative affect"),
    Param("barrier_use", 1.5, "logit", 0.0, 4.0, "assumed", "recent use"),
    *(e for g in PROGRAMMES for e in g.effects),
))
U = declare_streams("programs", (
    *(Stream(f"{g.key}_attend", f"{g.label} session attended") for g in PROGRAMMES),
    *(Stream(f"{g.key}_practice", f"{g.label} home practice") for g in PROGRAMMES),
))


def _each(template: str, table: object) -> tuple[int, ...]:
    return tuple(getattr(table, template.format(g.key)) for g in PROGRAMMES)


# Per programme, in PROGRAMMES order: parameter block, streams and states (global indices).
PROGRAM_BASE = _each("{}_on", P)
PROGRAM_ATTEND = _each("{}_attend", U)
PROGRAM_PRACTICE = _each("{}_practice", U)
PROGRAM_SESSIONS = _each("{}_sessions", S)
PROGRAM_SKILL = _each("{}_skill", S)
PROGRAM_START = _each("{}_start_day", S)
PROGRAM_PRACTICE_DAYS = _each("{}_practice_days", S)


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Nothing received at enrolment; support as the mother's own until a programme or support adds to it."""
    s[S.support_eff] = s[S.support]
    for k in PROGRAM_SESSIONS + PROGRAM_SKILL + PROGRAM_PRACTICE_DAYS:
        s[k] = 0.0
    for k in (S.lever_attention, S.lever_craving, S.lever_automaticity, S.lever_reappraisal, S.lever_recovery,
              S.lever_problem_coping, S.lever_natural_reward, S.lever_pos_affect, S.lever_savoring,
              S.lever_parenting_skill, S.lever_parenting_stress, S.lever_self_control, S.lever_sensitization):
        s[k] = 0.0
    for k in PROGRAM_START:
        s[k] = -1.0
    for k in (S.lever_cue_scale, S.lever_stress_scale, S.lever_sensitivity_scale):
        s[k] = 1.0


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only when a programme, or a support that adds
    social support or parenting skill, is switched on."""
    offered = 0.0
    for g in range(len(PROGRAM_BASE)):
        offered = offered + p[PROGRAM_BASE[g]]
    return (offered + p[SUP.peer_support] + p[SUP.home_visiting]) > 0.0


# Offsets within each programme's block of delivery and dose parameters (the order of ``_delivery``).
_ON, _POST, _WEEK, _SESSIONS, _ATTENDANCE, _PRACTICE, _AFTER = 0, 1, 2, 3, 4, 5, 6
_LEARN, _SESSION_GAIN, _PRACTICE_GAIN, _FADE = 7, 8, 9, 10


@register_jitable
def deliver(p, base, barrier, u_attend, u_practice, s_sessions, skill, born, alive, pp, gest, enrol,
            practice_decay):  # type: ignore[no-untyped-def]
    """One day of one programme for dyad(s): (sessions attended so far, practiced today, new skill,
    first session offered today).

    What has been taught grows with sessions attended (``1 - exp(-sessions / learn_sessions)``);
    home practice grows with it and, after the last session, falls with time constant
    ``practice_decay``; the skill closes a share of its gap to what was taught on each session
    attended and each day of practice, and fades with the programme's ``fade_days``.

    ``base`` is the index of the programme's ``<g>_on`` parameter; its other delivery and dose
    parameters follow in the order declared by ``_delivery``. Plain Python for the NumPy reference;
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
    taught = 1.0 - np.exp(-sessions / p[base + _LEARN])
    after_end = np.maximum(d - 7.0 * p[base + _SESSIONS], 0.0)
    prac_p = taught * (in_prog * p[base + _PRACTICE]
                       + (1.0 - in_prog) * p[base + _AFTER] * np.exp(-after_end / practice_decay))
    practiced = on * alive * (d >= 0.0) * (u_practice < prac_p)
    # skill <= taught, and taught never falls: the new skill is a mix of the old, what was taught
    # and 0 with weights summing to 1, so it stays within [0, taught].
    rate = attended * p[base + _SESSION_GAIN] + practiced * p[base + _PRACTICE_GAIN]
    skill = skill + rate * (taught - skill) - skill / p[base + _FADE]
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
    for g in range(len(PROGRAM_BASE)):
        sess, practiced, skill, first = deliver(p, PROGRAM_BASE[g], barrier, u[PROGRAM_ATTEND[g]],
                                                u[PROGRAM_PRACTICE[g]], s[PROGRAM_SESSIONS[g]], s[PROGRAM_SKILL[g]],
                                                born, alive, pp, gest, enrol, p[P.practice_decay_days])
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
    # Savoring undoes a share of what reward dysregulation does today, on each of its edges
    # (attentional bias, craving, positive affect, salience of infant cues); mindful parenting a
    # share of the ACEs' pull on appraisal and of negative affect's pull on parenting.
    rd = s[S.reward_dysregulation]
    hedonic = sav * p[P.savoring_hedonic]
    s[S.lever_attention] = mind * p[P.mindfulness_attention] + hedonic * np.maximum(w[L.reward_attentional_bias], 0.0) * rd
    s[S.lever_cue_scale] = 1.0 - mind * p[P.mindfulness_cue]
    s[S.lever_craving] = mind * p[P.mindfulness_craving] + hedonic * np.maximum(w[L.reward_craving], 0.0) * rd
    s[S.lever_automaticity] = mind * p[P.mindfulness_automaticity]
    s[S.lever_self_control] = mind * p[P.mindfulness_self_control]
    s[S.lever_sensitization] = reap * p[P.reappraisal_sensitization]
    trauma = mb * p[P.mbp_trauma_appraisal] * np.maximum(w[L.aces_appraisal], 0.0) * s[S.aces]
    s[S.lever_reappraisal] = reap * p[P.reappraisal_skill] + trauma
    s[S.lever_stress_scale] = 1.0 - reap * p[P.reappraisal_stress]
    s[S.lever_recovery] = reap * p[P.reappraisal_recovery]
    s[S.lever_problem_coping] = reap * p[P.reappraisal_coping]
    s[S.lever_natural_reward] = sav * p[P.savoring_reward]
    s[S.lever_pos_affect] = hedonic * np.maximum(-w[L.reward_pos_affect], 0.0) * rd + sg * p[P.sg_affect]
    s[S.lever_savoring] = sav * p[P.savoring_salience] + hedonic * np.maximum(-w[L.reward_salience], 0.0) * rd
    hv = p[SUP.home_visiting] * s[S.hv_eligible]
    regulation = mb * p[P.mbp_regulation] * np.maximum(-w[L.neg_affect_parenting], 0.0) * s[S.neg_affect]
    s[S.lever_parenting_skill] = regulation + ab * p[P.abc_parenting] + hv * p[SUP.hv_parenting]
    s[S.lever_parenting_stress] = mb * p[P.mbp_stress]
    s[S.lever_sensitivity_scale] = 1.0 + ab * p[P.abc_sensitivity] + sav * p[P.savoring_sensitivity]
    boost = p[SUP.peer_support] * p[SUP.peer_support_boost] + hv * p[SUP.hv_support] + sg * p[P.sg_support]
    s[S.support_eff] = np.minimum(s[S.support] + boost, 1.0)


FINAL = (
    *(Final(f"{g.key}_sessions", f"{g.key}_sessions", doc=f"{g.label} sessions attended") for g in PROGRAMMES),
    # MORE's practice and dose columns keep their first names.
    Final("practice_days", "more_practice_days", doc="days of MORE home practice"),
    Final("more_dose_end", "more_skill", doc="MORE dose at the end of follow-up (0-1)"),
    *(Final(f"{g.key}_start_day", f"{g.key}_start_day", "day", doc=f"day of the first {g.label} session")
      for g in PROGRAMMES),
    *(Final(f"{g.key}_practice_days", f"{g.key}_practice_days", doc=f"days of {g.label} practice")
      for g in PROGRAMMES[1:]),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""
__all__ = ["KEYS", "LABELS", "PROGRAMMES", "PROGRAMS", "TARGETS", "P", "U", "init", "gate", "step", "FINAL"]

"""The three-stage use cycle (Koob & Volkow) with lapses, relapses, quit attempts and recovery.

Binge/intoxication: attentional bias to drug cues grows with recent use and reward dysregulation;
a drug cue meets the mother on some days (more often when her network still uses, edge
``network_cue``) and, through cue reactivity, raises today's craving (phasic, edge
``attentional_bias_cue_reactivity`` then ``cue_reactivity_craving``); habit (automatic use)
builds with use and acts when a cue meets the mother: stimulus-response use that needs no craving
(Everitt & Robbins 2005). Withdrawal/negative affect: on abstinent days withdrawal rises with tolerance
unless MOUD suppresses it (a dose out of step after delivery lets some through). Preoccupation/
anticipation: background (tonic) craving relaxes toward a target raised by negative affect,
withdrawal, reward dysregulation, stress sensitization and parenting stress, and lowered by
positive affect and MOUD; today's craving is the tonic level plus the cue response. Negative affect
acts as a deviation from a reference centred on the population (``ref_neg_affect``), so the edge
``neg_affect_craving`` says how much worse or better moods move craving, not the level of craving
itself (which is the intercept's).

So lapses arise from cues and habit as well as from negative affect: stress contributes but is
neither necessary nor sufficient (Preston et al. 2018).

Recovery: harms of use accumulate slowly (``harm``); motivation to stop relaxes toward a target
raised by harms, a recent crisis (overdose, CPS report), pregnancy and bonding with the infant.
While using, a quit attempt happens with a daily hazard that grows with motivation (edge
``motivation_quit``); a quit attempt or entry into MOUD sets ``resolve``, which fades and, while
it lasts, lowers the odds of use (edge ``resolve_use``), keeps her away from the people, places and
things of use (stimulus control, edge ``resolve_cue``: fewer cues) and sends her to treatment
(edge ``resolve_moud_initiation``, :mod:`moud`). A day of use takes a share of resolve away
(``lapse_resolve_loss``: the abstinence violation effect), so an attempt holds only while she
stays abstinent: it succeeds when abstinence outlasts withdrawal and craving, and fails otherwise.
Each abstinent day she chooses builds abstinence self-efficacy (``self_efficacy``, time constant
``tau.self_efficacy``), which lowers the odds of use (edge ``self_efficacy_use``) and of which a
day of use takes a share (``lapse_efficacy_loss``), so the risk of relapse falls with the length
of abstinence (Hser et al. 2001). Spells of enforced abstinence (:mod:`abstinence_spells`) stop use
without building it. Self-control relaxes toward a ceiling (raised by motivation and mindfulness,
lowered by sleep loss, shifted per mother by a random effect) that craving and recent use erode;
it recovers once they fall. The slow states (habit, reward dysregulation, sensitization,
tolerance) give hysteresis (Grasman et al. 2016), but every state can be left: quit attempts,
treatment, spells and turning points (:mod:`turning_points`) end episodes, and cue-driven lapses
start them.

Her own propensity to use (random effect ``use``, SD ``individual.sd_use``, drawn afresh at a
turning point) shifts the daily log-odds of use for as long as it lasts. At enrolment her share of
use days is itself settled (``settle``): the daily use probability on an average day given the
slow states, and the slow states given that share, to their joint fixed point. ``initial_use``
is where that iteration starts: with a bistable cycle it decides, for a mother between the
basins, which one she starts in (heavy use or little).

A day of use is an event with log-odds ``use_logit + w.craving_use * craving + w.self_control_use *
self_control + w.habit_use * habit + w.resolve_use * resolve + ...`` (vulnerability = craving -
self-control - external support, Grasman et al. 2016, scaled from weeks to days).

Bookkeeping: a *lapse* is a use day outside a sustained episode (and at least ``relapse_window``
days after the previous lapse); it becomes a *relapse* when ``relapse_uses`` use days fall within
``relapse_window`` days of it; an episode ends in *remission* after ``abstinence_days`` without use.
A *return to use* is a use day after at least ``abstinence_days`` abstinent days (counted after
birth), when tolerance has been lost (see :mod:`dyadsim.model.modules.overdose`).

Sources: seed 000 §Allostatic Load Leads to ... Craving; Grasman, Grasman & van der Maas 2016
(PLoS ONE 11:e0158323); Preston et al. 2018 (Psychopharmacology 235:2713, craving and negative
mood before lapses, stress neither necessary nor sufficient); Marlatt & Gordon 1985 (lapse versus
relapse; stimulus control; self-efficacy); Bouton 2002 (Biol Psychiatry 52:976, extinction and relapse); Everitt & Robbins 2005 (Nat Neurosci 8:1481, cue-triggered habits); Hser, Hoffman, Grella & Anglin 2001 (Arch Gen Psychiatry 58:503, 33-year follow-up: relapse rare after 5 years of abstinence); seeds 003 and 004 (network, bonding, parenting stress).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import daily_probability, logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.individual import P as IND
from dyadsim.model.modules.abstinence_spells import in_spell
from dyadsim.model.modules.moud import reinforcement
from dyadsim.model.modules.turning_points import S as TP

P = declare_params("use_cycle", (
    Param("use_logit", -4.0, "logit", -8.0, -1.0, "assumed (with the mother's own propensity, random effect use, and "
          "the use share settled at enrolment)", "log-odds of a use day at zero craving and habit"),
    Param("other_sud_use", 0.3, "logit", 0.0, 1.0, "assumed (Shen 2020: 78.2% other SUD)", "other substance use disorder"),
    Param("cue_prob", 0.3, "1/day", 0.05, 0.8, "assumed", "daily probability of meeting a drug cue"),
    Param("bias_logit", -2.0, "logit", -4.0, 0.0, "assumed", "intercept of attentional bias"),
    Param("attention_regulation", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE mindfulness)",
          "attention regulation: lowers attentional bias"),
    Param("craving_logit", -1.0, "logit", -4.0, 1.5, "assumed (the earlier -2.5 at zero negative affect, re-expressed at "
          "ref_neg_affect)", "intercept of craving at the reference negative affect"),
    Param("ref_neg_affect", 0.6, "0-1", 0.3, 0.8,
          "assumed (centred on the usual-care population: mean negative affect 0.58 in the third trimester, 0.75 at "
          "three months postpartum)", "negative affect at which the neg_affect_craving edge adds nothing"),
    Param("craving_regulation", 0.0, "logit", 0.0, 3.0, "assumed (intervention target: MORE mindfulness)",
          "mindful coping with craving: lowers craving"),
    Param("self_control_max", 0.8, "0-1", 0.4, 1.0, "assumed (Grasman 2016 ceiling)", "ceiling of self-control"),
    Param("automaticity_disengagement", 0.0, "0-1", 0.0, 0.8, "assumed (intervention target: MORE mindfulness)",
          "share of habit-driven use interrupted by awareness"),
    Param("initial_use", 0.3, "0-1", 0.02, 0.9,
          "assumed (untreated OUD in pregnancy: use continues, less than before pregnancy)",
          "where the settling of her use share at enrolment starts (median, off MOUD; spread: individual.sd_use): "
          "it picks the basin, heavy use or little, of a mother between the two"),
    Param("habit_extinction_ratio", 4.0, "ratio", 1.0, 10.0, "assumed (Bouton 2002: extinction does not erase "
          "learning)", "how many times slower habit extinguishes than it builds"),
    Param("motivation_logit", -2.0, "logit", -4.0, 0.0, "assumed", "intercept of motivation to stop"),
    Param("quit_hazard", 0.01, "1/day", 0.001, 0.05, "assumed (several quit attempts a year while using)",
          "daily hazard of a quit attempt while using, at zero motivation"),
    Param("lapse_resolve_loss", 0.5, "share", 0.0, 1.0,
          "assumed (abstinence violation effect: a lapse undermines the resolve of an attempt; Marlatt & Gordon 1985; "
          "Curry, Marlatt & Gordon 1987)", "share of resolve lost on a day of use"),
    Param("lapse_efficacy_loss", 0.5, "share", 0.1, 1.0,
          "assumed (abstinence violation effect: a lapse lowers self-efficacy; Marlatt & Gordon 1985)",
          "share of abstinence self-efficacy lost on a day of use"),
    Param("abstinence_days", 14.0, "days", 7.0, 30.0, "assumed (tolerance lost within 1-2 weeks; MODEL.md)",
          "abstinent days that end an episode and make the next use a return to use"),
    Param("relapse_uses", 3.0, "days", 2.0, 7.0, "assumed (Marlatt & Gordon 1985: lapse versus relapse)",
          "use days within the window that turn a lapse into a relapse"),
    Param("relapse_window", 7.0, "days", 3.0, 30.0, "assumed", "window after a lapse in which a relapse forms"),
    Param("init_use_on_moud", 0.3, "share", 0.0, 1.0, "assumed (MOUD reduces illicit use)",
          "recent use on MOUD relative to without"),
))
U = declare_streams("use_cycle", (Stream("cue", "drug cue met today"), Stream("use", "a day of use"),
                                  Stream("quit", "a quit attempt today")))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Mothers enter with OUD at every stage: a first guess of her share of days with use is drawn
    around ``initial_use`` (random effect ``use``), lower on MOUD; she is in an episode when that
    use is sustained (by the relapse rule's own definition). The slow states are first guesses
    here; ``settle`` puts them and her use share at their joint equilibrium."""
    logit0 = np.log(p[P.initial_use] / (1.0 - p[P.initial_use]))
    x = logistic(logit0 + p[IND.sd_use] * s[S.re_use])
    x = x * (p[P.init_use_on_moud] + (1.0 - p[P.init_use_on_moud]) * (1.0 - s[S.on_moud]))
    s[S.intoxication] = x
    s[S.harm] = x
    s[S.in_episode] = 1.0 * (x * p[P.relapse_window] >= p[P.relapse_uses])
    for k in (S.habit, S.attentional_bias, S.craving, S.craving_tonic, S.self_control, S.withdrawal,
              S.tolerance, S.motivation):
        s[k] = 0.5
    s[S.cue_reactivity] = 0.0
    s[S.use_today] = 0.0
    s[S.days_since_use] = 0.0
    s[S.first_pp_use_day] = -1.0
    s[S.crisis] = 0.0
    s[S.resolve] = 0.0
    s[S.self_efficacy] = 0.0
    s[S.quit_attempts] = 0.0
    s[S.days_since_lapse] = 1e4
    s[S.uses_since_lapse] = 0.0
    s[S.lapses] = 0.0
    s[S.relapses] = 0.0
    s[S.remissions] = 0.0
    s[S.returns_pp] = 0.0
    s[S.return_today] = 0.0


def settle(s: np.ndarray, p: np.ndarray, w: np.ndarray) -> None:
    """The slow states at their equilibrium for her recent use ``x`` (intoxication, held): habit at
    its target; tolerance where its daily gain on use days (share ``x``) balances its loss on the
    others, ``x a / (x a + (1 - x) / tau)``, with the MOUD floor; withdrawal, bias, tonic craving,
    motivation and self-control at their targets on an average day (abstinent with probability
    ``1 - x``, no cue response). One round of :func:`dyadsim.model.modules.settle`."""
    on = s[S.on_moud]
    x = s[S.intoxication]
    s[S.habit] = _habit_target(w, x * reinforcement(s, p))
    a = w[L.use_tolerance] * x
    tol = np.maximum(a / np.maximum(a + (1.0 - x) / p[TAU.tolerance], 1e-12), w[L.moud_tolerance] * on)
    s[S.tolerance] = tol
    s[S.withdrawal] = _withdrawal_target(s, w, tol, x, on)
    s[S.attentional_bias] = _bias_target(s, p, w)
    ct = _craving_target(s, p, w, on, s[S.born])
    s[S.craving_tonic] = ct
    s[S.craving] = ct
    s[S.motivation] = _motivation_target(s, p, w)
    sc = _self_control_target(s, p, w, s[S.motivation], ct)
    s[S.self_control] = sc
    # Self-efficacy where its daily growth on abstinent days balances its loss on use days.
    g = (1.0 - x) / p[TAU.self_efficacy]
    s[S.self_efficacy] = g / np.maximum(g + x * p[P.lapse_efficacy_loss], 1e-12)
    # Her share of use days is itself at equilibrium: the daily use probability on an average day
    # (tonic craving, a cue with its daily probability, no attempt under way), half a step per round
    # so that the iteration settles rather than oscillates.
    x_t = logistic(_use_logit(s, p, w, ct, sc, p[P.cue_prob], 0.0, on))
    s[S.intoxication] = x_t


@register_jitable
def _use_logit(s, p, w, c, sc, cue, res, on):  # type: ignore[no-untyped-def]
    """Log-odds of a day's use; her own propensity (random effect ``use``) shifts it for good."""
    return (p[P.use_logit] + p[IND.sd_use] * s[TP.use_propensity] + w[L.craving_use] * c + w[L.self_control_use] * sc
            + w[L.habit_use] * s[S.habit] * cue * (1.0 - np.minimum(p[P.automaticity_disengagement] + s[S.lever_automaticity], 1.0))
            + w[L.resolve_use] * res + w[L.self_efficacy_use] * s[S.self_efficacy]
            + w[L.support_use] * s[S.support_eff] + w[L.moud_use] * on
            + w[L.pregnancy_use] * s[S.pregnant] + p[P.other_sud_use] * s[S.other_sud])


@register_jitable
def _bias_target(s, p, w):  # type: ignore[no-untyped-def]
    return logistic(p[P.bias_logit] - p[P.attention_regulation] - s[S.lever_attention]
                    + w[L.use_attentional_bias] * s[S.intoxication]
                    + w[L.reward_attentional_bias] * s[S.reward_dysregulation])


@register_jitable
def _craving_target(s, p, w, on, born):  # type: ignore[no-untyped-def]
    return logistic(p[P.craving_logit] - p[P.craving_regulation] - s[S.lever_craving]
                    + w[L.neg_affect_craving] * (s[S.neg_affect] - p[P.ref_neg_affect])
                    + w[L.withdrawal_craving] * s[S.withdrawal]
                    + w[L.reward_craving] * s[S.reward_dysregulation]
                    + w[L.sensitization_craving] * s[S.stress_sensitization]
                    + w[L.pos_affect_craving] * s[S.pos_affect]
                    + w[L.parenting_stress_craving] * s[S.parenting_stress] * born
                    + w[L.moud_craving] * s[S.moud_dose_adequacy] * on)


@register_jitable
def _motivation_target(s, p, w):  # type: ignore[no-untyped-def]
    return logistic(p[P.motivation_logit] + w[L.harm_motivation] * s[S.harm]
                    + w[L.crisis_motivation] * s[S.crisis]
                    + w[L.pregnancy_motivation] * s[S.pregnant]
                    + w[L.bonding_motivation] * s[S.bonding] * s[S.born] * (1.0 - s[S.separated]))


@register_jitable
def _self_control_target(s, p, w, mot, ct):  # type: ignore[no-untyped-def]
    sc_max = (p[P.self_control_max] + p[IND.sd_self_control] * s[S.re_self_control] + s[S.lever_self_control]
              + w[L.motivation_self_control] * mot + w[L.sleep_self_control] * s[S.sleep_loss])
    return np.minimum(np.maximum(sc_max + w[L.craving_self_control] * ct
                                 + w[L.use_self_control] * s[S.intoxication], 0.0), 1.0)


@register_jitable
def _habit_target(w, intox):  # type: ignore[no-untyped-def]
    return np.minimum(w[L.use_habit] * intox, 1.0)


@register_jitable
def _withdrawal_target(s, w, tol, use, on):  # type: ignore[no-untyped-def]
    return np.minimum(np.maximum(w[L.tolerance_withdrawal] * tol * (1.0 - use) * (1.0 + w[L.moud_withdrawal] * s[S.moud_dose_adequacy] * on)
                                 + w[L.dose_mismatch_withdrawal] * s[S.dose_mismatch] * on, 0.0), 1.0)


@register_jitable
def _craving(s, p, w, u, on, born):  # type: ignore[no-untyped-def]
    """Attentional bias, today's cue and the reactivity to it, tonic and today's craving.
    Returns (cue, tonic craving, today's craving)."""
    ab = relax(s[S.attentional_bias], _bias_target(s, p, w), p[TAU.attentional_bias])
    s[S.attentional_bias] = ab
    # Cues: more often when family or friends who give support still use (seed 003).
    # In a quit attempt she avoids the people, places and things of use (stimulus control).
    cue_p = np.minimum(p[P.cue_prob] * np.exp(w[L.network_cue] * s[S.network_use] * s[S.support_eff]
                                              + w[L.resolve_cue] * s[S.resolve]), 1.0)
    cue = 1.0 * (u[U.cue] < cue_p)
    cue_sens = np.exp(p[IND.sd_cue] * s[S.re_cue])
    # Cue reactivity: the learned drug association (habit, which extinguishes slowly) amplified by
    # attentional bias to the cue (Field & Cox 2008); it persists into abstinence.
    cr = np.minimum(s[S.lever_cue_scale] * cue * cue_sens * (s[S.habit] + w[L.attentional_bias_cue_reactivity] * ab), 1.0)
    s[S.cue_reactivity] = cr
    c_t = _craving_target(s, p, w, on, born)
    ct = relax(s[S.craving_tonic], c_t, p[TAU.craving])
    s[S.craving_tonic] = ct
    # Today's craving: the tonic level plus the phasic response to a cue (gap to 1 closed).
    c = ct + (1.0 - ct) * w[L.cue_reactivity_craving] * cr
    s[S.craving] = c
    return cue, ct, c


@register_jitable
def _motivation(s, p, w, u, on, alive, born):  # type: ignore[no-untyped-def]
    """Harms, crisis and motivation to stop; quit attempts while using; resolve, renewed by a quit
    attempt or by entry into MOUD today. Returns (motivation, resolve)."""
    s[S.harm] = relax(s[S.harm], s[S.intoxication], p[TAU.harm])
    report_today = s[S.cps_report] * (s[S.cps_report_day] == s[S.pp_day])
    shock = np.minimum(s[S.od_today] + report_today, 1.0)
    s[S.crisis] = s[S.crisis] * (1.0 - 1.0 / p[TAU.crisis]) + shock * (1.0 - s[S.crisis])
    mot = relax(s[S.motivation], _motivation_target(s, p, w), p[TAU.motivation])
    s[S.motivation] = mot
    using = 1.0 * (s[S.days_since_use] < p[P.abstinence_days]) * alive
    h_quit = p[P.quit_hazard] * np.exp(w[L.motivation_quit] * mot)
    quit = using * (u[U.quit] < daily_probability(h_quit))
    s[S.quit_attempts] = s[S.quit_attempts] + quit
    moud_entry = on * (s[S.moud_episode_days] == 1.0)
    renew = np.minimum(quit + moud_entry, 1.0)
    res = s[S.resolve] * (1.0 - 1.0 / p[TAU.resolve])
    res = res + renew * (1.0 - res)
    s[S.resolve] = res
    return mot, res


@register_jitable
def _episodes(s, p, use, born):  # type: ignore[no-untyped-def]
    """Lapses, relapses, remissions, returns to use and the first postpartum use, from today's use.
    Returns the days since use after today."""
    ds = s[S.days_since_use]
    returning = use * (ds >= p[P.abstinence_days])
    s[S.returns_pp] = s[S.returns_pp] + returning * born
    s[S.return_today] = returning
    in_ep = s[S.in_episode]
    lapse = use * (1.0 - in_ep) * (s[S.days_since_lapse] >= p[P.relapse_window])
    dsl = (1.0 - lapse) * (s[S.days_since_lapse] + 1.0)
    usl = lapse + (1.0 - lapse) * (s[S.uses_since_lapse] + use * (1.0 - in_ep))
    relapse = (1.0 - in_ep) * use * (usl >= p[P.relapse_uses]) * (dsl < p[P.relapse_window])
    ds_new = (1.0 - use) * (ds + 1.0)
    remit = in_ep * (1.0 - use) * (ds_new == p[P.abstinence_days])
    s[S.lapses] = s[S.lapses] + lapse
    s[S.relapses] = s[S.relapses] + relapse
    s[S.remissions] = s[S.remissions] + remit
    s[S.in_episode] = in_ep + relapse - remit
    s[S.days_since_lapse] = dsl
    s[S.uses_since_lapse] = (1.0 - relapse) * usl
    first_pp = use * born * (s[S.first_pp_use_day] < 0.0)
    s[S.first_pp_use_day] = s[S.first_pp_use_day] + first_pp * (s[S.pp_day] + 1.0)
    return ds_new


@register_jitable
def _after_use(s, p, w, use, on):  # type: ignore[no-untyped-def]
    """Intoxication, habit (learned faster than it extinguishes), withdrawal and tolerance after
    today's use or abstinence. Returns the new tolerance."""
    s[S.intoxication] = relax(s[S.intoxication], w[L.use_intoxication] * use, p[TAU.intoxication])
    # Habits are learned faster than they extinguish: extinction is new learning that leaves the
    # old association in place (Bouton 2002), so cue-triggered use outlasts a period of abstinence.
    habit_t = _habit_target(w, s[S.intoxication] * reinforcement(s, p))
    fading = 1.0 * (habit_t < s[S.habit])
    habit_tau = p[TAU.habit] * (1.0 + fading * (p[P.habit_extinction_ratio] - 1.0))
    s[S.habit] = relax(s[S.habit], habit_t, habit_tau)
    tol = s[S.tolerance]
    s[S.withdrawal] = relax(s[S.withdrawal], _withdrawal_target(s, w, tol, use, on), p[TAU.withdrawal])
    tol = use * (tol + w[L.use_tolerance] * (1.0 - tol)) + (1.0 - use) * tol * (1.0 - 1.0 / p[TAU.tolerance])
    return np.maximum(tol, w[L.moud_tolerance] * on)


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day: bias and cue, craving, motivation and quit attempts, self-control, the use
    decision, then episode bookkeeping, intoxication, habit, withdrawal and tolerance."""
    on = s[S.on_moud]
    alive = s[S.alive]
    born = s[S.born]
    cue, ct, c = _craving(s, p, w, u, on, born)
    mot, res = _motivation(s, p, w, u, on, alive, born)
    sc = relax(s[S.self_control], _self_control_target(s, p, w, mot, ct), p[TAU.self_control])
    s[S.self_control] = sc
    # No use in a spell of enforced abstinence (jail, hospital, detoxification).
    spell = in_spell(s)
    use = alive * (1.0 - spell) * (u[U.use] < logistic(_use_logit(s, p, w, c, sc, cue, res, on)))
    s[S.use_today] = use
    # A lapse undermines the attempt's resolve (abstinence violation effect): an attempt holds only
    # while she stays abstinent, so it can fail as well as succeed.
    s[S.resolve] = res * (1.0 - p[P.lapse_resolve_loss] * use)
    # Self-efficacy grows with each abstinent day she chose (not in a spell of enforced abstinence)
    # and a lapse takes a share of it away, so relapse risk falls with the length of abstinence
    # (Hser et al. 2001).
    se = s[S.self_efficacy]
    s[S.self_efficacy] = alive * (use * se * (1.0 - p[P.lapse_efficacy_loss])
                                 + (1.0 - use) * (se + (1.0 - spell) * (1.0 - se) / p[TAU.self_efficacy]))
    s[S.days_since_use] = _episodes(s, p, use, born)
    s[S.tolerance] = _after_use(s, p, w, use, on)


FINAL = (
    Final("first_pp_use_day", "first_pp_use_day", "day", doc="postpartum day of the first use"),
    *(Final(k, k, doc=f"{k.replace('_', ' ')} (count)") for k in ("lapses", "relapses", "remissions", "quit_attempts",
                                                                  "returns_pp")),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (
    Recorded("use_days", "use_today", report="sum", trimesters=True, year_total=True, pregnancy_total=True,
             doc="days of opioid use"),
    Recorded("craving", "craving", trimesters=True, doc="craving (0-1, latent)"),
    Recorded("withdrawal", "withdrawal", doc="withdrawal (0-1, latent)"),
    Recorded("self_control", "self_control", doc="executive self-control (0-1, latent)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

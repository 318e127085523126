"""Attachment as a developing infant state: a working model of care learned from responses to bids.

Every day of the first postpartum year the infant bids for care and its **actual caregiver**
responds (its distress bids above all: McElwain & Booth-LaForce 2006): the mother while they are together (a bid she misses is picked up by another caregiver of
the household with probability ``other_share x other_care``, edge ``other_care_attachment``); the substitute caregiver while apart (NICU
staff, kin or foster care after removal, whoever cares for the infant after the mother's death;
sensitivity ``other_care`` drawn at birth in :mod:`dyadsim.model.modules.infant`). Today's care is the
caregiver's sensitivity with a day-to-day fluctuation on the logit scale (``day_sd``, wider on a
day the mother cares while intoxicated: ``intox_sd``), shifted by the dyad's **nurturance**, the
response to distress bids beyond general sensitivity (a logit offset of SD ``nurturance_sd``
drawn at birth: sensitivity to distress predicts security over and above sensitivity to
non-distress, McElwain & Booth-LaForce 2006; ABC targets it, Bernard et al. 2012). One uniform decides today's experience:

* the bid is **answered and the infant soothed** with probability ``(basic_care + (1 -
  basic_care) x care) x soothability`` (routine caretaking answers some bids whatever the
  sensitivity; sensitivity decides the rest)
  (plus ``synchrony_attachment`` x synchrony above reference while with the mother);
* otherwise it is **rejected** with probability ``(1 - care) x (reject_share +
  parenting_stress_rejection x parenting stress)`` (stress makes harsh, rejecting responses more
  likely), or simply missed.

The infant learns with learning rate ``1 / tau.attachment`` (a delta rule, Rescorla & Wagner
1972; Bowlby's internal working model):

* ``att_expect``: expectation that bids are answered and soothed (the reliability of care);
* ``att_reject``: expectation that bids are rejected (source of **avoidance**);
* ``att_inconsistency``: the squared deviation of today's care from what the infant expects,
  averaged: unpredictability **net of trend**, because the expectation follows a steady change
  (a mother who improves steadily is not inconsistent; one who swings is). Source of **resistance**;
* ``att_fright``: frightening or frightened care, a leaky sum (time constant ``fright_days``) of
  days of care while intoxicated (``intoxicated_care_attachment``), changes of caregiver
  (separation or reunion, ``separation_attachment``) and rejections weighted by parenting stress
  (maltreatment risk, ``hostility_attachment``). Source of **disorganization**.

Continuous scores on a logit scale are computed every day from these states; at 12 months
(postpartum day 364) they are classified by a declared rule, with assessment error (logistic
errors of SD ``assessment_sd`` on the security score and ``assessment_sd_dis`` on the
disorganization score: a Strange Situation is one observation, and classifications are only
moderately stable across occasions, Pinquart et al. 2013; van IJzendoorn et al. 1999). The
continuous scores are the latent states, without that error; the class is the observation:

1. disorganized if ``disorganization + e_d > 0``;
2. else secure if ``security + e_s > 0``;
3. else avoidant if ``avoidance >= resistance``, otherwise resistant.

Scores: ``security = secure_logit + parenting_attachment x (expect - ref_expect) + 1/2
rejection_attachment x (reject - ref_reject) + 1/2 inconsistency_attachment x (inconsistency -
ref_inconsistency) + 1/2 temperament_attachment x temperament``; ``avoidance = -rejection_attachment
x (reject - ref_reject)``; ``resistance = resistant_bias - inconsistency_attachment x
(inconsistency - ref_inconsistency) - temperament_attachment x temperament``; ``disorganization
= disorganized_logit + fright_scale x (fright - ref_fright)``. The class therefore reflects the
last months of care most (the caregiver at 12 months), and infants of mothers who died are
classified from the care of whoever raised them afterwards, not from the mother's record.

Sources: Ainsworth et al. 1978 (sensitive -> secure; rejecting -> avoidant; inconsistent ->
resistant); Main & Hesse 1990 and Cittern, Nolte, Friston & Edalat 2018 (PLoS ONE 13:e0193955:
frightening or contradictory care -> disorganized); van IJzendoorn, Schuengel &
Bakermans-Kranenburg 1999 (~15% disorganized in normative samples, 2-3x in clinical groups);
De Wolff & van IJzendoorn 1997 (sensitivity-security r = .24: sensitivity is important but not
exclusive); Groh et al. 2017 (temperament); Dozier et al. 2001 (foster infants' attachment
follows the foster caregiver); Bernard et al. 2012 (ABC: nurturance and non-frightening care).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.infant import logistic_z

CLASSIFY_DAY = 364.0  # last day of the first postpartum year (pp days 0..364)
CLASSES = ("secure", "avoidant", "resistant", "disorganized")

P = declare_params("attachment", (
    Param("prior_expect", 0.6, "0-1", 0.3, 0.9, "assumed", "expectation of a newborn before any learning"),
    Param("nurturance_sd", 2.0, "logit", 0.0, 2.5,
          "assumed (sensitivity to distress predicts security beyond sensitivity to non-distress: McElwain & Booth-LaForce 2006)",
          "SD between dyads of the response to distress bids beyond general sensitivity"),
    Param("basic_care", 0.4, "share", 0.0, 0.8,
          "assumed (routine caretaking, feeding and holding, answers many bids whatever the sensitivity)",
          "share of bids answered by routine caretaking regardless of sensitivity"),
    Param("day_sd", 0.5, "logit", 0.0, 1.5, "assumed", "day-to-day fluctuation of the caregiver's responses"),
    Param("intox_sd", 1.5, "logit", 0.0, 3.0, "assumed (care while intoxicated is unpredictable)",
          "extra fluctuation on a day the mother cares while intoxicated"),
    Param("reject_share", 0.2, "share", 0.0, 0.8, "assumed", "share of unmet bids met with rejection at zero stress"),
    Param("ref_sync", 0.5, "0-1", 0.2, 0.9, "assumed", "reference synchrony"),
    Param("fright_days", 120.0, "days", 30.0, 365.0, "assumed (disorganization builds and fades slowly)",
          "time constant of the frightening-care memory"),
    Param("ref_expect", 0.5, "0-1", 0.1, 0.9, "assumed (reference reliability of care)", "reference expectation"),
    Param("ref_reject", 0.15, "0-1", 0.0, 0.4, "assumed", "reference expectation of rejection"),
    Param("ref_inconsistency", 0.012, "0-1", 0.0, 0.1, "assumed", "reference learned inconsistency"),
    Param("ref_fright", 0.02, "0-1", 0.0, 0.2, "assumed", "reference fright"),
    Param("secure_logit", 0.3, "logit", -3.0, 3.0, "assumed (secure the majority at reference care)",
          "security score at reference care"),
    Param("resistant_bias", 0.0, "logit", -4.0, 2.0, "assumed (resistant rarer than avoidant; van IJzendoorn & Kroonenberg 1988)",
          "resistance against avoidance among insecure-organized infants"),
    Param("disorganized_logit", -1.2, "logit", -4.0, 2.0, "assumed (van IJzendoorn et al. 1999: ~15% normative)",
          "disorganization score at reference fright"),
    Param("fright_scale", 15.0, "logit per unit", 5.0, 80.0, "assumed", "disorganization logit per unit of fright"),
    Param("assessment_sd", 2.5, "logit", 0.0, 4.0,
          "assumed (Strange Situation classifications are only moderately stable across occasions: Pinquart et al. 2013)",
          "SD of the occasion and coding error of the security score in the 12-month classification"),
    Param("assessment_sd_dis", 1.5, "logit", 0.0, 4.0,
          "assumed (disorganization moderately stable, r = .34: van IJzendoorn et al. 1999)",
          "SD of the occasion and coding error of the disorganization score"),
    Param("abc_nurture_logit", 1.5, "logit", 0.0, 3.0,
          "assumed (Bernard et al. 2012: ABC coaches nurturance when the infant is distressed)",
          "better response to distress bids at full attachment-programme skill"),
    Param("abc_nurturance", 0.5, "share", 0.0, 1.0, "assumed (Bernard et al. 2012: ABC targets nurturance)",
          "share of rejecting responses turned nurturing at full attachment-programme skill"),
    Param("abc_frightening", 0.5, "share", 0.0, 1.0, "assumed (Bernard et al. 2012: ABC targets frightening behaviour)",
          "share of frightening care avoided at full attachment-programme skill"),
))
U = declare_streams("attachment", (
    Stream("nurturance", "response to distress bids beyond general sensitivity, drawn at birth"),
    Stream("care", "day-to-day fluctuation of the caregiver's responses"),
    Stream("response", "today's experience of the infant's bids"),
    Stream("classify", "assessment error of the security score at 12 months"),
    Stream("classify_dis", "assessment error of the disorganization score at 12 months"),
))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only in the first postpartum year."""
    return (s[S.born] > 0.5) & (s[S.pp_day] <= CLASSIFY_DAY)


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Empty accumulators; the newborn's prior expectations."""
    for k in (S.care_days, S.sens_sum, S.sens_sq_sum, S.sync_sum, S.intox_care_days, S.sep_days,
              S.distress_sum, S.pp_use_days, S.caregiver_care, S.nurturance, S.att_fright, S.att_inconsistency):
        s[k] = 0.0
    s[S.attachment] = -1.0
    s[S.with_mother] = 1.0
    s[S.att_expect] = p[P.prior_expect]
    s[S.att_reject] = p[P.ref_reject]
    s[S.att_security] = p[P.secure_logit]
    s[S.att_avoidance] = 0.0
    s[S.att_resistance] = p[P.resistant_bias]
    s[S.att_disorganization] = p[P.disorganized_logit]


@register_jitable
def scores(s, p, w):  # type: ignore[no-untyped-def]
    """(security, avoidance, resistance, disorganization) scores from the learned states."""
    e = s[S.att_expect] - p[P.ref_expect]
    r = s[S.att_reject] - p[P.ref_reject]
    v = s[S.att_inconsistency] - p[P.ref_inconsistency]
    temp = s[S.temperament]
    sec = (p[P.secure_logit] + w[L.parenting_attachment] * e + 0.5 * w[L.rejection_attachment] * r
           + 0.5 * w[L.inconsistency_attachment] * v + 0.5 * w[L.temperament_attachment] * temp)
    av = -w[L.rejection_attachment] * r
    res = p[P.resistant_bias] - w[L.inconsistency_attachment] * v - w[L.temperament_attachment] * temp
    dis = p[P.disorganized_logit] + p[P.fright_scale] * (s[S.att_fright] - p[P.ref_fright])
    return sec, av, res, dis


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Accumulate the first year of care, learn from today's responses, classify on day 364."""
    pp = s[S.pp_day]
    year = s[S.born] * (pp <= CLASSIFY_DAY)
    sep = s[S.separated]
    together = 1.0 - sep
    mother = s[S.parenting]
    # Descriptive accumulators of the mother's care (kept for well-being and outputs).
    care = year * together
    s[S.care_days] = s[S.care_days] + care
    s[S.sens_sum] = s[S.sens_sum] + care * mother
    s[S.sens_sq_sum] = s[S.sens_sq_sum] + care * mother * mother
    s[S.sync_sum] = s[S.sync_sum] + care * s[S.synchrony]
    s[S.intox_care_days] = s[S.intox_care_days] + care * s[S.use_today]
    s[S.sep_days] = s[S.sep_days] + year * sep
    s[S.distress_sum] = s[S.distress_sum] + year * s[S.infant_distress]
    s[S.pp_use_days] = s[S.pp_use_days] + year * s[S.use_today]
    # --- today's caregiver and care ---------------------------------------------------------
    share = w[L.other_care_attachment] * s[S.other_share]
    other = s[S.other_care]
    base = together * mother + sep * other
    base = np.minimum(np.maximum(base, 1e-6), 1.0 - 1e-6)
    intox = together * s[S.use_today] * s[S.alive]
    sd = p[P.day_sd] + p[P.intox_sd] * intox
    at_birth = s[S.born] * (pp == 0.0)
    s[S.nurturance] = s[S.nurturance] + at_birth * (p[P.nurturance_sd] * logistic_z(u[U.nurturance]) - s[S.nurturance])
    abc = together * s[S.abc_skill]
    c = logistic(np.log(base / (1.0 - base)) + s[S.nurturance] + p[P.abc_nurture_logit] * abc
                 + sd * logistic_z(u[U.care]))
    # --- today's experience of the infant's bids ----------------------------------------------
    # A bid the mother misses may be picked up by another caregiver in the household.
    c = c + together * share * other * (1.0 - c)
    s[S.caregiver_care] = s[S.caregiver_care] + year * (c - s[S.caregiver_care])
    answered = p[P.basic_care] + (1.0 - p[P.basic_care]) * c
    p_ok = np.minimum(np.maximum(answered * s[S.soothability]
                                 + w[L.synchrony_attachment] * together * (s[S.synchrony] - p[P.ref_sync]), 0.0), 1.0)
    rho = np.minimum(p[P.reject_share] + w[L.parenting_stress_rejection] * together * s[S.parenting_stress], 1.0) \
        * (1.0 - p[P.abc_nurturance] * abc)
    x = u[U.response]
    ok = 1.0 * (x < p_ok)
    rej = (1.0 - ok) * (x < p_ok + (1.0 - p_ok) * (1.0 - c) * rho)
    # --- learning (delta rule, rate 1/tau.attachment) ------------------------------------------
    a = year / p[TAU.attachment]
    expect = s[S.att_expect]
    dev = answered * s[S.soothability] - expect
    s[S.att_inconsistency] = s[S.att_inconsistency] + a * (dev * dev - s[S.att_inconsistency])
    s[S.att_expect] = expect + a * (ok - expect)
    s[S.att_reject] = s[S.att_reject] + a * (rej - s[S.att_reject])
    switch = (pp > 0.0) * np.abs(together - s[S.with_mother])
    fright = (1.0 - p[P.abc_frightening] * abc) * (-w[L.intoxicated_care_attachment] * intox
                                                   - w[L.hostility_attachment] * rej * together * s[S.parenting_stress]) \
        - w[L.separation_attachment] * switch
    s[S.att_fright] = s[S.att_fright] + year * (fright - s[S.att_fright]) / p[P.fright_days]
    s[S.with_mother] = s[S.with_mother] + year * (together - s[S.with_mother])
    # --- scores and the 12-month classification ------------------------------------------------
    sec, av, res, dis = scores(s, p, w)
    s[S.att_security] = s[S.att_security] + year * (sec - s[S.att_security])
    s[S.att_avoidance] = s[S.att_avoidance] + year * (av - s[S.att_avoidance])
    s[S.att_resistance] = s[S.att_resistance] + year * (res - s[S.att_resistance])
    s[S.att_disorganization] = s[S.att_disorganization] + year * (dis - s[S.att_disorganization])
    e_s = p[P.assessment_sd] * logistic_z(u[U.classify])
    e_d = p[P.assessment_sd_dis] * logistic_z(u[U.classify_dis])
    is_dis = 1.0 * (dis + e_d > 0.0)
    is_sec = (1.0 - is_dis) * (sec + e_s > 0.0)
    insecure = (1.0 - is_dis) * (1.0 - is_sec)
    cls = insecure * (1.0 + 1.0 * (res > av)) + 3.0 * is_dis
    now = 1.0 * (pp == CLASSIFY_DAY)
    s[S.attachment] = s[S.attachment] + now * (cls + 1.0)


FINAL = (
    Final("attachment", "attachment", "category", categories=CLASSES, doc="attachment class at 12 months"),
    *(Final(f"attachment_{name}", state, only_if="attachment", doc=f"attachment {name} score (logit)")
      for name, state in (("security", "att_security"), ("avoidance", "att_avoidance"),
                          ("resistance", "att_resistance"), ("disorganization", "att_disorganization"),
                          ("expectation", "att_expect"), ("rejection", "att_reject"),
                          ("inconsistency", "att_inconsistency"), ("fright", "att_fright"))),
    Final("infant_nurturance", "nurturance", doc="nurturance the infant received in the first year"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`). The continuous scores sit
beside the class (logit scale; the class is the declared rule applied to them with assessment error)."""

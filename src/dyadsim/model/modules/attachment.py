"""Attachment as a developing infant state: a working model of care learned from responses to bids.

Every day of the first postpartum year the infant bids for care and its **actual caregiver**
responds (its distress bids above all: McElwain & Booth-LaForce 2006): the mother while they are together (a bid she misses is picked up by another caregiver of
the household with probability ``other_share x other_care``, edge ``other_care_attachment``); the substitute caregiver while apart (NICU
staff, kin or foster care after removal, whoever cares for the infant after the mother's death;
sensitivity ``other_care`` drawn at birth in :mod:`dyadsim.model.modules.infant`). Today's care is the
caregiver's sensitivity with a day-to-day fluctuation on the logit scale (``day_sd``, wider on a
day the mother cares while intoxicated: ``intox_sd``), shifted by the dyad's **nurturance**, the
response to distress bids beyond general sensitivity (a logit offset of SD ``nurturance_sd``, smaller
than the SD of the mother's general disposition, drawn at birth: sensitivity to distress predicts security over and above sensitivity to
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
* ``att_fright``: the infant's exposure to **frightening or frightened care** (Main & Hesse 1990;
  anomalous parenting, Madigan et al. 2006), the leaky average (time constant ``fright_days``) of
  the daily probability that care frightens it. While with the mother that probability is
  ``logistic(fright_logit + fright_trait - aces_attachment x (aces - ref_aces) - depression_attachment
  x (depression - ref_depression) - hostility_attachment x (parenting stress - ref_parenting_stress)
  - intoxicated_care_attachment x intoxicated today) x (1 - abc_frightening x ABC skill)``:
  disorganization has several sources, and care while intoxicated is one of them, no larger than
  the others (the meta-analytic association of maternal substance use with disorganization is weak,
  r = .15, not significant, 7 studies, N = 1,589; cumulative risk matters most: Hyysalo, Gastelle
  & Flykt 2021). The sources are the mother's adverse childhood experiences (unresolved trauma:
  unresolved states of mind -> anomalous behaviour r = .26, anomalous behaviour -> disorganization
  r = .34, Madigan et al. 2006), her depressive symptoms (withdrawn, frightened care: Lyons-Ruth),
  parenting stress (hostile, intrusive care; maltreatment: Cyr et al. 2010), care while
  intoxicated, and a mother-level propensity ``fright_trait`` (SD ``fright_sd``, drawn at birth) for
  the sources not modelled as covariates (unresolved loss, intimate-partner violence: Madigan et al.
  find most of the transmission unexplained). Every covariate is centred on the usual-care
  population, so ``fright_logit`` is the log-odds of a frightening day at the population's
  reference. Substitute caregivers frighten on a share ``fright_substitute`` of days. A change of
  caregiver (separation or reunion, ``separation_attachment``) closes a share of the gap to full
  fright (so the state stays in [0, 1] by construction). The attachment programme ABC acts here:
  it coaches the mother out of frightening behaviour (``abc_frightening``; Bernard et al. 2012:
  disorganized 32% vs 57% with the control intervention) and toward nurturance
  (``abc_nurture_logit``, ``abc_nurturance``). Source of **disorganization**.

Continuous scores on a logit scale are computed every day from these states; at 12 months
(postpartum day 364) they are classified by a declared rule, with assessment error (logistic
errors of SD ``assessment_sd`` on the security score and ``assessment_sd_dis`` on the
disorganization score: a Strange Situation is one observation). The error SDs are derived from
the published stability of the classification: for a latent score of SD ``sd_L`` in the
population observed with independent errors of SD ``sd_e`` on two occasions, the correlation of
the two observed liabilities is ``rho = sd_L^2 / (sd_L^2 + sd_e^2)``, and the phi coefficient
``r`` of the two dichotomised classifications relates to it by ``rho = sin(pi r / 2)`` (Sheppard's
relation for a split near the median), so ``sd_e = sd_L x sqrt((1 - rho) / rho)``. With
secure/insecure stability r = .28 (Opie et al. 2021, meta-analysis of Strange Situation
stability) and sd_L = 1.7 (usual care), ``assessment_sd`` = 2.0; with disorganization stability
r = .34 (van IJzendoorn et al. 1999) and sd_L = 1.1, ``assessment_sd_dis`` = 1.1. The published
stabilities span months and include true change, so these are upper bounds on the error. The
continuous scores are the latent states, without that error; the class is the observation:

1. disorganized if ``disorganization + e_d > 0``;
2. else secure if ``security + e_s > 0``;
3. else avoidant if ``avoidance >= resistance``, otherwise resistant.

Reference points. Every reference point of the scores (``ref_expect``, ``ref_reject``,
``ref_inconsistency``, ``ref_fright``), of the synchrony term (``ref_sync``) and of the fright
covariates (``ref_aces``, ``ref_depression``, ``ref_parenting_stress``) has its prior centred on the
usual-care population mean of what it is subtracted from (measured at 12 months or over the first
year, 4,000 dyads; ``ref_aces`` is the population file's mean), with a range around it, so that an
edge's sign means the same for a typical dyad as in its source and the intercepts
(``secure_logit``, ``disorganized_logit``) are the scores of a dyad at the population mean.

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
Bakermans-Kranenburg 1999 (~15% disorganized in normative samples, 2-3x in clinical groups;
disorganization stability r = .34); Madigan et al. 2006 (Attach Hum Dev 8:89); Hyysalo, Gastelle &
Flykt 2021 (Dev Psychopathol 34:1231); Opie et al. 2021 (Attach Hum Dev 23:897);
De Wolff & van IJzendoorn 1997 (sensitivity-security r = .24: sensitivity is important but not
exclusive); Groh et al. 2017 (temperament); Dozier et al. 2001 (foster infants' attachment
follows the foster caregiver); Bernard et al. 2012 (ABC: nurturance and non-frightening care; Child Dev 83:623).
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
    Param("nurturance_sd", 0.5, "logit", 0.0, 1.5,
          "assumed (sensitivity to distress predicts security beyond sensitivity to non-distress: McElwain & Booth-LaForce 2006; "
          "set below the SD 0.7 of the mother's general disposition, which it adds to; 2.0 before issue 18 made it the "
          "largest source of security variance, unidentified)",
          "SD between dyads of the response to distress bids beyond general sensitivity"),
    Param("basic_care", 0.4, "share", 0.0, 0.8,
          "assumed (routine caretaking, feeding and holding, answers many bids whatever the sensitivity)",
          "share of bids answered by routine caretaking regardless of sensitivity"),
    Param("day_sd", 0.5, "logit", 0.0, 1.5, "assumed", "day-to-day fluctuation of the caregiver's responses"),
    Param("intox_sd", 1.5, "logit", 0.0, 3.0, "assumed (care while intoxicated is unpredictable)",
          "extra fluctuation on a day the mother cares while intoxicated"),
    Param("reject_share", 0.2, "share", 0.0, 0.8, "assumed", "share of unmet bids met with rejection at zero stress"),
    Param("ref_sync", 0.28, "0-1", 0.1, 0.5,
          "usual-care population mean of first-year synchrony while together (measured; prior centred on it)",
          "reference synchrony"),
    Param("fright_days", 120.0, "days", 30.0, 365.0, "assumed (disorganization builds and fades slowly)",
          "time constant of the frightening-care memory"),
    Param("fright_logit", -2.5, "logit", -4.5, -0.5,
          "assumed (anomalous, frightening or frightened caregiving is episodic: Madigan et al. 2006)",
          "log-odds that a day of the mother's care is frightening or frightened, at the population's reference covariates"),
    Param("ref_aces", 4.3, "count", 3.0, 5.5,
          "population mean (Gannon et al. 2021: ACE mean 4.3, population.yaml)", "reference ACE score"),
    Param("ref_depression", 0.68, "0-1", 0.5, 0.85,
          "usual-care population mean of first-year depressive symptoms (measured: scripts/structure_review.py cohort)",
          "reference depressive symptoms"),
    Param("ref_parenting_stress", 0.65, "0-1", 0.4, 0.8,
          "usual-care population mean of first-year parenting stress (measured)", "reference parenting stress"),
    Param("fright_sd", 0.6, "logit", 0.0, 1.2,
          "assumed (unresolved loss, intimate-partner violence and other sources not modelled as covariates: "
          "Madigan et al. 2006 find most of the unresolved -> disorganized link unexplained)",
          "SD between mothers of the log-odds of frightening or frightened care beyond the modelled sources"),
    Param("fright_substitute", 0.03, "share", 0.0, 0.15,
          "assumed (NICU staff, kin and foster carers rarely frighten the infant; Dozier et al. 2001)",
          "share of days a substitute caregiver's care is frightening"),
    Param("ref_expect", 0.58, "0-1", 0.35, 0.7,
          "usual-care population mean of att_expect at 12 months (measured; prior centred on it)", "reference expectation"),
    Param("ref_reject", 0.11, "0-1", 0.05, 0.25,
          "usual-care population mean of att_reject at 12 months (measured)", "reference expectation of rejection"),
    Param("ref_inconsistency", 0.007, "0-1", 0.003, 0.02,
          "usual-care population mean of att_inconsistency at 12 months (measured)", "reference learned inconsistency"),
    Param("ref_fright", 0.097, "0-1", 0.04, 0.2,
          "usual-care population mean of att_fright at 12 months (measured)", "reference fright"),
    Param("secure_logit", 0.3, "logit", -3.0, 3.0, "assumed (secure the majority at reference care)",
          "security score at reference care"),
    Param("resistant_bias", 0.0, "logit", -4.0, 2.0, "assumed (resistant rarer than avoidant; van IJzendoorn & Kroonenberg 1988)",
          "resistance against avoidance among insecure-organized infants"),
    Param("disorganized_logit", -0.7, "logit", -2.5, 0.5,
          "assumed (score at the usual-care mean fright; high-risk and clinical groups 2-3x the normative ~15%: "
          "van IJzendoorn et al. 1999)",
          "disorganization score at reference fright"),
    Param("fright_scale", 15.0, "logit per unit", 5.0, 80.0, "assumed", "disorganization logit per unit of fright"),
    Param("assessment_sd", 2.0, "logit", 0.0, 3.5,
          "derived: sd_L x sqrt((1 - rho) / rho), rho = sin(pi r / 2) with secure/insecure stability r = .28 "
          "(Opie et al. 2021 meta-analysis of Strange Situation stability) and sd_L = 1.7 (usual-care SD of the "
          "security score); an upper bound, the published stability including true change",
          "SD of the occasion and coding error of the security score in the 12-month classification"),
    Param("assessment_sd_dis", 1.1, "logit", 0.0, 2.0,
          "derived: sd_L x sqrt((1 - rho) / rho), rho = sin(pi r / 2) with disorganization stability r = .34 "
          "(van IJzendoorn et al. 1999) and sd_L = 1.1 (usual-care SD of the disorganization score); an upper bound",
          "SD of the occasion and coding error of the disorganization score"),
    Param("abc_nurture_logit", 1.5, "logit", 0.0, 3.0,
          "assumed (Bernard et al. 2012: ABC coaches nurturance when the infant is distressed)",
          "better response to distress bids at full attachment-programme skill"),
    Param("abc_nurturance", 0.5, "share", 0.0, 1.0, "assumed (Bernard et al. 2012: ABC targets nurturance)",
          "share of rejecting responses turned nurturing at full attachment-programme skill"),
    Param("abc_frightening", 0.8, "share", 0.3, 1.0,
          "assumed (Bernard et al. 2012: ABC targets frightening behaviour, disorganized 32% vs 57% with the control "
          "intervention; Yarger et al. 2019: ABC lowers disrupted parenting behaviour)",
          "share of frightening care avoided at full attachment-programme skill"),
))
U = declare_streams("attachment", (
    Stream("nurturance", "response to distress bids beyond general sensitivity, drawn at birth"),
    Stream("care", "day-to-day fluctuation of the caregiver's responses"),
    Stream("response", "today's experience of the infant's bids"),
    Stream("fright_trait", "the mother's propensity to frightening or frightened care beyond the covariates, drawn at birth"),
    Stream("classify", "assessment error of the security score at 12 months"),
    Stream("classify_dis", "assessment error of the disorganization score at 12 months"),
))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only in the first postpartum year."""
    return (s[S.born] > 0.5) & (s[S.pp_day] <= CLASSIFY_DAY)


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Empty accumulators; the newborn's prior expectations."""
    for k in (S.care_days, S.sens_sum, S.sens_sq_sum, S.sync_sum, S.intox_care_days, S.sep_days,
              S.distress_sum, S.pp_use_days, S.caregiver_care, S.nurturance, S.fright_trait, S.att_fright, S.att_inconsistency):
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
    s[S.fright_trait] = s[S.fright_trait] + at_birth * (p[P.fright_sd] * logistic_z(u[U.fright_trait]) - s[S.fright_trait])
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
    # --- frightening or frightened care (the source of disorganization) ------------------------
    # Today's probability that the mother's care frightens the infant (or that she is frightened or
    # dissociated herself), from several sources on the log-odds, each centred on the usual-care
    # population: her adverse childhood experiences (unresolved trauma), depressive symptoms,
    # parenting stress (hostile, intrusive care) and care while intoxicated. ABC coaches the
    # mother out of frightening behaviour. Substitute caregivers frighten rarely.
    fr_logit = (p[P.fright_logit] + s[S.fright_trait] - w[L.aces_attachment] * (s[S.aces] - p[P.ref_aces])
                - w[L.depression_attachment] * (s[S.depression] - p[P.ref_depression])
                - w[L.hostility_attachment] * (s[S.parenting_stress] - p[P.ref_parenting_stress])
                - w[L.intoxicated_care_attachment] * intox)
    q = together * logistic(fr_logit) * (1.0 - p[P.abc_frightening] * abc) + sep * p[P.fright_substitute]
    fr = s[S.att_fright] + year * (q - s[S.att_fright]) / p[P.fright_days]
    # A change of caregiver (separation or reunion) closes a share of the gap to full fright.
    switch = year * (pp > 0.0) * np.abs(together - s[S.with_mother])
    s[S.att_fright] = fr - w[L.separation_attachment] * switch * (1.0 - fr)
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

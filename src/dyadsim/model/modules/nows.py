"""Neonatal opioid withdrawal syndrome (NOWS): occurrence, severity, care, treatment and stay.

Exposure. Withdrawal follows opioid exposure in the days before delivery, not exposure early in
pregnancy: :mod:`~dyadsim.model.modules.pregnancy` keeps exponentially weighted averages of MOUD days
(``fetal_moud``) and opioid-use days (``fetal_use``) with time constant
``pregnancy.exposure_tau`` (a week by default). At birth the exposure index, in units of daily
methadone to delivery, is ``fetal_moud x (1 methadone | bup_relative_exposure buprenorphine)
+ use_equivalent x fetal_use``, the medicine being the one of her current or last MOUD episode
(``moud_current_type``: what she took near delivery, planned or started during follow-up). An unexposed infant rarely shows signs (``signs_logit_unexposed``);
each unit of exposure adds ``signs_per_exposure`` to the log-odds.

Severity (0-1, among infants with signs) rises with the exposure of each source (edges
``moud_nows``, ``use_nows``), with prenatal tobacco (edge ``tobacco_nows``) and varies between
infants (``severity_spread``). Buprenorphine exposure gives milder NOWS than methadone, as in the
MOTHER trial (Jones et al. 2010, all neonates: treated 47% vs 57%, treatment 4.1 vs 9.9 d, stay
10.0 vs 17.5 d, total morphine 1.1 vs 10.4 mg).

The withdrawal course. Severity alone barely separates the medicines among treated infants (the
infants who need treatment are the severe ones whatever the medicine), so the medicine's
pharmacology shapes the course of withdrawal itself. Withdrawal emerges as the opioid leaves the
newborn, after a delay set by its elimination (``clear_days_methadone`` for methadone's long
half-life, ``clear_days_buprenorphine``, ``clear_days_use`` for short-acting illicit opioids), and
then resolves as the neuroadaptation reverses, from the birth severity down to the level at which
an infant no longer needs treatment (``tx_threshold``), with time constant ``resolve_days`` times
the depth of the adaptation: 1 for full agonists (methadone, heroin, fentanyl),
``bup_intrinsic_activity`` for buprenorphine, a partial agonist. The course lasts

    course = tau_clear + resolve_days x depth x log(1 + severity / tx_threshold)

days, tau_clear and depth weighted by the share of the exposure that came from MOUD and from
use. A course under methadone is later (pharmacotherapy starts on day ``tx_start_day`` x
tau_clear / clear_days_methadone, at least day 1) and longer than under buprenorphine.

Care approach (scenario setting ``care.nows_setting``):

* ``nicu`` — score-based (Finnegan) assessment; infants who need pharmacotherapy are treated in
  the NICU, apart from their mother;
* ``rooming_in`` — score-based assessment, with the infant cared for at the mother's bedside:
  fewer infants treated, shorter treatment (``rooming_pharm_effect``, ``rooming_tx_ratio``);
* ``esc`` — Eat, Sleep, Console: function-based assessment with the mother as first-line care;
  pharmacotherapy only when function fails (``esc_pharm_effect``, from the ESC-NOW trial, Young et
  al. 2023: 19.5% vs 52.0% treated; ``esc_tx_ratio``).

Treatment. A treated infant starts on day ``tx_start_day`` and is weaned after a number of days
that depends on the infant's drug (``care.nows_drug``: morphine, methadone, buprenorphine; Kraft et
al. 2017: median 28 d morphine vs 15 d buprenorphine), on care and on the withdrawal course it
treats: the mean is ``tx_days_<drug>`` x the care ratio x course / reference course, the
reference being a methadone-exposed infant of severity ``tx_severity_ref`` (so ``tx_days_*`` are
treated-infant lengths under score-based NICU care). The infant is
medically ready for discharge (``nows_ready_day``) ``post_tx_obs_days`` after the last dose, after
``obs_days_exposed`` of observation when exposed but untreated, or after a routine stay when
unexposed. Discharge follows readiness after a delay (``discharge_delay_days``, mean), so length of
stay (``los``, the day of birth counts) is at least the ready day plus one.

Sources: Jones et al. 2010 NEJM 363:2320; Kraft et al. 2017 NEJM 376:2341; Young et al. 2023 NEJM
388:2326 (ESC-NOW); Grossman et al. 2017 Pediatrics 139:e20163360 (ESC); Choo et al. 2004 Drug
Alcohol Depend 75:253 (tobacco and NAS); seed 003 (rooming-in versus NICU).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S

P = declare_params("nows", (
    Param("signs_logit_unexposed", -4.0, "logit", -7.0, -2.0,
          "assumed (signs need opioid exposure near delivery; a few from unrecorded exposure)",
          "log-odds of withdrawal signs without opioid exposure near delivery"),
    Param("signs_per_exposure", 7.0, "logit per unit exposure", 3.0, 10.0,
          "assumed (daily methadone to delivery gives ~95% with signs: review figure in TARGETS.md [S])",
          "increase in log-odds of signs per unit of exposure (daily methadone to delivery = 1)"),
    Param("use_equivalent", 1.0, "ratio", 0.3, 1.5, "assumed",
          "exposure of daily illicit opioid use relative to daily methadone"),
    Param("bup_relative_exposure", 0.7, "ratio", 0.4, 1.0,
          "Jones et al. 2010 (MOTHER: milder NOWS after buprenorphine) [S]; value assumed",
          "buprenorphine exposure relative to methadone"),
    Param("severity_logit", -1.5, "logit", -4.0, 1.0, "assumed", "log-odds of severity before exposure"),
    Param("severity_spread", 2.0, "logit", 0.0, 4.0, "assumed", "spread of severity between infants"),
    Param("pharm_logit", -2.5, "logit", -5.0, 0.0, "assumed (gives ~50% pharmacotherapy; TARGETS [S])",
          "log-odds of pharmacotherapy at zero severity under score-based NICU care"),
    Param("pharm_severity", 5.0, "logit per unit", 1.0, 10.0, "assumed", "severity effect on pharmacotherapy"),
    Param("rooming_in", 0.0, "flag", 0.0, 1.0, "scenario setting (seed 003)",
          "1: infant cared for at the mother's bedside (rooming-in), 0: NICU care"),
    Param("esc", 0.0, "flag", 0.0, 1.0, "scenario setting (Grossman et al. 2017; Young et al. 2023)",
          "1: Eat, Sleep, Console function-based assessment with the mother (replaces score-based care)"),
    Param("infant_drug", 0.0, "code", 0.0, 2.0, "scenario setting (Kraft et al. 2017)",
          "drug for NOWS pharmacotherapy: 0 morphine, 1 methadone, 2 buprenorphine"),
    Param("rooming_pharm_effect", -1.5, "logit", -3.0, 0.0,
          "assumed (rooming-in lowers pharmacotherapy; seed 003)",
          "change in log-odds of pharmacotherapy under rooming-in"),
    Param("esc_pharm_effect", -1.5, "logit", -3.0, -0.5,
          "Young et al. 2023 (ESC-NOW: treated 19.5% vs 52.0%, log OR ~ -1.5)",
          "change in log-odds of pharmacotherapy under Eat, Sleep, Console"),
    Param("tx_days_morphine", 28.0, "days", 10.0, 45.0, "Kraft et al. 2017 (median treatment 28 d, morphine)",
          "mean treatment length with morphine, score-based NICU care, average severity"),
    Param("tx_days_methadone", 21.0, "days", 8.0, 35.0,
          "assumed between Kraft's arms (Davis et al. 2018 JAMA Pediatr: methadone shorter than morphine) [S]",
          "mean treatment length with methadone, score-based NICU care, average severity"),
    Param("tx_days_buprenorphine", 15.0, "days", 5.0, 30.0, "Kraft et al. 2017 (median treatment 15 d)",
          "mean treatment length with buprenorphine, score-based NICU care, average severity"),
    Param("tx_severity_ref", 0.7, "0-1", 0.4, 0.9,
          "assumed (typical severity of a treated infant, so tx_days_* are treated-infant lengths)",
          "severity of the reference course (methadone exposure) at which treatment lasts tx_days_* on average"),
    Param("clear_days_methadone", 2.0, "days", 1.0, 4.0,
          "assumed (methadone's long elimination half-life, longer in the newborn: withdrawal appears after 48-72 h)",
          "delay of the withdrawal course after methadone exposure (elimination from the newborn)"),
    Param("clear_days_buprenorphine", 1.0, "days", 0.3, 3.0,
          "assumed (Jones et al. 2010 [S]: milder, shorter withdrawal after buprenorphine)",
          "delay of the withdrawal course after buprenorphine exposure"),
    Param("clear_days_use", 0.5, "days", 0.2, 1.5,
          "assumed (heroin and fentanyl are short-acting: withdrawal within a day)",
          "delay of the withdrawal course after illicit opioid use"),
    Param("resolve_days", 5.0, "days", 2.0, 10.0,
          "assumed (untreated withdrawal after full agonists resolves over one to two weeks)",
          "time constant of the resolution of withdrawal after a full agonist"),
    Param("bup_intrinsic_activity", 0.5, "ratio", 0.2, 0.9,
          "assumed (buprenorphine is a partial mu agonist; Jones et al. 2010 background)",
          "depth of the newborn's neuroadaptation to buprenorphine relative to a full agonist"),
    Param("tx_threshold", 0.3, "0-1", 0.05, 0.6,
          "assumed (weaning ends once scores stay below the treatment threshold)",
          "withdrawal level (severity scale) below which an infant no longer needs pharmacotherapy"),
    Param("tx_spread", 0.5, "ratio", 0.0, 0.9, "assumed", "treatment length varies +- this share between infants"),
    Param("rooming_tx_ratio", 0.7, "ratio", 0.4, 1.0, "assumed (care with the mother shortens weaning)",
          "treatment length under rooming-in relative to NICU care"),
    Param("esc_tx_ratio", 0.6, "ratio", 0.3, 1.0,
          "assumed (Devlin et al. 2024 JAMA Pediatr: ESC shortened treatment of treated infants [S])",
          "treatment length under Eat, Sleep, Console relative to NICU care"),
    Param("tx_start_day", 2.0, "days", 1.0, 5.0, "assumed (methadone withdrawal peaks at 48-72 h)",
          "postpartum day pharmacotherapy starts after methadone exposure (scaled by the clearance delay)"),
    Param("post_tx_obs_days", 2.0, "days", 1.0, 4.0, "assumed", "observation after the last dose"),
    Param("obs_days_exposed", 5.0, "days", 3.0, 7.0, "assumed (exposed infants observed 4-7 days)",
          "days to medical readiness of an exposed infant without pharmacotherapy"),
    Param("routine_stay_days", 2.0, "days", 1.0, 4.0, "assumed (routine newborn stay ~48 h)",
          "days to medical readiness of an unexposed infant"),
    Param("exposure_min", 0.05, "exposure", 0.01, 0.5, "assumed",
          "exposure index above which the infant is observed for withdrawal"),
    Param("discharge_delay_days", 1.0, "days", 0.0, 7.0, "assumed (disposition, safe-care planning)",
          "mean days from medical readiness to discharge"),
))
U = declare_streams("nows", (
    Stream("signs", "withdrawal signs at birth"),
    Stream("severity", "severity at birth"),
    Stream("pharm", "pharmacotherapy"),
    Stream("discharge", "discharge on a day"),
    Stream("tx_length", "length of pharmacotherapy"),
))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything (used by the compiled engine to skip it): only after birth."""
    return s[S.born] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No infant before birth."""
    for k in (S.nows, S.nows_birth_severity, S.nows_signs, S.nows_pharm, S.in_hospital, S.nicu, S.los,
              S.nows_exposure, S.nows_pharm_days, S.nows_course_days):
        s[k] = 0.0
    s[S.nows_ready_day] = -1.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """At birth: exposure, signs, severity, care, treatment, readiness. After: stay, discharge, recovery."""
    pp = s[S.pp_day]
    at_birth = 1.0 * (pp == 0.0)
    # The medicine she took near delivery: that of her current (or last) MOUD episode, whether it was
    # planned at enrolment or started during follow-up.
    taken = s[S.moud_current_type]
    meth = 1.0 * (taken == 1.0)
    bup = 1.0 * (taken == 2.0)
    moud_weight = meth + p[P.bup_relative_exposure] * bup
    e_moud = s[S.fetal_moud] * moud_weight
    e_use = s[S.fetal_use]
    exposure = e_moud + p[P.use_equivalent] * e_use
    signs_logit = p[P.signs_logit_unexposed] + p[P.signs_per_exposure] * exposure
    signs = at_birth * (u[U.signs] < logistic(signs_logit))
    sev_logit = (p[P.severity_logit] + w[L.moud_nows] * e_moud + w[L.use_nows] * e_use
                 + w[L.tobacco_nows] * s[S.tobacco] + p[P.severity_spread] * (u[U.severity] - 0.5) * 2.0)
    severity = signs / (1.0 + np.exp(-sev_logit))
    # Care approach: ESC replaces score-based assessment; rooming-in keeps it but at the bedside.
    esc = 1.0 * (p[P.esc] > 0.5)
    rooming = (1.0 - esc) * (p[P.rooming_in] > 0.5)
    with_mother = esc + rooming
    pharm_logit = (p[P.pharm_logit] + p[P.pharm_severity] * severity + p[P.rooming_pharm_effect] * rooming
                   + p[P.esc_pharm_effect] * esc)
    pharm = signs * (u[U.pharm] < logistic(pharm_logit))
    drug = p[P.infant_drug]
    drug_days = (p[P.tx_days_morphine] * (drug < 0.5) + p[P.tx_days_methadone] * ((drug > 0.5) & (drug < 1.5))
                 + p[P.tx_days_buprenorphine] * (drug > 1.5))
    care_ratio = esc * p[P.esc_tx_ratio] + rooming * p[P.rooming_tx_ratio] + (1.0 - with_mother)
    # The withdrawal course: a delay while the opioid clears, then resolution of the adaptation,
    # both weighted by the share of the exposure from MOUD (the rest from short-acting use).
    from_moud = e_moud / np.maximum(exposure, 1e-12)
    clear_moud = meth * p[P.clear_days_methadone] + bup * p[P.clear_days_buprenorphine]
    depth_moud = meth + bup * p[P.bup_intrinsic_activity]
    tau_clear = from_moud * clear_moud + (1.0 - from_moud) * p[P.clear_days_use]
    depth = from_moud * depth_moud + (1.0 - from_moud)
    course = tau_clear + p[P.resolve_days] * depth * np.log(1.0 + severity / p[P.tx_threshold])
    course_ref = p[P.clear_days_methadone] + p[P.resolve_days] * np.log(1.0 + p[P.tx_severity_ref] / p[P.tx_threshold])
    tx_mean = drug_days * care_ratio * course / course_ref
    tx = pharm * np.maximum(np.floor(tx_mean * (1.0 + p[P.tx_spread] * (2.0 * u[U.tx_length] - 1.0)) + 0.5), 1.0)
    tx_start = np.maximum(np.floor(p[P.tx_start_day] * tau_clear / p[P.clear_days_methadone] + 0.5), 1.0)
    observed = 1.0 * (exposure > p[P.exposure_min])
    ready = np.floor(pharm * (tx_start + tx + p[P.post_tx_obs_days])
                     + (1.0 - pharm) * (observed * p[P.obs_days_exposed] + (1.0 - observed) * p[P.routine_stay_days])
                     + 0.5)
    s[S.nows_exposure] = s[S.nows_exposure] + at_birth * exposure
    s[S.nows_signs] = s[S.nows_signs] + signs
    s[S.nows_pharm] = s[S.nows_pharm] + pharm
    s[S.nows_pharm_days] = s[S.nows_pharm_days] + tx
    s[S.nows_course_days] = s[S.nows_course_days] + signs * course
    s[S.nows_birth_severity] = s[S.nows_birth_severity] + severity
    s[S.nows_ready_day] = s[S.nows_ready_day] + at_birth * (ready - s[S.nows_ready_day])
    s[S.in_hospital] = s[S.in_hospital] + at_birth
    # NICU care admits infants who need pharmacotherapy; others stay with their mother.
    s[S.nicu] = s[S.nicu] + pharm * (1.0 - with_mother)
    # Recovery: severity decays with the NOWS time constant after birth.
    s[S.nows] = at_birth * severity + (1.0 - at_birth) * s[S.nows] * (1.0 - 1.0 / p[TAU.nows])
    # Stay: from the ready day on, a daily chance of discharge (mean delay discharge_delay_days).
    in_hosp = s[S.in_hospital]
    s[S.los] = s[S.los] + in_hosp
    ready_now = 1.0 * (pp >= s[S.nows_ready_day])
    discharge = in_hosp * ready_now * (u[U.discharge] < 1.0 / (1.0 + p[P.discharge_delay_days]))
    s[S.in_hospital] = in_hosp - discharge


FINAL = (
    Final("nows_signs", "nows_signs", "flag", doc="infant showed withdrawal signs"),
    Final("nows_severity", "nows_birth_severity", doc="NOWS severity at birth (0-1)"),
    Final("nows_pharm", "nows_pharm", "flag", doc="pharmacologic treatment for NOWS"),
    Final("nows_los", "los", doc="infant length of stay (days)"),
    Final("nows_exposure", "nows_exposure", doc="opioid exposure near delivery"),
    Final("nows_pharm_days", "nows_pharm_days", doc="days of NOWS pharmacotherapy"),
    Final("nows_ready_day", "nows_ready_day", "day", doc="postpartum day the infant was ready for discharge"),
    Final("nicu", "nicu", "flag", doc="infant cared for in NICU"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

"""The per-dyad state vector: every state, its unit, bounds and meaning.

All states live in one table so that any module can read any other module's state (the graph has
loops: infant distress feeds maternal stressors, synchrony feeds positive affect) without circular
imports. Each state has one writer, read from the modules' code and checked
(:func:`dyadsim.engine.access.owners`); the groups below are for the reader. Flags are stored as 0.0/1.0
and "day" states hold -1 until the event happens.
"""
from __future__ import annotations

from dyadsim.core.registry import State, declare_states
from dyadsim.model.programmes import PROGRAMMES

INF = 1e9

MOUD_TYPES: tuple[str, ...] = ("none", "methadone", "buprenorphine")
"""Labels of the codes of ``moud_type`` and of each MOUD episode's type."""

_BASELINE = (
    # Drawn by dyadsim.model.population before day 0, never changed afterwards.
    State("aces", "count 0-8", 0, 8, "adverse childhood experiences"),
    State("depression_dx", "flag", 0, 1, "major depression at enrolment"),
    State("anxiety_dx", "flag", 0, 1, "generalized anxiety at enrolment"),
    State("other_sud", "flag", 0, 1, "other substance use disorder"),
    State("tobacco", "flag", 0, 1, "tobacco use"),
    State("moud_type", "code", 0, 2, "MOUD in pregnancy: 0 none, 1 methadone, 2 buprenorphine"),
    State("moud_start_week", "gestational week", -1, 42, "MOUD start (gestational week), -1 none"),
    State("support", "0-1", 0, 1, "social support"),
    State("housing_unstable", "flag", 0, 1, "unstable housing"),
    State("low_income", "flag", 0, 1, "low or unstable income"),
    State("prior_cps", "flag", 0, 1, "prior CPS contact"),
    State("first_pregnancy", "flag", 0, 1, "first pregnancy"),
    State("network_use", "flag", 0, 1, "family or friends in her network still use opioids"),
    State("enrol_gest_day", "days of gestation", 0, 300, "gestational age at enrolment (day 0)"),
    State("term_gest_day", "days of gestation", 0, 300, "gestational age of spontaneous term birth"),
)
_PREGNANCY = (
    State("pregnant", "flag", 0, 1, "still pregnant"),
    State("born", "flag", 0, 1, "infant born"),
    State("birth_day", "day", -1, INF, "simulation day of birth (-1 before)"),
    State("gest_days_at_birth", "days", -1, 300, "gestational age at birth (-1 before)"),
    State("pp_day", "day", -1, INF, "postpartum day (-1 in pregnancy)"),
    State("preterm", "flag", 0, 1, "born before 37 weeks"),
    State("birth_drive", "0-1", 0, 1, "oxytocin/prolactin drive after birth"),
    State("followed", "flag", 0, 1, "day within follow-up (1 until the horizon)"),
    State("done", "flag", 0, 1, "follow-up complete"),
)
_NOWS = (
    State("nows", "0-1", 0, 1, "NOWS severity (decays after birth)"),
    State("nows_birth_severity", "0-1", 0, 1, "NOWS severity at birth"),
    State("nows_signs", "flag", 0, 1, "infant shows withdrawal signs"),
    State("nows_pharm", "flag", 0, 1, "pharmacologic treatment for NOWS"),
    State("in_hospital", "flag", 0, 1, "infant in birth hospital"),
    State("nicu", "flag", 0, 1, "infant cared for in NICU (separated from mother)"),
    State("los", "days", 0, INF, "infant length of stay"),
)
_MOUD = (
    State("on_moud", "flag", 0, 1, "on MOUD today"),
    State("moud_started", "flag", 0, 1, "MOUD started at least once"),
    State("prenatal_moud_days", "days", 0, 400, "days on MOUD before delivery"),
    State("moud_at_delivery", "flag", 0, 1, "on MOUD on the day of birth"),
    State("moud_stop_pp_day", "day", -1, INF, "postpartum day of first discontinuation (-1 none)"),
    State("moud_stop_gest_day", "day", -1, 300, "gestational day of first prenatal discontinuation (-1 none)"),
    State("moud_titration", "0-1", 0, 1, "dose reached by titration in the current MOUD episode (0 off MOUD)"),
    State("moud_dose_adequacy", "0-1", 0, 1, "adequacy of today's MOUD dose: titration less the postpartum mismatch (0 off MOUD)"),
)
_CPS = (
    State("cps_report", "flag", 0, 1, "reported to CPS since birth"),
    State("cps_report_day", "day", -1, INF, "postpartum day of the report (-1 none)"),
    State("removed", "flag", 0, 1, "infant removed from mother's care"),
    State("cps_removal_day", "day", -1, INF, "postpartum day of the first removal (-1 none)"),
    State("separated", "flag", 0, 1, "mother and infant apart today (NICU, removal, death)"),
)
_MOTHER = (
    State("stressors", "events/day", 0, 1, "smoothed rate of stressful events"),
    State("neg_appraisal", "0-1", 0, 1, "negative cognitive appraisal"),
    State("problem_coping", "0-1", 0, 1, "problem-focused coping success"),
    State("emotion_coping", "0-1", 0, 1, "emotion-focused coping success"),
    State("pos_affect", "0-1", 0, 1, "positive affect"),
    State("neg_affect", "0-1", 0, 1, "negative affect"),
    State("depression", "0-1", 0, 1, "depressive symptoms"),
    State("allostatic_load", "0-1", 0, 1, "allostatic load"),
    State("stress_sensitization", "0-1", 0, 1, "stress sensitization"),
    State("reward_dysregulation", "0-1", 0, 1, "reward dysregulation"),
)
_USE = (
    State("attentional_bias", "0-1", 0, 1, "attentional bias to drug cues"),
    State("cue_reactivity", "0-1", 0, 1, "craving response to today's cue"),
    State("craving", "0-1", 0, 1, "craving"),
    State("self_control", "0-1", 0, 1, "executive self-control"),
    State("habit", "0-1", 0, 1, "habit strength (automatic use)"),
    State("use_today", "flag", 0, 1, "a day of opioid use"),
    State("intoxication", "0-1", 0, 1, "recent use (smoothed)"),
    State("withdrawal", "0-1", 0, 1, "withdrawal / anti-reward"),
    State("tolerance", "0-1", 0, 1, "opioid tolerance"),
    State("days_since_use", "days", 0, INF, "days since last use"),
    State("first_pp_use_day", "day", -1, INF, "postpartum day of first use (-1 none)"),
)
_OVERDOSE = (
    State("alive", "flag", 0, 1, "mother alive"),
    State("od_today", "flag", 0, 1, "non-fatal overdose today"),
    State("fatal_today", "flag", 0, 1, "fatal overdose today"),
    State("death_day", "day", -1, INF, "simulation day of maternal death (-1 none)"),
)
_DYAD = (
    State("infant_distress", "0-1", 0, 1, "infant distress"),
    State("salience", "0-1", 0, 1, "salience of infant cues"),
    State("parenting", "0-1", 0, 1, "sensitive/engaged parenting"),
    State("sens_disposition", "logit", -30, 30, "mother's own caregiving disposition (random effect, drawn on day 0)"),
    State("parenting_stress", "0-1", 0, 1, "parenting stress"),
    State("synchrony", "0-1", 0, 1, "dyadic synchrony"),
    State("bonding", "0-1", 0, 1, "bonding"),
)
_INFANT = (
    # Written by modules.infant: the infant's own contribution (drawn at birth) and daily signals.
    State("temperament", "z", -20, 20, "infant negative emotionality (difficult temperament), drawn at birth"),
    State("other_care", "0-1", 0, 1, "sensitivity of the infant's other and substitute caregivers, drawn at birth"),
    State("other_share", "0-1", 0, 1, "share of the infant's bids answered by other caregivers while with the mother"),
    State("soothability", "0-1", 0, 1, "probability that a sensitive response soothes the infant today"),
)
_ATTACHMENT = (
    State("care_days", "days", 0, INF, "postpartum days in mother's care (first year)"),
    State("sens_sum", "sum", 0, INF, "sum of sensitivity on care days"),
    State("sens_sq_sum", "sum", 0, INF, "sum of squared sensitivity on care days"),
    State("sync_sum", "sum", 0, INF, "sum of synchrony on care days"),
    State("intox_care_days", "days", 0, INF, "care days with use"),
    State("sep_days", "days", 0, INF, "days separated (first year)"),
    State("distress_sum", "sum", 0, INF, "sum of infant distress (first year)"),
    State("pp_use_days", "days", 0, INF, "postpartum days of use (first year)"),
    State("attachment", "class", -1, 3, "0 secure, 1 avoidant, 2 resistant, 3 disorganized (-1 before 12 months)"),
    # The infant's developing working model (modules.attachment), learned from responses to bids.
    State("nurturance", "logit", -30, 30, "caregivers' response to distress bids beyond general sensitivity (drawn at birth)"),
    State("fright_trait", "logit", -30, 30, "the mother's propensity to frightening or frightened care beyond the modelled covariates (drawn at birth)"),
    State("caregiver_care", "0-1", 0, 1, "response the infant's distress bids receive today (actual caregiver)"),
    State("with_mother", "flag", 0, 1, "infant in the mother's care yesterday (for changes of caregiver)"),
    State("att_expect", "0-1", 0, 1, "learned expectation that bids are answered and soothed"),
    State("att_reject", "0-1", 0, 1, "learned expectation that bids are rejected"),
    State("att_inconsistency", "0-1", 0, 1, "learned unpredictability of care (squared deviation from expectation)"),
    State("att_fright", "0-1", 0, 1, "exposure to frightening or frightened care (share of days; ACEs, depression, stress, intoxication, changes of caregiver)"),
    # Logit scores, linear in bounded learned states: +-300 holds the largest score the declared
    # ranges allow (resistance: |resistant_bias| 4 + inconsistency edge 250 + temperament 1 x 20).
    State("att_security", "logit", -300, 300, "security score (> 0: secure side of the classification rule)"),
    State("att_avoidance", "logit", -300, 300, "avoidance score"),
    State("att_resistance", "logit", -300, 300, "resistance score"),
    State("att_disorganization", "logit", -300, 300, "disorganization score (> 0: disorganized side of the rule)"),
)
_SUPPORTS = (
    # Written by modules.supports and modules.programs (interventions); all 0 (scales 1) without them.
    State("support_eff", "0-1", 0, 1, "social support today (baseline plus supports and groups)"),
    State("housing_eff", "flag", 0, 1, "housing unstable today (baseline unless transitional housing)"),
    State("hv_eligible", "flag", 0, 1, "eligible for home visiting (enrolled before 29 weeks, first pregnancy)"),
    State("mh_treated", "flag", 0, 1, "depression or anxiety detected and treated after screening"),
    State("lever_moud_retention", "log HR", 0, 10, "lower log-hazard of MOUD discontinuation"),
    State("lever_cps_report", "log HR", 0, 10, "lower log-hazard of a CPS report"),
    State("lever_cps_removal", "log HR", 0, 10, "lower log-hazard of removal"),
    State("lever_attendance", "logit", 0, 10, "higher log-odds of attending group sessions"),
    State("lever_stigma_scale", "multiplier", 0, 1, "multiplier on stigma met in care"),
    State("lever_pain_scale", "multiplier", 0, 1, "multiplier on the delivery-pain stressor"),
    State("lever_depression", "logit", 0, 10, "lower log-odds of depressive symptoms (treatment)"),
)
_PROGRAMS = (
    # Written by modules.programs: per programme (model.programmes), its delivery and dose ...
    *(st for g in PROGRAMMES for st in (
        State(f"{g.key}_sessions", "sessions", 0, 100, f"{g.label} sessions attended"),
        State(f"{g.key}_skill", "0-1", 0, 1, f"{g.label} dose received (skill built by sessions and practice)"),
        State(f"{g.key}_start_day", "day", -1, INF, f"simulation day of the first {g.label} session offered (-1 none)"),
        State(f"{g.key}_practice_days", "days", 0, 2000, f"days of {g.label} home practice"))),
    # ... and the levers through which the doses act today.
    State("lever_attention", "logit", 0, 10, "attention regulation (mindfulness)"),
    State("lever_craving", "logit", 0, 10, "mindful coping with craving (mindfulness)"),
    State("lever_automaticity", "0-1", 0, 1, "disengagement from automatic use (mindfulness)"),
    State("lever_cue_scale", "multiplier", 0, 1, "multiplier on cue reactivity (mindfulness)"),
    State("lever_reappraisal", "logit", 0, 10, "reappraisal skill (reappraisal)"),
    State("lever_stress_scale", "multiplier", 0, 1, "multiplier on stress reactivity (reappraisal)"),
    State("lever_recovery", "0-1", 0, 1, "faster stress recovery, less allostasis (reappraisal)"),
    State("lever_problem_coping", "logit", 0, 10, "problem-focused coping (reappraisal)"),
    State("lever_natural_reward", "logit", 0, 10, "natural-reward responsiveness (savoring)"),
    State("lever_pos_affect", "logit", 0, 10, "positive affect (savoring, groups)"),
    State("lever_savoring", "logit", 0, 10, "salience of infant cues (savoring)"),
    State("lever_parenting_skill", "logit", 0, 10, "parenting skill (parenting programmes, home visiting)"),
    State("lever_parenting_stress", "logit", 0, 10, "lower parenting stress (mindfulness-based parenting)"),
    State("lever_sensitivity_scale", "multiplier", 1, 3, "multiplier on salience -> parenting (attachment-based)"),
)
WELLBEING_DOMAINS: tuple[str, ...] = ("physical", "psychological", "cognitive", "social", "economic")
"""The child's well-being domains (seed 000, Figure 1); each is a state ``wb_<domain>``."""
_WELLBEING = tuple(State(f"wb_{d}", "T score", 0, 80, f"{d} well-being at 12 months (0 before day 364, then 20-80)")
                   for d in WELLBEING_DOMAINS)

_RECOVERY = (
    # Written by modules.use_cycle, overdose, moud and stressors: relapse and recovery, the
    # postpartum transition, MOUD episodes, and each mother's latent individual differences.
    State("craving_tonic", "0-1", 0, 1, "background craving (slow), before today's cue-induced craving"),
    State("motivation", "0-1", 0, 1, "motivation to stop using (recovery)"),
    State("harm", "0-1", 0, 1, "recent harms of use (slow average of use)"),
    State("crisis", "0-1", 0, 1, "recent crisis (overdose, CPS report), fading"),
    State("resolve", "0-1", 0, 1, "resolve after a quit attempt or treatment entry, fading"),
    State("self_efficacy", "0-1", 0, 1, "abstinence self-efficacy: grows with abstinent days, lost in part on a day of use"),
    State("quit_attempts", "count", 0, INF, "quit attempts made"),
    State("in_episode", "flag", 0, 1, "in a sustained episode of use (relapse)"),
    State("days_since_lapse", "days", 0, INF, "days since the last lapse"),
    State("uses_since_lapse", "days", 0, INF, "use days since the last lapse, outside an episode"),
    State("lapses", "count", 0, INF, "lapses: a first use day outside an episode"),
    State("relapses", "count", 0, INF, "relapses: lapses that became sustained episodes"),
    State("remissions", "count", 0, INF, "episodes ended by a period of abstinence"),
    State("returns_pp", "count", 0, INF, "postpartum use days after a long abstinence (returns to use)"),
    State("return_today", "flag", 0, 1, "today's use is a return to use after a long abstinence"),
    State("returns_od_pp", "count", 0, INF, "overdoses (fatal or not) on postpartum returns to use"),
    State("sleep_loss", "0-1", 0, 1, "maternal sleep loss after delivery"),
    State("od_history", "0-1", 0, 1, "recent non-fatal overdose, fading"),
    State("dose_mismatch", "0-1", 0, 1, "MOUD dose out of step after delivery, fading"),
    State("moud_episode_days", "days", 0, INF, "days on MOUD in the current episode (0 off MOUD)"),
    State("moud_episodes", "count", 0, INF, "MOUD episodes started"),
    State("moud_ep1_start", "day", -1, INF, "simulation day MOUD episode 1 started (-1 none)"),
    State("moud_ep1_stop", "day", -1, INF, "simulation day MOUD episode 1 stopped (-1 ongoing or none)"),
    State("moud_ep1_type", "code", 0, 2, "MOUD type of episode 1 (0 none)"),
    State("moud_ep2_start", "day", -1, INF, "simulation day MOUD episode 2 started (-1 none)"),
    State("moud_ep2_stop", "day", -1, INF, "simulation day MOUD episode 2 stopped (-1 ongoing or none)"),
    State("moud_ep2_type", "code", 0, 2, "MOUD type of episode 2 (0 none)"),
    State("moud_ep3_start", "day", -1, INF, "simulation day MOUD episode 3 started (-1 none)"),
    State("moud_ep3_stop", "day", -1, INF, "simulation day MOUD episode 3 stopped (-1 ongoing or none)"),
    State("moud_ep3_type", "code", 0, 2, "MOUD type of episode 3 (0 none)"),
    State("moud_current_type", "code", 0, 2, "MOUD type of the current or last episode (0 none)"),
    State("re_stress", "z", -INF, INF, "individual stress reactivity (standard normal)"),
    State("re_reward", "z", -INF, INF, "individual reward sensitivity (standard normal)"),
    State("re_cue", "z", -INF, INF, "individual cue reactivity (standard normal)"),
    State("re_self_control", "z", -INF, INF, "individual self-control capacity (standard normal)"),
    State("re_affect", "z", -INF, INF, "individual negative-affect set point (standard normal)"),
    State("re_use", "z", -INF, INF, "her own propensity to use at enrolment (standard normal; turning_points.use_propensity thereafter)"),
    State("lever_moud_initiation", "log HR", 0, 10, "higher MOUD initiation and re-entry (peer, training)"),
    State("lever_self_control", "0-1", 0, 1, "stronger executive self-control (mindfulness)"),
    State("lever_sensitization", "logit", 0, 10, "lower stress sensitization (reappraisal)"),
)
_NOWS_CARE = (
    # NOWS exposure and care (modules.pregnancy writes the fetal exposure, modules.nows the rest).
    State("fetal_moud", "0-1", 0, 1, "MOUD days before delivery, exponentially weighted (time constant pregnancy.exposure_tau)"),
    State("fetal_use", "0-1", 0, 1, "opioid-use days before delivery, exponentially weighted"),
    State("nows_exposure", "exposure", 0, 2.5, "opioid exposure index at birth (1 = daily methadone to delivery)"),
    State("nows_pharm_days", "days", 0, 400, "days of NOWS pharmacotherapy"),
    State("nows_ready_day", "day", -1, INF, "postpartum day the infant is medically ready for discharge (-1 before birth)"),
    State("nows_course_days", "length in days", 0, 100, "length of the infant's untreated withdrawal course (clearance delay plus resolution)"),
)
_OTHER_SUBSTANCES = (
    # Written by modules.other_substances.
    State("other_use_today", "flag", 0, 1, "a day of use of another substance"),
    State("tobacco_today", "flag", 0, 1, "a day of smoking"),
)

S = declare_states(
    _BASELINE + _PREGNANCY + _NOWS + _MOUD + _CPS + _MOTHER + _USE + _OVERDOSE + _DYAD
    + _INFANT + _ATTACHMENT + _WELLBEING + _SUPPORTS + _PROGRAMS + _RECOVERY
    + _NOWS_CARE + _OTHER_SUBSTANCES,
)
"""Indices of every state in the state vector: ``s[S.craving]``."""


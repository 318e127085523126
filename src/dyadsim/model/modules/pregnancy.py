"""Pregnancy, birth and preterm birth; the phase clock of every dyad.

Day 0 is enrolment. Birth happens at the dyad's term gestational age (drawn at baseline) unless
preterm labour comes first: between 24 and 37 weeks a daily hazard of preterm labour applies,
raised by recent opioid use (edge ``use_preterm``). While pregnant, the fetal exposure to MOUD and
to opioid use is tracked as exponentially weighted averages of the days before (time constant
``exposure_tau``), which NOWS reads at birth. After birth the oxytocin/prolactin drive
(node ``birth``) starts at 1 and decays with time constant ``tau.birth`` toward a sustained level. Follow-up ends
``horizon_days`` after birth.

Sources: seed 000 (Introduction; §Salience of Infant Cues); MODEL.md (birth ~39 weeks with a
preterm share).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import daily_probability
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import S

P = declare_params("pregnancy", (
    Param("preterm_hazard", 0.0012, "1/day", 0.0003, 0.004,
          "assumed (gives ~10-12% preterm at average exposure)",
          "daily hazard of preterm labour from 24 to 37 weeks, before the use effect"),
    Param("horizon_days", 365.0, "days", 365.0, 1096.0, "MODEL.md (12 months, up to 36)",
          "follow-up after birth"),
    Param("pain_days", 42.0, "days", 7.0, 90.0, "assumed (puerperium)",
          "postpartum days with delivery pain as a stressor"),
    Param("sustained_drive", 0.5, "0-1", 0.0, 1.0, "assumed (caregiving and breastfeeding sustain oxytocin)",
          "level the postpartum hormonal drive settles to"),
    Param("prenatal_drive", 0.3, "0-1", 0.0, 0.6, "assumed",
          "hormonal drive toward the infant at term, rising linearly through pregnancy"),
    Param("exposure_tau", 7.0, "days", 2.0, 28.0,
          "assumed (neonatal withdrawal follows exposure in the last days to weeks before delivery)",
          "time constant of the fetal opioid-exposure averages read by NOWS at birth"),
))
U = declare_streams("pregnancy", (Stream("preterm_labour", "preterm labour on a day"),))

PRETERM_START = 24 * 7  # gestational day from which preterm labour is modelled
TERM_START = 37 * 7     # births from this gestational day on are at term


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Set the phase states at enrolment (vectorised over dyads; ``s`` is (n_states, n))."""
    s[S.pregnant] = 1.0
    s[S.born] = 0.0
    s[S.birth_day] = -1.0
    s[S.gest_days_at_birth] = -1.0
    s[S.pp_day] = -1.0
    s[S.preterm] = 0.0
    s[S.birth_drive] = p[P.prenatal_drive] * s[S.enrol_gest_day] / 280.0
    s[S.followed] = 1.0
    s[S.done] = 0.0
    s[S.fetal_moud] = 0.0
    s[S.fetal_use] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """One day: birth (term or preterm), postpartum clock, hormonal drive, end of follow-up."""
    pregnant = s[S.pregnant] > 0.5
    # Fetal exposure: weighted averages of yesterday's MOUD and use; the first day starts them at
    # the status at enrolment (rate 1 on day 0, recent use read from its smoothed level), so a
    # late enrolment is not read as unexposed.
    first = 1.0 * (t < 0.5)
    rate = s[S.pregnant] * np.maximum(1.0 / p[P.exposure_tau], first)
    use_seen = first * s[S.intoxication] + (1.0 - first) * s[S.use_today]
    s[S.fetal_moud] = s[S.fetal_moud] + rate * (s[S.on_moud] - s[S.fetal_moud])
    s[S.fetal_use] = s[S.fetal_use] + rate * (use_seen - s[S.fetal_use])
    gest = s[S.enrol_gest_day] + t
    window = pregnant & (gest >= PRETERM_START) & (gest < TERM_START)
    hazard = p[P.preterm_hazard] * np.exp(w[L.use_preterm] * s[S.intoxication])
    preterm_ev = window & (u[U.preterm_labour] < daily_probability(hazard))
    birth_ev = (preterm_ev | (gest >= s[S.term_gest_day])) & pregnant
    fb = 1.0 * birth_ev
    s[S.pregnant] = s[S.pregnant] - fb
    s[S.born] = s[S.born] + fb
    s[S.birth_day] = s[S.birth_day] + fb * (t - s[S.birth_day])
    s[S.gest_days_at_birth] = s[S.gest_days_at_birth] + fb * (gest - s[S.gest_days_at_birth])
    s[S.preterm] = s[S.preterm] + fb * (gest < TERM_START)
    born = s[S.born]
    pp = born * (t - s[S.birth_day] + 1.0) - 1.0
    s[S.pp_day] = pp
    sustained = p[P.sustained_drive]
    s[S.birth_drive] = (born * (sustained + (1.0 - sustained) * np.exp(-np.maximum(pp, 0.0) / p[TAU.birth]))
                        + (1.0 - born) * p[P.prenatal_drive] * np.minimum(gest, 280.0) / 280.0)
    s[S.followed] = 1.0 - s[S.done]
    s[S.done] = 1.0 * ((born > 0.5) & (pp >= p[P.horizon_days] - 1.0))


FINAL = (
    Final("birth_day", "birth_day", "int", doc="simulation day of birth (days from enrolment)"),
    Final("gest_weeks_at_birth", "gest_days_at_birth", divide_by=7.0, doc="gestational age at birth (weeks)"),
    Final("preterm", "preterm", "flag", doc="born before 37 weeks"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

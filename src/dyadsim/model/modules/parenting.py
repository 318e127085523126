"""Parenting behaviour (engaged/sensitive versus passive/disengaged) and parenting stress.

Sensitivity relaxes toward a logistic target raised by the salience of infant cues and positive
affect and lowered by negative affect, a day of use (care while intoxicated) and withdrawal.
A level above 0.5 counts as engaged. Mothers differ in their own caregiving disposition (a random
effect on the log-odds, SD ``disposition_sd``, drawn on day 0 from its own stream: individual
differences in sensitivity are large and stable across the first years, NICHD ECCRN 1999), so
between-mother variance comes from persons as well as from states. Parenting stress rises with infant distress (after birth) and
negative appraisal.

Sources: seed 000 §Salience of Infant Cues and Parenting Behavior, Figure 1; seed 004 (parenting
stress, guilt over NOWS); mindfulness-based parenting targets (Short et al. 2017).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.infant import logistic_z

P = declare_params("parenting", (
    Param("sensitivity_logit", -0.3, "logit", -3.0, 1.0, "assumed (re-centred in issue 6 after the edges into parenting were halved)", "intercept of sensitive parenting"),
    Param("parenting_skill", 0.0, "logit", 0.0, 2.0, "assumed (intervention target: parenting programmes)",
          "skill from parenting programmes"),
    Param("stress_logit", -2.0, "logit", -4.0, 0.0, "assumed", "intercept of parenting stress"),
    Param("stress_relief", 0.0, "logit", 0.0, 2.0, "assumed (intervention target: mindfulness-based parenting)",
          "lower parenting stress from parenting support"),
    Param("disposition_sd", 0.7, "logit", 0.0, 1.5,
          "assumed (stable individual differences in sensitivity: NICHD ECCRN 1999)",
          "SD of the mother's caregiving disposition (random effect on the log-odds of sensitivity)"),
))
U = declare_streams("parenting", (Stream("disposition", "mother's caregiving disposition, drawn on day 0"),))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Prenatal levels (parenting is recorded only after birth)."""
    s[S.parenting] = 0.5
    s[S.parenting_stress] = 0.3
    s[S.sens_disposition] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Sensitivity and parenting stress relax toward their targets."""
    first = 1.0 * (t == 0.0)
    s[S.sens_disposition] = s[S.sens_disposition] + first * (p[P.disposition_sd] * logistic_z(u[U.disposition])
                                                             - s[S.sens_disposition])
    target = logistic(p[P.sensitivity_logit] + s[S.sens_disposition] + p[P.parenting_skill] + s[S.lever_parenting_skill]
                      + w[L.salience_parenting] * s[S.lever_sensitivity_scale] * s[S.salience]
                      + w[L.pos_affect_parenting] * s[S.pos_affect]
                      + w[L.neg_affect_parenting] * s[S.neg_affect]
                      + w[L.use_parenting] * s[S.use_today]
                      + w[L.withdrawal_parenting] * s[S.withdrawal])
    s[S.parenting] = relax(s[S.parenting], target, p[TAU.parenting])
    ps_t = logistic(p[P.stress_logit] - p[P.stress_relief] - s[S.lever_parenting_stress]
                    + w[L.infant_distress_parenting_stress] * s[S.infant_distress] * s[S.born]
                    + w[L.appraisal_parenting_stress] * s[S.neg_appraisal])
    s[S.parenting_stress] = relax(s[S.parenting_stress], ps_t, p[TAU.parenting_stress])


FINAL = (
    Final("mother_sens_disposition", "sens_disposition", doc="the mother's own caregiving disposition (logit)"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (
    Recorded("parenting_stress", "parenting_stress", doc="parenting stress (0-1, latent)"),
    Recorded("parenting", "parenting", doc="sensitive, engaged parenting (0-1, latent)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

"""The infant's own contribution: temperament, other caregivers, soothability and distress (bids).

At birth (postpartum day 0) three infant-side traits are drawn, each from its own named stream
(so no other stream's numbers move): **temperament** (negative emotionality, a logistic variate
scaled to SD 1), the sensitivity of the infant's **other and substitute caregivers** (father,
grandmother, NICU staff, kin or foster carer: logit-normal around ``context.substitute_care``)
and the **share of bids** those others answer while the infant lives with its mother (uniform on
``[0, other_share_max]``).

Every day after birth:

* **Soothability** (probability that a sensitive response calms the infant) falls with
  temperament (edge ``temperament_soothability``), NOWS severity (``nows_soothability``) and with
  what the infant has learned about care: an infant whose expectation that bids are answered
  (``att_expect``, learned in :mod:`dyadsim.model.modules.attachment`, one-day lag) has fallen below
  the reference is harder to soothe (``attachment_soothability``).
* **Distress** (fussing, crying, bids for care) follows a coupled AR(1) (Skoranski et al. 2017)
  toward a logistic target: the normative crying curve (peak near 6 weeks), NOWS, separation,
  temperament (``temperament_infant_distress``), the learned unreliability of care (an infant who
  has learned care is unreliable bids more: ``attachment_infant_distress``) and the regulation
  it receives, the caregiver's sensitivity times its soothability (``parenting_infant_distress``).

Distress is a stressor for the mother (edge ``infant_distress_stressors`` in
:mod:`dyadsim.model.modules.stressors`) and raises parenting stress, which in turn makes rejecting
responses to bids more likely: the loop of Figure 1 from the infant back to the mother.

Sources: seed 000 §Infant Affect and Behavior and Figure 1; Skoranski et al. 2017 (Dev Psychobiol
59:888); Groh et al. 2017 (Child Dev 88:770: temperament weakly related to insecurity, d = .14,
modestly to resistance, d = .30); Goldsmith & Alansky 1987 (proneness to distress predicts
resistance); De Wolff & van IJzendoorn 1997 (other caregivers and nonshared environment).
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Final, Param, Recorded, Stream, declare_params, declare_streams
from dyadsim.model.states import S
from dyadsim.model.modules.context import P as CTX

P = declare_params("infant", (
    Param("distress_logit", -0.2, "logit", -2.0, 1.5, "assumed", "intercept of infant distress"),
    Param("crying_peak", 1.0, "logit", 0.0, 2.0, "assumed (normative crying curve)", "extra distress at the 6-week peak"),
    Param("crying_peak_day", 42.0, "days", 28.0, 70.0, "assumed (Brazelton crying curve)", "age of peak crying"),
    Param("shock", 0.15, "0-1", 0.0, 0.4, "assumed", "width of the daily uniform shock"),
    Param("soothability_logit", 1.5, "logit", 0.0, 3.0, "assumed (most sensitive responses soothe a typical infant)",
          "log-odds that a sensitive response soothes a typical infant"),
    Param("ref_expect", 0.58, "0-1", 0.35, 0.7, "usual-care population mean of att_expect at 12 months (measured)",
          "learned expectation around which the infant bids more (below) or less (above) and is harder or easier to soothe"),
    Param("other_care_sd", 0.8, "logit", 0.0, 2.0, "assumed (caregivers differ as mothers do)",
          "SD of the logit of other caregivers' sensitivity between infants"),
    Param("other_share_max", 0.6, "share", 0.0, 0.8, "assumed (fathers, grandmothers share care)",
          "largest share of bids answered by other caregivers while with the mother"),
))
U = declare_streams("infant", (
    Stream("shock", "daily affect shock"),
    Stream("temperament", "infant temperament, drawn at birth"),
    Stream("other_care", "other caregivers' sensitivity, drawn at birth"),
    Stream("other_share", "share of bids answered by others, drawn at birth"),
))

_LOGISTIC_SD1 = 0.5513288954217921  # sqrt(3) / pi: a logistic variate with scale this has SD 1


@register_jitable
def logistic_z(u):  # type: ignore[no-untyped-def]
    """A logistic variate with mean 0 and SD 1 from a uniform in [0, 1) (clipped away from 0 and 1)."""
    x = np.minimum(np.maximum(u, 1e-12), 1.0 - 1e-12)
    return _LOGISTIC_SD1 * np.log(x / (1.0 - x))


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything (used by the compiled engine to skip it): only after birth."""
    return s[S.born] > 0.5


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No infant state before birth."""
    s[S.infant_distress] = 0.0
    s[S.temperament] = 0.0
    s[S.other_care] = p[CTX.substitute_care]
    s[S.other_share] = 0.0
    s[S.soothability] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Traits at birth; then soothability and distress, regulated by whoever gives care."""
    born = s[S.born]
    at_birth = born * (s[S.pp_day] == 0.0)
    # --- infant-side traits, drawn once on the day of birth --------------------------------
    temp = logistic_z(u[U.temperament])
    sub = np.minimum(np.maximum(p[CTX.substitute_care], 1e-6), 1.0 - 1e-6)
    oc = logistic(np.log(sub / (1.0 - sub)) + p[P.other_care_sd] * logistic_z(u[U.other_care]))
    s[S.temperament] = s[S.temperament] + at_birth * (temp - s[S.temperament])
    s[S.other_care] = s[S.other_care] + at_birth * (oc - s[S.other_care])
    s[S.other_share] = s[S.other_share] + at_birth * (p[P.other_share_max] * u[U.other_share] - s[S.other_share])
    # --- soothability: temperament, NOWS and the learned unreliability of care ------------
    unmet = born * (p[P.ref_expect] - s[S.att_expect])
    sooth = born / (1.0 + np.exp(-(p[P.soothability_logit] + w[L.temperament_soothability] * s[S.temperament]
                                   + w[L.nows_soothability] * s[S.nows]
                                   + w[L.attachment_soothability] * unmet)))
    s[S.soothability] = sooth
    ref_sooth = logistic(p[P.soothability_logit])
    # --- distress: target and coupled AR(1) -----------------------------------------------
    age = np.maximum(s[S.pp_day], 0.0) / p[P.crying_peak_day]
    crying = age * np.exp(1.0 - age)
    sep = s[S.separated]
    care = (1.0 - sep) * s[S.parenting] + sep * s[S.other_care]
    target = logistic(p[P.distress_logit] + p[P.crying_peak] * crying
                      + w[L.nows_infant_distress] * s[S.nows]
                      + w[L.separation_infant_distress] * sep
                      + w[L.temperament_infant_distress] * s[S.temperament]
                      + w[L.attachment_infant_distress] * unmet
                      + w[L.parenting_infant_distress] * (care * sooth / ref_sooth - 0.5))
    d = relax(s[S.infant_distress], target, p[TAU.infant_distress]) \
        + p[P.shock] * (u[U.shock] - 0.5)
    s[S.infant_distress] = born * np.minimum(np.maximum(d, 0.0), 1.0)


FINAL = (
    Final("infant_temperament", "temperament", doc="infant negative emotionality (z)"),
    Final("infant_other_care", "other_care", doc="sensitivity of the infant's other caregivers (0-1)"),
)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""


RECORDED = (Recorded("infant_distress", "infant_distress", over="followed", doc="infant distress (0-1, latent)"),)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

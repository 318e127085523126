"""Co-regulation / dyadic synchrony and bonding.

Synchrony is a property of the dyad's interaction, defined from birth. While mother and infant
are together it relaxes (time constant ``tau.synchrony``) toward a **logistic target**:
``logistic(synchrony_logit + parenting_synchrony x (parenting - ref_parenting)
+ infant_distress_synchrony x (infant_distress - ref_distress))``: the mother's sensitivity raises
it (edge ``parenting_synchrony``), the infant's distress lowers it (edge
``infant_distress_synchrony``), each on the log-odds and centred on the usual-care population, so
that ``synchrony_logit`` is the log-odds of synchrony of a dyad at the population's reference.
Apart (NICU stay, removal), there is no shared interaction to practise: synchrony relaxes at the
same rate toward the level of a dyad with no sensitive engagement, the target with parenting at 0
and distress at its reference. On the day of birth it starts from that level. Because every
target is a logistic of a finite log-odds and the relaxation is a convex combination of the state
and its target (``tau.synchrony >= 1`` day), synchrony stays strictly inside (0, 1) for every
parameter set in the declared ranges: it cannot pile up at a bound (before issue 18 the target was
a linear combination clipped at 0, and a third of dyads sat at 0 at 12 months).

Bonding relaxes toward a logistic target of synchrony and salience. Synchrony rewards the mother
through positive affect (edge ``synchrony_pos_affect`` in :mod:`dyadsim.model.modules.appraisal`).

Sources: seed 000 Figure 1 (dyadic synchrony; Harrist & Waugh 2002); Skoranski et al. 2017;
seed 004 (bonding with the infant promotes recovery).
"""
from __future__ import annotations

import numpy as np

from dyadsim.model.forms import logistic, relax
from dyadsim.model.graph import TAU, L
from dyadsim.core.registry import Param, Recorded, declare_params
from dyadsim.model.states import S

P = declare_params("synchrony", (
    Param("bonding_logit", -2.5, "logit", -4.0, 0.0, "assumed", "intercept of bonding"),
    Param("synchrony_logit", -1.2, "logit", -3.0, 0.5,
          "assumed (synchrony is modest in high-risk dyads, Harrist & Waugh 2002; the earlier linear "
          "target gave a usual-care mean near 0.23, logit -1.2)",
          "log-odds of the synchrony target of a dyad at the reference sensitivity and distress"),
    Param("ref_parenting", 0.47, "0-1", 0.35, 0.65,
          "usual-care population mean of first-year sensitivity (measured: scripts/structure_review.py cohort)",
          "reference sensitivity of the synchrony target"),
    Param("ref_distress", 0.55, "0-1", 0.4, 0.8,
          "usual-care population mean of first-year infant distress (measured)",
          "reference infant distress of the synchrony target"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No synchrony before birth; prenatal bonding from salience."""
    s[S.synchrony] = 0.0
    s[S.bonding] = 0.4


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Synchrony (after birth) and bonding relax toward their logistic targets."""
    born = s[S.born]
    together = born * (1.0 - s[S.separated])
    distress = w[L.infant_distress_synchrony] * (s[S.infant_distress] - p[P.ref_distress])
    engaged = logistic(p[P.synchrony_logit] + w[L.parenting_synchrony] * (s[S.parenting] - p[P.ref_parenting])
                       + distress)
    apart = logistic(p[P.synchrony_logit] - w[L.parenting_synchrony] * p[P.ref_parenting])
    y_t = together * engaged + (1.0 - together) * apart
    at_birth = born * (s[S.pp_day] == 0.0)
    y0 = s[S.synchrony] + at_birth * (apart - s[S.synchrony])
    y = born * relax(y0, y_t, p[TAU.synchrony])
    s[S.synchrony] = y
    b_t = logistic(p[P.bonding_logit] + w[L.synchrony_bonding] * y
                   + w[L.salience_bonding] * s[S.salience])
    s[S.bonding] = relax(s[S.bonding], b_t, p[TAU.bonding])


RECORDED = (
    Recorded("bonding", "bonding", doc="bonding (0-1, latent)"),
    Recorded("synchrony", "synchrony", doc="dyadic synchrony (0-1, latent)"),
)
"""Measures recorded by postpartum month (and trimester) (see :class:`dyadsim.core.registry.Recorded`)."""

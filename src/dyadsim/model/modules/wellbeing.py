"""Child well-being at 12 months in five domains: physical, psychological, cognitive, social, economic.

**Scale.** Each domain is a T score: mean 50 and SD 10 in a reference (general-population)
sample of 12-month-olds, higher is better. A domain score is 50, plus the mechanism terms (each
an edge into a ``wb_*`` node, in T points per unit of its source measured from a reference
value), plus a **residual** of SD ``residual_sd_<domain>`` T points drawn on day 364 from the
domain's own stream (a logistic variate scaled to SD 1). The residual stands for everything the
model does not represent (illness, genes, child care, neighbourhood, measurement); with residual
SD 8 the modelled terms can explain at most about a third of a domain's variance, in line with
the modest effect sizes of single early-life predictors. Residuals are independent across
domains, so domains correlate only through shared mechanisms.

**Floor and ceiling.** Like the instruments it stands for (PROMIS pediatric T scores span about
20-80), a domain score is bounded: the raw sum above is passed through
``20 + 60 logistic((raw - 50) / 15)``, which has slope 1 at 50 (between raw 40 and 60 it is the
raw score to within 0.4 T point; raw 30 gives 32.5) and flattens toward 20 and 80, so that no parameter set
in the declared ranges gives an impossible score (the range ends are *assumed*).

**Construction** (Pollard & Lee 2003 five domains; seed 000 §Attachment and Child Well-Being):

* physical: NOWS severity at birth (``nows_wb_physical``), preterm birth (``preterm_wb_physical``),
  mean maternal sensitivity on care days (neglect risk, ``parenting_wb_physical``);
* psychological: the continuous attachment **security score** (``attachment_wb_psychological``;
  insecurity and later internalizing/externalizing problems, Groh et al. 2012, Fearon et al.
  2010), mean infant distress over the year (``infant_distress_wb_psychological``) and
  temperament (negative emotionality, ``temperament_wb_psychological``);
* cognitive: mean synchrony (``synchrony_wb_cognitive``) and sensitivity (``parenting_wb_cognitive``)
  on care days, and NOWS severity (prenatal opioid exposure and lower cognitive scores, Yeoh et
  al. 2019, ``nows_wb_cognitive``);
* social: the continuous **disorganization score** (``attachment_wb_social``; security and social
  competence, Groh et al. 2014) and the share of the year apart from the mother
  (``separation_wb_social``);
* economic (the household's): unstable housing at 12 months, low income, and the share of
  postpartum days with maternal use (``housing_wb_economic``, ``income_wb_economic``,
  ``use_wb_economic``).

Sources: Pollard & Lee 2003 (Soc Indic Res 61:59, five domains of child well-being); seed 000;
Groh et al. 2012 (Child Dev 83:591), 2014 (Attach Hum Dev 16:103); Fearon et al. 2010 (Child Dev
81:435); Yeoh et al. 2019 (JAMA Netw Open 2:e197025).
"""
from __future__ import annotations

import numpy as np

from numba.extending import register_jitable

from dyadsim.model.forms import logistic
from dyadsim.model.graph import L
from dyadsim.core.registry import Final, Param, Stream, declare_params, declare_streams
from dyadsim.model.states import WELLBEING_DOMAINS, S
from dyadsim.model.modules.attachment import CLASSIFY_DAY
from dyadsim.model.modules.infant import logistic_z


def _resid(domain: str) -> Param:
    return Param(f"residual_sd_{domain}", 8.0, "T points", 0.0, 10.0,
                 "assumed (single early predictors explain a minority of variance)",
                 f"SD of the unexplained part of {domain} well-being")


P = declare_params("wellbeing", (
    Param("ref_distress", 0.4, "0-1", 0.1, 0.7, "assumed", "reference mean infant distress"),
    Param("ref_sensitivity", 0.6, "0-1", 0.3, 0.9, "assumed", "reference mean sensitivity"),
    Param("ref_synchrony", 0.5, "0-1", 0.2, 0.9, "assumed", "reference mean synchrony"),
    _resid("physical"), _resid("psychological"), _resid("cognitive"), _resid("social"), _resid("economic"),
))
U = declare_streams("wellbeing", (
    Stream("physical", "residual of physical well-being"),
    Stream("psychological", "residual of psychological well-being"),
    Stream("cognitive", "residual of cognitive well-being"),
    Stream("social", "residual of social well-being"),
    Stream("economic", "residual of economic well-being"),
))

DOMAINS = WELLBEING_DOMAINS


@register_jitable
def t_score(raw):  # type: ignore[no-untyped-def]
    """A raw domain sum (T points) on the bounded T scale 20-80: slope 1 at 50 (60/4/15 = 1)."""
    return 20.0 + 60.0 * logistic((raw - 50.0) / 15.0)


def gate(s: np.ndarray, p: np.ndarray, t: float) -> bool:
    """Whether today's step can change anything: only on the classification day."""
    return s[S.pp_day] == CLASSIFY_DAY


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Scores are set on day 364."""
    for d in DOMAINS:
        s[getattr(S, f"wb_{d}")] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """Score the five domains on the classification day."""
    now = 1.0 * (s[S.pp_day] == CLASSIFY_DAY)
    n = np.maximum(s[S.care_days], 1.0)
    sens = s[S.sens_sum] / n - p[P.ref_sensitivity]
    sync = s[S.sync_sum] / n - p[P.ref_synchrony]
    year = CLASSIFY_DAY + 1.0
    phys = (50.0 + w[L.nows_wb_physical] * s[S.nows_birth_severity]
            + w[L.preterm_wb_physical] * s[S.preterm] + w[L.parenting_wb_physical] * sens
            + p[P.residual_sd_physical] * logistic_z(u[U.physical]))
    psych = (50.0 + w[L.attachment_wb_psychological] * s[S.att_security]
             + w[L.infant_distress_wb_psychological] * (s[S.distress_sum] / year - p[P.ref_distress])
             + w[L.temperament_wb_psychological] * s[S.temperament]
             + p[P.residual_sd_psychological] * logistic_z(u[U.psychological]))
    cog = (50.0 + w[L.synchrony_wb_cognitive] * sync + w[L.parenting_wb_cognitive] * sens
           + w[L.nows_wb_cognitive] * s[S.nows_birth_severity]
           + p[P.residual_sd_cognitive] * logistic_z(u[U.cognitive]))
    soc = (50.0 + w[L.attachment_wb_social] * s[S.att_disorganization]
           + w[L.separation_wb_social] * s[S.sep_days] / year
           + p[P.residual_sd_social] * logistic_z(u[U.social]))
    econ = (50.0 + w[L.housing_wb_economic] * s[S.housing_eff] + w[L.income_wb_economic] * s[S.low_income]
            + w[L.use_wb_economic] * s[S.pp_use_days] / year
            + p[P.residual_sd_economic] * logistic_z(u[U.economic]))
    # Written once, on the classification day; kept unchanged afterwards.
    s[S.wb_physical] = s[S.wb_physical] + now * (t_score(phys) - s[S.wb_physical])
    s[S.wb_psychological] = s[S.wb_psychological] + now * (t_score(psych) - s[S.wb_psychological])
    s[S.wb_cognitive] = s[S.wb_cognitive] + now * (t_score(cog) - s[S.wb_cognitive])
    s[S.wb_social] = s[S.wb_social] + now * (t_score(soc) - s[S.wb_social])
    s[S.wb_economic] = s[S.wb_economic] + now * (t_score(econ) - s[S.wb_economic])


FINAL = tuple(Final(f"wb_{d}", f"wb_{d}", doc=f"{d} well-being at 12 months (T score)") for d in DOMAINS)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

"""Turning points: life events after which a mother's own propensity to use is no longer what it was.

A mother's own propensity to use (random effect ``use``: a lasting shift of the daily log-odds of
use, :mod:`use_cycle`) is not fixed for life. A new partner or the loss of one, stable housing or
its loss, a job, leaving a network that uses, a death: the life-course studies of drug use find
such turning points behind most natural recoveries and many relapses (Hser, Longshore & Anglin
2007; Laub & Sampson 2003; Granfield & Cloud 1996). At a turning point, which comes with a
constant daily hazard ``turning_point_hazard``, her propensity is drawn afresh from its population
distribution (standard normal, scaled by ``individual.sd_use`` where it is used), so the
population's spread is unchanged while each mother's propensity keeps its value for a mean of
``1 / turning_point_hazard`` days: heavy use is not a life sentence, nor light use a guarantee.

Sources: Hser, Longshore & Anglin 2007 (Eval Rev 31:515, the life course perspective on drug use);
Laub & Sampson 2003 (Shared beginnings, divergent lives: turning points); Granfield & Cloud 1996
(natural recovery); the hazard is assumed.
"""
from __future__ import annotations

import numpy as np

from dyadsim.core.registry import Param, State, Stream, declare_params, declare_streams, declare_states
from dyadsim.model.forms import daily_probability
from dyadsim.model.states import INF
from dyadsim.model.states import S as S0

AFTER = "reward"
"""Her propensity is today's before the day's use (:mod:`use_cycle` runs after)."""

P = declare_params("turning_points", (
    Param("turning_point_hazard", 1.0 / 730.0, "1/day", 0.0, 1.0 / 180.0,
          "assumed (life events that change the course of use come every few years: Hser et al. 2007)",
          "daily hazard of a turning point, after which her propensity to use is drawn afresh"),
))
U = declare_streams("turning_points", (Stream("event", "a turning point today"),
                                       Stream("z1", "new propensity (first uniform of Box-Muller)"),
                                       Stream("z2", "new propensity (second uniform of Box-Muller)")))


S = declare_states((
    State("use_propensity", "z", -INF, INF,
          "her own propensity to use now (standard normal): the baseline draw re_use, drawn afresh at a turning point"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """Her propensity at enrolment is the baseline draw (random effect ``use``)."""
    s[S.use_propensity] = s[S0.re_use]


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """A turning point redraws her propensity to use from its population distribution."""
    event = s[S0.alive] * (u[U.event] < daily_probability(p[P.turning_point_hazard]))
    z = np.sqrt(-2.0 * np.log1p(-u[U.z1])) * np.cos(2.0 * np.pi * u[U.z2])
    s[S.use_propensity] = event * z + (1.0 - event) * s[S.use_propensity]

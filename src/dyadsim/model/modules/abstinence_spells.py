"""Spells of enforced abstinence: jail, a hospital stay, a withdrawal-management admission.

People who use opioids heavily spend spells away from their supply, not by choice: a short jail
stay after an arrest, an admission for an infection or an injury, a detoxification bed. During a
spell she does not use; her tolerance falls (:mod:`use_cycle`), withdrawal passes, and the first
use after it meets a body that has lost tolerance, the time of highest overdose risk (Binswanger
et al. 2007: overdose death risk 12.7 times that of the general population in the two weeks after
release from prison; Strang et al. 2003: loss of tolerance after detoxification). A spell ends a
run of heavy use; whether the episode ends with it depends on the use cycle (craving, habit,
self-control) when she comes back.

A spell starts with a daily hazard ``spell_hazard`` times her recent use (``intoxication``:
arrests, injuries and admissions come with use, so a mother who does not use has none) and lasts
an exponential number of days with mean ``spell_days`` (whole days, at least one). Abstinence in
a spell is not chosen, so it does not build abstinence self-efficacy (:mod:`use_cycle`).

Sources: Binswanger et al. 2007 (N Engl J Med 356:157); Strang et al. 2003 (BMJ 326:959);
Merrall et al. 2010 (Addiction 105:1545, overdose after release, meta-analysis); frequency and
length assumed.
"""
from __future__ import annotations

import numpy as np

from numba.extending import register_jitable

from dyadsim.core.registry import Final, Param, Recorded, State, Stream, declare_params, declare_states, declare_streams
from dyadsim.model.forms import daily_probability
from dyadsim.model.states import INF
from dyadsim.model.states import S as S0

AFTER = "reward"
"""The spell is decided before the day's use (:mod:`use_cycle` runs next)."""

P = declare_params("abstinence_spells", (
    Param("spell_hazard", 0.006, "1/day", 0.0, 0.015,
          "assumed (jail, hospital and detoxification admissions among people using opioids daily: about two a year)",
          "daily hazard of a spell of enforced abstinence at daily use (times intoxication)"),
    Param("spell_days", 21.0, "days", 5.0, 90.0,
          "assumed (detoxification 5-7 days, short jail stays and admissions of weeks)",
          "mean length of a spell (exponential)"),
))
U = declare_streams("abstinence_spells", (Stream("start", "a spell starts today"),
                                          Stream("length", "length of a spell")))
S = declare_states((
    State("spell_days_left", "days", 0, INF, "days left in a spell of enforced abstinence (0: none)"),
    State("spells", "count", 0, INF, "spells of enforced abstinence begun"),
))


def init(s: np.ndarray, p: np.ndarray) -> None:
    """No spell under way at enrolment."""
    s[S.spell_days_left] = 0.0
    s[S.spells] = 0.0


def step(s: np.ndarray, p: np.ndarray, w: np.ndarray, u: np.ndarray, t: float) -> None:
    """A day of a spell passes; a mother not in one may begin one (she is in it from today)."""
    left = np.maximum(s[S.spell_days_left] - 1.0, 0.0)
    free = (left == 0.0) * s[S0.alive]
    start = free * (u[U.start] < daily_probability(p[P.spell_hazard] * s[S0.intoxication]))
    # Whole days, at least one: the exponential length rounded up.
    length = np.ceil(-p[P.spell_days] * np.log(np.maximum(1.0 - u[U.length], 1e-300)))
    s[S.spell_days_left] = left + start * np.maximum(length, 1.0)
    s[S.spells] = s[S.spells] + start


FINAL = (Final("abstinence_spells", "spells", doc="spells of enforced abstinence (jail, hospital, detoxification)"),)
"""Columns of the outcomes table (see :class:`dyadsim.core.registry.Final`)."""

@register_jitable
def in_spell(s):  # type: ignore[no-untyped-def]
    """1 on a day of a spell of enforced abstinence."""
    return 1.0 * (s[S.spell_days_left] > 0.0)


RECORDED = (Recorded("spell_days", in_spell, report="sum", doc="days in a spell of enforced abstinence"),)
"""Measures recorded by postpartum month (see :class:`dyadsim.core.registry.Recorded`)."""

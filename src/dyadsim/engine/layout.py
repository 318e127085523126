"""What the engine records: monthly and trimester accumulators, daily aggregates, trajectories.

``record`` is shared by the Numba engine and the NumPy reference (same source), like the
modules' steps: it adds today's values to per-dyad accumulators ``mon[i, k, month]`` (postpartum
months) and ``preg[i, k, trimester]`` (pregnancy), weighted by ``followed`` so days after the end
of follow-up add nothing. Every recorded value is a latent state on its own scale (0-1), or a count
of days: scores on published instrument scales, with measurement error, are drawn after the run by
:mod:`dyadsim.model.instruments`. What is recorded is declared by the modules
(``RECORDED``, :class:`dyadsim.core.registry.Recorded`); ``record`` is written out from those declarations.
"""
from __future__ import annotations

import linecache
from collections import namedtuple
from typing import Any

import numpy as np

from dyadsim.core.units import DAYS_PER_MONTH, TRIMESTER_DAYS
from dyadsim.core.registry import STATES, Recorded
from dyadsim.model.modules import UPDATE_ORDER
from dyadsim.model.modules.appraisal import perceived_stress
from dyadsim.model.states import S

PREG_AXIS = 300        # daily aggregates: gestational days 0..299, then postpartum days

BASE: tuple[Recorded, ...] = (
    Recorded("followed_days", None, over="followed", report="sum", trimesters=True, doc="days of follow-up"),
    Recorded("alive_days", None, over="alive", report="sum", trimesters=True,
             doc="days the mother was alive at the start of the day"),
)
"""The denominators every recorded mean is taken over, recorded first."""

RECORDED: tuple[Recorded, ...] = BASE + tuple(r for m in UPDATE_ORDER for r in getattr(m, "RECORDED", ()))
"""Every recorded measure: the denominators, then each module's ``RECORDED`` in update order."""

MONTHLY = tuple(r.name for r in RECORDED)
"""Per-dyad sums by postpartum month (means are sums / alive_days, or / followed_days)."""
M = {k: i for i, k in enumerate(MONTHLY)}
"""Index of each monthly accumulator."""
MS = namedtuple("MonthlySlots", MONTHLY)(*range(len(MONTHLY)))
"""The same indices as attributes (``mon[i, MS.use_days, m]``)."""
PREGNANCY = tuple(r.name for r in RECORDED if r.trimesters)
"""Per-dyad sums by trimester of pregnancy (days observed after enrolment)."""
Q = {k: i for i, k in enumerate(PREGNANCY)}
"""Index of each trimester accumulator."""
QS = namedtuple("TrimesterSlots", PREGNANCY)(*range(len(PREGNANCY)))
"""The same indices as attributes (``preg[i, QS.use_days, tri]``)."""

AGGREGATE_COUNTS = ("followed", "alive", "use", "on_moud", "overdose", "death", "separated")
"""Daily cohort aggregates that are counts of dyads (stored as integers)."""
AGGREGATE_SUMS = ("craving", "salience", "parenting", "synchrony", "infant_distress", "perceived_stress")
"""Daily cohort aggregates that are sums of continuous values (stored in fixed point)."""
AGGREGATES = AGGREGATE_COUNTS + AGGREGATE_SUMS
"""Daily cohort sums by gestational day (pregnancy) and postpartum day, in the order
:func:`aggregate_values` returns them: the counts, then the continuous sums."""
N_COUNT_AGG = len(AGGREGATE_COUNTS)
FIXED_POINT = 1_000_000.0

TRAJECTORY_STATES = ("pregnant", "pp_day", "stressors", "neg_appraisal", "pos_affect", "neg_affect",
                     "allostatic_load", "stress_sensitization", "reward_dysregulation", "attentional_bias",
                     "craving", "self_control", "use_today", "tolerance", "withdrawal", "on_moud", "alive",
                     "nows", "separated", "infant_distress", "salience", "parenting", "synchrony", "bonding")
TRAJ_IDX = np.array([getattr(S, k) for k in TRAJECTORY_STATES], dtype=np.int64)

def _term(r: Recorded, weight: str) -> str:
    """The day's addition of measure ``r`` weighted by ``weight`` (source text)."""
    if r.value is None:
        return weight
    # A state by its index in the vector: modules may declare states of their own, outside ``S``.
    value = f"s[{list(STATES).index(r.value)}]" if isinstance(r.value, str) else f"{r.value.__name__}(s)"
    return f"{weight} * {value}"


def record_source() -> str:
    """Source of :func:`record`, written out from :data:`RECORDED`: one accumulation per measure and
    period. The engines lower it like a module step (and the one-dyad engine compiles it from the
    generated module), so what is recorded is declared once, next to the mechanism."""
    lines = [
        "def record(s, t, i, mon, preg):",
        '    """Add today\'s values of dyad(s) ``i`` to the monthly and trimester accumulators."""',
        "    f = s[S.followed]",
        "    alive = (s[S.alive] + s[S.fatal_today]) * f  # alive at the start of the day",
        "    pp = s[S.pp_day]",
        "    is_pp = 1.0 * (pp >= 0.0)",
        "    n_months = mon.shape[2]",
        "    m = np.int64(np.minimum(np.maximum(pp, 0.0) / DAYS_PER_MONTH, n_months - 1.0))",
        "    tri = np.int64(np.minimum((s[S.enrol_gest_day] + t) / TRIMESTER_DAYS, 2.0))",
        "    a_pp = alive * is_pp",
    ]
    for k, r in enumerate(RECORDED):
        w = "a_pp" if r.over == "alive" else "f * is_pp"
        lines.append(f"    mon[i, {k}, m] += {_term(r, w)}  # {r.name}")
    lines.append("    a_pr = alive * (1.0 - is_pp)")
    for k, r in enumerate(r for r in RECORDED if r.trimesters):
        w = "a_pr" if r.over == "alive" else "f * (1.0 - is_pp)"
        lines.append(f"    preg[i, {k}, tri] += {_term(r, w)}  # {r.name}")
    return "\n".join(lines) + "\n"


def record_helpers() -> dict[str, Any]:
    """The functions of the states that :func:`record` calls, by name."""
    return {r.value.__name__: r.value for r in RECORDED if callable(r.value)}


def _make_record() -> Any:
    source = record_source()
    filename = "<dyadsim.engine.layout.record>"
    # Registered with linecache so that inspect.getsource (the code generator's reader) finds it.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"np": np, "S": S, "DAYS_PER_MONTH": DAYS_PER_MONTH,
                                 "TRIMESTER_DAYS": TRIMESTER_DAYS, **record_helpers()}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["record"]


record = _make_record()
"""``record(s, t, i, mon, preg)``: add today's values of dyad(s) ``i`` to ``mon`` (by postpartum
month) and ``preg`` (by trimester); the source is :func:`record_source`."""


def aggregate_values(s: np.ndarray) -> tuple:
    """Today's contributions of dyad(s) to the daily aggregates, in AGGREGATES order."""
    f = s[S.followed]
    a = (s[S.alive] + s[S.fatal_today]) * f  # alive at the start of the day, as in record()
    return (f, a, a * s[S.use_today], a * s[S.on_moud], f * (s[S.od_today] + s[S.fatal_today]),
            f * s[S.fatal_today], f * s[S.separated], a * s[S.craving], a * s[S.salience],
            a * s[S.parenting] * s[S.born], a * s[S.synchrony], f * s[S.infant_distress],
            a * perceived_stress(s))


def axis_index(s: np.ndarray, t: float) -> np.ndarray:
    """Row of the daily aggregates: gestational day in pregnancy, 300 + postpartum day after."""
    pp = s[S.pp_day]
    gest = np.minimum(s[S.enrol_gest_day] + t, PREG_AXIS - 1.0)
    return np.int64((pp >= 0.0) * (PREG_AXIS + pp) + (pp < 0.0) * gest)

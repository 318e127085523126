"""Mechanism modules, one file per mechanism, and the documented update order of a day.

Each module declares its parameters (``P``), random streams (``U``, where it draws), an
``init(s, p)`` run once at enrolment (vectorised over dyads) and a ``step(s, p, w, u, t)`` run
every day. ``step`` is written with arithmetic and NumPy ufuncs only, so the same source runs
compiled by Numba on one dyad at a time (``s`` a state vector, scalars everywhere) and as plain
NumPy on a whole cohort at once (``s`` a states x dyads matrix): that is the reference engine.

Update order of a day (each module sees today's values of the modules before it and yesterday's
of those after it; the lag is part of the model and declared on the edges as ``lag_days``):
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable

from . import (allostasis, appraisal, attachment, context, cps, infant, moud, nows, overdose, parenting,
               pregnancy, programs, reward, salience, stressors, supports, synchrony, use_cycle, wellbeing)

UPDATE_ORDER: tuple[ModuleType, ...] = (
    pregnancy,   # birth, postpartum clock
    supports,    # system supports and MOUD policies: today's levers
    programs,    # group programmes: sessions, practice, dose, levers
    nows,        # NOWS at birth, hospital stay
    moud,        # MOUD start / stop
    cps,         # report, removal, separation today
    stressors,   # stressful events
    appraisal,   # appraisal, coping, affect, depression
    allostasis,  # allostatic load, sensitization
    reward,      # reward dysregulation
    use_cycle,   # bias, cue, craving, self-control, use, tolerance
    overdose,    # overdose on a use day, death
    infant,      # infant distress
    salience,    # salience of infant cues
    parenting,   # sensitivity, parenting stress
    synchrony,   # synchrony, bonding
    attachment,  # first-year accumulators, class at 12 months
    wellbeing,   # five domains at 12 months
)
__doc__ = (__doc__ or "") + "\n".join(f"{i + 1}. ``{m.__name__.rsplit('.', 1)[-1]}``"
                                      for i, m in enumerate(UPDATE_ORDER))

INIT_ORDER: tuple[ModuleType, ...] = (pregnancy, supports, programs, nows, moud, cps, overdose, stressors, appraisal,
                                      allostasis, reward, use_cycle, infant, salience, parenting,
                                      synchrony, attachment, wellbeing)
"""Order of ``init``: MOUD before the use cycle (initial use depends on MOUD at enrolment)."""

StepFn = Callable[..., None]


def make_day_step(steps: tuple[StepFn, ...]) -> StepFn:
    """Return a function running one day of every module in :data:`UPDATE_ORDER`.

    ``steps`` are the modules' ``step`` functions in that order: the plain functions for the
    NumPy reference, or their Numba-compiled versions for the fast engine (Numba compiles the
    closure, calling the compiled steps). Written out, not looped, so Numba can inline it.
    """
    (f_preg, f_sup, f_prog, f_nows, f_moud, f_cps, f_stress, f_appr, f_allo, f_rew, f_use, f_od, f_inf,
     f_sal, f_par, f_syn, f_att, f_wb) = steps

    def day_step(s, p, w, u, t):  # type: ignore[no-untyped-def]
        f_preg(s, p, w, u, t)
        f_sup(s, p, w, u, t)
        f_prog(s, p, w, u, t)
        f_nows(s, p, w, u, t)
        f_moud(s, p, w, u, t)
        f_cps(s, p, w, u, t)
        f_stress(s, p, w, u, t)
        f_appr(s, p, w, u, t)
        f_allo(s, p, w, u, t)
        f_rew(s, p, w, u, t)
        f_use(s, p, w, u, t)
        f_od(s, p, w, u, t)
        f_inf(s, p, w, u, t)
        f_sal(s, p, w, u, t)
        f_par(s, p, w, u, t)
        f_syn(s, p, w, u, t)
        f_att(s, p, w, u, t)
        f_wb(s, p, w, u, t)

    return day_step


__all__ = ["UPDATE_ORDER", "INIT_ORDER", "make_day_step", "context"]

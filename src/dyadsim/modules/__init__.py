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

from . import (allostasis, appraisal, attachment, context, cps, individual, infant, moud, nows, other_substances,
               overdose, parenting, pregnancy, programs, reward, salience, stressors, supports, synchrony, use_cycle,
               wellbeing)

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
    other_substances,  # other-substance and tobacco days (read by nothing else in the day)
)
__doc__ = (__doc__ or "") + "\n".join(f"{i + 1}. ``{m.__name__.rsplit('.', 1)[-1]}``"
                                      for i, m in enumerate(UPDATE_ORDER))

INIT_ORDER: tuple[ModuleType, ...] = (pregnancy, supports, programs, nows, moud, cps, overdose, stressors, appraisal,
                                      allostasis, reward, use_cycle, infant, salience, parenting,
                                      synchrony, attachment, wellbeing, other_substances)
"""Order of ``init``: MOUD before the use cycle (initial use depends on MOUD at enrolment)."""

StepFn = Callable[..., None]


def make_day_step(steps: tuple[StepFn, ...]) -> StepFn:
    """Return a function running one day of every module in :data:`UPDATE_ORDER`.

    ``steps`` are the modules' ``step`` functions in that order: the plain functions for the
    NumPy reference, or their Numba-compiled versions for the fast engine (Numba compiles the
    closure, calling the compiled steps). Written out, not looped, so Numba can inline it.
    """
    (f_preg, f_sup, f_prog, f_nows, f_moud, f_cps, f_stress, f_appr, f_allo, f_rew, f_use, f_od, f_inf,
     f_sal, f_par, f_syn, f_att, f_wb, f_oth) = steps

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
        f_oth(s, p, w, u, t)

    return day_step


def always(s, p, t):  # type: ignore[no-untyped-def]
    """Gate of a module that must run every day."""
    return True


def gates() -> tuple[StepFn, ...]:
    """Each module's ``gate(s, p, t)`` in update order (``always`` where it declares none).

    A gate says whether the module's step can change anything today. The compiled engine skips a
    module (and its random draws) when its gate is false; the NumPy reference runs every step
    every day. Because a skipped step must be an exact no-op, the two engines agreeing bit for bit
    (tested) checks every gate.
    """
    return tuple(getattr(m, "gate", always) for m in UPDATE_ORDER)


def stream_ranges(stream_names: list[str]) -> tuple[tuple[int, int], ...]:
    """(first, last + 1) indices of each module's random streams in the stream table, in update order."""
    out = []
    for m in UPDATE_ORDER:
        short = m.__name__.rsplit(".", 1)[-1]
        idx = [i for i, n in enumerate(stream_names) if n.split(".", 1)[0] == short]
        if idx and idx != list(range(idx[0], idx[-1] + 1)):
            raise ValueError(f"streams of module {short} are not contiguous")
        out.append((idx[0], idx[-1] + 1) if idx else (0, 0))
    return tuple(out)


def make_gated_day_step(steps: tuple[StepFn, ...], gate_fns: tuple[StepFn, ...],
                        ranges: tuple[tuple[int, int], ...], uniform: StepFn) -> StepFn:
    """The compiled engine's day: for each module in update order, if its gate is open, draw its
    streams for (dyad, day) and run its step. Same order and arithmetic as :func:`make_day_step`."""
    (f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18) = steps
    (g0, g1, g2, g3, g4, g5, g6, g7, g8, g9, g10, g11, g12, g13, g14, g15, g16, g17, g18) = gate_fns
    ((a0, b0), (a1, b1), (a2, b2), (a3, b3), (a4, b4), (a5, b5), (a6, b6), (a7, b7), (a8, b8), (a9, b9),
     (a10, b10), (a11, b11), (a12, b12), (a13, b13), (a14, b14), (a15, b15), (a16, b16), (a17, b17),
     (a18, b18)) = ranges

    # Written out (not looped over a tuple of functions) so Numba inlines every step.
    def day_step(s, p, w, u, keys, did, tt, t):  # type: ignore[no-untyped-def]
        if g0(s, p, t):
            for k in range(a0, b0):
                u[k] = uniform(keys[k], did, tt)
            f0(s, p, w, u, t)
        if g1(s, p, t):
            for k in range(a1, b1):
                u[k] = uniform(keys[k], did, tt)
            f1(s, p, w, u, t)
        if g2(s, p, t):
            for k in range(a2, b2):
                u[k] = uniform(keys[k], did, tt)
            f2(s, p, w, u, t)
        if g3(s, p, t):
            for k in range(a3, b3):
                u[k] = uniform(keys[k], did, tt)
            f3(s, p, w, u, t)
        if g4(s, p, t):
            for k in range(a4, b4):
                u[k] = uniform(keys[k], did, tt)
            f4(s, p, w, u, t)
        if g5(s, p, t):
            for k in range(a5, b5):
                u[k] = uniform(keys[k], did, tt)
            f5(s, p, w, u, t)
        if g6(s, p, t):
            for k in range(a6, b6):
                u[k] = uniform(keys[k], did, tt)
            f6(s, p, w, u, t)
        if g7(s, p, t):
            for k in range(a7, b7):
                u[k] = uniform(keys[k], did, tt)
            f7(s, p, w, u, t)
        if g8(s, p, t):
            for k in range(a8, b8):
                u[k] = uniform(keys[k], did, tt)
            f8(s, p, w, u, t)
        if g9(s, p, t):
            for k in range(a9, b9):
                u[k] = uniform(keys[k], did, tt)
            f9(s, p, w, u, t)
        if g10(s, p, t):
            for k in range(a10, b10):
                u[k] = uniform(keys[k], did, tt)
            f10(s, p, w, u, t)
        if g11(s, p, t):
            for k in range(a11, b11):
                u[k] = uniform(keys[k], did, tt)
            f11(s, p, w, u, t)
        if g12(s, p, t):
            for k in range(a12, b12):
                u[k] = uniform(keys[k], did, tt)
            f12(s, p, w, u, t)
        if g13(s, p, t):
            for k in range(a13, b13):
                u[k] = uniform(keys[k], did, tt)
            f13(s, p, w, u, t)
        if g14(s, p, t):
            for k in range(a14, b14):
                u[k] = uniform(keys[k], did, tt)
            f14(s, p, w, u, t)
        if g15(s, p, t):
            for k in range(a15, b15):
                u[k] = uniform(keys[k], did, tt)
            f15(s, p, w, u, t)
        if g16(s, p, t):
            for k in range(a16, b16):
                u[k] = uniform(keys[k], did, tt)
            f16(s, p, w, u, t)
        if g17(s, p, t):
            for k in range(a17, b17):
                u[k] = uniform(keys[k], did, tt)
            f17(s, p, w, u, t)
        if g18(s, p, t):
            for k in range(a18, b18):
                u[k] = uniform(keys[k], did, tt)
            f18(s, p, w, u, t)

    return day_step


__all__ = ["UPDATE_ORDER", "INIT_ORDER", "make_day_step", "make_gated_day_step", "gates", "stream_ranges",
           "context"]

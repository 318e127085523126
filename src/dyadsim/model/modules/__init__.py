"""Mechanism modules, one file per mechanism, and the documented update order of a day.

The module contract
-------------------
The engines generate their code from each module's source (:mod:`dyadsim.engine.codegen`), so a
module is written once and runs compiled in lanes of dyads, compiled one dyad at a time, and as
plain NumPy on a whole block (the reference). A module in :data:`UPDATE_ORDER` declares:

* ``P`` (parameters, :func:`dyadsim.core.registry.declare_params`) and, where it draws, ``U`` (named
  random streams, contiguous in the stream table);
* ``init(s, p)``: run once at enrolment on a states x dyads matrix, plain NumPy (not compiled);
* ``step(s, p, w, u, t)``: one day. ``s`` states, ``p`` parameters, ``w`` signed edge strengths,
  ``u`` today's uniforms, ``t`` the dyad's day since enrolment;
* optionally ``gate(s, p, t)``: a scalar truth value saying whether ``step`` can change anything
  today; where it is false the step must be an exact no-op (the reference runs every step every
  day, and the engines agreeing bit for bit checks every gate). In lanes a gate that reads ``s`` or
  ``t`` is evaluated per lane and the step runs when it is open for any lane.

A ``step``/``gate`` body may contain: assignments to locals and to ``s[...]``; reads of ``s[...]``,
``p[...]`` (its own ``P``, another module's aliased parameter tuple, ``TAU``), ``w[L.<edge>]`` and
``u[U.<stream>]``, whose index is an expression of module-level constants (``s[S.x]``,
``s[PROGRAM_SKILL[g]]``, ``p[base + _ON]``); arithmetic, comparisons, ``&``, ``|``, float x bool;
``np.exp, np.log, np.sqrt, np.floor, np.minimum, np.maximum, np.abs`` (and other elementwise
NumPy functions); calls to module-level helpers (``@register_jitable``, elementwise, positional
parameters, one ``return`` at the end); ``for g in range(len(CONSTANT_TUPLE))`` loops with
``if g == <constant>`` inside. No ``if``/``while`` on state values (use arithmetic: ``x * flag``).
Anything else is refused by the code generator with the module and line.

What a module reads and writes is not declared by hand: :mod:`dyadsim.engine.access` reads it from
the module's code, checks that every state has one writer and derives the order of ``init`` (a
module's ``init`` runs after those whose states it reads).

Update order of a day (each module sees today's values of the modules before it and yesterday's
of those after it; the lag is part of the model, and :func:`dyadsim.engine.access.reads_by_lag`
lists it for every state a step reads from another module):
"""
from __future__ import annotations

from types import ModuleType
from typing import Callable

from dyadsim.model.modules import (allostasis,
    appraisal,
    attachment,
    context,
    cps,
    individual,
    infant,
    moud,
    nows,
    other_substances,
    overdose,
    parenting,
    pregnancy,
    programs,
    reward,
    salience,
    stressors,
    supports,
    synchrony,
    use_cycle,
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

StepFn = Callable[..., None]


def make_day_step(steps: tuple[StepFn, ...]) -> StepFn:
    """Return a function running one day of every module in :data:`UPDATE_ORDER`, in that order.

    ``steps`` are the modules' ``step`` functions (or versions of them re-created from their
    source, as the NumPy reference does). The compiled engines do not use this: their day is
    generated from the same list by :mod:`dyadsim.engine.codegen`.
    """
    def day_step(s, p, w, u, t):  # type: ignore[no-untyped-def]
        for f in steps:
            f(s, p, w, u, t)

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


__all__ = ["UPDATE_ORDER", "make_day_step", "gates", "stream_ranges",
           "context"]

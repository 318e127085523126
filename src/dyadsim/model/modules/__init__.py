"""Mechanism modules, one file per mechanism, and the documented update order of a day.

The module contract
-------------------
The engines generate their code from each module's source (:mod:`dyadsim.engine.codegen`), so a
module is written once and runs compiled in lanes of dyads, compiled one dyad at a time, and as
plain NumPy on a whole block (the reference). A module in :data:`UPDATE_ORDER` declares:

* ``P`` (parameters, :func:`dyadsim.core.registry.declare_params`) and, where it draws, ``U`` (named
  random streams, contiguous in the stream table);
* optionally ``FINAL``: its columns of the outcomes table (:class:`dyadsim.core.registry.Final`);
* a module outside the list below also declares ``AFTER`` (the module whose step comes before its
  own) and may declare states of its own (``declare_states``, appended to the state vector): it is
  found in this package and placed in the day without being listed anywhere;
* ``init(s, p)``: run once at enrolment on a states x dyads matrix, plain NumPy (not compiled);
* optionally ``settle(s, p, w)``: after every ``init``, sets the module's slow states to their
  targets given the other states (no random draws, no relaxation). :func:`settle` repeats every
  module's ``settle`` in update order until the coupled targets agree, so each mother's slow
  states start at their equilibrium for her and her context at enrolment, with the scenario's
  edge strengths, instead of drifting from a guess during the first months;
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

import pkgutil
from importlib import import_module
from types import ModuleType
from typing import Callable

import numpy as np

from dyadsim.core.registry import STATES
from dyadsim.model.modules import (allostasis, appraisal, attachment, context, cps, individual, infant, moud, nows,
                                   other_substances, overdose, parenting, pregnancy, programs, reward, salience,
                                   stressors, supports, synchrony, use_cycle, wellbeing)

_DAY: tuple[ModuleType, ...] = (
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


def _placed(day: tuple[ModuleType, ...]) -> tuple[ModuleType, ...]:
    """The day's order: ``day`` with every other mechanism module of this package (one with a
    ``step``) inserted after the module its ``AFTER`` names, in the order of their file names.

    A new mechanism is then one file: it declares its parameters, its own states
    (``declare_states``), ``AFTER``, ``init``, ``step`` and ``FINAL``; nothing else lists it.
    """
    known = {m.__name__ for m in day} | {context.__name__, individual.__name__}
    order = list(day)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        name = f"{__name__}.{info.name}"
        if name in known or info.name.startswith("_"):
            continue
        mod = import_module(name)
        if not hasattr(mod, "step"):
            continue
        after = getattr(mod, "AFTER", None)
        names = [m.__name__.rsplit(".", 1)[-1] for m in order]
        if after not in names:
            raise ImportError(f"{name}: set AFTER to the module whose step comes before its own "
                              f"(one of {', '.join(names)}), got {after!r}")
        order.insert(names.index(after) + 1, mod)
    return tuple(order)


UPDATE_ORDER: tuple[ModuleType, ...] = _placed(_DAY)
"""Every mechanism module in the order its step runs each day."""

__doc__ = (__doc__ or "") + "\n".join(f"{i + 1}. ``{m.__name__.rsplit('.', 1)[-1]}``"
                                      for i, m in enumerate(UPDATE_ORDER))

def n_states() -> int:
    """Length of the state vector: the table of :mod:`dyadsim.model.states` plus the states that
    mechanism modules declare for themselves (all loaded by now)."""
    return len(STATES)


def state_names() -> tuple[str, ...]:
    """Every state's name, by its index in the state vector."""
    return tuple(STATES)


StepFn = Callable[..., None]

SETTLE_TOL = 1e-9
"""A dyad's slow states are settled when one more round moves none of them by more than this."""

SETTLE_CHECK_EVERY = 10
"""Rounds between two convergence tests (a test copies the block, so it is not made every round)."""

SETTLE_MAX_ROUNDS = 2000
"""Most rounds of the fixed-point iteration in :func:`settle`. A mother close to the boundary
between the basins of use and of abstinence (the use cycle is bistable, Grasman et al. 2016)
leaves it slowly: 80 rounds settle all but 0.3% of mothers, 240 all but 0.01% (20,000 dyads)."""


def settle_functions() -> tuple[StepFn, ...]:
    """Every module's ``settle(s, p, w)``, in update order."""
    return tuple(m.settle for m in UPDATE_ORDER if hasattr(m, "settle"))


SETTLE_COMPILED_BELOW = 4096
"""Dyads still settling below which the rounds use the compiled settle functions (a compiled call
on a short column is many times faster than the interpreter's; on long columns NumPy is faster)."""


def settle(s, p, w, compiled: tuple[StepFn, ...] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Start the slow states at their equilibrium: repeat every module's ``settle(s, p, w)`` in
    update order (a fixed-point iteration of the coupled targets), each dyad until one round moves
    none of her states by more than :data:`SETTLE_TOL` (at most :data:`SETTLE_MAX_ROUNDS`).

    The test is per dyad and the rounds act on each dyad's column alone, so her start depends on
    her alone (not on the block she is simulated in); settled dyads leave the iteration, which is
    what keeps it cheap. ``compiled``: the same functions compiled (as the engines pass them,
    :func:`dyadsim.engine.run.initial_states`), used once fewer than
    :data:`SETTLE_COMPILED_BELOW` dyads are still settling; they agree with NumPy to within
    1e-13 (tested).
    """
    plain = settle_functions()
    active = np.arange(s.shape[1])
    sub = s
    for _ in range(0, SETTLE_MAX_ROUNDS, SETTLE_CHECK_EVERY):
        fns = compiled if compiled is not None and len(active) < SETTLE_COMPILED_BELOW else plain
        for _ in range(SETTLE_CHECK_EVERY - 1):
            for f in fns:
                f(sub, p, w)
        before = sub.copy()
        for f in fns:
            f(sub, p, w)
        moving = np.abs(sub - before).max(axis=0) > SETTLE_TOL
        if sub is not s:
            s[:, active] = sub
        if not moving.any():
            return
        active = active[moving]
        sub = np.ascontiguousarray(s[:, active])


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


__all__ = ["UPDATE_ORDER", "n_states", "state_names", "make_day_step", "gates", "stream_ranges",
           "context"]

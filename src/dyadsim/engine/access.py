"""Which states each mechanism module reads and writes, read from the module's own code, and the
rules of the day checked on them.

A module declares nothing by hand about its states: what it writes and reads is found here.

* ``step``: from the lowered step (:mod:`dyadsim.engine.lower`): every ``s[...]`` store and load,
  with the index as an integer. Exact, because a step has no branch on state values (the module
  contract) and loops over constant tuples are unrolled.
* ``init``: by running ``init`` once on a small matrix that records every row read and written
  (``init`` is plain NumPy, run once at enrolment, and free to loop over tuples of states).

From these, :func:`owners` gives each state its one writer (a state written by two modules is an
error that names both), :func:`init_order` derives the order of ``init`` (a module's ``init`` runs
after the ``init`` of every module whose states it reads), and :func:`reads_by_lag` says, for each
state a step reads from another module, whether it sees today's value (the writer comes earlier
in :data:`dyadsim.model.modules.UPDATE_ORDER`) or yesterday's (the one-day lag of the model).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
import threading
from functools import lru_cache
from types import ModuleType
from typing import Any, Sequence

import numpy as np

from dyadsim.core.registry import PARAMS
from dyadsim.engine.codegen import STEP_ROLES, _roles, module_name
from dyadsim.engine.lower import Lowerer
from dyadsim.model.modules import UPDATE_ORDER, n_states, state_names
from dyadsim.model.params import ParamSet

STATE_NAMES: tuple[str, ...] = state_names()
"""Every state's name by index (the shared table and the states modules declare for themselves)."""


class OwnershipError(ValueError):
    """A state written by more than one module, or an ``init`` order that cannot be satisfied."""


@dataclass(frozen=True)
class Access:
    """States (by index) one module reads and writes, in ``init`` and in ``step``. A read counts when it
    comes before the module's own write of that state (yesterday's value, or another module's)."""

    module: str
    init_reads: frozenset[int]
    init_writes: frozenset[int]
    step_reads: frozenset[int]
    step_writes: frozenset[int]
    settle_writes: frozenset[int] = frozenset()

    @property
    def writes(self) -> frozenset[int]:
        """Every state the module writes (it owns them); ``settle`` may write only states its module
        writes in ``step``."""
        return self.init_writes | self.step_writes | self.settle_writes


class _Recording(np.ndarray):
    """A states x dyads matrix that notes which rows are read and written (integer row keys)."""

    reads: set[int]
    writes: set[int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)) and int(key) not in self.writes:
            self.reads.add(int(key))
        return np.asarray(self)[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, (int, np.integer)):
            self.writes.add(int(key))
        np.asarray(self)[key] = value


def _init_access(m: ModuleType) -> tuple[frozenset[int], frozenset[int]]:
    s = np.full((n_states(), 2), 0.5).view(_Recording)
    s.reads, s.writes = set(), set()
    p = np.array([q.default for q in PARAMS.values()], dtype=np.float64)
    with np.errstate(all="ignore"):
        m.init(s, p)
    return frozenset(s.reads), frozenset(s.writes)


def _settle_access(m: ModuleType) -> frozenset[int]:
    """States written by the module's ``settle`` (none if it has none)."""
    if not hasattr(m, "settle"):
        return frozenset()
    s = np.full((n_states(), 2), 0.5).view(_Recording)
    s.reads, s.writes = set(), set()
    p = np.array([q.default for q in PARAMS.values()], dtype=np.float64)
    w = ParamSet().link_vector()
    with np.errstate(all="ignore"):
        m.settle(s, p, w)
    return frozenset(s.writes)


def _indices(nodes: Sequence[ast.AST], ctx: type) -> set[int]:
    """Literal indices of the lowered state array ``__s[...]`` in ``nodes``, loaded or stored (``ctx``)."""
    return {int(n.slice.value) for root in nodes for n in ast.walk(root)
            if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == "__s"
            and isinstance(n.ctx, ctx) and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, int)}


def _step_access(m: ModuleType) -> tuple[frozenset[int], frozenset[int]]:
    lowered = Lowerer().lower(m.step, _roles(m.step, STEP_ROLES))
    writes: set[int] = set()
    reads: set[int] = set()
    for st in lowered.stmts:  # in order: a load after the module's own store is its own value
        loads = _indices([st.value] if isinstance(st, ast.Assign) else [st], ast.Load)
        reads |= loads - writes
        if isinstance(st, ast.Assign):
            writes |= _indices(st.targets, ast.Store)
    return frozenset(reads), frozenset(writes)


_LOCK = threading.Lock()


def access() -> tuple[Access, ...]:
    """Every module's reads and writes (:func:`_access`), derived once. The first call may come
    from several engine threads at once (blocks of a run, runs of a sweep); ``ast.parse`` is not
    safe to run concurrently (CPython 3.11 fails with "AST constructor recursion depth mismatch"),
    so the derivation is serialised."""
    with _LOCK:
        return _access()


@lru_cache(maxsize=None)
def _access() -> tuple[Access, ...]:
    """Each module's reads and writes, in update order."""
    out = []
    for m in UPDATE_ORDER:
        ir, iw = _init_access(m)
        sr, sw = _step_access(m)
        out.append(Access(module_name(m), ir, iw, sr, sw, _settle_access(m)))
    return tuple(out)


access.cache_clear = _access.cache_clear  # type: ignore[attr-defined]  # tests re-derive after a change


def owners() -> dict[str, str]:
    """State name -> the one module that writes it (baseline draws, written by no module, are absent).

    Raises:
        OwnershipError: a state written by two modules, naming the state and both modules.
    """
    found: dict[str, str] = {}
    for a in access():
        for i in sorted(a.writes):
            name = STATE_NAMES[i]
            if name in found:
                raise OwnershipError(f"state {name!r} is written by modules {found[name]!r} and {a.module!r}: "
                                     "give each state one writer")
            found[name] = a.module
    return found


def init_order() -> tuple[ModuleType, ...]:
    """The order of ``init``: update order, except that a module whose ``init`` reads another
    module's states runs after it (a stable topological sort).

    Raises:
        OwnershipError: the ``init`` dependencies form a cycle.
    """
    by_index = {a.module: a for a in access()}
    writer = {STATE_NAMES.index(n): mod for n, mod in owners().items()}
    needs = {a.module: {writer[i] for i in a.init_reads if i in writer and writer[i] != a.module}
             for a in access()}
    done: list[ModuleType] = []
    placed: set[str] = set()
    pending = list(UPDATE_ORDER)
    while pending:
        for m in pending:
            if needs[module_name(m)] <= placed:
                done.append(m)
                placed.add(module_name(m))
                pending.remove(m)
                break
        else:
            raise OwnershipError("init dependencies form a cycle among "
                                 + ", ".join(module_name(m) for m in pending))
    assert set(by_index) == placed
    return tuple(done)


def reads_by_lag() -> dict[tuple[str, str], int]:
    """(reading module, state) -> 0 when its step sees today's value of another module's state
    (the writer steps earlier in the day), 1 when it sees yesterday's (the writer steps later)."""
    position = {module_name(m): k for k, m in enumerate(UPDATE_ORDER)}
    writer = {STATE_NAMES.index(n): mod for n, mod in owners().items()}
    out = {}
    for a in access():
        for i in sorted(a.step_reads):
            w = writer.get(i)
            if w is not None and w != a.module:
                out[(a.module, STATE_NAMES[i])] = int(position[w] > position[a.module])
    return out

"""The reference engine: the modules' own step source run as plain NumPy over a whole block at once.

Slower, but with no compiler and no code generation in the way: each step is the module's function
re-created from its source with one change, ``np.exp`` -> :func:`dyadsim.engine.vexp.vexp_np` (the
NumPy twin of the compiled engines' vectorisable exp), so tests can require bit identity with the
compiled engines, whose code is generated from the same source. Dyads whose follow-up has ended
keep stepping (arrays move together) but add nothing to the records (``followed`` is 0), and their
final state is the state on their last day.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from types import FunctionType

import numpy as np

from dyadsim.core import rng
from dyadsim.model.modules import UPDATE_ORDER, make_day_step
from dyadsim.model.states import S
from dyadsim.engine import layout
from dyadsim.engine.vexp import vexp_np


class _SwapExp(ast.NodeTransformer):
    """``np.exp(...)`` -> ``_vexp_np(...)``; nothing else changes."""

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "exp" and isinstance(f.value, ast.Name) and f.value.id == "np":
            return ast.Call(ast.Name("_vexp_np", ast.Load()), node.args, node.keywords)
        return node


def with_vexp(fn: FunctionType) -> FunctionType:
    """``fn`` re-created from its source with ``np.exp`` replaced by the NumPy twin of ``vexp``;
    module-level helpers it calls are re-created likewise. Decorators are dropped (plain NumPy)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    node.decorator_list = []
    tree = ast.fix_missing_locations(_SwapExp().visit(tree))
    ns = dict(fn.__globals__)
    ns["_vexp_np"] = vexp_np
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            helper = getattr(fn.__globals__.get(n.func.id), "py_func", fn.__globals__.get(n.func.id))
            # Helpers of the same module or of the package (not NumPy's or anybody else's).
            if isinstance(helper, FunctionType) and helper is not fn and (
                    helper.__module__ == fn.__module__ or helper.__module__.startswith("dyadsim.")):
                ns[n.func.id] = with_vexp(helper)
    exec(compile(tree, f"<reference {fn.__module__}.{fn.__qualname__}>", "exec"), ns)
    return ns[fn.__name__]  # type: ignore[no-any-return]


_day_step = make_day_step(tuple(with_vexp(m.step) for m in UPDATE_ORDER))


def simulate_block(state: np.ndarray, ids: np.ndarray, keys: np.ndarray, p: np.ndarray, w: np.ndarray,
                   t_max: int, mon: np.ndarray, preg: np.ndarray, agg: np.ndarray, traj: np.ndarray,
                   traj_row: np.ndarray, traj_idx: np.ndarray) -> None:
    """Same contract as :func:`dyadsim.engine.kernel.simulate_block`."""
    n = state.shape[0]
    s = np.ascontiguousarray(state.T)
    final = s.copy()
    rows = np.arange(n)
    sampled = np.flatnonzero(traj_row >= 0)
    with np.errstate(over="ignore"):
        for t in range(t_max):
            u = np.stack([rng.uniform(k, ids, np.uint64(t)) for k in keys])
            tf = float(t)
            _day_step(s, p, w, u, tf)
            layout.record(s, tf, rows, mon, preg)
            vals = layout.aggregate_values(s)
            # Finished dyads add zeros; clip their (growing) postpartum day to stay in range.
            ax = np.minimum(layout.axis_index(s, tf), agg.shape[0] - 1)
            for k, v in enumerate(vals):
                if k < layout.N_COUNT_AGG:
                    np.add.at(agg[:, k], ax, v.astype(np.int64))
                else:
                    np.add.at(agg[:, k], ax, np.floor(v * layout.FIXED_POINT + 0.5).astype(np.int64))
            if sampled.size:
                live = s[S.followed, sampled] > 0.5
                traj[traj_row[sampled[live]], t, :] = s[np.ix_(traj_idx, sampled[live])].T
            ending = (s[S.done] > 0.5) & (final[S.done] < 0.5)
            final[:, ending] = s[:, ending]
            if np.all(final[S.done] > 0.5):
                break
    state[:] = final.T

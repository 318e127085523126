"""Generate the compiled engines' source from the modules' ``step``/``gate`` and ``layout``.

Each module's step and gate, lowered to straight-line code by :mod:`dyadsim.engine.lower`, is
rendered twice:

* **lanes** (the default engine): state is a flat ``st[n_states * LANES]`` array, row ``c`` of the
  lanes at ``st[c * LANES : (c + 1) * LANES]``; a step is one loop over the ``LANES`` dyads of a
  block with parameters and edge strengths hoisted out of it, ``s[X]`` read as ``st[X * LANES + j]``,
  ``t`` as the lane's own day ``tl[j]`` and ``np.exp`` as the vectorisable :func:`vexp`. The lane
  count is a literal, so every row offset is a constant and LLVM proves that rows do not overlap
  and vectorises the loop. A gate becomes "open for any lane";
* **one dyad** (``numba_dyad``): the scalar step of the previous engine, for comparison.

Recording (``layout.record``) becomes running per-lane sums for the current period of each
accumulator, written out when the period changes or the dyad ends; ``layout.aggregate_values``
and ``layout.axis_index`` become one lane loop filling a buffer. The engine day and the block
driver are generated for whatever modules, states, streams and recorded values exist.

The source is written to a file in the cache directory named by the package's source hash and
imported from there, so Numba's on-disk cache works for the generated functions and a second
process loads them instead of compiling.
"""
from __future__ import annotations

import ast
import copy
import importlib.util
import os
import sys
import tempfile
from types import FunctionType, ModuleType

from dyadsim.model.modules import UPDATE_ORDER, always, n_states, stream_ranges
from dyadsim.core.registry import STREAMS
from dyadsim.model.states import S
from dyadsim.engine import layout
from dyadsim.engine.cache import SOURCE_HASH, generated_dir
from dyadsim.engine.lower import Lowered, Lowerer, indices, uses

LANES = 64
"""Dyads advanced in lock-step by one block loop (a multiple of the SIMD width: 8 doubles)."""

FAST_FLAGS = ("contract", "arcp", "nsz", "reassoc")
"""Fast mode: states, draws and step arithmetic in float32 (twice the lanes per instruction, a
float32 exp), and these LLVM flags on the step loops: FMA, reciprocals, reassociation; no
'nnan'/'ninf', as the models rely on exp overflowing to inf and underflowing to 0. Indexing
(periods, daily axis) and the recorded sums stay exact (float64 accumulators, integer indices)."""

STEP_ROLES = ("s", "p", "w", "u", "t")
GATE_ROLES = ("s", "p", "t")


def module_name(m: ModuleType) -> str:
    """Short name of a mechanism module (``use_cycle``)."""
    return m.__name__.rsplit(".", 1)[-1]


def _roles(fn: FunctionType, kinds: tuple[str, ...]) -> dict[str, str]:
    """Map a function's positional parameter names to roles, by position (the module contract)."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount]
    if len(names) != len(kinds):
        raise ValueError(f"{fn.__module__}.{fn.__qualname__} must take ({', '.join(kinds)})")
    return dict(zip(names, kinds))


class _Render(ast.NodeTransformer):
    """Canonical names -> a target: lanes (``st[c*LANES + j]``) or one dyad (``s[c]``)."""

    def __init__(self, lanes: bool, f32: bool = False) -> None:
        self.lanes = lanes
        self.f32 = f32

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if self.f32 and isinstance(node.value, float):
            return _f32(node.value)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in ("__s", "__p", "__w", "__u"):
            c = node.slice.value  # type: ignore[attr-defined]
            role = node.value.id[2:]
            if not self.lanes:
                return ast.Subscript(ast.Name(role, ast.Load()), ast.Constant(c), node.ctx)
            if role in ("p", "w"):
                return ast.Name(f"{role.upper()}{c}", ast.Load())
            arr = "st" if role == "s" else "uu"
            idx = ast.BinOp(ast.Constant(c * LANES), ast.Add(), ast.Name("j", ast.Load()))
            return ast.Subscript(ast.Name(arr, ast.Load()), idx, node.ctx)
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id == "__t":
            if self.lanes:
                return ast.Subscript(ast.Name("tl", ast.Load()), ast.Name("j", ast.Load()), ast.Load())
            return ast.Name("t", ast.Load())
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np" and f.attr == "exp":
            return ast.Call(ast.Name("_vexp32" if self.f32 else "_vexp", ast.Load()), node.args, [])
        return node


def _f32(v: float) -> ast.expr:
    """``np.float32(v)``: a float32 literal, so float32 arithmetic stays in float32."""
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "float32", ast.Load()), [ast.Constant(v)], [])


def _code(nodes: list[ast.stmt], lanes: bool, indent: int, f32: bool = False) -> str:
    r = _Render(lanes, f32)
    out = []
    for st in nodes:
        new = r.visit(copy.deepcopy(st))
        ast.fix_missing_locations(new)
        out.append(textwrap_indent(ast.unparse(new), indent))
    return "\n".join(out)


def _expr(node: ast.expr, lanes: bool) -> str:
    new = _Render(lanes).visit(copy.deepcopy(node))
    ast.fix_missing_locations(new)
    return ast.unparse(new)


def textwrap_indent(text: str, n: int) -> str:
    """Indent every line of ``text`` by ``n`` spaces."""
    pad = " " * n
    return "\n".join(pad + ln if ln else ln for ln in text.splitlines())


def _hoist(lw: Lowered, indent: int, f32: bool = False) -> str:
    """Parameter and edge reads of a lowered body, as locals before the lane loop."""
    pad = " " * indent
    cast = "np.float32" if f32 else ""
    lines = [f"{pad}P{c} = {cast}(p[{c}])" for c in indices(lw.stmts, lw.result, "__p")]
    lines += [f"{pad}W{c} = {cast}(w[{c}])" for c in indices(lw.stmts, lw.result, "__w")]
    return "\n".join(lines)


def _lane_step(name: str, lw: Lowered, jit: str, f32: bool = False) -> str:
    hoist = _hoist(lw, 4, f32)
    return (f"@numba.njit(**{jit})\ndef lane_step_{name}(st, p, w, uu, tl):\n"
            + (hoist + "\n" if hoist else "")
            + f"    for j in range(LANES):\n{_code(lw.stmts, True, 8, f32) or '        pass'}\n")


def _lane_gate(name: str, lw: Lowered) -> str:
    hoist = _hoist(lw, 4)
    head = f"@numba.njit(**_EXACT)\ndef lane_gate_{name}(st, p, tl):\n" + (hoist + "\n" if hoist else "")
    assert lw.result is not None
    if not (uses(lw.stmts, lw.result, "__s") or uses(lw.stmts, lw.result, "__t")):
        # Depends on parameters only: the same for every lane.
        body = _code(lw.stmts, True, 4)
        return head + (body + "\n" if body else "") + f"    return bool({_expr(lw.result, True)})\n"
    return (head + f"    for j in range(LANES):\n{_code(lw.stmts, True, 8)}\n"
            f"        if {_expr(lw.result, True)}:\n            return True\n    return False\n")


def _dyad_fn(kind: str, name: str, lw: Lowered, args: str) -> str:
    body = _code(lw.stmts, False, 4)
    ret = f"    return {_expr(lw.result, False)}\n" if lw.result is not None else ""
    return (f"@numba.njit(error_model='numpy', cache=True)\ndef dyad_{kind}_{name}({args}):\n"
            + (body + "\n" if body else "") + (ret or ("" if body else "    pass\n")))


def _recording(lower: Lowerer) -> tuple[str, list[tuple[str, int]]]:
    """Lane functions of the recording: periods, accumulation, daily aggregate values."""
    rec = lower.lower(layout.record, {"s": "s", "t": "t"}, prefix="r_", accumulators=("mon", "preg"), row="i")
    arrays = list(rec.period)
    body = [st for st in rec.stmts if not _is_acc(st)]
    per = "\n".join(f"        per[{a * LANES} + j] = {_expr(rec.period[n], True)}" for a, n in enumerate(arrays))
    src = (f"@numba.njit(**_EXACT)\ndef rec_period(st, tl, {', '.join(arrays)}, per):\n"
           f"    for j in range(LANES):\n{_code(body, True, 8)}\n{per}\n\n")
    adds = []
    for st in rec.stmts:
        if _is_acc(st):
            name, slot, value = st.value.args  # type: ignore[attr-defined]
            adds.append(f"        acc_{name.value}[{slot.value * LANES} + j] += {_expr(value, True)}")
        else:
            adds.append(_code([st], True, 8))
    src += (f"@numba.njit(**_EXACT)\ndef rec_add(st, tl, {', '.join(arrays)}, "
            f"{', '.join('acc_' + n for n in arrays)}):\n    for j in range(LANES):\n" + "\n".join(adds) + "\n\n")
    agg = lower.lower(layout.aggregate_values, {"s": "s"}, prefix="a_")
    axis = lower.lower(layout.axis_index, {"s": "s", "t": "t"}, prefix="x_")
    assert isinstance(agg.result, ast.Tuple) and axis.result is not None
    if len(agg.result.elts) != len(layout.AGGREGATES):
        raise ValueError("layout.aggregate_values must return one value per name in layout.AGGREGATES")
    # Counts are truncated to int64, continuous values rounded to fixed point, in the lane loop
    # (vectorised); the driver only adds the integers at each lane's row of the daily axis.
    vals = "\n".join(
        f"        buf[{k * LANES} + j] = np.int64({_expr(e, True)})" if k < layout.N_COUNT_AGG else
        f"        buf[{k * LANES} + j] = np.int64(np.floor(({_expr(e, True)}) * {layout.FIXED_POINT!r} + 0.5))"
        for k, e in enumerate(agg.result.elts))
    src += (f"@numba.njit(**_EXACT)\ndef agg_values(st, tl, buf, ax):\n    for j in range(LANES):\n"
            f"{_code(agg.stmts, True, 8)}\n{vals}\n{_code(axis.stmts, True, 8)}\n"
            f"        ax[j] = {_expr(axis.result, True)}\n\n")
    slots = [(n, max(k for k, _ in rec.accum[n]) + 1) for n in arrays]
    return src, slots


def _is_acc(st: ast.stmt) -> bool:
    return (isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Name)
            and st.value.func.id == "__acc")


def generate() -> str:
    """The whole generated module's source (deterministic for a given package source)."""
    lower = Lowerer()
    ranges = stream_ranges(list(STREAMS))
    parts = [HEADER.format(lanes=LANES, fast=repr(set(FAST_FLAGS)), n_states=n_states(), n_streams=len(STREAMS),
                           done=S.done, n_count=layout.N_COUNT_AGG, fp=repr(layout.FIXED_POINT),
                           n_agg=len(layout.AGGREGATES), hash=SOURCE_HASH)]
    lane_day = {"": [], "_fast": []}
    dyad_day = []
    for m, (a, b) in zip(UPDATE_ORDER, ranges):
        name = module_name(m)
        step = lower.lower(m.step, _roles(m.step, STEP_ROLES), prefix="")
        parts.append(_lane_step(name, step, "_EXACT"))
        parts.append(_lane_step(name + "_fast", step, "_FAST", f32=True))
        parts.append(_dyad_fn("step", name, step, "s, p, w, u, t"))
        gate_fn = getattr(m, "gate", None)
        gated = gate_fn is not None and gate_fn is not always
        if gated:
            gate = lower.lower(gate_fn, _roles(gate_fn, GATE_ROLES), prefix="g_")
            parts.append(_lane_gate(name, gate))
            parts.append(_dyad_fn("gate", name, gate, "s, p, t"))
        for sfx, lines in lane_day.items():
            ind = "    "
            if gated:
                lines.append(f"    if lane_gate_{name}(st, p, tl):")
                ind = "        "
            if b > a:
                lines.append(f"{ind}draw(uu, keys, did, tu, {a}, {b})")
            lines.append(f"{ind}lane_step_{name}{sfx}(st, p, w, uu, tl)")
        ind = "    "
        if gated:
            dyad_day.append(f"    if dyad_gate_{name}(s, p, t):")
            ind = "        "
        if b > a:
            dyad_day.append(f"{ind}for k in range({a}, {b}):\n{ind}    u[k] = _uniform(keys[k], did, tt)")
        dyad_day.append(f"{ind}dyad_step_{name}(s, p, w, u, t)")
    for sfx, lines in lane_day.items():
        parts.append(f"@numba.njit(**_EXACT)\ndef lane_day{sfx}(st, p, w, uu, keys, did, tl, tu):\n"
                     + "\n".join(lines) + "\n")
    parts.append("@numba.njit(error_model='numpy', cache=True)\n"
                 "def dyad_day(s, p, w, u, keys, did, tt, t):\n" + "\n".join(dyad_day) + "\n")
    rec_src, slots = _recording(lower)
    parts.append(rec_src)
    parts.append(_dyad_record())
    parts.append(_driver("", slots, "np.float64"))
    parts.append(_driver("_fast", slots, "np.float32"))
    return "\n\n".join(parts)


def _dyad_record() -> str:
    """The recording of the one-dyad engine: :func:`dyadsim.engine.layout.record_source` as it is,
    compiled here so that Numba can cache it (a function made by ``exec`` has no file to key a cache)."""
    imports = "".join(f"from {fn.__module__} import {name}\n" for name, fn in sorted(layout.record_helpers().items()))
    return ("from dyadsim.core.units import DAYS_PER_MONTH, TRIMESTER_DAYS\nfrom dyadsim.model.states import S\n"
            + imports + "\n\n@numba.njit(error_model='numpy', cache=True, inline='always')\n"
            + layout.record_source().replace("def record(", "def dyad_record(", 1))


def _driver(sfx: str, slots: list[tuple[str, int]], dtype: str) -> str:
    """The block driver: fill lanes, advance them a day at a time, record, refill finished lanes."""
    arrays = [n for n, _ in slots]
    alloc = "\n".join(f"    acc_{n} = np.zeros({k * LANES})" for n, k in slots)
    flush_change = []
    flush_end = []
    for a, (n, k) in enumerate(slots):
        flush_change.append(
            f"            if per[{a * LANES} + j] != cur[{a * LANES} + j]:\n"
            f"                c = cur[{a * LANES} + j]\n"
            f"                if c >= 0:\n"
            f"                    for k in range({k}):\n"
            f"                        {n}[i, k, c] += acc_{n}[k * LANES + j]\n"
            f"                        acc_{n}[k * LANES + j] = 0.0\n"
            f"                cur[{a * LANES} + j] = per[{a * LANES} + j]")
        flush_end.append(
            f"                c = cur[{a * LANES} + j]\n"
            f"                if c >= 0:\n"
            f"                    for k in range({k}):\n"
            f"                        {n}[i, k, c] += acc_{n}[k * LANES + j]\n"
            f"                        acc_{n}[k * LANES + j] = 0.0\n"
            f"                cur[{a * LANES} + j] = -1")
    return DRIVER.format(sfx=sfx, dtype=dtype, arrays=", ".join(arrays), acc_args=", ".join("acc_" + n for n in arrays),
                         alloc=alloc, n_acc=len(slots), flush_change="\n".join(flush_change),
                         flush_end="\n".join(flush_end))


HEADER = '''"""Generated by dyadsim.engine.codegen from the modules' source (package hash {hash}): do not edit."""
import numba
import numpy as np

from dyadsim.core import rng as _rng
from dyadsim.engine.vexp import vexp as _vexp
from dyadsim.engine.vexp import vexp32 as _vexp32

LANES = {lanes}
N_STATES = {n_states}
N_STREAMS = {n_streams}
DONE = {done}
N_COUNT = {n_count}
FIXED_POINT = {fp}
N_AGG = {n_agg}
_EXACT = dict(error_model="numpy", cache=True, nogil=True)
_FAST = dict(error_model="numpy", cache=True, nogil=True, fastmath={fast})
_uniform = numba.njit(_rng.uniform, inline="always", error_model="numpy", cache=True)


@numba.njit(**_EXACT)
def draw(uu, keys, did, tu, a, b):
    for k in range(a, b):
        key = keys[k]
        for j in range(LANES):
            uu[k * LANES + j] = _uniform(key, did[j], tu[j])
'''

DRIVER = '''@numba.njit(**_EXACT)
def simulate_block{sfx}(state, ids, keys, p, w, t_max, {arrays}, agg, traj, traj_row, traj_idx, order):
    n = state.shape[0]
    ns = state.shape[1]
    st = np.zeros(ns * LANES, dtype={dtype})
    uu = np.zeros(keys.shape[0] * LANES, dtype={dtype})
    tl = np.zeros(LANES, dtype={dtype})
    tu = np.zeros(LANES, dtype=np.uint64)
    did = np.zeros(LANES, dtype=np.uint64)
    lane = np.full(LANES, -1, dtype=np.int64)
    per = np.zeros({n_acc} * LANES, dtype=np.int64)
    cur = np.full({n_acc} * LANES, -1, dtype=np.int64)
{alloc}
    buf = np.zeros(N_AGG * LANES, dtype=np.int64)
    ax = np.zeros(LANES, dtype=np.int64)
    nxt = 0
    active = 0
    for j in range(LANES):
        if nxt < n:
            i = order[nxt]
            for c in range(ns):
                st[c * LANES + j] = state[i, c]
            did[j] = ids[i]
            lane[j] = i
            nxt += 1
            active += 1
    while active > 0:
        lane_day{sfx}(st, p, w, uu, keys, did, tl, tu)
        rec_period(st, tl, {arrays}, per)
        for j in range(LANES):
            i = lane[j]
            if i < 0:
                continue
{flush_change}
        rec_add(st, tl, {arrays}, {acc_args})
        agg_values(st, tl, buf, ax)
        for j in range(LANES):
            if lane[j] >= 0:
                a = ax[j]
                for k in range(N_AGG):
                    agg[a, k] += buf[k * LANES + j]
        for j in range(LANES):
            i = lane[j]
            if i < 0:
                continue
            t = np.int64(tu[j])
            row = traj_row[i]
            if row >= 0:
                for k in range(traj_idx.shape[0]):
                    traj[row, t, k] = st[traj_idx[k] * LANES + j]
            if st[DONE * LANES + j] > 0.5 or t + 1 >= t_max:
{flush_end}
                for c in range(ns):
                    state[i, c] = st[c * LANES + j]
                if nxt < n:
                    i = order[nxt]
                    for c in range(ns):
                        st[c * LANES + j] = state[i, c]
                    did[j] = ids[i]
                    lane[j] = i
                    tl[j] = 0.0
                    tu[j] = 0
                    nxt += 1
                else:
                    lane[j] = -1
                    active -= 1
            else:
                tl[j] += 1.0
                tu[j] += 1
'''


def _write_once(path: str, text: str) -> None:
    """Create ``path`` with ``text`` unless it exists, atomically: the first of several processes
    wins and the others leave its file as it is.

    The file's timestamp keys Numba's cache of the functions compiled from it, so a second writer
    replacing it (even with the same text) while the first compiles would leave cache entries
    keyed to a file that no longer exists: two cold processes started together left the cache
    unusable that way. A hard link creates the name only if it is absent; where the file system
    has no hard links, the file is moved into place only if it is still absent.
    """
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # no hard links here
            if not os.path.exists(path):
                os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load() -> ModuleType:
    """Import the generated module, writing its source first when this version has none yet.

    An existing file is never rewritten (its timestamp keys Numba's cache), so a second process
    loads the compiled functions from disk.
    """
    name = f"dyadsim_generated_{SOURCE_HASH}"
    if name in sys.modules:
        return sys.modules[name]
    path = str(generated_dir() / f"{name}.py")
    if not os.path.exists(path):
        _write_once(path, generate())
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


__all__ = ["LANES", "generate", "load", "module_name"]

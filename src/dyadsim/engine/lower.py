"""Lower a module's ``step`` or ``gate`` (or a recording function) to straight-line code.

The engines generate their code from the modules' own source, so the model is written once.
This module reads a function's syntax tree (``inspect.getsource`` + :mod:`ast`) and rewrites it
into a list of plain assignments in which

* every index into the state, parameter, edge and stream arrays is an integer literal (module
  constants such as ``S.craving``, ``PROGRAM_SKILL[g]`` or ``base + _ON`` are evaluated), and the
  arrays are renamed to the canonical names ``__s``, ``__p``, ``__w``, ``__u`` (and ``t`` to ``__t``);
* ``for g in range(len(CONSTANT_TUPLE))`` loops are unrolled and ``if <constant test>:`` resolved;
* calls to module-level helpers (``@register_jitable`` functions) are inlined, their locals
  renamed, so a renderer sees one flat body;
* module-level numeric constants become literals, locals are renamed ``v_<name>``.

Renderers (:mod:`dyadsim.engine.codegen`) then turn the canonical names into a lane row, a scalar
or a NumPy row. Anything outside the module contract (``dyadsim.model.modules``) is refused with the
module, function and line, rather than compiled into something different.
"""
from __future__ import annotations

import ast
import inspect
import math
import textwrap
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any

import numpy as np

ARRAY_ROLES = ("s", "p", "w", "u")
"""Roles of array arguments: states, parameters, signed edge strengths, today's uniforms."""


class ContractError(ValueError):
    """A module construct the code generator does not support (see the module contract)."""


@dataclass
class Lowered:
    """A function lowered to straight-line code.

    Attributes:
        stmts: assignments (and accumulation markers, see ``accum``) in execution order.
        result: the returned expression (a Tuple for several values), or None.
        accum: for recording functions, array name -> list of (slot, value expression) added per
            call, in source order, and ``period`` the index expression of the period.
        period: array name -> period index expression (same for every slot of that array).
    """

    stmts: list[ast.stmt]
    result: ast.expr | None
    accum: dict[str, list[tuple[int, ast.expr]]] = field(default_factory=dict)
    period: dict[str, ast.expr] = field(default_factory=dict)


def _parse(fn: FunctionType) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef):
        raise ContractError(f"{fn.__qualname__}: not a plain function")
    return node


def literal(v: Any) -> ast.expr:
    """An AST expression equal to the constant ``v`` (numbers, bools; tuples of them)."""
    if isinstance(v, (bool, np.bool_)):
        return ast.Constant(bool(v))
    if isinstance(v, (int, np.integer)):
        iv = int(v)
        return ast.Constant(iv) if iv >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-iv))
    if isinstance(v, (float, np.floating)):
        fv = float(v)
        if math.isnan(fv):
            raise ContractError("NaN constant")
        if math.isinf(fv):
            node: ast.expr = ast.Attribute(ast.Name("np", ast.Load()), "inf", ast.Load())
            return node if fv > 0 else ast.UnaryOp(ast.USub(), node)
        if math.copysign(1.0, fv) < 0:
            return ast.UnaryOp(ast.USub(), ast.Constant(-fv))
        return ast.Constant(fv)
    if isinstance(v, tuple):
        return ast.Tuple([literal(x) for x in v], ast.Load())
    raise ContractError(f"unsupported constant {v!r}")


def _is_number(v: Any) -> bool:
    if isinstance(v, tuple):
        return all(_is_number(x) for x in v)
    return isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating))


class _Scope:
    """Name bindings of one function being lowered: role, constant or renamed local."""

    def __init__(self, glb: dict[str, Any], prefix: str, where: str) -> None:
        self.glb = glb
        self.prefix = prefix
        self.where = where
        self.names: dict[str, tuple[str, Any]] = {}


class Lowerer:
    """Lowers functions of the module contract; one instance per generated unit (unique names)."""

    def __init__(self) -> None:
        self._n_inline = 0
        self._n_tmp = 0

    # -- entry points ------------------------------------------------------------------------
    def lower(self, fn: FunctionType, roles: dict[str, str], prefix: str = "",
              accumulators: tuple[str, ...] = (), row: str | None = None) -> Lowered:
        """Lower ``fn`` with its parameters bound to roles (``{"s": "s", "t": "t", ...}``).

        ``accumulators`` names parameters written as ``arr[row, SLOT, period] += value``
        (recording functions); ``row`` is the parameter used as their first index.
        """
        node = _parse(fn)
        where = f"{fn.__module__}.{fn.__qualname__}"
        scope = _Scope(fn.__globals__, prefix, where)
        params = [a.arg for a in node.args.args]
        for name in params:
            if name in roles:
                scope.names[name] = ("role", roles[name])
            elif name in accumulators:
                scope.names[name] = ("acc", name)
            elif name == row:
                scope.names[name] = ("row", name)
            else:
                raise ContractError(f"{where}: parameter {name!r} has no role")
        out = Lowered([], None)
        self._acc_out = out
        body = list(node.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        result = self._block(body, scope, out.stmts, allow_return=True)
        out.result = result
        return out

    # -- statements --------------------------------------------------------------------------
    def _err(self, scope: _Scope, node: ast.AST, msg: str) -> ContractError:
        return ContractError(f"{scope.where}, line {getattr(node, 'lineno', '?')}: {msg}")

    def _block(self, body: list[ast.stmt], scope: _Scope, out: list[ast.stmt], allow_return: bool) -> ast.expr | None:
        result = None
        for k, st in enumerate(body):
            if result is not None:
                raise self._err(scope, st, "statements after return")
            if isinstance(st, ast.Return):
                if not allow_return or st.value is None:
                    raise self._err(scope, st, "return only as the last statement of a function")
                result = self._expr(st.value, scope, out)
            elif isinstance(st, ast.Assign):
                if len(st.targets) != 1:
                    raise self._err(scope, st, "chained assignment")
                self._assign(st.targets[0], self._expr(st.value, scope, out), scope, out, st)
            elif isinstance(st, ast.AugAssign):
                tgt = st.target
                if isinstance(tgt, ast.Subscript) and isinstance(tgt.value, ast.Name) \
                        and scope.names.get(tgt.value.id, ("",))[0] == "acc":
                    self._accumulate(tgt, st, scope, out)
                    continue
                load = _as_load(tgt)
                value = self._expr(ast.BinOp(load, st.op, st.value), scope, out)
                self._assign(tgt, value, scope, out, st)
            elif isinstance(st, ast.For):
                self._unroll(st, scope, out)
            elif isinstance(st, ast.If):
                ok, test = self._const(st.test, scope)
                if not ok:
                    raise self._err(scope, st, "an `if` on a value that is not a module constant or loop index")
                r = self._block(st.body if test else st.orelse, scope, out, allow_return=False)
                assert r is None
            elif isinstance(st, ast.Pass) or (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)):
                continue
            else:
                raise self._err(scope, st, f"unsupported statement {type(st).__name__}")
        return result

    def _assign(self, target: ast.expr, value: ast.expr, scope: _Scope, out: list[ast.stmt], node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            new = f"v_{scope.prefix}{target.id}"
            scope.names[target.id] = ("local", new)
            out.append(ast.Assign([ast.Name(new, ast.Store())], value, lineno=0))
        elif isinstance(target, ast.Tuple):
            if not isinstance(value, ast.Tuple) or len(value.elts) != len(target.elts):
                raise self._err(scope, node, "tuple assignment needs a tuple of the same length")
            tmps = []
            for v in value.elts:
                self._n_tmp += 1
                tmp = f"v_tmp{self._n_tmp}"
                out.append(ast.Assign([ast.Name(tmp, ast.Store())], v, lineno=0))
                tmps.append(ast.Name(tmp, ast.Load()))
            for t, v in zip(target.elts, tmps):
                self._assign(t, v, scope, out, node)
        elif isinstance(target, ast.Subscript):
            base = self._role_subscript(target, scope, ast.Store())
            if base is None or base.value.id != "__s":  # type: ignore[attr-defined]
                raise self._err(scope, node, "only states s[...] may be assigned")
            out.append(ast.Assign([base], value, lineno=0))
        else:
            raise self._err(scope, node, f"unsupported assignment target {type(target).__name__}")

    def _accumulate(self, tgt: ast.Subscript, st: ast.AugAssign, scope: _Scope, out: list[ast.stmt]) -> None:
        """``arr[row, SLOT, period] += value`` in a recording function: an accumulation marker."""
        name = scope.names[tgt.value.id][1]  # type: ignore[attr-defined]
        idx = tgt.slice
        if not (isinstance(st.op, ast.Add) and isinstance(idx, ast.Tuple) and len(idx.elts) == 3
                and isinstance(idx.elts[0], ast.Name) and scope.names.get(idx.elts[0].id, ("",))[0] == "row"):
            raise self._err(scope, st, f"accumulate as {name}[row, SLOT, period] += value")
        ok, slot = self._const(idx.elts[1], scope)
        if not ok or not isinstance(slot, (int, np.integer)):
            raise self._err(scope, st, "the slot of an accumulation must be a constant")
        period = self._expr(idx.elts[2], scope, out)
        prev = self._acc_out.period.setdefault(name, period)
        if ast.dump(prev) != ast.dump(period):
            raise self._err(scope, st, f"every accumulation into {name} must use the same period index")
        value = self._expr(st.value, scope, out)
        self._acc_out.accum.setdefault(name, []).append((int(slot), value))
        out.append(ast.Expr(ast.Call(ast.Name("__acc", ast.Load()),
                                     [ast.Constant(name), ast.Constant(int(slot)), value], [])))

    def _unroll(self, st: ast.For, scope: _Scope, out: list[ast.stmt]) -> None:
        it = st.iter
        if not (isinstance(st.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                and it.func.id == "range" and len(it.args) == 1 and not st.orelse):
            raise self._err(scope, st, "only `for i in range(CONSTANT)` loops")
        ok, n = self._const(it.args[0], scope)
        if not ok or not isinstance(n, (int, np.integer)):
            raise self._err(scope, st, "loop bound must be a module constant, e.g. len(TUPLE)")
        for g in range(int(n)):
            scope.names[st.target.id] = ("const", g)
            self._block(st.body, scope, out, allow_return=False)
        scope.names.pop(st.target.id, None)

    # -- expressions -------------------------------------------------------------------------
    def _const(self, node: ast.expr, scope: _Scope) -> tuple[bool, Any]:
        """(True, value) when ``node`` depends only on module constants and unrolled indices."""
        env: dict[str, Any] = {}
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                b = scope.names.get(n.id)
                if b is None:
                    if n.id not in scope.glb and n.id not in ("len", "range", "int", "float"):
                        return False, None
                elif b[0] == "const":
                    env[n.id] = b[1]
                else:
                    return False, None
            elif isinstance(n, (ast.Call, ast.Lambda, ast.NamedExpr)):
                if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("len", "int", "float")):
                    return False, None
        try:
            v = eval(compile(ast.Expression(node), "<const>", "eval"), {**scope.glb, "__builtins__": {
                "len": len, "int": int, "float": float}}, env)
        except Exception:
            return False, None
        return (True, v) if _is_number(v) else (False, None)

    def _role_subscript(self, node: ast.Subscript, scope: _Scope, ctx: ast.expr_context) -> ast.Subscript | None:
        if not isinstance(node.value, ast.Name):
            return None
        b = scope.names.get(node.value.id)
        if b is None or b[0] != "role" or b[1] not in ARRAY_ROLES:
            return None
        ok, idx = self._const(node.slice, scope)
        if not ok or not isinstance(idx, (int, np.integer)):
            raise self._err(scope, node, f"index into {node.value.id}[...] must be a module constant expression")
        return ast.Subscript(ast.Name(f"__{b[1]}", ast.Load()), ast.Constant(int(idx)), ctx)

    def _expr(self, node: ast.expr, scope: _Scope, out: list[ast.stmt]) -> ast.expr:
        ok, v = self._const(node, scope)
        if ok and not isinstance(node, ast.Constant):
            return literal(v)
        if isinstance(node, ast.Constant):
            return node
        if isinstance(node, ast.Name):
            b = scope.names.get(node.id)
            if b is not None:
                kind, val = b
                if kind == "local":
                    return ast.Name(val, ast.Load())
                if kind == "role" and val == "t":
                    return ast.Name("__t", ast.Load())
                if kind == "acc":
                    return ast.Name(val, ast.Load())
                raise self._err(scope, node, f"{node.id!r} ({kind}) used as a value")
            raise self._err(scope, node, f"unknown or non-numeric global {node.id!r}")
        if isinstance(node, ast.Subscript):
            r = self._role_subscript(node, scope, ast.Load())
            if r is not None:
                return r
            base = self._expr(node.value, scope, out)
            ok, idx = self._const(node.slice, scope)
            if isinstance(base, ast.Attribute) and ok:  # e.g. mon.shape[2]
                return ast.Subscript(base, literal(idx), ast.Load())
            raise self._err(scope, node, "unsupported subscript")
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and scope.glb.get(node.value.id) is np \
                    and node.value.id not in scope.names:
                return ast.Attribute(ast.Name("np", ast.Load()), node.attr, ast.Load())
            if isinstance(node.value, ast.Name) and scope.names.get(node.value.id, ("",))[0] == "acc" \
                    and node.attr == "shape":
                return ast.Attribute(ast.Name(node.value.id, ast.Load()), "shape", ast.Load())
            raise self._err(scope, node, "unsupported attribute")
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self._expr(node.left, scope, out), node.op, self._expr(node.right, scope, out))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, self._expr(node.operand, scope, out))
        if isinstance(node, ast.Compare):
            return ast.Compare(self._expr(node.left, scope, out), node.ops,
                               [self._expr(c, scope, out) for c in node.comparators])
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self._expr(e, scope, out) for e in node.elts], ast.Load())
        if isinstance(node, ast.Call):
            return self._call(node, scope, out)
        raise self._err(scope, node, f"unsupported expression {type(node).__name__}")

    def _call(self, node: ast.Call, scope: _Scope, out: list[ast.stmt]) -> ast.expr:
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and scope.glb.get(f.value.id) is np:
            if node.keywords:
                raise self._err(scope, node, "keyword arguments to NumPy functions")
            return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), f.attr, ast.Load()),
                            [self._expr(a, scope, out) for a in node.args], [])
        if isinstance(f, ast.Name) and f.id not in scope.names:
            fn = scope.glb.get(f.id)
            fn = getattr(fn, "py_func", fn)
            if isinstance(fn, FunctionType):
                return self._inline(fn, node, scope, out)
        raise self._err(scope, node, "only NumPy functions and module-level helpers may be called")

    def _inline(self, fn: FunctionType, call: ast.Call, scope: _Scope, out: list[ast.stmt]) -> ast.expr:
        """Inline a helper: bind its parameters (arrays by role, constants by value, the rest via
        fresh locals), lower its body, return its result expression."""
        node = _parse(fn)
        self._n_inline += 1
        inner = _Scope(fn.__globals__, f"{scope.prefix}h{self._n_inline}_", f"{fn.__module__}.{fn.__qualname__}")
        params = [a.arg for a in node.args.args]
        if node.args.defaults or node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
            raise self._err(scope, call, f"helper {fn.__name__} must take plain positional parameters")
        args: dict[str, ast.expr] = dict(zip(params, call.args))
        for kw in call.keywords:
            if kw.arg is None:
                raise self._err(scope, call, "** arguments")
            args[kw.arg] = kw.value
        if set(args) != set(params):
            raise self._err(scope, call, f"helper {fn.__name__} called with wrong arguments")
        for name in params:
            a = args[name]
            if isinstance(a, ast.Name) and scope.names.get(a.id, ("",))[0] in ("role", "acc"):
                inner.names[name] = scope.names[a.id]
                continue
            ok, v = self._const(a, scope)
            if ok:
                inner.names[name] = ("const", v)
                continue
            if isinstance(a, ast.Name) and scope.names.get(a.id, ("",))[0] == "local":
                inner.names[name] = scope.names[a.id]  # a local already holds the value: no copy
                continue
            tmp = f"v_{inner.prefix}{name}"
            out.append(ast.Assign([ast.Name(tmp, ast.Store())], self._expr(a, scope, out), lineno=0))
            inner.names[name] = ("local", tmp)
        body = list(node.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        result = self._block(body, inner, out, allow_return=True)
        if result is None:
            raise self._err(scope, call, f"helper {fn.__name__} returns nothing")
        return result


def _as_load(node: ast.expr) -> ast.expr:
    """A copy of an assignment target usable as a value."""
    new = ast.parse(ast.unparse(node), mode="eval").body
    return new


def uses(stmts: list[ast.stmt], result: ast.expr | None, name: str) -> bool:
    """Whether the lowered code reads the canonical name (``__s``, ``__t``, ...)."""
    nodes: list[ast.AST] = list(stmts) + ([result] if result is not None else [])
    return any(isinstance(n, ast.Name) and n.id == name for root in nodes for n in ast.walk(root))


def indices(stmts: list[ast.stmt], result: ast.expr | None, name: str) -> list[int]:
    """Sorted distinct literal indices of ``name[...]`` in the lowered code (``__p``, ``__w``)."""
    nodes: list[ast.AST] = list(stmts) + ([result] if result is not None else [])
    found = {n.slice.value for root in nodes for n in ast.walk(root)
             if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name}
    return sorted(found)  # type: ignore[type-var]

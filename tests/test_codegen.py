"""Code generation from the modules' source, the vectorisable exp, and the on-disk cache."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numba
import numpy as np
import pytest

from dyadsim.engine import codegen
from dyadsim.engine.lower import ContractError, Lowerer
from dyadsim.engine.reference import with_vexp
from dyadsim.engine.vexp import vexp, vexp_np
from dyadsim.model.modules import UPDATE_ORDER

ROOT = Path(__file__).resolve().parent.parent


@numba.njit(error_model="numpy")
def _vexp_loop(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = vexp(x[i])


def _exp_inputs() -> np.ndarray:
    rng = np.random.default_rng(3)
    special = [-691.0, -700.0, -708.4, -708.5, -745.0, -745.13, -745.2, -746.0, -750.0, -1e308, -np.inf,
               np.inf, np.nan, 709.78, 709.79, 710.0, 1e308, 0.0, -0.0, 1e-300, -1e-300, 5e-324, 0.5 * np.log(2.0)]
    return np.concatenate([rng.uniform(-800, 800, 200_000), rng.uniform(-30, 30, 200_000),
                           rng.normal(0.0, 1.0, 200_000), np.linspace(-746.0, -700.0, 20_001),
                           np.linspace(700.0, 711.0, 20_001), np.array(special)])


def test_vexp_compiled_equals_numpy_twin_bit_for_bit():
    x = _exp_inputs()
    out = np.empty_like(x)
    _vexp_loop(x, out)
    with np.errstate(over="ignore"):
        ref = vexp_np(x)
    same = (out.view(np.int64) == ref.view(np.int64)) | (np.isnan(out) & np.isnan(ref))
    assert same.all(), x[~same][:5]


def test_vexp_is_exp_to_within_two_ulp_with_the_same_overflow_and_underflow():
    x = _exp_inputs()
    with np.errstate(over="ignore"):
        got, want = vexp_np(x), np.exp(x)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.array_equal(got == 0.0, want == 0.0), "underflow to 0 at a different place"
    assert np.array_equal(np.isinf(got), np.isinf(want)), "overflow to inf at a different place"
    normal = np.isfinite(want) & (want >= np.finfo(np.float64).tiny)
    ulp = np.abs(got[normal] - want[normal]) / np.spacing(want[normal])
    assert ulp.max() <= 2.0, ulp.max()
    assert vexp_np(-691.0) == pytest.approx(np.exp(-691.0), rel=1e-15) and vexp_np(-691.0) > 0.0
    assert vexp_np(0.0) == 1.0


def test_exact_engines_are_compiled_without_fastmath():
    gen = codegen.load()
    assert "fastmath" not in str(gen._EXACT)
    assert gen._FAST["fastmath"] == set(codegen.FAST_FLAGS)
    assert not ({"nnan", "ninf", "fast"} & set(codegen.FAST_FLAGS))


def test_every_module_step_and_gate_is_generated_for_lanes_and_one_dyad():
    gen = codegen.load()
    for m in UPDATE_ORDER:
        name = codegen.module_name(m)
        for prefix in ("lane_step_", "dyad_step_"):
            assert hasattr(gen, prefix + name), prefix + name
        assert hasattr(gen, f"lane_step_{name}_fast")
        if hasattr(m, "gate"):
            assert hasattr(gen, "lane_gate_" + name) and hasattr(gen, "dyad_gate_" + name)
    src = codegen.generate()
    assert "np.exp" not in src, "every exp goes through the vectorisable vexp"
    assert f"LANES = {codegen.LANES}" in src


# A toy module exercising the contract: constant index tuples, an unrolled loop with `if g == c`,
# a helper returning a tuple, module constants, aliased parameters.
TOY = '''
import numpy as np
from numba.extending import register_jitable

IDX = (0, 2)
OUT = (1, 3)
HALF = 0.5
OFF = 1


@register_jitable
def helper(p, base, x, y):
    a = p[base + OFF] * np.exp(-x)
    return a + y, np.minimum(a, HALF)


def step(s, p, w, u, t):
    total = 0.0 * s[0]
    for g in range(len(IDX)):
        v, m = helper(p, IDX[g], s[IDX[g]], u[g])
        s[OUT[g]] = v * w[g] + t
        if g == 1:
            total = total + m
    s[4] = total + np.sqrt(np.abs(s[0])) * (u[0] < HALF)
'''


def _toy_module() -> types.ModuleType:
    import importlib.util
    import tempfile

    d = tempfile.mkdtemp()
    path = os.path.join(d, "toy_contract_module.py")
    Path(path).write_text(TOY)
    spec = importlib.util.spec_from_file_location("toy_contract_module", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_lowered_toy_step_equals_the_original_source_on_numpy():
    """Unrolling, inlining and constant folding change no value: the lowered step, rendered for one
    dyad and run on NumPy rows, equals the original step (with the NumPy exp twin) bit for bit."""
    toy = _toy_module()
    lw = Lowerer().lower(toy.step, {"s": "s", "p": "p", "w": "w", "u": "u", "t": "t"})
    src = "def lowered(s, p, w, u, t):\n" + codegen._code(lw.stmts, False, 4) + "\n"
    assert "for " not in src and "helper" not in src and "IDX" not in src
    ns: dict = {"np": np, "_vexp": vexp_np}
    exec(compile(src, "<lowered toy>", "exec"), ns)
    rng = np.random.default_rng(0)
    s0 = rng.uniform(-2, 2, (5, 50))
    p, w, u = rng.uniform(0, 1, 4), rng.uniform(-1, 1, 2), rng.uniform(0, 1, (2, 50))
    a, b = s0.copy(), s0.copy()
    with_vexp(toy.step)(a, p, w, u, 3.0)
    ns["lowered"](b, p, w, u, 3.0)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, s0)


@pytest.mark.parametrize("body,msg", [
    ("    if s[0] > 0.5:\n        s[1] = 1.0\n", "if"),
    ("    k = 2\n    s[k] = 1.0\n", "constant"),
    ("    while True:\n        pass\n", "While"),
    ("    s[0] = (lambda x: x)(1.0)\n", "may be called"),
    ("    p[0] = 1.0\n", "only states"),
])
def test_constructs_outside_the_contract_are_refused_with_the_line(body, msg):
    ns: dict = {"np": np}
    exec(compile("def step(s, p, w, u, t):\n" + body, "<bad>", "exec"), ns)
    fn = ns["step"]
    # inspect.getsource needs a file: give the function source through a stub.
    import inspect
    orig = inspect.getsource
    inspect.getsource = lambda f: "def step(s, p, w, u, t):\n" + body  # type: ignore[assignment]
    try:
        with pytest.raises(ContractError, match=msg):
            Lowerer().lower(fn, {"s": "s", "p": "p", "w": "w", "u": "u", "t": "t"})
    finally:
        inspect.getsource = orig  # type: ignore[assignment]


def test_a_module_added_to_the_update_order_gets_its_lane_step_and_a_call_in_the_day(monkeypatch):
    """Nothing is written out per module: the day, the gates and the steps follow UPDATE_ORDER."""
    import dyadsim.model.modules as modules

    toy = _toy_module()
    order = (*UPDATE_ORDER, toy)
    monkeypatch.setattr(modules, "UPDATE_ORDER", order)
    monkeypatch.setattr(codegen, "UPDATE_ORDER", order)
    src = codegen.generate()
    tree = ast.parse(src)
    names = {f.name for f in tree.body if isinstance(f, ast.FunctionDef)}
    assert {"lane_step_toy_contract_module", "lane_step_toy_contract_module_fast",
            "dyad_step_toy_contract_module"} <= names
    day = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "lane_day")
    nodes = sorted((c for c in ast.walk(day) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)),
                   key=lambda c: (c.lineno, c.col_offset))
    calls = [c.func.id for c in nodes]
    assert calls[-1] == "lane_step_toy_contract_module"
    assert calls.count("draw") >= 10


def test_generated_source_is_valid_and_deterministic():
    a, b = codegen.generate(), codegen.generate()
    assert a == b
    ast.parse(a)


def test_a_second_process_loads_the_compiled_lanes_from_the_disk_cache(default_params):
    """Compile here (or load), then a fresh process must hit the cache for every lane function."""
    from dyadsim.engine.run import simulate

    simulate(default_params, 3, 1, engine="numba", threads=1)
    code = textwrap.dedent("""
        from dyadsim.model.params import ParamSet
        from dyadsim.engine.run import simulate
        from dyadsim.engine import kernel
        simulate(ParamSet(), 3, 1, engine="numba", threads=1)
        g = kernel._GEN
        # Functions called from compiled code come linked into their caller's cached object.
        fns = [getattr(g, n) for n in dir(g) if n.startswith(("lane_", "rec_", "agg_", "simulate_block", "draw"))]
        used = [f for f in fns if f.signatures]
        misses = sum(len(f.stats.cache_misses) for f in used)
        hits = len(g.simulate_block.stats.cache_hits)
        print(f"USED {len(used)} HITS {hits} MISSES {misses}")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("USED"))
    _, used, _, hits, _, misses = line.split()
    assert int(used) >= 1 and int(misses) == 0 and int(hits) >= 1, line


def test_the_source_hash_covers_every_file_the_generator_reads() -> None:
    """An edit to any module whose source is lowered (or whose constants are inlined) must change
    the hash that names the generated code and the compile cache; otherwise stale code would run."""
    import inspect
    from pathlib import Path

    from dyadsim.core import registry, rng, units
    from dyadsim.engine import cache, layout
    from dyadsim.model import forms, graph, modules, states
    from dyadsim.model import programmes

    hashed = {p.resolve() for p in cache.compiled_sources()}
    read = [*modules.UPDATE_ORDER, modules, layout, forms, rng, registry, units, states, graph, programmes]
    missing = [m.__name__ for m in read if Path(inspect.getsourcefile(m)).resolve() not in hashed]
    assert not missing, f"sources read by the code generator but not hashed: {missing}"
    assert any(p.name == "graph.yaml" for p in hashed)


def test_the_generated_source_is_written_once(tmp_path) -> None:
    """A second writer (another process that also found no file) leaves the first one's file as
    it is, text and timestamp: Numba's cache is keyed by that timestamp. No temporary file is left."""
    import os

    from dyadsim.engine.codegen import _write_once

    path = str(tmp_path / "gen.py")
    _write_once(path, "first = 1\n")
    os.utime(path, (1_000_000, 1_000_000))
    _write_once(path, "second = 2\n")
    assert open(path, encoding="utf-8").read() == "first = 1\n"
    assert os.stat(path).st_mtime == 1_000_000
    assert sorted(os.listdir(tmp_path)) == ["gen.py"]

"""Engine benchmark: every engine and a roofline kernel side by side in one run, and peak memory.

In one run this script

1. warms up every compiled engine (compiles, or loads from the on-disk cache);
2. times, on the same dyads and seed, alternating so that a noisy machine affects all alike
   (best of ``--repeats``), on 1 and on 2 threads:

   * ``lanes``: the default engine, dyads in lock-step lanes, exact (bit-identical to the reference);
   * ``fast``: lanes in float32 with fastmath step loops (not for published numbers);
   * ``dyad``: the previous engine, one dyad at a time (same generated steps);
   * ``roofline``: a kernel in lanes with the same number of states, uniforms drawn, exps and
     divisions per dyad-day as the lane engine (counted from the generated code), and trivial logic;
   * ``numpy``: the NumPy reference (on fewer dyads; its ratio is taken on the same dyads);

3. runs ``--big`` dyads through the full horizon with the lane engine in a fresh subprocess and reads
   its peak resident memory (``ru_maxrss``).

Throughput is in dyad-days: the sum over dyads of the days each dyad was followed. The last line::

    RESULT dyad_days_per_s=<lanes, 2 threads> fast_dyad_days_per_s=<fast, 2 threads>
           ratio_vs_roofline=<lanes / roofline, 2 threads> ratio_vs_numpy=<lanes / numpy> peak_mb=<float>

Usage: ``.venv/bin/python benchmarks/engine.py [--quick]``. Goals are printed, never asserted.
"""
from __future__ import annotations

import argparse
import ast
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

GOAL_RATE = 20e6
GOAL_EXACT = 12e6
GOAL_ROOFLINE = 0.5
GOAL_BIG_DYADS = 1_000_000
GOAL_PEAK_MB = 2000.0
SEED = 20240601
CHILD_TAG = "MEMORY_CHILD"


def _dyad_days(out) -> float:  # type: ignore[no-untyped-def]
    """Sum over dyads of followed days (postpartum months + pregnancy trimesters)."""
    from dyadsim.engine import layout

    post = out.monthly[:, layout.M["followed_days"], :].sum(dtype="float64")
    preg = out.pregnancy[:, layout.Q["followed_days"], :].sum(dtype="float64")
    return float(post + preg)


def _peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def work_per_lane_day() -> dict[str, int]:
    """States, uniforms, exps and divisions per lane-day of the lane engine under default parameters,
    counted from the generated code: modules whose gate reads only parameters and is closed by
    default are left out (they never run), the others counted every day."""
    import numpy as np

    from dyadsim.engine import codegen, kernel
    from dyadsim.engine.lower import Lowerer, uses
    from dyadsim.model.modules import UPDATE_ORDER, stream_ranges
    from dyadsim.model.params import ParamSet
    from dyadsim.core.registry import STREAMS
    from dyadsim.model.modules import n_states

    gen = kernel._GEN
    tree = ast.parse(codegen.generate())
    fns = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    p = ParamSet().vector()
    n = {"states": n_states(), "draws": 0, "exps": 0, "divisions": 0}
    for m, (a, b) in zip(UPDATE_ORDER, stream_ranges(list(STREAMS))):
        name = codegen.module_name(m)
        gate = getattr(m, "gate", None)
        if gate is not None:
            lw = Lowerer().lower(gate, dict(zip(gate.__code__.co_varnames[:3], ("s", "p", "t"))))
            if not uses(lw.stmts, lw.result, "__s") and not uses(lw.stmts, lw.result, "__t"):
                st = np.zeros(n_states() * codegen.LANES)
                if not getattr(gen, "lane_gate_" + name)(st, p, np.zeros(codegen.LANES)):
                    continue
        fn = fns["lane_step_" + name]
        n["draws"] += b - a
        n["exps"] += sum(isinstance(x, ast.Call) and getattr(x.func, "id", "") == "_vexp" for x in ast.walk(fn))
        n["divisions"] += sum(isinstance(x, ast.BinOp) and isinstance(x.op, ast.Div) for x in ast.walk(fn))
    return n


ROOFLINE_SRC = '''
import numba
import numpy as np
from dyadsim.engine.vexp import vexp
from dyadsim.core import rng

LANES = {lanes}
_uniform = numba.njit(rng.uniform, inline="always", error_model="numpy")


@numba.njit(nogil=True, error_model="numpy")
def roofline(n_lane_days, keys, first_id):
    """Same states, draws, exps and divisions per lane-day as the model; trivial logic."""
    st = np.full({states} * LANES, 0.5)
    uu = np.zeros({draws} * LANES)
    did = np.arange(LANES).astype(np.uint64) + np.uint64(first_id)
    tu = np.zeros(LANES, dtype=np.uint64)
    for day in range(n_lane_days // LANES):
        for k in range({draws}):
            key = keys[k]
            for j in range(LANES):
                uu[k * LANES + j] = _uniform(key, did[j], tu[j])
        for k in range({exps}):
            a = (k % {states}) * LANES
            b = (k % {draws}) * LANES
            for j in range(LANES):
                st[a + j] = 0.9 * st[a + j] + 0.1 * vexp(-st[a + j] * uu[b + j])
        for k in range({divisions}):
            a = ((k + 7) % {states}) * LANES
            b = (k % {draws}) * LANES
            for j in range(LANES):
                st[a + j] = 1.0 / (1.0 + st[a + j] + uu[b + j])
        for j in range(LANES):
            tu[j] += 1
    return st.sum()
'''


def make_roofline(counts: dict[str, int]):  # type: ignore[no-untyped-def]
    """Compile the roofline kernel for these counts (a file, so Numba can read its source)."""
    import importlib.util
    import tempfile

    from dyadsim.engine import codegen

    src = ROOFLINE_SRC.format(lanes=codegen.LANES, **{k: max(v, 1) for k, v in counts.items()})
    path = os.path.join(tempfile.mkdtemp(prefix="dyadsim-roofline-"), "roofline_kernel.py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location("roofline_kernel", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.roofline


def _time_engine(params, n: int, engine: str, threads: int, block: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from dyadsim.engine.run import simulate

    t0 = time.perf_counter()
    out = simulate(params, n, SEED, engine=engine, threads=threads, block_size=block)
    return time.perf_counter() - t0, _dyad_days(out)


def _time_roofline(fn, lane_days: int, threads: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    import numpy as np

    from dyadsim.core import rng

    keys = rng.stream_keys(SEED, [f"roof{k}" for k in range(64)])
    per = lane_days // threads
    t0 = time.perf_counter()
    if threads == 1:
        fn(per, keys, 0)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda b: fn(per, keys, b * 1_000_000), range(threads)))
    return time.perf_counter() - t0, float(per * threads - (per * threads) % 1)


def memory_child(n: int) -> None:
    """Run ``n`` dyads with the lane engine in this fresh process; print peak MB and throughput."""
    from dyadsim.engine.run import simulate
    from dyadsim.model.params import ParamSet

    params = ParamSet()
    simulate(params, 4, SEED, engine="numba", threads=0)
    base = _peak_mb()
    t0 = time.perf_counter()
    out = simulate(params, n, SEED, engine="numba", threads=0)
    secs = time.perf_counter() - t0
    dd = _dyad_days(out)
    print(f"{CHILD_TAG} dyads={n} seconds={secs:.3f} dyad_days={dd:.0f} rate={dd / secs:.1f} "
          f"peak_mb={_peak_mb():.1f} base_mb={base:.1f}", flush=True)


def _run_child(n: int) -> dict[str, float]:
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--_memory-child", str(n)],
                          capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(CHILD_TAG)), None)
    if proc.returncode != 0 or line is None:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("memory child failed")
    return {k: float(v) for k, v in (tok.split("=", 1) for tok in line.split()[1:])}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dyads", type=int, default=None, help="dyads per compiled-engine run (default 8192)")
    ap.add_argument("--numpy-dyads", type=int, default=None, help="dyads for the NumPy comparison (default 1024)")
    ap.add_argument("--big", type=int, default=None, help="dyads for the peak-memory run (default 1,000,000)")
    ap.add_argument("--repeats", type=int, default=2, help="alternating repetitions; the best is kept")
    ap.add_argument("--quick", action="store_true", help="small sizes (2048 / 256 / 20,000) to check the script")
    ap.add_argument("--_memory-child", dest="memory_child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child)
        return
    d_n, d_np, d_big = (2048, 256, 20_000) if args.quick else (8192, 1024, GOAL_BIG_DYADS)
    n = args.dyads or d_n
    n_np = args.numpy_dyads or d_np
    n_big = args.big or d_big

    import numba
    import numpy as np

    from dyadsim.engine import codegen
    from dyadsim.engine.run import simulate
    from dyadsim.model.params import ParamSet

    params = ParamSet()
    print(f"dyadsim engine benchmark  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}  cores {os.cpu_count()}  lanes {codegen.LANES}  seed {SEED}")
    t0 = time.perf_counter()
    for eng in ("numba", "numba_fast", "numba_dyad", "numpy"):
        simulate(params, 8, SEED, engine=eng, threads=1)
    counts = work_per_lane_day()
    roof = make_roofline(counts)
    roof(codegen.LANES, np.arange(64, dtype=np.uint64), 0)
    print(f"warm-up (compile or load from the disk cache): {time.perf_counter() - t0:.1f} s")
    print("per lane-day of the lane engine (default parameters): " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print()

    block = 2048 if n >= 4 * 2048 else max(n // 4, codegen.LANES)  # the default, or 4 blocks
    configs = [(eng, th) for th in (1, 2) for eng in ("numba", "numba_fast", "numba_dyad", "roofline")]
    best: dict[tuple[str, int], tuple[float, float]] = {}
    mean_days = None
    for _ in range(max(args.repeats, 1)):
        for eng, th in configs:
            if eng == "roofline":
                secs, dd = _time_roofline(roof, int(n * (mean_days or 480.0)), th)
            else:
                secs, dd = _time_engine(params, n, eng, th, block)
                mean_days = dd / n
            if (eng, th) not in best or dd / secs > best[(eng, th)][1] / best[(eng, th)][0]:
                best[(eng, th)] = (secs, dd)
    # The reference vectorises over the dyads of a block: one block of all of them is its best case.
    np_secs, np_dd = _time_engine(params, n_np, "numpy", 2, n_np)
    ln_secs, ln_dd = _time_engine(params, n_np, "numba", 2, max(n_np // 2, 1))
    rate = {k: dd / s for k, (s, dd) in best.items()}
    label = {"numba": "lanes (exact, default)", "numba_fast": "lanes, fast (float32)", "numba_dyad": "one dyad at a time",
             "roofline": "roofline kernel (lanes)"}
    hdr = f"{'engine':<26}{'threads':>8}{'dyad-days':>14}{'seconds':>9}{'dyad-days/s':>14}{'vs roofline':>12}"
    print(hdr)
    print("-" * len(hdr))
    for eng, th in configs:
        s, dd = best[(eng, th)]
        print(f"{label[eng]:<26}{th:>8}{dd:>14,.0f}{s:>9.2f}{rate[(eng, th)]:>14,.0f}"
              f"{rate[(eng, th)] / rate[('roofline', th)]:>12.2f}")
    print(f"{'numpy reference':<26}{2:>8}{np_dd:>14,.0f}{np_secs:>9.2f}{np_dd / np_secs:>14,.0f}")
    ratio_np = (ln_dd / ln_secs) / (np_dd / np_secs)
    print(f"lanes / numpy on the same {n_np:,} dyads (2 threads): {ratio_np:.1f}x;  "
          f"lanes / one dyad: {rate[('numba', 2)] / rate[('numba_dyad', 2)]:.1f}x (2 threads)")
    print(f"mean followed days per dyad: {mean_days:.1f}")
    print()

    print(f"memory run: {n_big:,} dyads, lanes, all cores, fresh subprocess ...", flush=True)
    big = _run_child(n_big)
    print(f"  {big['seconds']:.1f} s, {big['rate']:,.0f} dyad-days/s, peak resident {big['peak_mb']:,.1f} MB "
          f"(before the run {big['base_mb']:,.1f} MB)")
    print()
    exact2, fast2 = rate[("numba", 2)], rate[("numba_fast", 2)]
    roof_ratio = exact2 / rate[("roofline", 2)]
    print("goals (reported, not asserted):")
    print(f"  fast >= {GOAL_RATE:,.0f} dyad-days/s on 2 cores: {fast2:,.0f} -> {'MET' if fast2 >= GOAL_RATE else 'NOT MET'}")
    print(f"  exact >= {GOAL_EXACT:,.0f}: {exact2:,.0f} -> {'MET' if exact2 >= GOAL_EXACT else 'NOT MET'}")
    print(f"  >= {GOAL_ROOFLINE:.0%} of the roofline: {roof_ratio:.2f} -> {'MET' if roof_ratio >= GOAL_ROOFLINE else 'NOT MET'}")
    if n_big >= GOAL_BIG_DYADS:
        print(f"  {GOAL_BIG_DYADS:,} dyads < {GOAL_PEAK_MB:,.0f} MB: {big['peak_mb']:,.1f} -> "
              f"{'MET' if big['peak_mb'] < GOAL_PEAK_MB else 'NOT MET'}")
    else:
        print(f"  {GOAL_BIG_DYADS:,} dyads < {GOAL_PEAK_MB:,.0f} MB: NOT MEASURED (ran {n_big:,})")
    print(f"RESULT dyad_days_per_s={exact2:.1f} fast_dyad_days_per_s={fast2:.1f} ratio_vs_roofline={roof_ratio:.3f} "
          f"ratio_vs_numpy={ratio_np:.2f} peak_mb={big['peak_mb']:.1f}")


if __name__ == "__main__":
    main()

"""Engine benchmark: Numba vs NumPy reference throughput, and peak memory of a large cohort.

In one run this script

1. warms up the Numba engine (compiles it, or loads it from the on-disk cache),
2. times the Numba engine and the NumPy reference side by side on the same work
   (``--numpy-dyads`` dyads, same seed, threads and block size), and the Numba engine on
   ``--dyads`` dyads with all cores (``threads=0``),
3. runs ``--big`` dyads through the full horizon with the Numba engine in a fresh subprocess and
   reads its peak resident memory (``ru_maxrss``), so the figure is for that run alone.

Throughput is counted in dyad-days: the sum over dyads of the days each dyad was followed
(pregnancy days after enrolment plus postpartum days up to the horizon).

Usage::

    .venv/bin/python benchmarks/engine.py            # 4000 / 2000 / 1,000,000 dyads
    .venv/bin/python benchmarks/engine.py --quick    # 2000 / 1000 / 20,000 dyads

The last line printed is machine-readable::

    RESULT dyad_days_per_s=<float> ratio_vs_numpy=<float> peak_mb=<float>

Goals (printed, not asserted): >= 20e6 dyad-days/s with the Numba engine; 1e6 dyads in < 4000 MB.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import time

GOAL_DYAD_DAYS_PER_S = 20e6
GOAL_BIG_DYADS = 1_000_000
GOAL_PEAK_MB = 4000.0
SEED = 20240601
CHILD_TAG = "MEMORY_CHILD"


def _dyad_days(out) -> float:
    """Sum over dyads of followed days (postpartum months + pregnancy trimesters)."""
    from dyadsim.engine import layout

    post = out.monthly[:, layout.M["followed_days"], :].sum(dtype="float64")
    preg = out.pregnancy[:, layout.Q["followed_days"], :].sum(dtype="float64")
    return float(post + preg)


def _peak_mb() -> float:
    """Peak resident set size of this process in MB (MiB; ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def _timed(params, n: int, engine: str, threads: int) -> dict:
    from dyadsim.engine.run import simulate

    t0 = time.perf_counter()
    out = simulate(params, n, SEED, engine=engine, threads=threads)
    secs = time.perf_counter() - t0
    dd = _dyad_days(out)
    return {"engine": engine, "dyads": n, "threads": threads, "seconds": secs, "dyad_days": dd,
            "rate": dd / secs, "blocks": -(-n // 2048)}


def _proc_status_mb(key: str) -> float | None:
    """A /proc/self/status memory field (VmRSS, VmHWM) in MB, or None where unavailable."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_hwm() -> bool:
    """Reset this process's peak-RSS mark to its current RSS (Linux >= 4.0); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def memory_child(n: int) -> None:
    """Run ``n`` dyads with the Numba engine in this (fresh) process; print peak MB and throughput.

    ``peak_mb`` is ``ru_maxrss`` of the whole process: interpreter, imports, loading (or compiling, if
    the source changed since the disk cache was written) the kernel, and the run. ``run_peak_mb`` is the
    peak counted from just before the run (VmHWM after a reset), -1 where the platform cannot reset it.
    """
    from dyadsim.engine.run import simulate
    from dyadsim.params import ParamSet

    params = ParamSet()
    t0 = time.perf_counter()
    simulate(params, 4, SEED, engine="numba", threads=0)  # load compiled kernel (or compile)
    warm = time.perf_counter() - t0
    base = _peak_mb()  # interpreter, imports and compiled kernel, before the big run
    rss_before = _proc_status_mb("VmRSS")
    reset = _reset_hwm()
    t0 = time.perf_counter()
    out = simulate(params, n, SEED, engine="numba", threads=0)
    secs = time.perf_counter() - t0
    dd = _dyad_days(out)
    hwm = _proc_status_mb("VmHWM") if reset else None
    peak = max(base, _peak_mb(), hwm or 0.0)
    print(f"{CHILD_TAG} dyads={n} seconds={secs:.3f} dyad_days={dd:.0f} dyad_days_per_s={dd / secs:.1f} "
          f"peak_mb={peak:.1f} base_mb={base:.1f} run_peak_mb={hwm if hwm is not None else -1.0:.1f} "
          f"rss_before_mb={rss_before if rss_before is not None else -1.0:.1f} warmup_s={warm:.2f}", flush=True)


def _run_child(n: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--_memory-child", str(n)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"memory child failed with exit code {proc.returncode}")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(CHILD_TAG)), None)
    if line is None:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit("memory child printed no result line")
    vals = dict(tok.split("=", 1) for tok in line.split()[1:])
    return {"dyads": int(vals["dyads"]), "seconds": float(vals["seconds"]), "dyad_days": float(vals["dyad_days"]),
            "rate": float(vals["dyad_days_per_s"]), "peak_mb": float(vals["peak_mb"]),
            "base_mb": float(vals["base_mb"]), "run_peak_mb": float(vals["run_peak_mb"]),
            "rss_before_mb": float(vals["rss_before_mb"]),
            "warmup_s": float(vals["warmup_s"]), "wall": wall}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dyads", type=int, default=None, help="dyads for the Numba speed run (default 4000)")
    ap.add_argument("--numpy-dyads", type=int, default=None,
                    help="dyads for the side-by-side Numba vs NumPy comparison (default 2000)")
    ap.add_argument("--big", type=int, default=None, help="dyads for the peak-memory run (default 1000000)")
    ap.add_argument("--quick", action="store_true", help="small sizes (2000 / 1000 / 20000) to check the script")
    ap.add_argument("--_memory-child", dest="memory_child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.memory_child is not None:
        memory_child(args.memory_child)
        return

    d_dyads, d_np, d_big = (2000, 1000, 20_000) if args.quick else (4000, 2000, GOAL_BIG_DYADS)
    n_dyads = args.dyads if args.dyads is not None else d_dyads
    n_np = args.numpy_dyads if args.numpy_dyads is not None else d_np
    n_big = args.big if args.big is not None else d_big
    for name, v in (("--dyads", n_dyads), ("--numpy-dyads", n_np), ("--big", n_big)):
        if v < 1:
            ap.error(f"{name} must be at least 1")

    import numba
    import numpy as np

    from dyadsim.engine.run import simulate
    from dyadsim.params import ParamSet

    cores = os.cpu_count() or 1
    params = ParamSet()
    print(f"dyadsim engine benchmark  python {platform.python_version()}  numpy {np.__version__}  "
          f"numba {numba.__version__}  cores {cores}  seed {SEED}")
    print(f"horizon {params.get('pregnancy.horizon_days'):.0f} postpartum days; block size 2048; "
          f"threads=0 means all {cores} cores")
    print()

    t0 = time.perf_counter()
    simulate(params, 8, SEED, engine="numba", threads=0)
    warm_numba = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate(params, 8, SEED, engine="numpy", threads=0)
    warm_numpy = time.perf_counter() - t0
    print(f"warm-up: numba {warm_numba:.2f} s (compile or load from disk cache), numpy {warm_numpy:.2f} s")
    print()

    same_numba = _timed(params, n_np, "numba", 0)
    same_numpy = _timed(params, n_np, "numpy", 0)
    speed = _timed(params, n_dyads, "numba", 0)
    ratio = same_numba["rate"] / same_numpy["rate"]

    hdr = f"{'run':<28}{'engine':<8}{'dyads':>10}{'blocks':>8}{'seconds':>10}{'dyad-days':>14}{'dyad-days/s':>14}"
    print(hdr)
    print("-" * len(hdr))
    for label, r in (("side by side", same_numba), ("side by side", same_numpy), ("speed (all cores)", speed)):
        print(f"{label:<28}{r['engine']:<8}{r['dyads']:>10,}{r['blocks']:>8}{r['seconds']:>10.2f}"
              f"{r['dyad_days']:>14,.0f}{r['rate']:>14,.0f}")
    print(f"Numba / NumPy throughput on the same {n_np:,} dyads: {ratio:.1f}x")
    print(f"mean followed days per dyad: {speed['dyad_days'] / speed['dyads']:.1f}")
    print()

    est = n_big * (speed["dyad_days"] / speed["dyads"]) / speed["rate"]
    print(f"memory run: {n_big:,} dyads, Numba, all cores, fresh subprocess (estimated {est:.0f} s) ...", flush=True)
    big = _run_child(n_big)
    print(f"{'memory run':<28}{'numba':<8}{big['dyads']:>10,}{-(-big['dyads'] // 2048):>8}{big['seconds']:>10.2f}"
          f"{big['dyad_days']:>14,.0f}{big['rate']:>14,.0f}")
    print(f"peak resident memory of the memory-run process (ru_maxrss): {big['peak_mb']:,.1f} MB (MiB)")
    print(f"  before the run (interpreter, imports, kernel load/compile {big['warmup_s']:.1f} s): "
          f"{big['base_mb']:,.1f} MB")
    if big["run_peak_mb"] >= 0 and big["rss_before_mb"] >= 0:
        per_dyad = 1024 * 1024 * (big["run_peak_mb"] - big["rss_before_mb"]) / big["dyads"]
        print(f"  resident just before the run {big['rss_before_mb']:,.1f} MB; peak during the run "
              f"(VmHWM after reset) {big['run_peak_mb']:,.1f} MB, i.e. {per_dyad:,.0f} bytes/dyad")
    print(f"  subprocess wall time {big['wall']:.1f} s")
    print()

    print("goals (reported, not asserted):")
    ok_speed = speed["rate"] >= GOAL_DYAD_DAYS_PER_S
    print(f"  throughput >= {GOAL_DYAD_DAYS_PER_S:,.0f} dyad-days/s: {speed['rate']:,.0f} on {cores} cores -> "
          f"{'MET' if ok_speed else 'NOT MET'}")
    if n_big >= GOAL_BIG_DYADS:
        ok_mem = big["peak_mb"] < GOAL_PEAK_MB
        print(f"  {GOAL_BIG_DYADS:,} dyads < {GOAL_PEAK_MB:,.0f} MB: {big['peak_mb']:,.1f} MB at {n_big:,} dyads -> "
              f"{'MET' if ok_mem else 'NOT MET'}")
    else:
        if big["run_peak_mb"] >= 0 and big["rss_before_mb"] >= 0:
            grow = (big["run_peak_mb"] - big["rss_before_mb"]) * GOAL_BIG_DYADS / n_big
            proj = max(big["base_mb"], big["rss_before_mb"] + grow)
        else:
            proj = big["peak_mb"] * GOAL_BIG_DYADS / n_big
        print(f"  {GOAL_BIG_DYADS:,} dyads < {GOAL_PEAK_MB:,.0f} MB: NOT MEASURED (ran {n_big:,} dyads: "
              f"{big['peak_mb']:,.1f} MB; linear extrapolation of the run's growth to {GOAL_BIG_DYADS:,} "
              f"dyads: {proj:,.0f} MB -> {'would be met' if proj < GOAL_PEAK_MB else 'would not be met'})")
    print(f"RESULT dyad_days_per_s={speed['rate']:.1f} ratio_vs_numpy={ratio:.2f} peak_mb={big['peak_mb']:.1f}")


if __name__ == "__main__":
    main()

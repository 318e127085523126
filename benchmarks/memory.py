"""Peak memory of ``dyadsim run`` against cohort size, the slope per dyad, and where the fixed
part goes.

Usage: .venv/bin/python benchmarks/memory.py [--sizes 100000 300000] [--scenario examples/usual_care.yaml]
       [--breakdown]

Each size runs the command line (``python -m dyadsim.cli.entry``, the code of this checkout) in
its own process (one replicate, written to a temporary folder) and reads that process's peak
resident set size from ``resource.getrusage``; the slope between the smallest and the largest size
extrapolates to the 10-million-dyad cap. Use sizes of several chunks
(``dyadsim.run.runner.CHUNK_DYADS``): a run of one chunk or less has not yet reached its peak.

``--breakdown`` first prints, in a fresh process, the resident memory after each stage of a run:
the libraries imported, the compiled engine loaded, one chunk simulated and its outcomes table
built (the part of the peak that scales with the chunk, not with the cohort).

Ends ``RESULT peak_mb_<largest size>=<float> bytes_per_dyad=<float>``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(json.dumps({"rc": rc, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "seconds": time.perf_counter() - t}))
"""

_STAGES = """
import sys
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmRSS"))
prev = rss()
print(f"  {'the interpreter':46s} {prev:7.0f} MB")
def stage(label, code):
    global prev
    exec(code, globals())
    now = rss()
    print(f"  {label:46s} {now:7.0f} MB  (+{now - prev:.0f})", flush=True)
    prev = now
stage("numpy", "import numpy")
stage("numba and LLVM (llvmlite)", "import numba")
stage("pandas", "import pandas")
stage("pyarrow and Parquet", "import pyarrow, pyarrow.parquet")
stage("scipy.stats", "import scipy.stats")
stage("the command line and the run pipeline", "import dyadsim.cli.commands, dyadsim.jobs.run, dyadsim.run.runner")
stage("the compiled lane engine (from the disk cache)", "from dyadsim.engine import kernel; kernel.simulate_lanes")
stage("the scenario and the population", "from dyadsim.config.scenario import load_scenario; "
      "scn, params, pop = load_scenario(sys.argv[1]); from dyadsim.engine.run import simulate; "
      "from dyadsim.run.runner import CHUNK_DYADS; from dyadsim.run.results import outcomes_table")
stage("a first simulation (64 dyads)", "simulate(params, 64, 1, pop)")
stage("one chunk simulated (CHUNK_DYADS, output held)", "o = simulate(params, CHUNK_DYADS, 1, pop)")
stage("its outcomes table (held)", "t = outcomes_table(o)")
stage("both freed", "del o, t; import gc; gc.collect()")
"""


def peak(n: int, scenario: Path) -> dict[str, float]:
    """Peak RSS (KiB) and wall time of one run of ``n`` dyads."""
    with tempfile.TemporaryDirectory(prefix="dyadsim-mem-") as tmp:
        cmd = [sys.executable, "-c", _CHILD, sys.executable, "-m", "dyadsim.cli.entry", "run", str(scenario),
               "--out", f"{tmp}/run", "--dyads", str(n), "--replicates", "1", "--no-progress"]
        out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    if out["rc"] != 0:
        raise SystemExit(f"run of {n} dyads failed with status {out['rc']}")
    return out


def main() -> None:
    """Run every size and print peak memory, the slope and the 10M extrapolation."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    ap.add_argument("--scenario", type=Path, default=ROOT / "examples" / "usual_care.yaml")
    ap.add_argument("--breakdown", action="store_true", help="resident memory after each stage of a run")
    a = ap.parse_args()
    if a.breakdown:
        print("resident memory after each stage (fresh process):", flush=True)
        subprocess.run([sys.executable, "-c", _STAGES, str(a.scenario)], check=True)
    rows = []
    started = time.perf_counter()
    for n in sorted(a.sizes):
        r = peak(n, a.scenario)
        rows.append((n, r["peak_kib"]))
        print(f"{n:>10,} dyads: peak RSS {r['peak_kib'] / 1024:8.1f} MiB, {r['seconds']:7.1f} s", flush=True)
    (n0, m0), (n1, m1) = rows[0], rows[-1]
    slope = (m1 - m0) * 1024 / max(n1 - n0, 1)
    print(f"slope {slope:.1f} bytes per dyad; 10,000,000 dyads: about "
          f"{(m1 * 1024 + slope * (10_000_000 - n1)) / 2**30:.2f} GiB ({time.perf_counter() - started:.0f} s)")
    print(f"RESULT peak_mb_{n1}={m1 / 1024:.1f} bytes_per_dyad={slope:.1f}")


if __name__ == "__main__":
    main()

"""Peak memory of ``dyadsim run`` against cohort size, and the slope per dyad.

Usage: .venv/bin/python benchmarks/memory.py [--sizes 100000 300000 1000000] [--scenario examples/usual_care.yaml]

Each size runs the real executable in its own process (one replicate, written to a temporary
folder) and reads that process's peak resident set size from ``resource.getrusage``; the slope
between the smallest and the largest size extrapolates to the 10-million-dyad cap. Use sizes
above one chunk (``dyadsim.run.runner.CHUNK_DYADS``, 32,768 dyads): below it memory still grows with
the chunk, so a slope from smaller sizes overstates the growth.
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
EXE = ROOT / ".venv" / "bin" / "dyadsim"

_CHILD = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(json.dumps({"rc": rc, "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "seconds": time.perf_counter() - t}))
"""


def peak(n: int, scenario: Path) -> dict[str, float]:
    """Peak RSS (KiB) and wall time of one run of ``n`` dyads."""
    with tempfile.TemporaryDirectory(prefix="dyadsim-mem-") as tmp:
        cmd = [sys.executable, "-c", _CHILD, str(EXE), "run", str(scenario), "--out", f"{tmp}/run",
               "--dyads", str(n), "--replicates", "1", "--no-progress"]
        out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    if out["rc"] != 0:
        raise SystemExit(f"run of {n} dyads failed with status {out['rc']}")
    return out


def main() -> None:
    """Run every size and print peak memory, the slope and the 10M extrapolation."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    ap.add_argument("--scenario", type=Path, default=ROOT / "examples" / "usual_care.yaml")
    a = ap.parse_args()
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


if __name__ == "__main__":
    main()

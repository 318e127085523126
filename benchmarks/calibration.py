"""The speed of calibration, and a simulation-based calibration check.

Usage: .venv/bin/python benchmarks/calibration.py [--out DIR] [--workers 2] [--quick] [--sbc N]

1. **Full calibration**: ``dyadsim calibrate`` with its default settings (every packaged target,
   1,000 dyads per design, Morris screening of every drawn parameter, 3 waves of 80 points, the
   posterior, 200 ensemble members) in ``--out`` (default ``benchmarks/out/calibration``), on a local
   Dask cluster of ``--workers`` processes. A folder that already holds the run is resumed, so
   the wall time printed is that of this invocation: give a fresh folder to time the whole run.
   ``--quick`` calibrates three named parameters at 200 dyads (a minute).
2. **Resume with every simulation cached**: the same command again; nothing is simulated.
3. **Evaluations per second**: fit-design evaluations (every fitted target's design at the
   calibration's cohort size) timed in-process, one after another, as a stage calls them.
4. ``--sbc N``: simulation-based calibration (Talts et al. 2018) of the recovery problem of the
   suite (:mod:`dyadsim.calibration.synthetic`): N known parameter sets drawn from the prior, each
   calibrated from its own synthetic targets; the rank of each known value among its posterior
   draws should be uniform. Prints the rank histogram per parameter and a chi-square p-value.
   Each known set is calibrated on its own seed (``Settings.seed``), as each synthetic study has
   its own: every design point of one calibration shares that seed's Monte Carlo offset, which the
   likelihood carries as a variance (:func:`dyadsim.calibration.history.history_match`), so the
   check is exchangeable only when that offset is drawn anew for every known set (with one seed
   for all N, the offset is fixed and the ranks lean the same way in every set).
   ``--sbc-only`` skips 1-3 and ends ``RESULT sbc_min_p=<float>`` (the smallest p over the parameters).

Ends ``RESULT evals_per_s=<float> full_calibration_s=<float> cache_hit_resume_s=<float>``
(goal: the default full calibration in at most 60 minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _calibrate(out: Path, workers: int, quick: bool) -> float:
    cmd = [sys.executable, "-m", "dyadsim.cli.entry", "calibrate", "--out", str(out), "--no-progress"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    if quick:
        cmd += ["--dyads", "200", "--parameters", "moud.stop_hazard,overdose.od_logit,pregnancy.preterm_hazard",
                "--waves", "2", "--points", "16", "--steps", "300", "--ensemble", "20"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"calibrate failed:\n{done.stderr[-3000:]}")
    print(done.stderr.strip().splitlines()[-2], flush=True)
    return secs


def _evals_per_s(n: int) -> float:
    from dyadsim.calibration.evaluations import PointEvaluator
    from dyadsim.calibration.stages import fitted
    from dyadsim.config.space import SPACE
    from dyadsim.config.targets import load_targets

    fit = fitted(load_targets())
    space = SPACE.select(["moud.stop_hazard", "pregnancy.preterm_hazard"])
    pts = [dict(zip(space.names, map(float, row))) for row in space.sample_prior(n + 1, seed=5)]
    with tempfile.TemporaryDirectory() as tmp:
        ev = PointEvaluator(fit, Path(tmp), 1000, 1)
        ev(pts[:1])  # compile and warm
        t0 = time.perf_counter()
        for p in pts[1:]:
            ev([p])
        return n / (time.perf_counter() - t0)


def _sbc(n: int, seed: int) -> float:
    """Run the check; print the histograms and return the smallest chi-square p-value."""
    from scipy import stats

    from dyadsim.calibration.run import calibrate
    from dyadsim.calibration.stages import Settings
    from dyadsim.calibration.synthetic import RECOVERY_STATISTICS, synthetic_targets
    from dyadsim.config.space import SPACE

    names = [p for p, _ in RECOVERY_STATISTICS]
    space = SPACE.select(names)
    rng = np.random.default_rng(seed)
    bins = 5
    ranks = np.zeros((n, len(names)), dtype=int)
    for i in range(n):
        u = rng.uniform(0.05, 0.95, len(names))
        truth = dict(zip(names, space.from_unit(u[None])[0]))
        targets = synthetic_targets(truth, [s for _, s in RECOVERY_STATISTICS], dyads=1500, seed=100 + i)
        with tempfile.TemporaryDirectory() as tmp:
            calibrate(Path(tmp) / "c", targets, Settings(dyads=400, parameters=tuple(names), waves=2, points=24,
                                                         steps=400, burn=150, ensemble=30, candidates=8192,
                                                         seed=1000 + i))
            chain = np.load(Path(tmp) / "c" / "posterior.npz")["chain"]
        draws = chain[np.linspace(0, len(chain) - 1, 99).round().astype(int)]
        ranks[i] = (draws < u).sum(axis=0)
        print(f"sbc {i + 1}/{n}: ranks {ranks[i].tolist()} (of 99)", flush=True)
    ps = []
    for j, name in enumerate(names):
        hist = np.histogram(ranks[:, j], bins=bins, range=(0, 100))[0]
        p = float(stats.chisquare(hist).pvalue)
        ps.append(p)
        print(f"sbc {name:34s} rank histogram {hist.tolist()}  chi-square p = {p:.3f}")
    return min(ps)


def main() -> None:
    """Run the measurements; print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "calibration")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--evals", type=int, default=10)
    ap.add_argument("--sbc", type=int, default=0)
    ap.add_argument("--sbc-only", action="store_true", help="only the simulation-based calibration check")
    a = ap.parse_args()
    if a.sbc_only:
        t0 = time.perf_counter()
        p_min = _sbc(max(a.sbc, 1), seed=11)
        print(f"RESULT sbc_min_p={p_min:.4g} sbc_s={time.perf_counter() - t0:.1f}")
        return
    full = _calibrate(a.out, a.workers, a.quick)
    print(f"full calibration (this invocation): {full:.1f} s", flush=True)
    resume = _calibrate(a.out, a.workers, a.quick)
    print(f"resume, every simulation cached: {resume:.1f} s", flush=True)
    eps = _evals_per_s(a.evals)
    print(f"fit-design evaluations in-process: {eps:.3f} per s", flush=True)
    if a.sbc:
        _sbc(a.sbc, seed=11)
    print(f"RESULT evals_per_s={eps:.4g} full_calibration_s={full:.1f} cache_hit_resume_s={resume:.1f}")


if __name__ == "__main__":
    main()

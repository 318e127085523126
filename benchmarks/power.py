"""Speed of a Monte Carlo power analysis: the perinatal example trial, 2 x 125, mediation included.

Usage: .venv/bin/python benchmarks/power.py [--reps 200] [--workers 2]

Builds the arms' pools of potential outcomes once (two arms and two mediation cuts of 4,000 dyads
over 12 postpartum months), then runs ``--reps`` replicate trials of 125 per arm, each analysed
by the file's plan (four outcome models with inverse-probability weights, two process measures,
two mediation paths with 1,000 percentile-bootstrap resamples each), on a Dask LocalCluster of
``--workers`` single-threaded processes. It prints the pool time, the replicate rate and the time
a 1,000-replicate analysis takes (pools plus 1,000 replicates at the measured rate), and ends with
``RESULT power_reps_per_s=<float> seconds_for_1000_reps_2x125=<float>`` (goal: under 120 s on 2 cores).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Time the pools and the replicates; print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()

    from dyadsim.run.sweep import DaskExecutor, run_tasks, warm_engine
    from dyadsim.trials.design import load_trial
    from dyadsim.trials.power import power_tasks, run_power_task
    from dyadsim.trials.simulate import build_pools

    trial, specs = load_trial(ROOT / "examples" / "trial_perinatal_more.yaml")
    warm_engine("numba")
    t0 = time.perf_counter()
    pools = build_pools(trial, specs)
    pool_s = time.perf_counter() - t0
    with DaskExecutor(workers=a.workers) as ex, tempfile.TemporaryDirectory(prefix="dyadsim-power-") as tmp:
        run_tasks(Path(tmp) / "warm", power_tasks(pools, [125], 2 * a.workers, 1, 1000), run_power_task, ex)
        t1 = time.perf_counter()
        tasks = power_tasks(pools, [125], a.reps, max(1, a.reps // (4 * a.workers)), 1000)
        run_tasks(Path(tmp) / "parts", tasks, run_power_task, ex)
        rep_s = time.perf_counter() - t1
    rate = a.reps / rep_s
    total = pool_s + 1000 / rate
    print(f"pools: {pool_s:.1f} s ({len(pools.eligible)} eligible of {trial.pool_dyads} per arm); "
          f"{a.reps} replicates of 2 x 125 on {a.workers} Dask workers: {rep_s:.1f} s ({rate:.2f}/s)")
    print(f"a 1,000-replicate power analysis: {pool_s:.1f} s pools + {1000 / rate:.1f} s replicates = {total:.1f} s")
    print(f"RESULT power_reps_per_s={rate:.3f} seconds_for_1000_reps_2x125={total:.1f}")


if __name__ == "__main__":
    main()

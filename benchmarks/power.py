"""Speed of a Monte Carlo power analysis: the perinatal example trial, 2 x 125, mediation included.

Usage: .venv/bin/python benchmarks/power.py [--reps 200] [--workers 2]

Builds the arms' pools of potential outcomes once (two arms and two mediation cuts of 4,000 dyads
over 12 postpartum months), then runs ``--reps`` replicate trials of 125 per arm, each analysed
by the file's plan (four outcome models with inverse-probability weights, two process measures,
two mediation paths with 1,000 percentile-bootstrap resamples each), on a Dask LocalCluster of
``--workers`` single-threaded processes. It prints the pool time, the replicate rate and the time
a 1,000-replicate analysis takes (pools plus 1,000 replicates at the measured rate), and ends with
``RESULT power_reps_per_s=<float> seconds_for_1000_reps_2x125=<float>`` (goal: under 120 s on 2 cores).

``--assurance`` times an assurance run instead: the perinatal trial's primary outcome at 200 per arm
over ``--draws`` members of the posterior ensemble (default 50, each with pools of its own) and
``--per-draw`` replicate trials each (default 200), the whole ``dyadsim power`` pipeline on
``--workers`` Dask workers; it ends ``RESULT assurance_2x200_k50_s=<float>`` (goal: under 600 s on
2 cores; the name keeps its k50 only at the defaults).

``--cluster`` times a cluster-randomised power run instead: ``examples/trial_perinatal_cluster.yaml``
with every site enrolling exactly 10 mothers (fixed sizes), 20 sites (10 per arm), on one posterior
member (the file's seed's), the whole ``dyadsim power`` pipeline (``run_site_power``) on
``--workers`` Dask workers: simulating its pool of 100 sites (2 arms x 60 dyads each, 200 engine
runs) and ``--reps`` replicate trials (default 200), each with its two outcomes analysed by GEE
with bias-reduced SEs, its ICC and the same mothers randomised individually. The engine is
compiled (or loaded from its cache) before the clock starts; the Dask cluster's start is not
timed. It ends ``RESULT cluster_20x10_s=<float>`` (the name keeps its 20x10 at any --reps).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Time the pools and the replicates; print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--assurance", action="store_true", help="time an assurance run (see above)")
    ap.add_argument("--draws", type=int, default=50)
    ap.add_argument("--per-draw", type=int, default=200)
    ap.add_argument("--cluster", action="store_true", help="time a cluster-randomised power run (see above)")
    a = ap.parse_args()
    if a.assurance:
        assurance(a.draws, a.per_draw, a.workers)
        return
    if a.cluster:
        cluster(a.reps, a.workers)
        return

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


def _example(name: str) -> dict[str, Any]:
    """An example trial file as a mapping, its arms' scenarios named by absolute path (so it can be
    written to a scratch folder)."""
    import yaml

    doc: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    for arm in doc["arms"]:
        arm["scenario"] = str(ROOT / "examples" / arm["scenario"])
    return doc


def assurance(draws: int, per_draw: int, workers: int) -> None:
    """Time ``dyadsim power`` over ``draws`` posterior members, primary outcome only, 2 x 200."""
    import yaml

    from dyadsim.run.sweep import DaskExecutor, warm_engine
    from dyadsim.trials.run import run_power

    doc = _example("trial_perinatal_interim.yaml")
    doc.pop("interim")
    doc["n_per_arm"] = 200
    warm_engine("numba")
    with tempfile.TemporaryDirectory(prefix="dyadsim-assurance-") as tmp, DaskExecutor(workers=workers) as ex:
        path = Path(tmp) / "trial.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        t0 = time.perf_counter()
        res = run_power(path, [200], draws * per_draw, Path(tmp) / "work", ex, parameters="posterior",
                        parameter_draws=draws)
        wall = time.perf_counter() - t0
    power = res.summary.iloc[0]
    print(f"{draws} posterior members x {per_draw} trials of 2 x 200 on {workers} Dask workers: {wall:.1f} s; "
          f"assurance of the primary {power['power']:.3f} +- {power['mcse']:.3f}")
    print(f"RESULT assurance_2x200_k{draws}_s={wall:.1f}")


def cluster(reps: int, workers: int) -> None:
    """Time ``dyadsim power`` of the cluster example at 20 sites of 10 mothers (fixed sizes)."""
    import yaml

    from dyadsim.run.sweep import DaskExecutor, warm_engine
    from dyadsim.trials.site_run import run_site_power

    doc = _example("trial_perinatal_cluster.yaml")
    doc["clusters"]["dyads_per_site"] = {"distribution": "fixed", "mean": 10}
    warm_engine("numba")
    with tempfile.TemporaryDirectory(prefix="dyadsim-cluster-") as tmp, DaskExecutor(workers=workers) as ex:
        path = Path(tmp) / "trial.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        t0 = time.perf_counter()
        res = run_site_power(path, [10], [10.0], reps, Path(tmp) / "work", ex, parameters="posterior")
        wall = time.perf_counter() - t0
    power = res.summary.iloc[0]
    de = res.design_effect.iloc[0]
    print(f"cluster trial of 20 sites x 10 mothers, {reps} replicates on {workers} Dask workers: {wall:.1f} s; "
          f"power of the primary {power['power']:.3f} +- {power['mcse']:.3f}; ICC {de['icc']:.4f}, design effect "
          f"observed {de['observed_de']:.2f} +- {de['observed_de_se']:.2f} against {de['textbook_de']:.2f}")
    print(f"RESULT cluster_20x10_s={wall:.1f}")


if __name__ == "__main__":
    main()

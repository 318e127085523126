"""The fixed cost of a small run, as calibration calls them: many evaluations of 2,000 dyads and 12
months in a row, in one process.

Usage: .venv/bin/python benchmarks/small_runs.py [--dyads 2000] [--evals 12]

Each evaluation is :func:`dyadsim.run.evaluate.evaluate_one` (usual care, one engine thread: the
population, the settling at enrolment, the compiled day loop, the outcomes table and the summary
statistics). Beside it, in the same round, the parts are timed alone on the same inputs: the
baseline draws and settling (:func:`dyadsim.engine.run.initial_states`), the whole
:func:`~dyadsim.engine.run.simulate`, and the outcomes table with the statistics. The simulation
proper (the day loop) is ``simulate - initial_states``; everything else an evaluation spends is
overhead. Rounds alternate the measurements and the median of each is kept (this machine is
shared and noisy).

It prints each part's median and ends ``RESULT evals_per_s_2000x12=<float> overhead_share=<float>``
(overhead as a share of the evaluation; goal: at most 0.20).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    """Time the evaluations and their parts; print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dyads", type=int, default=2000)
    ap.add_argument("--evals", type=int, default=12)
    a = ap.parse_args()

    from dyadsim.config import examples
    from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population
    from dyadsim.core.yamlsafe import parse_yaml
    from dyadsim.engine.run import initial_states, simulate
    from dyadsim.run.evaluate import SUMMARY_STATISTICS, ScenarioSpec, evaluate_one, statistics_of
    from dyadsim.run.results import outcomes_table

    scn = parse_scenario(parse_yaml(examples.text("usual_care"), "usual_care"), "usual_care")
    spec = ScenarioSpec(scn, scenario_params(scn, "usual_care"), scenario_population(scn, "usual_care"))
    ps = spec.params.copy()
    ps.set("pregnancy.horizon_days", 366.0)
    p, w = ps.vector(), ps.link_vector()
    n = a.dyads
    ids = np.arange(n, dtype=np.uint64)
    evaluate_one(spec, ps, 1, n, SUMMARY_STATISTICS)  # compile and warm every path first

    times: dict[str, list[float]] = {"evaluation": [], "initial_states": [], "simulate": [], "table_and_stats": []}
    for k in range(a.evals):
        seed = 100 + k  # a new seed each time, as a calibration's design points are new
        t0 = time.perf_counter()
        evaluate_one(spec, ps, seed, n, SUMMARY_STATISTICS)
        t1 = time.perf_counter()
        initial_states(spec.population, p, seed, ids, w)
        t2 = time.perf_counter()
        out = simulate(ps, n, seed, spec.population, threads=1)
        t3 = time.perf_counter()
        statistics_of(outcomes_table(out), SUMMARY_STATISTICS)
        t4 = time.perf_counter()
        for key, dt in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            times[key].append(dt)
    med = {k: float(np.median(v)) for k, v in times.items()}
    loop = med["simulate"] - med["initial_states"]
    for k, v in med.items():
        print(f"{k:18s} {v * 1000:9.1f} ms")
    print(f"{'day loop':18s} {loop * 1000:9.1f} ms (simulate - initial_states)")
    overhead = max(med["evaluation"] - loop, 0.0) / med["evaluation"]
    print(f"RESULT evals_per_s_2000x12={1.0 / med['evaluation']:.4f} overhead_share={overhead:.4f}")


if __name__ == "__main__":
    main()

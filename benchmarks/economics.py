"""The cost of the economic accounting beside the simulation it costs.

Usage: .venv/bin/python benchmarks/economics.py [--dyads 2000] [--rounds 5]

Each round runs one strategy (usual care with peer support, one replicate, one engine thread) the
way ``dyadsim economics`` runs it (:func:`dyadsim.run.runner.run_scenario`, outcomes table kept),
then costs its dyads (:func:`dyadsim.economics.accounting.quantities` and
:func:`~dyadsim.economics.accounting.value` at the point inputs, ``extrapolate_years`` 10 so the
extrapolation is timed too). Accounting off: the run alone; on: the run and the accounting. The
accounting reads the records the run writes anyway, so nothing in the run changes. Within a round
the two are run in turn, in alternating order, and the medians are kept (the machine is shared and
noisy).

It ends ``RESULT overhead_ratio=<float>`` (time with accounting / time without; goal: at most 1.10).
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def main() -> None:
    """Time runs with and without the accounting; print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dyads", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()

    from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population, with_cohort
    from dyadsim.economics.accounting import quantities, value
    from dyadsim.economics.inputs import load_inputs
    from dyadsim.run.runner import run_scenario

    data = {"name": "peer_support", "cohort": {"dyads": a.dyads, "replicates": 1, "seed": 7},
            "engine": {"threads": 1}, "output": {"trajectory_sample": 0},
            "interventions": {"supports": {"peer_support": True}}}
    scn = with_cohort(parse_scenario(data, "benchmark"), dyads=a.dyads, replicates=1)
    params, pop = scenario_params(scn, "benchmark"), scenario_population(scn, "benchmark")
    inputs = load_inputs()

    def run() -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run_scenario(scn, params, pop, tables=("outcomes",))

    def account(res: object) -> None:
        q = quantities(res.outcomes, scn, inputs, 0.03, extrapolate_years=10)  # type: ignore[attr-defined]
        means = q.drop(columns=["dyad_id"]).groupby("replicate").mean()
        value(means, inputs.cost_values(), inputs.utility_values(), inputs)

    account(run())  # compile and warm every path first
    off: list[float] = []
    on: list[float] = []
    acc: list[float] = []

    def without() -> None:
        t0 = time.perf_counter()
        run()
        off.append(time.perf_counter() - t0)

    def with_accounting() -> None:
        t0 = time.perf_counter()
        res = run()
        t1 = time.perf_counter()
        account(res)
        t2 = time.perf_counter()
        on.append(t2 - t0)
        acc.append(t2 - t1)

    for k in range(a.rounds):  # the order alternates, so that neither always runs second
        for step in ((without, with_accounting) if k % 2 == 0 else (with_accounting, without)):
            step()
    off_s, on_s, acc_s = (float(np.median(x)) for x in (off, on, acc))
    print(f"{a.dyads} dyads, {a.rounds} rounds (medians): run {off_s:.3f} s, run + accounting {on_s:.3f} s "
          f"(accounting alone {acc_s:.3f} s)")
    print(f"RESULT overhead_ratio={on_s / off_s:.4f}")


if __name__ == "__main__":
    main()

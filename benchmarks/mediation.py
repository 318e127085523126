"""Speed of the vectorised mediation bootstrap: milliseconds per trial of n = 250, B = 1,000.

Usage: .venv/bin/python benchmarks/mediation.py [--n 250] [--boot 1000] [--trials 64] [--rounds 3]

``--trials`` two-arm trials (balanced 0/1 treatment, paths a = b = 0.39, c' = 0) are analysed in
one call of :func:`dyadsim.trials.mediation.mediate_batch` with ``--boot`` percentile-bootstrap
resamples each: full-sample OLS paths, joint significance, resample counts, cross products and
batched solves included; data simulation excluded. The same is timed for the serial two-mediator
chain and for one trial at a time (:func:`mediate`), best of ``--rounds`` (the machine is shared).

The bootstrap limits BLAS to one thread itself (threadpoolctl), so the numbers hold for one core.

Prints ``RESULT mediation_ms_per_trial=<float> serial_ms_per_trial=<float> single_call_ms=<float>``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    """Time the three paths and print the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=250)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--trials", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()

    from dyadsim.trials.mediation import mediate, mediate_batch, simulate_mediation

    rng = np.random.default_rng(0)
    x, m, y = simulate_mediation(0.39, 0.39, 0.0, a.n, a.trials, rng, "binary")
    m2 = 0.39 * m + rng.standard_normal(m.shape)
    y2 = 0.39 * m2 + rng.standard_normal(m.shape)
    mediate_batch(x[:2], [m[:2]], y[:2], n_boot=a.boot, rng=rng)  # warm-up
    best = {"single": np.inf, "serial": np.inf, "one": np.inf}
    for _ in range(a.rounds):
        t = time.perf_counter()
        mediate_batch(x, [m], y, n_boot=a.boot, rng=rng)
        best["single"] = min(best["single"], (time.perf_counter() - t) / a.trials)
        t = time.perf_counter()
        mediate_batch(x, [m, m2], y2, n_boot=a.boot, rng=rng)
        best["serial"] = min(best["serial"], (time.perf_counter() - t) / a.trials)
        k = min(a.trials, 16)
        t = time.perf_counter()
        for i in range(k):
            mediate(x[i], m[i], y[i], n_boot=a.boot, seed=i)
        best["one"] = min(best["one"], (time.perf_counter() - t) / k)
    print(f"n={a.n} B={a.boot} trials={a.trials}: single {best['single'] * 1e3:.2f} ms/trial, "
          f"serial {best['serial'] * 1e3:.2f} ms/trial, one call per trial {best['one'] * 1e3:.2f} ms")
    print(f"RESULT mediation_ms_per_trial={best['single'] * 1e3:.3f} serial_ms_per_trial={best['serial'] * 1e3:.3f} "
          f"single_call_ms={best['one'] * 1e3:.3f}")


if __name__ == "__main__":
    main()

"""The posterior over the calibrated parameters, and its ensemble.

emcee's affine-invariant ensemble sampler (Goodman & Weare 2010; Foreman-Mackey et al. 2013) on
the unit cube of the calibrated parameters. The prior is each parameter's own (uniform on the cube
of prior quantiles) restricted to the non-implausible region of the last wave; the likelihood is
the emulated one of :func:`dyadsim.calibration.emulate.log_likelihood`: each fitted figure through
its observation model, with the emulator's variance (and the Monte Carlo noise and the inactive
parameters it carries) added, so a target the emulator knows poorly pulls less. Walkers start at
distinct non-implausible design points and the cloud's survivors; the chain after burn-in is
thinned evenly to the ensemble.

The posterior is of the emulated model; the predictive stage checks it against the simulator
itself at every ensemble member (the fit report's table).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from dyadsim.calibration.emulate import Observed, log_likelihood
from dyadsim.calibration.history import Waves
from dyadsim.calibration.stages import Say, Settings, write_npz


def sample_posterior(out: Path, s: Settings, waves: Waves, obs: Observed, cuts: list[float], say: Say) -> np.ndarray:
    """The ensemble (ensemble, k) on the unit cube; written to ``posterior.npz`` with the chain."""
    path = out / "posterior.npz"
    if path.exists():
        return np.load(path)["ensemble"]
    import emcee

    k = waves.X.shape[1]
    walkers = s.walkers or max(24, 4 * k)
    walkers += walkers % 2
    em = waves.emulators[-1]

    def log_prob(X: np.ndarray) -> np.ndarray:
        lp = np.full(len(X), -np.inf)
        ok = waves.region(X, s.cutoff, s.kth, cuts)
        if ok.any():
            lp[ok] = log_likelihood(em, obs, X[ok])
        return lp

    rng = np.random.default_rng(np.random.SeedSequence([s.seed, 0x9057]))
    pool = np.vstack([waves.X[waves.region(waves.X, s.cutoff, s.kth, cuts)], waves.cloud[waves.keep]])
    if len(pool) == 0:
        raise RuntimeError("no non-implausible point to start the posterior from")
    start = pool[rng.choice(len(pool), size=walkers, replace=len(pool) < walkers)]
    start = np.clip(start + rng.normal(0, 1e-4, start.shape), 0.0, 1.0)  # distinct walkers
    sampler = emcee.EnsembleSampler(walkers, k, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(s.seed).get_state()
    say(f"posterior: {walkers} walkers x {s.steps} steps on the emulated likelihood ({k} parameters)")
    sampler.run_mcmc(start, s.steps, progress=False)
    chain = sampler.get_chain(discard=min(s.burn, s.steps - 1), flat=True)
    lp = sampler.get_log_prob(discard=min(s.burn, s.steps - 1), flat=True)
    good = np.isfinite(lp)
    chain, lp = chain[good], lp[good]
    idx = np.linspace(0, len(chain) - 1, min(s.ensemble, len(chain))).round().astype(int)
    ensemble = chain[idx]
    acc = float(np.mean(sampler.acceptance_fraction))
    try:
        tau = float(np.max(sampler.get_autocorr_time(discard=min(s.burn, s.steps - 1), quiet=True)))
    except Exception:  # too short a chain for an estimate
        tau = math.nan
    write_npz(path, chain=chain, log_prob=lp, ensemble=ensemble, acceptance=np.array(acc), autocorr=np.array(tau))
    say(f"posterior: acceptance {acc:.2f}, autocorrelation time {tau:.0f} steps; ensemble of {len(ensemble)}")
    return ensemble

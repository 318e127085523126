"""``calibrate``: the stages in order, in one folder that resumes (see :mod:`dyadsim.calibration.stages`).

The folder holds ``calibration.json`` (settings, the targets' hash, versions), ``cache/`` (every
simulation), ``screening.json``, ``wave_<w>.npz`` and ``waves.json``, ``posterior.npz``,
``ensemble.csv`` (the ensemble's full parameter sets: calibrated values from the posterior, the
inactive ones from their priors), ``predictive.csv`` (every fit and held-out target at each member)
and ``fit.csv`` (per target: published, posterior predictive mean and 90% interval, agreement).
A folder that holds a calibration with other settings or targets is refused.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.analysis.targets import AGREE_Z, QUANTITATIVE, mc_on_scale, observed_sd, on_scale
from dyadsim.calibration.evaluations import PointEvaluator
from dyadsim.calibration.history import history_match
from dyadsim.calibration.posterior import sample_posterior
from dyadsim.calibration.stages import (Say, Settings, drawn_space, fitted, observed, points, screening,
                                         write_json)
from dyadsim.config.space import SPACE
from dyadsim.config.targets import Target, targets_hash
from dyadsim.core.errors import InputError
from dyadsim.core.version import __version__
from dyadsim.run.sweep import Executor

ENSEMBLE_TAG = 99
"""Stage tag of the ensemble's inactive draws (waves use 1, 2, ...)."""


@dataclass
class Calibration:
    """What a calibration produced (also on disk in its folder)."""

    folder: Path
    calibrated: list[str]
    ensemble: pd.DataFrame
    fit: pd.DataFrame
    waves: list[dict[str, Any]]
    simulated: int
    hits: int
    seconds: float


def _claim(out: Path, s: Settings, targets: Sequence[Target]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    ident = {"settings": s.record(), "targets_hash": targets_hash(list(targets)), "version": __version__}
    path = out / "calibration.json"
    if path.exists():
        held = json.loads(path.read_text(encoding="utf-8"))
        if {k: held.get(k) for k in ident} != ident:
            raise InputError(str(out), "calibration.json", "this folder holds a calibration with other settings, "
                             "targets or dyadsim version; use a new --out folder (or the same options to resume)")
        return
    write_json(path, ident)


def fit_table(targets: Sequence[Target], est: np.ndarray, mc: np.ndarray) -> pd.DataFrame:
    """Per target: published figure, posterior predictive mean and 90% interval (over the
    ensemble), z of the published figure against the predictive (the ensemble's spread, the
    observation model's SD and the Monte Carlo SE in quadrature, on the observation scale), and
    agreement (|z| <= 2; for an interval or a threshold: the ensemble's median satisfies it)."""
    rows = []
    for j, t in enumerate(targets):
        o = t.observation
        assert o is not None
        e = est[:, j][np.isfinite(est[:, j])]
        row: dict[str, Any] = {"target": t.id, "role": t.role, "model": o.model, "published": t.figure,
                               "low": o.low, "high": o.high, "above": o.above, "below": o.below,
                               "mean": float(e.mean()) if len(e) else math.nan,
                               "q05": float(np.quantile(e, 0.05)) if len(e) else math.nan,
                               "q95": float(np.quantile(e, 0.95)) if len(e) else math.nan, "z": math.nan}
        if not len(e):
            row["agrees"] = False
        elif o.model in QUANTITATIVE:
            ys = np.array([on_scale(t, float(x)) for x in e])
            ys = ys[np.isfinite(ys)]
            mcs = float(np.nanmean([mc_on_scale(t, float(x), float(m)) for x, m in zip(est[:, j], mc[:, j])
                                    if np.isfinite(x)]))
            sd = math.sqrt(float(ys.var(ddof=1)) + observed_sd(t) ** 2 + mcs ** 2) if len(ys) > 1 else math.nan
            z = (float(ys.mean()) - on_scale(t, float(t.figure))) / sd  # type: ignore[arg-type]
            row["z"], row["agrees"] = z, bool(abs(z) <= AGREE_Z)
        elif o.model == "interval":
            med = float(np.median(e))
            row["agrees"] = bool(o.low <= med <= o.high)  # type: ignore[operator]
            row["share_satisfied"] = float(np.mean((e >= o.low) & (e <= o.high)))  # type: ignore[operator]
        else:
            sat = np.ones(len(e), dtype=bool)
            if o.above is not None:
                sat &= e > o.above
            if o.below is not None:
                sat &= e < o.below
            row["share_satisfied"] = float(sat.mean())
            row["agrees"] = bool(sat.mean() >= 0.5)
        rows.append(row)
    return pd.DataFrame(rows)


def calibrate(out: str | Path, targets: Sequence[Target], settings: Settings | None = None,
              executor: Executor | None = None, progress: bool = False, say: Say | None = None) -> Calibration:
    """Run (or resume) a calibration in folder ``out`` (see the module doc).

    Args:
        out: the calibration's folder.
        targets: the targets in use (:func:`dyadsim.config.targets.load_targets`); ``fit`` rows are
            fitted, ``validation`` rows only predicted.
        settings: what to do (:class:`Settings`; the defaults where None).
        executor: an entered executor for the simulations (in-process where None).
        progress: show a bar per stage's simulations on stderr.
        say: called with a line at each step.

    Raises:
        InputError: an unknown parameter named, no fitted target, or a folder holding another
            calibration.
    """
    t0 = time.perf_counter()
    s = settings or Settings()
    say = say or (lambda _m: None)
    out = Path(out)
    fit = fitted(targets)
    if not fit:
        raise InputError("targets", "role", "no target to fit: give at least one 'fit' row with a figure and "
                         "an observation model other than threshold")
    if s.parameters:
        SPACE.select(list(s.parameters), "--parameters")
    _claim(out, s, targets)
    cache = out / "cache"
    screen_eval = PointEvaluator(fit, cache, s.screen_dyads, s.seed, executor, progress)
    fit_eval = PointEvaluator(fit, cache, s.dyads, s.seed, executor, progress)
    obs = observed(fit)
    names = screening(out, s, screen_eval, fit, say)
    calibrated = SPACE.select(names, "--parameters")
    inactive = None
    if s.inactive == "prior":
        inactive = SPACE.select([n for n in drawn_space().names if n not in set(names)], "--parameters")
    waves, cuts = history_match(out, s, fit_eval, fit, obs, calibrated, inactive, say)
    U = sample_posterior(out, s, waves, waves._obs, cuts, say)  # the observed SDs with the design's MC error
    members = points(calibrated, U, inactive, s.seed, ENSEMBLE_TAG)
    ens = pd.DataFrame(members)
    ens.index.name = "member"
    predicted = [t for t in targets if t.role in ("fit", "validation") and t.design is not None
                 and t.observation is not None]
    pred_eval = PointEvaluator(predicted, cache, s.dyads, s.seed, executor, progress)
    say(f"predictive: every fit and held-out target at {len(members)} ensemble members")
    est, mc = pred_eval(members)
    _write_csv(out / "ensemble.csv", ens, index=True)
    pred = pd.DataFrame(est, columns=pred_eval.ids)
    pred.index.name = "member"
    _write_csv(out / "predictive.csv", pred, index=True)
    table = fit_table([t for t in pred_eval.targets], est, mc)
    _write_csv(out / "fit.csv", table, index=False)
    total = screen_eval.simulated + fit_eval.simulated + pred_eval.simulated
    hits = screen_eval.hits + fit_eval.hits + pred_eval.hits
    secs = time.perf_counter() - t0
    write_json(out / "summary.json", {"calibrated": names, "simulated": total, "cache_hits": hits,
                                      "seconds": secs, "agree": {r: int(table[table.role == r].agrees.sum())
                                                                 for r in ("fit", "validation")},
                                      "of": {r: int((table.role == r).sum()) for r in ("fit", "validation")}})
    waves_rec = json.loads((out / "waves.json").read_text(encoding="utf-8"))
    return Calibration(out, names, ens, table, waves_rec, total, hits, secs)


def _write_csv(path: Path, df: pd.DataFrame, index: bool) -> None:
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    df.to_csv(tmp, index=index)
    os.replace(tmp, path)

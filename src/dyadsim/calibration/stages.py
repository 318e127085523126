"""The stages of a calibration: screening, history matching, posterior, posterior predictive.

Each stage reads what the stage before it wrote and writes its own result atomically; a stage whose
result exists is read back, not run again, and every simulation goes through the cache of
:mod:`dyadsim.calibration.evaluations`, so a calibration interrupted at any point (even by SIGKILL)
resumes where it stopped and an extended one recomputes nothing it has.

* **screening** (Morris elementary effects, :mod:`dyadsim.analysis.sensitivity`): every drawn
  parameter, ``r`` trajectories, each fitted target on its observation scale in units of its own
  SD; a parameter's score is its largest μ* over the targets, and the strongest (at most
  ``max_parameters``, each with a score of at least ``min_effect`` SDs over its prior range) are
  calibrated. The rest stay at their priors (drawn afresh at every point) and are carried as
  uncertainty.
* **history matching** (Andrianakis et al. 2015): waves of design points in the non-implausible
  region, a GP emulator per target (:mod:`dyadsim.calibration.emulate`), the region cut wave by wave;
  its volume is the share of a fixed cloud of prior points that remains.
* **posterior**: the affine-invariant ensemble sampler (emcee; Goodman & Weare 2010) on the
  emulated likelihood, the prior restricted to the final non-implausible region; a thinned chain
  gives the ensemble.
* **predictive**: every fit and held-out target simulated at each ensemble member.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.analysis.targets import QUANTITATIVE, mc_on_scale, observed_sd, on_scale
from dyadsim.calibration.emulate import CUTOFF, KTH_MAX, Emulators, Observed, criterion, implausibility, log_likelihood
from dyadsim.calibration.evaluations import PointEvaluator
from dyadsim.config.space import SPACE, Space
from dyadsim.config.targets import Target

Say = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """What a calibration does (recorded in ``calibration.json``; a folder holds one calibration).

    ``dyads`` and ``seed``: every design's cohort size and seed; ``parameters``: calibrate these and
    skip screening; ``screen``, ``screen_trajectories``, ``screen_dyads``, ``max_parameters``,
    ``min_effect`` (SDs of a target over a parameter's prior range): screening; ``waves``,
    ``points``, ``candidates`` (the prior cloud), ``cutoff``, ``kth``: history matching;
    ``inactive``: ``default`` or ``prior`` for the parameters not calibrated; ``walkers`` (0: at
    least 24, 4 per parameter), ``steps``, ``burn``, ``ensemble``: the posterior; ``extra``:
    notes a caller records with the settings (part of the folder's identity, not read).
    """

    dyads: int = 1000
    seed: int = 1
    parameters: tuple[str, ...] = ()
    screen: str = "all"
    screen_trajectories: int = 2
    screen_dyads: int = 500
    max_parameters: int = 16
    min_effect: float = 0.25
    waves: int = 3
    points: int = 80
    candidates: int = 20_000
    cutoff: float = CUTOFF
    kth: int = KTH_MAX
    inactive: str = "default"
    walkers: int = 0
    steps: int = 1500
    burn: int = 500
    ensemble: int = 200
    extra: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        d = asdict(self)
        d["parameters"] = list(self.parameters)
        return d


def fitted(targets: Sequence[Target]) -> list[Target]:
    """The targets calibration fits: role ``fit``, with a sampling SD or a stated interval (a
    threshold, a qualitative pattern, is checked on the posterior predictive, not fitted: its
    statistic's meaning depends on the cohort size)."""
    return [t for t in targets if t.role == "fit" and t.observation is not None
            and (t.observation.model in QUANTITATIVE or t.observation.model == "interval")]


def observed(targets: Sequence[Target]) -> Observed:
    """Published figures and SDs on their observation scales; an interval is read as a normal
    figure at its centre with SD a quarter of its width (its ends two SDs away)."""
    z, sd = [], []
    for t in targets:
        o = t.observation
        assert o is not None
        if o.model == "interval":
            z.append(0.5 * (o.low + o.high))  # type: ignore[operator]
            sd.append(np.hypot(0.25 * (o.high - o.low), t.discrepancy))  # type: ignore[operator]
        else:
            z.append(on_scale(t, float(t.figure)))  # type: ignore[arg-type]
            sd.append(observed_sd(t))
    return Observed(tuple(t.id for t in targets), np.array(z), np.array(sd))


def scaled(targets: Sequence[Target], est: np.ndarray, mc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simulated estimates and Monte Carlo SEs (points, targets) on the observation scales."""
    y = np.full_like(est, np.nan)
    s = np.full_like(est, np.nan)
    for j, t in enumerate(targets):
        for i in range(est.shape[0]):
            if np.isfinite(est[i, j]):
                y[i, j] = on_scale(t, float(est[i, j])) if t.observation.model != "interval" else est[i, j]  # type: ignore[union-attr]
                s[i, j] = mc_on_scale(t, float(est[i, j]), float(mc[i, j]))
    return y, s


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a stage's result exists only when complete)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=float), encoding="utf-8")
    os.replace(tmp, path)


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write arrays atomically."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def drawn_space() -> Space:
    """Every drawn dimension of the model (what screening varies and the inactive set comes from)."""
    return SPACE.select("all")


def points(calibrated: Space, U: np.ndarray, inactive: Space | None, seed: int, tag: int) -> list[dict[str, float]]:
    """Full parameter sets: the calibrated values at prior quantiles ``U`` (n, k), the inactive
    ones drawn from their priors (reproducibly for ``seed`` and the stage ``tag``), or left at their
    defaults where ``inactive`` is None."""
    vals = calibrated.from_unit(U)
    out = [dict(zip(calibrated.names, map(float, row))) for row in vals]
    if inactive is not None and len(inactive):
        rest = inactive.from_unit(np.random.default_rng(np.random.SeedSequence([seed, 0xCA1, tag])).random(
            (len(out), len(inactive))))
        for d, row in zip(out, rest):
            d.update(zip(inactive.names, map(float, row)))
    return out


def choose(idx: pd.DataFrame, most: int, min_effect: float) -> list[str]:
    """Parameters to calibrate from screening indices (``outcome, parameter, mu_star``), round robin
    over the targets: each target in turn (the most movable first) adds its strongest parameter not
    yet chosen, so that every target the parameters can move gets a lever before any target gets a
    second one; only effects of at least ``min_effect`` SDs count; at most ``most`` parameters."""
    strong = idx[idx["mu_star"] >= min_effect].sort_values("mu_star", ascending=False)
    ranked = {t: list(g["parameter"]) for t, g in strong.groupby("outcome", sort=False)}
    order = sorted(ranked, key=lambda t: -float(strong.loc[strong.outcome == t, "mu_star"].max()))
    chosen: list[str] = []
    while len(chosen) < most and any(ranked.values()):
        for t in order:
            while ranked[t] and ranked[t][0] in chosen:
                ranked[t].pop(0)
            if ranked[t] and len(chosen) < most:
                chosen.append(ranked[t].pop(0))
    return chosen


def screening(out: Path, s: Settings, evaluator: PointEvaluator, fit: list[Target], say: Say) -> list[str]:
    """The calibrated parameters: named in the settings, or chosen by Morris screening (module doc)."""
    path = out / "screening.json"
    if s.parameters:
        return list(s.parameters)
    if path.exists():
        return list(json.loads(path.read_text(encoding="utf-8"))["selected"])
    from dyadsim.analysis import sensitivity as sa

    space = SPACE.select(s.screen, "--screen")
    problem = sa.Problem(tuple(space.names), tuple(space.groups), tuple(d.unit for d in space), space.defaults(),
                         space.from_unit, label="calibration targets")
    design = sa.sample(problem, "morris", s.screen_trajectories, seed=s.seed)
    say(f"screening: {len(space)} parameters, {len(design.unit)} points (Morris, r = {s.screen_trajectories})")
    est, mc = evaluator([dict(zip(space.names, map(float, row))) for row in design.values])
    y, _ = scaled(fit, est, mc)
    obs = observed(fit)
    y = (y - obs.z) / obs.sd  # each target in units of its own SD
    y = np.where(np.isfinite(y), y, np.nanmean(y, axis=0))
    y = np.where(np.isfinite(y), y, 0.0)
    idx = sa.analyze(design, y[:, None, :], list(obs.ids), num_resamples=200, seed=s.seed)
    score = idx.groupby("parameter")["mu_star"].max().sort_values(ascending=False)
    top = idx.loc[idx.groupby("parameter")["mu_star"].idxmax(), ["parameter", "outcome"]].set_index("parameter")
    chosen = choose(idx, s.max_parameters, s.min_effect) or list(score.index[: min(3, len(score))])
    idx.to_csv(out / "screening_indices.csv", index=False)
    write_json(path, {"selected": chosen, "score": {p: float(v) for p, v in score.items()},
                      "strongest_target": {p: str(top.loc[p, "outcome"]) for p in score.index},
                      "points": int(len(design.unit))})
    say(f"screening: calibrating {len(chosen)}: {', '.join(chosen)}")
    return chosen

"""History matching: waves of design points, emulators, and the non-implausible region.

Wave 1 is a Latin hypercube over the prior (the unit cube of the calibrated parameters). Each
later wave draws its points from the region that every earlier wave left non-implausible (points
of a fixed cloud of prior points, topped up by small moves of the survivors when the region is too
small to supply a wave), chosen far apart (greedy maximin). After each wave the emulators are
refitted on every point simulated so far and the region is cut again; its volume is the share of
the cloud that remains (Andrianakis et al. 2015; Vernon et al. 2010).

Where no cloud point is left non-implausible, no parameter set in the priors reproduces the fitted
targets within their uncertainty: the stage says so, names the targets that rule most points out,
and keeps the least implausible 1% of the cloud, so that the posterior is the best the model can
do rather than nothing; the fit report shows the misses.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from dyadsim.calibration.emulate import Emulators, Observed, criterion, implausibility
from dyadsim.calibration.evaluations import PointEvaluator
from dyadsim.calibration.stages import Say, Settings, points, scaled, write_json, write_npz
from dyadsim.config.space import Space
from dyadsim.config.targets import Target
from pathlib import Path

RELAXED_SHARE = 0.01
"""Share of the cloud kept (the least implausible) when no point is non-implausible."""


@dataclass
class Waves:
    """The history-matching record: every design point (unit cube) with its outputs on the
    observation scales, the emulators of each wave, and the cloud's survivors."""

    X: np.ndarray
    Y: np.ndarray
    wave: np.ndarray
    emulators: list[Emulators]
    cloud: np.ndarray
    keep: np.ndarray
    summary: list[dict]

    def region(self, X: np.ndarray, cutoff: float, kth: int, relaxed: list[float]) -> np.ndarray:
        """True where ``X`` (m, k) is non-implausible under every wave (or within the relaxed
        cut-off of a wave whose region was empty)."""
        ok = np.all((X >= 0.0) & (X <= 1.0), axis=1)
        for em, cut in zip(self.emulators, relaxed):
            if not ok.any():
                break
            idx = np.flatnonzero(ok)
            ok[idx] = criterion(implausibility(em, self._obs, X[idx]), kth) <= max(cutoff, cut)
        return ok

    _obs: Observed = None  # type: ignore[assignment]


def _maximin(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points of ``pool`` chosen greedily far apart (from a random start)."""
    if len(pool) <= n:
        return pool.copy()
    chosen = [int(rng.integers(len(pool)))]
    d = np.linalg.norm(pool - pool[chosen[0]], axis=1)
    for _ in range(n - 1):
        j = int(np.argmax(d))
        chosen.append(j)
        d = np.minimum(d, np.linalg.norm(pool - pool[j], axis=1))
    return pool[chosen]


def tensions(imp: np.ndarray, obs: Observed, cutoff: float, top: int = 10) -> dict:
    """Targets that pull against each other, from wave 1's emulators over the whole prior cloud:
    for each target the share of the prior it leaves non-implausible on its own, and for each pair
    the overlap of those regions as a share of the smaller one. A pair whose regions barely
    overlap (both non-empty) cannot both be matched: one of them, or the structure, must give."""
    A = imp <= cutoff
    alone = A.mean(axis=0)
    pairs = []
    for a in range(A.shape[1]):
        for b in range(a + 1, A.shape[1]):
            small = min(A[:, a].sum(), A[:, b].sum())
            if small == 0:
                continue
            pairs.append({"targets": [obs.ids[a], obs.ids[b]],
                          "overlap": float((A[:, a] & A[:, b]).sum() / small)})
    pairs.sort(key=lambda r: r["overlap"])
    return {"alone": {obs.ids[j]: float(alone[j]) for j in range(len(obs.ids))}, "pairs": pairs[:top]}


def history_match(out: Path, s: Settings, evaluator: PointEvaluator, fit: list[Target], obs: Observed,
                  calibrated: Space, inactive: Space | None, say: Say) -> tuple[Waves, list[float]]:
    """Run (or read back) every wave; the record and, per wave, the cut-off in force (the stated
    one, or the relaxed one where the region was empty)."""
    from scipy.stats import qmc

    k = len(calibrated)
    with warnings.catch_warnings():  # a cloud of any size: its balance is not needed, only its spread
        warnings.simplefilter("ignore", UserWarning)
        cloud = qmc.Sobol(k, scramble=True, seed=np.random.default_rng([s.seed, 0xC1])).random(s.candidates)
    keep = np.ones(len(cloud), dtype=bool)
    Xs, Ys, ws, ems, summary, cuts = [], [], [], [], [], []
    waves = Waves(np.empty((0, k)), np.empty((0, len(fit))), np.empty(0, int), ems, cloud, keep, summary)
    waves._obs = obs
    for w in range(1, s.waves + 1):
        path = out / f"wave_{w}.npz"
        if path.exists():
            data = np.load(path)
            X, Y = data["X"], data["Y"]
        else:
            if w == 1:
                X = qmc.LatinHypercube(k, seed=np.random.default_rng([s.seed, 0x1A])).random(s.points)
            else:
                rng = np.random.default_rng(np.random.SeedSequence([s.seed, 0x41, w]))  # per wave: resumes alike
                pool = cloud[keep]
                if len(pool) < 4 * s.points:  # top up by small moves of the survivors, kept if non-implausible
                    moves = pool[rng.integers(len(pool), size=20 * s.points)] + rng.normal(0, 0.03, (20 * s.points, k))
                    moves = moves[waves.region(moves, s.cutoff, s.kth, cuts)]
                    pool = np.vstack([pool, moves])
                X = _maximin(pool, s.points, rng)
            say(f"history matching: wave {w} of {s.waves}, {len(X)} points")
            est, mc = evaluator(points(calibrated, X, inactive, s.seed, w))
            Y, _ = scaled(fit, est, mc)
            write_npz(path, X=X, Y=Y, est=est, mc=mc)
        if w == 1:
            # Every point runs on the same dyads and seed (common random numbers), so the Monte Carlo
            # error of the design is one smooth offset the emulators cannot see as noise: it is added
            # to each target's observed variance instead (its mean square over wave 1).
            data = np.load(path)
            _, S = scaled(fit, data["est"], data["mc"])
            mcvar = np.nan_to_num(np.nanmean(S ** 2, axis=0), nan=0.0) if np.isfinite(S).any() else np.zeros(len(fit))
            obs = Observed(obs.ids, obs.z, np.sqrt(obs.sd ** 2 + mcvar))
            waves._obs = obs
        Xs.append(X)
        Ys.append(Y)
        ws.append(np.full(len(X), w))
        em = Emulators(np.vstack(Xs), np.vstack(Ys), seed=s.seed + w)
        ems.append(em)
        crit = np.full(len(cloud), np.inf)
        crit[keep] = criterion(implausibility(em, obs, cloud[keep]), s.kth)
        cut = s.cutoff
        new = keep & (crit <= s.cutoff)
        if not new.any():  # empty region: keep the least implausible share (module doc)
            cut = float(np.quantile(crit[keep], RELAXED_SHARE)) if keep.any() else float("inf")
            new = keep & (crit <= cut)
        imp_design = implausibility(em, obs, X)
        rules_out = {obs.ids[j]: float(np.mean(imp_design[:, j] > s.cutoff)) for j in range(len(obs.ids))}
        row = {"wave": w, "points": int(len(X)), "volume": float(new.mean()), "cutoff_used": cut,
               "empty": bool(cut > s.cutoff), "survivors": int(new.sum()),
               "emulator_signal": {obs.ids[j]: em.scores[j] for j in range(len(obs.ids))},
               "ruled_out_share": rules_out,
               "design_criterion_min": float(np.min(criterion(imp_design, s.kth)))}
        if w == 1:
            write_json(out / "tensions.json", tensions(implausibility(em, obs, cloud), obs, s.cutoff))
        keep = new
        summary.append(row)
        cuts.append(cut)
        msg = f"history matching: wave {w}: non-implausible volume {row['volume']:.3g} of the prior"
        if row["empty"]:
            worst = sorted(rules_out, key=rules_out.get, reverse=True)[:3]
            msg += (f" (no point within I <= {s.cutoff:g}; kept the least implausible {RELAXED_SHARE:.0%},"
                    f" I <= {cut:.2f}; ruling most out: {', '.join(worst)})")
        say(msg)
    waves.X, waves.Y, waves.wave, waves.keep = np.vstack(Xs), np.vstack(Ys), np.concatenate(ws), keep
    write_json(out / "waves.json", summary)
    return waves, cuts

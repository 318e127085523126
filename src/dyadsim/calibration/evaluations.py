"""Every simulation of a calibration, through one cache keyed by (parameter set, seed, design).

A *point* is one full parameter set: the values of every parameter the calibration sets (the
calibrated ones from the stage's design, the inactive ones from their priors or defaults). Its
evaluation simulates each distinct design of the targets in use (the scenarios, their changes, the
follow-up, at the calibration's cohort size and seed: the same dyads and random numbers for every
point, so two points differ only by their parameters) and computes each target's statistic with
its Monte Carlo SE (:mod:`dyadsim.analysis.target_stats`).

The result of a point is written atomically to ``cache/<key>.parquet``; the key hashes the values,
the seed, the cohort size, the designs with the statistics read from them, the package version and
the compiled engine's source hash. A stage interrupted (even by SIGKILL) or a calibration extended
with more points recomputes nothing it already has: points whose file exists are read, not run.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.analysis.target_stats import STATISTICS, SUBGROUPS, Runs
from dyadsim.analysis.targets import _design_key, _simulate_design
from dyadsim.config.targets import Target
from dyadsim.core.version import __version__
from dyadsim.run.sweep import Executor, run_tasks


@dataclass(frozen=True)
class DesignGroup:
    """One design to simulate and the targets read from it (ids, statistics, subgroups)."""

    key: tuple
    targets: tuple[tuple[str, str, str], ...]

    def record(self) -> list[Any]:
        """A JSON-able form of the design key and its statistics (for cache keys)."""
        return [json.loads(json.dumps(self.key, default=str)), [list(t) for t in self.targets]]


def design_groups(targets: Sequence[Target], dyads: int | None, seed: int) -> list[DesignGroup]:
    """The distinct designs of ``targets`` (in first-seen order) at cohort size ``dyads`` (each
    design's own where None) and ``seed``, each with the targets computed from it."""
    groups: dict[tuple, list[tuple[str, str, str]]] = {}
    for t in targets:
        if t.design is None:
            continue
        key = _design_key(t.design, seed, dyads)
        groups.setdefault(key, []).append((t.id, t.design.statistic, t.design.subgroup))
    return [DesignGroup(k, tuple(v)) for k, v in groups.items()]


def evaluate_point(payload: dict[str, Any]) -> pd.DataFrame:
    """Simulate every design of one point; one row per target: ``target, estimate, mc_se``.

    Module-level so Dask can send it to worker processes by reference.
    """
    values: dict[str, float] = payload["values"]
    rows = []
    for key, stats in payload["designs"]:
        tables = _simulate_design(key, values)
        for tid, statistic, subgroup in stats:
            runs = Runs(tables=tables, subgroup=np.asarray(SUBGROUPS[subgroup](tables[0]), dtype=bool))
            est, mc = STATISTICS[statistic](runs)
            rows.append({"target": tid, "estimate": float(est), "mc_se": float(mc)})
    return pd.DataFrame(rows, columns=["target", "estimate", "mc_se"])


def point_key(values: Mapping[str, float], groups: Sequence[DesignGroup]) -> str:
    """The cache key of a point: its values (exact, by their bit patterns), its designs with the
    statistics read from them, the package version and the engine's source hash."""
    from dyadsim.engine.cache import SOURCE_HASH

    names = sorted(values)
    vec = np.array([float(values[n]) for n in names], dtype=np.float64)
    ident = {"names": names, "values": hashlib.sha256(vec.tobytes()).hexdigest(),
             "designs": [g.record() for g in groups], "version": __version__, "source": SOURCE_HASH}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:32]


class PointEvaluator:
    """Evaluates points through the cache folder (see the module doc), counting what it ran and
    what it read back.

    Args:
        targets: the targets to simulate (fit and validation rows).
        cache: the cache folder.
        dyads: cohort size of every design (each design's own where None).
        seed: seed of every design.
        executor: an entered executor (:func:`dyadsim.run.sweep.executor_for`), None for
            in-process.
        progress: True for a bar on stderr, a callable given 1 per finished point, or None.
    """

    def __init__(self, targets: Sequence[Target], cache: Path, dyads: int | None, seed: int,
                 executor: Executor | None = None, progress: bool | Callable[[int], None] | None = None) -> None:
        self.targets = [t for t in targets if t.design is not None and t.role in ("fit", "validation")]
        self.ids = [t.id for t in self.targets]
        self.groups = design_groups(self.targets, dyads, seed)
        self.cache = Path(cache)
        self.executor = executor
        self.progress = progress
        self.simulated = 0
        self.hits = 0

    def __call__(self, points: Sequence[Mapping[str, float]], unit: str = "point") -> tuple[np.ndarray, np.ndarray]:
        """Estimates and Monte Carlo SEs, each (points, targets) in the order of :attr:`ids`."""
        designs = [(g.key, g.targets) for g in self.groups]
        tasks = []
        for v in points:
            vals = {k: float(x) for k, x in v.items()}
            tasks.append((point_key(vals, self.groups), {"values": vals, "designs": designs}, 1))
        have = {p.stem for p in self.cache.glob("*.parquet")} if self.cache.exists() else set()
        missing = {k for k, _, _ in tasks if k not in have}
        self.hits += len({k for k, _, _ in tasks}) - len(missing)
        self.simulated += len(missing)
        run_tasks(self.cache, tasks, evaluate_point, self.executor, self.progress, unit)
        est = np.full((len(tasks), len(self.ids)), np.nan)
        mc = np.full_like(est, np.nan)
        col = {tid: j for j, tid in enumerate(self.ids)}
        for i, (key, _, _) in enumerate(tasks):
            part = pd.read_parquet(self.cache / f"{key}.parquet")
            for tid, e, s in zip(part["target"], part["estimate"], part["mc_se"]):
                if tid in col:
                    est[i, col[tid]], mc[i, col[tid]] = e, s
        return est, mc

"""Run a scenario: replicates over seeds, tables, summary with 95% intervals.

The cohort is simulated in chunks of dyad ids (:data:`CHUNK_DYADS`; smaller chunks while daily
trajectories are kept), so memory does not grow with the cohort size. Per-dyad results do not
depend on the chunking: every dyad draws from its own random streams, and the daily aggregates are
integer (fixed-point) sums added exactly. With a ``folder`` each chunk's rows are appended to the
Parquet tables there; without one they are gathered in memory (for small cohorts in Python).
"""
from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.version import __version__
from dyadsim.core import interrupt
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, simulate
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.run.results import aggregates_table, outcomes_table
from dyadsim.run.streaming import summary_from_replicates
from dyadsim.config.scenario import Scenario, with_cohort
from dyadsim.run.streaming import RunStats, TableWriter, trajectory_schema
from dyadsim.run.tidy import monthly_parts, monthly_schema
from dyadsim.config.uncertainty import ParameterDraws

CHUNK_DYADS = 8_192
"""Dyads simulated and written at a time (bounds memory; results do not depend on it). Each dyad
of a chunk holds about 10 KB while its chunk is turned into tables (the engine's output, the
outcomes table and its Arrow copy), so this size keeps that part near 0.1 GB; four blocks of the
engine's 2,048 dyads keep two threads busy (``benchmarks/memory.py`` measures the peak)."""
GROUP_DYADS = 32_768
"""Dyads per row group of ``outcomes.parquet`` (chunks are held until this many are waiting; see
:class:`~dyadsim.run.streaming.TableWriter`)."""
TRAJ_CHUNK_DYADS = 512
"""Chunk size while dyads keep full daily trajectories (each holds every day of ~24 states)."""


@dataclass
class RunResult:
    """Everything a scenario run produced.

    ``outcomes`` (one row per dyad) is None when the run was streamed to a folder (it is then in
    ``folder/outcomes.parquet``); ``stats`` holds the running statistics of the outcomes.
    """

    scenario: Scenario
    outcomes: pd.DataFrame | None
    aggregates: pd.DataFrame
    trajectories: pd.DataFrame | None
    summary: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    stats: RunStats = field(default_factory=RunStats)
    folder: Path | None = None


def trajectories_table(out: SimOutput, replicate: int = 0) -> pd.DataFrame:
    """Long table of the sampled daily trajectories: one row per dyad and simulation day."""
    tr = out.trajectories
    if tr.shape[0] == 0:
        return trajectory_schema().empty_table().to_pandas()
    k, t, _ = tr.shape
    flat = tr.reshape(k * t, -1)
    keep = ~np.isnan(flat[:, 0])
    df = pd.DataFrame(flat[keep], columns=list(layout.TRAJECTORY_STATES))
    df.insert(0, "day", np.tile(np.arange(t), k)[keep])
    df.insert(0, "dyad_id", np.repeat(out.traj_ids.astype(np.int64), t)[keep])
    df.insert(0, "replicate", replicate)
    return df


def chunks(n: int, sampled: int) -> Iterator[tuple[int, int]]:
    """(first id, end id) of each chunk: small chunks over the ``sampled`` first ids, then large."""
    lo = 0
    while lo < n:
        size = TRAJ_CHUNK_DYADS if lo < sampled else CHUNK_DYADS
        hi = min(n, lo + size, sampled if lo < sampled else n)
        yield lo, hi
        lo = hi


class _Sink:
    """Where chunk tables go: Parquet files in a folder, or lists in memory."""

    def __init__(self, folder: Path | None, tables: tuple[str, ...]) -> None:
        self.folder = folder
        self.writers: dict[str, TableWriter] = {}
        self.frames: dict[str, list[pd.DataFrame]] = {t: [] for t in tables}
        if folder is not None:
            schemas = {"trajectories": trajectory_schema(), "monthly": monthly_schema()}
            for t in tables:
                path = folder / f"{t}.parquet"
                self.writers[t] = TableWriter(path, schemas.get(t), GROUP_DYADS if t == "outcomes" else 0)

    def write(self, table: str, df: pd.DataFrame) -> None:
        if table not in self.frames or len(df) == 0:
            return
        if table == "outcomes" and "monthly" in self.writers:  # the long monthly table, piece by piece
            for part in monthly_parts(df):
                self.writers["monthly"].write(part)
        if table == "monthly":  # derived from outcomes (above); in memory: tidy.monthly_table(outcomes)
            return
        if self.folder is None:
            self.frames[table].append(df)
        else:
            self.writers[table].write(df)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()

    def frame(self, table: str) -> pd.DataFrame | None:
        if self.folder is not None or table not in self.frames:
            return None
        parts = self.frames[table]
        if not parts and table == "trajectories":
            return trajectory_schema().empty_table().to_pandas()
        return pd.concat(parts, ignore_index=True) if parts else None


def run_scenario(scn: Scenario, params: ParamSet, spec: PopulationSpec, *, dyads: int | None = None,
                 seed: int | None = None, replicates: int | None = None, progress: bool | None = None,
                 folder: Path | None = None,
                 tables: tuple[str, ...] = ("outcomes", "aggregates", "trajectories", "monthly"),
                 bar: Any = None, draws: ParameterDraws | None = None) -> RunResult:
    """Simulate every replicate of a scenario and summarise.

    Replicate ``r`` uses seed ``seed + r`` on the same dyad ids, so two scenarios run with the
    same seed share their random numbers (common random numbers) replicate by replicate.

    Args:
        dyads, seed, replicates: override the scenario's cohort (checked against the same limits).
        progress: show a progress bar (default: when stderr is a terminal); ignored with ``bar``.
        folder: stream ``tables`` to Parquet files there (``outcomes`` then stays out of memory).
        tables: which of outcomes, aggregates, trajectories and monthly (the long monthly table,
            written to ``folder`` only; see :mod:`dyadsim.run.tidy`) to keep.
        bar: a tqdm-like bar to advance (by dyads written) instead of a new one; left open.
        draws: one parameter set per replicate (:mod:`dyadsim.config.uncertainty`); the run then has
            ``len(draws)`` replicates and its intervals carry parameter uncertainty too.

    Raises:
        InputError: a cohort override outside the scenario's limits.
    """
    if draws is not None:
        replicates = len(draws)
    scn = with_cohort(scn, "run_scenario", dyads=dyads, seed=seed, replicates=replicates)
    n, base_seed, reps = scn.cohort.dyads, scn.cohort.seed, scn.cohort.replicates
    own_bar = bar is None
    if own_bar:
        bar = progress_bar(n * reps, scn.name, progress)
    sink = _Sink(folder, tables)
    stats = RunStats()
    aggs: list[pd.DataFrame] = []
    started = time.perf_counter()
    try:
        for r in range(reps):
            ps = draws.apply(params, r) if draws is not None else params
            sample = min(scn.output.trajectory_sample, n) if r == 0 and "trajectories" in tables else 0
            total: np.ndarray | None = None
            last: SimOutput | None = None
            for lo, hi in chunks(n, sample):
                o = simulate(ps, hi - lo, base_seed + r, spec, engine=scn.engine.kind, threads=scn.engine.threads,
                             block_size=scn.engine.block_size, trajectory_sample=max(0, min(sample - lo, hi - lo)),
                             first_id=lo)
                table = outcomes_table(o, scn.care.nows_setting, replicate=r)
                stats.add(table)
                sink.write("outcomes", table)
                del table
                if sample > lo:
                    sink.write("trajectories", trajectories_table(o, r))
                total = o.aggregates.copy() if total is None else total + o.aggregates
                last = dataclasses.replace(o, final=o.final[:0], monthly=o.monthly[:0], pregnancy=o.pregnancy[:0],
                                           trajectories=o.trajectories[:0])
                del o
                bar.update(hi - lo)
                interrupt.check()
            assert last is not None and total is not None
            agg = aggregates_table(dataclasses.replace(last, aggregates=total), replicate=r)
            aggs.append(agg)
            sink.write("aggregates", agg)
        sink.close()
    finally:
        if own_bar:
            bar.close()
    aggregates = pd.concat(aggs, ignore_index=True)
    result = RunResult(scenario=scn, outcomes=sink.frame("outcomes"), aggregates=aggregates,
                       trajectories=sink.frame("trajectories"), summary=summary_from_replicates(stats.replicate_summary(),
                                                               "parameter" if draws is not None else "monte_carlo"),
                       stats=stats, folder=folder)
    result.manifest = {
        "package": "dyadsim", "version": __version__, "scenario": scn.model_dump(mode="json"),
        "scenario_hash": scn.hash(), "seed": base_seed, "replicate_seeds": [base_seed + r for r in range(reps)],
        "dyads": n, "replicates": reps, "engine": scn.engine.kind,
        "parameters": params.as_dict(), "population": spec.model_dump(mode="json"),
        "elapsed_s": round(time.perf_counter() - started, 3),
        "interval": str(result.summary["interval"].iloc[0]),
    }
    if draws is not None:
        result.manifest["parameter_draws"] = draws.manifest()
    return result


def progress_bar(total: int, name: str, progress: bool | None) -> Any:
    """A tqdm bar on stderr counting dyads (shown when ``progress``, default: on a terminal)."""
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, unit="dyad", desc=name, disable=not show, file=sys.stderr)

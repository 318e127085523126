"""Executors and resumable sweeps: many evaluations, in one process or on a Dask cluster.

A sweep evaluates scenarios x parameter sets x seeds (:func:`dyadsim.run.evaluate.evaluate`) in
tasks of a batch of parameter sets each (all seeds of one scenario). Each finished task's table is
written at once, atomically, to ``FOLDER/parts/<task>.parquet``, so a killed sweep run again on
the same folder recomputes only what is missing, and finished work is never lost. ``sweep.json``
records what the folder holds (a hash of scenarios, sets, seeds, dyads, statistics and the
model's source); a different sweep is refused there. Results do not depend on the executor, the
number of workers or the batch size: each run's numbers depend only on its scenario, parameter
set, seed and dyad ids (counter-based random numbers).

Executors (context managers, in the style of EMA workbench's evaluators):

* :class:`InProcessExecutor` -- a thread pool of ``workers`` threads (the engine releases the GIL).
* :class:`DaskExecutor` -- Dask distributed: a ``LocalCluster`` of ``workers`` processes with one
  thread each and ``NUMBA_NUM_THREADS=1`` (no oversubscription), or an existing cluster at
  ``scheduler`` (start its workers with ``--nthreads 1`` and ``NUMBA_NUM_THREADS=1``). Workers load
  the compiled engine from the shared cache (``~/.cache/dyadsim``), compiled once beforehand.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import as_completed as _as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.version import __version__
from dyadsim.core import interrupt
from dyadsim.core.errors import InputError
from dyadsim.run.evaluate import COLUMNS, STATISTICS, SUMMARY_STATISTICS, ScenarioSpec, Statistic, evaluate

WORKER_ENV: dict[str, str] = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                              "MKL_NUM_THREADS": "1"}
"""Environment of Dask worker processes: one thread each, so K workers use K cores."""


class InProcessExecutor:
    """Run tasks on a pool of ``workers`` threads in this process (each run uses one engine thread)."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise InputError("command line", "--workers", f"must be a whole number >= 1, got {workers}")
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "InProcessExecutor":
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, fn: Callable[[dict[str, Any]], pd.DataFrame], payload: dict[str, Any]) -> Any:
        """Start ``fn(payload)``; a future."""
        if self._pool is None:
            raise RuntimeError("use the executor in a 'with' block")
        return self._pool.submit(fn, payload)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        """Futures in the order they finish."""
        return _as_completed(futures)

    def describe(self) -> str:
        """One line for manifests and logs."""
        return f"in-process, {self.workers} thread(s)"


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""Protocols of a Dask scheduler address that ``--scheduler`` accepts (Dask's network comms)."""


def check_scheduler_address(address: str) -> str:
    """``address`` if it reads as a Dask scheduler address, ``PROTOCOL://HOST:PORT``.

    Checked before anything is run, so a mistyped address is one line rather than a traceback
    from Dask's address parsing.

    Raises:
        InputError: naming ``--scheduler`` and the form allowed.
    """
    from urllib.parse import urlsplit

    allowed = f"must be PROTOCOL://HOST:PORT with PROTOCOL one of {', '.join(SCHEDULER_SCHEMES)} (e.g. tcp://10.0.0.5:8786)"
    text = str(address)
    if len(text) > 512 or any(c.isspace() or not c.isprintable() for c in text):
        raise InputError("command line", "--scheduler", f"{allowed}; got an address with spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if (parts is None or parts.scheme not in SCHEDULER_SCHEMES or not parts.hostname or port is None
            or not 1 <= port <= 65535 or parts.path not in ("", "/") or parts.query or parts.fragment):
        raise InputError("command line", "--scheduler", f"{allowed}, got {text!r}")
    return text


class DaskExecutor:
    """Run tasks on Dask distributed: a new ``LocalCluster`` of ``workers`` single-threaded
    processes, or the cluster whose scheduler is at ``scheduler`` (``tcp://host:port``)."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise InputError("command line", "--workers", f"must be a whole number >= 1, got {workers}")
        if workers is not None and scheduler is not None:
            raise InputError("command line", "--scheduler", "give --workers or --scheduler, not both")
        self.requested = workers or 2
        self.scheduler = None if scheduler is None else check_scheduler_address(scheduler)
        self.workers = self.requested
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> "DaskExecutor":
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of the package
            raise InputError("command line", "--workers", "Dask distributed is not installed") from None
        if self.scheduler is not None:
            try:
                self._client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError("command line", "--scheduler",
                                 f"could not reach a Dask scheduler at {self.scheduler!r} ({exc})") from None
            self.workers = max(1, len(self._client.scheduler_info().get("workers", {})))
        else:
            # The environment is read when a worker process starts, before Numba is imported there.
            self._cluster = LocalCluster(n_workers=self.requested, threads_per_worker=1, processes=True,
                                         env=dict(WORKER_ENV), dashboard_address=None, scheduler_port=0,
                                         silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def submit(self, fn: Callable[[dict[str, Any]], pd.DataFrame], payload: dict[str, Any]) -> Any:
        """Send ``fn(payload)`` to a worker; a Dask future."""
        if self._client is None:
            raise RuntimeError("use the executor in a 'with' block")
        return self._client.submit(fn, payload, pure=False)

    def as_completed(self, futures: Sequence[Any]) -> Iterator[Any]:
        """Futures in the order they finish."""
        from distributed import as_completed

        return iter(as_completed(futures))

    def describe(self) -> str:
        """One line for manifests and logs."""
        where = f"scheduler {self.scheduler}" if self.scheduler else "LocalCluster"
        return f"Dask distributed ({where}), {self.workers} worker(s) x 1 thread"


Executor = InProcessExecutor | DaskExecutor


def executor_for(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor the command-line options ask for: ``--workers K`` a Dask ``LocalCluster`` of K
    single-threaded processes, ``--scheduler ADDR`` an existing Dask cluster, neither: in-process,
    one thread. Enter it with ``with``."""
    if workers is None and scheduler is None:
        return InProcessExecutor(1)
    return DaskExecutor(workers=workers, scheduler=scheduler)


def run_task(payload: dict[str, Any]) -> pd.DataFrame:
    """Evaluate one task (a scenario, a batch of parameter sets, all seeds) in the current process.

    Module-level so Dask can send it to worker processes by reference.
    """
    stats = [STATISTICS[s] if isinstance(s, str) else s for s in payload["statistics"]]
    sets = pd.DataFrame(payload["values"], columns=payload["names"], index=payload["set_ids"])
    return evaluate([payload["scenario"]], sets, seeds=payload["seeds"], dyads=payload["dyads"], statistics=stats,
                    threads=1, engine=payload["engine"])


def warm_engine(kind: str) -> None:
    """Compile (or load from the cache) the engine of ``kind`` in this process, so worker processes
    started afterwards load it from the shared cache instead of compiling it each."""
    if kind == "numpy":
        return
    from dyadsim.engine import kernel  # noqa: F401  (compiles or loads the generated kernels)


def _identity(scenarios: Sequence[ScenarioSpec], sets: pd.DataFrame, seeds: Sequence[int], dyads: int,
              statistics: Sequence[Statistic], engine: str | None) -> dict[str, Any]:
    from dyadsim.engine.cache import SOURCE_HASH

    values = np.ascontiguousarray(sets.to_numpy(dtype=np.float64))
    return {"package": "dyadsim", "version": __version__, "source_hash": SOURCE_HASH,
            "scenarios": [{"name": s.name, "scenario": s.scenario.model_dump(mode="json"),
                           "parameters": s.params.as_dict(), "population": s.population.model_dump(mode="json")}
                          for s in scenarios],
            "names": [str(c) for c in sets.columns], "set_ids": [int(i) for i in sets.index],
            "values_sha256": hashlib.sha256(values.tobytes()).hexdigest(),
            "seeds": [int(s) for s in seeds], "dyads": int(dyads), "statistics": [s.name for s in statistics],
            "engine": engine}


def _digest(identity: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def _write_part(folder: Path, key: str, table: pd.DataFrame) -> None:
    tmp = folder / f".{key}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
    table.to_parquet(tmp, index=False)
    os.replace(tmp, folder / f"{key}.parquet")  # atomic: a part exists only when complete


def claim(folder: Path, identity: Mapping[str, Any]) -> None:
    """Make ``folder`` the working folder of the work described by ``identity`` (JSON-able): write
    ``sweep.json`` the first time, and refuse a folder that holds other work.

    Raises:
        InputError: the folder holds different work.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest = _digest(identity)
    meta = folder / "sweep.json"
    if meta.exists():
        try:
            held = json.loads(meta.read_text(encoding="utf-8")).get("digest")
        except (OSError, ValueError):
            held = None
        if held != digest:
            raise InputError(str(folder), "sweep.json", "this folder holds a different sweep (other scenarios, "
                             "parameter sets, seeds, dyads, outcomes or model version); use a new folder")
        return
    tmp = folder / f".sweep.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"digest": digest, **identity}, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, meta)


def default_batch(n_sets: int, workers: int) -> int:
    """Parameter sets per task: about four tasks per worker (load balance), at most 64 sets."""
    return max(1, min(64, math.ceil(n_sets / (4 * max(1, workers)))))


def run_sweep(folder: str | Path, scenarios: Sequence[ScenarioSpec], param_sets: pd.DataFrame | None,
              seeds: Sequence[int], dyads: int, statistics: Sequence[Statistic] | None = None,
              executor: Executor | None = None, batch_size: int | None = None,
              progress: bool | Callable[[int], None] | None = None, engine: str | None = None) -> pd.DataFrame:
    """Evaluate a sweep, resuming from ``folder`` (see the module doc).

    Args:
        folder: working folder (created if missing); ``sweep.json`` and ``parts/`` live there.
        scenarios, param_sets, seeds, dyads, statistics, engine: as for :func:`dyadsim.run.evaluate.evaluate`.
        executor: an entered executor (default: in-process with one thread).
        batch_size: parameter sets per task (default: :func:`default_batch`).
        progress: True for a bar on stderr (runs done), a callable given the runs finished, or None.

    Returns:
        The tidy table (:data:`dyadsim.run.evaluate.COLUMNS`), ordered by scenario, set, seed, statistic.

    Raises:
        InputError: ``folder`` holds a different sweep.
    """
    folder = Path(folder)
    sets = param_sets if param_sets is not None else pd.DataFrame(index=pd.RangeIndex(1))
    stats = tuple(statistics) if statistics is not None else SUMMARY_STATISTICS
    seeds = [int(s) for s in seeds]
    if not scenarios or not seeds or len(sets) == 0:
        raise InputError("sweep", "(sweep)", "give at least one scenario, one parameter set and one seed")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise InputError("sweep", "scenarios", "scenario names must differ (they key the results)")
    claim(folder, _identity(scenarios, sets, seeds, dyads, stats, engine))
    parts = folder / "parts"
    size = batch_size or default_batch(len(sets) * len(scenarios), executor.workers if executor else 1)
    tasks: list[tuple[str, dict[str, Any], int]] = []
    stat_refs = [s.name if STATISTICS.get(s.name) is s else s for s in stats]
    for si, spec in enumerate(scenarios):
        for bi, lo in enumerate(range(0, len(sets), size)):
            chunk = sets.iloc[lo:lo + size]
            tasks.append((f"s{si:03d}-b{bi:06d}", {
                "scenario": spec, "names": [str(c) for c in sets.columns], "values": chunk.to_numpy(np.float64),
                "set_ids": [int(i) for i in chunk.index], "seeds": seeds, "dyads": int(dyads),
                "statistics": stat_refs, "engine": engine}, len(chunk) * len(seeds)))
    if any(not (parts / f"{k}.parquet").exists() for k, _, _ in tasks):
        warm_engine(engine or scenarios[0].scenario.engine.kind)
    run_tasks(parts, tasks, run_task, executor, progress, unit="run")
    return _gather(parts, [k for k, _, _ in tasks], [s.name for s in scenarios], [s.name for s in stats])


def run_tasks(parts: Path, tasks: Sequence[tuple[str, dict[str, Any], int]],
              fn: Callable[[dict[str, Any]], pd.DataFrame], executor: Executor | None = None,
              progress: bool | Callable[[int], None] | None = None, unit: str = "run") -> None:
    """Run the tasks whose part file ``parts/<key>.parquet`` is missing; write each result there
    atomically as it finishes.

    Args:
        parts: folder of part files (created if missing).
        tasks: (key, payload, weight) per task; ``fn(payload)`` returns its table; the weight
            (runs, replicates ...) advances the progress.
        executor: an entered executor (default: in-process, one thread).
        progress: True for a bar on stderr, a callable given each finished task's weight, or None.
    """
    parts.mkdir(parents=True, exist_ok=True)
    done = {p.stem for p in parts.glob("*.parquet")}
    todo = [t for t in tasks if t[0] not in done]
    total = sum(w for _, _, w in tasks)
    bar = _bar(total, total - sum(w for _, _, w in todo), progress, unit)
    own = executor is None
    ex: Executor = executor if executor is not None else InProcessExecutor(1)
    try:
        if todo:
            if own:
                ex.__enter__()
            try:
                futures = {ex.submit(fn, p): (k, w) for k, p, w in todo}
                for fut in ex.as_completed(list(futures)):
                    key, weight = futures[fut]
                    _write_part(parts, key, fut.result())
                    if bar is not None:
                        bar.update(weight)
                    elif callable(progress):
                        progress(weight)
                    interrupt.check()
            finally:
                if own:
                    ex.__exit__(None, None, None)
    finally:
        if bar is not None:
            bar.close()


def _bar(total: int, initial: int, progress: bool | Callable[[int], None] | None, unit: str) -> Any:
    if progress is not True:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit=unit, desc="sweep", file=sys.stderr)


def _gather(parts: Path, keys: Sequence[str], scenarios: Sequence[str], statistics: Sequence[str]) -> pd.DataFrame:
    table = pd.concat([pd.read_parquet(parts / f"{k}.parquet") for k in keys], ignore_index=True)
    table = table.assign(_s=table["scenario"].map({n: i for i, n in enumerate(scenarios)}),
                         _t=table["statistic"].map({n: i for i, n in enumerate(statistics)}))
    table = table.sort_values(["_s", "set", "seed", "_t"], kind="stable").drop(columns=["_s", "_t"])
    return table.reset_index(drop=True)[list(COLUMNS)]

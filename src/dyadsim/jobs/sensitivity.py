"""dyadsim as a sensitivity-analysis model: the problem from the parameter space, an evaluator on
the resumable sweep layer, and the ``dyadsim sensitivity`` command's work.

The evaluator runs every parameter set of a design on the same seeds and dyad ids (common random
numbers, through :func:`dyadsim.run.sweep.run_sweep`), so two sets that differ only in a parameter no
module reads, or in the strength of a switched-off link, give identical outcomes and that input
gets indices of exactly zero.

A sweep is kept in a working folder next to the output (``OUT.partial/``) until the results are
written: an interrupted command, rerun the same way, resumes and recomputes nothing that finished.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.version import __version__
from dyadsim.run.budget import check_budget, sweep_budget
from dyadsim.core.errors import InputError, OutputError
from dyadsim.analysis.sensitivity import Problem, SensitivityResult, index_column, run, runs_needed, top_parameters

WORK_SUFFIX = ".partial"
"""The sweep's working folder is the output folder's name plus this suffix (a sibling)."""
REQUEST_FILE = "sensitivity-request.json"
"""File in the working folder recording the request it belongs to (marks it as dyadsim's)."""
DEFAULT_REPLICATES = 2
"""Seeds per parameter set when ``--replicates`` is not given (2 is the fewest that measure noise)."""
DEFAULT_N = {"morris": 10, "sobol": 64}
"""``--n`` when not given: Morris trajectories, or Sobol' base sample (a power of 2)."""


def dyadsim_problem(spec: str | list[str], label: str = "", source: str = "point") -> Problem:
    """The inputs named by ``spec`` (``assumed``, ``module:NAME``, ``a,b,c``, ``all`` or a list),
    read from :data:`dyadsim.config.space.SPACE` with their registry defaults as baseline; inputs with a
    fixed prior (settings, switches, point ranges) are left out, since they cannot vary.

    With ``source="posterior"`` the parameters the shipped ensemble calibrated vary over their
    posterior marginals instead of their priors (unit point ``u`` maps to the ensemble's ``u``
    quantile), centred on the posterior medians: the analysis then asks what matters given what the
    targets already pin down. The marginals are varied independently, as Morris and Sobol' assume;
    correlations between calibrated parameters are not kept.

    Args:
        spec: which inputs (see :meth:`dyadsim.config.space.Space.select`).
        label: what is analysed (the scenario's name).
        source: ``point`` (priors around the parameters' values) or ``posterior``.

    Raises:
        InputError: unknown names (from the space), or nothing left to vary.
    """
    from dyadsim.config.space import SPACE

    chosen = SPACE.select(spec, option="--params")
    names = [n for n in chosen.names if chosen[n].drawn]
    excluded = tuple(n for n in chosen.names if not chosen[n].drawn)
    if not names:
        raise InputError("command line", "--params", f"{spec!r} selects no parameter with a prior that varies "
                         f"(left out as fixed: {', '.join(excluded[:8]) or 'none'})")
    sub = SPACE.select(names)
    defaults, from_unit = sub.defaults(), sub.from_unit
    if source == "posterior":
        medians, ens = posterior_centre()
        cols = [(j, ens[n].to_numpy(dtype=float)) for j, n in enumerate(names) if n in medians]

        def from_unit(u: np.ndarray, prior: Any = sub.from_unit) -> np.ndarray:
            x = prior(u)
            for j, values in cols:  # the ensemble's inverse empirical CDF
                x[:, j] = np.quantile(values, u[:, j])
            return x

        defaults = np.array([medians.get(n, d) for n, d in zip(names, defaults)], dtype=np.float64)
    return Problem(tuple(names), tuple(sub[n].group for n in names), tuple(sub[n].unit for n in names),
                   defaults, from_unit, label, excluded)


SOURCES = ("posterior", "point")
"""What ``sensitivity --parameters`` allows: around the calibrated posterior (its medians, calibrated
parameters over their posterior marginals) or around the parameters' point values (priors)."""


def posterior_centre() -> tuple[dict[str, float], pd.DataFrame]:
    """The shipped ensemble's median of each calibrated parameter, and the ensemble."""
    from dyadsim.config.posterior import load_ensemble

    ens, _ = load_ensemble()
    return {str(c): float(ens[c].median()) for c in ens.columns}, ens


class SweepEvaluator:
    """Evaluate parameter sets on one scenario through the resumable sweep layer.

    A context manager, like EMA workbench's evaluators: entering starts the executor (a Dask
    ``LocalCluster`` of ``workers`` processes, a running cluster at ``scheduler``, or by default a
    pool of one thread per core in this process), leaving stops it. Each call runs one sweep in
    ``folder/<tag>`` (Parquet part files per task).

    With ``contrast`` (a second scenario) every parameter set runs in both on the same seeds and
    dyad ids, and the value analysed is the scenario's minus the contrast's (a paired difference on
    common random numbers): the indices then say which parameters decide the effect, not the level.
    """

    def __init__(self, scenario: Any, folder: Path, dyads: int, statistics: Sequence[Any],
                 workers: int | None = None, scheduler: str | None = None, progress: bool | None = None,
                 contrast: Any = None) -> None:
        self.scenario, self.folder, self.dyads = scenario, Path(folder), dyads
        self.contrast = contrast
        self.statistics = list(statistics)
        self.outcomes: dict[str, str] = {
            s.name: (s.label if contrast is None else f"{s.label}: {scenario.name} minus {contrast.name}")
            for s in self.statistics}
        self.workers, self.scheduler, self.progress = workers, scheduler, progress
        self._executor: Any = None

    def __enter__(self) -> "SweepEvaluator":
        from dyadsim.run.sweep import DaskExecutor, InProcessExecutor

        if self.scheduler is not None:
            self._executor = DaskExecutor(scheduler=self.scheduler)
        elif self.workers is not None:
            self._executor = DaskExecutor(workers=self.workers)
        else:
            # The engine releases the GIL, so threads use every core without worker processes.
            self._executor = InProcessExecutor(os.cpu_count() or 1)
        self._executor.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._executor is not None:
            self._executor.__exit__(*exc)
            self._executor = None

    def describe(self) -> str:
        """The executor, in one line (for the manifest and the page)."""
        return self._executor.describe() if self._executor is not None else "not started"

    def __call__(self, param_sets: pd.DataFrame, seeds: Sequence[int], tag: str) -> pd.DataFrame:
        from dyadsim.run.sweep import run_sweep

        show = sys.stderr.isatty() if self.progress is None else self.progress
        specs = [self.scenario] if self.contrast is None else [self.scenario, self.contrast]
        table = run_sweep(self.folder / tag, specs, param_sets, list(seeds), self.dyads,
                          statistics=self.statistics, executor=self._executor, progress=show)
        if self.contrast is None:
            return table[["set", "seed", "statistic", "value"]]
        keys = ["set", "seed", "statistic"]
        a = table[table["scenario"] == self.scenario.name].set_index(keys)["value"]
        b = table[table["scenario"] == self.contrast.name].set_index(keys)["value"]
        return (a - b.reindex(a.index)).rename("value").reset_index()


def params_from_morris(folder: Path, k: int) -> list[str]:
    """The ``k`` parameters that matter most in an earlier Morris output folder (see
    :func:`dyadsim.analysis.sensitivity.top_parameters`).

    Raises:
        InputError: the folder is not a finished ``dyadsim sensitivity --method morris`` output.
    """
    where = str(folder)
    from dyadsim.run.store import MAX_MANIFEST_BYTES
    from dyadsim.core.yamlsafe import read_text

    try:
        # Small regular files only: a FIFO or a device in their place is refused, never read.
        man = json.loads(read_text(folder / "manifest.json", "manifest", limit=MAX_MANIFEST_BYTES,
                                   expect="a dyadsim sensitivity output folder"))
        indices = pd.read_csv(io.StringIO(read_text(folder / "indices.csv", "table", limit=MAX_MANIFEST_BYTES,
                                                    expect="a dyadsim sensitivity output folder")))
    except (InputError, OSError, ValueError):
        raise InputError(where, "--from-morris", "is not a finished dyadsim sensitivity output "
                         "(manifest.json and indices.csv)") from None
    if not isinstance(man, dict) or man.get("package") != "dyadsim" or man.get("kind") != "sensitivity" or man.get("method") != "morris":
        raise InputError(where, "--from-morris", "must be the output of 'dyadsim sensitivity --method morris'")
    if k < 1:
        raise InputError("command line", "--top", f"must be a whole number >= 1, got {k}")
    return top_parameters(indices, k, "morris")


def _request_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def prepare_work(out: Path, request: dict[str, Any], force: bool) -> tuple[Path, bool]:
    """The sweep's working folder ``OUT.partial`` for ``request``; returns it and whether an
    earlier, interrupted run of the same request is resumed.

    A working folder of a different request is replaced only with ``force``; a folder of that
    name that dyadsim did not make is never touched.

    Raises:
        OutputError: naming ``--out`` (not a folder, or not dyadsim's) or ``--force``.
    """
    work = out.with_name(out.name + WORK_SUFFIX)
    key = _request_key(request)
    marker = work / REQUEST_FILE
    if work.is_symlink() or (work.exists() and not work.is_dir()):
        raise OutputError(str(work), "--out", "the sweep's working folder exists and is not a folder; move it away")
    if work.exists():
        try:
            held = json.loads(marker.read_text(encoding="utf-8")).get("key")
        except (OSError, ValueError, AttributeError):
            raise OutputError(str(work), "--out", "exists and was not made by dyadsim sensitivity; "
                             "choose another --out or move that folder away (nothing was changed)") from None
        if held == key:
            return work, True
        if not force:
            raise OutputError(str(work), "--force", "holds an unfinished sweep of a different request; rerun that "
                             "command to resume it, or add --force to discard it")
        shutil.rmtree(work)
    # Made under a temporary name with its request file, then renamed: a working folder never
    # exists without the file that marks it as ours.
    work.parent.mkdir(parents=True, exist_ok=True)
    tmp = work.with_name(f".{work.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    (tmp / REQUEST_FILE).write_text(json.dumps({"key": key, "request": request}, indent=2, default=str),
                                    encoding="utf-8")
    os.rename(tmp, work)
    return work, False


def run_sensitivity(scenario_path: Path, out: Path, *, method: str, params: str | None, outcomes: Sequence[str] | None,
                    n: int | None, replicates: int | None, dyads: int | None, seed: int | None,
                    from_morris: Path | None = None, top: int | None = None, workers: int | None = None,
                    scheduler: str | None = None, force: bool = False, progress: bool | None = None,
                    tornado_top: int = 8, echo: Any = print, source: str = "point",
                    contrast: Path | None = None) -> SensitivityResult:
    """Everything ``dyadsim sensitivity`` does: check the inputs and the output folder, run (or
    resume) the sweep in ``OUT.partial/``, analyse, write ``OUT`` atomically, remove the working
    folder. See :func:`dyadsim.cli.commands.sensitivity` for the options."""
    from dyadsim.run.evaluate import ScenarioSpec, statistics_named
    from dyadsim.config.scenario import with_cohort
    from dyadsim.analysis.sensitivity import check_settings
    from dyadsim.report.sensitivity_plots import write_all
    from dyadsim.run.store import check_target, write_atomic

    if method not in ("morris", "sobol"):
        raise InputError("command line", "--method", f"must be one of morris, sobol, got {method!r}")
    if source not in SOURCES:
        raise InputError("command line", "--parameters", f"must be one of {', '.join(SOURCES)}, got {source!r}")
    if workers is not None and scheduler is not None:
        raise InputError("command line", "--workers/--scheduler", "give one of them, not both")
    if workers is not None and workers < 1:
        raise InputError("command line", "--workers", f"must be a whole number >= 1, got {workers}")
    if scheduler is not None:
        from dyadsim.run.sweep import check_scheduler_address

        check_scheduler_address(scheduler)
    if from_morris is not None and params is not None:
        raise InputError("command line", "--params/--from-morris", "give one of them, not both")
    if (top is not None) != (from_morris is not None):
        raise InputError("command line", "--top", "goes with --from-morris DIR (both or neither)")
    reps = DEFAULT_REPLICATES if replicates is None else replicates
    spec = ScenarioSpec.load(scenario_path)
    other = ScenarioSpec.load(contrast) if contrast is not None else None
    if other is not None and other.name == spec.name:
        raise InputError(str(contrast), "name", f"the contrast must be another scenario than {spec.name!r} "
                         "(give it another name)")
    if other is not None and other.scenario.cohort.horizon_months != spec.scenario.cohort.horizon_months:
        raise InputError(str(contrast), "cohort.horizon_months", f"must equal {scenario_path}'s "
                         f"({spec.scenario.cohort.horizon_months}): a contrast compares the same follow-up")
    scn = with_cohort(spec.scenario, dyads=dyads, seed=seed, replicates=reps)
    statistics = statistics_named(list(outcomes) if outcomes else None)
    names: str | list[str] = (params_from_morris(from_morris, top or 0) if from_morris is not None
                              else (params or "assumed"))
    if source == "posterior":  # every calibrated parameter at its posterior median unless the scenario sets it
        medians, _ = posterior_centre()
        own = set(spec.scenario.parameters) | {f"links.{e}.strength" for e, c in spec.scenario.links.items()
                                                if c.strength is not None}
        moved = [n for n in medians if n not in own]
        spec = dataclasses.replace(spec, params=spec.params.from_vector([medians[n] for n in moved], moved))
        if other is not None:  # both scenarios on the same calibrated centre
            mine = set(other.scenario.parameters) | {f"links.{e}.strength" for e, c in other.scenario.links.items()
                                                     if c.strength is not None}
            both = [n for n in medians if n not in mine]
            other = dataclasses.replace(other, params=other.params.from_vector([medians[n] for n in both], both))
    label = scn.name if other is None else f"{scn.name} minus {other.name}"
    problem = dyadsim_problem(names, label=label, source=source)
    # The tornado swings around the scenario as written (its own values where it sets any).
    problem = dataclasses.replace(problem, defaults=spec.params.to_vector(list(problem.names)))
    size = DEFAULT_N[method] if n is None else n
    check_settings(method, size, len(problem))
    # Tornado: two sets per swung input, on the same seeds.
    budget = sweep_budget((1 if other is None else 2)
                          * (runs_needed(method, size, len(problem)) + 2 * min(tornado_top, len(problem))),
                          len(problem), reps, scn.cohort.dyads, scn.cohort.horizon_months, len(statistics))
    check_budget(budget)
    out = check_target(out, force)
    seeds = [scn.cohort.seed + r for r in range(reps)]
    request = {"version": __version__, "scenario": scenario_path.read_text(encoding="utf-8"), "method": method,
               "parameters": list(problem.names), "outcomes": [s.name for s in statistics], "n": size,
               "seeds": seeds, "dyads": scn.cohort.dyads, "tornado_top": tornado_top, "source": source,
               "contrast": None if contrast is None else contrast.read_text(encoding="utf-8")}
    work, resumed = prepare_work(out, request, force)
    swung = min(tornado_top, len(problem))
    runs = runs_needed(method, size, len(problem))
    echo(f"{'resuming' if resumed else 'starting'} {method} on {len(problem)} parameters: {runs} parameter sets x "
         f"{reps} seeds x {scn.cohort.dyads} dyads (+ tornado of the top {swung})"
         + ("" if other is None else f", in {spec.name} and {other.name} (their difference)") + f"; sweep kept in {work}")
    echo(f"estimate: {budget.describe()}")
    t0 = time.perf_counter()
    evaluator = SweepEvaluator(spec, work, scn.cohort.dyads, statistics, workers, scheduler, progress, other)
    try:
        evaluator.__enter__()
    except InputError:
        # The cluster could not be reached: a working folder made just now holds nothing worth keeping.
        if not resumed:
            shutil.rmtree(work, ignore_errors=True)
        raise
    try:
        result = run(problem, evaluator, method, size, seeds, seed=scn.cohort.seed, tornado_top=swung)
        executor = evaluator.describe()
    finally:
        evaluator.__exit__(*sys.exc_info())
    result.settings.update({"dyads": scn.cohort.dyads, "version": __version__, "executor": executor,
                            "scenario": str(scenario_path), "wall_seconds": time.perf_counter() - t0,
                            "index": index_column(method), "parameters_source": source,
                            "contrast": None if contrast is None else str(contrast),
                            "from_morris": None if from_morris is None else str(from_morris)})
    write_atomic(out, lambda tmp: write_all(result, tmp), force=force)
    shutil.rmtree(work, ignore_errors=True)
    return result

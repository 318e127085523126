"""A Python API for notebooks: ``dyadsim.Sim(...).run()``, ``dyadsim.compare([...])`` and
``dyadsim.api.economics([...])`` (the economic evaluation, as ``dyadsim economics``).

Built on the same machinery as the command line (:func:`dyadsim.config.scenario.load_scenario`'s
validation, :func:`dyadsim.run.runner.run_scenario`, :mod:`dyadsim.analysis.compare`, the report's figures,
:func:`dyadsim.run.store.write_run`), so a notebook run equals ``dyadsim run`` of the same scenario,
and a saved run can be rerun with ``dyadsim rerun``. Results are held in memory: use it for
cohorts that fit (the command line streams any size to disk).

A scenario is given as a file path, the name of a packaged example (``dyadsim example --list``),
a mapping with the fields of a scenario file, or a :class:`~dyadsim.config.scenario.Scenario`.
Overrides are ``name``, ``description``, cohort fields (``dyads``, ``seed``, ``replicates``, ``horizon_months``) or dotted
parameter names (``**{"use_cycle.cue_prob": 0.2}``, ``"links.craving_use.strength"``), also as a
``params={...}`` mapping; they are folded into the scenario itself, so they are validated like a
file's fields and recorded in the manifest.
"""
from __future__ import annotations

import html
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import pandas as pd

from dyadsim.core.errors import InputError
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.config.scenario import Cohort, Scenario, parse_scenario, scenario_params, scenario_population

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from dyadsim.analysis.compare import Comparison
    from dyadsim.economics.results import EconomicsResult
    from dyadsim.run.runner import RunResult

ScenarioLike = Union[str, Path, dict, Scenario, "Sim"]
COHORT_FIELDS = tuple(Cohort.model_fields)
"""Overrides that set the cohort rather than a parameter."""
TABLES = ("outcomes", "monthly", "aggregates", "trajectories", "summary")
"""Tables :meth:`Sim.to_df` returns."""


def _source(scenario: str | Path | dict | Scenario) -> tuple[dict[str, Any], Path | None, str]:
    """The scenario's fields as a mapping, the file it came from (if any) and an origin for errors."""
    from dyadsim.config import examples
    from dyadsim.core.yamlsafe import load_yaml, parse_yaml

    if isinstance(scenario, Scenario):
        return scenario.model_dump(mode="json"), None, f"Scenario {scenario.name!r}"
    if isinstance(scenario, dict):
        return dict(scenario), None, "scenario mapping"
    if isinstance(scenario, (str, Path)):
        path = Path(scenario)
        if path.suffix in (".yaml", ".yml", ".json") or path.exists():
            data = load_yaml(path, "scenario file")
            return (dict(data) if isinstance(data, dict) else data), path, str(path)
        name = str(scenario)
        return parse_yaml(examples.text(name), f"example {name}"), None, f"example {name}"
    raise InputError("Sim", "scenario", "give a file path, an example name, a mapping or a Scenario, got "
                     f"{type(scenario).__name__}")


def _folder_arg(folder: Any, origin: str) -> Path:
    """``save``'s folder as a Path, refused by name when it is not a path."""
    if not isinstance(folder, (str, Path)) or not str(folder).strip():
        raise InputError(origin, "folder", f"give the folder to write as a path (str or Path), got {folder!r:.60}")
    return Path(folder)


def _apply(data: Any, overrides: dict[str, Any], origin: str) -> Any:
    """The scenario mapping with cohort fields and dotted parameter names set."""
    if not isinstance(data, dict):
        return data  # parse_scenario names the problem
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise InputError(origin, repr(key), "an override's name must be text: a cohort field or a dotted "
                             "parameter name such as 'use_cycle.cue_prob' (list: dyadsim params)")
        if key in COHORT_FIELDS:
            data.setdefault("cohort", {})[key] = value
        elif key in ("name", "description"):
            data[key] = value
        elif key.startswith("links."):
            parts = key.split(".")
            if len(parts) != 3 or parts[2] not in ("strength", "enabled"):
                raise InputError(origin, key, "give an edge as 'links.<edge id>.strength' or 'links.<edge id>.enabled'")
            links = data.setdefault("links", {})
            links[parts[1]] = {**links.get(parts[1], {}), parts[2]: value}
        elif "." in key:
            data.setdefault("parameters", {})[key] = value
        else:
            raise InputError(origin, key, f"unknown override; give name, description, a cohort field "
                             f"({', '.join(COHORT_FIELDS)}) or a dotted parameter name such as 'use_cycle.cue_prob' "
                             "(list: dyadsim params)")
    return data


class Sim:
    """One scenario, run in memory: ``Sim("usual_care", dyads=200, replicates=2).run().summary``.

    Args:
        scenario: a file path, an example name, a mapping with a scenario file's fields, or a Scenario.
        params: dotted parameter names and values (same as keyword overrides).
        **overrides: ``name``, ``description``, cohort fields (dyads, seed, replicates, horizon_months)
            or dotted parameter names.

    Raises:
        InputError: naming the scenario (file, example or mapping), the field and what is allowed.
    """

    def __init__(self, scenario: str | Path | dict | Scenario = "usual_care", *, params: dict[str, Any] | None = None,
                 **overrides: Any) -> None:
        from dyadsim.run.manifest import scenario_record

        data, path, origin = _source(scenario)
        if params is not None and not isinstance(params, dict):
            raise InputError(origin, "params", "give a mapping of dotted parameter names to values, such as "
                             f"{{'use_cycle.cue_prob': 0.2}}, got {type(params).__name__}")
        applied = {**(params or {}), **overrides}
        scn = parse_scenario(_apply(data, applied, origin), origin)
        self.scenario: Scenario = scn
        self.params: ParamSet = scenario_params(scn, origin)
        self.population: PopulationSpec = scenario_population(scn, origin, path.parent if path else None)
        self.record: dict[str, Any] = {**scenario_record(scn, path), "overrides": applied}
        given = scenario if isinstance(scenario, (str, Path)) else f"<{type(scenario).__name__}: {scn.name}>"
        self.command = f"dyadsim.Sim({str(given)!r}, **{applied!r}).run()"
        self.result: RunResult | None = None

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name

    def run(self, progress: bool = False) -> "Sim":
        """Simulate every replicate (in memory); returns the Sim itself, now with results."""
        from dyadsim.jobs.run import announce_compile
        from dyadsim.run.manifest import run_fields
        from dyadsim.run.runner import run_scenario

        announce_compile(self.scenario.engine.kind)
        self.result = run_scenario(self.scenario, self.params, self.population, progress=progress)
        self.result.manifest.update(run_fields(self.record, self.command))
        return self

    def _done(self) -> "RunResult":
        if self.result is None:
            raise RuntimeError(f"Sim {self.name!r} has not been run yet: call .run() first")
        return self.result

    @property
    def summary(self) -> pd.DataFrame:
        """Mean of each summary outcome with its 95% interval over replicates."""
        return self._done().summary

    @property
    def manifest(self) -> dict[str, Any]:
        """What ``manifest.json`` records for this run (see :mod:`dyadsim.run.manifest`)."""
        return self._done().manifest

    def to_df(self, table: str = "outcomes", by: str | list[str] | None = None) -> pd.DataFrame:
        """A table of the run, whole or by subgroup.

        Args:
            table: ``outcomes`` (one row per dyad and replicate), ``monthly`` (long: dyad_id,
                replicate, month, variable, value), ``aggregates`` (daily cohort means),
                ``trajectories`` (sampled dyads, daily) or ``summary``.
            by: for ``outcomes``, one categorical or flag column: the summary outcomes by its
                values (as ``dyadsim summarize --by``); for ``monthly``, columns of the outcomes
                table (e.g. ``moud_type``): mean and count of each variable by them and month;
                for ``aggregates``, its columns (e.g. ``phase``): mean over replicates by them and day.

        Raises:
            InputError: an unknown table or column, naming it and what is allowed.
        """
        from dyadsim.run.tidy import monthly_table, summarize_frame

        res = self._done()
        if table not in TABLES:
            raise InputError(f"Sim {self.name!r}", "table", f"choose one of {', '.join(TABLES)}, got {table!r}")
        assert res.outcomes is not None and res.trajectories is not None  # in memory: never streamed
        frames = {"outcomes": res.outcomes, "aggregates": res.aggregates, "trajectories": res.trajectories,
                  "summary": res.summary}
        if table == "monthly":
            df = monthly_table(res.outcomes)
        else:
            df = frames[table]
        if by is None:
            return df
        origin = f"Sim {self.name!r} {table}"
        if not (isinstance(by, str) or (isinstance(by, (list, tuple)) and all(isinstance(c, str) for c in by))):
            raise InputError(origin, "by", f"give a column name or a list of them, got {type(by).__name__}")
        cols = [by] if isinstance(by, str) else list(by)
        if table == "outcomes":
            if len(cols) != 1:
                raise InputError(origin, "by", "give one column of the outcomes table")
            return summarize_frame(res.outcomes, cols[0], origin)
        if table == "monthly":
            missing = [c for c in cols if c not in res.outcomes.columns]
            if missing:
                raise InputError(origin, "by", f"no column {missing[0]!r} in the outcomes table (docs/outcomes.md)")
            keyed = df.merge(res.outcomes[["dyad_id", "replicate", *cols]], on=["dyad_id", "replicate"])
            return (keyed.groupby([*cols, "month", "variable"], observed=True)["value"]
                    .agg(mean="mean", n="count").reset_index())
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise InputError(origin, "by", f"no column {missing[0]!r}; columns: {', '.join(map(str, df.columns[:20]))}")
        keys = cols + [c for c in ("phase", "day") if c in df.columns and c not in cols]
        return df.drop(columns=["replicate"]).groupby(keys, observed=True).mean(numeric_only=True).reset_index()

    def plot(self) -> list["Figure"]:
        """The report's figures (monthly trajectories, daily shares, attachment, well-being) as
        matplotlib figures, drawn by :func:`dyadsim.report.run_report.make_figures`."""
        res = self._done()
        with _same_backend(), tempfile.TemporaryDirectory(prefix="dyadsim-plot-") as tmp:
            from dyadsim.report.run_report import make_figures

            files = make_figures(res, Path(tmp))
            return _figures(Path(tmp), files)

    def save(self, folder: str | Path, *, force: bool = False) -> Path:
        """Write the run as ``dyadsim run`` does (tables, monthly.parquet, summary, catalogue,
        views.sql, figures, report.html, manifest.json), atomically; ``force`` replaces an earlier
        dyadsim folder. ``dyadsim rerun FOLDER/manifest.json`` reproduces it bit for bit.

        Raises:
            OutputError: the folder may not be used (see :func:`dyadsim.run.store.check_target`).
        """
        res = self._done()
        folder = _folder_arg(folder, f"Sim {self.name!r}")
        with _same_backend():
            from dyadsim.jobs.run import save_run

            return save_run(res, folder, force=force)

    def __repr__(self) -> str:
        c = self.scenario.cohort
        state = "run" if self.result is not None else "not run"
        return f"Sim({self.name!r}, dyads={c.dyads}, replicates={c.replicates}, seed={c.seed}; {state})"

    def _repr_html_(self) -> str:
        c = self.scenario.cohort
        head = (f"<p><b>dyadsim Sim</b> {html.escape(self.name)}: {c.dyads} dyads &times; {c.replicates} "
                f"replicates, seed {c.seed}, {c.horizon_months} months after birth")
        if self.result is None:
            return head + " (not run yet: call <code>.run()</code>)</p>"
        return head + " (mean [95% interval])</p>" + _summary_html(self.result.summary)


@contextmanager
def _same_backend() -> Iterator[None]:
    """Keep the caller's matplotlib backend: the report and comparison modules select the
    non-interactive Agg backend to write files, which in a notebook would stop the inline display
    of the user's own figures afterwards."""
    import matplotlib

    backend = matplotlib.get_backend()
    try:
        yield
    finally:
        if matplotlib.get_backend() != backend:
            matplotlib.use(backend, force=True)


def _summary_html(summary: pd.DataFrame) -> str:
    rows = "".join(f"<tr><td style='text-align:left'>{html.escape(str(r.outcome))}</td><td>{r.mean:.3f}</td>"
                   f"<td>[{r.lower:.3f}, {r.upper:.3f}]</td></tr>" for r in summary.itertuples())
    return f"<table><tr><th>outcome</th><th>mean</th><th>95% interval</th></tr>{rows}</table>"


def _figures(folder: Path, files: list[tuple[str, str]]) -> list["Figure"]:
    """Figures showing the PNG files written by a report function (pixel for pixel)."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    out = []
    for rel, caption in files:
        img = mpimg.imread(folder / rel)
        h, w = img.shape[:2]
        fig = plt.figure(figsize=(w / 100, h / 100), dpi=100)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.imshow(img)
        ax.set_axis_off()
        fig.set_label(caption)
        plt.close(fig)  # returned to the caller, not left open in pyplot's figure list
        out.append(fig)
    return out


class CompareResult:
    """Scenarios run on the same dyads and seeds, with paired differences from the first.

    The per-dyad outcome files stay in a temporary folder owned by this object (removed with it).
    """

    def __init__(self, comparison: "Comparison", folder: tempfile.TemporaryDirectory) -> None:
        self.comparison = comparison
        self._folder = folder

    @property
    def names(self) -> list[str]:
        """Scenario names, the first being the reference."""
        return self.comparison.names

    @property
    def differences(self) -> pd.DataFrame:
        """Each scenario minus the first, every outcome, with 95% intervals (as ``differences.csv``)."""
        return self.comparison.differences

    @property
    def summaries(self) -> pd.DataFrame:
        """Each scenario's summary, with a ``scenario`` column."""
        return pd.concat([r.summary.assign(scenario=n) for n, r in zip(self.names, self.comparison.runs)],
                         ignore_index=True)

    @property
    def manifest(self) -> dict[str, Any]:
        """What the comparison's ``manifest.json`` records."""
        return self.comparison.manifest

    def outcomes(self, name: str) -> pd.DataFrame:
        """The per-dyad outcomes of scenario ``name``."""
        from dyadsim.analysis.compare import file_stem

        if name not in self.names:
            raise InputError("comparison", "name", f"choose one of {', '.join(self.names)}")
        return pd.read_parquet(Path(self._folder.name) / "outcomes" / f"{file_stem(name)}.parquet")

    def plot(self) -> list["Figure"]:
        """The comparison page's figures as matplotlib figures."""
        root = Path(self._folder.name)
        files = [(p.relative_to(root).as_posix(), p.stem) for p in sorted((root / "figures").glob("*.png"))]
        return _figures(root, files)

    def save(self, folder: str | Path, *, force: bool = False) -> Path:
        """Write the comparison as ``dyadsim compare`` does, atomically (``force``: replace an
        earlier dyadsim folder); ``dyadsim rerun FOLDER/manifest.json`` reproduces it."""
        from dyadsim.run.store import write_atomic

        folder = _folder_arg(folder, "CompareResult")
        src = Path(self._folder.name)

        def write(tmp: Path) -> dict[str, Any]:
            shutil.copytree(src, tmp, dirs_exist_ok=True)
            return self.manifest

        return write_atomic(folder, write, force=force)

    def _repr_html_(self) -> str:
        d = self.differences[self.differences["summary"]]
        rows = "".join(f"<tr><td>{html.escape(r.scenario)}</td><td style='text-align:left'>{html.escape(r.outcome)}"
                       f"</td><td>{r.difference:.3f}</td><td>[{r.lower:.3f}, {r.upper:.3f}]</td></tr>"
                       for r in d.itertuples())
        return (f"<p><b>dyadsim comparison</b> against {html.escape(self.names[0])}: "
                f"{self.manifest['dyads']} dyads &times; {self.manifest['replicates']} replicates, same dyads and "
                f"seeds</p><table><tr><th>scenario</th><th>outcome</th><th>difference</th><th>95% interval</th></tr>"
                f"{rows}</table>")


def compare(scenarios: list[ScenarioLike], *, dyads: int | None = None, replicates: int | None = None,
            seed: int | None = None, progress: bool = False) -> CompareResult:
    """Run scenarios on the same dyads and seeds (common random numbers); differences from the first.

    Args:
        scenarios: 2 to 20 of: file paths, example names, mappings, Scenario objects or Sims (their
            overrides included); the first scenario's cohort is used for all.
        dyads, replicates, seed: override that cohort.

    Raises:
        InputError: naming the scenario, the field and what is allowed.
    """
    from dyadsim.analysis.compare import comparison_of, run_loaded
    from dyadsim.jobs.compare import write_comparison_files
    from dyadsim.jobs.run import announce_compile

    if not isinstance(scenarios, (list, tuple)) or len(scenarios) < 2:
        raise InputError("compare", "scenarios", "give a list of 2 to 20 scenarios (file paths, example names, "
                         f"mappings, Scenario objects or Sims), got {type(scenarios).__name__}")
    sims = [s if isinstance(s, Sim) else Sim(s) for s in scenarios]
    loaded = comparison_of([(s.scenario, s.params, s.population) for s in sims], [None] * len(sims), dyads=dyads,
                           replicates=replicates, seed=seed)
    # Each scenario's own record (file text, overrides), with the comparison's shared cohort.
    loaded.records = [{**s.record, "scenario": scn.model_dump(mode="json")}
                      for s, (scn, _, _) in zip(sims, loaded.scenarios)]
    announce_compile(loaded.scenarios[0][0].engine.kind)
    loaded.command = (f"dyadsim.compare({[s.name if isinstance(s, Sim) else str(s) for s in scenarios]!r}, "
                      f"dyads={dyads!r}, replicates={replicates!r}, seed={seed!r})")
    folder = tempfile.TemporaryDirectory(prefix="dyadsim-compare-")
    cmp = run_loaded(loaded, Path(folder.name), progress=progress)
    with _same_backend():
        write_comparison_files(cmp, Path(folder.name))
    return CompareResult(cmp, folder)


def economics(scenarios: list[str | Path], *, out: str | Path | None = None, wtp: str | list[float] = "50000,100000,150000",
              perspective: str = "payer", parameter_draws: int | None = None, parameters: str = "posterior",
              dyads: int | None = None, seed: int | None = None, inputs: str | Path | None = None,
              discount: float | None = None, extrapolate_years: str | float = "none", keep_outcomes: bool = False,
              evsi_trial: str | Path | None = None, evsi_n: str | list[int] | None = None,
              evsi_pool: int | None = None, force: bool = False, progress: bool = False) -> "EconomicsResult":
    """``dyadsim economics`` from Python: the same checks and job
    (:func:`dyadsim.economics.setup.prepare`, :func:`dyadsim.trials.evsi.trial_statistics`,
    :func:`dyadsim.economics.job.run_economics`), the same folder (``out``; a temporary one, kept
    while the result lives, when None), and the tables as DataFrames on the result: ``strategies``,
    ``incremental``, ``psa``, ``ceac``, ``evppi``, ``evsi``, ``means``; ``folder`` is where the files are.

    Args:
        scenarios: 2 to 20 scenario files (the strategies; the first is the comparator).
        wtp: willingness to pay per QALY, "50000,100000" or a list of numbers.
        evsi_trial, evsi_n, evsi_pool: the proposed trial and its sizes per arm ("100,200,400", a
            list, or None for the file's n_per_arm), dyads per arm and draw to draw it from.
        The others: as the command's options of the same name.

    Raises:
        InputError: naming the file or the argument, the field and what is allowed.
    """
    from dyadsim.economics.job import run_economics
    from dyadsim.economics.setup import prepare
    from dyadsim.jobs.run import announce_compile
    from dyadsim.run.store import check_target
    from dyadsim.trials.design import load_trial
    from dyadsim.trials.evsi import trial_statistics
    from dyadsim.trials.power import parse_grid

    def text(v: Any) -> str:
        return v if isinstance(v, str) else ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)

    try:
        if evsi_trial is None and (evsi_n is not None or evsi_pool is not None):
            raise InputError("command line", "--evsi-trial", "evsi_n and evsi_pool are for a proposed trial: give "
                             "evsi_trial too")
        loaded, ins, settings = prepare([Path(p) for p in scenarios], wtp=text(wtp), perspective=perspective,
                                        draws=parameter_draws, source=parameters, dyads=dyads, seed=seed,
                                        inputs_file=Path(inputs) if inputs else None, rate=discount,
                                        extrapolate=str(extrapolate_years), keep_outcomes=keep_outcomes)
        study = None
        if evsi_trial is not None:
            grid = (parse_grid(text(evsi_n), "--evsi-n") if evsi_n is not None
                    else [int(load_trial(evsi_trial)[0].n_per_arm or 0)])
            say = (lambda m: print(m, file=sys.stderr, flush=True)) if progress else None
            study = trial_statistics(evsi_trial, loaded.names, loaded.draws, grid, pool_dyads=evsi_pool, progress=say)
    except InputError as exc:  # the command's option names, as this function's arguments
        if exc.file != "command line":
            raise
        raise InputError("economics", exc.field.lstrip("-").replace("-", "_"), exc.allowed) from None
    loaded.command = f"dyadsim.economics({[str(p) for p in scenarios]!r}, ...)"
    keep = None
    if out is None:
        keep = tempfile.TemporaryDirectory(prefix="dyadsim-economics-")
        folder = Path(keep.name) / "economics"
    else:
        folder = Path(out)
        check_target(folder, force)
    announce_compile(loaded.scenarios[0][0].engine.kind)
    res = run_economics(loaded, folder, ins, settings, force=force, progress=progress, study=study)
    res.folder, res.keep = folder, keep
    return res


__all__ = ["CompareResult", "Sim", "compare", "economics"]

"""Fair comparison of scenarios: same dyads, same seeds, common random numbers, paired differences.

Every scenario runs on the same dyad ids with the same replicate seeds, so each dyad meets the
same random numbers for every decision in every scenario and differences come only from what the
scenarios change. For every outcome (the summary outcomes and every numeric per-dyad column) the
difference from the first scenario is computed per replicate; its 95% interval is
:func:`dyadsim.core.intervals.bands` over replicates (the t interval with two or more), or with one
replicate the paired normal interval over dyads. An intervention that reaches nobody therefore
gives differences of exactly zero. Event days (``*_day`` columns) are not compared as means,
which would condition on the event; times to event are compared by Kaplan-Meier curves and
restricted mean survival time instead (:mod:`dyadsim.analysis.survival`, on ``compare.html``).
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from dyadsim.core.version import __version__
from dyadsim.core import intervals
from dyadsim.core.errors import InputError
from dyadsim.model.modules.attachment import CLASSES
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.model.states import MOUD_TYPES
from dyadsim.run.summary import SUMMARY
from dyadsim.run.runner import CHUNK_DYADS, RunResult, progress_bar, run_scenario
from dyadsim.config.scenario import Scenario, load_scenario, with_cohort
from dyadsim.run.streaming import Moments
from dyadsim.config.uncertainty import ParameterDraws, resolve_draws

_SKIP = {"dyad_id", "replicate", "seed"}
_CATEGORIES = {"moud_type": list(MOUD_TYPES), "attachment": list(CLASSES)}


@dataclass
class Comparison:
    """Runs of every scenario and the paired differences from the first."""

    names: list[str]
    runs: list[RunResult]
    differences: pd.DataFrame
    manifest: dict[str, Any]
    interval_kind: str = "monte_carlo"
    """Kind of every interval shown (see :mod:`dyadsim.core.intervals`)."""


@dataclass
class Loaded:
    """Validated scenarios of a comparison, with the shared cohort, before anything is run."""

    paths: list[Path]
    scenarios: list[tuple[Scenario, ParamSet, PopulationSpec]]
    draws: ParameterDraws | None = None
    records: list[dict[str, Any]] | None = None
    """Each scenario in full, for the manifest (:func:`dyadsim.run.manifest.scenario_record`)."""
    command: str | None = None
    """The command that asked for the comparison, for the manifest (default: the process's argv)."""

    @property
    def names(self) -> list[str]:
        """Scenario names, in order."""
        return [scn.name for scn, _, _ in self.scenarios]


def file_stem(name: str) -> str:
    """A safe file name (no folder, no dot first) for a scenario's table: letters, digits, ``_ . + -``."""
    stem = re.sub(r"[^A-Za-z0-9_.+-]", "_", name).lstrip(".") or "scenario"
    return stem[:100]


def _interval(per_rep: np.ndarray, paired: Moments | None, kind: str = "monte_carlo") -> tuple[float, float, float]:
    """Centre and interval of a difference from its per-replicate values (see the module doc)."""
    sd, n = (paired.sd, paired.n) if paired is not None else (None, None)
    centre, lo, hi = intervals.bands(per_rep, kind=kind, sd=sd, n=n)
    return float(centre), float(lo), float(hi)


def _is_event_day(col: str) -> bool:
    """An event day (``*_day``): compared by survival methods, not as a mean."""
    return col.endswith("_day")


def _outcome_values(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Per-dyad values (indexed by dyad id) of every outcome compared."""
    d = df.set_index("dyad_id", drop=False)
    vals: dict[str, pd.Series] = {label: fn(d).astype(float) for label, fn in SUMMARY}
    for col in d.columns:
        if col in _SKIP or _is_event_day(col):
            continue
        if pd.api.types.is_numeric_dtype(d[col]) and not pd.api.types.is_bool_dtype(d[col]):
            vals[col] = d[col].astype(float)
        elif isinstance(d[col].dtype, pd.CategoricalDtype):
            cats = _CATEGORIES.get(col, list(d[col].cat.categories))
            for cat in cats:
                vals[f"{col}={cat}"] = (d[col] == cat).astype(float)
    return vals


class PairedAccumulator:
    """Per-replicate sums and counts of every outcome of two scenarios on the same dyads, and the
    moments of the per-dyad differences (for the paired interval with one replicate)."""

    def __init__(self, paired: bool = True) -> None:
        self.sums: dict[tuple[int, str], list[float]] = {}
        self.paired: dict[str, Moments] = {}
        self.keep_paired = paired

    def add(self, base: pd.DataFrame, other: pd.DataFrame) -> None:
        """Fold in one chunk of both outcome tables (same dyads, same replicates, same order)."""
        for rep in sorted(base["replicate"].unique()):
            vb = _outcome_values(base[base["replicate"] == rep])
            vo = _outcome_values(other[other["replicate"] == rep])
            for k, b in vb.items():
                if k not in vo:
                    continue
                o = vo[k]
                acc = self.sums.setdefault((int(rep), k), [0.0, 0.0, 0.0, 0.0])
                bv, ov = b.to_numpy(np.float64), o.to_numpy(np.float64)
                acc[0] += float(np.nansum(bv))
                acc[1] += float((~np.isnan(bv)).sum())
                acc[2] += float(np.nansum(ov))
                acc[3] += float((~np.isnan(ov)).sum())
                if self.keep_paired:
                    if not b.index.equals(o.index):  # a subset (e.g. mothers on MOUD): pair by dyad id
                        both = pd.concat([b, o], axis=1, keys=["b", "o"]).dropna()
                        bv, ov = both["b"].to_numpy(np.float64), both["o"].to_numpy(np.float64)
                    ok = ~(np.isnan(bv) | np.isnan(ov))
                    self.paired.setdefault(k, Moments()).add(ov[ok] - bv[ok])

    def differences(self, name: str, kind: str = "monte_carlo") -> pd.DataFrame:
        """Differences ``other - base`` of every outcome with 95% intervals of ``kind`` (see module doc)."""
        reps = sorted({r for r, _ in self.sums})
        keys = list(dict.fromkeys(k for _, k in self.sums))
        out = []
        for k in keys:
            diffs = []
            for r in reps:
                sb, nb, so, no = self.sums.get((r, k), [0.0, 0.0, 0.0, 0.0])
                diffs.append(so / no - sb / nb if nb and no else np.nan)
            arr = np.array(diffs, dtype=float)
            if np.isnan(arr).any():
                centre, lo, hi = np.nan, np.nan, np.nan
            else:
                centre, lo, hi = _interval(arr, self.paired.get(k) if len(reps) == 1 else None, kind)
            out.append({"scenario": name, "outcome": k, "difference": centre, "lower": lo, "upper": hi,
                        "interval": intervals.label(kind), "summary": k in dict(SUMMARY)})
        return pd.DataFrame(out)


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """Differences ``other - base`` of every outcome with 95% intervals (tables in memory)."""
    acc = PairedAccumulator(paired=base["replicate"].nunique() == 1)
    acc.add(base, other)
    return acc.differences(name)


def _read(path: Path) -> Any:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_DYADS):
        yield batch.to_pandas()


def streamed_differences(base: Path, other: Path, name: str, replicates: int,
                         kind: str = "monte_carlo") -> pd.DataFrame:
    """:func:`paired_differences` of two outcome files read chunk by chunk (bounded memory)."""
    acc = PairedAccumulator(paired=replicates == 1)
    for b, o in zip(_read(base), _read(other)):
        if not (np.array_equal(b["dyad_id"].to_numpy(), o["dyad_id"].to_numpy())
                and np.array_equal(b["replicate"].to_numpy(), o["replicate"].to_numpy())):
            raise ValueError("outcome files are not aligned by dyad and replicate")
        acc.add(b, o)
    return acc.differences(name, kind)


def load_comparison(paths: list[Path], *, dyads: int | None = None, replicates: int | None = None,
                    seed: int | None = None, parameter_draws: int | None = None,
                    draw_select: str = "assumed", draw_source: str | None = None) -> Loaded:
    """Read and check every scenario of a comparison (nothing is simulated).

    The first scenario's cohort (with the command-line options) is used for all. With
    ``parameter_draws`` K, every scenario runs K replicates with the same K parameter draws
    (:mod:`dyadsim.config.uncertainty`), so differences are paired within draws.

    Raises:
        InputError: naming the file or option, the field and what is allowed.
    """
    if len(paths) < 2:
        raise InputError("command line", "SCENARIOS", "give at least two scenario files to compare")
    if len(paths) > 20:
        raise InputError("command line", "SCENARIOS", "give at most 20 scenario files to compare")
    loaded = [load_scenario(p) for p in paths]
    if draw_source is None:  # the Python interface's default: point values, or prior draws when asked for K
        draw_source = "point" if parameter_draws is None else "prior"
    draws = resolve_draws(draw_source, parameter_draws, replicates, draw_select,
                          loaded[0][0].cohort.seed if seed is None else seed, tuple(scn for scn, _, _ in loaded))
    if draws is not None:  # one parameter set per replicate
        replicates = len(draws)
    return comparison_of(loaded, list(paths), dyads=dyads, replicates=replicates, seed=seed, draws=draws)


def comparison_of(loaded: list[tuple[Scenario, ParamSet, PopulationSpec]], paths: list[Path | None], *,
                  dyads: int | None = None, replicates: int | None = None, seed: int | None = None,
                  draws: ParameterDraws | None = None) -> Loaded:
    """Check scenarios already loaded (from files, or built in memory with ``paths`` None) for a
    comparison: at least two, names that give different file names, one follow-up; the first
    scenario's cohort (with the overrides) is used for all, and ``draws`` (one parameter set per
    replicate, :mod:`dyadsim.config.uncertainty`) by every scenario.

    Raises:
        InputError: naming the scenario's file (or its place in the list), the field and what is allowed.
    """
    from dyadsim.run.manifest import scenario_record

    if not 2 <= len(loaded) <= 20:
        raise InputError("comparison", "scenarios", f"give 2 to 20 scenarios to compare, got {len(loaded)}")
    origins = [str(p) if p is not None else f"scenario {i + 1}" for i, p in enumerate(paths)]
    first = with_cohort(loaded[0][0], dyads=dyads, replicates=replicates, seed=seed)
    stems: dict[str, str] = {}
    for path, (scn, _, _) in zip(origins, loaded):
        stem = file_stem(scn.name).casefold()
        if stem in stems:
            raise InputError(str(path), "name", f"scenario names must differ to be compared ({scn.name!r} and "
                             f"{stems[stem]!r} are the same file name)")
        stems[stem] = scn.name
        if scn.cohort.horizon_months != first.cohort.horizon_months:
            raise InputError(str(path), "cohort.horizon_months",
                             f"must equal the first scenario's ({first.cohort.horizon_months}) to be compared")
    cohort = first.cohort
    scenarios = [(scn.model_copy(update={"cohort": cohort}), ps, pop) for scn, ps, pop in loaded]
    records = [scenario_record(scn, p) for (scn, _, _), p in zip(scenarios, paths)]
    return Loaded(paths=[Path(o) for o in origins], scenarios=scenarios, draws=draws, records=records)


def run_loaded(loaded: Loaded, folder: Path, progress: bool | None = None, bar: Any = None) -> Comparison:
    """Run every scenario on the same dyads and seeds, writing ``folder/outcomes/<name>.parquet``;
    the differences from the first are computed from those files chunk by chunk. ``bar``: a
    tqdm-like bar to advance (by dyads) instead of a new one on stderr, left open."""
    (folder / "outcomes").mkdir(exist_ok=True)
    cohort = loaded.scenarios[0][0].cohort
    own_bar = bar is None
    if own_bar:
        bar = progress_bar(cohort.dyads * cohort.replicates * len(loaded.scenarios), "compare", progress)
    runs, files = [], []
    try:
        for scn, ps, pop in loaded.scenarios:
            sub = folder / "outcomes" / ".tables"
            sub.mkdir()
            runs.append(run_scenario(scn, ps, pop, folder=sub, tables=("outcomes",), bar=bar, draws=loaded.draws))
            target = folder / "outcomes" / f"{file_stem(scn.name)}.parquet"
            (sub / "outcomes.parquet").rename(target)
            sub.rmdir()
            files.append(target)
        bar.set_postfix_str("paired differences")
        names = loaded.names
        kind = "parameter" if loaded.draws is not None else "monte_carlo"
        diffs = pd.concat([streamed_differences(files[0], f, nm, cohort.replicates, kind)
                           for nm, f in zip(names[1:], files[1:])],
                          ignore_index=True)
    finally:
        if own_bar:
            bar.close()
    manifest = {"package": "dyadsim", "version": __version__, "scenarios": [str(p) for p in loaded.paths],
                "names": names, "outcome_files": [f.relative_to(folder).as_posix() for f in files],
                "scenario_hashes": [scn.hash() for scn, _, _ in loaded.scenarios], "dyads": cohort.dyads,
                "replicates": cohort.replicates, "seed": cohort.seed,
                "replicate_seeds": [cohort.seed + r for r in range(cohort.replicates)],
                "parameters": {nm: r.manifest["parameters"] for nm, r in zip(names, runs)},
                "interval": intervals.label(kind)}
    if loaded.draws is not None:
        manifest["parameter_draws"] = loaded.draws.manifest()
    if loaded.records is not None:
        from dyadsim.run.manifest import compare_fields

        manifest.update(compare_fields(loaded.records, loaded.command))
    return Comparison(names=names, runs=runs, differences=diffs, manifest=manifest, interval_kind=kind)


def compare(paths: list[Path], *, dyads: int | None = None, replicates: int | None = None,
            seed: int | None = None, progress: bool | None = None, folder: Path | None = None) -> Comparison:
    """Run every scenario on the same dyads and seeds; differences from the first.

    The per-dyad outcomes go to ``folder/outcomes/`` (a temporary folder, removed afterwards, when
    ``folder`` is None).
    """
    loaded = load_comparison(paths, dyads=dyads, replicates=replicates, seed=seed)
    if folder is not None:
        return run_loaded(loaded, folder, progress)
    with tempfile.TemporaryDirectory(prefix="dyadsim-compare-") as tmp:
        return run_loaded(loaded, Path(tmp), progress)

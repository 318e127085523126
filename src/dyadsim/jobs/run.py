"""The run job: one scenario simulated into a folder, or a run already in memory written out.

Every face uses it: ``dyadsim run``, ``dyadsim rerun`` and the dashboard's worker call :func:`run_into` (the outcomes are
streamed to disk chunk by chunk, so memory stays flat in the cohort size); :meth:`dyadsim.api.Sim.run`
calls it with ``folder=`` and :meth:`dyadsim.api.Sim.save` calls :func:`save_run`. Either way the
folder holds the same files (tables, summary, catalogue, figures, ``report.html`` and
``manifest.json``), written atomically (:func:`dyadsim.run.store.write_atomic`).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from dyadsim.config.scenario import Scenario
from dyadsim.config.uncertainty import ParameterDraws
from dyadsim.engine.cache import compile_notice
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.report.run_report import write_report
from dyadsim.run.manifest import run_fields
from dyadsim.run.runner import RunResult, progress_bar, run_scenario
from dyadsim.run.store import check_target, finish_run, write_atomic, write_csv, write_run


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def announce_compile(kind: str, notify: Callable[[str], None] = _stderr) -> None:
    """Say (through ``notify``) when the engine ``kind`` must be compiled first (the first run of a version)."""
    text = compile_notice(kind)
    if text:
        notify(text)


def run_into(scn: Scenario, params: ParamSet, spec: PopulationSpec, out: Path, *, record: dict[str, Any],
             command: str, force: bool = False, csv: bool = False, progress: bool | None = None,
             draws: ParameterDraws | None = None, notify: Callable[[str], None] = _stderr,
             bar: Any = None) -> RunResult:
    """Run a checked scenario into ``out`` atomically: tables, summary, catalogue, figures, report,
    CSV copies with ``csv``, and a manifest holding ``record`` and ``command`` (see
    :mod:`dyadsim.run.manifest`); ``draws``: one parameter set per replicate
    (:mod:`dyadsim.config.uncertainty`); ``bar``: a tqdm-like bar to advance (by dyads) instead of
    a new one on stderr (the dashboard's, which reports to its page), left open.

    Raises:
        OutputError: ``out`` may not be used (checked before anything is simulated).
    """
    holder: list[RunResult] = []
    check_target(out, force)
    announce_compile(scn.engine.kind, notify)
    own_bar = bar is None
    if own_bar:
        bar = progress_bar(scn.cohort.dyads * scn.cohort.replicates, scn.name, progress)

    def write(tmp: Path) -> dict[str, Any]:
        result = run_scenario(scn, params, spec, folder=tmp, bar=bar, draws=draws)
        result.manifest.update(run_fields(record, command))
        bar.set_postfix_str("writing summary, figures and report")
        finish_run(result, tmp, extras=lambda folder: write_report(result, folder))
        if csv:
            write_csv(tmp)
        holder.append(result)
        return result.manifest

    try:
        write_atomic(out, write, force=force)
    finally:
        if own_bar:
            bar.close()
    return holder[0]


def save_run(result: RunResult, folder: Path, *, force: bool = False) -> Path:
    """Write a run held in memory as :func:`run_into` would have written it, atomically.

    Raises:
        OutputError: the folder may not be used (see :func:`dyadsim.run.store.check_target`).
    """
    return write_run(result, folder, extras=lambda f: write_report(result, f), force=force)

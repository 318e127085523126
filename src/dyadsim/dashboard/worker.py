"""The worker process of a run started from the page: ``python -m dyadsim.dashboard.worker JOB.json``.

It does what the recorded command line (``job.json``'s ``command``) does, with the same functions:
the scenario files are read by :func:`dyadsim.config.scenario.load_scenario` (or
:func:`dyadsim.analysis.compare.load_comparison`), the parameter sets by
:func:`dyadsim.config.uncertainty.resolve_draws`, and the folder is written by
:func:`dyadsim.jobs.run.run_into` or :func:`dyadsim.jobs.compare.write_loaded`. Its progress goes
to the status file instead of a bar on a terminal; SIGTERM stops it as Ctrl-C stops the command line
(the partial output is removed).
"""
from __future__ import annotations

import json
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from dyadsim.dashboard.background import write_json


class StatusBar:
    """A tqdm-like bar (``update``, ``set_postfix_str``, ``close``) that writes the job's status file,
    at most every ``every`` seconds (the page polls it about once a second)."""

    def __init__(self, path: Path, total: int, out: str, every: float = 0.2) -> None:
        self.path, self.total, self.out, self.every = path, max(int(total), 1), out, every
        self.n, self.message, self._last = 0, "running", 0.0
        self.started = time.time()
        self.write("running", force=True)

    def write(self, state: str, message: str | None = None, force: bool = False, **extra: Any) -> None:
        """Write the status now (``force``) or when ``every`` seconds have passed since the last write."""
        if message is not None:
            self.message = message
        now = time.monotonic()
        if not force and now - self._last < self.every:
            return
        self._last = now
        write_json(self.path, {"state": state, "done": self.n, "total": self.total, "message": self.message,
                               "out": self.out, "pid": _pid(), "elapsed_s": round(time.time() - self.started, 1),
                               **extra})

    def update(self, n: int = 1) -> None:
        self.n += int(n)
        self.write("running")

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.write("running", text, force=True)

    def close(self) -> None:
        """Nothing to release (the final state is written by :func:`main`)."""


def _pid() -> int:
    import os

    return os.getpid()


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM from the page's cancel button: as the command line's Ctrl-C (see :mod:`dyadsim.core.interrupt`)."""
    from dyadsim.core import interrupt

    interrupt.request()
    raise KeyboardInterrupt


def run_job(spec: dict[str, Any], bar: StatusBar) -> str:
    """Do the job ``spec`` describes (see :func:`dyadsim.dashboard.background.start`); a one-line summary."""
    from dyadsim.config.uncertainty import resolve_draws

    out = Path(spec["out"])
    files = [Path(p) for p in spec["scenarios"]]
    source, replicates = str(spec["parameters"]), int(spec["replicates"])
    notify = lambda text: bar.write("running", text, force=True)  # noqa: E731 (the compile notice)
    if spec["kind"] == "run":
        from dyadsim.config.scenario import load_scenario, with_cohort
        from dyadsim.jobs.run import run_into
        from dyadsim.run.manifest import scenario_record

        scn, params, pop = load_scenario(files[0])
        draws = resolve_draws(source, None, replicates, "assumed", scn.cohort.seed, (scn,))
        scn = with_cohort(scn, replicates=len(draws) if draws else replicates)
        bar.total = scn.cohort.dyads * scn.cohort.replicates
        result = run_into(scn, params, pop, out, record=scenario_record(scn, files[0]), command=spec["command"],
                          draws=draws, notify=notify, bar=bar)
        return f"{scn.name}: {result.manifest['dyads']} dyads x {result.manifest['replicates']} replicates"
    from dyadsim.analysis.compare import load_comparison
    from dyadsim.jobs.compare import write_loaded
    from dyadsim.jobs.run import announce_compile

    loaded = load_comparison(files, replicates=replicates, draw_source=source)
    loaded.command = spec["command"]
    cohort = loaded.scenarios[0][0].cohort
    bar.total = cohort.dyads * cohort.replicates * len(loaded.scenarios)
    announce_compile(loaded.scenarios[0][0].engine.kind, notify)
    cmp = write_loaded(loaded, out, bar=bar)
    return f"{' vs '.join(cmp.names)}: {cmp.manifest['dyads']} dyads x {cmp.manifest['replicates']} replicates"


def main(argv: list[str] | None = None) -> int:
    """Run the job file given on the command line; 0 when done, 1 when it failed, 130 when cancelled."""
    from dyadsim.core import interrupt
    from dyadsim.core.errors import InputError

    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    bar = StatusBar(Path(spec["status"]), 1, spec["out"])
    interrupt.clear()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        summary = run_job(spec, bar)
    except KeyboardInterrupt:
        bar.write("cancelled", "cancelled: nothing was written (partial output removed)", force=True)
        return 130
    except InputError as exc:  # the command line's one-line error
        bar.write("failed", f"error: {exc}", force=True)
        return 1
    except Exception as exc:  # anything else: said on the page, the traceback in the worker's log
        traceback.print_exc()
        bar.write("failed", f"error: {type(exc).__name__}: {exc}", force=True)
        return 1
    bar.write("running", "drawing the mechanism graph for the page", force=True)
    try:
        predraw_graph(Path(spec["out"]))
    except Exception:  # the results are written; the page draws the graph itself if this failed
        traceback.print_exc()
    bar.n = bar.total
    bar.write("done", f"done: {summary}", force=True)
    return 0


def predraw_graph(out: Path) -> None:
    """Draw the mechanism graph the Look page shows for the folder ``out`` and the display copies of
    its wide figures (into the page's caches), so that the page need not make them while a person waits."""
    from dyadsim.dashboard import folders

    folder = folders.read_folder(out)
    if folder is None:
        return
    scenarios = folders.scenarios_of(folder)
    if scenarios:
        graph = folders.mechanism_graph(scenarios[-1], folders.graph_cache(out.parent))
        folders.display_copy(graph.path, folders.display_cache(out.parent))
    for fig in folders.figures(folder):
        folders.display_copy(fig.path, folders.display_cache(out.parent))


if __name__ == "__main__":
    sys.exit(main())

"""Runs started from the page, done in a worker process so that the page keeps answering.

A run (or comparison) started from the page writes its scenario files to ``RUNS/scenarios/NAME/``
(so the command line can run them again: the manifest records that command), a job description and
a status file to ``RUNS/.dashboard/NAME/``, and starts :mod:`dyadsim.dashboard.worker` on them; the
worker calls :func:`dyadsim.jobs.run.run_into` or :func:`dyadsim.jobs.compare.write_loaded`, which
write ``RUNS/NAME/`` atomically, and keeps the status file up to date (dyads done, what it is doing).
The page reads that file; cancelling sends the worker SIGTERM, on which it stops at the next chunk
of dyads and the partial output is removed, as on the command line after Ctrl-C.

A worker process rather than a thread: the engine holds the interpreter while it runs a chunk, and
the page must answer within a second (the tests check it while a run is going).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dyadsim.analysis.compare import file_stem
from dyadsim.config.uncertainty import DEFAULT_SOURCE
from dyadsim.core.errors import InputError
from dyadsim.run.store import check_target

STATE_DIR = ".dashboard"
"""Folder under the runs folder holding each page-started job's description, status and log."""
SCENARIO_DIR = "scenarios"
"""Folder under the runs folder holding the scenario files of page-started runs."""
FOLDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$")
"""Allowed names of a result folder: letters, digits and ``_ . + -``, not starting with a dot."""
FINISHED = ("done", "failed", "cancelled")
"""States after which a job's worker has ended."""

_PROCESSES: dict[str, subprocess.Popen] = {}
"""Workers started by this server process, by status file (polled so that none is left a zombie)."""


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON by rename, so that a reader never sees half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


def _alive(pid: Any) -> bool:
    """Whether process ``pid`` (started by another server process) still runs; True when unknown."""
    if not isinstance(pid, int):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        pass
    return True


def read_status(path: Path) -> dict[str, Any]:
    """A job's status file (``state``, ``done``, ``total``, ``message``, ``out``, ``pid``); a worker that
    died without saying so is reported as failed."""
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"state": "failed", "message": f"no readable status in {path}", "done": 0, "total": 1}
    proc = _PROCESSES.get(str(path))
    if status.get("state") not in FINISHED and proc is None and not _alive(status.get("pid")):
        status.update(state="failed", message="the worker is no longer running (the page's server was restarted?)")
    elif status.get("state") not in FINISHED and proc is not None and proc.poll() is not None:
        status = json.loads(path.read_text(encoding="utf-8"))  # it may have written its last word meanwhile
        if status.get("state") not in FINISHED:
            log = path.with_name("worker.log")
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] if log.is_file() else []
            status.update(state="failed", message=f"the worker ended (exit status {proc.returncode})"
                          + (f": {tail[0]}" if tail else ""))
    return status


@dataclass
class Job:
    """A run or comparison going on (or finished) in a worker process."""

    status_file: Path
    out: Path
    command: str

    def status(self) -> dict[str, Any]:
        """The worker's last status (see :func:`read_status`)."""
        return read_status(self.status_file)

    @property
    def finished(self) -> bool:
        return self.status().get("state") in FINISHED

    def cancel(self) -> None:
        """Ask the worker to stop (SIGTERM): it stops after the chunk of dyads it is on and removes the
        partial output."""
        pid = self.status().get("pid")
        proc = _PROCESSES.get(str(self.status_file))
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        elif isinstance(pid, int) and proc is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:  # it has ended already
                pass

    def wait(self, timeout: float) -> dict[str, Any]:
        """Wait up to ``timeout`` seconds for the worker to finish; its last status."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.finished:
            time.sleep(0.1)
        return self.status()


def default_name(names: list[str], kind: str) -> str:
    """A new folder name for a run of ``names`` (one scenario) or a comparison: the names and the time."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = file_stem(names[0]) if kind == "run" else "compare-" + "-vs-".join(file_stem(n) for n in names[:3])
    return f"{stem[:80]}-{stamp}"


def command_of(kind: str, files: list[Path], out: Path, replicates: int, source: str) -> str:
    """The ``dyadsim`` command line that does what the page asked for (recorded in the manifest, so
    ``dyadsim rerun`` and a reader can do it again)."""
    words = ["dyadsim", kind, *map(str, files), "--out", str(out), "--replicates", str(replicates)]
    if source != DEFAULT_SOURCE:
        words += ["--parameters", source]
    return shlex.join(words)


def start(kind: str, scenarios: list[dict[str, Any]], runs: Path, name: str, source: str = DEFAULT_SOURCE) -> Job:
    """Start a run (one scenario mapping, already checked) or a comparison (two or more) into
    ``runs/name`` in a worker process.

    Raises:
        InputError: a folder name that is not allowed, or a folder that may not be written (the
            command line's check, :func:`dyadsim.run.store.check_target`).
    """
    import yaml

    if kind not in ("run", "compare") or (kind == "run") != (len(scenarios) == 1):
        raise ValueError(f"a run takes one scenario and a comparison two or more, got {kind} of {len(scenarios)}")
    if not FOLDER_NAME.match(name):
        raise InputError("dashboard", "folder name", "letters, digits and _ . + - (up to 100, not starting with a "
                         f"dot), got {name!r}")
    out = runs / name
    check_target(out, False)
    work = runs / STATE_DIR / name
    if work.exists():
        raise InputError("dashboard", "folder name", f"{name!r} was used by an earlier run of the page; choose another")
    scn_dir = runs / SCENARIO_DIR / name
    scn_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True)
    files = []
    for data in scenarios:
        path = scn_dir / f"{file_stem(str(data['name']))}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        files.append(path)
    replicates = int(scenarios[0].get("cohort", {}).get("replicates", 1))
    command = command_of(kind, files, out, replicates, source)
    status = work / "status.json"
    spec = {"kind": kind, "scenarios": [str(f) for f in files], "out": str(out), "replicates": replicates,
            "parameters": source, "command": command, "status": str(status)}
    write_json(work / "job.json", spec)
    write_json(status, {"state": "starting", "done": 0, "total": 1, "message": "starting the worker", "out": str(out)})
    with open(work / "worker.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dyadsim.dashboard.worker", str(work / "job.json")],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    _PROCESSES[str(status)] = proc
    return Job(status, out, command)

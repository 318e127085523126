"""Command line: ``dyadsim dashboard``, the local page (Streamlit) for choosing a scenario, running
and comparing it and looking at the results without the command line (:mod:`dyadsim.dashboard`)."""
from __future__ import annotations

import subprocess
import sys
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

import click

from dyadsim.cli.common import _guarded, _Path, main
from dyadsim.core.errors import InputError


PRIMARY = "#1f78b4"
"""The page's accent colour: the comparison figures' first arm colour (a colour-blind-safe blue)."""


def streamlit_command(port: int, runs: Path) -> list[str]:
    """The ``streamlit run`` command that serves the dashboard on ``localhost:port`` (headless: the
    URL is printed, no browser is opened), with results in ``runs``."""
    app = resources.files("dyadsim") / "dashboard" / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
            "--server.address", "localhost", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--theme.primaryColor", PRIMARY, "--", "--runs", str(runs)]


@main.command()
@click.option("--port", type=int, default=8501, show_default=True, help="port of the page on this machine")
@click.option("--runs", "runs", type=_Path(file_okay=False, path_type=Path), default=Path("results"),
              show_default=True, help="folder the page writes results to and opens earlier results from")
def dashboard(port: int, runs: Path) -> None:
    """Start the dashboard: a page on this machine (http://localhost:PORT) to pick a programme, change a
    support, run or compare a cohort and look at the results; Ctrl-C stops it."""
    with _guarded():
        if not 1024 <= port <= 65535:
            raise InputError("command line", "--port", f"must be a whole number from 1024 to 65535, got {port}")
        if find_spec("streamlit") is None:
            raise InputError("command line", "dashboard", "needs Streamlit: run 'bash scripts/env.sh' (or "
                             "'pip install -e .') to install dyadsim with it")
        runs.mkdir(parents=True, exist_ok=True)
    click.echo(f"dyadsim dashboard: open http://localhost:{port} in a browser (results in {runs}/); "
               "Ctrl-C stops it", err=True)
    proc = subprocess.Popen(streamlit_command(port, runs.resolve()))
    try:
        code = proc.wait()
    except BaseException:  # Ctrl-C or SIGTERM (SystemExit from the executable's handler): stop the server too
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        raise
    sys.exit(0 if code in (0, -2, -15, 130) else code)

"""Start the dashboard's server in the background and wait until it answers: for the browser test and
the script that takes the README's screenshot (a person starts it with ``dyadsim dashboard``)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port on localhost that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return int(s.getsockname()[1])


def start_server(runs: Path, port: int | None = None, timeout: float = 90.0) -> tuple[subprocess.Popen, str]:
    """Run ``dyadsim dashboard --port PORT --runs RUNS`` in a new process group; (the process, its URL)
    once its health check answers.

    Raises:
        RuntimeError: the server did not answer within ``timeout`` seconds (it is stopped).
    """
    port = port or free_port()
    log = open(runs.parent / f"dashboard-{port}.log", "wb")  # noqa: SIM115 (kept open for the server's life)
    proc = subprocess.Popen([sys.executable, "-m", "dyadsim.cli.entry", "dashboard", "--port", str(port),
                             "--runs", str(runs)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=os.environ.copy())
    url = f"http://localhost:{port}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"the dashboard did not start within {timeout:.0f} s (log: {log.name})")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server :func:`start_server` started (SIGTERM, then SIGKILL after 20 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

"""How the command line ends when its reader goes away: quietly, with the status a shell reports."""
from __future__ import annotations

import os
import sys
from typing import NoReturn

CLOSED_PIPE_STATUS = 141
"""Exit status when the reader of standard output went away: 128 + SIGPIPE, as a shell reports it."""


def closed_pipe() -> NoReturn:
    """End quietly because standard output's reader has gone (``| head``), as command-line tools do.

    Standard output is pointed at the null device first, so the interpreter's last flush at exit
    cannot fail again with "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real descriptor (a test runner's captured stream)
        pass
    raise SystemExit(CLOSED_PIPE_STATUS)


def flushed(status: object) -> NoReturn:
    """Flush standard output before exiting with ``status``; a reader gone by then is a closed pipe,
    not an error (short output sits in the buffer until this flush)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        closed_pipe()
    raise SystemExit(status)

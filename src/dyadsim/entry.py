"""The ``dyadsim`` executable: takes over Ctrl-C and SIGTERM before anything heavy is imported,
so an interrupt at any moment ends quietly (exit status 130) instead of with a traceback; a
closed pipe (``dyadsim params | head``) ends quietly too (exit status 141, as for SIGPIPE)."""
from __future__ import annotations

import os
import signal
import sys
from types import FrameType
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


_stopped = False
"""Set by the early handler: an interrupt arrived while the command line was loading."""


def _quiet_exit(signum: int, frame: FrameType | None) -> None:
    global _stopped
    if not _stopped:
        sys.stderr.write("\ninterrupted: nothing was written\n")
    _stopped = True  # kept where the exception below is lost (CPython drops it inside compile())
    raise SystemExit(130)


def run() -> None:
    """Console entry point: install the early interrupt handlers, then run the command line
    (whose commands install their own, which remove partial output)."""
    signal.signal(signal.SIGINT, _quiet_exit)
    signal.signal(signal.SIGTERM, _quiet_exit)
    from .cli import main

    if _stopped:  # the interrupt came while a module was being compiled, and its exception was lost
        raise SystemExit(130)
    try:
        main()
    except SystemExit as done:  # click ends every command with SystemExit
        flushed(done.code)
    except BrokenPipeError:
        closed_pipe()
    flushed(0)


if __name__ == "__main__":
    run()

"""The ``dyadsim`` executable: takes over Ctrl-C and SIGTERM before anything heavy is imported,
so an interrupt at any moment ends quietly (exit status 130) instead of with a traceback; a
closed pipe (``dyadsim params | head``) ends quietly too (exit status 141, as for SIGPIPE)."""
from __future__ import annotations

import signal
import sys
from types import FrameType

from dyadsim.cli.exits import closed_pipe, flushed

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
    from dyadsim.cli import main

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

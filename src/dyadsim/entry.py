"""The ``dyadsim`` executable: takes over Ctrl-C and SIGTERM before anything heavy is imported,
so an interrupt at any moment ends quietly (exit status 130) instead of with a traceback."""
from __future__ import annotations

import signal
import sys
from types import FrameType


def _quiet_exit(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("\ninterrupted: nothing was written\n")
    raise SystemExit(130)


def run() -> None:
    """Console entry point: install the early interrupt handlers, then run the command line
    (whose commands install their own, which remove partial output)."""
    signal.signal(signal.SIGINT, _quiet_exit)
    signal.signal(signal.SIGTERM, _quiet_exit)
    from .cli import main

    main()


if __name__ == "__main__":
    run()

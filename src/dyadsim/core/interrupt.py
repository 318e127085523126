"""A request to stop (Ctrl-C or SIGTERM) that survives being raised where Python ignores it.

The command line's signal handler raises ``KeyboardInterrupt``; but when the signal arrives while
compiled code calls back into Python (Numba compiling through ctypes callbacks), that exception is
printed and ignored, and the run would go on to finish. So the handler also records the request
here, and long work checks it at safe points (after each chunk of dyads, before the final rename):
a requested stop is never lost.
"""
from __future__ import annotations

import threading

_requested = threading.Event()


def request() -> None:
    """Record that the user asked to stop."""
    _requested.set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a stop was requested."""
    if _requested.is_set():
        raise KeyboardInterrupt


def clear() -> None:
    """Forget an earlier request (a new command in the same process)."""
    _requested.clear()

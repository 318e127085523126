"""The command line: ``dyadsim run``, ``compare``, ``rerun``, ``summarize``, ``example``, ``graph``,
``params``, ``sensitivity``, ``trial``, ``power``, ``targets``, ``calibrate``, ``economics``, ``dashboard``.

:mod:`~dyadsim.cli.common` holds the command group and what every command shares,
:mod:`~dyadsim.cli.commands` and :mod:`~dyadsim.cli.outputs` the commands, :mod:`~dyadsim.cli.entry`
the executable. Each command parses and checks its input, then calls the same job the Python API
calls (:mod:`dyadsim.jobs`, :mod:`dyadsim.trials.run`). ``main`` (the group with every command
registered) is imported on first use, so that the executable can take over Ctrl-C first.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "main":
        for module in ("commands", "outputs", "targets", "calibrate", "economics", "dashboard"):  # each registers its commands on the group
            import_module(f".{module}", __name__)
        return import_module(".common", __name__).main
    raise AttributeError(f"module 'dyadsim.cli' has no attribute {name!r}")

"""Example scenarios shipped with the package (``dyadsim example --list``).

The files live in ``dyadsim/data/examples/`` (installed with the package); the repository's
``examples/`` folder holds the same files for the commands of the README (a test keeps the two
identical). The list is the folder's contents, never written out by hand.
"""
from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from dyadsim.core.errors import InputError


def _folder() -> Traversable:
    return resources.files("dyadsim") / "data" / "examples"


def names() -> list[str]:
    """Names of the packaged example scenarios (file names without ``.yaml``), sorted."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))


def text(name: str) -> str:
    """The YAML text of the example ``name``.

    Raises:
        InputError: no example of that name (the message lists them).
    """
    if name.endswith(".yaml"):
        name = name[:-5]
    if name not in names():
        raise InputError("command line", "NAME", f"no example {name!r}; choose one of: {', '.join(names())}")
    return (_folder() / f"{name}.yaml").read_text(encoding="utf-8")


def description(name: str) -> str:
    """The example's ``description:`` (first line), for the listing."""
    from dyadsim.core.yamlsafe import parse_yaml

    data = parse_yaml(text(name), f"{name}.yaml")
    desc = str(data.get("description", "")) if isinstance(data, dict) else ""
    return desc.strip().splitlines()[0] if desc.strip() else ""


def referenced(name: str) -> list[str]:
    """Scenario files a trial example names under ``arms:`` (relative to the trial file), in arm
    order without repeats; empty for a scenario example. Each is itself a packaged example.

    Raises:
        InputError: no example of that name.
    """
    from dyadsim.core.yamlsafe import parse_yaml

    data = parse_yaml(text(name), f"{name}.yaml")
    arms = data.get("arms") if isinstance(data, dict) else None
    files: list[str] = []
    for arm in arms if isinstance(arms, list) else []:
        ref = arm.get("scenario") if isinstance(arm, dict) else None
        if isinstance(ref, str) and ref not in files:
            files.append(ref)
    return files


def is_trial(name: str) -> bool:
    """Whether the example ``name`` is a trial file (it has ``arms:``) rather than a scenario."""
    from dyadsim.core.yamlsafe import parse_yaml

    data = parse_yaml(text(name), f"{name}.yaml")
    return isinstance(data, dict) and "arms" in data

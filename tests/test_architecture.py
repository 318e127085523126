"""The package's layers, read from the source with ``ast``: no import points up a layer, none closes a cycle.

The layers, lowest first (``docs/architecture.md``): a module may import from its own layer and
from layers below it, never from one above; ``jobs``, ``trials`` and ``calibration`` share a rank
and do not import each other, nor do the two faces ``cli`` and ``dashboard``. Every import counts, including those inside functions (they still tie the modules).
"""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PKG = SRC / "dyadsim"

RANK = {"core": 0, "model": 1, "engine": 2, "config": 3, "run": 4, "analysis": 5, "report": 6,
        "jobs": 7, "trials": 7, "calibration": 7, "economics": 7, "api": 8, "cli": 9,
        "dashboard": 9}
"""Layer of each top-level part of the package (a subpackage, or the module ``api``)."""


def _name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    p = SRC / dotted.replace(".", "/")
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def imports(path: Path) -> set[str]:
    """Modules of the package that the file at ``path`` imports (``from X import sub`` counts ``X.sub``)."""
    me = _name(path)
    pkg = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "dyadsim":
                continue
            for a in node.names:
                found.add(f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "dyadsim"}
    return found - {me}


def graph() -> nx.DiGraph:
    """The package's import graph, one node per module."""
    g = nx.DiGraph()
    for path in sorted(PKG.rglob("*.py")):
        g.add_node(_name(path))
        for target in imports(path):
            g.add_edge(_name(path), target)
    return g


def layer(module: str) -> str | None:
    """The layer of a module (None for the package root, the public facade that loads lazily)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_is_in_a_layer():
    strays = [m for m in graph() if layer(m) is not None and layer(m) not in RANK]
    assert not strays, f"modules outside the layers {sorted(RANK)}: {strays} (see docs/architecture.md)"


def test_no_import_points_up_a_layer():
    up = []
    for a, b in graph().edges:
        la, lb = layer(a), layer(b)
        if la is None or lb is None or la == lb:
            continue
        if RANK[lb] >= RANK[la]:
            up.append(f"{a} -> {b} ({la} {RANK[la]} imports {lb} {RANK[lb]})")
    assert not up, "imports that point up (or across) a layer:\n" + "\n".join(up)


def test_no_import_cycle():
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph()) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_the_checks_see_a_bad_import(tmp_path, monkeypatch):
    """The checks can fail: an upward import and a cycle planted in a copy of the tree are found."""
    import shutil

    copy = tmp_path / "src"
    shutil.copytree(PKG, copy / "dyadsim")
    monkeypatch.setattr(__import__(__name__), "SRC", copy)
    monkeypatch.setattr(__import__(__name__), "PKG", copy / "dyadsim")
    errors = copy / "dyadsim" / "core" / "errors.py"
    errors.write_text(errors.read_text(encoding="utf-8") + "\nfrom dyadsim.api import Sim  # planted\n",
                      encoding="utf-8")
    with pytest.raises(AssertionError, match="core.errors -> dyadsim.api"):
        test_no_import_points_up_a_layer()
    with pytest.raises(AssertionError, match="import cycles"):
        test_no_import_cycle()

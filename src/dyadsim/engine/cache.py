"""Where compiled and generated code is kept: one directory per version of the package source.

Compiled kernels inline code from many files (modules, layout, rng) and the lane engine's code is
generated from the modules' source, so the on-disk Numba cache and the generated source file are
kept per hash of the whole package and never reused across edits. Imported by
:mod:`dyadsim.engine` before anything is compiled, so every cached function uses this directory.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba


def compiled_sources() -> list[Path]:
    """The files the compiled and generated code depends on: the ground layer (random numbers,
    registry, units), the whole model (states, graph, forms, every mechanism module), the engine and
    the shipped data. Any edit to one of them gives a new hash, hence new generated code and a new
    Numba cache."""
    root = Path(__file__).resolve().parent.parent
    files = sorted((root / "core").glob("*.py")) + sorted((root / "model").rglob("*.py"))
    files += sorted((root / "engine").glob("*.py")) + sorted((root / "data").rglob("*.yaml"))
    return [f for f in files if f.is_file()]


def source_hash() -> str:
    """Hash of the package's code and data that compiled or generated code depends on."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for f in compiled_sources():
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


SOURCE_HASH = source_hash()

def _prefer_wide_vectors() -> None:
    """Let LLVM use 512-bit vectors where the CPU has AVX-512 (it prefers 256 bits by default).

    The lane loops are throughput-bound on ``vexp`` and divisions: 8 doubles per instruction
    instead of 4 measured about 2x faster on this project's machines. A tuning choice only (the
    same IEEE operations), applied before anything is compiled, unless ``NUMBA_CPU_FEATURES`` is
    set by the user; it is part of Numba's cache key, so caches stay consistent.
    """
    if os.environ.get("NUMBA_CPU_FEATURES") or numba.config.CPU_FEATURES:
        return
    import llvmlite.binding as llb

    try:
        features = llb.get_host_cpu_features()
    except RuntimeError:  # host features unavailable on this platform
        return
    if features.get("avx512f"):
        numba.config.CPU_FEATURES = features.flatten() + ",-prefer-256-bit"


_prefer_wide_vectors()

if not os.environ.get("NUMBA_CACHE_DIR"):
    numba.config.CACHE_DIR = str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                 / "dyadsim" / f"numba-{SOURCE_HASH}")


_ENTRY_POINTS = {"numba": "{gen}.simulate_block-", "numba_fast": "{gen}.simulate_block_fast-",
                 "numba_dyad": "kernel.simulate_block-"}
"""Prefix of the Numba cache index file (``*.nbi``) of each compiled engine's top function."""
COMPILE_NOTICE = ("compiling the engine, once per version of dyadsim (measured about 1 minute on 2 cores); "
                  "later runs load it from {where}")
"""Message shown before a run whose engine is not compiled yet (measured on a 2-core machine: a
first ``dyadsim run`` of 100 dyads took 55-58 s of wall time, the same run about 14 s once compiled)."""


def is_cold(kind: str) -> bool:
    """Whether the engine ``kind`` has no compiled code cached for this version of the source.

    Numba writes an index file (``<module>.<function>-<line>.py<ver>.nbi``) next to the compiled
    code of every cached function; the engine's top function is compiled last and pulls in all the
    others, so its index is missing exactly when a run must compile first. The NumPy reference
    engine compiles nothing.
    """
    entry = _ENTRY_POINTS.get(kind)
    if entry is None or not numba.config.CACHE_DIR:
        return False
    prefix = entry.format(gen=f"dyadsim_generated_{SOURCE_HASH}")
    base = Path(numba.config.CACHE_DIR)
    return not any(base.glob(f"*/{prefix}*.nbi"))


def compile_notice(kind: str) -> str | None:
    """The message to show before a run that must compile the engine first, or None."""
    return COMPILE_NOTICE.format(where=numba.config.CACHE_DIR) if is_cold(kind) else None


def generated_dir() -> Path:
    """Directory for generated source files (inside the Numba cache directory of this version)."""
    base = Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else \
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dyadsim" / f"numba-{SOURCE_HASH}"
    d = base / "generated"
    d.mkdir(parents=True, exist_ok=True)
    return d

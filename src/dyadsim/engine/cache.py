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


def source_hash() -> str:
    """Hash of the package's code and data that compiled or generated code depends on."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    compiled = [root / n for n in ("rng.py", "states.py", "registry.py", "graph.py")]
    compiled += sorted((root / "modules").glob("*.py")) + sorted((root / "engine").glob("*.py"))
    compiled += sorted((root / "data").glob("*.yaml"))
    for f in compiled:
        if f.is_file():
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


def generated_dir() -> Path:
    """Directory for generated source files (inside the Numba cache directory of this version)."""
    base = Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else \
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dyadsim" / f"numba-{SOURCE_HASH}"
    d = base / "generated"
    d.mkdir(parents=True, exist_ok=True)
    return d

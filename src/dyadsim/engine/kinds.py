"""The engines a scenario can ask for, named once (scenario files, the engine runner and the
compile cache all read them from here)."""
from __future__ import annotations

from typing import Literal, get_args

Engine = Literal["numba", "numba_fast", "numba_dyad", "numpy"]
"""``numba``: lanes, exact (default); ``numba_fast``: lanes in float32 with fastmath step loops (close
in law, not bit-identical; never for published numbers); ``numba_dyad``: the previous engine, one dyad at a
time (for comparison); ``numpy``: the plain-NumPy reference. The exact engines agree bit for bit."""

ENGINES: tuple[str, ...] = get_args(Engine)
"""Every engine name, in the order above."""

COMPILED: tuple[str, ...] = ("numba", "numba_fast", "numba_dyad")
"""The engines compiled by Numba (cached on disk; the first run of a version compiles them)."""

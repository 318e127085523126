"""Engines that run the daily model: Numba lanes (default), Numba one dyad at a time, and plain
NumPy (reference). Importing the package first fixes the cache directory (:mod:`.cache`)."""
from dyadsim.engine import cache as _cache  # noqa: F401  (sets numba.config.CACHE_DIR before any compilation)

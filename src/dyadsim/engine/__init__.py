"""Engines that run the daily model: Numba (fast, default) and plain NumPy (reference)."""

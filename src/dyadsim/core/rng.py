"""Counter-based random numbers: common random numbers by construction.

Every random decision has its own named stream (declared by the module that draws it). The
uniform number for stream ``k``, dyad ``i`` and day ``t`` is a hash of ``(key_k, i, t)``, where
``key_k`` is derived from the run seed and the stream's *name*. Hence:

* a dyad's numbers depend only on its id, never on how many dyads run, how they are split into
  blocks or how many threads run them (adding a dyad changes no other dyad's history);
* two scenarios with the same seed see the same numbers for every decision, so they differ only
  by what was changed (common random numbers);
* adding a new stream does not change the numbers of existing streams.

The mixer is SplitMix64's finaliser applied twice (Steele, Lea & Flood 2014); the top 53 bits
give a double in [0, 1). ``uniform`` is plain NumPy and is also compiled by Numba.
"""
from __future__ import annotations

import hashlib

import numpy as np

_G = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S11 = np.uint64(11)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_INV53 = 1.0 / 9007199254740992.0


def uniform(key: np.uint64, dyad: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Uniform in [0, 1) for (stream key, dyad id, day); all arguments uint64 (scalars or arrays)."""
    x = key ^ (dyad * _G) ^ (day * _M1)
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    x = x ^ (x >> _S31)
    x = x + _G
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    x = x ^ (x >> _S31)
    return (x >> _S11) * _INV53


def stream_key(seed: int, name: str) -> np.uint64:
    """64-bit key of a named stream for a run seed (stable across platforms and versions)."""
    digest = hashlib.blake2b(f"{int(seed)}/{name}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def stream_keys(seed: int, names: list[str]) -> np.ndarray:
    """Keys of several named streams, as a uint64 array in the given order."""
    return np.array([stream_key(seed, n) for n in names], dtype=np.uint64)


def uniforms(seed: int, name: str, dyad_ids: np.ndarray, day: int = 0) -> np.ndarray:
    """Vector of uniforms of one named stream for the given dyad ids on one day (NumPy)."""
    with np.errstate(over="ignore"):
        return uniform(stream_key(seed, name), dyad_ids.astype(np.uint64), np.uint64(day))


def normals(seed: int, name: str, dyad_ids: np.ndarray) -> np.ndarray:
    """Standard normal draws per dyad (Box-Muller on two days of one named stream)."""
    u1 = uniforms(seed, name, dyad_ids, 0)
    u2 = uniforms(seed, name, dyad_ids, 1)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)

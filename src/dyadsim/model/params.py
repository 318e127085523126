"""One validated parameter set, read and written by dotted name.

Module parameters are named ``module.name`` (``use_cycle.cue_prob``, ``tau.craving``); edges of
the mechanism graph are ``links.<edge>.strength`` and ``links.<edge>.enabled``. Calibration,
sensitivity analysis, trials and scenarios all set parameters through :meth:`ParamSet.set`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dyadsim.model import modules  # noqa: F401  (registers every module's parameters)
from dyadsim.model.graph import EDGE_IDS, GRAPH, signed_strengths
from dyadsim.core.registry import PARAMS

_EDGES = {e.id: e for e in GRAPH.edges}


class ParamSet:
    """Values of every parameter and edge; defaults unless set."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {k: p.default for k, p in PARAMS.items()}
        self.strengths: dict[str, float] = {e.id: e.strength for e in GRAPH.edges}
        self.enabled: dict[str, bool] = {e.id: True for e in GRAPH.edges}

    def copy(self) -> "ParamSet":
        """An independent copy."""
        other = ParamSet()
        other.values = dict(self.values)
        other.strengths = dict(self.strengths)
        other.enabled = dict(self.enabled)
        return other

    @staticmethod
    def names() -> list[str]:
        """Every settable dotted name."""
        return list(PARAMS) + [f"links.{e}.{f}" for e in EDGE_IDS for f in ("strength", "enabled")]

    def get(self, name: str) -> Any:
        """Value of a dotted name (``module.param`` or ``links.edge.strength|enabled``)."""
        if name in self.values:
            return self.values[name]
        edge, field = self._edge_field(name)
        return self.strengths[edge] if field == "strength" else self.enabled[edge]

    def set(self, name: str, value: Any) -> None:
        """Set a dotted name, checking type and plausible range.

        Raises:
            KeyError: unknown name. ValueError: wrong type or outside the declared range.
        """
        if name in PARAMS:
            par = PARAMS[name]
            v = _as_float(name, value)
            if not par.low <= v <= par.high:
                raise ValueError(f"{name} = {v} is outside its plausible range [{par.low}, {par.high}] ({par.unit})")
            self.values[name] = v
            return
        edge, field = self._edge_field(name)
        if field == "enabled":
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false, got {value!r}")
            self.enabled[edge] = value
            return
        v = _as_float(name, value)
        lo, hi = _EDGES[edge].range
        if not lo <= v <= hi and not (v == 0.0):
            raise ValueError(f"{name} = {v} is outside its plausible range [{lo}, {hi}] (or 0 to switch it off)")
        self.strengths[edge] = v

    @staticmethod
    def _edge_field(name: str) -> tuple[str, str]:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "links" and parts[1] in _EDGES and parts[2] in ("strength", "enabled"):
            return parts[1], parts[2]
        raise KeyError(f"unknown parameter {name!r}; see 'dyadsim params' for the list")

    def to_vector(self, names: Sequence[str] | None = None) -> np.ndarray:
        """Values of ``names`` (default: every name of :meth:`names`) as floats (switches 0 or 1)."""
        return np.array([float(self.get(n)) for n in (names if names is not None else self.names())], dtype=np.float64)

    def from_vector(self, x: Sequence[float] | np.ndarray, names: Sequence[str] | None = None) -> "ParamSet":
        """A copy with ``names`` (default: every name) set to the values ``x``, each checked as by
        :meth:`set` (an edge's ``enabled`` takes 0 or 1)."""
        names = list(names) if names is not None else self.names()
        x = np.asarray(x, dtype=np.float64).ravel()
        if len(x) != len(names):
            raise ValueError(f"{len(names)} names but {len(x)} values")
        return self.with_values(dict(zip(names, x.tolist())))

    def with_values(self, values: Mapping[str, Any]) -> "ParamSet":
        """A copy with the dotted names in ``values`` set (checked as by :meth:`set`)."""
        other = self.copy()
        for name, v in values.items():
            if name.endswith(".enabled") and not isinstance(v, bool) and v in (0, 1, 0.0, 1.0):
                v = bool(v)
            other.set(name, v)
        return other

    def vector(self) -> np.ndarray:
        """The parameter vector ``p`` read by the modules."""
        return np.array([self.values[k] for k in PARAMS], dtype=np.float64)

    def link_vector(self) -> np.ndarray:
        """The signed edge-strength vector ``w`` read by the modules."""
        return signed_strengths(self.strengths, self.enabled)

    def as_dict(self) -> dict[str, Any]:
        """Every value by dotted name (for manifests)."""
        out: dict[str, Any] = dict(self.values)
        for e in EDGE_IDS:
            out[f"links.{e}.strength"] = self.strengths[e]
            out[f"links.{e}.enabled"] = self.enabled[e]
        return out


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v

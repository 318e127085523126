"""One parameter space: every module parameter and every edge of the mechanism graph, by name.

Calibration, sensitivity analysis, uncertainty draws and trials all address the model through
this space. Each dimension carries its prior (a distribution bounded by the plausible range, on a
log or linear scale), a *kind* and a *group*:

* kind ``mechanism``: how a mechanism works (rates, coefficients, time constants, edge
  strengths); ``population``: how much mothers differ (standard deviations of the random
  effects); ``setting``: an intervention or care setting a scenario chooses (never drawn);
  ``switch``: an on/off flag (an intervention component, a support, an edge's ``enabled``).
* group: the module that declares the parameter (``use_cycle``, ``tau`` for time constants) or
  ``links`` for edge strengths and switches.

Samplers work on the unit cube and map to values with :meth:`Space.from_unit` (the inverse CDF
of each prior), so log-uniform priors are honoured whatever the sampler. ``Space.select`` gives
the subsets users name: ``all``, ``assumed`` (every drawn dimension whose value no published
figure backs), ``module:NAME``, ``kind:KIND`` or a list of names.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dyadsim.model import modules  # noqa: F401  (registers every module's parameters)
from dyadsim.core.errors import InputError
from dyadsim.model.graph import GRAPH
from dyadsim.core.registry import PARAM_MODULE, PARAMS
from dyadsim.config.scenario import SHADOWED

KINDS: tuple[str, ...] = ("mechanism", "population", "setting", "switch")
"""Kinds of dimension (see the module doc)."""
_POPULATION_MODULES = ("individual",)
"""Modules whose parameters say how mothers differ (random-effect SDs; see ``modules/individual.py``)."""
_POPULATION_EXTRA = ("parenting.disposition_sd",)
"""Random-effect SDs declared beside their mechanism rather than in ``individual``: the caregiving
disposition is drawn and scaled in ``modules/parenting.py`` (its doc says so)."""


@dataclass(frozen=True)
class Dimension:
    """One named dimension of the parameter space.

    Attributes:
        name: dotted name (``use_cycle.cue_prob``, ``links.craving_use.strength``).
        default: default value (unit ``unit``).
        low, high: plausible range; every prior is bounded by it.
        prior: ``uniform``, ``loguniform`` or ``fixed`` (never drawn).
        kind: one of :data:`KINDS`.
        group: declaring module, or ``links`` for edges.
        unit: unit of the value.
        source: citation, seed section or ``assumed ...``.
    """

    name: str
    default: float
    low: float
    high: float
    prior: str
    kind: str
    group: str
    unit: str
    source: str

    @property
    def assumed(self) -> bool:
        """True when no published figure backs the value."""
        return self.source.strip().lower().startswith("assumed")

    @property
    def scale(self) -> str:
        """``log`` for log-uniform priors, else ``linear``."""
        return "log" if self.prior == "loguniform" else "linear"

    @property
    def drawn(self) -> bool:
        """True when samplers vary this dimension (its prior is not ``fixed``)."""
        return self.prior != "fixed"

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Values at prior quantiles ``u`` in [0, 1] (the inverse CDF; the default for ``fixed``)."""
        u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        if self.prior == "fixed":
            return np.full_like(u, self.default)
        if self.prior == "loguniform":
            lo, hi = np.log(self.low), np.log(self.high)
            # exp(log(x)) can miss the bounds by an ulp: clip so a draw always passes validation.
            return np.clip(np.exp(lo + u * (hi - lo)), self.low, self.high)
        # low + u * (high - low) can exceed high by an ulp at u = 1 (0.3 + 1.0 * 0.6 = 0.9000000000000001):
        # clip so every sample lies in the declared range and passes validation.
        return np.clip(self.low + u * (self.high - self.low), self.low, self.high)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """Prior quantiles of values ``x`` (the CDF; 0.5 for ``fixed``)."""
        x = np.asarray(x, dtype=np.float64)
        if self.prior == "fixed":
            return np.full_like(x, 0.5)
        if self.prior == "loguniform":
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (x - self.low) / (self.high - self.low)


def _param_kind(name: str) -> str:
    par = PARAMS[name]
    if par.kind != "mechanism":
        return par.kind
    if name in SHADOWED:  # settings that scenario fields control
        return "switch" if par.unit == "flag" else "setting"
    if PARAM_MODULE[name] in _POPULATION_MODULES or name in _POPULATION_EXTRA:
        return "population"
    return "mechanism"


def _build() -> dict[str, Dimension]:
    dims: dict[str, Dimension] = {}
    for name, par in PARAMS.items():
        kind = _param_kind(name)
        prior = "fixed" if kind in ("setting", "switch") else par.prior_dist
        dims[name] = Dimension(name, par.default, par.low, par.high, prior, kind, PARAM_MODULE[name], par.unit,
                               par.source)
    for e in GRAPH.edges:
        lo, hi = e.range
        dims[f"links.{e.id}.strength"] = Dimension(f"links.{e.id}.strength", e.strength, lo, hi, e.prior_dist,
                                                   "mechanism", "links", e.unit, e.strength_source)
    for e in GRAPH.edges:
        dims[f"links.{e.id}.enabled"] = Dimension(f"links.{e.id}.enabled", 1.0, 0.0, 1.0, "fixed", "switch",
                                                  "links", "flag", "scenario setting")
    return dims


class Space:
    """An ordered set of :class:`Dimension` (see the module doc)."""

    def __init__(self, dims: Sequence[Dimension]) -> None:
        self._dims: dict[str, Dimension] = {d.name: d for d in dims}

    def __len__(self) -> int:
        return len(self._dims)

    def __iter__(self) -> Iterator[Dimension]:
        return iter(self._dims.values())

    def __contains__(self, name: object) -> bool:
        return name in self._dims

    def __getitem__(self, name: str) -> Dimension:
        return self._dims[name]

    def __repr__(self) -> str:
        return f"Space({len(self)} dimensions)"

    @property
    def names(self) -> list[str]:
        """Dotted names, in order."""
        return list(self._dims)

    @property
    def groups(self) -> list[str]:
        """Group of each dimension, in order."""
        return [d.group for d in self]

    def select(self, spec: str | Sequence[str], option: str = "--params") -> "Space":
        """The sub-space a user names.

        Args:
            spec: ``all`` (every drawn dimension), ``assumed`` (drawn and assumed),
                ``module:NAME`` (drawn dimensions of one group), ``kind:KIND`` (drawn dimensions of one
                kind), or names (a comma-separated string or a list; any dimension, fixed ones too).
            option: how the caller calls the spec, for error messages.

        Raises:
            InputError: an unknown name, group or kind, or an empty selection.
        """
        if isinstance(spec, str):
            key = spec.strip()
            drawn = [d for d in self if d.drawn]
            if key == "all":
                return Space(drawn)
            if key == "assumed":
                return Space([d for d in drawn if d.assumed])
            if key.startswith("module:"):
                group = key.split(":", 1)[1]
                groups = sorted({d.group for d in self})
                if group not in groups:
                    raise InputError("command line", option, f"unknown module {group!r}; one of {', '.join(groups)}")
                out = [d for d in drawn if d.group == group]
                if not out:
                    raise InputError("command line", option, f"module {group!r} has no parameter with a prior to draw")
                return Space(out)
            if key.startswith("kind:"):
                kind = key.split(":", 1)[1]
                if kind not in KINDS:
                    raise InputError("command line", option, f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
                return Space([d for d in drawn if d.kind == kind])
            names = [n.strip() for n in key.split(",") if n.strip()]
        else:
            names = list(spec)
        if not names:
            raise InputError("command line", option, "give all, assumed, module:NAME, kind:KIND or parameter names")
        unknown = [n for n in names if n not in self._dims]
        if unknown:
            raise InputError("command line", option, f"unknown parameter {unknown[0]!r}; see 'dyadsim params'")
        if len(set(names)) != len(names):
            raise InputError("command line", option, "a parameter is named twice")
        return Space([self._dims[n] for n in names])

    def defaults(self) -> np.ndarray:
        """Default values, in order."""
        return np.array([d.default for d in self], dtype=np.float64)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Values (n, d) at prior quantiles ``u`` (n, d) in [0, 1]."""
        u = np.atleast_2d(np.asarray(u, dtype=np.float64))
        if u.shape[1] != len(self):
            raise ValueError(f"expected {len(self)} columns, got {u.shape[1]}")
        return np.column_stack([d.from_unit(u[:, j]) for j, d in enumerate(self)]) if len(self) else u

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        """Prior quantiles (n, d) of values ``x`` (n, d)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        return np.column_stack([d.to_unit(x[:, j]) for j, d in enumerate(self)]) if len(self) else x

    def sample_prior(self, n: int, seed: int) -> np.ndarray:
        """``n`` independent draws (n, d) from the priors, reproducible for ``seed``."""
        u = np.random.default_rng(np.random.SeedSequence([int(seed), 0x5ACE])).random((n, len(self)))
        return self.from_unit(u)

    def salib_problem(self, unit: bool = False, groups: bool = False) -> dict[str, Any]:
        """The SALib problem of this space.

        With ``unit`` the bounds are [0, 1] for every dimension (sample there, then map with
        :meth:`from_unit`); otherwise the plausible ranges with SALib's ``unif``/``logunif`` dists.
        With ``groups`` the problem carries each dimension's group (module), which makes SALib
        analyse groups instead of single parameters; leave it out to screen each parameter.
        """
        dims = list(self)
        if unit:
            prob: dict[str, Any] = {"num_vars": len(dims), "names": self.names, "bounds": [[0.0, 1.0] for _ in dims]}
        else:
            prob = {"num_vars": len(dims), "names": self.names,
                    "bounds": [[d.low, d.high] if d.drawn else [d.default, d.default] for d in dims],
                    "dists": ["logunif" if d.prior == "loguniform" else "unif" for d in dims]}
        if groups:
            prob["groups"] = self.groups
        return prob

    def to_frame(self) -> Any:
        """One row per dimension: name, default, low, high, prior, scale, kind, group, unit, assumed, source."""
        import pandas as pd

        return pd.DataFrame([{"name": d.name, "default": d.default, "low": d.low, "high": d.high, "prior": d.prior,
                              "scale": d.scale, "kind": d.kind, "group": d.group, "unit": d.unit,
                              "assumed": d.assumed, "source": d.source} for d in self])

    def frame(self, x: np.ndarray) -> Any:
        """Parameter sets as a DataFrame: one row per set, one column per dimension."""
        import pandas as pd

        return pd.DataFrame(np.atleast_2d(x), columns=self.names)


SPACE = Space(list(_build().values()))
"""Every module parameter and edge of the model."""

"""Parameter uncertainty in every result: one parameter draw per replicate.

With ``--parameter-draws K`` a run (or a comparison) has K replicates, and replicate ``r`` runs
with its own parameter set drawn from the priors (the posterior, once calibration provides one)
on its own seed. The spread of the replicate means then carries both parameter and Monte Carlo
(stochastic) uncertainty, and the interval printed is the 2.5th to 97.5th percentile of the
replicate means (:mod:`dyadsim.core.intervals`, kind ``parameter``, labelled ``parameter + Monte Carlo
95%``), not the t interval of their mean: the
question is where the outcome lies given what is unknown, not how precisely the mean over the
prior is estimated. In a comparison every scenario uses the same draw in replicate ``r`` (and the
same seed), so differences are paired within draws.

Which parameters are drawn is a selection of :data:`dyadsim.config.space.SPACE` (default ``assumed``:
every drawn dimension that no published figure backs); values a scenario sets itself
(``parameters:``, ``links:``) are never drawn over.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dyadsim.core.errors import InputError
from dyadsim.model.params import ParamSet
from dyadsim.config.scenario import Scenario

DEFAULT_DRAWS = 20
"""Parameter draws of ``--parameters prior|posterior`` without ``--parameter-draws``."""
MAX_DRAWS = 10_000
"""Most parameter draws a run accepts (each is a replicate)."""


@dataclass(frozen=True)
class ParameterDraws:
    """Parameter sets for the replicates of a run, one row each.

    Attributes:
        names: dotted names drawn (columns of ``values``).
        values: (K, len(names)) values.
        seed: seed of the draws (recorded; the same seed gives the same draws).
        select: the selection the names came from (``assumed``, ``module:NAME`` ...).
        source: ``prior`` (or ``posterior`` once calibration provides one).
    """

    names: list[str]
    values: np.ndarray
    seed: int
    select: str
    source: str = "prior"
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def apply(self, params: ParamSet, replicate: int) -> ParamSet:
        """``params`` with replicate ``replicate``'s draw set."""
        return params.from_vector(self.values[replicate], self.names)

    def manifest(self) -> dict[str, Any]:
        """What a manifest records: enough to redraw and to check."""
        return {"draws": len(self), "seed": self.seed, "select": self.select, "source": self.source,
                "names": self.names, "values": self.values.tolist(), **({"meta": self.meta} if self.meta else {})}


SOURCES = ("prior", "posterior")
"""Where parameter draws come from: the priors, or the shipped posterior ensemble."""


def draw_parameters(k: int, seed: int, select: str = "assumed", scenarios: tuple[Scenario, ...] = (),
                    source: str = "prior") -> ParameterDraws:
    """``k`` parameter sets drawn from the priors of the selection (``source="prior"``) or ``k``
    members of the shipped posterior ensemble (``"posterior"``: :mod:`dyadsim.config.posterior`;
    the selection does not apply, the ensemble's parameters are drawn), reproducible for ``seed``.

    Values that any of ``scenarios`` sets itself (under ``parameters:`` or ``links:``) are left out.

    Raises:
        InputError: ``k`` out of range or an unknown selection (naming ``--parameter-draws`` or
            ``--draw-params``).
    """
    from dyadsim.config.space import SPACE

    if not 2 <= k <= MAX_DRAWS:
        raise InputError("command line", "--parameter-draws",
                         f"must be a whole number from 2 to {MAX_DRAWS} (one replicate each), got {k}")
    if source not in SOURCES:
        raise InputError("command line", "--parameters", f"must be point, {' or '.join(SOURCES)}, got {source!r}")
    fixed: set[str] = set()
    for scn in scenarios:
        fixed |= set(scn.parameters)
        fixed |= {f"links.{e}.strength" for e, cfg in scn.links.items() if cfg.strength is not None}
    if source == "posterior":
        from dyadsim.config.posterior import load_ensemble, posterior_members

        names, values, members = posterior_members(k, seed, fixed)
        meta = load_ensemble()[1]
        return ParameterDraws(names, values, seed, "posterior ensemble", "posterior",
                              {"members": members, "targets_hash": meta.get("targets_hash"),
                               "version": meta.get("version")})
    space = SPACE.select(select, "--draw-params")
    space = space.select([n for n in space.names if n not in fixed], "--draw-params") if fixed else space
    return ParameterDraws(space.names, space.sample_prior(k, seed), seed, select)

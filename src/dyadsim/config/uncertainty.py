"""Parameter uncertainty in every result: one parameter draw per replicate.

By default (``--parameters posterior``) a run (or a comparison) has K replicates (``--parameter-draws
K`` or ``--replicates K``, else :data:`DEFAULT_DRAWS`), and replicate ``r`` runs with its own
member of the shipped posterior ensemble (:mod:`dyadsim.config.posterior`) on its own seed;
``--parameters prior`` draws the sets from the priors instead, ``--parameters point`` runs every
replicate at the parameters' values (Monte Carlo uncertainty only). The spread of the replicate means then carries both parameter and Monte Carlo
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
"""Parameter draws of ``--parameters prior|posterior`` without ``--parameter-draws`` or ``--replicates``."""
DEFAULT_SOURCE = "posterior"
"""Where the parameters of ``run``, ``compare``, ``sensitivity``, ``trial`` and ``power`` come from
unless ``--parameters`` says otherwise: the shipped posterior ensemble."""
PARAMETER_SOURCES = ("point", "prior", "posterior")
"""What ``--parameters`` allows: the point values (defaults), draws from the priors, or members of
the shipped posterior ensemble."""
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
                    source: str = "prior", at_least: int = 2) -> ParameterDraws:
    """``k`` parameter sets drawn from the priors of the selection (``source="prior"``) or ``k``
    members of the shipped posterior ensemble (``"posterior"``: :mod:`dyadsim.config.posterior`;
    the selection does not apply, the ensemble's parameters are drawn), reproducible for ``seed``.

    Values that any of ``scenarios`` sets itself (under ``parameters:`` or ``links:``) are left out.
    ``at_least``: the fewest sets allowed (2 where they are a run's replicates and make its interval;
    1 for a single simulated trial).

    Raises:
        InputError: ``k`` out of range or an unknown selection (naming ``--parameter-draws`` or
            ``--draw-params``).
    """
    from dyadsim.config.space import SPACE

    if not at_least <= k <= MAX_DRAWS:
        raise InputError("command line", "--parameter-draws",
                         f"must be a whole number from {at_least} to {MAX_DRAWS} (one replicate each), got {k}")
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


def draws_sets(source: str, k: int | None) -> bool:
    """Whether ``--parameters source`` draws parameter sets (False for ``point``).

    Raises:
        InputError: an unknown source, or ``--parameter-draws`` with ``point``.
    """
    if source not in PARAMETER_SOURCES:
        raise InputError("command line", "--parameters", f"must be {', '.join(PARAMETER_SOURCES)}, got {source!r}")
    if source == "point" and k is not None:
        raise InputError("command line", "--parameter-draws", "draws parameter sets: give it with "
                         "--parameters prior or posterior, not point")
    return source != "point"


def resolve_draws(source: str, k: int | None, replicates: int | None, select: str, seed: int,
                  scenarios: tuple[Scenario, ...] = ()) -> ParameterDraws | None:
    """The parameter sets a command's ``--parameters``, ``--parameter-draws K`` and ``--replicates``
    ask for: None for ``point`` (the replicates run at the parameters' values), else one set per
    replicate, ``K`` of them (or ``--replicates``, else :data:`DEFAULT_DRAWS`), drawn for ``seed``.

    Raises:
        InputError: ``--parameter-draws`` with ``point`` or with ``--replicates``; a ``--draw-params``
            selection with the posterior (the ensemble fixes which parameters it holds).
    """
    if not draws_sets(source, k):
        return None
    if k is not None and replicates is not None:
        raise InputError("command line", "--parameter-draws", "give --parameter-draws or --replicates, not both "
                         "(each parameter draw is one replicate)")
    if source == "posterior" and select != "assumed":
        raise InputError("command line", "--draw-params", "applies to --parameters prior; the posterior ensemble "
                         "draws the parameters it calibrated")
    # --replicates 1 runs one member (the summary warns that one replicate gives no interval);
    # --parameter-draws asks for an interval over the sets, so it needs two.
    return draw_parameters(k or replicates or DEFAULT_DRAWS, seed, select, scenarios, source,
                           at_least=2 if k is not None else 1)

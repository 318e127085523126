"""Parameter sets for ``dyadsim trial`` and ``dyadsim power``: the calibrated posterior (the
default), draws from the priors, or the parameters' point values.

A trial runs on one parameter set, chosen for its seed; a power analysis on ``K`` sets
(``--parameter-draws``, default :data:`dyadsim.config.uncertainty.DEFAULT_DRAWS`), each with pools
of its own, every arm of a set on the same dyads and random numbers (common random numbers across
arms within a set). Replicate trial ``r`` draws from set ``r mod K``, so the power printed is
averaged over the sets: the probability that the trial succeeds given what is known of the
parameters (its assurance, O'Hagan et al. 2005), not its power at one guess of them. Parameters a
trial's scenarios set themselves are never drawn over.
"""
from __future__ import annotations

from typing import Any

from dyadsim.config.uncertainty import DEFAULT_DRAWS, ParameterDraws, draw_parameters, draws_sets
from dyadsim.run.evaluate import ScenarioSpec


def trial_draws(specs: list[ScenarioSpec], source: str, k: int | None, seed: int) -> ParameterDraws | None:
    """``k`` parameter sets (``None``: :data:`DEFAULT_DRAWS`) from ``source`` for the arms ``specs``,
    seeded by ``seed``; None for ``point``.

    Raises:
        InputError: an unknown source, or ``--parameter-draws`` with ``point``.
    """
    if not draws_sets(source, k):
        return None
    return draw_parameters(k or DEFAULT_DRAWS, seed, "assumed", tuple(s.scenario for s in specs), source, at_least=1)


def draw_values(draws: ParameterDraws | None, i: int) -> dict[str, float] | None:
    """Set ``i`` of ``draws`` as ``{name: value}`` (None without draws)."""
    if draws is None:
        return None
    return {n: float(v) for n, v in zip(draws.names, draws.values[i])}


def describe_set(draws: ParameterDraws | None, i: int = 0) -> str:
    """One line on the parameter set ``i`` a trial ran on."""
    if draws is None:
        return "the parameters' point values (no parameter uncertainty)"
    members = draws.meta.get("members")
    if draws.source == "posterior" and members:
        return f"member {members[i]} of the calibrated posterior ensemble"
    return f"draw {i} from the priors ({draws.select}, seed {draws.seed})"


def record(draws: ParameterDraws | None) -> dict[str, Any]:
    """What a manifest records of the sets (``source`` ``point`` when there are none)."""
    return {"source": "point"} if draws is None else draws.manifest()

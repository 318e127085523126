"""How much of the model is grounded in published figures: the plain sentence every summary and
report carries until a calibrated posterior ships.

The count is taken from the parameter space (:data:`dyadsim.config.space.SPACE`), never written by hand:
every value and edge strength except the edges' on/off switches, and of those the ones whose
source is the word *assumed* (no published figure backs the value).
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def assumed_counts() -> tuple[int, int]:
    """``(assumed, total)``: parameters and edge strengths whose value is assumed, and all of them
    (the edges' ``enabled`` switches are structure, not values, and are not counted)."""
    from dyadsim.config.space import SPACE

    dims = [d for d in SPACE if not d.name.endswith(".enabled")]
    return sum(d.assumed for d in dims), len(dims)


def calibration_notice() -> str:
    """One plain sentence: the model is not yet calibrated, with the count of assumed parameters."""
    assumed, total = assumed_counts()
    return (f"Not yet calibrated: {assumed} of {total} parameters are assumed (no published figure backs "
            "them), so every number here is the model's guess, not an estimate for real dyads.")

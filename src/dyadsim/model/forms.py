"""The functional forms the mechanism modules share, written once.

Each is a plain elementwise function (``register_jitable``), so the code generator inlines it into
the compiled steps (:mod:`dyadsim.engine.lower`) and the NumPy reference runs it as it is: the
engines still agree bit for bit, and the generated arithmetic is the same as when the form was
written out inline.
"""
from __future__ import annotations

import numpy as np
from numba.extending import register_jitable


@register_jitable
def logistic(x):  # type: ignore[no-untyped-def]
    """The logistic function ``1 / (1 + exp(-x))`` of a log-odds ``x`` (a probability or a 0-1 level).

    ``exp`` overflows to inf for ``x`` below about -709, giving exactly 0 (the models rely on it)."""
    return 1.0 / (1.0 + np.exp(-x))


@register_jitable
def relax(x, target, tau):  # type: ignore[no-untyped-def]
    """One day of first-order relaxation of a state ``x`` toward ``target`` with time constant ``tau``
    (days): ``x + (target - x) / tau``; after ``tau`` days about 63% of a constant gap has closed."""
    return x + (target - x) / tau


@register_jitable
def daily_probability(hazard):  # type: ignore[no-untyped-def]
    """Probability of at least one event in a day at a constant ``hazard`` (events per day):
    ``1 - exp(-hazard)``; about equal to the hazard when it is small."""
    return 1.0 - np.exp(-hazard)

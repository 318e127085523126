"""dyadsim: a simulator of opioid-exposed mother-infant dyads from pregnancy to the postpartum years.

It implements the integrated mechanistic model of perinatal opioid use, parenting, infant
attachment and child well-being of Reese, Conradt, Riquino & Garland 2021 (Front. Psychol.
12:688359), in the eco-social context of postpartum recovery (Allen et al. 2023; Martin et al.
2021/22). It is a tool for reasoning and trial planning, never a prediction for one real person.

Quick use::

    from dyadsim import load_scenario, run_scenario
    scn, params, pop = load_scenario("examples/usual_care.yaml")
    result = run_scenario(scn, params, pop, dyads=500, replicates=2)
    print(result.summary)
"""
from __future__ import annotations

__version__ = "0.1.0"

from .params import ParamSet  # noqa: E402
from .runner import RunResult, run_scenario  # noqa: E402
from .scenario import Scenario, load_scenario  # noqa: E402

__all__ = ["ParamSet", "RunResult", "Scenario", "load_scenario", "run_scenario", "__version__"]

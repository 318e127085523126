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

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# The public names are imported on first use, so that ``import dyadsim.cli`` (the command line)
# starts quickly and can take over Ctrl-C before the numerical libraries load.
_LAZY = {"ParamSet": "params", "RunResult": "runner", "run_scenario": "runner", "Scenario": "scenario",
         "load_scenario": "scenario"}

__all__ = ["ParamSet", "RunResult", "Scenario", "load_scenario", "run_scenario", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'dyadsim' has no attribute {name!r}")

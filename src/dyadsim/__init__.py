"""dyadsim: a simulator of opioid-exposed mother-infant dyads from pregnancy to the postpartum years.

It implements the integrated mechanistic model of perinatal opioid use, parenting, infant
attachment and child well-being of Reese, Conradt, Riquino & Garland 2021 (Front. Psychol.
12:688359), in the eco-social context of postpartum recovery (Allen et al. 2023; Martin et al.
2021/22). It is a tool for reasoning and trial planning, never a prediction for one real person.

Quick use (in a notebook)::

    import dyadsim
    sim = dyadsim.Sim("usual_care", dyads=500, replicates=2).run()
    sim.summary, sim.plot(), sim.to_df("monthly", by="moud_type")
    cmp = dyadsim.compare(["usual_care", "more_prenatal"], dyads=500, replicates=2)
    cmp.differences
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from dyadsim.core.version import __version__

# The public names are imported on first use, so that the command line (``dyadsim.cli``) starts
# quickly and can take over Ctrl-C before the numerical libraries load.
_LAZY = {"ParamSet": "model.params", "RunResult": "run.runner", "run_scenario": "run.runner",
         "Scenario": "config.scenario", "load_scenario": "config.scenario", "Sim": "api", "CompareResult": "api",
         "compare": "api", "open_catalog": "run.store"}

__all__ = ["CompareResult", "ParamSet", "RunResult", "Scenario", "Sim", "compare", "load_scenario", "open_catalog",
           "run_scenario", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'dyadsim' has no attribute {name!r}")

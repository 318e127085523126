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

__version__ = "0.1.0"

# The public names are imported on first use, so that ``import dyadsim.cli`` (the command line)
# starts quickly and can take over Ctrl-C before the numerical libraries load.
_LAZY = {"ParamSet": "params", "RunResult": "runner", "run_scenario": "runner", "Scenario": "scenario",
         "load_scenario": "scenario", "Sim": "api", "CompareResult": "api", "open_catalog": "store"}

__all__ = ["CompareResult", "ParamSet", "RunResult", "Scenario", "Sim", "compare", "load_scenario", "open_catalog",
           "run_scenario", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "compare":
        # The submodule dyadsim.compare, which is also callable as dyadsim.api.compare (Python binds
        # a package's attribute to its submodule once imported, so the function and the module
        # must be one object to keep ``dyadsim.compare([...])`` working).
        return import_module(".compare", __name__)
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'dyadsim' has no attribute {name!r}")

"""Scenario-level settings of the eco-social context that several mechanisms read.

Per-dyad context (housing, income, support, prior CPS contact) is drawn by
:mod:`dyadsim.model.population`; what is a property of the care system rather than of a mother lives
here, so that a scenario (and later a support such as provider training) can set it by name.

Sources: seed 003 (Allen et al. 2023: culture of care, stigma); seed 004 (Martin et al.: stigma,
mistrust).
"""
from __future__ import annotations

from dyadsim.core.registry import Param, declare_params

P = declare_params("context", (
    Param("stigma", 0.5, "0-1", 0.0, 1.0, "assumed (seed 003 culture of care)",
          "stigma that mothers meet in care (0 none, 1 pervasive)"),
    Param("substitute_care", 0.5, "0-1", 0.0, 1.0, "assumed",
          "sensitivity of care an infant receives from others while separated"),
))

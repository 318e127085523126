"""What ``dyadsim economics`` produces, as data: the settings asked for and the result tables
(computed by :mod:`dyadsim.economics.job`, written by :mod:`dyadsim.economics.report`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dyadsim.economics.inputs import EconomicInputs

PER = 1000
"""Results are per this many births."""
DEFAULT_WTP = (50_000.0, 100_000.0, 150_000.0)
"""Willingness to pay per QALY of ``--wtp`` (US dollars)."""


@dataclass
class Settings:
    """What the analysis was asked for (besides the strategies)."""

    wtps: tuple[float, ...] = DEFAULT_WTP
    perspective: str = "payer"
    rate: float = 0.03
    extrapolate_years: float = 0.0
    extrapolate_label: str = "none"
    inputs_origin: str = "dyadsim/data/economics.yaml"
    keep_outcomes: bool = False
    seed: int = 0


@dataclass
class EconomicsResult:
    """Everything ``dyadsim economics`` writes, as tables."""

    names: list[str]
    settings: Settings
    inputs: EconomicInputs
    strategies: pd.DataFrame
    """Per strategy and perspective, per 1,000 births: costs, QALYs, life-years, outcomes (base case)."""
    incremental: pd.DataFrame
    """The incremental tables (frontier, ICERs, NMB and NHB at each willingness to pay), by perspective."""
    psa: pd.DataFrame
    """Per draw and strategy: costs by perspective and QALYs, per dyad."""
    ceac: pd.DataFrame
    evppi: pd.DataFrame
    means: pd.DataFrame
    """Per strategy and draw: mean quantities per dyad (discounted) and outcomes."""
    manifest: dict[str, Any] = field(default_factory=dict)

"""What ``dyadsim economics`` produces, as data: the settings asked for and the result tables
(computed by :mod:`dyadsim.economics.job`, written by :mod:`dyadsim.economics.report`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
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


class StudyStatistics(Protocol):
    """The summary statistic a proposed study reports per draw and size, for the EVSI (made by
    :func:`dyadsim.trials.evsi.trial_statistics`; any object with these will do)."""

    grid: list[int]
    """Sizes per allocation unit."""
    values: np.ndarray
    """Shape (draws, sizes): draw ``k`` of the economics run, size ``grid[j]``."""

    def record(self) -> dict[str, Any]:
        """What the manifest and the report say of the study: ``trial_file``, ``trial``, ``arms``
        (arm: strategy), ``statistic``, ``sizes_per_arm``, ``pool_dyads_per_arm``,
        ``model_failures``, ``elapsed_s``."""
        ...


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
    evsi: pd.DataFrame = field(default_factory=pd.DataFrame)
    """EVSI of the proposed trial per size and willingness to pay (empty without ``--evsi-trial``)."""
    folder: Any = None
    """Where the files were written (set by :func:`dyadsim.api.economics`)."""
    keep: Any = field(default=None, repr=False)
    """The temporary folder that holds them when no ``out`` was given (removed with the result)."""
    manifest: dict[str, Any] = field(default_factory=dict)

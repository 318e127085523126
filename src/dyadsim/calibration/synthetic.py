"""Synthetic targets with known answers: figures simulated from known parameter values, to check
that a calibration recovers them (the suite's recovery test, the benchmark's rank histograms).

The synthetic "study" is a simulation at the known values on its own seed (not the calibration's)
and cohort size; each figure's observation model is normal with the study's Monte Carlo SE as its
SE (what a study of that size would report), so the calibration meets the same kind of noise it
meets in published figures.
"""
from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from dyadsim.calibration.evaluations import PointEvaluator
from dyadsim.config.targets import Design, Observation, Target

RECOVERY_STATISTICS: tuple[tuple[str, str], ...] = (
    ("pregnancy.preterm_hazard", "preterm"),
    ("moud.stop_hazard", "moud_continued_12m"),
    ("attachment.disorganized_logit", "disorganized_share"),
    ("nows.pharm_logit", "nows_pharm"),
    ("nows.tx_days_methadone", "nows_treatment_days_median"),
)
"""Parameters of the recovery check and a statistic each chiefly moves (usual care, one year)."""


def synthetic_targets(truth: Mapping[str, float], statistics: Sequence[str], dyads: int, seed: int,
                      min_se: float = 0.0) -> list[Target]:
    """Targets (role ``fit``, ``replace``-ready) whose figures are simulated at ``truth`` on
    ``dyads`` dyads and ``seed``; normal observation models with the simulation's own SE (at least
    ``min_se``)."""
    rows = []
    for stat in statistics:
        rows.append(Target(id=f"synthetic_{stat}", what=f"synthetic {stat}", figure=0.0, source="synthetic study",
                           grade="A", population="simulated", role="fit",
                           design=Design(scenarios=["usual_care"], statistic=stat, horizon_days=366.0, dyads=dyads),
                           observation=Observation(model="normal", se=1.0)))
    with tempfile.TemporaryDirectory() as tmp:
        est, mc = PointEvaluator(rows, Path(tmp), dyads, seed)([{k: float(v) for k, v in truth.items()}])
    out = []
    for j, t in enumerate(rows):
        se = max(float(mc[0, j]), min_se, 1e-6)
        out.append(t.model_copy(update={"figure": float(est[0, j]),
                                        "observation": Observation(model="normal", se=se)}))
    return out


def coverage(chain: np.ndarray, truth_unit: np.ndarray, level: float = 0.90) -> np.ndarray:
    """Whether each known value (prior quantile) lies inside the central ``level`` posterior interval."""
    lo, hi = np.quantile(chain, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return (truth_unit >= lo) & (truth_unit <= hi)

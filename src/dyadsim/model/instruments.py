"""Measurement instruments on their published scales, with measurement error.

The simulator's states are latent levels (0-1). A study does not see them: it sees scores on
instruments (PSS-10, PSI-SF, EPDS, a 0-10 craving rating, the Postpartum Bonding Questionnaire, a
KIPS-like observed parenting score, the Strange Situation classification). This module turns a
latent value into an observed score after the simulation, at an assessment occasion:

* the *true score* is a linear map of the latent value, anchored so that the latent level of a
  reference population (``latent_mean``, between-mother SD ``latent_sd``) gives the published
  reference mean, with a true-score SD of ``sqrt(reliability) x SD`` (classical test theory:
  var(observed) = var(true) + var(error), reliability = var(true) / var(observed));
* the *observed score* adds a normal error of SD ``sqrt(1 - reliability) x SD``, then is rounded
  to the instrument's resolution (integers where the instrument is) and kept in its range;
* the Strange Situation class is coded correctly with probability ``agreement`` (inter-coder
  agreement), otherwise as one of the other three classes.

Errors are counter-based random numbers keyed by (run seed, instrument, dyad, occasion), so two
scenarios run with the same seed see the same measurement errors (common random numbers), a dyad's
score does not depend on which other dyads ran, and two occasions have independent errors
(parallel measurements correlate by the reliability).

Every anchor and reference value is a declared :class:`~dyadsim.core.registry.Param` (unit, range,
source, prior) in :data:`PARAMS`, kept apart from the simulation's parameter vector because
measurement happens after the run; override them with ``values={"instruments.pss10.mean": ...}``.
The default latent anchors are the usual-care cohort's latent mean and SD at postpartum month 6
(:func:`derive_anchors`; recompute them when the dynamics are recalibrated), i.e. the published
sample is taken to resemble mothers in usual care.

Used by :func:`dyadsim.run.results.outcomes_table` (columns ``<instrument>_obs_mMM`` and ``_tK``) and
reusable by a trial simulator that measures at its own assessment times (:func:`measure`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from dyadsim.core import rng
from dyadsim.core.registry import Param


@dataclass(frozen=True)
class Instrument:
    """One instrument: its scale, the latent state it measures and its reference figures.

    Attributes:
        name: short name; observed columns are ``<name>_obs_<occasion>``.
        label: full name.
        latent: stem of the latent outcome column it measures (``<latent>_mMM`` / ``_tK``, 0-1).
        low, high: range of the score.
        resolution: smallest step of the score (1 for sums of integer items).
        direction: +1 when a higher latent value gives a higher score, -1 when lower.
        cutoff: clinical or conventional threshold on the score scale (None: none published).
        cutoff_above: True when scores at or above ``cutoff`` are the flagged group, False when below.
        pregnancy: True when the instrument is also given in pregnancy (trimester occasions).
    """

    name: str
    label: str
    latent: str
    low: float
    high: float
    resolution: float
    direction: float
    cutoff: float | None
    cutoff_above: bool
    pregnancy: bool


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("pss10", "Perceived Stress Scale, 10 items (Cohen et al. 1983)", "perceived_stress",
               0.0, 40.0, 1.0, 1.0, 27.0, True, True),
    Instrument("epds", "Edinburgh Postnatal Depression Scale (Cox et al. 1987)", "depression",
               0.0, 30.0, 1.0, 1.0, 13.0, True, True),
    Instrument("craving_nrs", "Craving, 0-10 numeric rating", "craving", 0.0, 10.0, 1.0, 1.0, 5.0, True, True),
    Instrument("psi_sf", "Parenting Stress Index, Short Form, total (Abidin 1995)", "parenting_stress",
               36.0, 180.0, 1.0, 1.0, 90.0, True, False),
    Instrument("pbq", "Postpartum Bonding Questionnaire, total (Brockington et al. 2001)", "bonding",
               0.0, 125.0, 1.0, -1.0, 26.0, True, False),
    Instrument("kips", "Keys to Interactive Parenting Scale-like observed parenting (Comfort & Gordon 2006)",
               "parenting", 1.0, 5.0, 1.0 / 12.0, 1.0, 3.0, False, False),
)
"""Score instruments, in output order."""
BY_NAME: dict[str, Instrument] = {i.name: i for i in INSTRUMENTS}

ASSESSMENT_MONTHS: tuple[int, ...] = (1, 3, 6, 12, 24, 36)
"""Postpartum months with an observed score in the outcomes table (those within follow-up)."""
SSP_CLASSES: int = 4
"""Strange Situation classes (secure, avoidant, resistant, disorganized), coded 0-3."""


def _ref(name: str, mean: float, sd: float, m_rng: tuple[float, float], sd_rng: tuple[float, float],
         rel: float, rel_rng: tuple[float, float], source: str, rel_source: str,
         lat_mean: float, lat_sd: float) -> tuple[Param, ...]:
    """The declared parameters of one instrument."""
    anchor = "derived: usual-care latent mean at postpartum month 6 (derive_anchors); assumed range"
    return (
        Param(f"{name}.mean", mean, "score", m_rng[0], m_rng[1], source, "published reference mean"),
        Param(f"{name}.sd", sd, "score", sd_rng[0], sd_rng[1], source, "published reference SD"),
        Param(f"{name}.reliability", rel, "0-1", rel_rng[0], rel_rng[1], rel_source,
              "reliability (share of observed variance that is true-score variance)"),
        Param(f"{name}.latent_mean", lat_mean, "latent 0-1", max(lat_mean - 0.2, 0.0), min(lat_mean + 0.2, 1.0),
              anchor, "latent level that corresponds to the reference mean"),
        Param(f"{name}.latent_sd", lat_sd, "latent 0-1", lat_sd / 3.0, lat_sd * 3.0,
              anchor.replace("mean", "between-mother SD"), "between-mother latent SD that corresponds to the reference SD"),
    )


_DECLARED: tuple[Param, ...] = (
    *_ref("pss10", 20.0, 7.0, (13.0, 26.0), (5.0, 9.0), 0.80, (0.70, 0.90),
          "assumed [S] (substance-use treatment samples near 18-22, SD ~7; women's norm 13.7, SD 6.6: "
          "Cohen & Williamson 1988)", "Cohen et al. 1983 (alpha 0.78-0.91) [S]", 0.656, 0.217),
    *_ref("epds", 9.0, 6.0, (6.0, 13.0), (4.0, 8.0), 0.87, (0.75, 0.92),
          "assumed [S] (perinatal OUD samples; with cut-off 13 gives ~25% screen-positive vs 36.9% major "
          "depression, Shen et al. 2020)", "Cox et al. 1987 (split-half 0.88) [S]", 0.707, 0.237),
    *_ref("craving_nrs", 3.0, 2.8, (1.5, 5.0), (2.0, 3.5), 0.70, (0.50, 0.85),
          "assumed [S] (0-10 craving ratings of patients on MOUD)", "assumed (single-item rating)", 0.443, 0.259),
    *_ref("psi_sf", 80.0, 20.0, (65.0, 95.0), (14.0, 26.0), 0.84, (0.75, 0.92),
          "assumed [S] (high-risk and substance-using mothers; clinical cut-off 90 = 85th percentile, Abidin 1995; "
          "Barroso et al. 2016)", "Abidin 1995 (test-retest 0.84) [S]", 0.641, 0.198),
    *_ref("pbq", 13.0, 10.0, (6.0, 25.0), (6.0, 15.0), 0.80, (0.65, 0.90),
          "assumed [S] (Brockington et al. 2006 validation; total >= 26 impaired bonding)",
          "Torres-Gimenez et al. 2021 (test-retest) [S]", 0.292, 0.171),
    *_ref("kips", 3.4, 0.8, (2.5, 4.2), (0.5, 1.1), 0.80, (0.65, 0.92),
          "assumed [S] (Comfort & Gordon 2006; mothers in OUD treatment, Short et al. 2017)",
          "Comfort & Gordon 2006 (inter-rater agreement) [S]", 0.454, 0.201),
    Param("ssp.agreement", 0.85, "0-1", 0.70, 0.95,
          "assumed [S] (inter-coder agreement on four-way Strange Situation classification)",
          "probability the Strange Situation class is coded as the infant's true class"),
)
PARAMS: dict[str, Param] = {f"instruments.{p.name}": p for p in _DECLARED}
"""Every measurement parameter by dotted name (``instruments.<instrument>.<field>``)."""


def _values(values: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults updated by ``values``; unknown names and values outside the plausible range raise."""
    out = {k: p.default for k, p in PARAMS.items()}
    for k, v in (values or {}).items():
        if k not in PARAMS:
            raise KeyError(f"unknown instrument parameter {k!r}")
        par = PARAMS[k]
        if not par.low <= float(v) <= par.high:
            raise ValueError(f"{k} = {v} is outside its plausible range [{par.low}, {par.high}]")
        out[k] = float(v)
    return out


def _normals(seed: int, name: str, ids: np.ndarray, occasion: int) -> np.ndarray:
    """Standard normal errors for (seed, instrument, dyad, occasion): Box-Muller on two counters."""
    key = rng.stream_key(seed, f"instruments.{name}")
    ids = np.asarray(ids).astype(np.uint64)
    with np.errstate(over="ignore"):
        u1 = rng.uniform(key, ids, np.uint64(2 * occasion))
        u2 = rng.uniform(key, ids, np.uint64(2 * occasion + 1))
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def true_score(name: str, latent: np.ndarray, values: Mapping[str, float] | None = None) -> np.ndarray:
    """Error-free score of a latent value on the instrument's scale (unrounded, unclipped)."""
    inst, v = BY_NAME[name], _values(values)
    pre = f"instruments.{name}."
    z = inst.direction * (np.asarray(latent, dtype=np.float64) - v[pre + "latent_mean"]) / v[pre + "latent_sd"]
    return v[pre + "mean"] + np.sqrt(v[pre + "reliability"]) * v[pre + "sd"] * z


def measure(name: str, latent: np.ndarray, seed: int, ids: np.ndarray, occasion: int,
            values: Mapping[str, float] | None = None) -> np.ndarray:
    """Observed scores of dyads ``ids`` with latent values ``latent`` at assessment ``occasion``.

    ``occasion`` is any integer naming the assessment (the outcomes table uses the postpartum
    month, and 1000 + trimester in pregnancy); different occasions have independent errors.
    A NaN latent value (dyad not observed) gives NaN.
    """
    inst, v = BY_NAME[name], _values(values)
    pre = f"instruments.{name}."
    err = np.sqrt(1.0 - v[pre + "reliability"]) * v[pre + "sd"] * _normals(seed, name, ids, occasion)
    x = true_score(name, latent, v) + err
    x = np.clip(np.round((x - inst.low) / inst.resolution) * inst.resolution + inst.low, inst.low, inst.high)
    return np.where(np.isnan(np.asarray(latent, dtype=np.float64)), np.nan, x)


def flagged(name: str, score: np.ndarray) -> np.ndarray:
    """1.0 where the score is beyond the instrument's cut-off, 0.0 otherwise, NaN where missing."""
    inst = BY_NAME[name]
    if inst.cutoff is None:
        raise ValueError(f"{name} has no cut-off")
    s = np.asarray(score, dtype=np.float64)
    hit = (s >= inst.cutoff) if inst.cutoff_above else (s < inst.cutoff)
    return np.where(np.isnan(s), np.nan, hit.astype(np.float64))


def measure_ssp(classes: np.ndarray, seed: int, ids: np.ndarray, occasion: int = 12,
                values: Mapping[str, float] | None = None) -> np.ndarray:
    """Observed Strange Situation class (0-3; -1 kept where no class): the true class with
    probability ``ssp.agreement``, otherwise one of the other three with equal chance."""
    v = _values(values)
    c = np.asarray(classes).astype(np.int64)
    key = rng.stream_key(seed, "instruments.ssp")
    ids = np.asarray(ids).astype(np.uint64)
    with np.errstate(over="ignore"):
        u1 = rng.uniform(key, ids, np.uint64(2 * occasion))
        u2 = rng.uniform(key, ids, np.uint64(2 * occasion + 1))
    shift = 1 + np.minimum(np.floor(u2 * (SSP_CLASSES - 1)), SSP_CLASSES - 2).astype(np.int64)
    wrong = (c + shift) % SSP_CLASSES
    return np.where(c < 0, -1, np.where(u1 < v["instruments.ssp.agreement"], c, wrong))


def observe(col: Mapping[str, object], seed: int, ids: np.ndarray,
            values: Mapping[str, float] | None = None) -> dict[str, object]:
    """Observed-score columns for an outcomes table whose latent columns are in ``col``.

    For each instrument, one column per assessment month in :data:`ASSESSMENT_MONTHS` whose latent
    column ``<latent>_mMM`` exists, and (for instruments given in pregnancy) per trimester
    ``<latent>_tK``; plus ``attachment_obs`` from the ``attachment`` class when present.
    """
    new: dict[str, object] = {}
    for inst in INSTRUMENTS:
        for m in ASSESSMENT_MONTHS:
            key = f"{inst.latent}_m{m:02d}"
            if key in col:
                new[f"{inst.name}_obs_m{m:02d}"] = measure(inst.name, np.asarray(col[key]), seed, ids, m, values)
        if inst.pregnancy:
            for k in (1, 2, 3):
                key = f"{inst.latent}_t{k}"
                if key in col:
                    new[f"{inst.name}_obs_t{k}"] = measure(inst.name, np.asarray(col[key]), seed, ids, 1000 + k, values)
    if "attachment" in col:
        att = col["attachment"]
        codes = np.asarray(att.codes if isinstance(att, pd.Categorical) else att, dtype=np.int64)
        obs = measure_ssp(codes, seed, ids, 12, values)
        new["attachment_obs"] = pd.Categorical.from_codes(obs, att.categories) if isinstance(att, pd.Categorical) else obs
    return new


def derive_anchors(df: pd.DataFrame, month: int = 6) -> dict[str, float]:
    """Latent anchors (``latent_mean``, ``latent_sd`` of each instrument) from an outcomes table:
    the cohort's mean and between-mother SD of the latent column at postpartum ``month``."""
    out = {}
    for inst in INSTRUMENTS:
        v = df[f"{inst.latent}_m{month:02d}"].astype(float).dropna()
        out[f"instruments.{inst.name}.latent_mean"] = float(v.mean())
        out[f"instruments.{inst.name}.latent_sd"] = float(v.std(ddof=1))
    return out


__all__ = ["Instrument", "INSTRUMENTS", "BY_NAME", "PARAMS", "ASSESSMENT_MONTHS", "true_score", "measure",
           "flagged", "measure_ssp", "observe", "derive_anchors"]

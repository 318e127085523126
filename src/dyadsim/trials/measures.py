"""What a trial measures: outcome measures derived from a simulated dyad's outcomes, as a study sees them.

Each measure maps the per-dyad outcomes table (``docs/outcomes.md``) to one value per dyad at an
assessment month after birth, through the instruments of :mod:`dyadsim.model.instruments` (observed
scores with measurement error) where the quantity is a questionnaire or an observation:

* ``tlfb_days``: timeline follow-back days of opioid use over postpartum months ``months[0]`` to
  ``months[1]`` (inclusive, month 1 = the first 30.4 days after birth), assessed at the last month.
  Reported days are taken as the simulated days (*assumed*: TLFB agrees closely with records over
  months; Robinson et al. 2014 found ICC > 0.7 for opioids). Count outcome.
* ``any_use``: any opioid use in those months (binary; the misuse outcome of relapse trials).
* ``pss10``, ``epds``, ``craving_nrs``, ``psi_sf``, ``pbq``, ``kips``: the instrument's observed
  score at ``month`` (an assessment month of :data:`dyadsim.model.instruments.ASSESSMENT_MONTHS`).
* ``salience``: salience of infant cues at ``month`` (latent 0-1 scale). No validated instrument
  exists; it is taken as measured without error (*assumed*; an observational or eye-tracking
  measure of attention to infant cues would add error and lower power).
* ``epds_flag``: EPDS at or above its cut-off of 13 at ``month`` (binary).
* ``ssp_secure``: Strange Situation coded secure at 12 months (binary; coder agreement as declared).
* ``moud_retention``: still on the MOUD episode that was running at delivery 12 months later
  (binary, defined only for mothers on MOUD at delivery; Schiff et al. 2021's measure).
* ``time_to_first_use``: days from birth to the first postpartum use (survival; censored at the end
  of follow-up or at the mother's death).

The *baseline* of a measure is the same instrument in the trimester of enrolment (pregnancy
instruments only), read from the control arm's simulation: it is measured before allocation and
does not depend on it (under common random numbers every arm's dyad has the same past until its
programme starts).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadsim.core.units import DAYS_PER_MONTH
from dyadsim.model.instruments import ASSESSMENT_MONTHS, BY_NAME

KINDS: tuple[str, ...] = ("continuous", "count", "binary", "survival")
"""Outcome types; each has its analysis models (see :mod:`dyadsim.trials.analysis`)."""


@dataclass(frozen=True)
class Measure:
    """A trial measure: its outcome type, whether it needs a month or a month range, and its values.

    Attributes:
        name: key used in trial files.
        kind: one of :data:`KINDS`.
        label: what it is, with its unit.
        window: True when it takes ``months: [first, last]``, False when ``month: m``.
        baseline: instrument whose enrolment-trimester score is the baseline covariate, or None.
    """

    name: str
    kind: str
    label: str
    window: bool
    baseline: str | None
    values: Callable[[pd.DataFrame, int, int], pd.Series | pd.DataFrame]


def _month_col(df: pd.DataFrame, stem: str, m: int) -> pd.Series:
    col = f"{stem}_m{m:02d}"
    if col not in df.columns:
        raise KeyError(col)
    return df[col].astype(np.float64)


def _tlfb(df: pd.DataFrame, first: int, last: int) -> pd.Series:
    return sum(_month_col(df, "use_days", m) for m in range(first, last + 1))  # type: ignore[return-value]


def _instrument(name: str) -> Callable[[pd.DataFrame, int, int], pd.Series]:
    def values(df: pd.DataFrame, first: int, last: int) -> pd.Series:
        return _month_col(df, f"{name}_obs", last)
    return values


def _epds_flag(df: pd.DataFrame, first: int, last: int) -> pd.Series:
    s = _month_col(df, "epds_obs", last)
    return (s >= BY_NAME["epds"].cutoff).astype(np.float64).where(s.notna())


def _ssp_secure(df: pd.DataFrame, first: int, last: int) -> pd.Series:
    obs = df["attachment_obs"].astype(object)
    return (obs == "secure").astype(np.float64).where(obs.notna())


def _retention(df: pd.DataFrame, first: int, last: int) -> pd.Series:
    horizon = last * DAYS_PER_MONTH
    on = df["moud_at_delivery"] == 1
    kept = df["moud_stop_pp_day"].isna() | (df["moud_stop_pp_day"] >= horizon)
    return kept.astype(np.float64).where(on)


def _first_use(df: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    horizon = last * DAYS_PER_MONTH
    day = df["first_pp_use_day"].astype(np.float64)
    death = df["maternal_death_pp_day"].astype(np.float64)
    event = day.notna() & (day <= horizon)
    censor = np.fmin(death.fillna(np.inf), horizon)
    return pd.DataFrame({"time": np.where(event, day, censor), "event": event.astype(np.float64)}, index=df.index)


def _any_use(df: pd.DataFrame, first: int, last: int) -> pd.Series:
    return (_tlfb(df, first, last) > 0).astype(np.float64)


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("tlfb_days", "count", "days of opioid use (timeline follow-back)", True, None, _tlfb),
    Measure("any_use", "binary", "any opioid use in the window (share)", True, None, _any_use),
    *(Measure(i.name, "continuous", f"{i.label} (score)", False, i.name if i.pregnancy else None, _instrument(i.name))
      for i in BY_NAME.values()),
    Measure("salience", "continuous", "salience of infant cues (latent, 0-1)", False, None,
            lambda df, first, last: _month_col(df, "salience", last)),
    Measure("epds_flag", "binary", "EPDS >= 13 (share)", False, "epds", _epds_flag),
    Measure("ssp_secure", "binary", "Strange Situation secure (share)", False, None, _ssp_secure),
    Measure("moud_retention", "binary", "on the delivery MOUD episode at the month (share of those on MOUD "
            "at delivery)", False, None, _retention),
    Measure("time_to_first_use", "survival", "days from birth to first postpartum use", False, None, _first_use),
)}
"""Every measure a trial file may name."""

INSTRUMENT_MONTHS: tuple[int, ...] = ASSESSMENT_MONTHS
"""Months at which instrument scores exist in the outcomes table."""


def baseline_values(df: pd.DataFrame, instrument: str) -> pd.Series:
    """Score of ``instrument`` in the trimester of enrolment (gestational weeks 1-13, 14-27, 28+)."""
    tri = np.where(df["enrol_week"] < 14, 1, np.where(df["enrol_week"] < 28, 2, 3))
    cols = np.column_stack([df[f"{instrument}_obs_t{k}"].to_numpy(np.float64) for k in (1, 2, 3)])
    return pd.Series(cols[np.arange(len(df)), tri - 1], index=df.index)

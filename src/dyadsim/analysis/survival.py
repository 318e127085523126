"""Time-to-event outcomes after birth: Kaplan-Meier curves and restricted mean survival time.

A mean of event days among dyads with the event (``first_pp_use_day`` and the like) is a
conditional mean that moves when an intervention delays events past the horizon, so comparisons
use survival methods instead: the Kaplan-Meier estimator (Kaplan & Meier 1958, *JASA* 53:457)
with its pointwise 95% band (Greenwood variance, log(-log) transform; lifelines' default) and the
restricted mean survival time up to the end of follow-up, RMST(tau) = integral of S(t) from 0 to
tau, in days (Royston & Parmar 2013, *BMC Med. Res. Methodol.* 13:152). Days count from birth
(postpartum day 0). A dyad is followed from birth to the end of follow-up (the sum of its
``days_followed_mMM``) or the mother's death, whichever comes first; mothers who died before
birth have no postpartum time and are left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from dyadsim.core import intervals


@dataclass(frozen=True)
class Endpoint:
    """A time to event after birth: the event-day column, who is at risk, how to name it."""

    key: str
    column: str
    title: str
    at_risk: str | None = None
    """A 0/1 column restricting the cohort at risk (e.g. on MOUD at delivery), or None for all."""


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("first_use", "first_pp_use_day", "Time to first postpartum opioid use"),
    Endpoint("moud_stop", "moud_stop_pp_day", "Time to MOUD discontinuation (on MOUD at delivery)", "moud_at_delivery"),
    Endpoint("cps_removal", "cps_removal_day", "Time to removal from the mother's care (CPS)"),
)
"""The time-to-event outcomes compared (each replaces a mean difference of its ``*_day`` column)."""


def needed_columns(path: Path) -> list[str]:
    """Columns of an outcomes file that :func:`durations` reads."""
    names = pq.ParquetFile(path).schema_arrow.names
    followed = [c for c in names if re.fullmatch(r"days_followed_m\d\d", c)]
    base = ["replicate", "maternal_death_pp_day"] + [e.column for e in ENDPOINTS]
    return base + sorted({e.at_risk for e in ENDPOINTS if e.at_risk}) + followed


def durations(df: pd.DataFrame, endpoint: Endpoint) -> pd.DataFrame:
    """Per dyad at risk: ``replicate``, ``duration`` (days from birth to the event or censoring)
    and ``event`` (1 = event seen, 0 = censored at end of follow-up or death)."""
    followed = df[[c for c in df.columns if c.startswith("days_followed_m")]].sum(axis=1).to_numpy(np.float64)
    death = df["maternal_death_pp_day"].to_numpy(np.float64)
    censor = np.where(np.isnan(death), followed, np.minimum(followed, death))
    keep = ~(death < 0) & (censor > 0)  # no postpartum time: not at risk
    if endpoint.at_risk is not None:
        keep &= df[endpoint.at_risk].to_numpy() == 1
    day = df[endpoint.column].to_numpy(np.float64)
    event = ~np.isnan(day) & (day <= censor)
    return pd.DataFrame({"replicate": df["replicate"].to_numpy()[keep],
                         "duration": np.where(event, day, censor)[keep],
                         "event": event[keep].astype(np.int8)})


def kaplan_meier(d: pd.DataFrame, label: str) -> pd.DataFrame:
    """Kaplan-Meier curve with its pointwise 95% band: columns ``day``, ``survival``, ``lower``,
    ``upper`` (lifelines ``KaplanMeierFitter``)."""
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter(alpha=1 - intervals.LEVEL).fit(d["duration"], d["event"], label=label)
    ci = km.confidence_interval_
    return pd.DataFrame({"day": km.survival_function_.index.to_numpy(dtype=np.float64),
                         "survival": km.survival_function_.iloc[:, 0].to_numpy(),
                         "lower": ci.iloc[:, 0].to_numpy(), "upper": ci.iloc[:, 1].to_numpy()})


def rmst(d: pd.DataFrame, tau: float) -> tuple[float, float]:
    """RMST(tau) in days and its variance, from the Kaplan-Meier step function.

    RMST is the exact area under the step curve up to ``tau``; the variance is Greenwood's form
    (Klein & Moeschberger 2003, *Survival Analysis* 2nd ed., section 4.5): the sum over event
    times t_i <= tau of A_i^2 d_i / (n_i (n_i - d_i)), with A_i the area under S from t_i to tau.
    The mean equals lifelines' ``restricted_mean_survival_time`` (tested), without its numerical
    integration, which is slow and warns on step functions.
    """
    if len(d) == 0:
        return np.nan, np.nan
    t = d["duration"].to_numpy(np.float64)
    e = d["event"].to_numpy(np.int64)
    times = np.unique(t[(e == 1) & (t <= tau)])
    if len(times) == 0:
        return float(tau), 0.0
    order = np.sort(t)
    at_risk = len(t) - np.searchsorted(order, times, side="left")
    deaths = np.bincount(np.searchsorted(times, t[(e == 1) & (t <= tau)]), minlength=len(times))
    surv = np.cumprod(1.0 - deaths / at_risk)
    edges = np.append(times, tau)
    pieces = surv * np.diff(edges)  # S after t_i holds until the next event time (or tau)
    area = float(times[0] + pieces.sum())  # S = 1 before the first event
    after = np.cumsum(pieces[::-1])[::-1]  # A_i: area under S from t_i to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > deaths, after**2 * deaths / (at_risk * (at_risk - deaths)), 0.0)
    return area, float(terms.sum())


def rmst_table(arms: dict[str, pd.DataFrame], endpoint: Endpoint, tau: float,
               kind: str = "monte_carlo") -> pd.DataFrame:
    """RMST(tau) of every arm and its difference from the first arm, with intervals.

    ``arms`` maps arm name -> :func:`durations` (all replicates). Per replicate, each arm's RMST
    and the paired difference are computed; the intervals are :func:`dyadsim.core.intervals.bands`
    over replicates. With one replicate the interval is normal with lifelines' variance (for a
    difference, the sum of both arms' variances: conservative, as the arms share their dyads).
    """
    names = list(arms)
    reps = sorted(set().union(*(set(d["replicate"].unique()) for d in arms.values())))
    per: dict[str, list[tuple[float, float]]] = {
        nm: [rmst(arms[nm][arms[nm]["replicate"] == r], tau) for r in reps] for nm in names}
    rows = []
    for nm in names:
        vals = np.array([m for m, _ in per[nm]])
        diffs = vals - np.array([m for m, _ in per[names[0]]])
        se = float(np.sqrt(per[nm][0][1])) if len(reps) == 1 else None
        se_d = float(np.sqrt(per[nm][0][1] + per[names[0]][0][1])) if len(reps) == 1 else None
        c, lo, hi = (float(x) for x in intervals.bands(vals, kind=kind, se=se))
        dc, dlo, dhi = (float(x) for x in intervals.bands(diffs, kind=kind, se=se_d))
        if nm == names[0]:
            dc, dlo, dhi = 0.0, np.nan, np.nan
        rows.append({"endpoint": endpoint.key, "title": endpoint.title, "scenario": nm, "tau_days": tau,
                     "rmst": c, "rmst_lower": lo, "rmst_upper": hi, "difference": dc, "lower": dlo, "upper": dhi,
                     "events": int(arms[nm]["event"].sum()), "at_risk": len(arms[nm]),
                     "interval": intervals.label(kind)})
    return pd.DataFrame(rows)

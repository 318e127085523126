"""The statistics a target's design names: each a function of the runs of its scenarios.

A statistic takes :class:`Runs` (the outcomes tables of the design's scenarios, on the same dyads
and random numbers, and the subgroup mask) and returns ``(estimate, mc_se)``: the simulated figure
and its Monte Carlo standard error (from the per-dyad values; by the delta method or a normal
approximation where the figure is a ratio or a correlation). Contrasts are the first scenario
minus the second, paired per dyad.

``STATISTICS`` maps the names used in targets files to these functions; a name not in it is
refused when the file is checked (:mod:`dyadsim.analysis.targets`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Runs:
    """The outcomes tables of a design's scenarios (in order) and its subgroup (a boolean mask of
    rows, read from the first scenario's table)."""

    tables: tuple[pd.DataFrame, ...]
    subgroup: np.ndarray

    @property
    def first(self) -> pd.DataFrame:
        return self.tables[0][self.subgroup]


Estimate = tuple[float, float]
Statistic = Callable[[Runs], Estimate]


def _mean(x: pd.Series | np.ndarray) -> Estimate:
    v = np.asarray(x, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))


def _share(mask: pd.Series | np.ndarray) -> Estimate:
    return _mean(np.asarray(mask, dtype=np.float64))


def _months(d: pd.DataFrame, name: str, months: range) -> pd.Series:
    return sum(d[f"{name}_m{m:02d}"] for m in months)


def _trimesters(d: pd.DataFrame, name: str) -> pd.Series:
    return d[f"{name}_t1"] + d[f"{name}_t2"] + d[f"{name}_t3"]


def type_at_delivery(d: pd.DataFrame) -> pd.Series:
    """The MOUD medicine a mother was taking on the day of birth ('none' if none), from her episodes."""
    out = pd.Series("none", index=d.index, dtype=object)
    for k in (1, 2, 3):
        start, stop = d[f"moud_ep{k}_start_day"], d[f"moud_ep{k}_stop_day"]
        on = (start <= d["birth_day"]) & (stop.isna() | (stop > d["birth_day"]))
        out = out.where(~on, d[f"moud_ep{k}_type"].astype(object))
    return out.where(d["moud_at_delivery"] == 1, "none")


SUBGROUPS: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "all": lambda d: np.ones(len(d), dtype=bool),
    "prior_cps": lambda d: (d["prior_cps"] == 1).to_numpy(),
    "moud_at_delivery": lambda d: (d["moud_at_delivery"] == 1).to_numpy(),
    "methadone_at_delivery": lambda d: (type_at_delivery(d) == "methadone").to_numpy(),
    "buprenorphine_at_delivery": lambda d: (type_at_delivery(d) == "buprenorphine").to_numpy(),
}
"""Subgroups a design may restrict to (the names the targets schema allows)."""


def _paired(r: Runs, f: Callable[[pd.DataFrame], pd.Series]) -> np.ndarray:
    """Per-dyad difference, first scenario minus second, over the subgroup."""
    a, b = (np.asarray(f(t[r.subgroup]), dtype=np.float64) for t in r.tables[:2])
    return a - b


def _difference(f: Callable[[pd.DataFrame], pd.Series]) -> Statistic:
    return lambda r: _mean(_paired(r, f))


def _z(f: Callable[[pd.DataFrame], pd.Series]) -> Statistic:
    """Paired z of the difference (a pattern's strength; its own SE is 1 by construction)."""
    def stat(r: Runs) -> Estimate:
        m, se = _mean(_paired(r, f))
        return (m / se if se > 0 else 0.0), 1.0
    return stat


def _smd(f: Callable[[pd.DataFrame], pd.Series]) -> Statistic:
    """Standardized mean difference (Cohen's d with the pooled SD of the two arms), paired SE."""
    def stat(r: Runs) -> Estimate:
        a, b = (np.asarray(f(t[r.subgroup]), dtype=np.float64) for t in r.tables[:2])
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        sd = np.sqrt(0.5 * (a.var(ddof=1) + b.var(ddof=1)))
        if not sd > 0:
            return 0.0, float("nan")
        m, se = _mean(a - b)
        return m / sd, se / sd
    return stat


def _corr(x: Callable[[pd.DataFrame], pd.Series], y: Callable[[pd.DataFrame], pd.Series]) -> Statistic:
    def stat(r: Runs) -> Estimate:
        d = r.first
        a, b = np.asarray(x(d), dtype=np.float64), np.asarray(y(d), dtype=np.float64)
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < 4 or a[ok].std() == 0 or b[ok].std() == 0:
            return float("nan"), float("nan")
        rho = float(np.corrcoef(a[ok], b[ok])[0, 1])
        return rho, float((1 - rho ** 2) / np.sqrt(ok.sum() - 3))
    return stat


def _by_medicine(value: Callable[[pd.DataFrame], pd.Series]) -> Statistic:
    """Mean among infants of mothers on methadone at delivery over the mean on buprenorphine (the
    delta method on the log ratio for the SE)."""
    def stat(r: Runs) -> Estimate:
        d = r.first
        kind = type_at_delivery(d)
        (m1, s1), (m2, s2) = _mean(value(d[kind == "methadone"])), _mean(value(d[kind == "buprenorphine"]))
        if not (m1 > 0 and m2 > 0):
            return float("nan"), float("nan")
        ratio = m1 / m2
        return ratio, ratio * float(np.sqrt((s1 / m1) ** 2 + (s2 / m2) ** 2))
    return stat


def _median(x: pd.Series) -> Estimate:
    v = np.asarray(x, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) < 10:
        return float("nan"), float("nan")
    # SE of a median: 1.2533 SD / sqrt(n) (normal approximation).
    return float(np.median(v)), float(1.2533 * v.std(ddof=1) / np.sqrt(len(v)))


def _heavy_remission(r: Runs) -> Estimate:
    d = r.first
    heavy = (d["days_alive_m12"] >= 28) & (d["use_days_m12"] >= 20)
    remit = np.zeros(len(d), dtype=bool)
    for m in range(13, 25):
        remit |= ((d[f"use_days_m{m:02d}"] <= 1) & (d[f"days_alive_m{m:02d}"] >= 28)).to_numpy()
    return _share(remit[heavy.to_numpy()])


def _use_ratio(r: Runs) -> Estimate:
    """Postpartum-year use days in the second scenario over the first (delta method)."""
    (m1, s1), (m2, s2) = (_mean(t[r.subgroup]["use_days_pp_year"]) for t in r.tables[:2])
    if not m1 > 0:
        return float("nan"), float("nan")
    q = m2 / m1
    return q, q * float(np.sqrt((s1 / m1) ** 2 + (s2 / max(m2, 1e-12)) ** 2))


def _pp_over_t3(r: Runs) -> Estimate:
    d = r.first
    t3 = d["use_days_t3"].sum() / max(d["days_alive_t3"].sum(), 1.0)
    pp = _months(d, "use_days", range(1, 13)).sum() / max(_months(d, "days_alive", range(1, 13)).sum(), 1.0)
    return float(pp / t3) if t3 > 0 else float("inf"), float("nan")


def _long_minus_short(outcome: Callable[[pd.DataFrame], pd.Series], among: Callable[[pd.DataFrame], pd.Series],
                      days: float) -> Statistic:
    """Outcome share among mothers with at least ``days`` of prenatal MOUD minus those with fewer
    (and at least one), within ``among``."""
    def stat(r: Runs) -> Estimate:
        d = r.first
        d = d[among(d).astype(bool)]
        prenatal = _trimesters(d, "moud_days")
        long, short = d[prenatal >= days], d[(prenatal > 0) & (prenatal < days)]
        (a, sa), (b, sb) = _share(outcome(long)), _share(outcome(short))
        return a - b, float(np.sqrt(sa ** 2 + sb ** 2))
    return stat


def _no_use_4_6(d: pd.DataFrame) -> pd.Series:
    return (_months(d, "use_days", range(4, 7)) == 0).astype(float)


def _secure(d: pd.DataFrame) -> pd.Series:
    return (d["attachment"] == "secure").astype(float)


def _disorganized(d: pd.DataFrame) -> pd.Series:
    return (d["attachment"] == "disorganized").astype(float)


def _secure_minus_largest_other(r: Runs) -> Estimate:
    shares = r.first["attachment"].value_counts(normalize=True)
    others = max(float(shares.get(k, 0.0)) for k in ("avoidant", "resistant", "disorganized"))
    return float(shares.get("secure", 0.0)) - others, float("nan")


STATISTICS: dict[str, Statistic] = {
    "aces_mean": lambda r: _mean(r.first["aces"]),
    "aces_4_or_more": lambda r: _share(r.first["aces"] >= 4),
    "aces_none": lambda r: _share(r.first["aces"] == 0),
    **{k: (lambda r, k=k: _share(r.first[k] == 1)) for k in ("depression_dx", "anxiety_dx", "other_sud", "tobacco")},
    "no_moud_in_pregnancy": lambda r: _share((_trimesters(r.first, "moud_days") == 0) & (r.first["moud_at_delivery"] == 0)),
    "moud_continued_12m": lambda r: _share(r.first.loc[r.first["moud_at_delivery"] == 1, "moud_stop_pp_day"].isna()),
    "stopped_by_6m_pp": lambda r: _share(r.first["moud_stop_pp_day"] < 183),
    "stopped_in_pregnancy": lambda r: _share(r.first.loc[_trimesters(r.first, "moud_days") > 0, "moud_stop_gest_week"].notna()),
    "overdose_pregnancy_12wk": lambda r: _share(_trimesters(r.first, "od_nonfatal") + _trimesters(r.first, "od_fatal")
                                                + _months(r.first, "od_nonfatal", range(1, 4))
                                                + _months(r.first, "od_fatal", range(1, 4)) > 0),
    "preterm": lambda r: _share(r.first["preterm"] == 1),
    "moud_postpartum_12wk": lambda r: _share(_months(r.first.loc[_trimesters(r.first, "moud_days") > 0], "moud_days",
                                                     range(1, 4)) > 0),
    "nows_signs": lambda r: _share(r.first["nows_signs"] == 1),
    "nows_pharm": lambda r: _share(r.first["nows_pharm"] == 1),
    "nows_treatment_days_median": lambda r: _median(r.first.loc[r.first["nows_pharm"] == 1, "nows_pharm_days"]),
    "nows_stay_days_median_treated": lambda r: _median(r.first.loc[r.first["nows_pharm"] == 1, "nows_los"]),
    "treatment_days_ratio_meth_bup": _by_medicine(lambda d: d["nows_pharm_days"]),
    "stay_ratio_meth_bup": _by_medicine(lambda d: d["nows_los"]),
    "no_use_months_4_6_difference": _difference(_no_use_4_6),
    "smd_use_days_pp_year": _smd(lambda d: d["use_days_pp_year"]),
    "smd_craving_m03": _smd(lambda d: d["craving_nrs_obs_m03"]),
    "smd_pss10_m03": _smd(lambda d: d["pss10_obs_m03"]),
    "smd_parenting_m12": _smd(lambda d: d["parenting_m12"]),
    "smd_attachment_security": _smd(lambda d: d["attachment_security"]),
    "z_craving_m03": _z(lambda d: d["craving_m03"]),
    "z_any_use_months_1_3": _z(lambda d: (_months(d, "use_days", range(1, 4)) > 0).astype(float)),
    "z_use_days_pp_year": _z(lambda d: d["use_days_pp_year"]),
    "z_pos_affect_m03": _z(lambda d: d["pos_affect_m03"]),
    "z_psi_sf_m06": _z(lambda d: d["psi_sf_obs_m06"]),
    "pos_affect_m03_difference": _difference(lambda d: d["pos_affect_m03"]),
    "disorganized_share": lambda r: _share(_disorganized(r.first)),
    "secure_minus_largest_other": _secure_minus_largest_other,
    "secure_difference": _difference(_secure),
    "disorganized_difference": _difference(_disorganized),
    "r_sensitivity_security": _corr(lambda d: d["parenting_m12"], lambda d: d["attachment_security"]),
    "r_use_secure": _corr(lambda d: d["use_days_pp_year"], _secure),
    "r_use_disorganized": _corr(lambda d: d["use_days_pp_year"], _disorganized),
    "r_use_disorganization_score": _corr(lambda d: d["use_days_pp_year"], lambda d: d["attachment_disorganization"]),
    "heavy_m12_remission": _heavy_remission,
    "use_share_second_over_first": _use_ratio,
    "pp_over_t3_use_rate": _pp_over_t3,
    "continued_12m_long_minus_short_prenatal": _long_minus_short(lambda d: d["moud_stop_pp_day"].isna(),
                                                                 lambda d: d["moud_at_delivery"] == 1, 90.0),
    "preterm_long_minus_short_prenatal_moud": _long_minus_short(lambda d: d["preterm"] == 1,
                                                                lambda d: pd.Series(True, index=d.index), 140.0),
}
"""Statistic names a targets file may use, with their functions."""

"""Costs, life-years and QALYs of each dyad, from what a run records (the outcomes table).

Nothing here changes a simulation: every quantity is read from the outcomes table that
``dyadsim run`` and ``compare`` already write (``docs/outcomes.md``). Two steps, so that the
probabilistic analysis can redraw prices and utilities without touching the dyads again:

1. :func:`quantities`: per dyad, the **discounted resource use** (days on methadone, NICU days,
   overdoses, sessions, months of peer support, placement days, ...; the names in
   :data:`QUANTITIES`) and the **discounted years in each health state** (mother: using, on MOUD,
   neither, depression-weighted; infant: out of hospital, in the birth stay with NOWS), plus
   undiscounted life-years and counts.
2. :func:`value`: costs (by perspective and category) and QALYs are linear in unit costs and
   utilities, so they are sums of price x quantity and weight x years, for the means over dyads as
   for one dyad.

**Timing.** What the run records by postpartum month (``_mMM``) and by trimester of pregnancy
(``_tK``) is accrued by month (trimester) and discounted at the middle of the month (of the
trimester's observed days); events recorded with a day (birth, CPS report, programme start) at that
day. Time runs from enrolment: discount factor ``(1 + r) ** -(t / 365.25)`` for ``t`` days. Within a
month the timing of an event is known only by month, which moves its discounting by at most half a
month (under 0.13% at 3%).

**Which strategy pays for what.** Programme sessions, MOUD, hospital days and events come from
the dyad's own record, so a strategy that reaches nobody costs nothing extra. The scenario's
supports (peer support, home visiting, housing, training, screening, MOUD postpartum support,
keep-together) are switched on by its file and costed for the dyads they reach (home visiting: the
eligible; housing: the mothers it housed, from enrolment, since the day housed is not recorded;
keep-together: the families reported to CPS).

**Beyond the horizon** (optional, labelled as extrapolation): with ``extrapolate_years`` Y > 0, a
mother alive at the end of follow-up keeps the utility mix of her last month for Y more years and the
infant full health for Y years (both discounted, mid-year); a mother who died gets none, so the
difference between strategies carries the life expectancy lost to overdose death. No cost is
extrapolated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadsim.config.scenario import Scenario
from dyadsim.economics.inputs import EconomicInputs
from dyadsim.economics.names import COUNTS, HEALTH, QUANTITIES

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = 30.4375
"""Length of a postpartum month of the outcomes table (``docs/outcomes.md``)."""
TRIMESTER_DAYS = ((0, 98), (98, 196), (196, 10_000))
"""Gestational days of the trimester columns ``_t1`` .. ``_t3`` (``docs/outcomes.md``)."""

def _months(df: pd.DataFrame) -> list[str]:
    """The postpartum month suffixes present (``m01`` ...)."""
    found = sorted({m.group(1) for c in df.columns if (m := re.fullmatch(r"days_alive_(m\d\d)", c))})
    if not found:
        raise ValueError("the outcomes table has no monthly columns (days_alive_mMM)")
    return found


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 with missing values as 0."""
    return np.nan_to_num(df[name].to_numpy(np.float64), nan=0.0)


def discount(days: np.ndarray | float, rate: float) -> np.ndarray:
    """Discount factor ``(1 + rate) ** -(days / 365.25)`` for ``days`` from enrolment."""
    return np.power(1.0 + rate, -np.asarray(days, dtype=np.float64) / DAYS_PER_YEAR)


@dataclass(frozen=True)
class Periods:
    """Per dyad, the recorded periods (three trimesters, then the postpartum months): their
    discount factors at their middle and the recorded measures, shape (n, periods)."""

    weight: np.ndarray
    alive: np.ndarray
    followed: np.ndarray
    use: np.ndarray
    moud: np.ndarray
    depression: np.ndarray
    od_nonfatal: np.ndarray
    od_fatal: np.ndarray
    separated: np.ndarray


def periods(df: pd.DataFrame, rate: float) -> Periods:
    """The trimesters and postpartum months of every dyad, with discount factors at the middle of
    each (the trimester's observed days: from enrolment, or its start, to birth, or its end)."""
    n = len(df)
    enrol_gd = df["enrol_week"].to_numpy(np.float64) * 7.0
    birth_gd = df["gest_weeks_at_birth"].to_numpy(np.float64) * 7.0
    birth_day = df["birth_day"].to_numpy(np.float64)
    mids = []
    for lo, hi in TRIMESTER_DAYS:
        a, b = np.maximum(lo, enrol_gd), np.minimum(hi, birth_gd)
        mids.append(np.where(b > a, (a + b) / 2.0, a) - enrol_gd)
    months = _months(df)
    for k in range(len(months)):
        mids.append(birth_day + DAYS_PER_MONTH * (k + 0.5))
    suffixes = ["t1", "t2", "t3", *months]

    def stack(family: str, pregnancy: bool = True) -> np.ndarray:
        cols = [_col(df, f"{family}_{s}") if (pregnancy or s[0] == "m") and f"{family}_{s}" in df.columns
                else np.zeros(n) for s in suffixes]
        return np.stack(cols, axis=1)

    alive = stack("days_alive")
    followed = np.concatenate([alive[:, :3], stack("days_followed", pregnancy=False)[:, 3:]], axis=1)
    return Periods(weight=discount(np.stack(mids, axis=1), rate), alive=alive, followed=followed,
                   use=stack("use_days"), moud=stack("moud_days"), depression=stack("depression"),
                   od_nonfatal=stack("od_nonfatal"), od_fatal=stack("od_fatal"),
                   separated=stack("separated_days", pregnancy=False))


def _moud_type(df: pd.DataFrame) -> np.ndarray:
    """The dyad's MOUD medicine: her first episode's, else the planned one (later episodes of another
    medicine are costed as the first)."""
    first = df["moud_ep1_type"].astype(str).to_numpy()
    planned = df["moud_type"].astype(str).to_numpy()
    return np.where(first != "none", first, planned)


def quantities(df: pd.DataFrame, scenario: Scenario, inputs: EconomicInputs, rate: float,
               extrapolate_years: float = 0.0, horizon_days: float | None = None) -> pd.DataFrame:
    """Per dyad (rows of ``df``, the outcomes table): every resource-use quantity of
    :data:`QUANTITIES` and health-state years of :data:`HEALTH`, discounted at ``rate`` a year, and
    the undiscounted outcomes of :data:`COUNTS` (see the module doc for timing and extrapolation).

    ``horizon_days``: postpartum days of follow-up (default: the months present x 30.4375).
    """
    p = periods(df, rate)
    w = p.weight
    n = len(df)
    sup = scenario.interventions.supports
    birth_day = _col(df, "birth_day")
    w_birth = discount(birth_day, rate)
    w_enrol = np.ones(n)
    q: dict[str, np.ndarray] = {}

    # infant birth stay
    signs = _col(df, "nows_signs") > 0
    los = _col(df, "nows_los")
    setting = df["care_setting"].astype(str).to_numpy()
    nicu = _col(df, "nicu") > 0
    q["infant_routine_stays"] = np.where(signs, 0.0, 1.0) * w_birth
    q["nows_days_nicu"] = np.where(signs & nicu, los, 0.0) * w_birth
    q["nows_days_rooming_in"] = np.where(signs & ~nicu & (setting != "esc"), los, 0.0) * w_birth
    q["nows_days_esc"] = np.where(signs & ~nicu & (setting == "esc"), los, 0.0) * w_birth
    q["nows_pharm_days"] = _col(df, "nows_pharm_days") * w_birth
    q["preterm_births"] = _col(df, "preterm") * w_birth

    # MOUD, overdoses, use, by period
    kind = _moud_type(df)
    moud_weeks = (p.moud * w).sum(axis=1) / 7.0
    q["methadone_weeks"] = np.where(kind == "methadone", moud_weeks, 0.0)
    q["buprenorphine_weeks"] = np.where(kind == "buprenorphine", moud_weeks, 0.0)
    q["overdoses_nonfatal"] = (p.od_nonfatal * w).sum(axis=1)
    q["overdoses_fatal"] = (p.od_fatal * w).sum(axis=1)
    q["use_days"] = (p.use * w).sum(axis=1)
    after_death = np.where(_col(df, "maternal_death")[:, None] > 0, np.maximum(p.followed - p.alive, 0.0), 0.0)
    after_death[:, :3] = 0.0  # pregnancy days after a death are not days of follow-up of the mother's work
    q["days_after_death"] = (after_death * w).sum(axis=1)

    # programmes: sessions attended, discounted at the first session offered
    fac = np.zeros(n)
    sessions = np.zeros(n)
    patient = np.zeros(n)
    for key, delivery in inputs.programmes.items():
        s = _col(df, f"{key}_sessions") if f"{key}_sessions" in df.columns else np.zeros(n)
        start = _col(df, f"{key}_start_day") if f"{key}_start_day" in df.columns else np.zeros(n)
        ws = discount(start, rate)
        fac += s * delivery.session_hours * delivery.facilitators / delivery.group_size * ws
        sessions += s * ws
        patient += s * (delivery.session_hours + inputs.time.travel_hours_per_session) * ws
    q["facilitator_hours"] = fac
    q["sessions_attended"] = sessions
    q["patient_hours"] = (patient + q["methadone_weeks"] * inputs.time.methadone_visit_hours_week
                          + q["buprenorphine_weeks"] * inputs.time.buprenorphine_visit_hours_week)

    # supports switched on by the scenario, for the dyads they reach
    followed_years = (p.followed * w).sum(axis=1) / DAYS_PER_YEAR
    alive_months = (p.alive * w).sum(axis=1) / DAYS_PER_MONTH
    q["home_visiting_years"] = (_col(df, "hv_eligible") * followed_years) if sup.home_visiting else np.zeros(n)
    q["peer_support_months"] = alive_months if sup.peer_support else np.zeros(n)
    housed = (_col(df, "housing_unstable") > 0) & (_col(df, "housing_unstable_end") == 0)
    q["housing_months"] = np.where(housed, alive_months, 0.0) if sup.transitional_housing else np.zeros(n)
    q["births_with_training"] = w_enrol * (1.0 if sup.provider_training else 0.0)
    q["mothers_screened"] = w_enrol * (1.0 if sup.mental_health_screening else 0.0)
    q["mothers_mh_treated"] = _col(df, "mh_treated") * w_enrol
    q["mothers_pp_moud_support"] = (_col(df, "moud_at_delivery") * w_birth if scenario.interventions.moud.postpartum_support
                                    else np.zeros(n))

    # child welfare
    report = _col(df, "cps_report")
    w_report = discount(birth_day + _col(df, "cps_report_day"), rate)
    q["cps_reports"] = report * w_report
    q["keep_together_families"] = report * w_report if sup.keep_together else np.zeros(n)
    # placement: the infant's days apart from the removal on (days of a month are the postpartum
    # days d with 30.4375 (m - 1) <= d < 30.4375 m; in the month of the removal only its days from then)
    removal = np.nan_to_num(df["cps_removal_day"].to_numpy(np.float64), nan=1e9)  # no removal: never
    k = np.arange(p.separated.shape[1] - 3)
    lo, hi = np.ceil(DAYS_PER_MONTH * k), np.ceil(DAYS_PER_MONTH * (k + 1))
    days_after = np.clip(hi[None, :] - np.maximum(lo[None, :], removal[:, None]), 0.0, None)
    placed = np.where(_col(df, "cps_removal")[:, None] > 0, np.minimum(p.separated[:, 3:], days_after), 0.0)
    q["placement_days"] = (placed * w[:, 3:]).sum(axis=1)

    # health states of the mother (days alive), and the infant (days followed from birth)
    use = np.minimum(p.use, p.alive)
    moud_only = np.clip(np.minimum(p.moud, p.alive - use), 0.0, None)
    abstinent = np.clip(p.alive - use - moud_only, 0.0, None)
    dep = np.nan_to_num(p.depression, nan=0.0) * p.alive
    h = {"mother_use_years": use, "mother_moud_years": moud_only, "mother_abstinent_years": abstinent,
         "mother_depression_years": dep}
    for name, days in h.items():
        q[name] = (days * w).sum(axis=1) / DAYS_PER_YEAR
    infant_days = p.followed[:, 3:]
    stay = np.where(signs, los, 0.0)
    q["infant_nows_years"] = stay * w_birth / DAYS_PER_YEAR
    q["infant_healthy_years"] = np.clip((infant_days * w[:, 3:]).sum(axis=1) / DAYS_PER_YEAR - q["infant_nows_years"],
                                        0.0, None)

    # undiscounted outcomes
    q["mother_life_years"] = p.alive.sum(axis=1) / DAYS_PER_YEAR
    q["infant_life_years"] = infant_days.sum(axis=1) / DAYS_PER_YEAR
    q["overdose_deaths"] = _col(df, "maternal_death")
    q["overdoses"] = p.od_nonfatal.sum(axis=1)
    q["nows_days"] = stay
    q["removals"] = _col(df, "cps_removal")
    q["secure_attachments"] = (df["attachment"].astype(str) == "secure").to_numpy(np.float64)
    q["cps_report_count"] = report

    if extrapolate_years > 0:
        _extrapolate(q, p, df, rate, extrapolate_years, horizon_days)
    out = pd.DataFrame(q, index=df.index)
    out.insert(0, "dyad_id", df["dyad_id"].to_numpy())
    out.insert(1, "replicate", df["replicate"].to_numpy())
    return out


def annuity(start_days: np.ndarray, years: float, rate: float) -> np.ndarray:
    """Discounted years of a flow of one a year for ``years`` years from ``start_days`` (days from
    enrolment), each year (and the last part year) discounted at its middle."""
    whole = int(np.floor(years))
    parts = [(k + 0.5, 1.0) for k in range(whole)]
    if years > whole:
        parts.append((whole + (years - whole) / 2.0, years - whole))
    total = np.zeros_like(np.asarray(start_days, dtype=np.float64))
    for mid, length in parts:
        total = total + length * discount(start_days + mid * DAYS_PER_YEAR, rate)
    return total


def _extrapolate(q: dict[str, np.ndarray], p: Periods, df: pd.DataFrame, rate: float, years: float,
                 horizon_days: float | None) -> None:
    """Add the labelled extrapolation beyond the horizon to the health years (module doc)."""
    birth_day = _col(df, "birth_day")
    months = p.alive.shape[1] - 3
    end = birth_day + (horizon_days if horizon_days is not None else months * DAYS_PER_MONTH)
    a = annuity(end, years, rate)
    alive_end = _col(df, "maternal_death") == 0
    # the last month with days alive: its mix of use, MOUD and neither, and its depression
    last = np.where(p.alive[:, 3:] > 0, np.arange(months)[None, :], -1).max(axis=1) + 3
    rows = np.arange(len(df))
    days = np.maximum(p.alive[rows, last], 1.0)
    use = np.minimum(p.use[rows, last], days) / days
    moud = np.clip(np.minimum(p.moud[rows, last], days - use * days) / days, 0.0, None)
    share = {"mother_use_years": use, "mother_moud_years": moud,
             "mother_abstinent_years": np.clip(1.0 - use - moud, 0.0, None),
             "mother_depression_years": np.nan_to_num(p.depression[rows, last], nan=0.0)}
    for name, s in share.items():
        q[name] = q[name] + np.where(alive_end, s * a, 0.0)
    q["infant_healthy_years"] = q["infant_healthy_years"] + a
    q["mother_life_years"] = q["mother_life_years"] + np.where(alive_end, years, 0.0)
    q["infant_life_years"] = q["infant_life_years"] + years


def value(means: pd.DataFrame, costs: dict[str, np.ndarray | float], utils: dict[str, np.ndarray | float],
          inputs: EconomicInputs) -> pd.DataFrame:
    """Costs and QALYs from (mean) quantities: one row per row of ``means`` (strategy and draw),
    each with its own prices and utilities where ``costs``/``utils`` hold arrays of that length.

    Columns: ``cost_<category>`` (each cost category), ``cost_payer``, ``cost_societal`` (payer plus
    the societal items), ``qaly_mother``, ``qaly_infant``, ``qaly_dyad``.
    """
    out: dict[str, np.ndarray] = {}
    payer = np.zeros(len(means))
    societal = np.zeros(len(means))
    for name, item in inputs.costs.items():
        c = np.asarray(costs[name], dtype=np.float64) * means[item.quantity].to_numpy(np.float64)
        key = f"cost_{item.category.replace(' ', '_').replace('-', '_')}"
        out[key] = out.get(key, np.zeros(len(means))) + c
        societal = societal + c
        if item.perspective == "payer":
            payer = payer + c
    out["cost_payer"], out["cost_societal"] = payer, societal
    u = {k: np.asarray(v, dtype=np.float64) for k, v in utils.items()}
    m = {k: means[k].to_numpy(np.float64) for k in HEALTH}
    out["qaly_mother"] = (u["mother_use"] * m["mother_use_years"] + u["mother_moud"] * m["mother_moud_years"]
                          + u["mother_abstinent"] * m["mother_abstinent_years"]
                          - u["depression_decrement"] * m["mother_depression_years"])
    out["qaly_infant"] = u["infant_healthy"] * m["infant_healthy_years"] + u["infant_nows_stay"] * m["infant_nows_years"]
    out["qaly_dyad"] = out["qaly_mother"] + out["qaly_infant"]
    return pd.DataFrame(out, index=means.index)

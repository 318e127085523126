"""From raw engine outputs to the per-dyad outcomes table, daily aggregates and the summary.

The schema of the outcomes table is documented in ``docs/outcomes.md``. Days are counted from
birth (postpartum day 0 is the day of birth) unless the column says otherwise; a missing event day
is NaN. Monthly columns end in ``_mMM`` (postpartum month 1..H), trimester columns in ``_t1.._t3``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dyadsim.model import instruments
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput
from dyadsim.core.registry import Final
from dyadsim.model import population
from dyadsim.model.modules import UPDATE_ORDER, state_names
from dyadsim.model.states import S

def _event_day(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, np.nan, x).astype(np.float64)


_DTYPES = {"flag": np.int8, "count": np.int16, "int": np.int32, "float": np.float64}


def final_declarations() -> tuple[Final, ...]:
    """Every declared end-of-run column: the population's baseline draws, then each module's
    ``FINAL`` in update order (see :class:`dyadsim.core.registry.Final`)."""
    return tuple(d for m in (population, *UPDATE_ORDER) for d in getattr(m, "FINAL", ()))


def _state_index() -> dict[str, int]:
    return {name: i for i, name in enumerate(state_names())}


def final_column(f: np.ndarray, d: Final) -> Any:
    """The column ``d`` from the final states ``f`` (dyads x states)."""
    index = _state_index()
    v = f[:, index[d.state]]
    if d.kind == "category":
        codes = v.astype(int)
        return pd.Categorical.from_codes(np.where(codes >= 0, codes, -1), d.categories)
    if d.kind == "ever":
        return (v >= 0).astype(np.int8)
    if d.kind == "day":
        out = _event_day(v) / d.divide_by if d.divide_by != 1.0 else _event_day(v)
    elif d.divide_by != 1.0:
        out = v / d.divide_by  # in the stored precision of the final states, as recorded
    else:
        out = v.astype(_DTYPES[d.kind])
    if d.only_if is not None:
        out = np.where(f[:, index[d.only_if]] >= 0, out, np.nan)
    return out


def _pregnancy_columns(q: np.ndarray) -> dict[str, np.ndarray]:
    """Trimester sums and means of the pregnancy after enrolment, from the declared measures
    (:data:`dyadsim.engine.layout.RECORDED`); a mean is over the trimester's days alive."""
    col: dict[str, np.ndarray] = {}
    alive = q[:, layout.Q["alive_days"], :]
    for r in layout.RECORDED:
        if r.trimesters and r.pregnancy_total:
            col[f"{r.name}_pregnancy"] = q[:, layout.Q[r.name]].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in range(3):
            col[f"days_alive_t{t + 1}"] = alive[:, t]
            for r in layout.RECORDED[len(layout.BASE):]:
                if r.trimesters:
                    v = q[:, layout.Q[r.name], t]
                    col[f"{r.name}_t{t + 1}"] = v if r.report == "sum" else v / alive[:, t]
    return col


def _monthly_columns(mon: np.ndarray) -> dict[str, np.ndarray]:
    """Postpartum monthly sums and means, from the declared measures: a mean is over the month's
    days alive (``over="alive"``) or days of follow-up (``over="followed"``); and first-year totals."""
    col: dict[str, np.ndarray] = {}
    days = {"alive": mon[:, layout.M["alive_days"], :], "followed": mon[:, layout.M["followed_days"], :]}
    with np.errstate(invalid="ignore", divide="ignore"):
        for m in range(mon.shape[2]):
            tag = f"_m{m + 1:02d}"
            col["days_alive" + tag] = days["alive"][:, m]
            col["days_followed" + tag] = days["followed"][:, m]
            for r in layout.RECORDED[len(layout.BASE):]:
                v = mon[:, layout.M[r.name], m]
                col[r.name + tag] = v if r.report == "sum" else v / days[r.over][:, m]
    for r in layout.RECORDED:
        if r.year_total:
            col[f"{r.name}_pp_year"] = mon[:, layout.M[r.name], :12].sum(axis=1)
    return col


def outcomes_table(out: SimOutput, care_setting: str = "nicu", replicate: int = 0) -> pd.DataFrame:
    """One row per dyad: ids, the declared end-of-run columns (baseline covariates, events with their
    days, doses, scores; :func:`final_declarations`), trimester and monthly measures, first-year
    totals and the observed scores of the instruments."""
    f = out.final
    n = len(out.ids)
    col: dict[str, Any] = {"dyad_id": out.ids.astype(np.int64), "replicate": np.full(n, replicate),
                           "seed": np.full(n, out.seed, dtype=np.int64)}
    col.update({d.column: final_column(f, d) for d in final_declarations()})
    col["care_setting"] = np.full(n, care_setting)
    birth = np.where(f[:, S.birth_day] >= 0, f[:, S.birth_day], np.nan)
    col["maternal_death_pp_day"] = _event_day(f[:, S.death_day]) - birth
    col.update(_pregnancy_columns(out.pregnancy))
    col.update(_monthly_columns(out.monthly))
    col.update(instruments.observe(col, seed=out.seed, ids=out.ids.astype(np.uint64)))
    return pd.DataFrame(col)


def aggregates_table(out: SimOutput, replicate: int = 0) -> pd.DataFrame:
    """Daily cohort aggregates: one row per gestational day (phase 'pregnancy') or postpartum day."""
    a = out.aggregates
    n_axis = a.shape[0]
    idx = np.arange(n_axis)
    df = pd.DataFrame({"replicate": replicate, "phase": np.where(idx < layout.PREG_AXIS, "pregnancy", "postpartum"),
                       "day": np.where(idx < layout.PREG_AXIS, idx, idx - layout.PREG_AXIS)})
    counts = a[:, : layout.N_COUNT_AGG]
    for k, name in enumerate(layout.AGGREGATES):
        if k < layout.N_COUNT_AGG:
            df[f"n_{name}"] = counts[:, k]
    alive = np.maximum(a[:, 1], 1)
    fol = np.maximum(a[:, 0], 1)
    for k in range(layout.N_COUNT_AGG, len(layout.AGGREGATES)):
        name = layout.AGGREGATES[k]
        denom = fol if name == "infant_distress" else alive
        df[f"mean_{name}"] = a[:, k] / layout.FIXED_POINT / denom
    df["share_use"] = a[:, 2] / alive
    df["share_on_moud"] = a[:, 3] / alive
    df["share_separated"] = a[:, 6] / fol
    return df[a[:, 0] > 0].reset_index(drop=True)

"""From raw engine outputs to the per-dyad outcomes table, daily aggregates and the summary.

The schema of the outcomes table is documented in ``docs/outcomes.md``. Days are counted from
birth (postpartum day 0 is the day of birth) unless the column says otherwise; a missing event day
is NaN. Monthly columns end in ``_mMM`` (postpartum month 1..H), trimester columns in ``_t1.._t3``.
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from dyadsim.model import instruments
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput
from dyadsim.model.modules.attachment import CLASSES
from dyadsim.model.modules.individual import RANDOM_EFFECTS
from dyadsim.model.states import S

MOUD_TYPES = ("none", "methadone", "buprenorphine")
_MOTHER_MEANS = ("craving", "perceived_stress", "parenting_stress", "depression", "bonding", "parenting",
                 "synchrony", "salience", "pos_affect", "neg_affect", "withdrawal", "self_control")
"""Monthly means over days alive of latent states (0-1)."""
_PREG_MEANS = ("craving", "perceived_stress", "pos_affect", "neg_affect", "depression")
"""Trimester means over days alive of latent states (0-1)."""
_DAY_COUNTS = ("other_use_days", "tobacco_days")
"""Days of use of other substances and tobacco, by month and trimester."""


def _event_day(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0, np.nan, x).astype(np.float64)


def outcomes_table(out: SimOutput, care_setting: str = "nicu", replicate: int = 0) -> pd.DataFrame:
    """One row per dyad: baseline covariates, events with their days, monthly and trimester measures."""
    f = out.final
    col: dict[str, np.ndarray] = {"dyad_id": out.ids.astype(np.int64), "replicate": np.full(len(out.ids), replicate),
                                  "seed": np.full(len(out.ids), out.seed, dtype=np.int64)}
    for name in ("aces", "depression_dx", "anxiety_dx", "other_sud", "tobacco", "support", "housing_unstable",
                 "low_income", "prior_cps", "first_pregnancy"):
        v = f[:, getattr(S, name)]
        col[name] = v.astype(np.float64) if name == "support" else v.astype(np.int8 if name != "aces" else np.int16)
    col["moud_type"] = pd.Categorical.from_codes(f[:, S.moud_type].astype(int), MOUD_TYPES)
    col["moud_start_week"] = _event_day(f[:, S.moud_start_week])
    col["enrol_week"] = f[:, S.enrol_gest_day] / 7.0
    col["birth_day"] = f[:, S.birth_day].astype(np.int32)
    col["gest_weeks_at_birth"] = f[:, S.gest_days_at_birth] / 7.0
    col["preterm"] = f[:, S.preterm].astype(np.int8)
    q, mon = out.pregnancy, out.monthly
    col["use_days_pregnancy"] = q[:, layout.Q["use_days"]].sum(axis=1)
    for k, name in (("use_days", "use_days"), ("od_nonfatal", "od_nonfatal"), ("od_fatal", "od_fatal"),
                    ("alive_days", "days_alive"), ("moud_days", "moud_days")):
        for t in range(3):
            col[f"{name}_t{t + 1}"] = q[:, layout.Q[k], t]
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in range(3):
            for k in _PREG_MEANS:
                col[f"{k}_t{t + 1}"] = q[:, layout.Q[k], t] / q[:, layout.Q["alive_days"], t]
            for k in _DAY_COUNTS:
                col[f"{k}_t{t + 1}"] = q[:, layout.Q[k], t]
    for k in _DAY_COUNTS:
        col[f"{k}_pregnancy"] = q[:, layout.Q[k]].sum(axis=1)
    col["moud_at_delivery"] = f[:, S.moud_at_delivery].astype(np.int8)
    col["moud_stop_gest_week"] = _event_day(f[:, S.moud_stop_gest_day]) / 7.0
    col["moud_stop_pp_day"] = _event_day(f[:, S.moud_stop_pp_day])
    col["first_pp_use_day"] = _event_day(f[:, S.first_pp_use_day])
    col["nows_signs"] = f[:, S.nows_signs].astype(np.int8)
    col["nows_severity"] = f[:, S.nows_birth_severity].astype(np.float64)
    col["nows_pharm"] = f[:, S.nows_pharm].astype(np.int8)
    col["nows_los"] = f[:, S.los].astype(np.float64)
    col["nows_exposure"] = f[:, S.nows_exposure].astype(np.float64)
    col["nows_pharm_days"] = f[:, S.nows_pharm_days].astype(np.float64)
    col["nows_ready_day"] = _event_day(f[:, S.nows_ready_day])
    col["care_setting"] = np.full(len(out.ids), care_setting)
    col["nicu"] = f[:, S.nicu].astype(np.int8)
    col["cps_report"] = f[:, S.cps_report].astype(np.int8)
    col["cps_report_day"] = _event_day(f[:, S.cps_report_day])
    col["cps_removal"] = (f[:, S.cps_removal_day] >= 0).astype(np.int8)
    col["cps_removal_day"] = _event_day(f[:, S.cps_removal_day])
    death = _event_day(f[:, S.death_day])
    col["maternal_death"] = np.isfinite(death).astype(np.int8)
    col["maternal_death_pp_day"] = death - np.where(f[:, S.birth_day] >= 0, f[:, S.birth_day], np.nan)
    att = f[:, S.attachment].astype(int)
    col["attachment"] = pd.Categorical.from_codes(np.where(att >= 0, att, -1), CLASSES)
    # Continuous scores beside the class (logit scale; the class is the declared rule applied to
    # them with assessment error) and the infant's learned states at 12 months.
    classified = att >= 0
    for name, st in (("attachment_security", S.att_security), ("attachment_avoidance", S.att_avoidance),
                     ("attachment_resistance", S.att_resistance), ("attachment_disorganization", S.att_disorganization),
                     ("attachment_expectation", S.att_expect), ("attachment_rejection", S.att_reject),
                     ("attachment_inconsistency", S.att_inconsistency), ("attachment_fright", S.att_fright)):
        col[name] = np.where(classified, f[:, st].astype(np.float64), np.nan)
    col["infant_temperament"] = f[:, S.temperament].astype(np.float64)
    col["infant_other_care"] = f[:, S.other_care].astype(np.float64)
    col["infant_nurturance"] = f[:, S.nurturance].astype(np.float64)
    col["mother_sens_disposition"] = f[:, S.sens_disposition].astype(np.float64)
    for d in ("physical", "psychological", "cognitive", "social", "economic"):
        col[f"wb_{d}"] = f[:, getattr(S, f"wb_{d}")].astype(np.float64)
    months = mon.shape[2]
    alive = mon[:, layout.M["alive_days"], :]
    with np.errstate(invalid="ignore", divide="ignore"):
        for m in range(months):
            tag = f"_m{m + 1:02d}"
            for k in ("use_days", "od_nonfatal", "od_fatal", "moud_days", "separated_days") + _DAY_COUNTS:
                col[k + tag] = mon[:, layout.M[k], m]
            col["days_alive" + tag] = alive[:, m]
            col["days_followed" + tag] = mon[:, layout.M["followed_days"], m]
            for k in _MOTHER_MEANS:
                col[k + tag] = mon[:, layout.M[k], m] / alive[:, m]
            col["infant_distress" + tag] = mon[:, layout.M["infant_distress"], m] / mon[:, layout.M["followed_days"], m]
    for k in ("more_sessions", "sg_sessions", "mbp_sessions", "abc_sessions", "practice_days"):
        col[k] = f[:, getattr(S, k)].astype(np.float64)
    col["more_dose_end"] = f[:, S.more_skill].astype(np.float64)
    col["hv_eligible"] = f[:, S.hv_eligible].astype(np.int8)
    col["mh_treated"] = f[:, S.mh_treated].astype(np.int8)
    col["housing_unstable_end"] = f[:, S.housing_eff].astype(np.int8)
    # Relapse and recovery, returns to use, MOUD episodes, programme delivery, random effects.
    for k in ("lapses", "relapses", "remissions", "quit_attempts", "returns_pp", "returns_od_pp", "moud_episodes"):
        col[k] = f[:, getattr(S, k)].astype(np.float64)
    for e in range(1, 4):
        col[f"moud_ep{e}_start_day"] = _event_day(f[:, getattr(S, f"moud_ep{e}_start")])
        col[f"moud_ep{e}_stop_day"] = _event_day(f[:, getattr(S, f"moud_ep{e}_stop")])
        ep_type = f[:, getattr(S, f"moud_ep{e}_type")].astype(int)
        col[f"moud_ep{e}_type"] = pd.Categorical.from_codes(ep_type, MOUD_TYPES)
    for g in ("more", "sg", "mbp", "abc"):
        col[f"{g}_start_day"] = _event_day(f[:, getattr(S, f"{g}_start_day")])
    for g in ("sg", "mbp", "abc"):
        col[f"{g}_practice_days"] = f[:, getattr(S, f"{g}_practice_days")].astype(np.float64)
    for name in RANDOM_EFFECTS:
        col[f"re_{name}"] = f[:, getattr(S, f"re_{name}")].astype(np.float64)
    col["network_use"] = f[:, S.network_use].astype(np.int8)
    col["use_days_pp_year"] = mon[:, layout.M["use_days"], :12].sum(axis=1)
    col["od_nonfatal_pp_year"] = mon[:, layout.M["od_nonfatal"], :12].sum(axis=1)
    for k in _DAY_COUNTS:
        col[f"{k}_pp_year"] = mon[:, layout.M[k], :12].sum(axis=1)
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

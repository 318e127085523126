"""Effects by pre-specified subgroup in a comparison, with a test of interaction.

A planner must see where an effect lives: under the model MORE cuts postpartum use days far more
in mothers without MOUD at enrolment than in those on it. For each scenario against the first, on
the same dyads and seeds (common random numbers), and for each subgroup defined at baseline:

* the effect in each level (mean paired difference over the dyads of that level, per replicate;
  centre and interval over replicates by :func:`dyadsim.core.intervals.bands`, the run's kind);
* the interaction: per replicate, the effect in the level minus the effect outside it; its
  interval the same way, and a two-sided one-sample t test over replicates (at least 3).

Subgroups are derived from the per-dyad outcome table's baseline columns (:data:`SUBGROUPS`). The
care setting is a scenario's choice, not a baseline trait: compare scenarios that set it instead.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from dyadsim.core import intervals

SUBGROUPS: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray]]] = {
    "moud_at_enrolment": ("on MOUD at enrolment", lambda d: ((d["moud_type"].astype(str) != "none")
                                                              & (d["moud_start_week"] <= d["enrol_week"])).to_numpy()),
    "aces_4_plus": ("4 or more adverse childhood experiences", lambda d: (d["aces"] >= 4).to_numpy()),
    "prior_cps": ("prior child-protective-services contact", lambda d: (d["prior_cps"] > 0).to_numpy()),
}
"""Pre-specified subgroups: name -> (label, membership from the per-dyad outcome table)."""

OUTCOMES: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray]]] = {
    "use_days_pp_year": ("days of opioid use, postpartum year", lambda d: d["use_days_pp_year"].to_numpy(float)),
    "od_nonfatal_pp_year": ("non-fatal overdoses, postpartum year", lambda d: d["od_nonfatal_pp_year"].to_numpy(float)),
    "moud_at_delivery": ("on MOUD at delivery (share)", lambda d: d["moud_at_delivery"].to_numpy(float)),
    "cps_report": ("CPS report (share)", lambda d: d["cps_report"].to_numpy(float)),
    "attachment_secure": ("secure attachment (share)",
                          lambda d: (d["attachment"].astype(str) == "secure").to_numpy(float)),
}
"""Outcomes analysed by subgroup: name -> (label, per-dyad values)."""

COLUMNS: tuple[str, ...] = ("scenario", "subgroup", "level", "outcome", "effect", "lower", "upper", "dyads",
                            "interval", "interaction", "interaction_lower", "interaction_upper", "p_interaction")
"""Columns of :func:`subgroup_effects` (interaction columns on the ``in`` rows only)."""


def _per_replicate(base: pd.DataFrame, other: pd.DataFrame, values: Callable[[pd.DataFrame], np.ndarray],
                   member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per replicate: the mean paired difference among members and among non-members, and how
    many dyads each holds."""
    diff = values(other) - values(base)
    reps = base["replicate"].to_numpy()
    ids = np.unique(reps)
    inside, outside, n_in, n_out = (np.full(len(ids), np.nan) for _ in range(4))
    for i, r in enumerate(ids):
        mine = reps == r
        a, b = diff[mine & member], diff[mine & ~member]
        inside[i] = a.mean() if len(a) else np.nan
        outside[i] = b.mean() if len(b) else np.nan
        n_in[i], n_out[i] = len(a), len(b)
    return inside, outside, n_in, n_out


def subgroup_effects(base: pd.DataFrame, others: dict[str, pd.DataFrame], kind: str) -> pd.DataFrame:
    """Effects by subgroup of every scenario in ``others`` against ``base`` (per-dyad outcome
    tables of the same dyads and replicates), with interaction tests (see the module doc)."""
    keys = ["replicate", "dyad_id"]
    base = base.sort_values(keys, kind="stable").reset_index(drop=True)
    rows = []
    for name, other in others.items():
        other = other.sort_values(keys, kind="stable").reset_index(drop=True)
        if not (other[keys].to_numpy() == base[keys].to_numpy()).all():
            raise ValueError(f"{name}: the per-dyad tables do not hold the same dyads and replicates")
        for sg, (_, member_of) in SUBGROUPS.items():
            member = member_of(base)
            for out, (_, values) in OUTCOMES.items():
                inside, outside, n_in, n_out = _per_replicate(base, other, values, member)
                inter = inside - outside
                for level, v, n in (("in", inside, n_in), ("out", outside, n_out)):
                    c, lo, hi = (float(x) for x in intervals.bands(v, kind=kind))
                    row = {"scenario": name, "subgroup": sg, "level": level, "outcome": out, "effect": c,
                           "lower": lo, "upper": hi, "interval": intervals.label(kind),
                           "dyads": float(np.mean(n))}
                    if level == "in":
                        ic, ilo, ihi = (float(x) for x in intervals.bands(inter, kind=kind))
                        ok = inter[np.isfinite(inter)]
                        p = float(stats.ttest_1samp(ok, 0.0).pvalue) if len(ok) >= 3 and ok.std() > 0 else np.nan
                        row.update({"interaction": ic, "interaction_lower": ilo, "interaction_upper": ihi,
                                    "p_interaction": p})
                    rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))

"""Outputs for checking the model against studies: states by trimester and month, other substances.

Expected behaviour:

* craving, perceived stress, positive and negative affect and depressive symptoms are reported by
  trimester (days observed after enrolment) as well as by postpartum month; positive affect,
  withdrawal and self-control by month; all on their latent 0-1 scale;
* days of use of other substances are counted only for mothers with another substance use
  disorder, days of smoking only for mothers who smoke, never more than the days alive;
* other-substance use goes with opioid use (co-use on the same days, edge
  ``opioid_other_substance``), and smokers smoke on fewer days in pregnancy than after it;
* the recorder's hand-written indices match the declared accumulator lists.
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pandas as pd

from dyadsim.engine import layout

TRIMESTER_MEANS = ("craving", "perceived_stress", "pos_affect", "neg_affect", "depression")
MONTH_MEANS = ("craving", "perceived_stress", "pos_affect", "neg_affect", "withdrawal", "self_control")


def test_states_by_trimester_and_month(cohort_table: pd.DataFrame) -> None:
    d = cohort_table
    for k in TRIMESTER_MEANS:
        for t in (1, 2, 3):
            v = d[f"{k}_t{t}"].dropna()
            assert len(v) > (0.1 if t == 1 else 0.5) * len(d) and v.between(0, 1 + 1e-6).all(), (k, t)
    # Enrolment is after week 8, so the first trimester is observed for fewer mothers than the third.
    assert d["craving_t1"].notna().sum() < d["craving_t3"].notna().sum()
    for k in MONTH_MEANS:
        for m in (1, 6, 12):
            v = d[f"{k}_m{m:02d}"].dropna()
            assert len(v) > 0.9 * len(d) and v.between(0, 1 + 1e-6).all(), (k, m)
    # Mothers who used opioids on more days in a month had more withdrawal and less self-control.
    use = d["use_days_m06"]
    assert np.corrcoef(use, d["withdrawal_m06"].fillna(0))[0, 1] > 0.2
    assert d.loc[use > 15, "self_control_m06"].mean() < d.loc[use == 0, "self_control_m06"].mean()


def test_other_substance_and_tobacco_days(cohort_table: pd.DataFrame) -> None:
    d = cohort_table
    months = [c for c in d.columns if re.fullmatch(r"other_use_days_m\d\d", c)]
    assert months and len(months) == len([c for c in d.columns if re.fullmatch(r"tobacco_days_m\d\d", c)])
    for k, flag in (("other_use_days", "other_sud"), ("tobacco_days", "tobacco")):
        total = d[f"{k}_pregnancy"] + d[f"{k}_pp_year"]
        assert (total[d[flag] == 0] == 0).all(), k
        assert total[d[flag] == 1].mean() > 10, k
        for m in (1, 12):
            assert (d[f"{k}_m{m:02d}"] <= d[f"days_alive_m{m:02d}"]).all()
        for t in (1, 2, 3):
            assert (d[f"{k}_t{t}"] <= d[f"days_alive_t{t}"]).all()
    # Co-use: among mothers with another SUD, more opioid-use days go with more other-substance days.
    o = d[d["other_sud"] == 1]
    r = np.corrcoef(o["use_days_pp_year"], o["other_use_days_pp_year"])[0, 1]
    se = (1 - r ** 2) / np.sqrt(len(o))
    assert r > 4 * se, r
    # Smokers smoke on a smaller share of days in the third trimester than in postpartum month 6.
    s = d[(d["tobacco"] == 1) & (d["days_alive_t3"] > 20) & (d["days_alive_m06"] > 20)]
    diff = s["tobacco_days_m06"] / s["days_alive_m06"] - s["tobacco_days_t3"] / s["days_alive_t3"]
    assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(len(diff)), diff.mean()


def test_record_accumulates_every_declared_slot_once() -> None:
    """Read from the lowered code: ``record`` adds to each monthly and trimester slot exactly once."""
    from dyadsim.engine.lower import Lowerer

    rec = Lowerer().lower(layout.record, {"s": "s", "t": "t"}, accumulators=("mon", "preg"), row="i")
    for arr, names in (("mon", layout.MONTHLY), ("preg", layout.PREGNANCY)):
        slots = sorted(k for k, _ in rec.accum[arr])
        assert slots == list(range(len(names))), (arr, slots)
    assert "10.0 *" not in inspect.getsource(layout.record)  # latent values, no instrument rescaling
    assert len(set(layout.MONTHLY)) == len(layout.MONTHLY) and "tobacco_days" in layout.MONTHLY
    assert layout.AGGREGATES[:layout.N_COUNT_AGG] == layout.AGGREGATE_COUNTS


def test_declared_columns_come_from_their_writer_and_are_documented() -> None:
    """Each end-of-run column is declared by the module that writes its state (the population for
    baseline draws), appears once, and is described in docs/outcomes.md."""
    from pathlib import Path

    from dyadsim.engine.access import owners
    from dyadsim.model import population
    from dyadsim.model.modules import UPDATE_ORDER
    from dyadsim.run.results import final_declarations

    writer = owners()
    for m in UPDATE_ORDER:
        for d in getattr(m, "FINAL", ()):
            assert writer.get(d.state) == m.__name__.rsplit(".", 1)[-1], (d.column, d.state, writer.get(d.state))
    assert all(d.state not in writer for d in population.FINAL)  # baseline draws: written by no module
    columns = [d.column for d in final_declarations()]
    assert len(columns) == len(set(columns))
    doc = (Path(__file__).resolve().parent.parent / "docs" / "outcomes.md").read_text(encoding="utf-8")
    # A family of columns is documented once, with K for its number (``moud_epK_type``).
    missing = [c for c in columns if f"`{c}`" not in doc and re.sub(r"\d+", "K", c) not in doc]
    assert not missing, f"declared columns not described in docs/outcomes.md: {missing}"

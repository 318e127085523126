"""The outcomes table, the summary, and the population marginals of a simulated cohort."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from dyadsim.model.modules.attachment import CLASSES
from dyadsim.model.population import default_spec_dict
from dyadsim.run.summary import SUMMARY
from dyadsim.run.results import aggregates_table, outcomes_table
from dyadsim.run.streaming import summarize

REQUIRED = (
    ["dyad_id", "aces", "moud_type", "use_days_pregnancy", "use_days_t1"]
    + [f"use_days_m{m:02d}" for m in range(1, 13)]
    + ["first_pp_use_day", "moud_at_delivery", "moud_start_week", "moud_stop_pp_day", "od_nonfatal_t1",
       "od_fatal_m01", "days_alive_m01", "nows_pharm", "nows_los", "care_setting", "cps_report",
       "cps_report_day", "cps_removal", "cps_removal_day", "attachment", "bonding_m12", "parenting_m12",
       "synchrony_m12", "craving_m12", "perceived_stress_m12", "parenting_stress_m12", "depression_m12",
       "wb_physical", "wb_psychological", "wb_cognitive", "wb_social", "wb_economic"]
)

COVS = default_spec_dict()["covariates"]


def test_one_row_per_dyad(cohort, cohort_table):
    assert len(cohort_table) == len(cohort.ids) == 1500
    assert cohort_table["dyad_id"].is_unique
    assert np.array_equal(cohort_table["dyad_id"].to_numpy(), cohort.ids.astype(np.int64))


@pytest.mark.parametrize("column", REQUIRED)
def test_required_column(cohort_table, column):
    assert column in cohort_table.columns


def test_no_thirteenth_month_at_default_horizon(cohort_table):
    assert "use_days_m12" in cohort_table and "use_days_m13" not in cohort_table


def test_column_types_and_codes(cohort_table):
    d = cohort_table
    assert set(d["moud_type"].cat.categories) == {"none", "methadone", "buprenorphine"}
    assert list(d["attachment"].cat.categories) == list(CLASSES)
    assert d["attachment"].notna().all(), "every dyad is classified at 12 months with the default horizon"
    assert (d["care_setting"] == "nicu").all()
    for c in ("cps_report", "cps_removal", "nows_pharm", "moud_at_delivery"):
        assert set(d[c].unique()) <= {0, 1}, c


def test_event_days_consistent_with_flags(cohort_table):
    d = cohort_table
    assert (d["cps_report_day"].notna() == (d["cps_report"] == 1)).all()
    assert (d["cps_removal_day"].notna() == (d["cps_removal"] == 1)).all()
    removed = d["cps_removal"] == 1
    assert (d.loc[removed, "cps_report"] == 1).all(), "removal without a report"
    assert (d.loc[removed, "cps_removal_day"] >= d.loc[removed, "cps_report_day"]).all()
    # First postpartum use day <=> some use day recorded in the postpartum year, in that month.
    used = d["use_days_pp_year"] > 0
    assert (d["first_pp_use_day"].notna() == used).all()
    first = d.loc[used, "first_pp_use_day"]
    assert ((first >= 0) & (first < 365)).all()
    month = (first // 30.4375).astype(int) + 1
    for i, m in month.items():
        assert d.at[i, f"use_days_m{m:02d}"] >= 1
        assert all(d.at[i, f"use_days_m{k:02d}"] == 0 for k in range(1, m))
    assert (d["moud_start_week"].isna() == (d["moud_type"] == "none")).all()
    # Mothers without a planned MOUD start may still enter treatment, but less often by delivery.
    planned = d["moud_type"] != "none"
    assert d.loc[~planned, "moud_at_delivery"].mean() < d.loc[planned, "moud_at_delivery"].mean()
    assert (d["nows_pharm"] <= d["nows_signs"]).all()
    assert (d["nows_los"] >= 1).all()
    assert (d["preterm"] == (d["gest_weeks_at_birth"] < 37)).all()


def test_deaths_and_days_alive(cohort_table):
    d = cohort_table
    fatal = d[[f"od_fatal_m{m:02d}" for m in range(1, 13)] + ["od_fatal_t1", "od_fatal_t2", "od_fatal_t3"]]
    assert (fatal.sum(axis=1) == d["maternal_death"]).all()
    for m in range(1, 13):
        assert (d[f"days_alive_m{m:02d}"] <= d[f"days_followed_m{m:02d}"]).all()
        assert (d[f"use_days_m{m:02d}"] <= d[f"days_alive_m{m:02d}"]).all()
    assert d[[f"days_followed_m{m:02d}" for m in range(1, 13)]].sum(axis=1).eq(365).all()
    assert (d["use_days_pregnancy"] == d[["use_days_t1", "use_days_t2", "use_days_t3"]].sum(axis=1)).all()


def test_monthly_means_latent_and_scores_on_instrument_scales(cohort_table):
    """Monthly means are latent 0-1 values; observed scores lie on the instruments' published ranges."""
    d = cohort_table
    for k in ("craving", "perceived_stress", "parenting_stress", "depression", "bonding", "parenting", "synchrony"):
        v = d[f"{k}_m12"].dropna()
        assert len(v) > 0.99 * len(d)
        assert ((v >= 0) & (v <= 1 + 1e-6)).all(), k
    ranges = {"craving_nrs": (0, 10), "pss10": (0, 40), "psi_sf": (36, 180), "epds": (0, 30), "pbq": (0, 125),
              "kips": (1, 5)}
    for k, (lo, hi) in ranges.items():
        v = d[f"{k}_obs_m12"].dropna()
        assert len(v) > 0.99 * len(d)
        assert ((v >= lo) & (v <= hi)).all(), k


def test_summarize_intervals(cohort_table):
    s = summarize(cohort_table)
    assert list(s["outcome"]) == [label for label, _ in SUMMARY]
    assert {"mean", "lower", "upper"} <= set(s.columns)
    ok = s.dropna(subset=["mean"])
    assert len(ok) == len(s), s[s["mean"].isna()]
    assert (ok["lower"] <= ok["mean"]).all() and (ok["mean"] <= ok["upper"]).all()
    assert (s["replicates"] == 1).all()
    shares = s[s["outcome"].str.contains("share")]
    assert ((shares["mean"] >= 0) & (shares["mean"] <= 1)).all()


def test_summarize_means_match_the_table(cohort_table):
    s = summarize(cohort_table).set_index("outcome")
    d = cohort_table
    assert s.loc["NOWS pharmacotherapy (share of infants)", "mean"] == pytest.approx(d["nows_pharm"].mean())
    assert s.loc["Days of opioid use, postpartum year", "mean"] == pytest.approx(d["use_days_pp_year"].mean())
    assert s.loc["Attachment disorganized (share)", "mean"] == pytest.approx((d["attachment"] == "disorganized").mean())
    secure_etc = [s.loc[f"Attachment {c} (share)", "mean"] for c in CLASSES]
    assert sum(secure_etc) == pytest.approx(1.0)
    # Normal interval with one replicate: mean +- z(0.975) SD / sqrt(n), z = 1.95996.
    v = d["use_days_pp_year"]
    half = 1.959964 * v.std(ddof=1) / np.sqrt(len(v))
    assert s.loc["Days of opioid use, postpartum year", "upper"] == pytest.approx(v.mean() + half)


def test_summarize_two_replicates_uses_replicate_means(cohort, cohort_table):
    half = len(cohort_table) // 2
    a = cohort_table.iloc[:half].assign(replicate=0)
    b = cohort_table.iloc[half:].assign(replicate=1)
    s = summarize(pd.concat([a, b], ignore_index=True)).set_index("outcome")
    label = "Infant length of stay (days)"  # not a share: t interval (shares: Wilson, test_intervals)
    assert s.loc[label, "replicates"] == 2
    m = [a["nows_los"].mean(), b["nows_los"].mean()]
    assert s.loc[label, "mean"] == pytest.approx(np.mean(m))
    # t(1) 0.975 quantile 12.706: half width 12.706 * SD(means) / sqrt(2).
    assert s.loc[label, "upper"] - s.loc[label, "mean"] == pytest.approx(12.7062 * np.std(m, ddof=1) / np.sqrt(2), rel=1e-4)


def test_aggregates_table(cohort):
    a = aggregates_table(cohort)
    pp = a[a["phase"] == "postpartum"]
    assert pp["day"].min() == 0 and pp["day"].max() == 364
    assert (pp["n_followed"] == len(cohort.ids)).all()
    for c in ("share_use", "share_on_moud", "share_separated"):
        assert ((a[c] >= 0) & (a[c] <= 1)).all(), c


# --- population marginals ------------------------------------------------------------------------

def _z_share(x: pd.Series, p: float) -> float:
    return (x.mean() - p) / np.sqrt(p * (1 - p) / len(x))


@pytest.mark.parametrize("name", ["depression_dx", "anxiety_dx", "other_sud", "tobacco", "housing_unstable",
                                  "low_income", "prior_cps", "first_pregnancy"])
def test_bernoulli_marginals(cohort_table, name):
    p = COVS[name]["p"]
    z = _z_share(cohort_table[name], p)
    assert abs(z) < 4, f"{name}: share {cohort_table[name].mean():.4f} vs {p} (z = {z:.2f})"


def test_depression_share(cohort_table):
    z = _z_share(cohort_table["depression_dx"], 0.369)
    assert abs(z) < 4, f"depression_dx share {cohort_table['depression_dx'].mean():.4f} vs 0.369 (z = {z:.2f})"


def test_moud_type_marginals(cohort_table):
    for code, label in enumerate(("none", "methadone", "buprenorphine")):
        p = COVS["moud_type"]["probs"][code]
        z = _z_share((cohort_table["moud_type"] == label).astype(float), p)
        assert abs(z) < 4, f"{label}: z = {z:.2f}"


def test_aces_mean_matches_clipped_rounded_normal(cohort_table):
    spec = COVS["aces"]
    mu, sd = spec["mean"], spec["sd"]
    assert (spec["min"], spec["max"]) == (0, 8) and spec["round"]
    k = np.arange(0, 9)
    upper = np.where(k < 8, norm.cdf((k + 0.5 - mu) / sd), 1.0)
    lower = np.where(k > 0, norm.cdf((k - 0.5 - mu) / sd), 0.0)
    pk = upper - lower
    mean = (k * pk).sum()
    var = ((k - mean) ** 2 * pk).sum()
    x = cohort_table["aces"].astype(float)
    assert set(np.unique(x)) <= set(range(9))
    se = np.sqrt(var / len(x))
    assert abs(x.mean() - mean) < 4 * se, f"aces mean {x.mean():.3f} vs {mean:.3f} (SE {se:.3f})"
    assert abs(x.mean() - 4.3) < 0.25
    # The clipped ends carry their tail mass: P(0) and P(8).
    for kk in (0, 8):
        z = _z_share((x == kk).astype(float), pk[kk])
        assert abs(z) < 4, f"P(aces={kk}): z = {z:.2f}"


def test_enrolment_week_uniform(cohort_table):
    lo, hi = COVS["enrol_week"]["min"], COVS["enrol_week"]["max"]
    x = cohort_table["enrol_week"]
    assert x.min() >= lo - 1 / 7 and x.max() <= hi
    se = (hi - lo) / np.sqrt(12 * len(x))
    assert abs(x.mean() - (lo + hi) / 2) < 4 * se + 1 / 14  # + half a day: enrolment days are floored


def test_daily_use_aggregates_match_per_dyad_use_days(default_params):
    from dyadsim.engine import layout
    from dyadsim.engine.run import simulate

    ps = default_params.copy()
    ps.set("overdose.od_logit", -4.5)  # enough deaths in a small cohort to see the difference
    ps.set("overdose.fatal_share", 0.12)
    out = simulate(ps, 300, 4, threads=2)
    from dyadsim.model.states import S

    deaths = int((out.final[:, S.alive] == 0).sum())
    assert deaths > 0, "the check needs at least one fatal overdose"
    daily = out.aggregates[:, layout.AGGREGATES.index("use")].sum()
    per_dyad = out.monthly[:, layout.M["use_days"]].sum() + out.pregnancy[:, layout.Q["use_days"]].sum()
    assert daily == per_dyad, f"daily aggregates count {daily} use days, per-dyad records {per_dyad}"

"""Economic evaluation with known answers: the frontier and ICERs of published worked examples,
discounting against its closed form, EVPI against the closed form for normal net benefit, EVPPI by
regression against the analytic value of a linear-Gaussian model, the costs and QALYs of one
scripted dyad traced day by day, and the inputs file's errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from dyadsim.config.scenario import parse_scenario
from dyadsim.core.errors import InputError
from dyadsim.economics.accounting import DAYS_PER_MONTH, annuity, discount, quantities, value
from dyadsim.economics.decision import acceptability, evpi, frontier
from dyadsim.economics.inputs import draw_inputs, load_inputs, parse_inputs
from dyadsim.economics.voi import evppi

# --- the frontier on published worked examples -------------------------------------------------


def test_frontier_removes_dominated_and_extendedly_dominated_options():
    """Frick 2007, Johns Hopkins OCW, Decision rules (lecture 11), incremental cost-effectiveness
    tables 1-2: options (cost, effect) 1 (300,000, 25), 2 (200,000, 20), 3 (450,000, 50), 4 (375,000,
    40), 5 (400,000, 15). 5 costs more than 1, 2 and 4 for less effect (dominated); along 2 -> 1 -> 4 -> 3
    the ICERs are 20,000, 5,000, 7,500: 1 is extendedly dominated, then 4 (8,750 > 7,500), leaving
    2 -> 3 at 250,000 / 30."""
    t = frontier(["1", "2", "3", "4", "5"], np.array([300e3, 200e3, 450e3, 375e3, 400e3]),
                 np.array([25.0, 20, 50, 40, 15])).set_index("strategy")
    assert t.status.to_dict() == {"2": "ND", "1": "ED", "4": "ED", "5": "D", "3": "ND"}
    assert np.isnan(t.loc["2", "icer"])
    assert t.loc["3", "icer"] == pytest.approx(250_000 / 30, rel=1e-12)


def test_frontier_icers_of_a_published_table():
    """Strategies on the frontier and their ICERs as published (colorectal screening, Aust New Zealand
    Health Policy 2005, 2:10, Table 7; costs in $, effect in life-years gained; ICERs rounded to $1)."""
    names = ["existing practice", "FOBT2", "DCBE5", "DCBE3", "FOBT1+DCBE5", "FOBT1+DCBE3"]
    cost = np.array([0, 140_117_791, 248_112_291, 304_301_903, 370_181_240, 422_777_702], dtype=float)
    effect = np.array([0, 3551, 6023, 6720, 7076, 7299], dtype=float)
    t = frontier(names, cost, effect).set_index("strategy")
    assert (t.status == "ND").all()
    published = {"FOBT2": 39_459, "DCBE5": 43_687, "DCBE3": 80_616, "FOBT1+DCBE5": 185_054, "FOBT1+DCBE3": 235_859}
    for name, icer in published.items():
        assert t.loc[name, "icer"] == pytest.approx(icer, abs=1.0)


def test_frontier_strong_dominance_of_a_published_table():
    """JNCI Cancer Spectrum 2020, 4(2):pkaa004, Table 1: strategy 2 (12,224.17; 8.583273) is absolutely
    dominated by strategy 3 (12,118.17; 8.590681); 3 over 1 (1,695.865; 8.570992): ICER 529,365.8 as
    published from rounded inputs (the unrounded ratio of the printed inputs is within 0.01%)."""
    t = frontier(["1", "2", "3"], np.array([1695.865, 12224.17, 12118.17]),
                 np.array([8.570992, 8.583273, 8.590681])).set_index("strategy")
    assert t.status.to_dict() == {"1": "ND", "3": "ND", "2": "D"}
    assert t.loc["3", "icer"] == pytest.approx(529_365.8, rel=1e-4)


def test_frontier_ties_keep_the_first():
    t = frontier(["a", "b"], np.array([1.0, 1.0]), np.array([2.0, 2.0])).set_index("strategy")
    assert t.status.to_dict() == {"a": "ND", "b": "D"}


# --- discounting --------------------------------------------------------------------------------


def test_discount_and_annuity_closed_forms():
    assert discount(365.25, 0.03) == pytest.approx(1 / 1.03, rel=1e-14)
    assert discount(0.0, 0.03) == 1.0
    # ten years, mid-year: sum of 1.03^-(k+0.5), and within 1e-4 of the continuous closed form
    a = float(annuity(np.array([0.0]), 10, 0.03)[0])
    assert a == pytest.approx(sum(1.03 ** -(k + 0.5) for k in range(10)), rel=1e-12)
    assert a == pytest.approx((1 - 1.03**-10) / np.log(1.03), rel=1e-4)
    assert float(annuity(np.array([0.0]), 2.5, 0.0)[0]) == pytest.approx(2.5)


# --- EVPI and EVPPI -------------------------------------------------------------------------------


def test_evpi_matches_the_closed_form_for_normal_net_benefit():
    """Two strategies, incremental net benefit ~ N(mu, sigma^2): EVPI = sigma phi(mu/sigma) -
    |mu| Phi(-|mu|/sigma). Tolerance: 4 standard errors of the estimator (sd of max(0, -x) / sqrt(n))."""
    mu, sigma, n = 300.0, 1000.0, 200_000
    x = np.random.default_rng(7).normal(mu, sigma, n)
    nmb = np.column_stack([np.zeros(n), x])
    exact = sigma * norm.pdf(mu / sigma) - abs(mu) * norm.cdf(-abs(mu) / sigma)
    se = np.maximum(0, -x).std() / np.sqrt(n)
    assert abs(evpi(nmb) - exact) < 4 * se


def test_evppi_regression_recovers_the_linear_gaussian_value():
    """Incremental net benefit a x1 + b x2 + c with x1, x2 ~ N(0, 1): EVPPI(x1) = |a| phi(c/|a|) -
    |c| Phi(-|c|/|a|) (likewise x2), and EVPPI(x1, x2) = EVPI. On 5,000 draws the regression estimate
    must be within 0.03 of the estimate with the true conditional mean on the same draws (the
    regression error: at most 0.018 over seeds 11-18 when written), and that within 4 of its
    standard errors of the analytic value."""
    a, b, c, n = 1.0, 2.0, 0.5, 5000
    rng = np.random.default_rng(11)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    nmb = np.column_stack([np.zeros(n), a * x1 + b * x2 + c])
    for x, s in ((x1, a), (x2, b)):
        exact = s * norm.pdf(c / s) - abs(c) * norm.cdf(-abs(c) / s)
        g = s * x + c  # the true E[NB | x]
        oracle = np.maximum(g, 0).mean() - max(g.mean(), 0)
        se = np.maximum(-g, 0).std() / np.sqrt(n)
        est = evppi(nmb, x[:, None])
        assert abs(est - oracle) < 0.03, (est, oracle)
        assert abs(oracle - exact) < 4 * se, (oracle, exact, se)
    assert evppi(nmb, np.column_stack([x1, x2])) == pytest.approx(evpi(nmb), abs=0.03)


def test_acceptability_probabilities_sum_to_one_and_ceaf_is_the_best_expected():
    rng = np.random.default_rng(3)
    cost = rng.normal([0, 1000, 3000], 200, size=(500, 3))
    eff = rng.normal([0, 0.02, 0.03], 0.01, size=(500, 3))
    t = acceptability(["a", "b", "c"], cost, eff, [0.0, 50_000.0, 200_000.0])
    assert np.allclose(t.groupby("wtp").probability_best.sum(), 1.0)
    at0 = t[t.wtp == 0.0].set_index("strategy")
    assert at0.optimal.idxmax() == "a"  # at zero willingness to pay the cheapest is optimal
    best = t[t.optimal].set_index("wtp").strategy
    for w, name in best.items():
        d = t[t.wtp == w]
        assert name == d.loc[d.expected_nmb.idxmax(), "strategy"]


# --- one scripted dyad, traced day by day -------------------------------------------------------

ENROL_GD, BIRTH_GD = 140, 273
BIRTH = BIRTH_GD - ENROL_GD  # simulation day of birth
PP_DAYS = 365


def _dyad_days() -> dict[str, np.ndarray]:
    """The scripted dyad, one value per simulation day (day 0 = enrolment at 20 weeks, birth on day 133)."""
    days = np.arange(BIRTH + PP_DAYS)
    pp = days - BIRTH
    use = ((days >= 20) & (days < 30)) | ((pp >= 250) & (pp < 280))
    moud = (days < BIRTH) | ((pp >= 0) & (pp < 200))
    separated = ((pp >= 0) & (pp < 10)) | (pp >= 100)
    return {"day": days, "pp": pp, "use": use, "moud": moud, "separated": separated,
            "od": (pp == 260), "depression": np.full(len(days), 0.2)}


def _dyad_row() -> pd.DataFrame:
    """The scripted dyad as an outcomes-table row, binned as the recorder bins it (docs/outcomes.md)."""
    d = _dyad_days()
    row: dict[str, object] = {"dyad_id": 0, "replicate": 0, "enrol_week": ENROL_GD / 7, "gest_weeks_at_birth": BIRTH_GD / 7,
                              "birth_day": BIRTH, "preterm": 0, "nows_signs": 1, "nows_los": 10.0, "nicu": 1,
                              "care_setting": "nicu", "nows_pharm_days": 6.0, "moud_type": "methadone",
                              "moud_ep1_type": "methadone", "moud_at_delivery": 1, "more_sessions": 6.0,
                              "more_start_day": 10.0, "hv_eligible": 1, "mh_treated": 0, "housing_unstable": 0,
                              "housing_unstable_end": 0, "cps_report": 1, "cps_report_day": 0.0, "cps_removal": 1,
                              "cps_removal_day": 100.0, "maternal_death": 0, "attachment": "secure"}
    gd = d["day"] + ENROL_GD
    for k, (lo, hi) in enumerate(((0, 98), (98, 196), (196, BIRTH_GD)), start=1):
        m = (gd >= lo) & (gd < hi) & (d["pp"] < 0)
        row |= {f"days_alive_t{k}": m.sum(), f"use_days_t{k}": (m & d["use"]).sum(), f"moud_days_t{k}": (m & d["moud"]).sum(),
                f"od_nonfatal_t{k}": 0.0, f"od_fatal_t{k}": 0.0, f"depression_t{k}": 0.2 if m.any() else np.nan}
    for k in range(12):
        m = (d["pp"] >= DAYS_PER_MONTH * k) & (d["pp"] < DAYS_PER_MONTH * (k + 1))
        s = f"m{k + 1:02d}"
        row |= {f"days_alive_{s}": m.sum(), f"days_followed_{s}": m.sum(), f"use_days_{s}": (m & d["use"]).sum(),
                f"moud_days_{s}": (m & d["moud"]).sum(), f"od_nonfatal_{s}": (m & d["od"]).sum(), f"od_fatal_{s}": 0.0,
                f"separated_days_{s}": (m & d["separated"]).sum(), f"depression_{s}": 0.2}
    return pd.DataFrame([row])


SUPPORTS = {"name": "scripted", "interventions": {"supports": {"home_visiting": True, "peer_support": True}}}


@pytest.mark.parametrize("rate, tol", [(0.0, 1e-9), (0.03, 3e-3)])
def test_one_scripted_dyad_traced_day_by_day(rate, tol):
    """Every quantity of the accounting against the same dyad's days summed one by one, each day
    discounted at its own date: equal without discounting; at 3% within 0.3% (the accounting
    discounts by month and programme sessions at the first one)."""
    inputs = load_inputs()
    scn = parse_scenario(SUPPORTS, "scripted")
    q = quantities(_dyad_row(), scn, inputs, rate).iloc[0]
    d = _dyad_days()
    w = discount(d["day"], rate)
    pp = d["pp"] >= 0
    moud_only = d["moud"] & ~d["use"]
    truth = {
        "methadone_weeks": (w * d["moud"]).sum() / 7, "buprenorphine_weeks": 0.0,
        "nows_days_nicu": 10 * w[BIRTH], "infant_routine_stays": 0.0, "nows_pharm_days": 6 * w[BIRTH],
        "overdoses_nonfatal": (w * d["od"]).sum(), "use_days": (w * d["use"]).sum(),
        "cps_reports": w[BIRTH], "placement_days": (w * (d["separated"] & (d["pp"] >= 100))).sum(),
        "facilitator_hours": sum(2.0 / 8 * discount(10 + 7 * s, rate) for s in range(6)),
        "home_visiting_years": w.sum() / 365.25, "peer_support_months": w.sum() / DAYS_PER_MONTH,
        "mother_use_years": (w * d["use"]).sum() / 365.25, "mother_moud_years": (w * moud_only).sum() / 365.25,
        "mother_abstinent_years": (w * ~(d["use"] | d["moud"])).sum() / 365.25,
        "mother_depression_years": (w * 0.2).sum() / 365.25,
        "infant_nows_years": 10 * w[BIRTH] / 365.25,
        "infant_healthy_years": ((w * pp).sum() - 10 * w[BIRTH]) / 365.25,
    }
    for name, want in truth.items():
        assert q[name] == pytest.approx(want, rel=tol, abs=1e-12), name
    assert q["mother_life_years"] == pytest.approx(len(d["day"]) / 365.25)
    assert (q["removals"], q["secure_attachments"], q["nows_days"]) == (1.0, 1.0, 10.0)
    # the costs: unit cost x quantity, in the price year
    v = value(q.to_frame().T, inputs.cost_values(), inputs.utility_values(), inputs).iloc[0]
    f = inputs.inflator
    payer = (126 * f(2016) * truth["methadone_weeks"] + 1168 * f(2015) * truth["nows_days_nicu"]
             + 6454 * f(2018) * truth["overdoses_nonfatal"] + 60 * truth["facilitator_hours"]
             + 5 * q["sessions_attended"] + 4100 * f(2011) * truth["home_visiting_years"]
             + 250 * truth["peer_support_months"])
    assert v["cost_payer"] == pytest.approx(payer, rel=tol)
    u = inputs.utility_values()
    qaly_mother = (u["mother_use"] * truth["mother_use_years"] + u["mother_moud"] * truth["mother_moud_years"]
                   + u["mother_abstinent"] * truth["mother_abstinent_years"]
                   - u["depression_decrement"] * truth["mother_depression_years"])
    assert v["qaly_mother"] == pytest.approx(qaly_mother, rel=tol)
    assert v["cost_societal"] > v["cost_payer"]


def test_extrapolation_carries_the_last_month_and_nothing_for_a_death():
    inputs = load_inputs()
    scn = parse_scenario({"name": "s"}, "s")
    row = _dyad_row()
    q0 = quantities(row, scn, inputs, 0.0).iloc[0]
    q1 = quantities(row, scn, inputs, 0.0, extrapolate_years=10).iloc[0]
    # the last month: no use, no MOUD -> 10 more abstinent years, 10 more infant years
    assert q1["mother_abstinent_years"] - q0["mother_abstinent_years"] == pytest.approx(10.0)
    assert q1["infant_healthy_years"] - q0["infant_healthy_years"] == pytest.approx(10.0)
    dead = row.assign(maternal_death=1)
    q2 = quantities(dead, scn, inputs, 0.0, extrapolate_years=10).iloc[0]
    assert q2["mother_abstinent_years"] == pytest.approx(q0["mother_abstinent_years"])


# --- inputs ------------------------------------------------------------------------------------------


def test_shipped_inputs_load_and_every_figure_has_a_source():
    inputs = load_inputs()
    assert inputs.price_year in inputs.cpi.index
    for c in inputs.costs.values():
        assert c.source.strip() and c.year in inputs.cpi.index
    assert inputs.cost_values()["moud_methadone_week"] == pytest.approx(126 * 292.655 / 240.007)


def test_input_draws_centre_on_the_point_values():
    inputs = load_inputs()
    costs, utils = draw_inputs(inputs, 20_000, 5)
    point = inputs.cost_values()
    for name, c in inputs.costs.items():
        if c.distribution in ("gamma", "normal", "lognormal"):
            se = c.sd() * inputs.inflator(c.year) / np.sqrt(20_000)
            assert abs(costs[name].mean() - point[name]) < 5 * se, name
    assert ((utils["mother_use"] > 0) & (utils["mother_use"] < 1)).all()
    again, _ = draw_inputs(inputs, 20_000, 5)
    assert np.array_equal(again["nows_day_nicu"], costs["nows_day_nicu"])


def _shipped() -> dict:
    import yaml

    from dyadsim.economics.inputs import shipped_path

    return yaml.safe_load(shipped_path().read_text(encoding="utf-8"))


@pytest.mark.parametrize("edit, field, says", [
    (lambda d: d["costs"]["moud_methadone_week"].update(year=1999), "(file)", "cpi.index"),
    (lambda d: d["costs"]["moud_methadone_week"].update(low=500), "costs.moud_methadone_week", "low <= value <= high"),
    (lambda d: d["costs"]["moud_methadone_week"].update(quantity="weeks"), "(file)", "quantity must be one of"),
    (lambda d: d["costs"]["moud_methadone_week"].update(colour="red"), "costs.moud_methadone_week.colour", "unknown key"),
    (lambda d: d["utilities"]["mother_use"].update(value=1.5), "utilities.mother_use.value", "less than or equal"),
    (lambda d: d["utilities"].pop("mother_moud"), "(file)", "mother_moud"),
    (lambda d: d.update(price_year=2030), "(file)", "price_year"),
    (lambda d: d["costs"]["moud_methadone_week"].update(distribution="uniform"), "costs.moud_methadone_week", "midpoint"),
])
def test_input_file_errors_name_the_file_the_field_and_what_is_allowed(edit, field, says):
    data = _shipped()
    edit(data)
    with pytest.raises(InputError) as err:
        parse_inputs(data, "my_costs.yaml")
    assert err.value.file == "my_costs.yaml"
    assert field in err.value.field or field in str(err.value), str(err.value)
    assert says in str(err.value)


def test_missing_or_malformed_inputs_file(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        load_inputs(tmp_path / "absent.yaml")
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputError, match="must be a YAML mapping"):
        load_inputs(bad)

"""Comparison and report figures: survival by hand and against lifelines, RR/NNT on a known table,
every figure written, readable and labelled (small cohort: 200 dyads, 2 replicates, 12 months)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib.figure
import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from dyadsim.report import compare_figures as cf
from dyadsim.analysis import survival
from dyadsim.config.grounding import calibration_notice
from dyadsim.run.summary import SUMMARY

ROOT = Path(__file__).resolve().parent.parent


def test_rmst_and_km_by_hand() -> None:
    # Five mothers: events on days 1, 3, 4; censored on days 2 and 5. S: 0.8 after day 1,
    # 0.8 * 2/3 after day 3, 0.8 * 2/3 * 1/2 after day 4.
    d = pd.DataFrame({"duration": [1.0, 2, 3, 4, 5], "event": [1, 0, 1, 1, 0]})
    km = survival.kaplan_meier(d, "x").set_index("day")
    assert km.loc[[1.0, 3.0, 4.0], "survival"].to_numpy() == pytest.approx([0.8, 0.8 * 2 / 3, 0.8 / 3])
    assert ((km["lower"] <= km["survival"]) & (km["survival"] <= km["upper"])).all()
    area, var = survival.rmst(d, 4.0)
    assert area == pytest.approx(1 + 0.8 * 2 + 0.8 * 2 / 3 * 1)
    # Greenwood form: A(1)^2 * 1/(5*4) + A(3)^2 * 1/(3*2), A(1) = 0.8*2 + 0.5333, A(3) = 0.5333.
    a1, a3 = 0.8 * 2 + 0.8 * 2 / 3, 0.8 * 2 / 3
    assert var == pytest.approx(a1**2 / 20 + a3**2 / 6)


def test_rmst_agrees_with_lifelines() -> None:
    import warnings

    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    rng = np.random.default_rng(11)
    t = np.minimum(np.floor(rng.exponential(120, 300)), 365)
    e = ((rng.random(300) < 0.7) & (t < 365)).astype(int)
    d = pd.DataFrame({"duration": t, "event": e})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = restricted_mean_survival_time(KaplanMeierFitter().fit(t, e), t=300.0)
    assert survival.rmst(d, 300.0)[0] == pytest.approx(ref, rel=1e-9)


def test_durations_censor_at_death_and_end_of_follow_up() -> None:
    df = pd.DataFrame({"replicate": [0, 0, 0, 0, 0], "days_followed_m01": [30, 30, 30, 30, 30],
                       "days_followed_m02": [31, 31, 31, 31, 0],
                       "maternal_death_pp_day": [np.nan, 20, np.nan, -5, np.nan],
                       "first_pp_use_day": [10, 25, np.nan, np.nan, np.nan]})
    d = survival.durations(df, survival.ENDPOINTS[0])
    # Use on day 10; death on day 20 before use on 25 (censored); no use to day 61; died in pregnancy
    # (left out); followed 30 days only.
    assert d["duration"].tolist() == [10, 20, 61, 30]
    assert d["event"].tolist() == [1, 0, 0, 0]


def test_rmst_table_identical_arms_give_zero() -> None:
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"replicate": np.repeat([0, 1, 2], 50), "duration": rng.integers(0, 365, 150).astype(float),
                      "event": rng.integers(0, 2, 150)})
    t = survival.rmst_table({"a": d, "b": d.copy()}, survival.ENDPOINTS[0], 365.0)
    assert t.loc[1, ["difference", "lower", "upper"]].tolist() == [0.0, 0.0, 0.0]
    assert t.loc[0, "rmst_lower"] < t.loc[0, "rmst"] < t.loc[0, "rmst_upper"]
    assert set(t["interval"]) == {"Monte Carlo 95%"}


def test_relative_risk_and_nnt_on_a_known_table() -> None:
    # 10 of 100 events under the base, 20 of 100 in the arm: RR 2, Katz log interval.
    rr, lo, hi = cf.relative_risk(np.array([0.1]), np.array([0.2]), n_base=100, n_arm=100)
    se = np.sqrt(0.8 / 20 + 0.9 / 10)
    assert (rr, lo, hi) == pytest.approx((2.0, 2 * np.exp(-1.959964 * se), 2 * np.exp(1.959964 * se)), rel=1e-5)
    # Replicates: ratio of means, interval from the log ratios (positive).
    rr, lo, hi = cf.relative_risk(np.array([0.1, 0.12, 0.11]), np.array([0.2, 0.22, 0.21]))
    assert rr == pytest.approx(0.21 / 0.11) and 0 < lo < rr < hi
    value, text = cf.nnt(-0.1, -0.15, -0.05)
    assert value == pytest.approx(10.0) and "[6.7, 20.0]" in text and "fewer" in text
    value, text = cf.nnt(0.05, -0.02, 0.12)
    assert value == pytest.approx(20.0) and "infinity" in text


def test_every_outcome_has_a_domain() -> None:
    labels = [lbl for lbl, _ in SUMMARY] + [f"RMST: {e.title} (days)" for e in survival.ENDPOINTS]
    doms = {lbl: cf.domain_of(lbl) for lbl in labels}
    assert set(doms.values()) == {name for name, _ in cf.DOMAINS}
    assert doms["RMST: Time to MOUD discontinuation (on MOUD at delivery) (days)"] == "MOUD"
    with pytest.raises(ValueError, match="no domain"):
        cf.domain_of("Shoe size")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small comparison written to disk, recording the axes of every figure saved."""
    from dyadsim.jobs.compare import write_comparison

    axes_seen: list[tuple[str, str, str]] = []
    original = matplotlib.figure.Figure.savefig

    def spy(self, fname, *args, **kwargs):  # type: ignore[no-untyped-def]
        for ax in self.axes:
            if ax.axison and (ax.lines or ax.collections or ax.patches):
                axes_seen.append((Path(str(fname)).name, ax.get_xlabel(), ax.get_ylabel()))
        return original(self, fname, *args, **kwargs)

    out = tmp_path_factory.mktemp("cmp") / "out"
    mp = pytest.MonkeyPatch()
    mp.setattr(matplotlib.figure.Figure, "savefig", spy)
    try:
        with pytest.warns(Warning):
            cmp = write_comparison([ROOT / "examples" / "usual_care.yaml", ROOT / "examples" / "more_prenatal.yaml"],
                                   out, dyads=200, replicates=2, seed=5)
    finally:
        mp.undo()
    return cmp, out, axes_seen


def test_comparison_figures_are_valid_and_labelled(comparison) -> None:  # type: ignore[no-untyped-def]
    _, out, axes_seen = comparison
    for name in ("survival.png", "monthly.png", "overdose.png", "differences.png"):
        img = mpimg.imread(out / "figures" / name)
        assert img.ndim == 3 and img.shape[0] > 300, name
    assert {f for f, _, _ in axes_seen} >= {"survival.png", "monthly.png", "overdose.png", "differences.png"}
    unlabelled = [a for a in axes_seen if not (a[1].strip() and a[2].strip())]
    # The forest plot's y axis is the outcome names (tick labels), every other axis is labelled.
    assert all(f == "differences.png" and x for f, x, _ in unlabelled), unlabelled


def test_comparison_page_and_tables(comparison) -> None:  # type: ignore[no-untyped-def]
    cmp, out, _ = comparison
    page = (out / "compare.html").read_text()
    assert html.escape(calibration_notice()) in page
    for text in ("Kaplan-Meier", "relative risk", "NNT", "Monte Carlo 95%", "fewer than 3", "RMST",
                 'src="figures/survival.png"', 'src="figures/overdose.png"'):
        assert text in page, text
    assert not any(o.endswith("_day") for o in cmp.differences["outcome"])
    rm = pd.read_csv(out / "rmst.csv")
    assert sorted(rm["endpoint"].unique()) == sorted(e.key for e in survival.ENDPOINTS)
    assert (rm["rmst"] <= rm["tau_days"]).all() and (rm["tau_days"] == 365).all()
    bt = pd.read_csv(out / "binary_outcomes.csv")
    assert ((bt["level_lower"] >= 0) & (bt["level_upper"] <= 1)).all()
    arm = bt[bt["scenario"] == "more_prenatal"]
    base = bt[bt["scenario"] == "usual_care"].set_index("outcome")["level"]
    ok = arm[arm["outcome"].map(base) > 0]
    np.testing.assert_allclose(ok["rr"], ok["level"].to_numpy() / ok["outcome"].map(base).to_numpy(), rtol=1e-9)
    assert len(ok) >= 5


def test_every_summary_outcome_has_a_direction_and_the_forest_plot_is_signed_by_it(comparison) -> None:  # type: ignore[no-untyped-def]
    from dyadsim.run.summary import LOWER_IS_BETTER, NO_DIRECTION, better_sign

    labels = {lbl for lbl, _ in SUMMARY}
    # The lists name only real summary outcomes, so a renamed label cannot silently turn "higher is better".
    assert LOWER_IS_BETTER <= labels and NO_DIRECTION <= labels and not LOWER_IS_BETTER & NO_DIRECTION
    assert better_sign("Days of opioid use, postpartum year") == -1
    assert better_sign("Bonding at 12 months (0-1)") == 1
    assert better_sign("Attachment avoidant (share)") == 0
    cmp, out, _ = comparison
    inputs = cf.survival_inputs(cmp, out)
    t = cf.forest_table(cmp, cf.rmst_rows(inputs, "monte_carlo"), inputs)
    ok = t.dropna(subset=["std_difference"])
    sign = np.where(ok["better"] == 0, 1, ok["better"])
    np.testing.assert_allclose(ok["benefit"], sign * ok["std_difference"])
    assert (ok["benefit_lower"] <= ok["benefit"] + 1e-12).all() and (ok["benefit"] <= ok["benefit_upper"] + 1e-12).all()
    use = ok[ok["outcome"] == "Days of opioid use, postpartum year"].iloc[0]
    assert use["better"] == -1 and np.sign(use["benefit"]) == -np.sign(use["difference"])
    assert (t.loc[t["outcome"].str.startswith("RMST"), "better"] == 1).all()


def test_the_forest_plot_names_its_direction_null_line_and_scale(comparison, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cmp, out, _ = comparison
    inputs = cf.survival_inputs(cmp, out)
    table = cf.forest_table(cmp, cf.rmst_rows(inputs, "monte_carlo"), inputs)
    seen: list[matplotlib.figure.Figure] = []
    monkeypatch.setattr(cf.plt, "close", lambda fig=None: seen.append(fig))
    cf.forest_figure(table, cmp.names, "monte_carlo", tmp_path / "f.png")
    ax = seen[0].axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "\u2190 favours usual_care" in texts and "favours more_prenatal \u2192" in texts
    assert any(h.get_label() == "no difference" for h in ax.lines)
    assert "standardized difference" in ax.get_xlabel() and "right is better" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "Days of opioid use, postpartum year (lower is better)" in ticks
    assert "Attachment avoidant (share) (no better direction)" in ticks
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(-hi)
    # Every row label fits the figure (not cut at the left edge) at the size it is written.
    seen[0].canvas.draw()
    renderer = seen[0].canvas.get_renderer()
    assert min(t.get_window_extent(renderer).x0 for t in ax.get_yticklabels()) >= 0
    assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 9


def test_report_figures_are_labelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim import load_scenario, run_scenario
    from dyadsim.report.run_report import write_report

    scn, params, pop = load_scenario(ROOT / "examples" / "usual_care.yaml")
    with pytest.warns(Warning):
        result = run_scenario(scn, params, pop, dyads=200, replicates=2, seed=5, progress=False)
    seen: list[tuple[str, str, str]] = []
    original = matplotlib.figure.Figure.savefig

    def spy(self, fname, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.extend((Path(str(fname)).name, ax.get_xlabel(), ax.get_ylabel()) for ax in self.axes if ax.axison)
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    page = write_report(result, tmp_path).read_text()
    assert "Monte Carlo 95%" in page and "fewer than 3" in page
    files = {f for f, _, _ in seen}
    assert files == {"monthly.png", "daily.png", "attachment.png", "wellbeing.png"}
    monthly = [(x, y) for f, x, y in seen if f == "monthly.png"]
    assert len(monthly) == 6 and all(x and y for x, y in monthly)
    assert any("T score" in y for f, _, y in seen if f == "wellbeing.png")
    assert all(y for f, _, y in seen if f != "daily.png") and any(y for f, _, y in seen if f == "daily.png")
    assert re.search(r"enrol", page) and "not starts of treatment" in page
    for f in files:
        assert mpimg.imread(tmp_path / "figures" / f).shape[0] > 200

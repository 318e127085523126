"""Trials hardened: hopeless retention refused up front and not-estimable trials reported, not
crashed; mediators measured before their outcome; required sizes outside the grid estimated; a
readable forest plot; report tables that fit the page with outcome labels; the Monte Carlo note."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.trials.design import load_trial
from dyadsim.trials.plan import estimate_mediation, estimate_outcomes
from dyadsim.trials.simulate import build_pools, draw_trial
from test_trials import small_trial

_MEDIATED = {"mediation": [{"name": "m", "mediators": ["craving_1"], "outcome": "craving_3"}],
             "process": [{"name": "craving_1", "measure": "craving_nrs", "month": 1, "model": "linear"}]}


# 1. Attrition that leaves too few participants ------------------------------------------------

def test_hopeless_retention_is_refused_up_front_with_one_line(tmp_path: Path) -> None:
    path = small_trial(tmp_path, attrition={"retention_logit": -5.0}, **_MEDIATED)
    with pytest.raises(InputError) as info:
        load_trial(path)
    assert info.value.file == str(path) and info.value.field == "attrition.retention_logit"
    assert "allowed: retention_logit >=" in info.value.allowed
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(tmp_path / "t")])
    assert res.exit_code == 2, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "attrition.retention_logit" in lines[0]
    assert "Traceback" not in res.output and not (tmp_path / "t").exists()


def test_moderate_retention_is_still_accepted(tmp_path: Path) -> None:
    trial, _ = load_trial(small_trial(tmp_path, attrition={"retention_logit": 0.0}))
    assert trial.attrition.retention_logit == 0.0


@pytest.fixture(scope="module")
def mediated_pools(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    trial, specs = load_trial(small_trial(tmp_path_factory.mktemp("h"), **_MEDIATED))
    return trial, build_pools(trial, specs)


def test_a_drawn_trial_with_no_complete_cases_is_not_estimable(mediated_pools) -> None:  # type: ignore[no-untyped-def]
    trial, pools = mediated_pools
    td = draw_trial(pools, 40, np.random.default_rng(2))
    p = td.participants
    p.loc[p["arm"] == 1, "craving_3"] = np.nan  # nobody of the treated arm assessed at month 3
    est = estimate_outcomes(trial, td).set_index("outcome")
    assert not est.loc["craving_3", "converged"] and np.isnan(est.loc["craving_3", "estimate"])
    assert "fewer than 2 analysed" in est.loc["craving_3", "failure"] and not est.loc["craving_3", "reject"]
    med = estimate_mediation(trial, td, n_boot=100).iloc[0]
    assert not med["converged"] and np.isnan(med["indirect"]) and "too few complete cases in an arm" in med["failure"]
    assert not med["joint_significant"] and not med["bootstrap_significant"]
    p["craving_3"] = np.nan  # nobody at all: no complete case anywhere (crashed in the mediation before)
    med = estimate_mediation(trial, td, n_boot=100).iloc[0]
    assert not med["converged"] and "treated: 0" in med["failure"]


def test_power_counts_not_estimable_replicates_as_failures(tmp_path: Path) -> None:
    path = small_trial(tmp_path, attrition={"retention_logit": 0.0, "use_log_odds": 0.0}, **_MEDIATED)
    res = CliRunner().invoke(main, ["power", str(path), "--n", "4", "--reps", "10", "--boot", "100",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "p" / "power.csv")
    reps = pd.read_parquet(tmp_path / "p" / "replicates.parquet")
    assert summary["failures"].sum() > 0
    assert not reps.loc[~reps["converged"], "reject"].any()  # a failure never rejects
    assert "not estimable (counted as failures, not rejections)" in res.output
    row = summary[summary["failures"] > 0].iloc[0]
    assert f"{row['target']} [{row['kind']}] {row['failures']} of 10 replicates" in res.output


# 2. A mediator is measured before its outcome -------------------------------------------------

_CRAVING = {"name": "craving_1", "measure": "craving_nrs", "month": 1, "model": "linear"}
_LATE = {"name": "craving_12", "measure": "craving_nrs", "month": 12, "model": "linear"}
_WINDOW = {"name": "use_days_pp_1_6", "measure": "tlfb_days", "months": [1, 6], "model": "count"}


@pytest.mark.parametrize("process, path, field, words", [
    ([_CRAVING, _LATE], {"mediators": ["craving_12"], "outcome": "use_days_pp_1_6"}, "mediation.0.mediators.0",
     "month 12, not before its outcome 'use_days_pp_1_6' (month 6)"),
    ([_CRAVING], {"mediators": ["craving_3"], "outcome": "craving_3"}, "mediation.0.mediators.0",
     "is the path's outcome"),
    ([_CRAVING, {**_CRAVING, "name": "craving_3b", "month": 3}], {"mediators": ["craving_3b"], "outcome": "craving_3"},
     "mediation.0.mediators.0", "month 3, not before its outcome 'craving_3' (month 3)"),
    ([_CRAVING, _LATE], {"mediators": ["craving_12", "craving_1"], "outcome": "use_days_pp_1_6"},
     "mediation.0.mediators.0", "not before its next mediator 'craving_1'"),
    ([_CRAVING], {"mediators": ["craving_1", "craving_1"], "outcome": "use_days_pp_1_6"},
     "mediation.0.mediators.1", "named twice"),
])
def test_a_mediator_not_measured_before_its_outcome_is_refused(tmp_path: Path, process: list, path: dict,
                                                               field: str, words: str) -> None:
    trial = small_trial(tmp_path, process=process, secondary=[_WINDOW], mediation=[{"name": "m", **path}])
    with pytest.raises(InputError) as info:
        load_trial(trial)
    assert info.value.file == str(trial) and info.value.field == field, info.value
    assert words in info.value.allowed and "measured before" in info.value.allowed, info.value.allowed
    res = CliRunner().invoke(main, ["trial", str(trial), "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and field in res.output and not (tmp_path / "t").exists(), res.output


def test_a_mediator_measured_inside_a_window_outcome_is_accepted(tmp_path: Path) -> None:
    """Craving at month 1 explains days of use in months 1-6: measured before the window closes."""
    trial, _ = load_trial(small_trial(tmp_path, process=[_CRAVING], secondary=[_WINDOW],
                                      mediation=[{"name": "m", "mediators": ["craving_1"],
                                                  "outcome": "use_days_pp_1_6"}]))
    assert trial.mediation[0].mediators == ["craving_1"]


# 3. Required sizes outside the grid -----------------------------------------------------------

def test_power_says_how_each_required_size_was_read_off(tmp_path: Path) -> None:
    """required_n.csv says for each target whether its size lies within, below or above the grid;
    the printed line never gives a grid size as the answer when the power was already reached there."""
    from dyadsim.trials.power import READ_OFF, describe_size

    res = CliRunner().invoke(main, ["power", str(small_trial(tmp_path)), "--n", "20,40", "--reps", "10",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 0, res.output
    req = pd.read_csv(tmp_path / "p" / "required_n.csv")
    assert {"how_80", "how_90"} <= set(req.columns) and set(req["how_80"]) <= set(READ_OFF)
    for r in req.itertuples():
        assert f"n for 80%: {describe_size(r.n_80, r.how_80, (20, 40))}" in res.output, res.output
        if r.how_80 == "below grid":
            assert np.isnan(r.n_80) or r.n_80 <= 20
        if r.how_80 == "above grid":
            assert r.n_80 >= 40
    assert "within grid" in (tmp_path / "p" / "power.html").read_text(encoding="utf-8")


# 4. Report tables a researcher reads ----------------------------------------------------------

def _tables(page: str) -> list[str]:
    import re

    return re.findall(r"<table>.*?</table>", page, flags=re.S)


def test_trial_and_power_pages_use_outcome_labels_fit_the_page_and_say_what_the_intervals_carry(
        tmp_path: Path) -> None:
    """Every table of report.html and power.html is in a sideways-scrolling box, has at most 12
    columns with readable headers (no machine names such as ci_low), names each outcome by what it
    measures and when, and says next to the numbers that they carry no parameter uncertainty."""
    import html
    import re

    from dyadsim.trials.tables import labels

    path = small_trial(tmp_path)
    trial = load_trial(path)[0]
    runner = CliRunner()
    assert runner.invoke(main, ["trial", str(path), "--out", str(tmp_path / "t"), "--seed", "3"]).exit_code == 0
    res = runner.invoke(main, ["power", str(path), "--n", "20,40", "--reps", "10", "--out", str(tmp_path / "p"),
                               "--no-progress"])
    assert res.exit_code == 0, res.output
    names = labels(trial)
    assert all(names[o.name] != o.name and "month" in names[o.name] for o in trial.outcomes)
    for page_path in (tmp_path / "t" / "report.html", tmp_path / "p" / "power.html"):
        page = page_path.read_text(encoding="utf-8")
        tables = _tables(page)
        assert tables and page.count("<div class='scroll'><table>") == len(tables), page_path.name
        for tab in tables:
            heads = re.findall(r"<th>(.*?)</th>", tab)
            assert len(heads) <= 12, (page_path.name, heads)
            assert not [h for h in heads if re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", h)], (page_path.name, heads)
        for o in trial.outcomes[:1]:
            assert html.escape(names[o.name]) in page, (page_path.name, names[o.name])
        assert "not uncertainty in the model&#x27;s parameters" in page or \
            "(assurance), not the power at one guess of them" in page, page_path.name  # power: posterior members
    report = (tmp_path / "t" / "report.html").read_text(encoding="utf-8")
    for o in trial.outcomes:
        assert html.escape(names[o.name]) in report, o.name
    # The CSVs keep every column under its machine name.
    assert {"ci_low", "ci_high", "effect_size_kind", "true_odds_ratio"} <= set(pd.read_csv(tmp_path / "t" / "estimates.csv"))

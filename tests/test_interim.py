"""Interim analyses in power analyses: the group-sequential primary (trials/interim.py) on
simulated trials, against the closed form of trials/sequential.py."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.trials.design import load_trial
from dyadsim.trials.interim import KIND, boundaries, look_sizes
from dyadsim.trials.run import run_power
from dyadsim.trials.sequential import operating_characteristics
from test_trials import small_trial

INTERIM = {"looks": [0.5, 1.0], "spending": "obrien_fleming"}


@pytest.mark.parametrize("interim, words", [
    ({"looks": [0.5, 0.9]}, "ending at 1.0"),
    ({"looks": [0.6, 0.4, 1.0]}, "strictly increasing"),
    ({"looks": [0.5, 1.0], "futility": [0.0, 0.0]}, "one bound per interim look"),
    ({"looks": [0.5, 1.0], "spending": "haybittle"}, "interim.spending"),
])
def test_bad_interim_plans_are_refused_by_name(tmp_path: Path, interim: dict, words: str) -> None:
    with pytest.raises(InputError) as err:
        load_trial(small_trial(tmp_path, interim=interim))
    assert "interim" in str(err.value) and words in str(err.value)


def test_looks_analyse_the_first_enrolled_and_boundaries_follow_the_spending(tmp_path: Path) -> None:
    trial = load_trial(small_trial(tmp_path, interim={"looks": [1 / 3, 2 / 3, 1.0]}))[0]
    assert look_sizes(trial, 80) == [27, 54, 80]
    np.testing.assert_allclose(boundaries(trial), [3.710, 2.511, 1.993], atol=0.002)  # Lan-DeMets OBF type


def test_sequential_type_one_error_under_identical_arms(tmp_path: Path) -> None:
    """Both arms usual care: the sequential primary rejects in alpha = 0.05 of trials, within 3
    Monte Carlo SE (300 replicates: SE 0.0126)."""
    path = small_trial(tmp_path, treated="usual_care.yaml", interim=INTERIM, pool_dyads=1200)
    res = run_power(path, [60], 300, tmp_path / "w", parameters="point")
    seq = res.sequential.iloc[0]
    assert abs(seq["power"] - 0.05) <= 3 * np.sqrt(0.05 * 0.95 / 300), seq["power"]
    assert seq["stop_look_1"] + seq["stop_look_2"] == pytest.approx(1.0)


def test_sequential_power_agrees_with_the_closed_form(tmp_path: Path) -> None:
    """MORE against usual care with two looks and a futility rule: the simulated sequential power,
    stopping shares and expected enrolment agree with the closed form at the fixed design's drift
    within 3 SE (the Monte Carlo SE of the share plus the drift's own estimation error carried
    through the closed form)."""
    path = small_trial(tmp_path, interim={**INTERIM, "futility": [0.0]}, pool_dyads=1500)
    reps = 200
    res = run_power(path, [120], reps, tmp_path / "w", parameters="point")
    seq = res.sequential.iloc[0]
    trial = res.trial
    t, c = np.asarray(trial.interim.looks), boundaries(trial)
    drift, se_drift = seq["fixed_drift"], 1.0 / np.sqrt(reps)  # Z ~ N(drift, 1) per replicate
    for key, sim in (("power", seq["power"]), ("stop", seq["stop_look_1"])):
        at = [operating_characteristics(t, c, d, [0.0]) for d in (drift - se_drift, drift, drift + se_drift)]
        val = [a["power"] if key == "power" else a["p_stop"][0] for a in at]
        mc = np.sqrt(val[1] * (1 - val[1]) / reps)
        assert abs(sim - val[1]) <= 3 * np.hypot(mc, (val[2] - val[0]) / 2), (key, sim, val)
    assert seq["expected_total"] < seq["max_total"] and seq["closed_form_expected_total"] < seq["max_total"]
    rows = res.replicates[res.replicates["kind"] == KIND]
    assert len(rows) == reps and set(rows["p_value"]) <= {1.0, 2.0}
    # Stopping at look 1 for efficacy needs |z| >= c_1 there: rejected trials that stopped early did.
    early = rows[(rows["p_value"] == 1.0) & rows["reject"]]
    assert (early["estimate"].abs() >= c[0]).all()


def test_cli_power_reports_the_sequential_design(tmp_path: Path) -> None:
    path = small_trial(tmp_path, interim=INTERIM)
    res = CliRunner().invoke(main, ["power", str(path), "--n", "30", "--reps", "10", "--parameters", "point",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "[sequential, 2 looks]" in res.output and "expected enrolled" in res.output
    assert (tmp_path / "p" / "sequential.csv").is_file()
    page = (tmp_path / "p" / "power.html").read_text(encoding="utf-8")
    assert "Interim analyses (group-sequential primary)" in page
    man = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert man["trial"]["interim"]["looks"] == [0.5, 1.0]

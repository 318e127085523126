"""In-silico trials: design validation, drawn trials, the null, power rising with N, unbiasedness,
resumable and executor-independent power, the trial report baseline, and the command line."""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.config.grounding import calibration_notice
from dyadsim.run.sweep import DaskExecutor, InProcessExecutor
from dyadsim.trials.design import load_trial, parse_trial
from dyadsim.trials.plan import estimate_outcomes
from dyadsim.trials.power import n_for_power, parse_grid, summarize_power
from dyadsim.trials.run import run_power
from dyadsim.trials.simulate import build_pools, draw_trial, true_effects

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def small_trial(tmp: Path, control: str = "usual_care.yaml", treated: str = "more_prenatal.yaml",
                **extra: Any) -> Path:
    """A small trial file (pools of 700 dyads) over the example scenarios."""
    doc: dict[str, Any] = {
        "name": "small", "arms": [{"name": "control", "scenario": str(EX / control)},
                                  {"name": "treated", "scenario": str(EX / treated)}],
        "n_per_arm": 40, "pool_dyads": 700, "seed": 11,
        "schedule": {"postpartum_months": [1, 3, 6, 12]},
        "primary": {"name": "craving_3", "measure": "craving_nrs", "month": 3, "model": "linear",
                    "lower_is_better": True},
        "analysis": {"missing": "complete_case"},
    }
    doc.update(extra)
    path = tmp / "trial.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trials")


def test_example_trial_files_are_valid() -> None:
    for name in ("trial_perinatal_more.yaml", "trial_garland2022.yaml"):
        trial, specs = load_trial(EX / name)
        assert len(specs) == len(trial.arms) and trial.primary.name


@pytest.mark.parametrize("change, words", [
    ({"primary": {"name": "x", "measure": "nope", "month": 3, "model": "linear"}}, "measure 'nope'"),
    ({"primary": {"name": "x", "measure": "craving_nrs", "month": 2, "model": "linear"}}, "instrument scores"),
    ({"primary": {"name": "x", "measure": "craving_nrs", "month": 3, "model": "logistic"}}, "analysed by one of"),
    ({"primary": {"name": "x", "measure": "tlfb_days", "month": 3, "model": "count"}}, "needs months"),
    ({"randomization": {"block_sizes": [3]}}, "multiple of the allocation total"),
    ({"schedule": {"postpartum_months": [1, 6]}}, "not in schedule"),
    ({"mediation": [{"name": "p", "mediators": ["zz"], "outcome": "craving_3"}]}, "not an outcome"),
    ({"n_per_arm": "40"}, "n_per_arm"),
])
def test_bad_designs_refused_by_field(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError, match=words):
        load_trial(small_trial(tmp_path, **change))


def test_grid_parsing() -> None:
    assert parse_grid("50:200:50") == [50, 100, 150, 200]
    assert parse_grid("80,40") == [40, 80]
    for bad in ("a:b", "3", "100:50:10", "50:400:0"):
        with pytest.raises(InputError, match="--n"):
            parse_grid(bad)


def test_a_drawn_trial_follows_the_design(tmp_module: Path) -> None:
    trial, specs = load_trial(small_trial(tmp_module, randomization={"strata": ["moud_type"], "block_sizes": [4]},
                                          eligibility={"gest_week": [12.0, 30.0], "moud": "on"}))
    pools = build_pools(trial, specs)
    assert (pools.baseline.loc[pools.eligible, "on_moud"] == 1).all()
    td = draw_trial(pools, 40, np.random.default_rng(1))
    p = td.participants
    assert len(p) == 80 and p["id"].is_unique and set(p["id"]) <= set(pools.eligible)
    for _, g in p.groupby("stratum"):  # permuted blocks of 4 within strata: arms differ by at most 2
        assert abs(int((g["arm"] == 0).sum()) - int((g["arm"] == 1).sum())) <= 2
    row = p.iloc[0]  # a participant's outcome is her dyad's value under her own arm
    want = pools.values[int(row["arm"])].loc[int(row["id"]), "craving_3"]
    assert np.isnan(row["craving_3"]) or row["craving_3"] == want
    assert td.consort["randomized"] == 80 and td.consort["screened"] >= 80
    again = draw_trial(pools, 40, np.random.default_rng(1)).participants
    pd.testing.assert_frame_equal(p, again)


def test_null_trial_rejects_at_alpha(tmp_module: Path) -> None:
    """Both arms usual care: the primary analysis rejects at alpha = 0.05 within 3 Monte Carlo SE."""
    trial, specs = load_trial(small_trial(tmp_module, treated="usual_care.yaml"))
    pools = build_pools(trial, specs)
    reps = 300
    rejects = 0
    for r in range(reps):
        est = estimate_outcomes(trial, draw_trial(pools, 40, np.random.default_rng([3, r])))
        rejects += bool(est.loc[0, "reject"])
    se = np.sqrt(0.05 * 0.95 / reps)
    assert abs(rejects / reps - 0.05) < 3 * se, rejects


def test_power_rises_with_n_and_estimates_are_unbiased(tmp_module: Path) -> None:
    """Without drop-out the mean estimate over replicates is the true mean difference within 3 SE
    (large trials), and power at 200 per arm exceeds power at 10 by more than 3 SE."""
    path = small_trial(tmp_module, attrition={"retention_logit": 10.0, "use_log_odds": 0.0})
    trial, specs = load_trial(path)
    pools = build_pools(trial, specs)
    truth = true_effects(pools).set_index("outcome").loc["craving_3", "difference"]
    est = np.array([estimate_outcomes(trial, draw_trial(pools, 150, np.random.default_rng([5, r])))
                    .loc[0, "estimate"] for r in range(25)])
    assert abs(est.mean() - truth) < 3 * est.std(ddof=1) / np.sqrt(len(est)), (est.mean(), truth)
    power = {}
    for n in (10, 200):
        rej = [bool(estimate_outcomes(trial, draw_trial(pools, n, np.random.default_rng([6, n, r]))).loc[0, "reject"])
               for r in range(60)]
        power[n] = np.mean(rej)
    se = np.sqrt(sum(p * (1 - p) / 60 for p in power.values()))
    assert power[200] - power[10] > 3 * max(se, 0.03), power


def test_n_for_power_reads_the_curve() -> None:
    curve = pd.DataFrame({"n": [50, 100, 150], "power": [0.5, 0.7, 0.9]})
    n, how = n_for_power(curve, 0.8)
    assert n == pytest.approx(125.0) and how == "within grid"
    assert n_for_power(curve, 0.7) == (pytest.approx(100.0), "within grid")


def _normal_curve(sizes: list[int], effect: float = 0.35) -> pd.DataFrame:
    """Exact power of a two-sided two-sample z test (alpha 0.05), standardized effect ``effect``."""
    from scipy.stats import norm

    z = norm.ppf(0.975)
    return pd.DataFrame({"n": sizes, "replicates": 1000,
                         "power": [float(norm.cdf(effect * np.sqrt(n / 2) - z)) for n in sizes]})


def test_a_size_below_or_above_the_grid_is_extrapolated_not_clamped() -> None:
    """The true size for 80% power at d = 0.35 is 2 (1.96 + 0.84)^2 / 0.35^2 = 128 per arm: a grid
    wholly above it says "below grid" with an estimate near 128 (not the grid's smallest size), a
    grid wholly below it says "above grid" with an estimate near 128 (not "not reached")."""
    from scipy.stats import norm

    exact = 2 * (norm.ppf(0.975) + norm.ppf(0.8)) ** 2 / 0.35**2
    below, how = n_for_power(_normal_curve([200, 250, 300]), 0.8)
    assert how == "below grid" and below < 200 and abs(below - exact) < 0.1 * exact, below
    above, how = n_for_power(_normal_curve([20, 40, 60]), 0.8)
    assert how == "above grid" and above > 60 and abs(above - exact) < 0.1 * exact, above
    flat = pd.DataFrame({"n": [50, 100], "power": [0.2, 0.1], "replicates": 100})
    assert n_for_power(flat, 0.8)[1] == "not estimable"


def test_a_curve_already_at_full_power_everywhere_is_below_the_grid_not_not_estimable() -> None:
    """Power 1 at every size (a large effect on a process measure) has no slope to extrapolate:
    the size is below the grid, said so without a made-up estimate."""
    from dyadsim.trials.power import describe_size

    saturated = pd.DataFrame({"n": [50, 100, 150], "power": [1.0, 1.0, 1.0], "replicates": 200})
    n, how = n_for_power(saturated, 0.8)
    assert how == "below grid" and np.isnan(n)
    text = describe_size(n, how, (50, 150))
    assert text.startswith("below the grid (< 50") and "about" not in text


def test_power_resumes_and_does_not_depend_on_the_executor(tmp_path: Path) -> None:
    path = small_trial(tmp_path, mediation=[{"name": "m", "mediators": ["craving_1"], "outcome": "craving_3"}],
                       process=[{"name": "craving_1", "measure": "craving_nrs", "month": 1, "model": "linear"}])
    with InProcessExecutor(1) as ex:
        a = run_power(path, [20, 40], 12, tmp_path / "w1", ex, batch=4, n_boot=200)
    parts = sorted((tmp_path / "w1" / "parts").glob("*.parquet"))
    assert len(parts) == 6
    parts[1].unlink()
    parts[4].unlink()
    b = run_power(path, [20, 40], 12, tmp_path / "w1", None, batch=4, n_boot=200)  # resumes: two tasks rerun
    pd.testing.assert_frame_equal(a.replicates, b.replicates)
    with DaskExecutor(workers=2) as ex:
        c = run_power(path, [20, 40], 12, tmp_path / "w2", ex, batch=5, n_boot=200)
    pd.testing.assert_frame_equal(a.replicates, c.replicates)
    s = summarize_power(a.replicates)
    assert set(s["kind"]) == {"primary", "process", "mediation (joint)", "mediation (bootstrap)"}
    row = s.iloc[0]
    assert row["mcse"] == pytest.approx(np.sqrt(row["power"] * (1 - row["power"]) / 12))


def test_trial_report_matches_committed_baseline() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("ub", ROOT / "scripts" / "update_trial_baseline.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected = pd.read_csv(mod.BASELINE)
    got = mod.compute()
    assert list(got["outcome"]) == list(expected["outcome"])
    for col in ("estimate", "ci_low", "ci_high", "p_value", "n_control", "n_treatment"):
        np.testing.assert_allclose(got[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-7, atol=1e-10,
                                   err_msg=f"trial report column {col} drifted from the committed baseline")


def test_cli_trial_and_power(tmp_path: Path) -> None:
    path = small_trial(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["trial", str(path), "--out", str(tmp_path / "t"), "--seed", "3"])
    assert res.exit_code == 0, res.output
    assert "Randomized: 80" in res.output and calibration_notice("posterior") in res.output
    assert html.escape(calibration_notice("posterior")) in (tmp_path / "t" / "report.html").read_text()
    assert {"report.html", "estimates.csv", "consort.svg", "manifest.json"} <= {p.name for p in (tmp_path / "t").iterdir()}
    est = pd.read_csv(tmp_path / "t" / "estimates.csv")
    assert np.isfinite(est.loc[0, "true_difference"])
    res = runner.invoke(main, ["power", str(path), "--n", "20,40", "--reps", "10", "--out", str(tmp_path / "p"),
                               "--no-progress"])
    assert res.exit_code == 0, res.output
    man = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert calibration_notice("posterior") in res.output
    assert html.escape(calibration_notice("posterior")) in (tmp_path / "p" / "power.html").read_text()
    assert man["grid"] == [20, 40] and not (tmp_path / ".p.work").exists()
    assert len(pd.read_parquet(tmp_path / "p" / "power.parquet")) == 2
    assert man["parameter_draws"]["source"] == "posterior" and man["parameter_draws"]["draws"] == 10  # min(20, reps)
    assert (tmp_path / "p" / "power_by_draw.csv").is_file()
    trial_man = json.loads((tmp_path / "t" / "manifest.json").read_text())
    member = trial_man["parameter_draws"]["meta"]["members"][0]
    assert f"member {member} of the calibrated posterior ensemble" in res_trial_output(runner, path, tmp_path)
    bad = runner.invoke(main, ["power", str(path), "--n", "2", "--out", str(tmp_path / "q")])
    assert bad.exit_code == 2 and "--n" in bad.output
    bad = runner.invoke(main, ["power", str(path), "--reps", "10", "--parameter-draws", "11", "--out", str(tmp_path / "q")])
    assert bad.exit_code == 2 and "--parameter-draws" in bad.output and "--reps" in bad.output


def res_trial_output(runner: CliRunner, path: Path, tmp_path: Path) -> str:
    """The trial command's output again, into a new folder (the same seed chooses the same member)."""
    res = runner.invoke(main, ["trial", str(path), "--out", str(tmp_path / "t2"), "--seed", "3"])
    assert res.exit_code == 0, res.output
    return res.output


def test_power_over_posterior_members_is_their_average(tmp_path: Path) -> None:
    """Power over K members: replicate r on member r mod K, each member with pools of its own; the
    power printed is the replicate-weighted mean of the power at each member (assurance), members
    differ in their true effects, and the same request gives the same table."""
    from dyadsim.trials.run import run_power

    path = small_trial(tmp_path)
    res = run_power(path, [20], 12, tmp_path / "w1", parameters="posterior", parameter_draws=3)
    by = res.by_draw
    assert sorted(by["draw"].unique()) == [0, 1, 2] and set(by["replicates"]) == {4}
    for (target, kind), g in by.groupby(["target", "kind"]):
        row = res.summary[(res.summary["target"] == target) & (res.summary["kind"] == kind)].iloc[0]
        assert row["power"] == pytest.approx((g["power"] * g["replicates"]).sum() / g["replicates"].sum(), abs=1e-12)
    truth = res.truth_by_draw
    assert truth["difference"].nunique() == 3  # three parameter sets, three populations
    assert res.manifest["parameter_draws"]["source"] == "posterior"
    again = run_power(path, [20], 12, tmp_path / "w2", parameters="posterior", parameter_draws=3)
    pd.testing.assert_frame_equal(res.replicates, again.replicates)
    point = run_power(path, [20], 12, tmp_path / "w3")
    assert point.by_draw.empty and "draw" not in point.replicates.columns
    assert not point.replicates["estimate"].equals(res.replicates["estimate"])


def test_parse_trial_refuses_non_mapping() -> None:
    with pytest.raises(InputError, match="YAML mapping"):
        parse_trial([1, 2])


def test_multiplicity_closed_forms_equal_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    from dyadsim.trials.analysis import adjust

    rng = np.random.default_rng(0)
    for _ in range(100):
        p = rng.random(int(rng.integers(1, 8))) ** 3
        for ours, theirs in (("holm", "holm"), ("bonferroni", "bonferroni"), ("hochberg", "simes-hochberg")):
            np.testing.assert_allclose(adjust(p, ours), multipletests(p, method=theirs)[1], rtol=1e-12)

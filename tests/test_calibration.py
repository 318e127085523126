"""Calibration: emulators and implausibility on known functions, recovery of known parameters from
synthetic targets, resume after SIGKILL at each stage, and the command line's refusals."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dyadsim.calibration.emulate import Emulators, Observed, criterion, implausibility, log_likelihood
from dyadsim.calibration.run import calibrate, fit_table
from dyadsim.calibration.stages import Settings
from dyadsim.calibration.synthetic import RECOVERY_STATISTICS, coverage, synthetic_targets
from dyadsim.config.space import SPACE
from dyadsim.config.targets import Design, Observation, Target

ROOT = Path(__file__).resolve().parents[1]


def test_emulator_predicts_a_known_function_and_cuts_the_region() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((40, 2))
    Y = np.column_stack([3 * X[:, 0] + rng.normal(0, 0.02, 40), np.sin(3 * X[:, 1])])
    em = Emulators(X, Y, seed=1)
    Xt = rng.random((200, 2))
    mean, var = em.predict(Xt)
    truth = np.column_stack([3 * Xt[:, 0], np.sin(3 * Xt[:, 1])])
    assert np.max(np.abs(mean - truth)) < 0.15
    # Standardised errors: at most ~3 SD (the emulator's variance is honest about its error).
    assert np.mean(np.abs(mean - truth) / np.sqrt(var) > 3) < 0.05
    obs = Observed(("a", "b"), np.array([1.5, np.sin(1.5)]), np.array([0.05, 0.05]))
    imp = implausibility(em, obs, Xt)
    c = criterion(imp, kth=1)
    near = np.abs(Xt[:, 0] - 0.5) < 0.02
    far = np.abs(Xt[:, 0] - 0.5) > 0.2
    assert np.all(c[far] > 3) and np.all(imp[near, 0] < 3)
    # The likelihood peaks where the known function meets the figures.
    ll = log_likelihood(em, obs, np.array([[0.5, 0.5], [0.9, 0.5], [0.1, 0.9]]))
    assert ll[0] > ll[1] and ll[0] > ll[2]


def test_criterion_is_the_kth_largest() -> None:
    imp = np.array([[1.0, 5.0, 2.0], [0.5, 0.2, np.nan]])
    assert criterion(imp, 1).tolist() == [5.0, 0.5]
    assert criterion(imp, 2).tolist() == [2.0, 0.2]


def _target(tid: str, model: str, **obs: float) -> Target:
    return Target(id=tid, what="a test row", figure=obs.pop("figure", None), source="test", grade="A",
                  population="test", role="fit", design=Design(scenarios=["usual_care"], statistic="preterm"),
                  observation=Observation(model=model, **obs))


def test_fit_table_judges_each_kind_of_target() -> None:
    rows = [_target("share", "binomial", figure=0.2, n=400), _target("range", "interval", low=0.3, high=0.45),
            _target("pattern", "threshold", above=0.0)]
    est = np.array([[0.21, 0.40, -1.0], [0.19, 0.35, 1.0], [0.20, 0.50, 2.0]])
    tab = fit_table(rows, est, np.full_like(est, 0.01)).set_index("target")
    assert tab.loc["share", "agrees"] and abs(tab.loc["share", "z"]) < 0.1
    assert tab.loc["range", "agrees"] and tab.loc["range", "share_satisfied"] == pytest.approx(2 / 3)
    assert tab.loc["pattern", "agrees"] and tab.loc["pattern", "share_satisfied"] == pytest.approx(2 / 3)
    far = fit_table(rows[:1], np.array([[0.5], [0.52]]), np.full((2, 1), 0.01))
    assert not far.agrees.iloc[0] and far.z.iloc[0] > 2


@pytest.mark.slow
def test_synthetic_recovery(tmp_path: Path) -> None:
    """Targets simulated from known values (their own seed and size, like a study) are calibrated
    from the prior: the known values lie inside the 90% posterior intervals for at least 80% of the
    calibrated parameters (4 of 5). One fixed seed; the check's own spread is in the benchmark's
    rank histograms (benchmarks/calibration.py)."""
    names = [p for p, _ in RECOVERY_STATISTICS]
    space = SPACE.select(names)
    u = np.array([0.35, 0.6, 0.4, 0.65, 0.5])
    truth = dict(zip(names, space.from_unit(u[None])[0]))
    targets = synthetic_targets(truth, [s for _, s in RECOVERY_STATISTICS], dyads=1500, seed=7)
    settings = Settings(dyads=400, parameters=tuple(names), waves=2, points=24, steps=400, burn=150, ensemble=30,
                        candidates=8192)
    res = calibrate(tmp_path / "cal", targets, settings)
    chain = np.load(tmp_path / "cal" / "posterior.npz")["chain"]
    inside = coverage(chain, u)
    assert inside.mean() >= 0.8, dict(zip(names, inside))
    # The posterior is narrower than the prior for the parameters the targets pin down.
    assert np.sum(chain.std(axis=0) < 0.5 / np.sqrt(12)) >= 3
    assert res.fit.agrees.all()


_SCREENED = ("pregnancy.preterm_hazard", "moud.stop_hazard", "attachment.disorganized_logit")
_TRAJ, _POINTS, _MEMBERS = 2, 8, 4
_SMALL = ["--dyads", "100", "--screen-dyads", "100", "--screen", ",".join(_SCREENED), "--trajectories", str(_TRAJ),
          "--max-parameters", "3", "--waves", "2", "--points", str(_POINTS), "--steps", "60", "--ensemble",
          str(_MEMBERS), "--no-progress"]
_SCREEN_RUNS = _TRAJ * (len(_SCREENED) + 1)


def _cli(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "dyadsim.cli.entry", "calibrate", "--out", str(out), *_SMALL, *extra]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _kill_when(cmd: list[str], ready: "callable") -> None:
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.time()
        while proc.poll() is None and time.time() - t0 < 300:
            if ready():
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the run ended before the stage it was to be killed in"


@pytest.mark.slow
def test_resume_after_sigkill_at_each_stage(tmp_path: Path) -> None:
    """Killed (SIGKILL) during screening, during a history-matching wave and during the posterior
    predictive, then resumed: the same ensemble and fit table as an uninterrupted run, and no
    simulation run twice (the same number of cached points)."""
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    done = subprocess.run(_cli(ref), env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    cache = cut / "cache"

    def parts() -> int:
        return len(list(cache.glob("*.parquet"))) if cache.exists() else 0

    _kill_when(_cli(cut), lambda: parts() >= 3)
    assert not (cut / "screening.json").exists()
    _kill_when(_cli(cut), lambda: (cut / "wave_1.npz").exists() and parts() >= _SCREEN_RUNS + _POINTS + 2)
    assert not (cut / "wave_2.npz").exists()
    _kill_when(_cli(cut), lambda: (cut / "posterior.npz").exists() and parts() >= _SCREEN_RUNS + 2 * _POINTS + 1)
    assert not (cut / "fit.csv").exists()
    last = subprocess.run(_cli(cut), env=_env(), capture_output=True, text=True, timeout=600)
    assert last.returncode == 0, last.stderr[-2000:]
    for name in ("ensemble.csv", "fit.csv", "waves.json", "screening.json"):
        assert (cut / name).read_bytes() == (ref / name).read_bytes(), name
    assert parts() == len(list((ref / "cache").glob("*.parquet")))
    assert not list(cut.glob(".*.tmp*")) and not list(cache.glob(".*.tmp"))
    again = subprocess.run(_cli(cut), env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "0 simulations" in again.stderr


def test_cli_refuses_bad_input(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dyadsim.cli.entry", "calibrate", "--out",
                               str(tmp_path / "c"), *args], env=_env(), capture_output=True, text=True, timeout=120)

    r = run("--dyads", "5")
    assert r.returncode == 2 and "--dyads" in r.stderr and "100 to 200000" in r.stderr
    r = run("--parameters", "no.such_parameter")
    assert r.returncode == 2 and "no.such_parameter" in r.stderr
    r = run("--scheduler", "localhost")
    assert r.returncode == 2 and "--scheduler" in r.stderr
    bad = tmp_path / "t.yaml"
    bad.write_text("targets:\n  - id: x1\n    what: bad row\n    source: s\n    grade: Z\n    population: p\n")
    r = run("--targets", str(bad))
    assert r.returncode == 2 and "t.yaml" in r.stderr and "grade" in r.stderr


def test_folder_holding_another_calibration_is_refused(tmp_path: Path) -> None:
    from dyadsim.calibration.run import _claim
    from dyadsim.config.targets import load_targets
    from dyadsim.core.errors import InputError

    rows = load_targets()
    _claim(tmp_path, Settings(dyads=200), rows)
    _claim(tmp_path, Settings(dyads=200), rows)  # the same: resumes
    with pytest.raises(InputError, match="calibration.json"):
        _claim(tmp_path, Settings(dyads=300), rows)
    assert isinstance(pd.read_json(tmp_path / "calibration.json", typ="series"), pd.Series)


def test_runs_draw_from_the_shipped_posterior(tmp_path: Path) -> None:
    """``--parameters posterior``: each replicate runs one member of the shipped ensemble (the
    manifest records which), the scenarios of a comparison share them, and rerun repeats them."""
    import json

    from click.testing import CliRunner

    from dyadsim.config.posterior import load_ensemble
    from dyadsim.cli import main

    ens, meta = load_ensemble()
    assert meta["targets_hash"] and len(ens) >= 100
    ex = ROOT / "examples"
    res = CliRunner().invoke(main, ["compare", str(ex / "usual_care.yaml"), str(ex / "more_prenatal.yaml"), "--out",
                                    str(tmp_path / "c"), "--dyads", "20", "--parameters", "posterior",
                                    "--parameter-draws", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "c" / "manifest.json").read_text())["parameter_draws"]
    assert rec["source"] == "posterior" and rec["draws"] == 2
    members = rec["meta"]["members"]
    assert np.allclose(np.asarray(rec["values"]), ens.loc[members, rec["names"]].to_numpy())


def test_missing_ensemble_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim.config import posterior as ensemble
    from dyadsim.config.uncertainty import draw_parameters
    from dyadsim.core.errors import InputError

    monkeypatch.setattr(ensemble, "FOLDER", tmp_path)
    ensemble.load_ensemble.cache_clear()
    try:
        with pytest.raises(InputError, match="no posterior ensemble is shipped"):
            draw_parameters(3, 1, source="posterior")
    finally:
        ensemble.load_ensemble.cache_clear()

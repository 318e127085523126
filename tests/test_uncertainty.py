"""Parameter draws per replicate: intervals that carry parameter and Monte Carlo uncertainty."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.run.results import outcomes_table
from dyadsim.run.runner import run_scenario
from dyadsim.config.scenario import load_scenario, parse_scenario
from dyadsim.config.space import SPACE
from dyadsim.core.intervals import KINDS, bands
from dyadsim.config.uncertainty import draw_parameters

MONTE_CARLO, PARAMETER = KINDS["monte_carlo"], KINDS["parameter"]

ROOT = Path(__file__).resolve().parent.parent
UC = ROOT / "examples" / "usual_care.yaml"


def test_draws_are_reproducible_bounded_and_skip_what_a_scenario_sets() -> None:
    scn = parse_scenario({"name": "x", "parameters": {"use_cycle.cue_prob": 0.2},
                          "links": {"craving_use": {"strength": 3.0}}})
    d = draw_parameters(5, seed=7, select="module:use_cycle", scenarios=(scn,))
    assert "use_cycle.cue_prob" not in d.names and len(d) == 5
    again = draw_parameters(5, seed=7, select="module:use_cycle", scenarios=(scn,))
    assert np.array_equal(d.values, again.values)
    assert not np.array_equal(d.values, draw_parameters(5, seed=8, select="module:use_cycle").values[:, :len(d.names)])
    sub = SPACE.select(d.names)
    assert ((d.values >= [x.low for x in sub]) & (d.values <= [x.high for x in sub])).all()
    assert "links.craving_use.strength" not in draw_parameters(2, 1, "links.craving_use.strength,tau.craving",
                                                               (scn,)).names
    with pytest.raises(InputError, match="--parameter-draws"):
        draw_parameters(1, 1)


def test_percentile_interval() -> None:
    v = np.arange(1.0, 202.0)  # 1..201
    centre, lo, hi = (float(x) for x in bands(v, kind="parameter"))
    assert centre == 101.0 and lo == pytest.approx(6.0) and hi == pytest.approx(196.0)


def test_each_replicate_runs_its_own_draw() -> None:
    """Replicate r of a run with draws equals a plain run with draw r's values and seed base + r."""
    scn, params, pop = load_scenario(UC)
    draws = draw_parameters(3, seed=scn.cohort.seed, select="module:use_cycle")
    res = run_scenario(scn, params, pop, dyads=60, progress=False, draws=draws, tables=("outcomes", "aggregates"))
    assert res.manifest["parameter_draws"]["names"] == draws.names
    assert (res.summary["interval"] == PARAMETER).all()
    assert res.outcomes is not None
    for r in range(3):
        one = run_scenario(scn, draws.apply(params, r), pop, dyads=60, seed=scn.cohort.seed + r, replicates=1,
                           progress=False, tables=("outcomes",))
        assert one.outcomes is not None
        mine = res.outcomes[res.outcomes["replicate"] == r].drop(columns=["replicate"]).reset_index(drop=True)
        theirs = one.outcomes.drop(columns=["replicate"]).reset_index(drop=True)
        assert mine.equals(theirs), r
    plain = run_scenario(scn, params, pop, dyads=60, replicates=2, progress=False, tables=("aggregates",))
    assert (plain.summary["interval"] == MONTE_CARLO).all()
    means = res.stats.replicate_summary()
    label = "Days of opioid use, postpartum year"
    per_rep = means[means["outcome"] == label]["mean"].to_numpy()
    row = res.summary[res.summary["outcome"] == label].iloc[0]
    assert (row["lower"], row["upper"]) == pytest.approx(tuple(np.percentile(per_rep, [2.5, 97.5])))


def test_cli_run_and_compare_with_draws(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(main, ["run", str(UC), "--out", str(out), "--dyads", "40", "--parameter-draws", "2",
                               "--parameters", "prior", "--draw-params", "module:reward", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert f"[{PARAMETER} interval]" in res.output
    man = json.loads((out / "manifest.json").read_text())
    assert man["replicates"] == 2 and man["parameter_draws"]["select"] == "module:reward"
    cmp_out = tmp_path / "cmp"
    res = runner.invoke(main, ["compare", str(UC), str(ROOT / "examples" / "more_prenatal.yaml"), "--out",
                               str(cmp_out), "--dyads", "40", "--parameter-draws", "2", "--no-progress"])
    assert res.exit_code == 0, res.output
    man = json.loads((cmp_out / "manifest.json").read_text())
    assert man["interval"] == PARAMETER and len(man["parameter_draws"]["values"]) == 2
    bad = runner.invoke(main, ["run", str(UC), "--out", str(tmp_path / "x"), "--parameter-draws", "3",
                               "--replicates", "2"])
    assert bad.exit_code == 2 and "--parameter-draws" in bad.output and not (tmp_path / "x").exists()
    for args, field in ((["--parameters", "point", "--parameter-draws", "3"], "--parameter-draws"),
                        (["--draw-params", "module:reward"], "--draw-params")):  # posterior is the default
        bad = runner.invoke(main, ["run", str(UC), "--out", str(tmp_path / "x"), *args])
        assert bad.exit_code == 2 and field in bad.output and not (tmp_path / "x").exists(), bad.output


def test_outcomes_unchanged_by_draw_plumbing() -> None:
    """Without draws the run is the plain run (the draws argument defaults to nothing)."""
    scn, params, pop = load_scenario(UC)
    from dyadsim.engine.run import simulate

    res = run_scenario(scn, params, pop, dyads=30, replicates=1, progress=False, tables=("outcomes",))
    direct = outcomes_table(simulate(params, 30, scn.cohort.seed, pop), scn.care.nows_setting)
    assert res.outcomes is not None and res.outcomes.equals(direct)

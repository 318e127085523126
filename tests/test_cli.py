"""The command line end to end: every example runs; bad input fails clearly; writes are atomic."""
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.config.grounding import calibration_notice

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if not p.stem.startswith("trial_"))
"""Scenario examples (trial files, ``trial_*.yaml``, are run by tests/test_trials.py)."""


def _run(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(main, args)
    return res.exit_code, res.output


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, text = _run(["run", str(example), "--out", str(out), "--dyads", "60", "--replicates", "2",
                       "--seed", "3", "--no-progress"])
    assert code == 0, text
    assert "Days of opioid use, postpartum year" in text
    assert calibration_notice("posterior") in text
    assert html.escape(calibration_notice("posterior")) in (out / "report.html").read_text()
    for f in ("outcomes.parquet", "aggregates.parquet", "trajectories.parquet", "summary.csv", "manifest.json",
              "catalog.duckdb", "report.html", "figures/monthly.png", "figures/attachment.png"):
        assert (out / f).is_file(), f
    man = json.loads((out / "manifest.json").read_text())
    assert man["seed"] == 3 and man["dyads"] == 60 and man["replicates"] == 2
    assert "use_cycle.cue_prob" in man["parameters"] and len(man["scenario_hash"]) == 64
    df = pd.read_parquet(out / "outcomes.parquet")
    assert len(df) == 120
    from dyadsim.run.store import open_catalog

    con = open_catalog(out)
    assert con.execute("SELECT count(*) FROM outcomes").fetchone()[0] == 120
    con.close()


def _bad(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    code, out = _run(["run", str(f), "--out", str(tmp_path / "o"), "--dyads", "5", "--replicates", "1"])
    return code, out, f


@pytest.mark.parametrize("text, field", [
    ("name: x\ncohort: {dyads: 10, colour: red}\n", "cohort.colour"),
    ("name: x\ncohort: {dyads: many}\n", "cohort.dyads"),
    ("name: x\ncohort: {dyads: -5}\n", "cohort.dyads"),
    ("name: x\ncohort: {horizon_months: 48}\n", "cohort.horizon_months"),
    ("name: x\ncare: {nows_setting: hotel}\n", "care.nows_setting"),
    ("name: x\nparameters: {use_cycle.cue_prob: 5.0}\n", "parameters.use_cycle.cue_prob"),
    ("name: x\nparameters: {use_cycle.no_such: 1.0}\n", "parameters.use_cycle.no_such"),
    ("name: x\nlinks: {no_such_edge: {strength: 1.0}}\n", "links.no_such_edge"),
    ("name: x\nlinks: {craving_use: {strength: 50}}\n", "links.craving_use.strength"),
    ("name: x\npopulation: {overrides: {enrol_week: {min: 8, max: 40}}}\n", "population"),
    ("name: x\npopulation: {overrides: {depression_dx: {p: 1.5}}}\n", "population.overrides.depression_dx.p"),
])
def test_bad_input_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    code, out, f = _bad(tmp_path, text)
    assert code == 2, out
    assert str(f) in out and field in out, out
    assert not (tmp_path / "o").exists()


def test_impossible_timeline_is_explained(tmp_path: Path) -> None:
    code, out, _ = _bad(tmp_path, "name: x\npopulation: {overrides: {enrol_week: {min: 8, max: 40}}}\n")
    assert code == 2 and "impossible timeline" in out


def test_yaml_cannot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code, out, _ = _bad(tmp_path, f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    assert code == 2 and "not valid YAML" in out
    assert not marker.exists()


def test_negative_dyads_on_command_line(tmp_path: Path) -> None:
    code, out = _run(["run", str(EXAMPLES[0]), "--out", str(tmp_path / "o"), "--dyads", "-3"])
    assert code == 2 and "--dyads" in out


def test_interrupted_write_leaves_no_complete_run(tmp_path: Path) -> None:
    from dyadsim import load_scenario, run_scenario
    from dyadsim.run.store import write_run

    scn, params, pop = load_scenario(ROOT / "examples" / "usual_care.yaml")
    result = run_scenario(scn, params, pop, dyads=20, replicates=1, progress=False)
    out = tmp_path / "run"

    def boom(folder: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_run(result, out, extras=boom)
    assert not out.exists()
    assert not any(tmp_path.iterdir()), "temporary folder left behind"
    write_run(result, out)
    assert (out / "manifest.json").exists()
    with pytest.raises(KeyboardInterrupt):  # a failed rewrite keeps the previous complete run
        write_run(result, out, extras=boom, force=True)
    assert (out / "manifest.json").exists()


def test_refuses_to_overwrite_foreign_folder(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    code, text = _run(["run", str(EXAMPLES[0]), "--out", str(out), "--dyads", "5", "--replicates", "1"])
    assert code == 2 and "not a dyadsim run" in text
    assert (out / "thesis.docx").read_text() == "precious"


def test_graph_json_and_drawing(tmp_path: Path) -> None:
    code, text = _run(["graph", "--json"])
    assert code == 0
    d = json.loads(text)
    assert {"id", "label"} <= set(d["nodes"][0]) and {"from", "to", "sign", "strength", "evidence"} <= set(d["edges"][0])
    for suffix in ("svg", "png"):
        code, text = _run(["graph", "--out", str(tmp_path / f"g.{suffix}")])
        assert code == 0 and (tmp_path / f"g.{suffix}").stat().st_size > 1000
    code, text = _run(["graph", "--out", str(tmp_path / "g.txt")])
    assert code == 2 and "--out" in text


def test_scenario_link_changes_results(tmp_path: Path) -> None:
    from dyadsim import load_scenario, run_scenario
    from dyadsim.config.scenario import parse_scenario, scenario_params

    scn, params, pop = load_scenario(ROOT / "examples" / "usual_care.yaml")
    base = run_scenario(scn, params, pop, dyads=300, replicates=1, progress=False).outcomes
    off = parse_scenario({**scn.model_dump(), "links": {"craving_use": {"strength": 2.0}}})
    low = run_scenario(off, scenario_params(off), pop, dyads=300, replicates=1, progress=False).outcomes
    # Weaker craving -> use arrow: fewer use days (paired, same random numbers).
    diff = low["use_days_pp_year"] - base["use_days_pp_year"]
    se = diff.std(ddof=1) / len(diff) ** 0.5
    assert diff.mean() < -4 * se, (diff.mean(), se)

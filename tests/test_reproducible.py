"""Runs a researcher can keep and redo: finished runs are never replaced without --force, killed
runs leave nothing behind for long, the compile notice is honest, ``dyadsim rerun`` reproduces runs
and comparisons bit for bit from the manifest alone, examples ship in the package, and the tables
(catalogue from any folder, monthly.parquet, CSV copies, subgroup summaries) are what they say."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.run.store import open_catalog, same_table
from dyadsim.run.tidy import monthly_columns, monthly_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PACKAGED = ROOT / "src" / "dyadsim" / "data" / "examples"
SMALL = ["--dyads", "150", "--replicates", "2", "--seed", "7", "--no-progress"]


def _cli(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(main, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"uncaught {res.exception!r}") from res.exception
    return res.exit_code, res.output


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """usual_care, 150 dyads x 2 replicates, 12 months, with CSV copies."""
    out = tmp_path_factory.mktemp("runs") / "usual"
    code, text = _cli(["run", str(EXAMPLES / "usual_care.yaml"), "--out", str(out), "--csv", *SMALL])
    assert code == 0, text
    return out


def test_finished_run_is_kept_without_force(run_dir: Path) -> None:
    stamp = (run_dir / "manifest.json").read_bytes()
    code, text = _cli(["run", str(EXAMPLES / "more_prenatal.yaml"), "--out", str(run_dir), "--dyads", "5",
                       "--replicates", "1", "--no-progress"])
    assert code == 2 and "--force" in text and "nothing was changed" in text, text
    assert (run_dir / "manifest.json").read_bytes() == stamp


def test_killed_run_leaves_a_partial_folder_that_the_next_run_removes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "dyadsim.cli.entry", "run", str(EXAMPLES / "usual_care.yaml"), "--out",
                             str(out), "--dyads", "20000", "--replicates", "3", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".run.partial-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)  # no handler can run: the partial folder stays
        proc.wait()
    left = list(tmp_path.glob(".run.partial-*"))
    assert left and not out.exists()
    code, text = _cli(["run", str(EXAMPLES / "usual_care.yaml"), "--out", str(out), "--dyads", "5", "--replicates",
                       "1", "--no-progress"])
    assert code == 0, text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_compile_notice_only_when_the_cache_is_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   run_dir: Path) -> None:
    import numba

    from dyadsim.engine import cache

    assert not cache.is_cold("numba")  # the fixture's run compiled (or loaded) the engine
    assert cache.compile_notice("numba") is None and not cache.is_cold("numpy")
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "empty"))
    assert cache.is_cold("numba") and cache.is_cold("numba_fast") and cache.is_cold("numba_dyad")
    assert "compiling the engine, once per version" in (cache.compile_notice("numba") or "")
    monkeypatch.undo()
    monkeypatch.setattr(cache, "is_cold", lambda kind: True)
    res = CliRunner().invoke(main, ["run", str(EXAMPLES / "usual_care.yaml"), "--out", str(tmp_path / "c"),
                                    "--dyads", "5", "--replicates", "1", "--no-progress"])
    assert res.exit_code == 0 and "compiling the engine, once per version of dyadsim" in res.output


def test_manifest_records_what_a_rerun_needs(run_dir: Path) -> None:
    from dyadsim.engine.cache import SOURCE_HASH

    man = json.loads((run_dir / "manifest.json").read_text())
    assert man["kind"] == "run" and man["source_hash"] == SOURCE_HASH
    assert "dyadsim run" in man["command_line"] and "--csv" in man["command_line"]
    assert datetime.fromisoformat(man["created_utc"]).utcoffset().total_seconds() == 0
    for lib in ("dyadsim", "python", "numpy", "numba", "pandas", "pyarrow", "duckdb", "pydantic", "scipy"):
        assert man["versions"][lib], lib
    rec = man["scenarios_full"][0]
    assert rec["text"] == (EXAMPLES / "usual_care.yaml").read_text()
    assert rec["scenario"]["cohort"] == {"dyads": 150, "seed": 7, "replicates": 2, "horizon_months": 12}
    assert rec["population_text"] is None  # the packaged population
    assert {"monthly.parquet", "views.sql", "csv/outcomes.csv"} <= set(man["files"])


def test_rerun_is_bit_identical_without_the_original_files(tmp_path: Path) -> None:
    """A custom population file and the scenario file are deleted before the rerun: the manifest's
    contents alone reproduce the run."""
    pop = tmp_path / "inputs" / "pop.yaml"
    pop.parent.mkdir()
    pop.write_text((ROOT / "src" / "dyadsim" / "data" / "population.yaml").read_text())
    scn = pop.parent / "scn.yaml"
    scn.write_text("name: custom\ncohort: {horizon_months: 12}\npopulation: {file: pop.yaml, "
                   "overrides: {depression_dx: {p: 0.6}}}\nparameters: {use_cycle.cue_prob: 0.2}\n")
    out = tmp_path / "a"
    code, text = _cli(["run", str(scn), "--out", str(out), *SMALL])
    assert code == 0, text
    man = json.loads((out / "manifest.json").read_text())
    assert man["scenarios_full"][0]["population_text"] == pop.read_text()
    shutil.rmtree(pop.parent)
    code, text = _cli(["rerun", str(out / "manifest.json"), "--no-progress"])
    assert code == 0 and "identical to the original" in text, text
    again = tmp_path / "a-rerun"
    for t in ("outcomes", "monthly", "aggregates", "trajectories"):
        assert same_table(out / f"{t}.parquet", again / f"{t}.parquet"), t
    assert (out / "outcomes.parquet").read_bytes() == (again / "outcomes.parquet").read_bytes()
    assert pd.read_csv(out / "summary.csv").equals(pd.read_csv(again / "summary.csv"))
    code, text = _cli(["rerun", str(out / "manifest.json"), "--no-progress"])
    assert code == 2 and "--force" in text  # the rerun's folder is guarded like any other


def test_rerun_of_a_comparison_is_bit_identical(tmp_path: Path) -> None:
    a, b = tmp_path / "uc.yaml", tmp_path / "more.yaml"
    shutil.copy(EXAMPLES / "usual_care.yaml", a)
    shutil.copy(EXAMPLES / "more_prenatal.yaml", b)
    out = tmp_path / "cmp"
    code, text = _cli(["compare", str(a), str(b), "--out", str(out), "--dyads", "80", "--replicates", "2",
                       "--no-progress"])
    assert code == 0, text
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "compare" and [r["text"] for r in man["scenarios_full"]] == [a.read_text(), b.read_text()]
    b.write_text(b.read_text().replace("sessions: 8", "sessions: 2"))  # the file changes; the manifest holds it
    code, text = _cli(["rerun", str(out), "--out", str(tmp_path / "again"), "--no-progress"])
    assert code == 0 and "identical to the original" in text, text
    for f in man["outcome_files"]:
        assert same_table(out / f, tmp_path / "again" / f), f
    assert pd.read_csv(out / "differences.csv").equals(pd.read_csv(tmp_path / "again" / "differences.csv"))


def test_rerun_refuses_what_is_not_a_dyadsim_manifest(tmp_path: Path) -> None:
    bad = tmp_path / "manifest.json"
    for text, field in (("{", "(file)"), ('{"package": "other"}', "package"),
                        ('{"package": "dyadsim", "files": []}', "scenarios_full")):
        bad.write_text(text)
        code, out = _cli(["rerun", str(bad), "--out", str(tmp_path / "o")])
        assert code == 2 and f"field '{field}'" in out and str(bad) in out, out
    assert not (tmp_path / "o").exists()


def test_examples_ship_in_the_package_and_match_the_repository(tmp_path: Path) -> None:
    from dyadsim.config import examples

    repo = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert sorted(p.name for p in PACKAGED.glob("*.yaml")) == repo
    for name in repo:
        assert (PACKAGED / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    code, text = _cli(["example", "--list"])
    assert code == 0 and [line.split()[0] for line in text.splitlines()] == examples.names() == [n[:-5] for n in repo]
    target = tmp_path / "mine.yaml"
    code, text = _cli(["example", "more_prenatal", "--out", str(target)])
    assert code == 0 and target.read_text() == (EXAMPLES / "more_prenatal.yaml").read_text()
    code, text = _cli(["example", "more_prenatal", "--out", str(target)])
    assert code == 2 and "--force" in text
    code, text = _cli(["example", "usual_care"])
    assert code == 0 and text == (EXAMPLES / "usual_care.yaml").read_text()
    code, text = _cli(["example", "no_such"])
    assert code == 2 and "field 'NAME'" in text and "usual_care" in text


def test_catalogue_from_another_working_folder(run_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    n = len(pd.read_parquet(run_dir / "outcomes.parquet"))
    con = open_catalog(run_dir)
    assert con.execute("SELECT count(*) FROM outcomes").fetchone()[0] == n == 300
    by = con.execute("SELECT moud_type, avg(use_days_pp_year) FROM outcomes GROUP BY 1").fetchall()
    assert len(by) == 3
    assert con.execute("SELECT count(*) FROM summary").fetchone()[0] > 20
    con.close()
    con = duckdb.connect()
    con.execute((run_dir / "views.sql").read_text())
    assert con.execute("SELECT count(DISTINCT dyad_id) FROM monthly").fetchone()[0] == 150
    con.close()
    moved = tmp_path / "moved"
    shutil.copytree(run_dir, moved)
    con = open_catalog(moved)  # resolved when opened: a copied or moved folder works
    assert con.execute("SELECT count(*) FROM outcomes").fetchone()[0] == n
    con.close()
    monkeypatch.chdir(run_dir)  # the catalogue file itself, from inside its folder
    con = duckdb.connect("catalog.duckdb", read_only=True)
    assert con.execute("SELECT count(*) FROM outcomes").fetchone()[0] == n
    con.close()


def test_monthly_table_is_the_outcomes_monthly_columns(run_dir: Path) -> None:
    out = pd.read_parquet(run_dir / "outcomes.parquet")
    mon = pd.read_parquet(run_dir / "monthly.parquet")
    cols = monthly_columns(list(out.columns))
    assert list(mon.columns) == ["dyad_id", "replicate", "month", "variable", "value"]
    assert len(mon) == len(out) * len(cols) and mon["month"].between(1, 12).all()
    assert set(mon["variable"].astype(str)) == {v for _, _, v in cols}
    expect = monthly_table(out)
    assert (mon["variable"].astype(str).to_numpy() == expect["variable"].astype(str).to_numpy()).all()
    for c in ("dyad_id", "replicate", "month", "value"):
        assert np.array_equal(mon[c].to_numpy(), expect[c].to_numpy(), equal_nan=True), c
    row = out.iloc[157]
    got = mon[(mon["dyad_id"] == row["dyad_id"]) & (mon["replicate"] == row["replicate"]) & (mon["month"] == 3)]
    got = got.set_index(got["variable"].astype(str))["value"]
    assert got["use_days"] == row["use_days_m03"] and got["craving"] == np.float64(row["craving_m03"])


def test_csv_copies_for_r_and_stata(run_dir: Path) -> None:
    out = pd.read_parquet(run_dir / "outcomes.parquet")
    csv = pd.read_csv(run_dir / "csv" / "outcomes.csv")
    assert list(csv.columns) == list(out.columns) and len(csv) == len(out)
    assert set(csv["moud_type"]) <= {"none", "methadone", "buprenorphine"}
    assert np.allclose(csv["use_days_pp_year"], out["use_days_pp_year"])
    assert len(pd.read_csv(run_dir / "csv" / "monthly.csv")) == len(pd.read_parquet(run_dir / "monthly.parquet"))


def test_summarize_by_a_column(run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, text = _cli(["summarize", str(run_dir), "--by", "moud_type"])
    assert code == 0 and "moud_type = methadone" in text, text
    table = pd.read_csv(tmp_path / f"{run_dir.name}_by_moud_type.csv")
    out = pd.read_parquet(run_dir / "outcomes.parquet")
    row = table[(table["moud_type"] == "none") & (table["outcome"] == "Preterm birth (share)")].iloc[0]
    per_rep = out[out["moud_type"] == "none"].groupby("replicate")["preterm"].mean()
    assert row["mean"] == pytest.approx(per_rep.mean(), abs=1e-12) and row["replicates"] == 2
    code, text = _cli(["summarize", str(run_dir), "--by", "preterm", "--out", str(tmp_path / "p.csv")])
    assert code == 0 and set(pd.read_csv(tmp_path / "p.csv")["preterm"]) <= {0, 1}
    for col, words in (("no_such_column", "no column 'no_such_column'"), ("craving_m03", "numeric")):
        code, text = _cli(["summarize", str(run_dir), "--by", col])
        assert code == 2 and "field '--by'" in text and words in text, text
    assert set(os.listdir(run_dir)) >= {"outcomes.parquet"} and not list(run_dir.glob("*_by_*"))


def test_rerun_repeats_the_recorded_parameter_draws(tmp_path: Path) -> None:
    out = tmp_path / "draws"
    code, text = _cli(["run", str(EXAMPLES / "usual_care.yaml"), "--out", str(out), "--dyads", "40",
                       "--parameter-draws", "2", "--no-progress"])
    assert code == 0, text
    code, text = _cli(["rerun", str(out), "--no-progress"])
    assert code == 0 and "identical to the original" in text, text
    a, b = (json.loads((f / "manifest.json").read_text()) for f in (out, tmp_path / "draws-rerun"))
    assert a["parameter_draws"] == b["parameter_draws"]

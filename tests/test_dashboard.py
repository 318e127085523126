"""The dashboard (``dyadsim dashboard``) through Streamlit's ``AppTest``: every widget of the form
reaches the scenario, a bad value is refused with the command line's message, a small run and a
comparison complete in the worker process and their table and figures (with alt text) appear, the
folder is the one the command line writes, earlier folders open, and the page answers within a second
while a run is going (and cancelling it leaves nothing behind).
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dyadsim.cli import main  # noqa: E402
from dyadsim.dashboard import form  # noqa: E402
from dyadsim.dashboard.pages import RUNS_ENV  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "src" / "dyadsim" / "dashboard" / "app.py"
ANSWER_S = 1.0
"""The page must answer within this many seconds while a run is going (issue 24)."""


@pytest.fixture(autouse=True)
def _main_module_kept() -> Iterator[None]:
    """AppTest puts the app's module in ``sys.modules["__main__"]`` and leaves it there; processes
    spawned later in this interpreter (Dask workers in other tests) would re-run the app as their
    main script. Put the real one back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture()
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The page's results folder; any worker a failing test left running is stopped afterwards."""
    from dyadsim.dashboard import background

    folder = tmp_path / "runs"
    monkeypatch.setenv(RUNS_ENV, str(folder))
    yield folder
    for proc in background._PROCESSES.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _preview(at: AppTest) -> dict[str, Any]:
    """The scenario file the form makes, as the page shows it."""
    return yaml.safe_load(at.code[0].value)


def _get(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def _page(at: AppTest, name: str) -> AppTest:
    at.radio(key="page").set_value(name).run()
    assert not at.exception, at.exception
    return at


def _wait(at: AppTest, timeout: float = 120.0) -> dict[str, Any]:
    """Rerun the page until the session's job has finished; its last status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = at.session_state["job"].status()
        if status["state"] in ("done", "failed", "cancelled"):
            at.run()
            return status
        time.sleep(0.3)
        at.run()
    raise AssertionError(f"the job did not finish in {timeout} s: {at.session_state['job'].status()}")


def _small(at: AppTest, dyads: int = 100, replicates: int = 2) -> None:
    at.number_input(key="cohort.dyads").set_value(dyads).run()
    at.number_input(key="cohort.replicates").set_value(replicates).run()


def test_the_form_changes_nothing_it_is_not_asked_to() -> None:
    """Every shipped scenario, read into the form and written back, is simulated alike: the same
    cohort, parameter set and population (the form writes out defaults the file leaves implicit)."""
    for name in form.scenario_examples():
        data = form.example_data(name)
        before = form.check(data, "example")
        after = form.check(form.scenario_data(data, form.values_of(data)), "form")
        assert after.scenario.cohort == before.scenario.cohort, name
        assert after.params.as_dict() == before.params.as_dict(), name
        assert after.population.model_dump() == before.population.model_dump(), name


def test_every_widget_reaches_the_scenario(runs: Path) -> None:
    at = _app()
    shown = {w.key for w in [*at.number_input, *at.selectbox, *at.checkbox, *at.multiselect, *at.radio,
                             *at.text_input]}
    # Every field that does not need a programme has its widget, with its allowed values beside it.
    assert {f.key for f in form.FIELDS if not f.key.startswith("dose.")} <= shown
    captions = " ".join(c.value for c in at.caption)
    for f in form.FIELDS:
        if f.kind in ("int", "float") and not f.key.startswith("dose."):
            assert f.allowed() in captions, f.key
    at.selectbox(key=form.PROGRAMME_KEY).select("more").run()
    assert {f.key for f in form.FIELDS} <= {w.key for w in [*at.number_input, *at.selectbox, *at.checkbox,
                                                            *at.multiselect]}
    for f in form.FIELDS:  # a value other than the current one, inside the allowed range
        lo, hi = f.bounds()
        if f.kind == "int":
            value: Any = int(min(hi, lo + 3)) if f.name != "seed" else 12345
            at.number_input(key=f.key).set_value(value)
        elif f.kind == "float":
            value = 0.35 if hi == 1 else 27.0
            at.number_input(key=f.key).set_value(value)
        elif f.kind == "bool":
            value = not at.checkbox(key=f.key).value
            at.checkbox(key=f.key).check() if value else at.checkbox(key=f.key).uncheck()
        elif f.kind == "choice":
            value = f.choices()[-1] if at.selectbox(key=f.key).value != f.choices()[-1] else f.choices()[0]
            at.selectbox(key=f.key).select(value)
        else:
            value = list(f.choices()[:2])
            at.multiselect(key=f.key).set_value(value)
        at.run()
        assert not at.exception, (f.key, at.exception)
        path = f"interventions.more.{f.key[5:]}" if f.key.startswith("dose.") else f.key
        assert _get(_preview(at), path) == value, f.key
    at.text_input(key="name").input("my_programme").run()
    assert _preview(at)["name"] == "my_programme"
    for choice in form.PROGRAMME_LABELS:  # every programme: its dose alone, the others' removed
        at.selectbox(key=form.PROGRAMME_KEY).select(choice).run()
        ivs = _preview(at).get("interventions", {})
        assert [k for k in ivs if k in form.PROGRAMME_LABELS] == ([] if choice == form.NO_PROGRAMME else [choice])
    at.selectbox(key="parameters").select("point").run()
    at.selectbox(key="example").select("more_with_supports").run()  # a new starting point resets the form
    assert at.number_input(key="dose.sessions").value == 8 and at.checkbox(key="interventions.supports.peer_support").value
    at.radio(key="start_from").set_value("a scenario file").run()
    text = (ROOT / "examples" / "system_supports.yaml").read_bytes()
    at.get("file_uploader")[0].set_value(("mine.yaml", text, "application/x-yaml")).run()
    assert not at.exception, at.exception
    assert at.session_state["base_origin"] == "mine.yaml"
    assert at.selectbox(key="interventions.moud.type").value == "buprenorphine"
    at.get("file_uploader")[0].set_value(("bad.yaml", b"name: x\ncohort: {dyads: -5}\n", "application/x-yaml")).run()
    assert any("bad.yaml: field 'cohort.dyads'" in e.value for e in at.error)


@pytest.mark.parametrize("key, bad", [("cohort.dyads", 0), ("cohort.horizon_months", 40), ("care.stigma", 1.5),
                                      ("dose.start.week", 45.0)])
def test_a_bad_value_is_refused_with_the_command_lines_message(runs: Path, tmp_path: Path, key: str,
                                                                bad: float) -> None:
    at = _app()
    at.selectbox(key=form.PROGRAMME_KEY).select("more").run()
    at.number_input(key=key).set_value(bad).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("scenario form: field '"), errors
    scenario = _preview(at)  # the scenario file the page shows it would write
    _page(at, "Run and compare")
    assert at.button(key="run_button").disabled and at.button(key="compare_button").disabled
    assert [e.value for e in at.error] == errors  # said again on the page that would run it
    # The same scenario as a file, on the command line: the same field and message.
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    done = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert done.exit_code == 2
    assert done.output.strip() == f"error: {path}" + errors[0][len("scenario form"):]


def _alts(at: AppTest) -> list[str]:
    return [img.alt for im in at.image for img in im.proto.imgs]


def test_a_small_run_completes_as_the_command_line_would_write_it_and_the_page_answers_during_the_next(
        runs: Path, tmp_path: Path) -> None:
    at = _app()
    _small(at)
    at.selectbox(key="parameters").select("point").run()
    _page(at, "Run and compare")
    at.text_input(key="folder_name").input("first").run()
    at.button(key="run_button").click().run()
    assert not at.exception and not [e.value for e in at.error], [e.value for e in at.error]
    status = _wait(at)
    assert status["state"] == "done" and status["done"] == status["total"] == 200, status
    folder = runs / "first"
    assert (folder / "manifest.json").is_file()
    at.button(key="look_button").click().run()
    assert at.session_state["page"] == "Look" and at.selectbox(key="look_folder").value == str(folder)
    _page(at, "Run and compare")
    # The page's command, run on the command line, writes the same outcomes: one pipeline.
    command = at.session_state["job"].command.split()
    assert command[:2] == ["dyadsim", "run"] and command[command.index("--out") + 1] == str(folder)
    again = tmp_path / "cli"
    args = command[1:]
    args[args.index("--out") + 1] = str(again)
    assert CliRunner().invoke(main, args + ["--no-progress"]).exit_code == 0
    from dyadsim.run.store import same_table

    assert same_table(folder / "outcomes.parquet", again / "outcomes.parquet")
    assert (folder / "summary.csv").read_text() == (again / "summary.csv").read_text()
    _page(at, "Look")
    assert at.selectbox(key="look_folder").value == str(folder)
    head = at.dataframe[0].value
    assert list(head.columns) == ["outcome", "mean", "lower", "upper"] and len(head) > 10
    assert any("Monte Carlo 95% intervals" in h.value for h in at.subheader)
    alts = _alts(at)
    assert len(alts) == 5 and all(len(a) > 20 for a in alts), alts  # 4 figures of the run and the graph
    assert any(a.startswith("Monthly trajectories") for a in alts) and any("Attachment" in a for a in alts)
    assert any(a.startswith("Mechanism graph") for a in alts)
    assert len(at.download_button) >= 7  # every figure, the graph, the summary table, report.html
    _answers_while_running(at, runs)


def _answers_while_running(at: AppTest, runs: Path) -> None:
    """With a large run going on in the worker, every page (the Look page showing the run before)
    answers within :data:`ANSWER_S`; cancelling the run stops it and leaves nothing behind."""
    _page(at, "Scenario")
    _small(at, dyads=200_000, replicates=1)
    _page(at, "Run and compare")
    at.text_input(key="folder_name").input("big").run()
    at.button(key="run_button").click().run()
    job = at.session_state["job"]
    end = time.monotonic() + 60
    while job.status()["state"] != "running" or not job.status()["done"]:  # the engine is at work
        assert time.monotonic() < end, job.status()
        time.sleep(0.2)
    times = {}
    for page in ("Scenario", "Run and compare", "Look", "Open", "Look"):
        start = time.perf_counter()
        _page(at, page)
        times[page] = time.perf_counter() - start
        assert job.status()["state"] == "running"
    assert any("Monte Carlo 95% intervals" in h.value for h in at.subheader)  # the earlier run, shown
    assert max(times.values()) < ANSWER_S, times
    at.button(key="cancel_button").click().run()
    status = job.wait(60)
    assert status["state"] == "cancelled", status
    assert not (runs / "big").exists() and not list(runs.glob(".big.partial*"))


def test_a_comparison_shows_survival_forest_attachment_and_changed_edges(runs: Path) -> None:
    at = _app()
    at.selectbox(key="example").select("more_prenatal").run()
    _small(at)
    _page(at, "Run and compare")
    at.selectbox(key="reference").select("usual_care").run()
    at.button(key="compare_button").click().run()
    status = _wait(at)
    assert status["state"] == "done", status
    _page(at, "Look")
    alts = " | ".join(_alts(at))
    assert "Kaplan-Meier" in alts and "forest plot" in alts.lower() and "Mechanism graph" in alts
    assert any("parameter + Monte Carlo 95%" in h.value for h in at.subheader)  # the posterior, the default
    frames = [d.value for d in at.dataframe]
    assert any("difference" in f.columns for f in frames)
    assert any(f["outcome"].astype(str).str.contains("Attachment").any() for f in frames if "outcome" in f)
    edges = next(f for f in frames if "changed by" in f.columns)
    assert set(edges["changed by"]) >= {"MORE: mindfulness", "MORE: reappraisal", "MORE: savoring"}


def test_earlier_folders_open(runs: Path, tmp_path: Path) -> None:
    """A run the command line wrote, and a simulated trial, open with their tables and figures."""
    runs.mkdir()
    assert CliRunner().invoke(main, ["run", str(ROOT / "examples" / "usual_care.yaml"), "--out", str(runs / "cli_run"),
                                     "--dyads", "100", "--replicates", "2", "--parameters", "point",
                                     "--no-progress"]).exit_code == 0
    trial = (ROOT / "examples" / "trial_perinatal_more.yaml").read_text(encoding="utf-8")
    small = tmp_path / "trial.yaml"
    small.write_text(trial.replace("n_per_arm: 125", "n_per_arm: 40").replace("pool_dyads: 4000", "pool_dyads: 300"),
                     encoding="utf-8")
    for ref in ("usual_care.yaml", "more_prenatal.yaml"):
        (tmp_path / ref).write_text((ROOT / "examples" / ref).read_text(encoding="utf-8"), encoding="utf-8")
    done = CliRunner().invoke(main, ["trial", str(small), "--out", str(runs / "a_trial"), "--parameters", "point",
                                     "--no-progress"])
    assert done.exit_code == 0, done.output
    at = _page(_app(), "Open")
    listing = at.dataframe[0].value
    assert set(zip(listing["folder"], listing["kind"])) == {("cli_run", "run"), ("a_trial", "trial")}
    at.selectbox(key="open_folder").select(str(runs / "a_trial")).run()
    assert not at.exception, at.exception
    assert any(h.value.startswith("Simulated trial") for h in at.header)
    names = " ".join(m.value for m in at.markdown)
    assert "estimates.csv" in names and "by_arm.csv" in names
    assert "CONSORT flow diagram" in _alts(at)  # the alt text of the trial's report page
    at.text_input(key="open_path").input(str(runs / "cli_run")).run()
    assert at.selectbox(key="open_folder").value == str(runs / "cli_run")
    assert list(at.dataframe[1].value.columns) == ["outcome", "mean", "lower", "upper"]
    at.button(key="open_button").click().run()
    assert at.session_state["page"] == "Look" and at.selectbox(key="look_folder").value == str(runs / "cli_run")
    _page(at, "Open").text_input(key="open_path").input(str(tmp_path)).run()
    assert any("holds no dyadsim manifest.json" in e.value for e in at.error)


def test_the_dashboard_command() -> None:
    from dyadsim.cli.dashboard import streamlit_command

    done = CliRunner().invoke(main, ["dashboard", "--help"])
    assert done.exit_code == 0 and "--port" in done.output and "--runs" in done.output
    bad = CliRunner().invoke(main, ["dashboard", "--port", "80"])
    assert bad.exit_code == 2 and "--port" in bad.output
    cmd = streamlit_command(8600, Path("/tmp/r"))
    assert cmd[1:4] == ["-m", "streamlit", "run"] and Path(cmd[4]) == APP
    assert cmd[cmd.index("--server.port") + 1] == "8600" and cmd[-2:] == ["--runs", "/tmp/r"]


def test_a_worker_that_died_is_reported_as_failed(tmp_path: Path) -> None:
    """A status file left 'running' by a worker that is gone (a server restarted meanwhile) reads as failed."""
    import subprocess
    import sys

    from dyadsim.dashboard import background

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = tmp_path / "status.json"
    background.write_json(path, {"state": "running", "done": 5, "total": 10, "message": "running", "pid": gone.pid})
    assert background.read_status(path)["state"] == "failed"
    background.write_json(path, {"state": "running", "done": 5, "total": 10, "message": "running", "pid": os.getpid()})
    assert background.read_status(path)["state"] == "running"

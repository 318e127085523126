"""Second hardening round: the newer commands' refusals, interrupts and first-hour papercuts.

Each test here failed before the fix it guards."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dyadsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def _small_trial(tmp: Path) -> Path:
    from test_trials import small_trial

    return small_trial(tmp)


@pytest.mark.parametrize("address", ["garbage", "tcp://", "tcp://host", "http://h:1", "tcp://h:99999",
                                     "tcp://h:1/x", "tcp://a b:1", "\x1b[31m"])
def test_power_refuses_a_bad_scheduler_address_and_writes_nothing(tmp_path: Path, address: str) -> None:
    path = _small_trial(tmp_path)
    res = CliRunner().invoke(main, ["power", str(path), "--n", "20", "--reps", "10", "--out",
                                    str(tmp_path / "p"), "--scheduler", address, "--no-progress"])
    assert res.exit_code == 2 and "--scheduler" in res.output and "Traceback" not in res.output, res.output
    assert not (tmp_path / "p").exists() and not (tmp_path / ".p.work").exists()


def test_sensitivity_refuses_a_bad_scheduler_address_and_writes_nothing(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["sensitivity", str(EX / "usual_care.yaml"), "--method", "morris", "--n", "2",
                                    "--params", "tau.birth", "--dyads", "10", "--out", str(tmp_path / "s"),
                                    "--scheduler", "garbage", "--no-progress"])
    assert res.exit_code == 2 and "--scheduler" in res.output and "Traceback" not in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_sensitivity_with_an_unreachable_scheduler_leaves_no_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim.run import sweep
    from dyadsim.core.errors import InputError

    def unreachable(self: object) -> None:
        raise InputError("command line", "--scheduler", "could not reach a Dask scheduler at 'tcp://h:1'")

    monkeypatch.setattr(sweep.DaskExecutor, "__enter__", unreachable)
    res = CliRunner().invoke(main, ["sensitivity", str(EX / "usual_care.yaml"), "--method", "morris", "--n", "2",
                                    "--params", "tau.birth", "--dyads", "10", "--out", str(tmp_path / "s"),
                                    "--scheduler", "tcp://h:1", "--no-progress"])
    assert res.exit_code == 2 and "could not reach" in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_interrupted_power_says_what_it_kept_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim.trials import run as trial_run

    path = _small_trial(tmp_path)
    real = trial_run.run_power

    def interrupted(*args: object, **kwargs: object) -> object:
        work = Path(str(args[3]))
        (work / "parts").mkdir(parents=True)
        (work / "parts" / "0.parquet").write_bytes(b"x")  # a finished task
        raise KeyboardInterrupt

    monkeypatch.setattr(trial_run, "run_power", interrupted)
    args = ["power", str(path), "--n", "20", "--reps", "10", "--out", str(tmp_path / "p"), "--no-progress"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 130 and "kept in" in res.output and "run the same command again" in res.output
    assert "nothing was written" not in res.output and (tmp_path / ".p.work").is_dir()
    monkeypatch.setattr(trial_run, "run_power", real)
    (tmp_path / ".p.work" / "parts" / "0.parquet").unlink()
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p" / "power.csv").is_file() and not (tmp_path / ".p.work").exists()


def test_power_interrupted_before_any_replicate_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim.trials import run as trial_run

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(trial_run, "run_power", interrupted)
    res = CliRunner().invoke(main, ["power", str(_small_trial(tmp_path)), "--n", "20", "--reps", "10",
                                    "--out", str(tmp_path / "p")])
    assert res.exit_code == 130 and "nothing was written" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial.yaml"]


def _closed_pipe_run(args: list[str]) -> "subprocess.CompletedProcess[bytes]":
    """Run ``dyadsim ARGS`` with standard output going to a pipe whose reader reads one line and leaves."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "dyadsim.cli.entry", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read()
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, b"", err)


@pytest.mark.parametrize("args", [["params"], ["params", "--help"], ["--help"], ["graph", "--json"],
                                  ["example", "usual_care"]])
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    done = _closed_pipe_run(args)
    err = done.stderr.decode()
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err, err
    assert err == "" and done.returncode in (0, 1, 141), (done.returncode, err)


def test_a_pipe_closed_before_any_output_ends_quietly() -> None:
    import subprocess
    import sys

    # The reader is gone before dyadsim writes: the short output waits in the buffer until the last flush.
    done = subprocess.run(f"'{sys.executable}' -m dyadsim.cli.entry --version | true", shell=True, cwd=ROOT,
                          capture_output=True, timeout=120)
    assert done.stderr.decode() == "", done.stderr


def test_warnings_print_as_plain_lines(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", str(EX / "usual_care.yaml"), "--dyads", "20", "--replicates", "2",
                                    "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if "fewer than" in ln]
    assert lines and all(ln.startswith("warning: ") for ln in lines), res.output
    assert "FewReplicatesWarning" not in res.output and ".py:" not in res.output


def test_a_trial_example_is_written_with_its_scenarios_and_the_right_command(tmp_path: Path) -> None:
    from dyadsim.config import examples
    from dyadsim.trials.design import load_trial

    out = tmp_path / "t.yaml"
    res = CliRunner().invoke(main, ["example", "trial_perinatal_more", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"dyadsim trial {out}" in res.output and "dyadsim run" not in res.output
    trial, specs = load_trial(out)  # every scenario it names is beside it
    assert len(specs) == len(trial.arms) == 2
    for ref in examples.referenced("trial_perinatal_more"):
        assert (tmp_path / ref).read_text(encoding="utf-8") == examples.text(ref[:-5])
    again = CliRunner().invoke(main, ["example", "trial_perinatal_more", "--out", str(tmp_path / "u.yaml")])
    assert again.exit_code == 0, again.output  # identical scenarios beside it are reused, not refused


def test_a_trial_example_refuses_to_overwrite_a_different_scenario_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "usual_care.yaml").write_text("name: mine\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["example", "trial_perinatal_more", "--out", str(tmp_path / "t.yaml")])
    assert res.exit_code == 2 and "usual_care.yaml" in res.output and "--force" in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usual_care.yaml"]
    assert (tmp_path / "usual_care.yaml").read_text(encoding="utf-8") == "name: mine\n"


def test_a_scenario_example_still_suggests_run(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["example", "usual_care", "--out", str(tmp_path / "u.yaml")])
    assert res.exit_code == 0 and "dyadsim run" in res.output, res.output


def test_graph_says_when_graphviz_is_missing_and_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dyadsim.report import graph_draw

    monkeypatch.setattr(graph_draw, "dot_available", lambda: False)
    res = CliRunner().invoke(main, ["graph", "--out", str(tmp_path / "g.svg")])
    assert res.exit_code == 0 and (tmp_path / "g.svg").stat().st_size > 0, res.output
    assert "Graphviz" in res.output and "apt-get install graphviz" in res.output and "--focus" in res.output
    for args in (["--out", str(tmp_path / "f.svg"), "--layout", "fixed"], ["--out", str(tmp_path / "g.dot")]):
        quiet = CliRunner().invoke(main, ["graph", *args])  # asked for the fixed layout, or no drawing
        assert quiet.exit_code == 0 and "Graphviz" not in quiet.output, quiet.output


def test_monte_carlo_intervals_say_they_are_stochastic_only(tmp_path: Path) -> None:
    import html

    from dyadsim.core.intervals import scope_note

    note = scope_note("monte_carlo")
    assert note is not None and scope_note("parameter") is None
    res = CliRunner().invoke(main, ["run", str(EX / "usual_care.yaml"), "--dyads", "20", "--replicates", "3",
                                    "--parameters", "point", "--out", str(tmp_path / "mc")])
    assert res.exit_code == 0 and note in res.output, res.output
    assert html.escape(note) in (tmp_path / "mc" / "report.html").read_text(encoding="utf-8")
    res = CliRunner().invoke(main, ["compare", str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml"),
                                    "--dyads", "20", "--replicates", "3", "--parameters", "point",
                                    "--out", str(tmp_path / "c")])
    assert res.exit_code == 0 and note in res.output, res.output
    assert html.escape(note) in (tmp_path / "c" / "compare.html").read_text(encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(EX / "usual_care.yaml"), "--dyads", "20", "--parameter-draws", "3",
                                    "--out", str(tmp_path / "pd")])
    assert res.exit_code == 0 and note not in res.output, res.output
    assert html.escape(note) not in (tmp_path / "pd" / "report.html").read_text(encoding="utf-8")

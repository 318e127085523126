"""Hostile input: the corpus of nasty scenario files is refused by field, output folders are never
lost or left half-written, streamed runs equal unstreamed ones, and the compiled kernels run with
bounds checking on."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.core.yamlsafe import MAX_BYTES, MAX_DEPTH, load_yaml, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text())
USUAL = ROOT / "examples" / "usual_care.yaml"
SMALL = ["--dyads", "6", "--replicates", "1", "--no-progress"]


def _cli(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(main, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"uncaught {res.exception!r}") from res.exception
    return res.exit_code, res.output


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_case_is_refused_by_field(name: str, tmp_path: Path) -> None:
    path = CORPUS / name
    started = time.perf_counter()
    code, text = _cli(["run", str(path), "--out", str(tmp_path / "o"), *SMALL])
    assert time.perf_counter() - started < 10, "too slow to refuse"
    assert code == 2, text
    assert str(path) in text and f"field '{EXPECTED[name]}" in text, text
    assert len(text) < 2500 and "Traceback" not in text
    assert not (tmp_path / "o").exists() and list(tmp_path.iterdir()) == []


def test_corpus_lists_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir()} - {"expected.json"}
    assert files == set(EXPECTED)


def test_strict_yaml_limits(tmp_path: Path) -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    for text, words in (("a: 1\na: 2\n", "duplicate key 'a'"), (deep, "nesting deeper"),
                        ("a: [" + ", ".join(["*x"] * 1001) + "]\nx: &x 1\n", "not valid YAML")):
        with pytest.raises(InputError, match=words) as err:
            parse_yaml(text, "t.yaml")
        assert err.value.file == "t.yaml" and err.value.field == "(file)"
    ok = parse_yaml("a: &x [1, 2]\nb: *x\nc: {d: 1}\n", "t.yaml")
    assert ok == {"a": [1, 2], "b": [1, 2], "c": {"d": 1}}
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_BYTES + "\n")
    with pytest.raises(InputError, match="larger than"):
        load_yaml(big)
    many = "a: &x 1\nb: [" + ", ".join(["*x"] * 1001) + "]\n"
    with pytest.raises(InputError, match="more than 1000 aliases"):
        parse_yaml(many, "t.yaml")


def test_input_error_message_is_bounded() -> None:
    err = InputError("f" * 10_000, "g" * 10_000, "h" * 100_000)
    assert len(str(err)) < 3000


@pytest.mark.parametrize("args, option", [
    (["--dyads", "10000001"], "--dyads"), (["--replicates", "1001"], "--replicates"),
    (["--seed", str(2**63 - 1), "--replicates", "2"], "--seed"), (["--seed", str(2**70)], "--seed"),
    (["--dyads", "0"], "--dyads"),
])
def test_command_line_options_obey_the_scenario_limits(tmp_path: Path, args: list[str], option: str) -> None:
    code, text = _cli(["run", str(USUAL), "--out", str(tmp_path / "o"), "--no-progress", *args])
    assert code == 2 and f"field '{option}'" in text, text
    assert not (tmp_path / "o").exists()


def _fail_if_simulated(*args: object, **kwargs: object) -> None:
    raise AssertionError("simulated before the output folder was checked")


def test_out_is_checked_before_simulating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dyadsim.run.runner

    monkeypatch.setattr(dyadsim.run.runner, "simulate", _fail_if_simulated)
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.chdir(tmp_path)
    for out in (str(afile), str(afile / "sub"), ".", str(tmp_path.parent), "/"):
        code, text = _cli(["run", str(USUAL), "--out", out, *SMALL])
        assert code == 2 and "--out" in text, (out, text)
    code, text = _cli(["compare", str(USUAL), str(USUAL).replace("usual_care", "more_prenatal"), "--out", ".",
                       *SMALL])
    assert code == 2 and "--out" in text, text
    assert afile.read_text() == "x"


def _run_into(out: Path, *extra: str) -> tuple[int, str]:
    return _cli(["run", str(USUAL), "--out", str(out), *SMALL, *extra])


def test_only_dyadsim_folders_are_replaced_and_only_with_force(tmp_path: Path) -> None:
    ext = tmp_path / "extension"
    ext.mkdir()
    (ext / "manifest.json").write_text('{"manifest_version": 3, "name": "an extension"}')
    (ext / "background.js").write_text("precious")
    for extra in ((), ("--force",)):
        code, text = _run_into(ext, *extra)
        assert code == 2 and "not a dyadsim run" in text, text
    assert (ext / "background.js").read_text() == "precious"

    run = tmp_path / "run"
    code, text = _run_into(run)
    assert code == 0, text
    code, text = _run_into(run)
    assert code == 2 and "--force" in text
    stamp = (run / "manifest.json").stat().st_mtime_ns
    (run / "notes.txt").write_text("my notes")
    code, text = _run_into(run, "--force")
    assert code == 2 and "notes.txt" in text, text
    assert (run / "notes.txt").read_text() == "my notes" and (run / "manifest.json").stat().st_mtime_ns == stamp
    (run / "notes.txt").unlink()
    code, text = _run_into(run, "--force", "--seed", "5")
    assert code == 0, text
    assert json.loads((run / "manifest.json").read_text())["seed"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extension", "run"]


def test_stale_partial_folders_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".run.partial-{dead.pid}-deadbeef"
    stale.mkdir()
    (stale / ".dyadsim-partial").write_text(str(dead.pid))
    (stale / "outcomes.parquet").write_bytes(b"x" * 100)
    live = tmp_path / f".run.partial-{os.getpid()}-cafe0000"
    live.mkdir()
    (live / ".dyadsim-partial").write_text(str(os.getpid()))
    foreign = tmp_path / f".run.partial-{dead.pid}-notours"
    foreign.mkdir()
    code, text = _run_into(tmp_path / "run")
    assert code == 0, text
    assert not stale.exists() and live.exists() and foreign.exists()


def test_os_error_in_final_rename_is_reported_and_keeps_the_old_run(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import dyadsim.run.store

    run = tmp_path / "run"
    assert _run_into(run)[0] == 0
    real = os.rename

    def flaky(src: str | Path, dst: str | Path) -> None:
        if ".partial-" in str(src):
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(dyadsim.run.store.os, "rename", flaky)
    code, text = _run_into(run, "--force")
    assert code == 2 and "No space left on device" in text and "--out" in text, text
    assert (run / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_compare_names_never_become_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("name: base line\n")
    b.write_text("name: with+more.v2\ninterventions: {more: {sessions: 0}}\n")
    out = tmp_path / "cmp"
    code, text = _cli(["compare", str(a), str(b), "--out", str(out), *SMALL])
    assert code == 0, text
    assert sorted(p.name for p in (out / "outcomes").iterdir()) == ["base_line.parquet", "with+more.v2.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml", "cmp"]
    c = tmp_path / "c.yaml"
    c.write_text("name: base_line\n")
    code, text = _cli(["compare", str(a), str(c), "--out", str(tmp_path / "cmp2"), *SMALL])
    assert code == 2 and "field 'name'" in text


def test_chunked_run_equals_one_block(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Per-dyad outcomes, trajectories and daily aggregates do not depend on the chunking, in
    memory or streamed to Parquet."""
    import dyadsim.run.runner as runner
    from dyadsim.engine.run import simulate
    from dyadsim.run.results import aggregates_table, outcomes_table
    from dyadsim.config.scenario import load_scenario

    scn, params, pop = load_scenario(USUAL)
    scn = scn.model_copy(update={"output": scn.output.model_copy(update={"trajectory_sample": 5})})
    whole = simulate(params, 40, 9, pop, trajectory_sample=5)
    monkeypatch.setattr(runner, "CHUNK_DYADS", 7)
    monkeypatch.setattr(runner, "TRAJ_CHUNK_DYADS", 3)
    monkeypatch.setattr(runner, "GROUP_DYADS", 10)  # row groups of several chunks, the last one short
    res = runner.run_scenario(scn, params, pop, dyads=40, seed=9, replicates=1, progress=False)
    pd.testing.assert_frame_equal(res.outcomes, outcomes_table(whole, "nicu", 0))
    pd.testing.assert_frame_equal(res.aggregates, aggregates_table(whole, 0))
    pd.testing.assert_frame_equal(res.trajectories, runner.trajectories_table(whole, 0))
    streamed = runner.run_scenario(scn, params, pop, dyads=40, seed=9, replicates=1, progress=False, folder=tmp_path)
    assert streamed.outcomes is None
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "outcomes.parquet"), res.outcomes)
    import pyarrow.parquet as pq

    groups = [pq.ParquetFile(tmp_path / "outcomes.parquet").metadata.row_group(g).num_rows
              for g in range(pq.ParquetFile(tmp_path / "outcomes.parquet").metadata.num_row_groups)]
    assert sum(groups) == 40 and all(g >= 10 for g in groups[:-1]) and len(groups) < 40 // 3
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "trajectories.parquet"), res.trajectories)
    pd.testing.assert_frame_equal(streamed.summary, res.summary)


def test_sigterm_removes_the_partial_output(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("dyadsim")
    out = tmp_path / "run"
    proc = subprocess.Popen([str(exe), "run", str(USUAL), "--out", str(out), "--dyads", "400000", "--replicates", "1",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".run.partial-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has installed a SIGTERM handler (Linux: SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((int(ln.split()[1], 16) for ln in status.splitlines() if ln.startswith("SigCgt:")), 0)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.0, 0.5])
def test_early_ctrl_c_ends_quietly(tmp_path: Path, delay: float) -> None:
    """Ctrl-C while the executable is still importing its libraries: exit 130, no traceback."""
    exe = Path(sys.executable).with_name("dyadsim")
    proc = subprocess.Popen([str(exe), "run", str(USUAL), "--out", str(tmp_path / "run"), "--dyads", "50000",
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not _catches_sigterm(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, (proc.returncode, err)
    assert list(tmp_path.iterdir()) == []


BOUNDSCHECK = """
import numpy as np
from dyadsim.engine.run import simulate
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.core.registry import PARAMS

runs = 0
for corner in (None, "low", "high"):
    for horizon in (365.0, 1096.0):
        ps = ParamSet()
        if corner is not None:
            for k, p in PARAMS.items():
                if k != "pregnancy.horizon_days":
                    ps.set(k, p.low if corner == "low" else p.high)
        ps.set("pregnancy.horizon_days", horizon)
        for spec in (load_spec(), load_spec(None, {"enrol_week": {"min": 4, "max": 23.9},
                                                   "term_week": {"min": 24, "max": 44},
                                                   "moud_start_week": {"min": 0, "max": 42},
                                                   "aces": {"min": 0, "max": 10, "mean": 9}})):
            out = simulate(ps, 12, 5, spec, engine="numba", threads=1, block_size=5, trajectory_sample=3)
            assert np.isfinite(out.monthly).all() and np.isfinite(out.pregnancy).all()
            runs += 1
# The check is live: a NaN that skipped validation becomes an out-of-range index and is caught.
bad = load_spec()
bad.covariates["enrol_week"] = bad.covariates["enrol_week"].model_copy(update={"max": float("nan")})
try:
    simulate(ParamSet(), 4, 5, bad, engine="numba", threads=1)
except IndexError:
    runs += 1
print("ok", runs)
"""


def test_kernels_run_with_bounds_checking(tmp_path: Path) -> None:
    """Every index the compiled kernel writes stays in bounds (Numba's bounds checking raises
    IndexError otherwise) at the default parameters, every parameter's corners, the longest
    horizon and the widest allowed timeline and covariate ranges."""
    from dyadsim.engine.cache import source_hash as _source_hash

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dyadsim" / f"boundscheck-{_source_hash()}"
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(cache)}
    res = subprocess.run([sys.executable, "-c", BOUNDSCHECK], env=env, capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip() == "ok 13"


@pytest.mark.parametrize("replicates", [1, 2])
def test_streamed_differences_equal_in_memory_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   replicates: int) -> None:
    import dyadsim.analysis.compare as compare
    import dyadsim.run.runner as runner

    monkeypatch.setattr(runner, "CHUNK_DYADS", 16)
    monkeypatch.setattr(compare, "CHUNK_DYADS", 16)
    more = ROOT / "examples" / "more_prenatal.yaml"
    cmp = compare.compare([USUAL, more], dyads=50, replicates=replicates, seed=3, folder=tmp_path)
    base = pd.read_parquet(tmp_path / "outcomes" / "usual_care.parquet")
    other = pd.read_parquet(tmp_path / "outcomes" / "more_prenatal.parquet")
    assert len(base) == len(other) == 50 * replicates
    whole = compare.paired_differences(base, other, "more_prenatal")
    got = cmp.differences
    assert list(got["outcome"]) == list(whole["outcome"]) and len(got) > 200
    for col in ("difference", "lower", "upper"):
        assert np.allclose(got[col], whole[col], rtol=1e-9, atol=1e-9, equal_nan=True), col


def test_running_report_statistics_equal_the_table_ones() -> None:
    """The report's monthly means and attachment shares built chunk by chunk equal those of the
    whole outcomes table."""
    from dyadsim.model.modules.attachment import CLASSES
    from dyadsim.report.run_report import monthly_means
    from dyadsim.run.runner import run_scenario
    from dyadsim.config.scenario import load_scenario

    scn, params, pop = load_scenario(USUAL)
    res = run_scenario(scn, params, pop, dyads=120, seed=4, replicates=2, progress=False)
    assert res.outcomes is not None
    want = monthly_means(res.outcomes)
    got = res.stats.monthly_means()[list(want.columns)]
    # (the table holds float32 monthly columns; the running sums are kept in float64)
    pd.testing.assert_frame_equal(got, want, check_exact=False, check_dtype=False, rtol=1e-5)
    att = res.outcomes.groupby("replicate")["attachment"].value_counts(normalize=True).unstack(fill_value=0)
    att = att.reindex(columns=list(CLASSES), fill_value=0)
    assert np.allclose(res.stats.attachment_shares().to_numpy(), att.to_numpy(), rtol=1e-12)
    sample = res.stats.wellbeing_sample()
    assert np.array_equal(sample["wb_social"], res.outcomes["wb_social"].dropna().to_numpy())


def test_a_stop_swallowed_by_compiled_code_is_not_lost(tmp_path: Path) -> None:
    """A SIGTERM that arrives while Numba compiles is raised inside a ctypes callback, where Python
    prints and ignores it; the recorded request still stops the run after its first chunk, and the
    finished folder is never put in place."""
    from dyadsim.core import interrupt
    from dyadsim.run.runner import run_scenario
    from dyadsim.config.scenario import load_scenario
    from dyadsim.run.store import _replace

    scn, params, spec = load_scenario(USUAL)
    work = tmp_path / "partial"
    work.mkdir()
    interrupt.request()  # as the signal handler does before its exception is swallowed
    try:
        with pytest.raises(KeyboardInterrupt):
            run_scenario(scn, params, spec, dyads=20, replicates=1, progress=False, folder=work)
        with pytest.raises(KeyboardInterrupt):
            _replace(work, tmp_path / "run")
    finally:
        interrupt.clear()
    assert not (tmp_path / "run").exists()

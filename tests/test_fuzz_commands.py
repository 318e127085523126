"""Fuzzing (hypothesis, derandomized) of the newer commands' inputs: trial files, the options of
``sensitivity`` and ``power``, and the manifests ``rerun`` reads.

Every case ends in one of two ways: refused with one line that names the file (or the command
line) and a field, exit status 2; or accepted and finished (exit 0). Never a traceback, a hang (each
case is timed), or a file written outside the output folder, and nothing at all on refusal.
"""
from __future__ import annotations

import copy
import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
CASE_SECONDS = 30.0

NASTY = st.sampled_from([
    math.nan, math.inf, -math.inf, -1, 0, 0.5, 1, 3, 37, 1e6, 1e308, 2**63, "20", "", "nan", True, False, None,
    [], {}, [1, 2], [12, 1], {"a": 1}, "../../x", "/dev/zero", "x" * 300, -0.0, "craving_1", "use_days_pp_1_6",
])
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

TRIAL: dict[str, Any] = {
    "name": "fuzz", "arms": [{"name": "control", "scenario": str(EX / "usual_care.yaml")},
                             {"name": "treated", "scenario": str(EX / "more_prenatal.yaml")}],
    "n_per_arm": 30, "pool_dyads": 300, "seed": 5,
    "randomization": {"strata": ["moud_type"], "block_sizes": [4]},
    "schedule": {"postpartum_months": [1, 3, 6, 12]},
    "attrition": {"retention_logit": 2.5, "use_log_odds": 0.05},
    "primary": {"name": "use_days_pp_1_6", "measure": "tlfb_days", "months": [1, 6], "model": "count",
                "lower_is_better": True},
    "secondary": [{"name": "craving_3", "measure": "craving_nrs", "month": 3, "model": "linear"}],
    "process": [{"name": "craving_1", "measure": "craving_nrs", "month": 1, "model": "linear"}],
    "analysis": {"missing": "complete_case", "bootstrap": 100},
    "mediation": [{"name": "craving_path", "mediators": ["craving_1"], "outcome": "use_days_pp_1_6"}],
}
"""A small valid trial that uses every section (pools of 300 dyads: a case runs in seconds)."""


def _paths(d: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else []
    for k, v in items:
        out.append(prefix + (k,))
        out.extend(_paths(v, prefix + (k,)))
    return out


PATHS = [p for p in _paths(TRIAL) if p[0] != "arms" or p[-1] != "scenario"]


def _parent(d: Any, path: tuple[Any, ...]) -> Any:
    for k in path[:-1]:
        d = d[k]
    return d


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


def _check(res: Result, started: float, wrote: bool) -> None:
    """One line naming a field and exit 2, or success; never a traceback, never slow."""
    assert time.perf_counter() - started < CASE_SECONDS, "a case took too long"
    assert "Traceback" not in res.output and res.exception is None or isinstance(res.exception, SystemExit), \
        f"{res.exception!r}\n{res.output}"
    if res.exit_code == 2:
        # dyadsim's refusal names a field; click's own (a value that is not a number) names the option.
        assert ("error: " in res.output and "field '" in res.output) or "Error: Invalid value for '" in res.output, \
            res.output
        assert not wrote, "a refused command wrote something"
    else:
        assert res.exit_code == 0, res.output


@st.composite
def trials(draw: st.DrawFn) -> dict[str, Any]:
    """The small trial with one thing broken: a value replaced, a key deleted or an unknown key added."""
    doc = copy.deepcopy(TRIAL)
    kind = draw(st.sampled_from(["replace", "replace", "delete", "unknown"]))
    path = draw(st.sampled_from(PATHS))
    parent = _parent(doc, path)
    if kind == "replace":
        parent[path[-1]] = draw(NASTY)
    elif kind == "delete":
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent.pop(path[-1])
    elif isinstance(parent, dict):
        parent["colour"] = draw(NASTY)
    return doc


@SETTINGS
@given(doc=trials())
def test_fuzzed_trial_files_are_refused_by_field_or_run(tmp_path_factory: pytest.TempPathFactory,
                                                         doc: dict[str, Any]) -> None:
    where = tmp_path_factory.mktemp("fuzz_trial")
    path = where / "trial.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    before = _snapshot(where)
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(where / "t")])
    _check(res, started, wrote=_snapshot(where) != before)
    if res.exit_code == 2:
        assert str(path) in res.output, res.output
    else:
        assert (where / "t" / "report.html").is_file()


OPTION_VALUES = st.sampled_from(["0", "-1", "1", "3", "1e9", "99999999999999999999", "nan", "", "x", "2.5",
                                 "1:0:1", "50:10:10", "10:20:0", "4:4:4", "a:b:c", "1,2,x", "200000"])


@SETTINGS
@given(option=st.sampled_from(["--n", "--reps", "--boot", "--workers"]), value=OPTION_VALUES)
def test_fuzzed_power_options_are_refused_by_name_or_run(tmp_path_factory: pytest.TempPathFactory,
                                                        option: str, value: str) -> None:
    where = tmp_path_factory.mktemp("fuzz_power")
    path = where / "trial.yaml"
    doc = copy.deepcopy(TRIAL)
    doc["mediation"] = []  # no bootstrap: an accepted case stays small
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    args = {"--n": "20", "--reps": "10", option: value}
    if option == "--workers" and value not in ("1", "3"):
        args["--workers"] = value
    elif option == "--workers":
        args["--workers"] = "1"
    before = _snapshot(where)
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["power", str(path), "--out", str(where / "p"), "--no-progress",
                                    *[x for kv in args.items() for x in kv]])
    _check(res, started, wrote=_snapshot(where) != before)
    if res.exit_code == 2:
        assert option in res.output or "--n" in res.output, res.output


@SETTINGS
@given(option=st.sampled_from(["--n", "--replicates", "--dyads", "--seed", "--params", "--outcomes", "--top"]),
       value=OPTION_VALUES | st.sampled_from(["tau.birth", "module:nope", "kind:x", "assumed", "nope,tau.birth"]))
def test_fuzzed_sensitivity_options_are_refused_by_name_or_run(tmp_path_factory: pytest.TempPathFactory,
                                                              option: str, value: str) -> None:
    where = tmp_path_factory.mktemp("fuzz_sens")
    args = {"--method": "morris", "--n": "2", "--params": "tau.birth,tau.stressors", "--replicates": "1",
            "--dyads": "10", "--outcomes": "days_of_opioid_use_postpartum_year", option: value}
    if option == "--top":
        args["--from-morris"] = str(where / "none")
        args.pop("--params")
    if option == "--params" and value == "assumed":
        args["--params"] = "module:moud"  # the whole assumed space is the documented example's job
    before = _snapshot(where)
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["sensitivity", str(EX / "usual_care.yaml"), "--out", str(where / "s"),
                                    "--no-progress", *[x for kv in args.items() for x in kv]])
    _check(res, started, wrote=_snapshot(where) != before)


@pytest.fixture(scope="module")
def a_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("fuzz_rerun") / "run"
    res = CliRunner().invoke(main, ["run", str(EX / "usual_care.yaml"), "--dyads", "10", "--replicates", "1",
                                    "--out", str(where), "--no-progress"])
    assert res.exit_code == 0, res.output
    return where


def _json_paths(d: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return _paths(d, prefix)


@SETTINGS
@given(data=st.data())
def test_fuzzed_manifests_are_refused_by_field_or_rerun(a_run: Path, tmp_path_factory: pytest.TempPathFactory,
                                                       data: st.DataObject) -> None:
    manifest = json.loads((a_run / "manifest.json").read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(_json_paths(manifest)))
    parent = _parent(manifest, path)
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(NASTY)
    elif isinstance(parent, dict):
        parent.pop(path[-1])
    else:
        parent.pop(path[-1])
    where = tmp_path_factory.mktemp("fuzz_manifest")
    mpath = where / "manifest.json"
    mpath.write_text(json.dumps(manifest, allow_nan=True), encoding="utf-8")
    before = _snapshot(where)
    started = time.perf_counter()
    res = CliRunner().invoke(main, ["rerun", str(mpath), "--out", str(where / "again"), "--no-progress"])
    assert time.perf_counter() - started < CASE_SECONDS
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{res.exception!r}\n{res.output}"
    assert "Traceback" not in res.output
    assert res.exit_code in (0, 1, 2), res.output  # 1: the run differs from the record, said by name
    if res.exit_code == 2:
        assert str(mpath) in res.output or "manifest" in res.output, res.output
        assert _snapshot(where) == before


def test_the_unbroken_inputs_run(tmp_path: Path) -> None:
    """The fuzzers break one thing in inputs that are valid: each base case runs to the end."""
    path = tmp_path / "trial.yaml"
    path.write_text(yaml.safe_dump(TRIAL), encoding="utf-8")
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(tmp_path / "t")])
    assert res.exit_code == 0 and (tmp_path / "t" / "report.html").is_file(), res.output
    res = CliRunner().invoke(main, ["sensitivity", str(EX / "usual_care.yaml"), "--out", str(tmp_path / "s"),
                                    "--no-progress", "--method", "morris", "--n", "2", "--params",
                                    "tau.birth,tau.stressors", "--replicates", "1", "--dyads", "10",
                                    "--outcomes", "days_of_opioid_use_postpartum_year"])
    assert res.exit_code == 0 and (tmp_path / "s").is_dir(), res.output


def _fifo(where: Path) -> Path:
    os.mkfifo(where / "manifest.json")
    return where / "manifest.json"


def _dev_zero(where: Path) -> Path:
    (where / "manifest.json").symlink_to("/dev/zero")
    return where / "manifest.json"


def _folder(where: Path) -> Path:
    (where / "manifest.json").mkdir()
    return where / "manifest.json"


def _written(body: bytes) -> Any:
    def make(where: Path) -> Path:
        (where / "manifest.json").write_bytes(body)
        return where / "manifest.json"
    return make


def _huge(where: Path) -> Path:
    from dyadsim.run.store import MAX_MANIFEST_BYTES

    with open(where / "manifest.json", "wb") as fh:  # sparse: no disk is used
        fh.truncate(MAX_MANIFEST_BYTES + 1)
    return where / "manifest.json"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
@pytest.mark.parametrize("make", [_fifo, _dev_zero, _folder, _huge, _written(b"{not json"),
                                  _written(b"\x00\x01\x02\xff" * 64), _written(b"[1, 2]"), _written(b"")],
                         ids=["fifo", "dev_zero", "folder", "huge", "not_json", "binary", "list", "empty"])
def test_a_manifest_that_is_not_a_small_regular_json_file_is_refused_at_once(tmp_path: Path, make: Any) -> None:
    """A FIFO used to hang ``rerun`` and a symlink to /dev/zero was read without end: each is refused
    in well under a second, by path, without reading it and without writing anything."""
    import signal

    path = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())

    def stuck(signum: int, frame: Any) -> None:
        raise TimeoutError("rerun hung on a non-regular manifest")

    old = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(10)
    try:
        started = time.perf_counter()
        res = CliRunner().invoke(main, ["rerun", str(path), "--out", str(tmp_path / "again"), "--no-progress"])
        elapsed = time.perf_counter() - started
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert res.exception is None or isinstance(res.exception, SystemExit), f"{res.exception!r}\n{res.output}"
    assert res.exit_code == 2 and str(path) in res.output, res.output
    assert elapsed < 5.0, elapsed
    assert sorted(p.name for p in tmp_path.iterdir()) == before

"""Fuzzing (hypothesis, derandomized): malformed scenario files, population files and command lines.

Every case is refused with an error that names the file and a field of the part that was broken,
or accepted with outputs that pass sanity checks (finite, in range); never a traceback, a hang
(each case is timed) or a write outside the output folder.
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.model.graph import EDGE_IDS
from dyadsim.model.population import REQUIRED
from dyadsim.model.params import ParamSet  # noqa: F401  (registers every parameter)
from dyadsim.core.registry import PARAMS

ROOT = Path(__file__).resolve().parent.parent
BASE: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "more_with_supports.yaml").read_text())
BASE_POP: dict[str, Any] = yaml.safe_load((ROOT / "src" / "dyadsim" / "data" / "population.yaml").read_text())
CASE_SECONDS = 10.0

NASTY = st.sampled_from([
    math.nan, math.inf, -math.inf, -1, 0, 0.5, 1, 37, 1e6, 1e308, -1e308, 2**63, 2**64, "20", "", "nan", True,
    False, None, [], {}, [1, 2], {"a": 1}, "../../x", "/tmp/x", "$\\foo{$", "x" * 300, -0.0, 1e-320,
])
SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _paths(d: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    if isinstance(d, dict):
        for k, v in d.items():
            out.append(prefix + (str(k),))
            out.extend(_paths(v, prefix + (str(k),)))
    return out


PATHS = _paths(BASE)


def _set(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for k in path[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = {}
        d = d[k]
    d[path[-1]] = value


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A scenario with one thing broken, and the top-level section it is in."""
    scn = yaml.safe_load(yaml.safe_dump(BASE))
    kind = draw(st.sampled_from(["replace", "unknown", "delete", "override", "parameter", "link"]))
    if kind == "replace":
        path = draw(st.sampled_from(PATHS))
        _set(scn, path, draw(NASTY))
    elif kind == "unknown":
        path = draw(st.sampled_from([p for p in PATHS if isinstance(_get(scn, p), dict)] + [()]))
        _set(scn, path + ("colour",), draw(NASTY))
    elif kind == "delete":
        path = draw(st.sampled_from(PATHS))
        parent = _get(scn, path[:-1])
        parent.pop(path[-1], None)
    elif kind == "override":
        cov = draw(st.sampled_from(list(REQUIRED) + ["eye_colour"]))
        fld = draw(st.sampled_from(["p", "min", "max", "mean", "sd", "dist", "round", "probs", "source", "bogus"]))
        path = ("population", "overrides", cov, fld)
        _set(scn, path, draw(st.one_of(NASTY, st.sampled_from(["normal", "uniform", "bernoulli", "logitnormal"]),
                                       st.floats(-100, 300))))
    elif kind == "parameter":
        name = draw(st.one_of(st.sampled_from(sorted(PARAMS)), st.sampled_from(["no.such", "links.x", ""])))
        path = ("parameters", name)
        _set(scn, path, draw(st.one_of(NASTY, st.floats(-1e3, 1e3))))
    else:
        edge = draw(st.one_of(st.sampled_from(EDGE_IDS), st.just("no_such_edge")))
        path = ("links", edge)
        _set(scn, path, draw(st.one_of(st.just({}), st.fixed_dictionaries({"strength": NASTY}),
                                       st.fixed_dictionaries({"enabled": NASTY}))))
    return scn, path[0] if path else "(file)"


def _get(d: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        d = d[k]
    return d


def _sane(scn_path: Path) -> None:
    """An accepted scenario simulates a few dyads to finite, in-range outcomes."""
    from dyadsim.engine.run import simulate
    from dyadsim.run.results import outcomes_table
    from dyadsim.config.scenario import load_scenario

    scn, params, pop = load_scenario(scn_path)
    out = simulate(params, 4, 1, pop, engine="numba", threads=1)
    assert np.isfinite(out.monthly).all() and np.isfinite(out.pregnancy).all()
    df = outcomes_table(out, scn.care.nows_setting)
    assert (df["care_setting"] == scn.care.nows_setting).all()
    for c in ("preterm", "nows_pharm", "cps_report", "maternal_death", "depression_dx", "tobacco"):
        assert set(df[c].unique()) <= {0, 1}, c
    assert ((df["aces"] >= 0) & (df["aces"] <= 10)).all()
    assert ((df["enrol_week"] >= 4) & (df["enrol_week"] < df["gest_weeks_at_birth"] + 1e-9)).all()


def _load(path: Path) -> InputError | None:
    from dyadsim.config.scenario import load_scenario

    try:
        load_scenario(path)
    except InputError as exc:
        return exc
    return None


@SETTINGS
@given(case=scenarios())
def test_malformed_scenarios_are_refused_by_field_or_sane(tmp_path_factory: pytest.TempPathFactory,
                                                          case: tuple[dict[str, Any], str]) -> None:
    scn, section = case
    folder = tmp_path_factory.mktemp("fz")
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump(scn, allow_unicode=True))
    started = time.perf_counter()
    err = _load(path)
    if err is None:
        _sane(path)
    else:
        assert err.file == str(path) and err.field, err
        assert err.field.split(".")[0] in (section, "(file)") or section == "(file)", (section, str(err))
        assert len(str(err)) < 2500
    assert time.perf_counter() - started < CASE_SECONDS


@SETTINGS
@given(cov=st.sampled_from(list(REQUIRED)), fld=st.sampled_from(["p", "min", "max", "mean", "sd", "dist", "probs"]),
       value=st.one_of(NASTY, st.floats(allow_nan=True, allow_infinity=True)), drop=st.booleans())
def test_malformed_population_files_are_refused_by_field_or_sane(tmp_path_factory: pytest.TempPathFactory,
                                                                 cov: str, fld: str, value: Any, drop: bool) -> None:
    pop = yaml.safe_load(yaml.safe_dump(BASE_POP))
    if drop:
        pop["covariates"].pop(cov)
    else:
        pop["covariates"][cov][fld] = value
    folder = tmp_path_factory.mktemp("fp")
    (folder / "pop.yaml").write_text(yaml.safe_dump(pop))
    path = folder / "s.yaml"
    path.write_text("name: popfuzz\npopulation: {file: pop.yaml}\n")
    err = _load(path)
    if err is None:
        _sane(path)
    else:
        assert err.field.startswith("population"), str(err)
        assert (str(folder / "pop.yaml") in str(err)), str(err)


TOKENS = st.sampled_from(["run", "compare", "--out", "--dyads", "--seed", "--replicates", "--force",
                          "--json", "--intervention", "--scenario", "-x", "--", "1e6", "-1", "0", "nan", "",
                          "99999999999999999999", "10000001", "2", "more", "s.yaml", "pop.yaml", "/dev/zero", "/etc/passwd",
                          "out", ".", "..", "a.svg", "x\x00y", "\udcff"])


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["run", "compare", "graph", "params", "nosuch"]),
       args=st.lists(TOKENS, min_size=0, max_size=7))
def test_malformed_command_lines_end_cleanly(tmp_path_factory: pytest.TempPathFactory,
                                             monkeypatch: pytest.MonkeyPatch, command: str, args: list[str]) -> None:
    argv = [command, *args]
    folder = tmp_path_factory.mktemp("fc")
    (folder / "s.yaml").write_text("name: tiny\ncohort: {dyads: 3, replicates: 1}\noutput: {trajectory_sample: 1}\n")
    (folder / "pop.yaml").write_text("- not a population\n")
    before = {p.name for p in ROOT.iterdir()}
    with monkeypatch.context() as m:
        m.chdir(folder)
        started = time.perf_counter()
        res = CliRunner().invoke(main, argv)
        assert time.perf_counter() - started < 60
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"{argv!r}: uncaught {res.exception!r}") from res.exception
    assert res.exit_code in (0, 1, 2), (argv, res.exit_code, res.output)
    assert "Traceback" not in res.output
    assert {p.name for p in ROOT.iterdir()} == before, "wrote outside the working folder"

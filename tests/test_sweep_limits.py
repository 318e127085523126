"""Sensitivity designs stay inside the declared ranges, and impossible sweeps are refused up front."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dyadsim.analysis import sensitivity as sa
from dyadsim.run.budget import Budget, check_budget, sweep_budget
from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.model.params import ParamSet
from dyadsim.jobs.sensitivity import dyadsim_problem
from dyadsim.config.space import SPACE

ROOT = Path(__file__).resolve().parent.parent
EDGE_U = np.array([0.0, np.nextafter(0.0, 1.0), 0.5, np.nextafter(1.0, 0.0), 1.0])
"""Unit-cube points where the inverse CDF can miss a bound by an ulp."""


@pytest.mark.parametrize("name", [d.name for d in SPACE if d.drawn])
def test_every_prior_maps_the_unit_interval_into_its_range(name: str) -> None:
    d = SPACE[name]
    v = d.from_unit(EDGE_U)
    assert np.all(v >= d.low) and np.all(v <= d.high), (name, d.low, d.high, v.tolist())
    assert np.isclose(v[0], d.low, rtol=1e-12) and np.isclose(v[-1], d.high, rtol=1e-12)


@pytest.mark.parametrize("method,n", [("sobol", 8), ("morris", 4)])
def test_design_over_every_parameter_is_accepted_by_the_parameter_set(method: str, n: int) -> None:
    # 'all' with Sobol' is the design that failed: 0.3 + 1.0 * 0.6 = 0.9000000000000001 > 0.9.
    problem = dyadsim_problem("all")
    design = sa.sample(problem, method, n, seed=1)
    lows = np.array([SPACE[x].low for x in problem.names])
    highs = np.array([SPACE[x].high for x in problem.names])
    assert np.all(design.values >= lows) and np.all(design.values <= highs)
    base = ParamSet()
    for row in design.values[:: max(1, len(design.values) // 50)]:
        base.with_values(dict(zip(problem.names, row)))  # raises ValueError outside a range


def test_budget_counts_runs_time_and_memory() -> None:
    b = sweep_budget(sets=100, inputs=10, seeds=2, dyads=500, horizon_months=12, statistics=3)
    assert b.runs == 200 and b.sets == 100
    assert b.dyad_days == pytest.approx(200 * 500 * (140 + 12 * 30.44))
    assert b.seconds > 0 and b.bytes > 0
    for size in ("runs", "about", "memory"):
        assert size in b.describe()


@pytest.mark.parametrize("budget,words", [
    (Budget(10**9, 2 * 10**9, 1e15, 1e8, 1e16), "more than this machine's"),
    (Budget(10**6, 2 * 10**6, 1e15, 1e9, 1e6), "more than a year"),
])
def test_impossible_budget_is_refused_naming_the_option(budget: Budget, words: str) -> None:
    with pytest.raises(InputError) as err:
        check_budget(budget)
    assert err.value.field == "--n" and words in str(err.value) and "runs" in str(err.value)


@pytest.mark.parametrize("n", ["1000000000", "100000000000000000000"])
def test_cli_refuses_an_unbounded_n_before_running(n: str, tmp_path: Path) -> None:
    out = tmp_path / "s"
    res = CliRunner().invoke(main, ["sensitivity", str(ROOT / "examples" / "usual_care.yaml"), "--n", n,
                                    "--out", str(out), "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "--n" in res.output and "runs" in res.output and "memory" in res.output
    assert "Traceback" not in res.output
    assert not out.exists() and not (tmp_path / "s.partial").exists()


def test_memory_error_message_names_what_to_reduce(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dyadsim.jobs.sensitivity as sr

    def boom(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(sr, "run_sensitivity", boom)
    res = CliRunner().invoke(main, ["sensitivity", str(ROOT / "examples" / "usual_care.yaml"), "--out",
                                    str(tmp_path / "s")])
    assert res.exit_code == 1 and "out of memory" in res.output and "--n" in res.output
    assert "dyads per replicate" not in res.output

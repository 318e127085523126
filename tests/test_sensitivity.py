"""Sensitivity analysis: known answers (Ishigami, inputs nobody reads), the noise share, tables,
figures and the page."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dyadsim import sensitivity as sa
from dyadsim import sensitivity_plots as sp
from dyadsim.errors import InputError


@pytest.fixture(scope="module")
def ishigami_sobol() -> sa.SensitivityResult:
    return sa.run(sa.ishigami_problem(), sa.IshigamiEvaluator(), "sobol", 1024, [1], seed=3, tornado_top=3)


def test_ishigami_matches_analytic_indices_within_bootstrap_intervals(ishigami_sobol: sa.SensitivityResult) -> None:
    truth = sa.ishigami_indices().set_index("parameter")
    assert truth.loc["x1", "S1"] == pytest.approx(0.3139, abs=1e-4)
    assert truth.loc["x2", "S1"] == pytest.approx(0.4424, abs=1e-4)
    assert truth.loc["x1", "ST"] == pytest.approx(0.5576, abs=1e-4)
    assert truth.loc["x3", "ST"] == pytest.approx(0.2437, abs=1e-4)
    got = ishigami_sobol.indices.set_index("parameter")
    for p in ("x1", "x2", "x3"):
        for k in ("S1", "ST"):
            half = got.loc[p, f"{k}_conf"]
            assert 0 < half < 0.15, (p, k, half)
            assert abs(got.loc[p, k] - truth.loc[p, k]) <= half, (p, k, got.loc[p, k], truth.loc[p, k], half)


def test_ishigami_design_size_and_ranking(ishigami_sobol: sa.SensitivityResult) -> None:
    assert len(ishigami_sobol.design.values) == sa.runs_needed("sobol", 1024, 3) == 1024 * 5
    assert np.all(np.abs(ishigami_sobol.design.values) <= math.pi)
    m = ishigami_sobol.mechanisms
    assert list(m.sort_values("rank")["group"]) == ["x1", "x2", "x3"]
    assert sa.top_parameters(ishigami_sobol.indices, 2) == ["x1", "x2"]
    # Tornado around 0: sin² x2 is even, so x2's 5th and 95th percentiles give the same value.
    t = ishigami_sobol.tornado.set_index("parameter")
    assert t.loc["x2", "swing"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["x1", "at_high"] == pytest.approx(math.sin(0.9 * math.pi), rel=1e-12)


def test_input_nobody_reads_gets_exact_zero() -> None:
    """A fourth input that the function never reads: μ*, σ, S1 and ST exactly 0."""
    base = sa.ishigami_problem()
    problem = sa.Problem(base.names + ("unused",), base.groups + ("none",), base.units + ("",), np.zeros(4),
                         lambda u: -math.pi + 2 * math.pi * np.asarray(u), "Ishigami + unused input")
    clean = sa.run(problem, sa.IshigamiEvaluator(), "morris", 6, [1], seed=1, tornado_top=0).indices
    u = clean.set_index("parameter").loc["unused"]
    assert u["mu_star"] == 0.0 and u["sigma"] == 0.0 and u["mu"] == 0.0
    s = sa.run(problem, sa.IshigamiEvaluator(), "sobol", 64, [1], seed=1, tornado_top=0).indices
    u = s.set_index("parameter").loc["unused"]
    assert u["ST"] == 0.0 and u["S1"] == 0.0


def test_noise_share_known_answer() -> None:
    """Additive noise of SD 2 averaged over R = 4 seeds: share (4/4) / (Var f + 4/4)."""
    sd, reps = 2.0, 4
    r = sa.run(sa.ishigami_problem(), sa.IshigamiEvaluator(noise_sd=sd), "sobol", 512, list(range(reps)), seed=2,
               tornado_top=0)
    row = r.noise.iloc[0]
    var_f = float(np.var(sa.ishigami(r.design.values), ddof=1))
    expected = (sd ** 2 / reps) / (var_f + sd ** 2 / reps)
    assert row["noise_variance"] == pytest.approx(sd ** 2 / reps, rel=0.08)
    assert row["noise_share"] == pytest.approx(expected, rel=0.1)
    one = sa.noise_table(np.ones((5, 1, 1)) * np.arange(5)[:, None, None], ["y"]).iloc[0]
    assert math.isnan(one["noise_share"])  # one replicate: not estimable


def test_noise_table_definition() -> None:
    Y = np.array([[[1.0], [3.0]], [[5.0], [9.0]], [[0.0], [0.0]]])  # 3 samples x 2 seeds
    row = sa.noise_table(Y, ["y"]).iloc[0]
    within = np.mean([np.var([1, 3], ddof=1), np.var([5, 9], ddof=1), 0.0]) / 2
    total = np.var([2.0, 7.0, 0.0], ddof=1)
    assert row["noise_variance"] == pytest.approx(within)
    assert row["total_variance"] == pytest.approx(total)
    assert row["noise_share"] == pytest.approx(within / total)


@pytest.mark.parametrize("method,n,option,words", [
    ("sobol", 100, "--n", "power of 2"), ("sobol", 2, "--n", "power of 2"), ("morris", 1, "--n", "at least 2"),
    ("fast", 8, "--method", "morris, sobol")])
def test_bad_settings_name_option_and_allowed_values(method: str, n: int, option: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        sa.check_settings(method, n, 3)
    assert err.value.field == option and words in str(err.value)
    if method == "sobol" and n == 100:
        assert "64" in str(err.value) and "128" in str(err.value)


def test_unknown_outcome_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="choose from y") as err:
        sa.run(sa.ishigami_problem(), sa.IshigamiEvaluator(), "morris", 4, [1], outcomes=["z"])
    assert err.value.field == "--outcomes"


def test_subset_maps_like_the_full_problem() -> None:
    base = sa.ishigami_problem()
    sub = base.subset(["x3", "x1"])
    u = np.array([[0.25, 0.75]])
    assert sub.names == ("x3", "x1")
    np.testing.assert_allclose(sub.from_unit(u), base.from_unit(np.array([[0.75, 0.5, 0.25]]))[:, [2, 0]])


def test_page_figures_and_tables(tmp_path: Path, ishigami_sobol: sa.SensitivityResult) -> None:
    noisy = sa.run(sa.ishigami_problem(), sa.IshigamiEvaluator(noise_sd=1.0), "morris", 8, [1, 2], seed=4,
                   tornado_top=2)
    for res, sub in ((ishigami_sobol, "sobol"), (noisy, "morris")):
        folder = tmp_path / sub
        folder.mkdir()
        man = sp.write_all(res, folder)
        assert man["method"] == sub and man["replicates"] == len(res.seeds)
        figs = sorted(p.name for p in (folder / "figures").iterdir())
        want = {"sobol": ["mechanisms_y.png", "sobol_y.png", "tornado_y.png"],
                "morris": ["mechanisms_y.png", "morris_y.png", "tornado_y.png"]}[sub]
        assert figs == want
        page = (folder / "sensitivity.html").read_text(encoding="utf-8")
        for fig in figs:
            assert f"figures/{fig}" in page
        assert "Noise share" in page and "Replicates" in page
        ind = pd.read_csv(folder / "indices.csv")
        assert set(ind["parameter"]) == {"x1", "x2", "x3"}
        samples = pd.read_parquet(folder / "samples.parquet")
        assert len(samples) == len(res.design.values) and "unit:x1" in samples.columns
    assert "noise share" in (tmp_path / "morris" / "sensitivity.html").read_text(encoding="utf-8")

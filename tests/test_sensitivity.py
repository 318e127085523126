"""Sensitivity analysis: known answers (Ishigami, inputs nobody reads), the noise share, tables,
figures and the page."""
from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dyadsim.analysis import sensitivity as sa
from dyadsim.report import sensitivity_plots as sp
from dyadsim.core.errors import InputError
from dyadsim.config.grounding import calibration_notice


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


# ---------------------------------------------------------------------------------------------
# dyadsim through the same pipeline (small cohorts: 60 dyads, 12-month horizon).

SCENARIO = """\
name: sens_test
cohort: {dyads: 60, seed: 5, replicates: 1, horizon_months: 12}
links: {neg_affect_craving: {enabled: false}}
output: {trajectory_sample: 0}
"""
OUTCOME = "days_of_opioid_use_postpartum_year"
# cue_prob drives use; the switched-off link's strength and a MORE parameter (no MORE in the
# scenario) reach nobody, so their runs are bit-identical to the baseline's.
PARAMS3 = "use_cycle.cue_prob,links.neg_affect_craving.strength,programs.mindfulness_attention"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sens") / "sens_test.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_switched_off_link_and_unread_parameter_get_exact_zero(scenario_file: Path, tmp_path: Path) -> None:
    from dyadsim.run.evaluate import ScenarioSpec
    from dyadsim.run.evaluate import statistics_named
    from dyadsim.jobs.sensitivity import SweepEvaluator, dyadsim_problem

    problem = dyadsim_problem(PARAMS3.split(","), label="sens_test")
    assert problem.groups == ("use_cycle", "links", "programs")
    spec, stats = ScenarioSpec.load(scenario_file), statistics_named([OUTCOME])
    with SweepEvaluator(spec, tmp_path / "morris", 60, stats) as ev:
        res = sa.run(problem, ev, "morris", 4, [5], seed=5, tornado_top=0)
    with SweepEvaluator(spec, tmp_path / "sobol", 60, stats) as ev:
        sobol = sa.run(problem, ev, "sobol", 4, [5], seed=5, tornado_top=0).indices.set_index("parameter")
    ind = res.indices.set_index("parameter")
    assert len(res.design.values) == 4 * (3 + 1)
    for name in ("links.neg_affect_craving.strength", "programs.mindfulness_attention"):
        assert ind.loc[name, "mu_star"] == 0.0 and ind.loc[name, "sigma"] == 0.0, name
        assert sobol.loc[name, "ST"] == 0.0 and sobol.loc[name, "S1"] == 0.0, name
    assert ind.loc["use_cycle.cue_prob", "mu_star"] > 0.0 and sobol.loc["use_cycle.cue_prob", "ST"] > 0.0
    # Log-uniform priors are honoured: the unit design maps through each prior's inverse CDF.
    from dyadsim.config.space import SPACE

    np.testing.assert_allclose(res.design.values, SPACE.select(list(problem.names)).from_unit(res.design.unit))


def test_cli_morris_writes_page_and_resumes(scenario_file: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from dyadsim.run import store
    from dyadsim.cli import main

    out = tmp_path / "sens"
    args = ["sensitivity", str(scenario_file), "--method", "morris", "--params", PARAMS3, "--outcomes", OUTCOME,
            "--n", "3", "--replicates", "2", "--dyads", "60", "--seed", "5", "--out", str(out), "--no-progress"]
    real = store.write_atomic

    def interrupted(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "write_atomic", interrupted)  # stopped after the sweep, before writing
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 130, res.output
    work = tmp_path / "sens.partial"
    assert work.is_dir() and not out.exists() and "resume" in res.output
    monkeypatch.setattr(store, "write_atomic", real)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "resuming" in res.output and not work.exists()
    for f in ("sensitivity.html", "indices.csv", "noise.csv", "mechanisms.csv", "tornado.csv", "manifest.json",
              f"figures/morris_{OUTCOME}.png", f"figures/tornado_{OUTCOME}.png", f"figures/mechanisms_{OUTCOME}.png"):
        assert (out / f).is_file(), f
    noise = pd.read_csv(out / "noise.csv")
    assert noise["replicates"].iloc[0] == 2 and 0.0 <= noise["noise_share"].iloc[0]
    page = (out / "sensitivity.html").read_text(encoding="utf-8")
    assert "Noise share" in page and "60" in page and html.escape(calibration_notice("posterior")) in page
    assert calibration_notice("posterior") in res.output
    # Same command again: the folder holds a finished run, so --force is asked for.
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "--force" in res.output


def test_cli_refuses_bad_options_with_allowed_values(scenario_file: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dyadsim.cli import main

    base = ["sensitivity", str(scenario_file), "--out", str(tmp_path / "x"), "--dyads", "60", "--no-progress"]
    cases = [(["--method", "sobol", "--params", PARAMS3, "--n", "100"], "--n", "power of 2"),
             (["--outcomes", "nonsense"], "--outcomes", OUTCOME),
             (["--params", "no.such_param"], "--params", "no.such_param"),
             (["--from-morris", str(tmp_path)], "--top", "--from-morris")]
    for extra, option, words in cases:
        res = CliRunner().invoke(main, base + extra)
        assert res.exit_code == 2, (extra, res.output)
        assert option in res.output and words in res.output, (extra, res.output)
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()


def test_work_folder_of_another_request_or_not_ours_is_kept(tmp_path: Path) -> None:
    from dyadsim.jobs.sensitivity import prepare_work

    out = tmp_path / "o"
    work, resumed = prepare_work(out, {"a": 1}, force=False)
    assert not resumed and work == tmp_path / "o.partial"
    assert prepare_work(out, {"a": 1}, force=False) == (work, True)
    with pytest.raises(InputError) as err:
        prepare_work(out, {"a": 2}, force=False)
    assert err.value.field == "--force"
    assert prepare_work(out, {"a": 2}, force=True) == (work, False)
    foreign = tmp_path / "p.partial"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep")
    with pytest.raises(InputError):
        prepare_work(tmp_path / "p", {"a": 1}, force=True)
    assert (foreign / "mine.txt").read_text() == "keep"


def test_docs_python_example_runs() -> None:
    """The Python block of docs/sensitivity.md runs as written and prints the analytic values."""
    import contextlib
    import io
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "sensitivity.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for code in blocks:
            exec(compile(code, "docs/sensitivity.md", "exec"), {})
    assert "0.4424" in buf.getvalue() and "0.2437" in buf.getvalue()


def test_posterior_problem_varies_calibrated_parameters_over_the_ensemble() -> None:
    """``--parameters posterior``: a calibrated parameter maps the unit interval onto the ensemble's
    marginal (its quantiles, inside its range, centred on its median); the others keep their priors."""
    import numpy as np

    from dyadsim.config.posterior import load_ensemble
    from dyadsim.jobs.sensitivity import dyadsim_problem

    ens, _ = load_ensemble()
    names = ["moud.stop_hazard", "nows.signs_per_exposure", "use_cycle.cue_prob"]
    assert names[0] in ens.columns and names[2] not in ens.columns
    post, point = dyadsim_problem(names, source="posterior"), dyadsim_problem(names)
    u = np.column_stack([np.linspace(0, 1, 11)] * 3)
    xp, x0 = post.from_unit(u), point.from_unit(u)
    for j, n in enumerate(names[:2]):
        np.testing.assert_allclose(xp[:, j], np.quantile(ens[n].to_numpy(), u[:, j]))
        assert post.defaults[j] == ens[n].median() and xp[0, j] >= x0[0, j] and xp[-1, j] <= x0[-1, j]
    np.testing.assert_array_equal(xp[:, 2], x0[:, 2])
    assert post.defaults[2] == point.defaults[2]


def test_contrast_analyses_the_paired_difference(tmp_path: Path) -> None:
    """``--contrast``: MORE minus usual care. Usual care reads no MORE parameter, so on common
    random numbers its outcomes are the same for every set and the contrast's Morris indices of
    MORE's parameters equal those of MORE's own level exactly; a contrast of a scenario with a
    renamed copy of itself has every index exactly zero."""
    from dyadsim.jobs.sensitivity import run_sensitivity

    ex = Path(__file__).resolve().parent.parent / "examples"
    kw = dict(method="morris", params="programs.more_fade_days,programs.more_session_gain",
              outcomes=["days_of_opioid_use_postpartum_year"], n=2, replicates=2, dyads=60, seed=3,
              echo=lambda m: None, progress=False)
    level = run_sensitivity(ex / "more_prenatal.yaml", tmp_path / "level", **kw)
    diff = run_sensitivity(ex / "more_prenatal.yaml", tmp_path / "diff", contrast=ex / "usual_care.yaml", **kw)
    a = level.indices.set_index("parameter")["mu_star"]
    b = diff.indices.set_index("parameter")["mu_star"]
    assert (a > 0).all()
    np.testing.assert_allclose(b.loc[a.index].to_numpy(), a.to_numpy(), rtol=1e-9, atol=1e-9)
    copy = tmp_path / "more_copy.yaml"
    copy.write_text((ex / "more_prenatal.yaml").read_text().replace("name: more_prenatal", "name: more_copy"))
    same = run_sensitivity(ex / "more_prenatal.yaml", tmp_path / "same", contrast=copy, **kw)
    assert (same.indices["mu_star"] == 0).all()
    with pytest.raises(InputError, match="another scenario"):
        run_sensitivity(ex / "more_prenatal.yaml", tmp_path / "x", contrast=ex / "more_prenatal.yaml", **kw)

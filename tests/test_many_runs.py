"""The parameter space, the evaluation function and the executors with resumable sweeps."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dyadsim.core.errors import InputError
from dyadsim.run.evaluate import SUMMARY_STATISTICS, ScenarioSpec, Statistic, evaluate, statistics_named
from dyadsim.model.graph import GRAPH
from dyadsim.model.params import ParamSet
from dyadsim.core.registry import PARAMS
from dyadsim.config.space import KINDS, SPACE
from dyadsim.run.sweep import DaskExecutor, InProcessExecutor, run_sweep

ROOT = Path(__file__).resolve().parent.parent
DYADS = 80
STATS = statistics_named("days_of_opioid_use_postpartum_year,attachment_secure,cps_report")


@pytest.fixture(scope="module")
def usual_care() -> ScenarioSpec:
    spec = ScenarioSpec.load(ROOT / "examples" / "usual_care.yaml")
    return spec


# --- the space -------------------------------------------------------------------------------

def test_space_names_every_parameter_and_edge_once() -> None:
    assert set(SPACE.names) == set(ParamSet.names())
    assert len(SPACE) == len(PARAMS) + 2 * len(GRAPH.edges)
    assert {d.kind for d in SPACE} == set(KINDS)


def test_settings_and_switches_are_never_drawn() -> None:
    for d in SPACE:
        if d.kind in ("setting", "switch"):
            assert d.prior == "fixed", d.name
    assert SPACE["programs.more_sessions"].kind == "setting"  # a scenario field controls it
    assert SPACE["links.craving_use.enabled"].kind == "switch"
    assert SPACE["individual.sd_stress"].kind == "population"


def test_selections() -> None:
    assumed = SPACE.select("assumed")
    assert all(d.assumed and d.drawn for d in assumed)
    assert len(assumed) > 300
    uc = SPACE.select("module:use_cycle")
    assert uc.groups == ["use_cycle"] * len(uc) and len(uc) == sum(d.drawn for d in SPACE if d.group == "use_cycle")
    pick = SPACE.select("use_cycle.cue_prob, links.craving_use.strength")
    assert pick.names == ["use_cycle.cue_prob", "links.craving_use.strength"]
    for bad, words in (("module:nope", "unknown module"), ("nope.x", "unknown parameter"), ("kind:x", "unknown kind"),
                       ("a.b,a.b", "unknown"), ("", "give all")):
        with pytest.raises(InputError, match=words):
            SPACE.select(bad)


def test_from_unit_honours_the_prior_scale() -> None:
    logu = next(d for d in SPACE if d.prior == "loguniform")
    mid = logu.from_unit(np.array([0.0, 0.5, 1.0]))
    assert mid[0] == logu.low and mid[2] == logu.high
    assert mid[1] == pytest.approx(np.sqrt(logu.low * logu.high), rel=1e-12)  # geometric midpoint
    uni = next(d for d in SPACE if d.prior == "uniform")
    assert uni.from_unit(np.array([0.5]))[0] == pytest.approx((uni.low + uni.high) / 2)
    sub = SPACE.select("assumed")
    x = sub.sample_prior(50, seed=3)
    assert np.array_equal(x, sub.sample_prior(50, seed=3))
    lo = np.array([d.low for d in sub])
    hi = np.array([d.high for d in sub])
    assert ((x >= lo) & (x <= hi)).all()
    assert np.allclose(sub.from_unit(sub.to_unit(x)), x, rtol=1e-12, atol=1e-12)
    ParamSet().from_vector(x[0], sub.names)  # every draw passes validation


def test_salib_problem_from_the_registry() -> None:
    sub = SPACE.select("module:reward")
    prob = sub.salib_problem()
    assert prob["num_vars"] == len(sub) and prob["names"] == sub.names
    for d, b, dist in zip(sub, prob["bounds"], prob["dists"]):
        assert b == [d.low, d.high] and dist == ("logunif" if d.prior == "loguniform" else "unif")
    assert sub.salib_problem(unit=True)["bounds"] == [[0.0, 1.0]] * len(sub)
    assert "groups" not in prob and sub.salib_problem(groups=True)["groups"] == ["reward"] * len(sub)


def test_paramset_vectors_round_trip() -> None:
    ps = ParamSet()
    x = ps.to_vector()
    assert np.array_equal(ps.from_vector(x).to_vector(), x)
    names = ["use_cycle.cue_prob", "links.craving_use.enabled", "links.craving_use.strength"]
    other = ps.from_vector([0.2, 0.0, 3.0], names)
    assert other.get("use_cycle.cue_prob") == 0.2 and other.get("links.craving_use.enabled") is False
    assert ps.get("links.craving_use.enabled") is True  # the original is unchanged
    with pytest.raises(ValueError, match="plausible range"):
        ps.with_values({"use_cycle.cue_prob": 99.0})


# --- the evaluation function -----------------------------------------------------------------

def test_statistic_names_derived_and_unknown_refused() -> None:
    names = [s.name for s in SUMMARY_STATISTICS]
    assert len(set(names)) == len(names)
    assert "days_of_opioid_use_postpartum_year" in names and "removal_from_mothers_care" in names
    with pytest.raises(InputError, match="unknown outcome 'nope'"):
        statistics_named("nope")


def test_evaluate_matches_a_run_and_is_tidy(usual_care: ScenarioSpec) -> None:
    from dyadsim.run.runner import run_scenario

    tab = evaluate([usual_care], None, seeds=[4, 5], dyads=DYADS, statistics=STATS)
    assert list(tab.columns) == ["scenario", "set", "seed", "statistic", "value", "sd", "n"]
    assert len(tab) == 2 * len(STATS)
    run = run_scenario(usual_care.scenario, usual_care.params, usual_care.population, dyads=DYADS, seed=4,
                       replicates=2, progress=False, tables=("aggregates",))
    reps = run.stats.replicate_summary()
    for st in STATS:
        got = tab[tab["statistic"] == st.name].sort_values("seed")["value"].to_numpy()
        want = reps[reps["outcome"] == st.label].sort_values("replicate")["mean"].to_numpy()
        assert np.allclose(got, want, rtol=1e-12, atol=0), st.name


def test_common_random_numbers_across_sets(usual_care: ScenarioSpec) -> None:
    """A switched-off edge's strength is read by no module: results are bit-identical; a live
    parameter changes them."""
    off = ScenarioSpec(usual_care.scenario, usual_care.params.with_values({"links.neg_affect_craving.enabled": False}),
                       usual_care.population)
    sets = pd.DataFrame({"links.neg_affect_craving.strength": [0.5, 2.0]})
    tab = evaluate([off], sets, seeds=[1], dyads=DYADS, statistics=STATS)
    a, b = (tab[tab["set"] == i]["value"].to_numpy() for i in (0, 1))
    assert np.array_equal(a, b)
    live = evaluate([usual_care], sets, seeds=[1], dyads=DYADS, statistics=STATS)
    assert not np.array_equal(*(live[live["set"] == i]["value"].to_numpy() for i in (0, 1)))


def test_evaluate_refuses_out_of_range_values(usual_care: ScenarioSpec) -> None:
    with pytest.raises(InputError, match="use_cycle.cue_prob"):
        evaluate([usual_care], pd.DataFrame({"use_cycle.cue_prob": [50.0]}), dyads=10, statistics=STATS)


# --- executors and sweeps --------------------------------------------------------------------

def _sets() -> pd.DataFrame:
    sub = SPACE.select("use_cycle.cue_prob,appraisal.appraisal_logit")
    return sub.frame(sub.sample_prior(5, seed=11))


def test_sweep_resumes_and_matches_evaluate(usual_care: ScenarioSpec, tmp_path: Path) -> None:
    sets = _sets()
    ref = evaluate([usual_care], sets, seeds=[1, 2], dyads=DYADS, statistics=STATS)
    calls = {"n": 0}

    def flaky(df: pd.DataFrame) -> pd.Series:
        calls["n"] += 1
        if calls["n"] == 5:  # fail once, in the third task: two tasks are already on disk
            raise KeyboardInterrupt
        return df["cps_report"].astype(float)

    stats = (*STATS, Statistic("cps_flaky", "CPS report (share)", flaky))
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tmp_path, [usual_care], sets, [1, 2], DYADS, statistics=stats, batch_size=1)
    assert len(list((tmp_path / "parts").glob("*.parquet"))) == 2
    runs: list[int] = []
    got = run_sweep(tmp_path, [usual_care], sets, [1, 2], DYADS, statistics=stats, batch_size=1,
                    progress=runs.append)
    assert sum(runs) == (5 - 2) * 2  # only the three missing tasks ran
    main = got[got["statistic"] != "cps_flaky"].reset_index(drop=True)
    pd.testing.assert_frame_equal(main, ref)
    flaky_vals = got[got["statistic"] == "cps_flaky"]["value"].to_numpy()
    assert np.array_equal(flaky_vals, ref[ref["statistic"] == "cps_report"]["value"].to_numpy())
    with pytest.raises(InputError, match="different sweep"):
        run_sweep(tmp_path, [usual_care], sets, [1, 3], DYADS, statistics=stats)


def test_executors_give_identical_results(usual_care: ScenarioSpec, tmp_path: Path) -> None:
    """In-process with two threads and a 2-worker Dask LocalCluster give the same table."""
    sets = _sets()
    more = ScenarioSpec.load(ROOT / "examples" / "more_prenatal.yaml")
    with InProcessExecutor(2) as ex:
        a = run_sweep(tmp_path / "a", [usual_care, more], sets, [1, 2], DYADS, statistics=STATS, executor=ex,
                      batch_size=2)
    with DaskExecutor(workers=2) as ex:
        assert ex.workers == 2
        b = run_sweep(tmp_path / "b", [usual_care, more], sets, [1, 2], DYADS, statistics=STATS, executor=ex,
                      batch_size=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * 5 * 2 * len(STATS)


def test_executor_options_checked() -> None:
    with pytest.raises(InputError, match="--workers"):
        InProcessExecutor(0)
    with pytest.raises(InputError, match="not both"):
        DaskExecutor(workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="could not reach"):
        with DaskExecutor(scheduler="tcp://127.0.0.1:9"):
            pass

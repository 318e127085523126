"""Property tests: for plausible parameter values (within their declared ranges) every run keeps
its states within their declared bounds and its records consistent."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dyadsim.engine import layout
from dyadsim.engine.run import simulate
from dyadsim.model.graph import GRAPH
from dyadsim.model.params import ParamSet
from dyadsim.core.registry import PARAMS, STATES
from dyadsim.run.results import outcomes_table
from dyadsim.run.streaming import summarize
from dyadsim.model.states import S

N = 30
EDGES = {e.id: e for e in GRAPH.edges}

DRAWN_PARAMS = ("use_cycle.use_logit", "use_cycle.cue_prob", "overdose.od_logit", "overdose.fatal_share",
                "cps.removal_hazard", "tau.infant_distress", "tau.craving", "tau.tolerance", "infant.shock",
                "attachment.disorganized_logit", "moud.stop_hazard", "nows.severity_spread")
DRAWN_EDGES = ("craving_use", "tolerance_overdose", "inconsistency_attachment", "use_tolerance",
               "parenting_synchrony", "attentional_bias_cue_reactivity", "tolerance_withdrawal",
               "neg_affect_allostasis", "use_sensitization")
SWITCHED_EDGES = ("moud_craving", "synchrony_pos_affect", "nows_separation", "parenting_infant_distress")
# use_habit is drawn over its whole declared range (habit is clipped to its bound [0, 1]).
HABIT_MAX_OK = 1.5

FLAG_STATES = [k for k, v in STATES.items() if v.unit == "flag"]


def _range(name: str) -> tuple[float, float]:
    par = PARAMS[name]
    return par.low, par.high


@st.composite
def param_sets(draw):
    values = {k: draw(st.floats(*_range(k), allow_nan=False, allow_infinity=False)) for k in DRAWN_PARAMS}
    strengths = {e: draw(st.floats(*EDGES[e].range, allow_nan=False, allow_infinity=False)) for e in DRAWN_EDGES}
    lo, _ = EDGES["use_habit"].range
    strengths["use_habit"] = draw(st.floats(lo, HABIT_MAX_OK))
    enabled = {e: draw(st.booleans()) for e in SWITCHED_EDGES}
    rooming = draw(st.sampled_from([0.0, 1.0]))  # a flag parameter: 0 NICU, 1 rooming-in
    seed = draw(st.integers(0, 10_000))
    return values, strengths, enabled, rooming, seed


def _build(values, strengths, enabled, rooming) -> ParamSet:
    ps = ParamSet()
    for k, v in values.items():
        ps.set(k, v)
    for e, v in strengths.items():
        ps.set(f"links.{e}.strength", v)
    for e, on in enabled.items():
        ps.set(f"links.{e}.enabled", on)
    ps.set("nows.rooming_in", rooming)
    return ps


def check_run(out) -> None:
    f = out.final.astype(np.float64)
    assert np.isfinite(f).all(), "non-finite final state"
    for k, (name, spec) in enumerate(STATES.items()):  # every state, the modules' own included
        v = f[:, k]
        assert v.min() >= spec.low and v.max() <= spec.high, \
            f"state {name} in [{v.min()}, {v.max()}] outside declared [{spec.low}, {spec.high}]"
    index = {name: k for k, name in enumerate(STATES)}
    for name in FLAG_STATES:
        v = f[:, index[name]]
        assert np.isin(v, (0.0, 1.0)).all(), f"flag {name} takes values {np.unique(v)}"

    mon, preg, M, Q = out.monthly, out.pregnancy, layout.M, layout.Q
    assert (mon >= 0).all() and (preg >= 0).all(), "negative monthly or trimester sum"
    assert (mon[:, M["use_days"]] <= mon[:, M["alive_days"]]).all(), "use days > days alive in a month"
    assert (mon[:, M["alive_days"]] <= mon[:, M["followed_days"]]).all()
    assert (mon[:, M["followed_days"]] <= 31).all(), "a postpartum month longer than 31 days"
    assert (mon[:, M["moud_days"]] <= mon[:, M["alive_days"]]).all()
    assert (mon[:, M["separated_days"]] <= mon[:, M["followed_days"]]).all()
    assert (preg[:, Q["use_days"]] <= preg[:, Q["alive_days"]]).all()
    assert (preg[:, Q["alive_days"]] <= preg[:, Q["followed_days"]]).all()
    # Every death is one fatal overdose, recorded once.
    fatal = mon[:, M["od_fatal"]].sum(axis=1) + preg[:, Q["od_fatal"]].sum(axis=1)
    assert np.array_equal(fatal, 1.0 - f[:, S.alive]), "fatal overdoses do not match deaths"
    assert np.array_equal(f[:, S.death_day] >= 0, f[:, S.alive] == 0)
    # Follow-up: every dyad reached the horizon, so the 12-month class exists.
    reached = f[:, S.pp_day] >= 364
    assert reached.all()
    assert np.isin(f[reached, S.attachment], (0.0, 1.0, 2.0, 3.0)).all(), np.unique(f[:, S.attachment])
    assert (mon[:, M["followed_days"]].sum(axis=1) == out.horizon_days).all()

    summary = summarize(outcomes_table(out))
    shares = summary[summary["outcome"].str.contains("share")]
    assert len(shares) >= 8
    m = shares["mean"].dropna()
    assert ((m >= 0.0) & (m <= 1.0)).all(), shares[["outcome", "mean"]]
    ok = summary.dropna(subset=["mean", "lower", "upper"])
    assert ((ok["lower"] <= ok["mean"] + 1e-12) & (ok["mean"] <= ok["upper"] + 1e-12)).all()


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(param_sets())
@example(({k: _range(k)[1] for k in DRAWN_PARAMS}, {**{e: EDGES[e].range[1] for e in DRAWN_EDGES},
                                                    "use_habit": HABIT_MAX_OK},
          {e: True for e in SWITCHED_EDGES}, 1.0, 1))
@example(({k: _range(k)[0] for k in DRAWN_PARAMS}, {**{e: EDGES[e].range[0] for e in DRAWN_EDGES},
                                                    "use_habit": EDGES["use_habit"].range[0]},
          {e: False for e in SWITCHED_EDGES}, 0.0, 2))
def test_states_and_records_stay_valid(drawn):
    values, strengths, enabled, rooming, seed = drawn
    out = simulate(_build(values, strengths, enabled, rooming), N, seed, threads=1)
    check_run(out)


def test_default_cohort_is_valid(cohort):
    check_run(cohort)


@pytest.mark.parametrize("corrupt", ["state_bound", "flag", "use_gt_alive", "attachment", "negative"])
def test_checks_detect_violations(cohort, corrupt):
    """The invariant checker itself can fail: corrupt one value of a valid run."""
    final, mon = cohort.final.copy(), cohort.monthly.copy()
    if corrupt == "state_bound":
        final[0, S.craving] = 1.5
    elif corrupt == "flag":
        final[0, S.nicu] = 0.5
    elif corrupt == "use_gt_alive":
        mon[0, layout.M["use_days"], 3] = mon[0, layout.M["alive_days"], 3] + 1
    elif corrupt == "attachment":
        final[0, S.attachment] = -1.0
    else:
        mon[1, layout.M["craving"], 0] = -1.0
    with pytest.raises(AssertionError):
        check_run(dataclasses.replace(cohort, final=final, monthly=mon))


def test_habit_within_bounds_at_max_use_habit_strength():
    ps = ParamSet()
    ps.set("links.use_habit.strength", EDGES["use_habit"].range[1])  # 1.5, within the declared range
    ps.set("tau.habit", PARAMS["tau.habit"].low)
    ps.set("use_cycle.use_logit", PARAMS["use_cycle.use_logit"].high)
    out = simulate(ps, 100, 3, threads=1)
    h = out.final[:, S.habit]
    assert h.max() <= STATES["habit"].high, f"habit reaches {h.max()}"

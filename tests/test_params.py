"""ParamSet: get/set by dotted name, validation, and the declarations in the registry."""
from __future__ import annotations

import math

import numpy as np
import pytest

from dyadsim.model.graph import EDGE_IDS, GRAPH, L
from dyadsim.model.params import ParamSet
from dyadsim.core.registry import PARAMS, PARAM_MODULE, STATES, STREAMS

EDGES = {e.id: e for e in GRAPH.edges}


def test_module_param_round_trip():
    ps = ParamSet()
    name = "use_cycle.cue_prob"
    assert ps.get(name) == PARAMS[name].default
    ps.set(name, 0.5)
    assert ps.get(name) == 0.5
    assert ps.vector()[list(PARAMS).index(name)] == 0.5
    ps.set("tau.craving", 7)  # ints are numbers too, stored as float
    assert ps.get("tau.craving") == 7.0 and isinstance(ps.get("tau.craving"), float)


def test_param_bounds_are_inclusive():
    ps = ParamSet()
    par = PARAMS["use_cycle.cue_prob"]
    ps.set("use_cycle.cue_prob", par.low)
    assert ps.get("use_cycle.cue_prob") == par.low
    ps.set("use_cycle.cue_prob", par.high)
    assert ps.get("use_cycle.cue_prob") == par.high


def test_link_strength_round_trip():
    ps = ParamSet()
    name = "links.neg_affect_craving.strength"
    assert ps.get(name) == EDGES["neg_affect_craving"].strength
    ps.set(name, 1.25)
    assert ps.get(name) == 1.25
    w = ps.link_vector()
    assert w[L.neg_affect_craving] == EDGES["neg_affect_craving"].sign * 1.25


def test_link_strength_sign_comes_from_graph():
    ps = ParamSet()
    ps.set("links.moud_craving.strength", 3.0)  # a negative arrow
    assert EDGES["moud_craving"].sign == -1
    assert ps.link_vector()[L.moud_craving] == -3.0


def test_link_enabled_round_trip():
    ps = ParamSet()
    name = "links.craving_use.enabled"
    assert ps.get(name) is True
    ps.set(name, False)
    assert ps.get(name) is False
    w = ps.link_vector()
    assert w[L.craving_use] == 0.0
    assert ps.get("links.craving_use.strength") == EDGES["craving_use"].strength  # strength kept
    ps.set(name, True)
    assert ps.link_vector()[L.craving_use] == EDGES["craving_use"].strength


def test_zero_strength_allowed_outside_range():
    ps = ParamSet()
    assert EDGES["craving_use"].range[0] > 0
    ps.set("links.craving_use.strength", 0.0)
    assert ps.link_vector()[L.craving_use] == 0.0


@pytest.mark.parametrize("name", [
    "no_such.param", "use_cycle.no_such", "cue_prob", "links.no_such_edge.strength",
    "links.craving_use.weight", "links.craving_use", "links.craving_use.strength.x", "",
])
def test_unknown_name_raises_key_error(name):
    ps = ParamSet()
    with pytest.raises(KeyError):
        ps.set(name, 0.5)
    with pytest.raises(KeyError):
        ps.get(name)


@pytest.mark.parametrize("name,value", [
    ("use_cycle.cue_prob", 0.81),
    ("use_cycle.cue_prob", 0.0),
    ("use_cycle.cue_prob", -1.0),
    ("tau.craving", 0.5),
    ("pregnancy.horizon_days", 2000.0),
    ("links.craving_use.strength", 11.0),
    ("links.craving_use.strength", 1.0),   # below range and not 0
    ("links.craving_use.strength", -6.0),  # signs come from the graph, not from the value
])
def test_out_of_range_raises_value_error(name, value):
    ps = ParamSet()
    before = ps.get(name)
    with pytest.raises(ValueError, match="range"):
        ps.set(name, value)
    assert ps.get(name) == before, "a rejected value must leave the parameter unchanged"


@pytest.mark.parametrize("name,value", [
    ("use_cycle.cue_prob", "0.5"),
    ("use_cycle.cue_prob", None),
    ("use_cycle.cue_prob", True),
    ("use_cycle.cue_prob", [0.5]),
    ("use_cycle.cue_prob", float("nan")),
    ("use_cycle.cue_prob", float("inf")),
    ("links.craving_use.strength", "3"),
    ("links.craving_use.strength", False),
    ("links.craving_use.strength", float("nan")),
    ("links.craving_use.enabled", 1),
    ("links.craving_use.enabled", "false"),
    ("links.craving_use.enabled", 0.0),
])
def test_wrong_type_raises_value_error(name, value):
    ps = ParamSet()
    before = ps.get(name)
    with pytest.raises(ValueError):
        ps.set(name, value)
    assert ps.get(name) == before


def test_copy_is_independent():
    a = ParamSet()
    b = a.copy()
    b.set("use_cycle.cue_prob", 0.6)
    b.set("links.craving_use.strength", 3.0)
    b.set("links.moud_use.enabled", False)
    assert a.get("use_cycle.cue_prob") == PARAMS["use_cycle.cue_prob"].default
    assert a.get("links.craving_use.strength") == EDGES["craving_use"].strength
    assert a.get("links.moud_use.enabled") is True
    assert b.get("use_cycle.cue_prob") == 0.6


def test_names_cover_everything_and_are_gettable():
    ps = ParamSet()
    names = ps.names()
    assert len(names) == len(set(names)) == len(PARAMS) + 2 * len(EDGE_IDS)
    d = ps.as_dict()
    assert set(d) == set(names)
    for n in names:
        assert ps.get(n) == d[n]


def test_as_dict_round_trip():
    a = ParamSet()
    a.set("appraisal.reappraisal_skill", 1.5)
    a.set("links.synchrony_bonding.strength", 4.0)
    a.set("links.use_parenting.enabled", False)
    b = ParamSet()
    for k, v in a.as_dict().items():
        b.set(k, v)
    assert np.array_equal(a.vector(), b.vector())
    assert np.array_equal(a.link_vector(), b.link_vector())


def test_vector_order_is_registry_order():
    ps = ParamSet()
    v = ps.vector()
    assert v.shape == (len(PARAMS),) and v.dtype == np.float64
    assert np.array_equal(v, np.array([p.default for p in PARAMS.values()]))


@pytest.mark.parametrize("name", list(PARAMS))
def test_registered_param_is_documented(name):
    par = PARAMS[name]
    assert par.unit.strip(), f"{name}: empty unit"
    assert par.source.strip(), f"{name}: empty source"
    assert math.isfinite(par.low) and math.isfinite(par.high) and math.isfinite(par.default)
    assert par.low <= par.default <= par.high, f"{name}: default {par.default} outside [{par.low}, {par.high}]"
    assert name.split(".", 1)[0] == PARAM_MODULE[name]


def test_registry_declares_states_and_streams():
    assert STATES and STREAMS
    for name, st in STATES.items():
        assert st.low <= st.high, name
        assert st.unit.strip(), name
    assert len(set(STREAMS)) == len(STREAMS)


def test_every_parameter_and_edge_has_a_prior_within_its_range():
    """Every parameter and edge strength carries a prior for calibration and sensitivity
    analysis: settings are fixed, log-uniform only on positive ranges, and a rate or time constant
    spanning a factor of 4 or more is placed on the log scale."""
    from dyadsim.model.graph import GRAPH
    from dyadsim.core.registry import PARAMS, PRIORS

    for name, p in PARAMS.items():
        assert p.prior_dist in PRIORS[1:], name
        if p.kind != "mechanism":
            assert p.prior_dist == "fixed", name
        if p.prior_dist == "loguniform":
            assert p.low > 0 and p.scale == "log", name
    assert PARAMS["tau.craving"].prior_dist == "loguniform"
    assert PARAMS["programs.more_on"].prior_dist == "fixed"
    for e in GRAPH.edges:
        assert e.prior_dist in PRIORS[1:], e.id
        if e.range[0] == e.range[1]:
            assert e.prior_dist == "fixed", e.id

"""The Python API refuses bad input with the same :class:`~dyadsim.core.errors.InputError` as the
command line (naming the scenario, the field and what is allowed), never a raw TypeError or
AttributeError, and writes nothing when it refuses."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import dyadsim
from dyadsim.core.errors import InputError

BAD_VALUES = [None, "x", [], {}, {"a": 1}, math.nan, math.inf, -1, 1e308, True, object(), b"x", (1, 2), 2**70]
KEYS = ["dyads", "seed", "replicates", "horizon_months", "name", "description", "use_cycle.cue_prob",
        "links.craving_use.strength", "links.craving_use.enabled", "links.nope.strength", "nope.nope", "a..b",
        "x.", "nope"]


def _outcome(call: Any) -> str:
    try:
        call()
    except InputError as exc:
        assert str(exc).strip(), "an InputError must say what is wrong"
        return "refused"
    return "accepted"


@pytest.mark.parametrize("key", KEYS)
def test_a_bad_override_is_refused_by_name(key: str) -> None:
    """Every bad value of every kind of override is refused by InputError or accepted as valid."""
    for value in BAD_VALUES:
        _outcome(lambda: dyadsim.Sim("usual_care", **{key: value}))


def test_impossible_overrides_are_refused_not_accepted() -> None:
    for key, value in [("dyads", "x"), ("dyads", -1), ("replicates", math.nan), ("use_cycle.cue_prob", 2.0),
                       ("use_cycle.cue_prob", "x"), ("links.nope.strength", 1.0), ("nope.nope", 1.0),
                       ("nope", 1), ("links.craving_use.strength", [])]:
        assert _outcome(lambda: dyadsim.Sim("usual_care", **{key: value})) == "refused", (key, value)


@pytest.mark.parametrize("params", [5, "x", [1], {1: 2}, {None: 1}, {("a", "b"): 1}])
def test_params_that_are_not_a_mapping_of_names_are_refused(params: Any) -> None:
    with pytest.raises(InputError, match="params|override's name"):
        dyadsim.Sim("usual_care", params=params)


@pytest.mark.parametrize("scenario", [None, 3, ["usual_care"], {"name": 3}, {"cohort": 5}, "no_such_example",
                                      "/dev/zero", {"parameters": 5}, {"links": {"x": 5}}])
def test_a_bad_scenario_is_refused(scenario: Any) -> None:
    with pytest.raises(InputError):
        dyadsim.Sim(scenario)


@pytest.mark.parametrize("scenarios", [[], ["usual_care"], "usual_care", 5, None, {"a": "usual_care"}])
def test_compare_needs_a_list_of_scenarios(scenarios: Any) -> None:
    with pytest.raises(InputError, match="scenarios"):
        dyadsim.compare(scenarios, dyads=10, replicates=1)


@pytest.fixture(scope="module")
def sim() -> dyadsim.Sim:
    with pytest.warns(Warning):  # one replicate: the summary warns that its intervals are unreliable
        return dyadsim.Sim("usual_care", dyads=10, replicates=1).run()


@pytest.mark.parametrize("table, by", [("bogus", None), (5, None), ("monthly", "bogus"), ("outcomes", 5),
                                       ("outcomes", ["a", "b"]), ("aggregates", [1]), ("summary", "moud_type")])
def test_to_df_refuses_an_unknown_table_or_column(sim: dyadsim.Sim, table: Any, by: Any) -> None:
    with pytest.raises(InputError):
        sim.to_df(table, by)


@pytest.mark.parametrize("folder", [5, None, "", b"x"])
def test_save_refuses_a_folder_that_is_not_a_path(sim: dyadsim.Sim, folder: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="folder"):
        sim.save(folder)
    assert list(tmp_path.iterdir()) == []

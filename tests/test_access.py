"""What each module reads and writes, read from its code: one writer per state, the init order
derived from it, and the day's lags as the update order makes them."""
from __future__ import annotations

import numpy as np
import pytest

from dyadsim.engine import access
from dyadsim.model import modules
from dyadsim.model.modules import UPDATE_ORDER, programs, supports
from dyadsim.model.states import S


def test_every_state_a_module_writes_has_one_writer():
    owners = access.owners()
    assert owners["support_eff"] == "programs" and owners["returns_od_pp"] == "overdose"
    assert owners["craving"] == "use_cycle" and owners["attachment"] == "attachment"
    assert "aces" not in owners  # a baseline draw: written by the population, never by a module


def test_a_second_writer_is_refused_naming_both(monkeypatch):
    real = supports.init

    def init(s: np.ndarray, p: np.ndarray) -> None:
        real(s, p)
        s[S.more_skill] = 0.0  # a state of programs

    monkeypatch.setattr(supports, "init", init)
    access.access.cache_clear()
    try:
        with pytest.raises(access.OwnershipError, match="'more_skill' is written by modules 'supports' and 'programs'"):
            access.owners()
    finally:
        monkeypatch.undo()
        access.access.cache_clear()


def test_init_runs_after_the_modules_whose_states_it_reads():
    order = [access.module_name(m) for m in access.init_order()]
    assert sorted(order) == sorted(access.module_name(m) for m in UPDATE_ORDER)
    owners = access.owners()
    names = access.STATE_NAMES
    for a in access.access():
        for i in a.init_reads:
            writer = owners.get(names[i])
            if writer is not None and writer != a.module:
                assert order.index(writer) < order.index(a.module), (a.module, names[i], writer)
    # The dependency that matters: initial use depends on MOUD at enrolment.
    assert order.index("moud") < order.index("use_cycle")


def test_lags_follow_the_update_order():
    lag = access.reads_by_lag()
    assert lag[("use_cycle", "neg_affect")] == 0      # appraisal steps before the use cycle: today's affect
    assert lag[("stressors", "infant_distress")] == 1  # infant steps after stressors: yesterday's distress
    assert lag[("programs", "neg_affect")] == 1        # programmes step first of the mother's modules
    assert all(v in (0, 1) for v in lag.values()) and 0 < sum(lag.values()) < len(lag)


def test_step_reads_and_writes_are_exact_for_a_known_module():
    a = next(x for x in access.access() if x.module == "programs")
    names = {access.STATE_NAMES[i] for i in a.step_writes}
    assert {"more_skill", "abc_sessions", "lever_attention", "support_eff"} <= names
    assert "support" in {access.STATE_NAMES[i] for i in a.step_reads}
    assert S.more_skill in a.step_reads  # its own state: yesterday's skill, read before today's is written
    assert S.lever_attention not in a.step_reads  # written fresh each day, never read by programs
    assert modules.UPDATE_ORDER.index(programs) < modules.UPDATE_ORDER.index(modules.use_cycle)

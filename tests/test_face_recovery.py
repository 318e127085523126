"""Face validity of recovery (structure item 1): heavy-use episodes end, by several routes.

Quit attempts that can succeed (stimulus control and abstinence self-efficacy), treatment sought at
a quit attempt, agonist blockade on MOUD, spells of enforced abstinence and turning points. Each
test states its pattern with a tolerance in standard errors (fixed seeds; paired comparisons on
the same dyads and random numbers where the dyads are the same).
"""
from __future__ import annotations

import numpy as np

from dyadsim.core.registry import PARAMS
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, initial_states
from dyadsim.model.graph import GRAPH
from dyadsim.model.modules import state_names
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.model.states import S
from test_face_structure import _m, _run as _structure_run

N, SEED = 4000, 41
QUIT = ("resolve_use", "resolve_cue", "self_efficacy_use", "resolve_moud_initiation")
"""Edges of the quit attempt and of what follows it."""


def _run(items: tuple[tuple[str, object], ...] = (), horizon: float = 731.0) -> SimOutput:
    return _structure_run(items, horizon, N, SEED)


def _remission(o: SimOutput) -> tuple[float, int]:
    """Share of mothers using on >= 20 days of month 12 with a month of <= 1 use day in months
    13-24 (alive through the month), and how many such mothers there are."""
    use, alive = _m(o, "use_days"), _m(o, "alive_days")
    heavy = (alive[:, 11] >= 28) & (use[:, 11] >= 20)
    remit = ((use[:, 12:24] <= 1) & (alive[:, 12:24] >= 28)).any(axis=1)
    return float(remit[heavy].mean()), int(heavy.sum())


def _corner(end: int) -> tuple[tuple[str, object], ...]:
    """The quit edges and the blockade at one end (0: low, 1: high) of their declared ranges."""
    ranges = {e.id: e.range for e in GRAPH.edges}
    items: list[tuple[str, object]] = [(f"links.{e}.strength", ranges[e][end]) for e in QUIT]
    prm = PARAMS["moud.blockade"]
    items.append(("moud.blockade", (prm.low, prm.high)[end]))
    return tuple(items)


def test_heavy_episodes_end_at_a_rate_the_quit_mechanisms_set() -> None:
    """Remission of month-12 heavy users in the next year is higher with the quit mechanisms at the
    top of their ranges than at the bottom (> 4 SE of the difference of two proportions), and the
    default lies between: the targets can pin the rate down."""
    lo, n_lo = _remission(_run(_corner(0)))
    hi, n_hi = _remission(_run(_corner(1)))
    mid, _ = _remission(_run())
    se = np.sqrt(lo * (1 - lo) / n_lo + hi * (1 - hi) / n_hi)
    assert hi - lo > 4 * se, (lo, hi, se)
    assert lo < mid < hi, (lo, mid, hi)


def test_a_spell_of_enforced_abstinence_ends_in_a_return_to_use() -> None:
    """Spells come only to mothers who use, and the first use after one meets lost tolerance: with
    spells (default) there are more returns to use after birth than without (paired, > 3 SE)."""
    on, off = _run(), _run((("abstinence_spells.spell_hazard", 0.0),))
    col = state_names().index("spells")
    spells = on.final[:, col]
    assert spells.sum() > 0
    never_used = (_m(on, "use_days").sum(axis=1) == 0) & (on.pregnancy[:, layout.Q["use_days"], :].sum(axis=1) == 0)
    never_used &= on.final[:, S.intoxication] < 1e-6
    assert spells[never_used].sum() == 0
    d = on.final[:, S.returns_pp].astype(np.float64) - off.final[:, S.returns_pp]
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > 3 * se, (d.mean(), se)


def test_turning_points_make_use_less_persistent() -> None:
    """With turning points (default) a mother's use in month 36 follows her use in month 12 less
    closely than without (correlation lower by > 3 SE, Fisher z, the two runs counted as
    independent, which overstates the SE of a paired difference)."""
    def r(o: SimOutput) -> tuple[float, int]:
        use, alive = _m(o, "use_days"), _m(o, "alive_days")
        ok = (alive[:, 11] >= 28) & (alive[:, 35] >= 28)
        return float(np.corrcoef(use[ok, 11], use[ok, 35])[0, 1]), int(ok.sum())
    r_on, n_on = r(_run(horizon=1096.0))
    r_off, n_off = r(_run((("turning_points.turning_point_hazard", 0.0),), horizon=1096.0))
    se = np.sqrt(1.0 / (n_on - 3) + 1.0 / (n_off - 3))
    assert np.arctanh(r_off) - np.arctanh(r_on) > 3 * se, (r_on, r_off)


def test_agonist_blockade_lowers_the_reward_dysregulation_of_use_on_moud() -> None:
    """Among mothers on MOUD at the end of follow-up who used in its last month, reward
    dysregulation is lower with the blockade (default) than without it (paired, > 3 SE)."""
    on, off = _run(), _run((("moud.blockade", 0.0),))
    sel = (on.final[:, S.on_moud] > 0.5) & (off.final[:, S.on_moud] > 0.5) & (_m(on, "use_days")[:, 23] > 0)
    assert sel.sum() > 30
    d = on.final[sel, S.reward_dysregulation].astype(np.float64) - off.final[sel, S.reward_dysregulation]
    se = d.std(ddof=1) / np.sqrt(sel.sum())
    assert d.mean() < -3 * se, (d.mean(), se)


def test_each_mother_settles_alone() -> None:
    """The settling at enrolment runs each dyad to its own tolerance: a dyad starts the same alone
    as in a block of 2,000 (bit for bit)."""
    ps = ParamSet()
    p, w = ps.vector(), ps.link_vector()
    block = initial_states(load_spec(), p, 5, np.arange(2000, dtype=np.uint64), w)
    alone = initial_states(load_spec(), p, 5, np.arange(700, 710, dtype=np.uint64), w)
    assert np.array_equal(alone, block[:, 700:710], equal_nan=True)


def test_compiled_settling_agrees_with_numpy() -> None:
    """The engines settle with compiled rounds once few dyads are left; the result agrees with the
    NumPy rounds to within 1e-13 in every state."""
    from dyadsim.engine.run import baseline_states, compiled_settle, draw_baseline, init_order, n_states
    from dyadsim.model.modules import settle

    ps = ParamSet()
    p, w = ps.vector(), ps.link_vector()
    ids = np.arange(3000, dtype=np.uint64)
    base = draw_baseline(load_spec(), 9, ids)
    runs = []
    for compiled in (None, compiled_settle()):
        s = baseline_states(base, n_states())
        for m in init_order():
            m.init(s, p)
        settle(s, p, w, compiled)
        runs.append(s)
    assert np.nanmax(np.abs(runs[0] - runs[1])) < 1e-13

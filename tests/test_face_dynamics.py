"""Face validity of the use cycle, overdose, MOUD, programme dose and the seeds' loops.

Each test states a behaviour the model must show (see the module docstrings for the mechanisms
and sources) and compares runs on the same dyads and random numbers (common random numbers), so
differences are paired. Tolerances are in standard errors of the paired or binomial estimate;
seeds are fixed.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, simulate
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.model.states import S

N = 3000
SEED = 11


_SPECS: dict[str, dict] = {}
"""Population overrides by their repr (the cache key), kept as given: keys stay integers."""


@lru_cache(maxsize=None)
def _run(items: tuple[tuple[str, object], ...] = (), n: int = N, spec_key: str = "") -> SimOutput:
    ps = ParamSet()
    for k, v in items:
        ps.set(k, v)
    spec = load_spec(overrides=_SPECS[spec_key]) if spec_key else None
    return simulate(ps, n, SEED, spec)


def run(n: int = N, spec: dict | None = None, **kw: object) -> SimOutput:
    """Cached simulation with parameters given as ``module__name=value`` (dots as double underscores)."""
    items = tuple(sorted((k.replace("__", "."), v) for k, v in kw.items()))
    spec_key = repr(spec) if spec else ""
    _SPECS[spec_key] = spec
    return _run(items, n, spec_key)


def pp_use_year(o: SimOutput) -> np.ndarray:
    return o.monthly[:, layout.M["use_days"], :12].sum(axis=1).astype(np.float64)


def paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def od_count(o: SimOutput, lo: int, hi: int) -> float:
    return float((o.monthly[:, layout.M["od_nonfatal"], lo:hi] + o.monthly[:, layout.M["od_fatal"], lo:hi]).sum())


# --- 1. relapse and recovery both recur -------------------------------------------------------

def test_heavy_use_is_not_absorbing() -> None:
    """Of mothers using on >= 70% of days in postpartum month 12, fewer than 60% still do at
    month 24 (the earlier model kept 88%); and some mothers abstinent at month 12 use at 24."""
    o = run(pregnancy__horizon_days=1096.0)
    use, alive = o.monthly[:, layout.M["use_days"]], o.monthly[:, layout.M["alive_days"]]
    ok = (alive[:, 11] > 25) & (alive[:, 23] > 25)
    r12, r24 = use[:, 11] / np.maximum(alive[:, 11], 1), use[:, 23] / np.maximum(alive[:, 23], 1)
    heavy = ok & (r12 >= 0.7)
    assert heavy.sum() >= 40
    still = float(np.mean(r24[heavy] >= 0.7))
    se = np.sqrt(0.6 * 0.4 / heavy.sum())
    assert still < 0.6 - 2 * se, f"{still:.3f} of {heavy.sum()} heavy users still heavy a year later"
    abst = ok & (r12 == 0)
    back = float(np.mean(r24[abst] > 0))
    assert back > 0.05, f"only {back:.3f} of abstinent mothers use again"


def test_lapses_relapses_and_remissions_are_distinguished() -> None:
    """Lapses outnumber relapses (not every lapse becomes a sustained episode); episodes end in
    remission; a mother can go through several cycles."""
    f = run(pregnancy__horizon_days=1096.0).final
    lapses, relapses, remissions = f[:, S.lapses], f[:, S.relapses], f[:, S.remissions]
    assert lapses.sum() > 2.0 * relapses.sum() > 0
    assert remissions.sum() > 0
    cycles = np.mean((relapses >= 2) & (remissions >= 2))
    assert cycles > 0.05, f"only {cycles:.3f} of mothers relapse and recover twice in 36 months"
    assert np.all(relapses <= lapses)


def test_lapses_follow_craving_and_stress_is_neither_necessary_nor_sufficient() -> None:
    """Day-level pattern of Preston et al. 2018, within each mother as their ecological momentary
    assessment measured it: craving is higher on lapse days; negative affect contributes (lapses
    are likelier on days in the top decile of her own negative affect than on the average day,
    > 3 SE); but it is not necessary (at least 20% of lapses fall on days with negative affect
    below her own median) nor sufficient (at least 95% of top-decile days pass without a lapse).
    A lapse here is a use day after at least 7 days without use, read from daily trajectories.
    (Between mothers, heavier use brings more negative affect: the anti-reward of the withdrawal
    stage, so a population median would mix the two.)"""
    n = 2000
    o = simulate(ParamSet(), n, SEED, trajectory_sample=n)
    names = layout.TRAJECTORY_STATES
    tr = o.trajectories
    valid = ~np.isnan(tr[:, :, names.index("use_today")])
    use = np.nan_to_num(tr[:, :, names.index("use_today")]) > 0.5
    na, craving = tr[:, :, names.index("neg_affect")], tr[:, :, names.index("craving")]
    lapse = np.zeros_like(use)
    dry = np.zeros(n)
    for t in range(use.shape[1]):
        lapse[:, t] = use[:, t] & (dry >= 7)
        dry = np.where(use[:, t], 0, dry + 1)
    assert lapse.sum() > 500
    assert craving[lapse].mean() > np.nanmean(craving[valid]) + 0.1
    own = np.where(valid, na, np.nan)
    top = valid & (na > np.nanpercentile(own, 90, axis=1)[:, None])
    p_top, p_all = lapse[top].mean(), lapse[valid].mean()
    assert p_top - p_all > 3 * np.sqrt(p_top * (1 - p_top) / top.sum())
    assert np.mean((na < np.nanmedian(own, axis=1)[:, None])[lapse]) > 0.2
    assert 1.0 - p_top > 0.95


def test_lapses_arise_from_cues_and_habit_without_negative_affect() -> None:
    """With the negative affect -> craving edge off, lapses still occur (at least a quarter of the
    usual number, and at least 30% of mothers use after birth; the earlier model fell from 62 to
    0.4 postpartum use days); with the cue and habit paths off, lapses fall (> 4 SE, paired)."""
    base = run().final[:, S.lapses]
    no_na = run(**{"links.neg_affect_craving.enabled": False})
    assert no_na.final[:, S.lapses].mean() > 0.25 * base.mean()
    assert np.mean(pp_use_year(no_na) > 0) > 0.3
    no_cue = run(**{"links.cue_reactivity_craving.enabled": False, "links.habit_use.enabled": False}).final
    d, se = paired(base, no_cue[:, S.lapses])
    assert d > 4 * se


def test_quit_attempts_follow_motivation() -> None:
    """Quit attempts rise with motivation: knocking out the motivation -> quit edge removes the
    effect of motivation, so fewer attempts are made (paired, > 4 SE)."""
    base = run().final[:, S.quit_attempts]
    ko = run(**{"links.motivation_quit.enabled": False}).final[:, S.quit_attempts]
    d, se = paired(base, ko)
    assert d > 4 * se


# --- 2. postpartum vulnerability and overdose through lost tolerance --------------------------

def test_postpartum_is_more_vulnerable_than_late_pregnancy() -> None:
    """The share of days with use in postpartum months 1-6 exceeds the third trimester's, and the
    overdose rate 7-12 months after birth exceeds the third trimester's (Schiff et al. 2018)."""
    o = run()
    q, m = o.pregnancy, o.monthly
    t3_days = q[:, layout.Q["alive_days"], 2].sum()
    t3_use = q[:, layout.Q["use_days"], 2].sum() / t3_days
    pp_use = m[:, layout.M["use_days"], :6].sum() / m[:, layout.M["alive_days"], :6].sum()
    assert pp_use > 2 * t3_use
    t3_od = (q[:, layout.Q["od_nonfatal"], 2] + q[:, layout.Q["od_fatal"], 2]).sum() / t3_days
    pp_od = od_count(o, 6, 12) / m[:, layout.M["alive_days"], 6:12].sum()
    assert pp_od > t3_od


def _overdose_after(days_abstinent: int, on_moud_before: bool, stop_moud: bool, od_history: float,
                    n: int = 20000) -> float:
    """Share of mock dyads who overdose on a day of use after ``days_abstinent`` abstinent days
    (tolerance evolves by the use-cycle step; same uniforms for every condition)."""
    from dyadsim.engine.run import initial_states
    from dyadsim.model.modules import overdose, use_cycle
    from dyadsim.core.registry import STREAMS
    ps = ParamSet()
    ps.set("overdose.potency_log_or", 2.0)  # a potent supply: enough events to compare
    p, w = ps.vector(), ps.link_vector()
    s = initial_states(load_spec(), p, SEED, np.arange(n, dtype=np.uint64))
    s[S.tolerance] = 0.95  # after a run of daily use
    s[S.on_moud] = 1.0 * on_moud_before
    s[S.alive] = 1.0
    no_use = np.ones((len(STREAMS), n))  # uniforms of 1: no cue, no use, no quit attempt
    if stop_moud:
        s[S.on_moud] = 0.0
    for day in range(days_abstinent):
        use_cycle.step(s, p, w, no_use, float(day))
    s[S.use_today] = 1.0
    s[S.od_history] = od_history
    u = np.random.default_rng(3).random((len(STREAMS), n))
    overdose.step(s, p, w, u, float(days_abstinent))
    return float(np.mean(s[S.od_today] + s[S.fatal_today]))


def test_overdose_risk_rises_after_abstinence_moud_stop_and_prior_overdose() -> None:
    """On a day of use, overdose is likelier after 30 abstinent days than after none (tolerance
    lost), after stopping MOUD 30 days before than while on it, and after a recent non-fatal
    overdose; each difference > 4 binomial SE on the same uniforms."""
    n = 20000

    def check(hi: float, lo: float) -> None:
        se = np.sqrt(hi * (1 - hi) / n + lo * (1 - lo) / n)
        assert hi - lo > 4 * se, f"{hi:.4f} vs {lo:.4f}"

    check(_overdose_after(30, False, False, 0.0), _overdose_after(0, False, False, 0.0))
    check(_overdose_after(30, True, True, 0.0), _overdose_after(30, True, False, 0.0))
    check(_overdose_after(0, False, False, 1.0), _overdose_after(0, False, False, 0.0))


def test_returns_to_use_are_a_real_share_of_postpartum_use() -> None:
    """Returns to use after a long abstinence are common enough to matter: more than 3% of
    postpartum use days (the earlier model: 2.5%), and they carry overdoses."""
    o = run(pregnancy__horizon_days=730.0)
    f = o.final
    share = f[:, S.returns_pp].sum() / o.monthly[:, layout.M["use_days"], :].sum()
    assert share > 0.03
    assert f[:, S.returns_od_pp].sum() > 0


def test_supply_potency_raises_overdose_and_prior_overdose_counts() -> None:
    """A more potent supply gives more overdoses on the same use days; the memory of a non-fatal
    overdose raises the risk of the next (edge knocked out: fewer overdoses)."""
    base = od_count(run(), 0, 12)
    potent = od_count(run(overdose__potency_log_or=1.5), 0, 12)
    assert potent > 2.0 * base
    f = run(overdose__potency_log_or=1.5).final
    f_ko = run(overdose__potency_log_or=1.5, **{"links.od_history_overdose.enabled": False}).final
    assert f[:, S.od_history].max() > 0 and f_ko[:, S.od_history].max() > 0
    assert potent > od_count(run(overdose__potency_log_or=1.5, **{"links.od_history_overdose.enabled": False}), 0, 12)


# --- 3. MOUD initiation, re-entry and retention -----------------------------------------------

def test_mothers_without_planned_moud_can_start_and_crisis_raises_entry() -> None:
    """Mothers with no planned MOUD enter treatment during follow-up; after a crisis (overdose or
    CPS report) entry is likelier: knocking out the crisis edge lowers the number of episodes."""
    f = run().final
    unplanned = f[:, S.moud_type] < 0.5
    started = float(np.mean(f[unplanned, S.moud_started] > 0.5))
    assert started > 0.2, f"only {started:.3f} of mothers without a plan ever start MOUD"
    ko = run(**{"links.crisis_moud_initiation.enabled": False}).final
    d, se = paired(f[:, S.moud_episodes], ko[:, S.moud_episodes])
    assert d > 3 * se
    # Episodes are recorded in order: a start before its stop, the second after the first stop.
    ep1s, ep1e, ep2s = f[:, S.moud_ep1_start], f[:, S.moud_ep1_stop], f[:, S.moud_ep2_start]
    has2 = ep2s >= 0
    assert has2.any() and np.all(ep1e[has2] >= ep1s[has2]) and np.all(ep2s[has2] >= ep1e[has2])


def test_discontinuation_hazard_is_not_constant() -> None:
    """Among mothers on MOUD at delivery, the discontinuation hazard in postpartum months 1-3 is
    higher than in months 10-12 (time on treatment and time since birth), by > 3 SE on log scale."""
    f = run().final
    on = f[:, S.moud_at_delivery] > 0.5
    stop = f[on, S.moud_stop_pp_day]
    early = np.sum((stop >= 0) & (stop < 91))
    at_risk_late = np.sum((stop < 0) | (stop >= 274))
    late = np.sum((stop >= 274) & (stop < 365))
    h_early = early / (on.sum() * 91)
    h_late = late / (at_risk_late * 91)
    log_ratio = np.log(h_early / h_late)
    assert log_ratio > 3 * np.sqrt(1 / early + 1 / late)


def test_longer_prenatal_treatment_improves_retention_through_mechanism() -> None:
    """With the direct prenatal-retention edge switched off, mothers starting MOUD in week 6
    still continue 12 months postpartum more often than those starting in week 30 (> 2 SE)."""
    cont = {}
    for wk in (6.0, 30.0):
        spec = {"moud_start_week": {"min": wk, "max": wk}, "moud_type": {"probs": {1: 0.5, 2: 0.5}},
                "enrol_week": {"min": 4.0, "max": 5.9}}
        f = run(n=6000, spec=spec, **{"links.prenatal_moud_retention.enabled": False}).final
        on = f[:, S.moud_at_delivery] > 0.5
        stop = f[on, S.moud_stop_pp_day]
        cont[wk] = (float(np.mean((stop < 0) | (stop >= 365))), int(on.sum()))
    (p6, n6), (p30, n30) = cont[6.0], cont[30.0]
    se = np.sqrt(p6 * (1 - p6) / n6 + p30 * (1 - p30) / n30)
    assert p6 - p30 > 2 * se, f"week 6: {p6:.3f}, week 30: {p30:.3f}"


# --- 4. dose-response for programmes ----------------------------------------------------------

def _more(sessions: float) -> SimOutput:
    return run(programs__more_on=1.0, programs__more_start_week=16.0, programs__more_sessions=sessions)


@pytest.mark.slow
def test_more_effect_rises_with_sessions_and_saturates() -> None:
    """Skill at the end and the cut in postpartum use rise with sessions offered (1 < 4 < 8), and
    one session gives less than half the effect of eight."""
    base = pp_use_year(run())
    effects, skills = [], []
    for k in (1.0, 4.0, 8.0):
        o = _more(k)
        d, se = paired(base, pp_use_year(o))
        effects.append((d, se))
        skills.append(float(o.final[:, S.more_skill].mean()))
    assert skills[0] < skills[1] < skills[2]
    (d1, s1), (d4, s4), (d8, s8) = effects
    assert d4 - d1 > 2 * np.hypot(s1, s4) and d8 > d1
    assert d1 < 0.5 * d8, f"one session {d1:.2f} days vs eight {d8:.2f}"


def test_practice_depends_on_sessions_attended() -> None:
    """Home-practice days grow with sessions attended; each dyad's first session day is recorded."""
    one, eight = _more(1.0).final, _more(8.0).final
    assert eight[:, S.more_practice_days].mean() > 1.5 * one[:, S.more_practice_days].mean()
    offered = eight[:, S.more_start_day] >= 0
    assert offered.mean() > 0.9
    assert np.all(eight[~offered, S.more_sessions] == 0)


# --- 6. Figure 2 and the seeds' loops ---------------------------------------------------------

def test_positive_affect_lowers_use_and_bonding_promotes_recovery() -> None:
    """Knocking out positive affect -> craving, or bonding -> motivation, raises postpartum use
    (paired, > 4 SE); knocking out parenting stress -> craving lowers it."""
    base = pp_use_year(run())
    for edge in ("pos_affect_craving", "bonding_motivation"):
        d, se = paired(pp_use_year(run(**{f"links.{edge}.enabled": False})), base)
        assert d > 4 * se, edge
    d, se = paired(pp_use_year(run(**{"links.parenting_stress_craving.enabled": False})), base)
    assert d < -2 * se


def test_network_that_still_uses_brings_cues() -> None:
    """Mothers whose network still uses meet more cues and use more, through the network edge."""
    base = pp_use_year(run())
    ko = pp_use_year(run(**{"links.network_cue.enabled": False}))
    d, se = paired(base, ko)
    assert d > 3 * se


# --- 7. individual differences ----------------------------------------------------------------

@pytest.mark.parametrize("name, sign", [("stress", 1), ("reward", 1), ("self_control", -1)])
def test_random_effects_shift_mechanisms_in_their_direction(name: str, sign: int) -> None:
    """Mothers one SD above the mean on a random effect (z > 1) use more (stress reactivity,
    reward sensitivity) or less (self-control capacity) than those one SD below (> 2 SE), and the
    gap narrows when that effect's SD is set to 0 (same dyads and draws)."""
    u = pp_use_year(run())
    z = run().final[:, getattr(S, f"re_{name}")].astype(np.float64)
    hi, lo = u[z > 1], u[z < -1]
    se = np.hypot(hi.std(ddof=1) / np.sqrt(len(hi)), lo.std(ddof=1) / np.sqrt(len(lo)))
    gap = sign * (hi.mean() - lo.mean())
    assert gap > 2 * se
    u0 = pp_use_year(run(**{f"individual__sd_{name}": 0.0}))
    assert gap > sign * (u0[z > 1].mean() - u0[z < -1].mean())

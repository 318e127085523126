"""Face validity of the structure: equilibrium at enrolment, affect that returns to its set point,
heavy use that does not build up, quit attempts that can fail, lapses without negative affect,
stressors that end.

Each test states the pattern with a tolerance in standard errors (fixed seeds; paired comparisons
on the same dyads and random numbers where two runs are compared).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, initial_states, simulate
from dyadsim.model.modules import settle, stressors
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.model.states import S

N, SEED = 4000, 31


@lru_cache(maxsize=None)
def _run(items: tuple[tuple[str, object], ...] = (), horizon: float = 1096.0, n: int = N,
         seed: int = SEED) -> SimOutput:
    ps = ParamSet()
    ps.set("pregnancy.horizon_days", horizon)
    for k, v in items:
        ps.set(k, v)
    return simulate(ps, n, seed, threads=2)


def _m(o: SimOutput, name: str) -> np.ndarray:
    return o.monthly[:, layout.M[name]].astype(np.float64)


def test_slow_states_start_at_their_equilibrium() -> None:
    """After the settling at enrolment one more round of every module's targets moves no slow state
    (the fixed point is reached, so nothing drifts from a guess in the first months)."""
    ps = ParamSet()
    p, w = ps.vector(), ps.link_vector()
    s = initial_states(load_spec(), p, 5, np.arange(500, dtype=np.uint64), w)
    before = s.copy()
    settle(s, p, w)
    for name in ("neg_affect", "depression", "allostatic_load", "stress_sensitization", "reward_dysregulation",
                 "craving_tonic", "self_control", "motivation", "tolerance", "withdrawal", "habit", "stressors"):
        k = getattr(S, name)
        assert np.max(np.abs(s[k] - before[k])) < 1e-6, name


def test_negative_affect_returns_toward_its_set_point_after_the_postpartum_peak() -> None:
    """Negative affect rises after birth and then falls back as sleep loss and open CPS cases pass:
    month 36 below month 3 by more than 3 SE of the paired difference (the earlier model stayed at
    its postpartum level to month 36)."""
    o = _run()
    na = _m(o, "neg_affect") / np.maximum(_m(o, "alive_days"), 1.0)
    alive = (_m(o, "alive_days")[:, 2] > 25) & (_m(o, "alive_days")[:, 35] > 25)
    d = na[alive, 35] - na[alive, 2]
    se = d.std(ddof=1) / np.sqrt(alive.sum())
    assert d.mean() < -3 * se, f"month 36 - month 3 = {d.mean():.4f} (SE {se:.4f})"


def test_heavy_use_does_not_build_up_after_the_first_year() -> None:
    """The share of mothers using on >= 20 days of a month is not higher at month 36 than at month
    12 by more than 2 SE of the difference (the earlier model rose from 4.7% to 5.2%)."""
    o = _run()
    use, alive = _m(o, "use_days"), _m(o, "alive_days")
    shares, ses = [], []
    for month in (11, 35):
        full = alive[:, month] >= 28
        q = float(np.mean(use[full, month] >= 20))
        shares.append(q)
        ses.append(q * (1 - q) / full.sum())
    assert shares[1] - shares[0] < 2 * np.sqrt(sum(ses)), shares


def test_a_lapse_undermines_resolve_so_quit_attempts_can_fail() -> None:
    """With the abstinence violation effect off, resolve survives lapses and suppresses use; with it
    on (default) mothers use more on the same random numbers (paired, > 3 SE over the first year)."""
    on = _run(horizon=366.0)
    off = _run((("use_cycle.lapse_resolve_loss", 0.0),), horizon=366.0)
    d = _m(on, "use_days")[:, :12].sum(axis=1) - _m(off, "use_days")[:, :12].sum(axis=1)
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > 3 * se, f"{d.mean():.3f} (SE {se:.3f})"


def test_a_mother_lapses_without_negative_affect_too() -> None:
    """Turning the neg_affect_craving edge off keeps more than a quarter of postpartum-year use
    (Preston et al. 2018: negative mood contributes, is not necessary): off - 0.25 x on, per dyad,
    above 0 by more than 3 SE."""
    on = _run(horizon=366.0)
    off = _run((("links.neg_affect_craving.enabled", False),), horizon=366.0)
    a = _m(off, "use_days")[:, :12].sum(axis=1)
    b = _m(on, "use_days")[:, :12].sum(axis=1)
    d = a - 0.25 * b
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > 3 * se, f"off {a.mean():.2f} vs on {b.mean():.2f} use days"


def test_untreated_pregnancies_carry_use_that_reaches_the_infant() -> None:
    """Mothers with no MOUD day in pregnancy use in pregnancy (more than 5 days on average, the
    earlier model 3.4), and their use raises NOWS signs in their infants: turning ``use_nows`` off
    lowers the share with signs by more than 3 SE (paired)."""
    o = _run(horizon=366.0)
    off = _run((("links.use_nows.enabled", False),), horizon=366.0)
    untreated = (o.final[:, S.prenatal_moud_days] == 0) & (o.final[:, S.born] > 0.5)
    use = o.pregnancy[:, layout.Q["use_days"], :].sum(axis=1)[untreated]
    assert use.mean() - 5.0 > 3 * use.std(ddof=1) / np.sqrt(untreated.sum()), use.mean()
    d = o.final[untreated, S.nows_birth_severity] - off.final[untreated, S.nows_birth_severity]
    se = d.std(ddof=1) / np.sqrt(untreated.sum())
    assert d.mean() > 3 * se, f"{d.mean():.4f} (SE {se:.4f})"


def test_stressors_from_a_cps_report_end_with_the_case_and_night_waking_settles() -> None:
    """A report long closed adds no stress (its case is over); sleep loss from a distressed infant
    falls as the infant grows."""
    ps = ParamSet()
    p, w = ps.vector(), ps.link_vector()
    s = initial_states(load_spec(), p, 5, np.arange(3, dtype=np.uint64), w)
    s[:, 1] = s[:, 0]
    s[:, 2] = s[:, 0]  # one mother three times: only the report differs
    s[S.born], s[S.alive], s[S.prior_cps], s[S.separated] = 1.0, 1.0, 0.0, 0.0
    s[S.pp_day] = np.array([400.0, 400.0, 400.0])
    s[S.cps_report] = np.array([0.0, 1.0, 1.0])
    s[S.cps_report_day] = np.array([-1.0, 10.0, 390.0])
    prob = stressors._event_probability(s, p, w)
    assert prob[1] == prob[0] and prob[2] > prob[0]
    s[S.infant_distress] = 0.5
    s[S.pp_day] = np.array([10.0, 200.0, 700.0])
    sleep = stressors._sleep_target(s, p, w)
    assert sleep[0] > sleep[1] > sleep[2] >= 0.0

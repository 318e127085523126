"""Face validity of MOUD dose adequacy, NOWS by the mother's medicine, and the overdose and crisis
pathways around MOUD.

Expected behaviour (each test states it, with tolerances in standard errors, fixed seeds):

* dose adequacy rises over days to weeks after entry, more slowly on methadone than on
  buprenorphine, and falls at delivery (the dose out of step with the postpartum body);
* dose adequacy and titration stay in [0, 1] for parameter values anywhere in their ranges;
* among treated infants, NOWS treatment and hospital stay are longer after methadone than after
  buprenorphine exposure, by a ratio well above 1 (MOTHER trial, Jones et al. 2010: 9.9 vs 4.1 d,
  stay 17.5 vs 10.0 d), because the medicine shapes the withdrawal course;
* turning off ``od_history_overdose``, ``moud_overdose`` or ``crisis_moud_initiation`` changes the
  output each is meant to move by more than 3 SE (paired, same seed and cohort).
"""
from __future__ import annotations

import numpy as np
import pytest

from dyadsim.engine import layout
from dyadsim.engine.run import initial_states, simulate
from dyadsim.model import modules  # noqa: F401
from dyadsim.model.modules import moud
from dyadsim.model.params import ParamSet
from dyadsim.model.population import load_spec
from dyadsim.core.registry import PARAMS, STREAMS
from dyadsim.model.states import S

SEED = 29


def _cohort(n: int, ps: ParamSet, seed: int = 3):
    p = ps.vector()
    s = initial_states(load_spec(), p, seed, np.arange(n, dtype=np.uint64))
    return s, p, ps.link_vector()


def _enter_on_day0(s: np.ndarray, medicine: float) -> None:
    """Everyone off MOUD and pregnant, with a planned start now (a new episode tomorrow)."""
    s[S.on_moud] = 0.0
    s[S.moud_started] = 0.0
    s[S.moud_titration] = 0.0
    s[S.moud_dose_adequacy] = 0.0
    s[S.moud_type] = medicine
    s[S.moud_start_week] = 0.0
    s[S.pregnant] = 1.0
    s[S.born] = 0.0
    s[S.pp_day] = -1.0


def test_titration_after_entry_methadone_slower() -> None:
    n = 50
    ps = ParamSet()
    s, p, w = _cohort(n, ps)
    u = np.full((len(STREAMS), n), 0.999999)  # no discontinuation, no unplanned entry
    meth, bup = s.copy(), s.copy()
    _enter_on_day0(meth, 1.0)
    _enter_on_day0(bup, 2.0)
    traj = {1.0: [], 2.0: []}
    for t in range(60):
        for code, x in ((1.0, meth), (2.0, bup)):
            moud.step(x, p, w, u, float(t))
            traj[code].append(x[S.moud_dose_adequacy].copy())
    m, b = np.array(traj[1.0]), np.array(traj[2.0])
    assert (meth[S.on_moud] == 1).all() and (bup[S.on_moud] == 1).all()
    assert np.allclose(m[0], ps.get("moud.induction_methadone")) and np.allclose(b[0], ps.get("moud.induction_buprenorphine"))
    assert (np.diff(m, axis=0) > 0).all() and (np.diff(b, axis=0) > 0).all()  # titration rises every day
    assert (b[6] > 0.9).all() and (m[6] < 0.6).all()                          # days versus weeks
    assert (m[59] > 0.9).all()
    # Delivery: the dose is out of step, adequacy falls, more for methadone, then recovers.
    before = meth[S.moud_dose_adequacy].copy(), bup[S.moud_dose_adequacy].copy()
    for x in (meth, bup):
        x[S.pregnant], x[S.born], x[S.pp_day] = 0.0, 1.0, 0.0
        moud.step(x, p, w, u, 60.0)
    drop_m = before[0] - meth[S.moud_dose_adequacy]
    drop_b = before[1] - bup[S.moud_dose_adequacy]
    assert (drop_m > 0.2).all() and (drop_b > 0.1).all() and (drop_m > drop_b).all()
    for t in range(61, 150):
        for x in (meth, bup):
            x[S.pp_day] = t - 60.0
            moud.step(x, p, w, u, float(t))
    assert (meth[S.moud_dose_adequacy] > 0.9).all()


@pytest.mark.parametrize("corner", range(6))
def test_adequacy_bounded_for_any_parameters(corner: int) -> None:
    """Random parameter values inside the declared ranges (the module's own and the mismatch time
    constant), random entries, stops and births: titration and adequacy never leave [0, 1]."""
    rng = np.random.default_rng(100 + corner)
    ps = ParamSet()
    for name, prm in PARAMS.items():
        if name.startswith("moud."):
            v = prm.low if corner == 0 else prm.high if corner == 1 else rng.uniform(prm.low, prm.high)
            ps.set(name, float(v))
    n = 300
    s, p, w = _cohort(n, ps, seed=corner)
    s[S.moud_type] = rng.integers(0, 3, n).astype(float)
    s[S.moud_start_week] = rng.uniform(0, 40, n)
    birth = rng.integers(20, 200, n)
    for t in range(400):
        s[S.pregnant] = 1.0 * (t < birth)
        s[S.born] = 1.0 - s[S.pregnant]
        s[S.pp_day] = np.where(t >= birth, t - birth, -1.0)
        s[S.crisis] = rng.random(n) * (rng.random(n) < 0.05)
        u = rng.random((len(STREAMS), n)) ** 3  # many entries and stops
        moud.step(s, p, w, u, float(t))
        for k in (S.moud_titration, S.moud_dose_adequacy, S.dose_mismatch):
            assert (s[k] >= 0.0).all() and (s[k] <= 1.0).all(), (k, t)
        assert (s[S.moud_dose_adequacy] <= s[S.moud_titration] + 1e-15).all()
        assert (s[S.moud_titration][s[S.on_moud] == 0] == 0).all()


def _usual_care(n: int, months: int = 36, **changes: float | bool):
    from dyadsim.config import examples
    from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population
    from dyadsim.core.yamlsafe import parse_yaml

    scn = parse_scenario(parse_yaml(examples.text("usual_care"), "usual_care"), "usual_care")
    ps, spec = scenario_params(scn, "usual_care"), scenario_population(scn, "usual_care")
    ps.set("pregnancy.horizon_days", min(months * 30.4375 + 1.0, 1096.0))
    for k, v in changes.items():
        ps.set(k, v)
    return simulate(ps, n, SEED, spec, threads=2)


def test_nows_treatment_and_stay_longer_after_methadone() -> None:
    o = _usual_care(6000, months=12)
    f = o.final
    on = f[:, S.moud_at_delivery] > 0.5
    treated = f[:, S.nows_pharm] > 0.5
    meth = on & treated & (f[:, S.moud_current_type] == 1.0)
    bup = on & treated & (f[:, S.moud_current_type] == 2.0)
    assert meth.sum() > 300 and bup.sum() > 200
    for k in (S.nows_pharm_days, S.los):
        a, b = f[meth, k].astype(float), f[bup, k].astype(float)
        ratio = a.mean() / b.mean()
        # Delta-method SE of the ratio of two independent means.
        se = ratio * np.sqrt(a.var(ddof=1) / len(a) / a.mean() ** 2 + b.var(ddof=1) / len(b) / b.mean() ** 2)
        assert ratio - 3 * se > 1.25, (k, ratio, se)
    # The course itself: later and longer after methadone.
    assert f[meth, S.nows_course_days].mean() > f[bup, S.nows_course_days].mean()


def _od_total(o) -> np.ndarray:
    q = layout.Q
    pp = o.monthly[:, layout.M["od_nonfatal"]].sum(axis=1) + o.monthly[:, layout.M["od_fatal"]].sum(axis=1)
    preg = o.pregnancy[:, q["od_nonfatal"], :].sum(axis=1) + o.pregnancy[:, q["od_fatal"], :].sum(axis=1)
    return (pp + preg).astype(np.float64)


N_EDGE = 20000  # overdoses are rare (about 4 per 100 mothers in 36 months): the paired contrast needs this many


@pytest.fixture(scope="module")
def base():
    return _usual_care(N_EDGE)


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    d = a - b
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def test_od_history_raises_repeat_overdose(base) -> None:
    """A recent non-fatal overdose raises the odds of the next (Caudarella et al. 2016): without
    the edge there are fewer overdoses after a first one."""
    off = _usual_care(N_EDGE, **{"links.od_history_overdose.enabled": False})
    rep_on, rep_off = np.maximum(_od_total(base) - 1, 0), np.maximum(_od_total(off) - 1, 0)
    d, se = _paired(rep_on, rep_off)
    assert d > 3 * se, (d, se)


def test_moud_protects_against_overdose(base) -> None:
    off = _usual_care(N_EDGE, **{"links.moud_overdose.enabled": False})
    d, se = _paired(_od_total(off), _od_total(base))
    assert d > 3 * se, (d, se)


def test_crisis_brings_treatment_entry(base) -> None:
    """An overdose or a CPS report is a contact with care that brings (re-)entry into MOUD."""
    off = _usual_care(N_EDGE, **{"links.crisis_moud_initiation.enabled": False})
    d, se = _paired(base.final[:, S.moud_episodes].astype(float), off.final[:, S.moud_episodes].astype(float))
    assert d > 3 * se, (d, se)

"""Face validity of the group programmes' dose and effects (modules/programs.py, model/programmes.py).

Each test states a behaviour the programmes must show and compares runs of the shipped example
scenarios on the same dyads and random numbers (common random numbers), so the differences are
paired per dyad; tolerances are in standard errors of the paired estimate; seeds are fixed.

1. Home practice builds and keeps the skill: MORE without home practice keeps well under the effect
   with it, the skill falls without continued practice, and each programme fades at its own rate.
2. MORE's effect fades once sessions and practice end (from its peak after the sessions).
3. Mindfulness-based parenting gains more with more ACEs (Gannon et al. 2017: KIPS rose faster
   with more ACEs).
4. Savoring carries MORE through positive affect (Garland et al. 2022: savoring mediated the effect
   on opioid misuse): more than mindfulness; more than reappraisal is still open (xfail, strict).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from dyadsim.config import examples
from dyadsim.config.scenario import parse_scenario, scenario_params, scenario_population
from dyadsim.core.yamlsafe import parse_yaml
from dyadsim.engine import layout
from dyadsim.engine.run import SimOutput, simulate
from dyadsim.model.states import S

N = 3000
SEED = 17

pytestmark = pytest.mark.slow


@lru_cache(maxsize=None)
def _run(name: str, items: tuple[tuple[str, float], ...] = (), n: int = N) -> SimOutput:
    scn = parse_scenario(parse_yaml(examples.text(name), name), name)
    ps, spec = scenario_params(scn, name), scenario_population(scn, name)
    ps.set("pregnancy.horizon_days", 366.0)
    for k, v in items:
        ps.set(k, v)
    return simulate(ps, n, SEED, spec)


def run(name: str, n: int = N, **changes: float) -> SimOutput:
    return _run(name, tuple(sorted(changes.items())), n)


def monthly(o: SimOutput, what: str) -> np.ndarray:
    return o.monthly[:, layout.M[what], :12].astype(np.float64)


def per_day(o: SimOutput, what: str) -> np.ndarray:
    return monthly(o, what) / np.maximum(monthly(o, "alive_days"), 1.0)


def mean_se(d: np.ndarray) -> tuple[float, float]:
    d = d[np.isfinite(d)]
    return float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))


def year_use(o: SimOutput) -> np.ndarray:
    return monthly(o, "use_days").sum(axis=1)


def test_home_practice_builds_and_keeps_the_skill() -> None:
    """MORE without home practice keeps at most about half its effect on first-year use days (the
    paired per-dyad combination (UC - no practice) - 0.6 (UC - MORE) lies > 3 SE below 0); the skill
    at 12 months is higher with continued practice; the supportive group's skill (contact) fades
    faster than ABC's, each at its own rate."""
    uc = year_use(run("usual_care"))
    full = year_use(run("more_prenatal"))
    none = year_use(run("more_prenatal", **{"programs.more_practice": 0.0, "programs.more_practice_after": 0.0}))
    effect, se = mean_se(uc - full)
    assert effect > 4 * se
    d, se = mean_se((uc - none) - 0.6 * (uc - full))
    assert d < -3 * se, f"effect without practice {np.mean(uc - none):.2f} vs with {effect:.2f} use days"
    kept = run("more_postpartum").final[:, S.more_skill]
    lapsed = run("more_postpartum", **{"programs.more_practice_after": 0.0}).final[:, S.more_skill]
    d, se = mean_se(kept - lapsed)
    assert d > 4 * se
    # Same start (2 weeks postpartum), same attendance: the group's support lapses, ABC's skill stays.
    sg = run("supportive_group", **{"programs.sg_start_postpartum": 1.0, "programs.sg_start_week": 2.0})
    abc = run("attachment_parenting")
    ratio_sg = sg.final[:, S.sg_skill].mean() / max(sg.final[:, S.sg_sessions].mean(), 1e-9)
    ratio_abc = abc.final[:, S.abc_skill].mean() / max(abc.final[:, S.abc_sessions].mean(), 1e-9)
    assert ratio_sg < 0.5 * ratio_abc


def test_more_effect_fades_after_sessions_and_practice_end() -> None:
    """MORE from 2 weeks postpartum without practice after the sessions: the skill is nearly gone
    by 12 months, and the cut in use days in months 10-12 is smaller than at its peak in months 4-6
    (paired per dyad, > 3 SE); with continued practice the late cut is larger. The slow states of
    use (habit, allostatic load, abstinence self-efficacy) carry part of the effect after the skill
    has gone, so the fade is gradual: 10,000 dyads resolve it."""
    n = 10000
    uc = monthly(run("usual_care", n), "use_days")
    lapsed = run("more_postpartum", n, **{"programs.more_practice_after": 0.0})
    assert lapsed.final[:, S.more_skill].mean() < 0.05
    cut = uc - monthly(lapsed, "use_days")
    d, se = mean_se(cut[:, 3:6].mean(axis=1) - cut[:, 9:12].mean(axis=1))
    assert d > 3 * se, f"cut months 4-6 minus months 10-12: {d:.3f} (SE {se:.3f})"
    kept = uc - monthly(run("more_postpartum", n), "use_days")
    d, se = mean_se(kept[:, 9:12].mean(axis=1) - cut[:, 9:12].mean(axis=1))
    assert d > 2 * se


def test_mindful_parenting_gains_more_with_more_aces() -> None:
    """The gain in parenting quality (months 3-6) from mindfulness-based parenting is larger for
    mothers with 4 or more ACEs than for those with fewer (difference of paired gains > 3 SE)."""
    uc, mb = run("usual_care"), run("mindful_parenting")
    gain = per_day(mb, "parenting")[:, 2:6].mean(axis=1) - per_day(uc, "parenting")[:, 2:6].mean(axis=1)
    alive = (monthly(uc, "alive_days")[:, 5] > 0) & (monthly(mb, "alive_days")[:, 5] > 0)
    aces = uc.final[:, S.aces]
    hi, lo = alive & (aces >= 4), alive & (aces < 4)
    d = gain[hi].mean() - gain[lo].mean()
    se = np.sqrt(gain[hi].var(ddof=1) / hi.sum() + gain[lo].var(ddof=1) / lo.sum())
    assert gain[alive].mean() > 0
    assert d > 3 * se, f"gain with >= 4 ACEs minus < 4 ACEs: {d:.4f} (SE {se:.4f})"


def _component_affect() -> dict[str, np.ndarray]:
    uc = run("usual_care")
    pa = {}
    for c in ("savoring", "mindfulness", "reappraisal"):
        o = run(f"more_{c}_only")
        cut, se = mean_se(year_use(uc) - year_use(o))
        assert cut > 4 * se, c
        pa[c] = np.nanmean(per_day(o, "pos_affect") - per_day(uc, "pos_affect"), axis=1)
    return pa


def test_savoring_raises_positive_affect_more_than_mindfulness() -> None:
    """Each MORE component alone lowers first-year use (> 4 SE); savoring alone raises positive
    affect (months 1-12) more than mindfulness alone (paired, > 3 SE)."""
    pa = _component_affect()
    d, se = mean_se(pa["savoring"] - pa["mindfulness"])
    assert d > 3 * se, f"savoring vs mindfulness: {d:.4f} (SE {se:.4f})"


@pytest.mark.xfail(strict=True, reason="at the default (assumed) strengths reappraisal's skill, which also "
                   "raises emotion-focused coping (emotion coping -> positive affect), carries more of MORE's "
                   "positive-affect pathway than savoring; Garland et al. 2022 found savoring the mediator. Within "
                   "the declared ranges savoring can carry more (programs.savoring_reward 3, savoring_hedonic 1), "
                   "so the target garland2022_savoring leaves it to calibration")
def test_savoring_carries_more_through_positive_affect() -> None:
    """Savoring alone raises positive affect more than reappraisal alone (paired, > 3 SE)."""
    pa = _component_affect()
    d, se = mean_se(pa["savoring"] - pa["reappraisal"])
    assert d > 3 * se, f"savoring vs reappraisal: {d:.4f} (SE {se:.4f})"

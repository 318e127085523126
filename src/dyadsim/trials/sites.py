"""Pools of simulated sites for cluster-randomised and stepped-wedge trials.

A site's dyads share that site's parameter values: each pool site k draws ``z_k ~ N(0, 1)`` per
site effect (:class:`dyadsim.trials.cluster_design.SiteEffect`), shifts every arm's value of that
parameter by ``sd * z_k`` on the effect's scale, and simulates ``pool_per_site`` dyads under every
arm with those values as separate engine runs (the engine takes one parameter set per run). Every
arm of a site runs on the same dyad ids and seed, and the site's shift is the same in every arm, so
a site has one potential outcome per arm for each of its mothers (common random numbers across
arms, as in :mod:`dyadsim.trials.simulate`). Sites differ in their seed, so they hold different
mothers.

A replicate trial draws its sites from the pool *with replacement*: the sites of a trial are then
independent draws from the pool's distribution of site values (for a pool of P sites, the site
variance is (P - 1) / P of the distribution's), however large the trial is against the pool;
drawing without replacement would shrink the between-site variance of a trial's effect estimate by
the finite-population factor (1 - sites / P) and overstate power. A pool site drawn twice in one
trial gives disjoint mothers. The cost is P x arms engine runs, once per analysis.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dyadsim.run.evaluate import ScenarioSpec, apply_set
from dyadsim.trials.cluster_design import SiteEffect, SiteSizes, _Sites
from dyadsim.trials.design import Trial
from dyadsim.trials.icc import anova_icc
from dyadsim.trials.measures import MEASURES
from dyadsim.trials.simulate import Pools, _odds_ratio, build_pools

_EFFECT_STREAM = 7_919
"""Stream of the site effects' random numbers (apart from every draw stream of a trial)."""


def site_block(trial: Trial) -> _Sites:
    """The trial's ``clusters:`` or ``stepped_wedge:`` block."""
    block = trial.clusters if trial.clusters is not None else trial.stepped_wedge
    assert block is not None, "not a site-randomised trial"
    return block


def _range(name: str) -> tuple[float, float]:
    from dyadsim.core.registry import PARAMS
    from dyadsim.model.graph import GRAPH

    if name in PARAMS:
        return PARAMS[name].low, PARAMS[name].high
    edge = name.split(".")[1]
    lo, hi = next(e.range for e in GRAPH.edges if e.id == edge)
    return float(lo), float(hi)


def shifted(value: float, effect: SiteEffect, z: float) -> float:
    """A site's value of ``effect.parameter``: ``value`` moved by ``effect.sd * z`` on its scale.

    A value outside the plausible range (a link switched off at 0) is left as it is: a site
    varies what the arm does, it does not switch mechanisms on."""
    lo, hi = _range(effect.parameter)
    if not lo <= value <= hi:
        return value
    d = effect.sd * z
    if effect.scale == "logit":
        p = min(max((value - lo) / (hi - lo), 1e-9), 1 - 1e-9)
        return lo + (hi - lo) / (1.0 + math.exp(-(math.log(p / (1 - p)) + d)))
    v = value * math.exp(d) if effect.scale == "log" else value + d
    return min(max(v, lo), hi)


@dataclass
class SitePools:
    """The pool of sites: per site, :class:`dyadsim.trials.simulate.Pools` of its dyads.

    Attributes:
        trial: the design.
        sites: one pool per simulated site (every arm, its own parameter values); ``None`` for a
            site not simulated yet, which :meth:`site` builds with ``builder`` when first drawn
            (one trial needs only the sites it draws).
        z: standard-normal site effects (pool sites x site effects).
        builder: simulates pool site k (for sites not yet simulated).
    """

    trial: Trial
    sites: list[Pools | None]
    z: np.ndarray
    builder: Callable[[int], Pools] | None = None

    def site(self, k: int) -> Pools:
        """Pool site ``k``, simulated now if it was not."""
        p = self.sites[k]
        if p is None:
            assert self.builder is not None, f"pool site {k} was not simulated"
            p = self.sites[k] = self.builder(k)
        return p

    @property
    def columns(self) -> list[str]:
        """The pools' value columns (the same at every site)."""
        return self.site(0).columns

    @property
    def col(self) -> dict[str, int]:
        """Column index of each value column."""
        return {c: j for j, c in enumerate(self.columns)}

    @property
    def built(self) -> list[Pools]:
        """The pool sites simulated so far."""
        return [p for p in self.sites if p is not None]


def site_seed(trial: Trial, k: int) -> int:
    """The engine seed of pool site ``k`` (every arm of the site runs on it)."""
    return int(np.random.SeedSequence([trial.seed, _EFFECT_STREAM, k]).generate_state(1)[0])


def site_effects(trial: Trial) -> np.ndarray:
    """``z`` of every pool site and site effect (pool sites x effects), from the trial's seed."""
    block = site_block(trial)
    rng = np.random.default_rng([trial.seed, _EFFECT_STREAM])
    return rng.standard_normal((block.pool_sites, len(block.site_effects)))


def site_specs(specs: list[ScenarioSpec], block: _Sites, z: np.ndarray,
               values: dict[str, float] | None = None) -> list[ScenarioSpec]:
    """The arms' scenarios at one site: the parameter set ``values`` on top of each arm's own,
    then the site's shift of each site-effect parameter (``z``: that site's row)."""
    out = []
    for spec in specs:
        params = apply_set(spec.params, list(values), np.array(list(values.values()))) if values else spec.params
        own = {e.parameter: shifted(float(params.get(e.parameter)), e, float(z[i]))
               for i, e in enumerate(block.site_effects)}
        out.append(replace(spec, params=params.with_values(own) if own else params))
    return out


def build_site(trial: Trial, specs: list[ScenarioSpec], k: int, z: np.ndarray,
               values: dict[str, float] | None = None) -> Pools:
    """Pool site ``k``: every arm on ``pool_per_site`` dyads with the site's parameter values."""
    block = site_block(trial)
    one = trial.model_copy(update={"pool_dyads": block.pool_per_site, "seed": site_seed(trial, k), "mediation": []})
    return build_pools(one, site_specs(specs, block, z[k], values))


def build_site_pools(trial: Trial, specs: list[ScenarioSpec], progress: Callable[[str], None] | None = None,
                     values: dict[str, float] | None = None,
                     load: Callable[[int], Pools | None] | None = None,
                     save: Callable[[int, Pools], None] | None = None, lazy: bool = False) -> SitePools:
    """The pool of sites (see the module doc): every site simulated now, or with ``lazy`` each
    when a trial first draws it; ``load``/``save`` keep finished sites (a power analysis resumes
    from them)."""
    z = site_effects(trial)
    block = site_block(trial)

    def build(k: int) -> Pools:
        return build_site(trial, specs, k, z, values)

    if lazy:
        return SitePools(trial, [None] * block.pool_sites, z, build)
    sites: list[Pools | None] = []
    for k in range(block.pool_sites):
        pools = load(k) if load is not None else None
        if pools is None:
            if progress and (k % 10 == 0):
                progress(f"simulating pool sites {k + 1}-{min(k + 10, len(z))} of {len(z)} "
                         f"({block.pool_per_site} dyads per arm each)")
            pools = build(k)
            if save is not None:
                save(k, pools)
        sites.append(pools)
    return SitePools(trial, sites, z)


def draw_sizes(sizes: SiteSizes, mean: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` site sizes from the distribution of ``sizes`` with mean ``mean`` (its dispersion
    kept), each at least ``sizes.minimum``."""
    if sizes.distribution == "fixed":
        out = np.full(count, int(round(mean)))
    elif sizes.distribution == "poisson":
        out = rng.poisson(mean, count)
    else:  # negative binomial as a gamma-Poisson mixture: variance mean + mean^2 / k
        k = float(sizes.dispersion or 1.0)
        out = rng.poisson(rng.gamma(k, mean / k, count))
    return np.maximum(out, sizes.minimum).astype(np.int64)


class SiteTaker:
    """Mothers of the pool sites for one replicate trial: each pool site's eligible mothers in a
    random order, handed out without replacement (a site drawn twice gives disjoint mothers)."""

    def __init__(self, sp: SitePools, rng: np.random.Generator) -> None:
        self.sp, self.rng = sp, rng
        self.order: dict[int, np.ndarray] = {}
        self.used: dict[int, int] = {}

    def take(self, k: int, n: int) -> np.ndarray:
        """Up to ``n`` more mothers (pool rows) of pool site ``k``."""
        if k not in self.order:
            el = self.sp.site(k).eligible
            self.order[k] = el[self.rng.permutation(len(el))]
            self.used[k] = 0
        lo = self.used[k]
        rows = self.order[k][lo:lo + n]
        self.used[k] = lo + len(rows)
        return rows


def pool_truth(sp: SitePools) -> pd.DataFrame:
    """Per outcome and treatment arm, over every eligible mother of the simulated pool sites (no
    drop-out, no selection), the values a trial's estimates aim at: each arm's mean, their
    difference and ratio, the marginal odds ratio of a binary outcome, and the ICC (ANOVA estimator within arms, each site-arm a cluster)."""
    rows = []
    trial = sp.trial
    sites = sp.built
    arms = len(trial.arms)
    col = sp.col
    for o in trial.outcomes:
        by_arm = [[p.matrix[a, p.eligible, col[o.name]] for p in sites] for a in range(arms)]
        y = np.concatenate([v for per in by_arm for v in per])
        lab = np.concatenate([np.full(len(v), k * arms + a) for a, per in enumerate(by_arm)
                              for k, v in enumerate(per)])
        arm = lab % arms
        icc = anova_icc(y, lab, arm)
        m0 = float(np.nanmean(np.concatenate(by_arm[0])))
        for a in range(1, arms):
            m1 = float(np.nanmean(np.concatenate(by_arm[a])))
            rows.append({"outcome": o.name, "arm": trial.arms[a].name, "control_mean": m0, "arm_mean": m1,
                         "difference": m1 - m0, "ratio": m1 / m0 if m0 else np.nan,
                         "odds_ratio": _odds_ratio(m1, m0) if MEASURES[o.measure].kind == "binary" else np.nan,
                         "true_icc": icc,
                         "pool_sites": len(sites)})
    return pd.DataFrame(rows)

"""The ``clusters:`` and ``stepped_wedge:`` blocks of a trial file (validated like the rest of it).

A cluster-randomised trial randomises sites (clinics, home-visiting agencies), not mothers; a
stepped-wedge trial crosses every site from control to intervention at a randomly assigned step.
Both describe sites the same way: how many dyads a site enrols, and which model parameters vary
between sites (a site random effect, :class:`SiteEffect`). See
``examples/trial_perinatal_cluster.yaml`` and ``examples/trial_perinatal_stepped_wedge.yaml``.
"""
from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dyadsim.core.errors import InputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class SiteEffect(_Strict):
    """Between-site variation in one model parameter.

    Site k's value is the arm's value shifted by ``sd * z_k`` on ``scale``, with ``z_k ~ N(0, 1)``
    drawn once per site and shared by every arm (the site is the same clinic whichever arm it
    is in): ``logit`` is the logit of the value's position in the parameter's plausible range
    ``[low, high]`` (for a probability on [0, 1], the ordinary logit), so a site's value never
    leaves that range; ``log`` shifts log(value) (the value must be positive) and ``identity`` the
    value itself, both clipped into the plausible range. The SD is *assumed*: no published
    between-site SD exists for the model's parameters; give it a range by running several.
    """

    parameter: str = Field(min_length=1, max_length=200)
    scale: Literal["logit", "log", "identity"] = "logit"
    sd: float = Field(gt=0.0, le=5.0)


class SiteSizes(_Strict):
    """Dyads a site enrols (per site; per site and period in a stepped-wedge trial).

    ``fixed``: every site ``mean`` (a whole number); ``poisson``: Poisson with that mean;
    ``negative_binomial``: mean ``mean`` and variance ``mean + mean^2 / dispersion`` (the
    dispersion is the size parameter k; smaller is more variable). A drawn size is raised to
    ``minimum`` (a site enrols at least that many, or it would not be a trial site) and lowered
    to the eligible mothers of the site's pool.
    """

    distribution: Literal["fixed", "poisson", "negative_binomial"] = "fixed"
    mean: float = Field(gt=0.0, le=10_000.0)
    dispersion: float | None = Field(None, gt=0.0, le=1000.0)
    minimum: int = Field(2, ge=1, le=1000)

    @model_validator(mode="after")
    def _shape(self) -> "SiteSizes":
        if self.distribution == "negative_binomial" and self.dispersion is None:
            raise ValueError("a negative_binomial size distribution needs dispersion (its size parameter k > 0)")
        if self.distribution != "negative_binomial" and self.dispersion is not None:
            raise ValueError(f"dispersion is for negative_binomial sizes, not {self.distribution}")
        if self.distribution == "fixed" and self.mean != math.floor(self.mean):
            raise ValueError(f"fixed sizes need a whole-number mean, got {self.mean}")
        if self.mean < self.minimum:
            raise ValueError(f"mean {self.mean:g} is below minimum {self.minimum}")
        return self


class _Sites(_Strict):
    """What the two site designs share: site effects and the pool of simulated sites."""

    site_effects: list[SiteEffect] = Field(default_factory=list, max_length=20)
    pool_sites: int = Field(100, ge=10, le=5000,
                            description="sites simulated (each with its own parameter values) to draw trials from")
    pool_per_site: int = Field(60, ge=10, le=100_000, description="dyads simulated per pool site and arm")


class Clusters(_Sites):
    """A cluster-randomised design: sites are randomised to the arms in the allocation ratio.

    Give ``sites_per_arm`` (sites per allocation unit, as ``n_per_arm`` is for mothers) or
    ``sites`` (in all, a multiple of the allocation total). ``analysis``: ``gee`` (exchangeable
    working correlation on site, bias-reduced sandwich covariance of Mancl & DeRouen 2001, t
    test on sites minus arms degrees of freedom) or ``mixed`` (linear mixed model with a random
    site intercept, REML, the same t test), each outcome on its measure's scale.
    """

    sites_per_arm: int | None = Field(None, ge=2, le=2000)
    sites: int | None = Field(None, ge=4, le=10_000)
    dyads_per_site: SiteSizes
    analysis: Literal["gee", "mixed"] = "gee"

    @model_validator(mode="after")
    def _count(self) -> "Clusters":
        if (self.sites_per_arm is None) == (self.sites is None):
            raise ValueError("give exactly one of sites_per_arm (per allocation unit) or sites (in all)")
        return self


class SteppedWedge(_Sites):
    """A stepped-wedge roll-out (Hussey & Hughes 2007).

    ``sites`` sites, ``steps`` steps: the study runs ``steps + 1`` periods of ``period_months``
    months; every site starts in control, ``sites / steps`` sites (randomly chosen) cross to the
    intervention at the start of each period after the first, and in the last period every site
    is in intervention. Each site enrols ``dyads_per_period`` mothers in each period. Analysis:
    the Hussey-Hughes linear mixed model (fixed period effects, the treatment, a random site
    intercept; REML), tested by ``reference``: ``t`` on sites minus two degrees of freedom or
    ``normal`` (the closed form's own reference).
    """

    sites: int = Field(ge=2, le=2000)
    steps: int = Field(ge=1, le=24)
    period_months: int = Field(3, ge=1, le=24)
    dyads_per_period: SiteSizes
    reference: Literal["t", "normal"] = "t"

    @model_validator(mode="after")
    def _wedge(self) -> "SteppedWedge":
        if self.sites % self.steps:
            raise ValueError(f"sites ({self.sites}) must be a multiple of steps ({self.steps}): "
                             "the same number of sites crosses at every step")
        return self


def check_site_effects(block: _Sites, origin: str, where: str) -> None:
    """Refuse a site effect on a name that is not a numeric model parameter, named twice, or on
    the log scale for a parameter whose plausible range includes values at or below 0.

    Raises:
        InputError: naming the file, ``<where>.site_effects.<i>.parameter`` and what is allowed.
    """
    from dyadsim.core.registry import PARAMS
    from dyadsim.model.params import ParamSet

    numeric = [n for n in ParamSet.names() if not n.endswith(".enabled")]
    seen: set[str] = set()
    for i, e in enumerate(block.site_effects):
        field = f"{where}.site_effects.{i}.parameter"
        if e.parameter not in numeric:
            close = [n for n in numeric if e.parameter.split(".")[-1] in n][:5]
            raise InputError(origin, field, f"{e.parameter!r} is not a model parameter; a site effect needs a "
                             "numeric parameter of 'dyadsim params' (module.name or links.<edge>.strength)"
                             + (f"; close names: {', '.join(close)}" if close else ""))
        if e.parameter in seen:
            raise InputError(origin, field, f"{e.parameter!r} has two site effects; give each parameter one")
        seen.add(e.parameter)
        if e.scale == "log" and e.parameter in PARAMS and PARAMS[e.parameter].low <= 0:
            raise InputError(origin, f"{where}.site_effects.{i}.scale", f"{e.parameter} may be "
                             f"{PARAMS[e.parameter].low:g} or less (range [{PARAMS[e.parameter].low:g}, "
                             f"{PARAMS[e.parameter].high:g}]); use scale logit or identity")

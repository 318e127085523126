"""Trial files: a randomized trial's design, validated like scenario files.

A trial file names its arms (any scenario files; the first is the control), the allocation ratio
and the number enrolled per allocation unit, who is eligible, how participants are randomized
(stratified permuted blocks), when they are assessed, how they drop out, the primary and
secondary outcomes (measures of :mod:`dyadsim.trials.measures` with their analysis model), the
missing-data method, alpha and the multiplicity procedure for secondary outcomes, and the
mediation paths to test. Unknown keys, wrong types and impossible designs are errors naming the
file, the field and what is allowed. See ``examples/trial_perinatal_more.yaml``. An optional
``clusters:`` or ``stepped_wedge:`` block (:mod:`dyadsim.trials.cluster_design`) makes the sites,
not the mothers, the units of randomisation.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dyadsim.core.errors import InputError, format_validation_error
from dyadsim.run.evaluate import ScenarioSpec
from dyadsim.config.scenario import NAME_PATTERN
from dyadsim.core.yamlsafe import load_yaml
from dyadsim.trials.cluster_design import Clusters, SteppedWedge, check_site_effects
from dyadsim.trials.measures import INSTRUMENT_MONTHS, MEASURES

MODELS: dict[str, tuple[str, ...]] = {
    "continuous": ("linear", "gee"),
    "count": ("count", "gee"),
    "binary": ("logistic", "gee"),
    "survival": ("survival",),
}
"""Analysis models allowed for each outcome type (see :mod:`dyadsim.trials.analysis`)."""

MIN_RETAINED_PER_ARM = 5
"""Fewest participants per arm a design may expect to keep to its last outcome's assessment.

Below this no analysis model (nor a mediation regression, which needs about five complete cases
plus one per covariate) can be fitted in most drawn trials, so such a design is refused up front
rather than simulated into a table of failures."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Arm(_Strict):
    """One arm: a name and a scenario file (relative to the trial file's folder)."""

    name: str = Field(min_length=1, max_length=60, pattern=NAME_PATTERN)
    scenario: str = Field(min_length=1, max_length=4096)


class Eligibility(_Strict):
    """Who may enrol: gestational week at enrolment and MOUD status at enrolment."""

    gest_week: list[float] = Field(default_factory=lambda: [8.0, 36.0], min_length=2, max_length=2)
    moud: Literal["any", "on", "off"] = "any"

    @model_validator(mode="after")
    def _window(self) -> "Eligibility":
        lo, hi = self.gest_week
        if not 0 <= lo < hi <= 42:
            raise ValueError("gest_week must be [first, last] with 0 <= first < last <= 42")
        return self


class Randomization(_Strict):
    """Stratified permuted-block randomization."""

    strata: list[Literal["moud_type", "depression_dx", "first_pregnancy", "prior_cps", "housing_unstable"]] = \
        Field(default_factory=lambda: ["moud_type"], max_length=3)
    block_sizes: list[int] = Field(default_factory=lambda: [4, 6], min_length=1, max_length=5)


class Attrition(_Strict):
    """Drop-out before each postpartum assessment (monotone: a mother who leaves does not return).

    The probability of staying to assessment k, given she attended k-1, is
    ``logistic(retention_logit - use_log_odds * days of use since the last assessment)``, so
    mothers who use more drop out more (*assumed* form; retention near 80% at 12 months in
    perinatal OUD trials, e.g. Saia et al. 2016). A mother who died is missing from then on.
    """

    retention_logit: float = Field(2.5, ge=-5.0, le=10.0)
    use_log_odds: float = Field(0.05, ge=0.0, le=1.0, description="per day of use since the last assessment")


class Schedule(_Strict):
    """Assessment times: baseline at enrolment, postpartum months (end of treatment included)."""

    postpartum_months: list[int] = Field(default_factory=lambda: [1, 3, 6, 12], min_length=1, max_length=12)

    @model_validator(mode="after")
    def _months(self) -> "Schedule":
        m = self.postpartum_months
        if sorted(set(m)) != m or m[0] < 1 or m[-1] > 36:
            raise ValueError("postpartum_months must be increasing whole months from 1 to 36")
        return self


class Outcome(_Strict):
    """One outcome: a measure, when, and how it is analysed."""

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    measure: str
    month: int | None = Field(None, ge=1, le=36)
    months: list[int] | None = Field(None, min_length=2, max_length=2)
    model: str
    covariates: list[Literal["baseline", "strata"]] = Field(default_factory=lambda: ["baseline", "strata"])
    lower_is_better: bool = False

    @model_validator(mode="after")
    def _fits(self) -> "Outcome":
        if self.measure not in MEASURES:
            raise ValueError(f"measure {self.measure!r} is not one of {', '.join(MEASURES)}")
        m = MEASURES[self.measure]
        if m.window and self.months is None:
            raise ValueError(f"measure {self.measure} needs months: [first, last] (postpartum months)")
        if not m.window and self.month is None:
            raise ValueError(f"measure {self.measure} needs month: M (postpartum month of the assessment)")
        if self.months is not None and not 1 <= self.months[0] <= self.months[1] <= 36:
            raise ValueError("months must be [first, last] with 1 <= first <= last <= 36")
        if self.model not in MODELS[m.kind]:
            raise ValueError(f"a {m.kind} measure is analysed by one of {', '.join(MODELS[m.kind])}, not {self.model!r}")
        if m.kind == "continuous" and self.month not in INSTRUMENT_MONTHS:
            raise ValueError(f"instrument scores exist at postpartum months {list(INSTRUMENT_MONTHS)}")
        return self

    @property
    def last_month(self) -> int:
        """The postpartum month at which the outcome is assessed."""
        return self.months[1] if self.months is not None else int(self.month or 0)


class Analysis(_Strict):
    """The statistical analysis plan."""

    missing: Literal["complete_case", "ipw", "mi"] = "ipw"
    imputations: int = Field(20, ge=2, le=200)
    alpha: float = Field(0.05, gt=0.0, lt=0.5)
    multiplicity: Literal["none", "bonferroni", "holm", "hochberg", "fixed_sequence"] = "holm"
    bootstrap: int = Field(1000, ge=100, le=20_000, description="percentile-bootstrap resamples for mediation")


class Interim(_Strict):
    """Group-sequential looks at the primary outcome (:mod:`dyadsim.trials.interim`).

    ``looks``: information fractions (share of the enrolled, in order of enrolment), strictly
    increasing, the last 1.0; ``spending``: Lan-DeMets alpha spending of the O'Brien-Fleming or
    Pocock type; ``futility``: optional non-binding bounds on the signed z (positive favours the
    intervention), one per interim look: stop for futility when z falls below it."""

    looks: list[float] = Field(min_length=2, max_length=10)
    spending: Literal["obrien_fleming", "pocock"] = "obrien_fleming"
    futility: list[float] | None = None

    @model_validator(mode="after")
    def _looks(self) -> "Interim":
        t = self.looks
        if any(not 0.0 < x <= 1.0 for x in t) or any(b <= a for a, b in zip(t, t[1:])) or t[-1] != 1.0:
            raise ValueError(f"looks must be strictly increasing fractions in (0, 1] ending at 1.0, got {t}")
        if self.futility is not None and len(self.futility) != len(t) - 1:
            raise ValueError(f"futility needs one bound per interim look ({len(t) - 1}), got {len(self.futility)}")
        if self.futility is not None and any(not -10.0 <= f <= 10.0 for f in self.futility):
            raise ValueError("futility bounds are z values from -10 to 10")
        return self


class MediationPath(_Strict):
    """A mediation path to test: treatment -> mediators (in order) -> outcome.

    ``mediators`` and ``outcome`` name outcomes of this file. ``cut`` sets parameters in the
    treatment arm to block the treatment's action on the first mediator; the simulator's true
    path effect is then the treatment arm minus the treatment arm with the cut, on the same dyads
    and random numbers (an intervention on the mediator's inputs, not on its measured value).
    """

    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    mediators: list[str] = Field(min_length=1, max_length=2)
    outcome: str
    cut: dict[str, float] = Field(default_factory=dict)


class Trial(_Strict):
    """A whole trial file."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: str = Field("", max_length=10_000)
    arms: list[Arm] = Field(min_length=2, max_length=6)
    allocation: list[int] | None = None
    n_per_arm: int | None = Field(None, ge=4, le=100_000,
                                  description="participants per allocation unit (1:1: per arm); "
                                  "required unless clusters: or stepped_wedge: says how many")
    pool_dyads: int = Field(4000, ge=100, le=1_000_000, description="dyads simulated per arm to draw trials from")
    seed: int = Field(1, ge=0, lt=2**62)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    randomization: Randomization = Field(default_factory=Randomization)
    schedule: Schedule = Field(default_factory=Schedule)
    attrition: Attrition = Field(default_factory=Attrition)
    primary: Outcome
    secondary: list[Outcome] = Field(default_factory=list, max_length=12)
    process: list[Outcome] = Field(default_factory=list, max_length=12,
                                   description="measured but not tested (mediators, process measures)")
    analysis: Analysis = Field(default_factory=Analysis)
    mediation: list[MediationPath] = Field(default_factory=list, max_length=6)
    interim: Interim | None = None
    clusters: Clusters | None = None
    stepped_wedge: SteppedWedge | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "Trial":
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must differ")
        self._sites_coherent()
        if self.interim is not None and len(self.arms) != 2:
            raise ValueError("interim looks are for two-arm trials (one treatment against control)")
        ratio = self.allocation or [1] * len(self.arms)
        if len(ratio) != len(self.arms) or min(ratio) < 1 or max(ratio) > 10:
            raise ValueError("allocation must give one whole number from 1 to 10 per arm")
        for b in self.randomization.block_sizes:
            if b < 2 or b > 60 or b % sum(ratio) != 0:
                raise ValueError(f"block size {b} must be a multiple of the allocation total {sum(ratio)} (2-60)")
        outs = [self.primary, *self.secondary, *self.process]
        if len({o.name for o in outs}) != len(outs):
            raise ValueError("outcome names must differ")
        for o in outs:
            if o.last_month not in self.schedule.postpartum_months:
                raise ValueError(f"outcome {o.name} is assessed at month {o.last_month}, which is not in "
                                 f"schedule.postpartum_months {self.schedule.postpartum_months}")
        by_name = {o.name for o in outs}
        for p in self.mediation:
            for x in (*p.mediators, p.outcome):
                if x not in by_name:
                    raise ValueError(f"mediation path {p.name}: {x!r} is not an outcome of this trial "
                                     "(primary, secondary or process)")
        return self

    def _sites_coherent(self) -> None:
        """What a site-randomised design (clusters: or stepped_wedge:) can and cannot be."""
        design = self.design
        if design == "individual":
            if self.n_per_arm is None:
                raise ValueError("n_per_arm is required (participants per allocation unit), unless a clusters: "
                                 "or stepped_wedge: block gives the sites and dyads per site")
            return
        if self.clusters is not None and self.stepped_wedge is not None:
            raise ValueError("give clusters: or stepped_wedge:, not both")
        if self.n_per_arm is not None:
            raise ValueError(f"n_per_arm is for individually randomised trials; a {design} trial's size is its "
                             "sites and dyads per site (leave n_per_arm out)")
        if self.mediation or self.interim is not None:
            raise ValueError(f"a {design} trial has no mediation: or interim: analysis here (both are for "
                             "individually randomised trials); leave them out")
        if self.design == "stepped_wedge" and len(self.arms) != 2:
            raise ValueError("a stepped-wedge trial has two conditions: arms [control, intervention]")
        for o in self.outcomes:
            if MEASURES[o.measure].kind == "survival" or o.model == "gee":
                raise ValueError(f"outcome {o.name}: a {design} trial analyses each outcome at its month with the "
                                 f"design's site-level model; model {o.model!r} (survival or repeated measures) is "
                                 "not available: use a measure analysed by linear, logistic or count")
        c = self.clusters
        if c is not None and c.sites is not None and c.sites % sum(self.ratio):
            raise ValueError(f"clusters.sites ({c.sites}) must be a multiple of the allocation total "
                             f"{sum(self.ratio)}")

    @property
    def design(self) -> str:
        """``individual``, ``cluster`` or ``stepped_wedge``: what is randomised."""
        return "cluster" if self.clusters is not None else \
            "stepped_wedge" if self.stepped_wedge is not None else "individual"

    @property
    def sites_per_unit(self) -> int:
        """Sites per allocation unit of a cluster trial."""
        c = self.clusters
        assert c is not None
        return c.sites_per_arm if c.sites_per_arm is not None else int(c.sites or 0) // sum(self.ratio)

    @property
    def smallest_arm(self) -> float:
        """Participants expected in the smallest arm: ``n_per_arm`` times its ratio, or for a site
        design the sites' mean enrolment in it."""
        if self.clusters is not None:
            return self.sites_per_unit * min(self.ratio) * self.clusters.dyads_per_site.mean
        if self.stepped_wedge is not None:  # half the site-periods are in each condition
            sw = self.stepped_wedge
            return sw.sites * (sw.steps + 1) * sw.dyads_per_period.mean / 2.0
        return float(self.n_per_arm or 0) * min(self.ratio)

    @property
    def ratio(self) -> list[int]:
        """Allocation ratio, one whole number per arm."""
        return list(self.allocation or [1] * len(self.arms))

    @property
    def tested(self) -> list[Outcome]:
        """Primary first, then the secondary outcomes in their declared order (the tested family)."""
        return [self.primary, *self.secondary]

    @property
    def outcomes(self) -> list[Outcome]:
        """Every measured outcome: the tested ones, then the process measures."""
        return [self.primary, *self.secondary, *self.process]


def repeated_months(trial: Trial, o: Outcome) -> list[int]:
    """Assessment months of a repeated-measures (GEE) outcome: the scheduled months up to its own
    month at which its measure exists (instrument months for scores; for a window measure, each
    window runs from the month after the previous assessment)."""
    months = [m for m in trial.schedule.postpartum_months if m <= o.last_month]
    if not MEASURES[o.measure].window:
        months = [m for m in months if m in INSTRUMENT_MONTHS]
    return months


def best_retention(trial: Trial, month: int) -> float:
    """Largest share of participants still attending at postpartum ``month``.

    The share staying at each scheduled assessment up to ``month`` is at most
    ``logistic(retention_logit)`` (a mother with no use since the last visit; use and death only
    lower it), and drop-out is monotone, so the share kept is at most that to the power of the
    number of assessments. An upper bound: the design check below is never stricter than the
    simulation.
    """
    k = sum(1 for m in trial.schedule.postpartum_months if m <= month)
    p_stay = 1.0 / (1.0 + math.exp(-trial.attrition.retention_logit))
    return p_stay**k


def _check_retention(trial: Trial, origin: str) -> None:
    """Refuse a design whose best-case retention leaves fewer than :data:`MIN_RETAINED_PER_ARM`
    participants per arm at its last outcome's assessment."""
    last = max(o.last_month for o in trial.outcomes)
    smallest = trial.smallest_arm  # participants in the smallest arm
    share = best_retention(trial, last)
    if smallest * share >= MIN_RETAINED_PER_ARM:
        return
    if trial.design != "individual":
        raise InputError(origin, "attrition.retention_logit", f"retention_logit {trial.attrition.retention_logit:g} "
                         f"keeps at most {100 * share:.3g}% of participants to month {last}, about "
                         f"{smallest * share:.2g} of the {smallest:g} expected in the smallest arm; at least "
                         f"{MIN_RETAINED_PER_ARM} are needed; allowed: more sites or dyads per site, or a higher "
                         "retention_logit")
    k = sum(1 for m in trial.schedule.postpartum_months if m <= last)
    need = (MIN_RETAINED_PER_ARM / smallest) ** (1.0 / k)  # per-assessment staying probability needed
    ways = []
    if need < 1.0:
        ways.append(f"retention_logit >= {math.log(need / (1.0 - need)):.2f} with this n_per_arm")
    n_needed = math.ceil(MIN_RETAINED_PER_ARM / (min(trial.ratio) * share)) if share > 0 else math.inf
    if n_needed <= 100_000:
        ways.append(f"n_per_arm >= {n_needed} with this retention")
    raise InputError(origin, "attrition.retention_logit",
                     f"retention_logit {trial.attrition.retention_logit:g} keeps at most {100 * share:.3g}% of "
                     f"participants to month {last} (over {k} assessments), about {smallest * share:.2g} of the "
                     f"{smallest:g} in the smallest arm; at least {MIN_RETAINED_PER_ARM} per arm must be expected at "
                     f"the last outcome's assessment for its analysis to be estimable; allowed: "
                     f"{' or '.join(ways) or 'a larger n_per_arm and a higher retention_logit'}")


def _check_mediation_order(trial: Trial, origin: str) -> None:
    """Refuse a mediation path whose mediator is its outcome, repeats, or is not measured before
    what it is meant to explain.

    Temporal precedence is a condition of mediation (the mediator must change before the outcome;
    Kazdin 2007, Annu. Rev. Clin. Psychol. 3:1-27; MacKinnon 2008, ch. 1): each mediator's last
    assessment month comes strictly before the next mediator's and before the outcome's last
    month (a window outcome, e.g. days of use in months 1-6, may have a mediator measured inside
    its window, as craving at month 1 is).
    """
    by_name = {o.name: o for o in trial.outcomes}
    for i, p in enumerate(trial.mediation):
        chain = [*p.mediators, p.outcome]
        for j, name in enumerate(p.mediators):
            field = f"mediation.{i}.mediators.{j}"
            if name == p.outcome:
                raise InputError(origin, field, f"{name!r} is the path's outcome; a mediator must be another "
                                 "outcome of this trial, measured before its outcome")
            if name in p.mediators[:j] or name in p.mediators[j + 1:]:
                later = j if name in p.mediators[:j] else p.mediators.index(name, j + 1)
                raise InputError(origin, f"mediation.{i}.mediators.{later}", f"{name!r} is named twice; list each "
                                 "mediator once, in time order (each measured before the next and before the outcome)")
            nxt = by_name[chain[j + 1]]
            here = by_name[name].last_month
            if here >= nxt.last_month:
                what = "outcome" if j + 1 == len(p.mediators) else "next mediator"
                raise InputError(origin, field, f"{name!r} is measured at postpartum month {here}, not before its "
                                 f"{what} {nxt.name!r} (month {nxt.last_month}); a mediator must be measured before "
                                 "its outcome: measure it earlier (a process outcome at an earlier month) or "
                                 "choose a later outcome")


def parse_trial(data: object, origin: str = "trial file") -> Trial:
    """Validate a trial mapping (already parsed YAML).

    Beyond the schema, refuses designs that cannot give an estimate: too few participants
    expected at the last assessment (``attrition.retention_logit``), and mediation paths whose
    mediators are not measured before their outcome (``mediation.I.mediators.J``).

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    if not isinstance(data, dict):
        raise InputError(origin, "(file)", "a trial file must be a YAML mapping with name, arms, n_per_arm, primary")
    try:
        trial = Trial.model_validate(data)
    except ValidationError as exc:
        raise InputError(origin, *format_validation_error(exc)) from None
    _check_retention(trial, origin)
    _check_mediation_order(trial, origin)
    for where, block in (("clusters", trial.clusters), ("stepped_wedge", trial.stepped_wedge)):
        if block is not None:
            check_site_effects(block, origin, where)
    return trial


def load_trial(path: str | Path) -> tuple[Trial, list[ScenarioSpec]]:
    """Read a trial file and its arms' scenario files (relative to the trial file's folder).

    Raises:
        InputError: naming the file, the field and what is allowed.
    """
    path = Path(path)
    trial = parse_trial(load_yaml(path, "trial file"), str(path))
    specs = []
    for i, arm in enumerate(trial.arms):
        p = Path(arm.scenario)
        p = p if p.is_absolute() else path.parent / p
        if not p.is_file():
            raise InputError(str(path), f"arms.{i}.scenario", f"no scenario file at {p}")
        specs.append(ScenarioSpec.load(p))
    horizon = {s.scenario.cohort.horizon_months for s in specs}
    if len(horizon) > 1:
        raise InputError(str(path), "arms", "every arm's scenario must have the same cohort.horizon_months")
    last = max(o.last_month for o in trial.outcomes)
    if last > horizon.pop():
        raise InputError(str(path), "primary/secondary", f"an outcome at month {last} is beyond the arms' follow-up "
                         "(cohort.horizon_months)")
    return trial, specs

"""What ``dyadsim economics`` and ``dyadsim.economics(...)`` both do before running anything: read
the willingness to pay, the extrapolation, the inputs file and the strategies, and fix the
settings (so that both faces refuse the same input with the same message)."""
from __future__ import annotations

from pathlib import Path

from dyadsim.analysis.compare import Loaded, load_comparison
from dyadsim.core.errors import InputError
from dyadsim.economics.inputs import EconomicInputs, load_inputs
from dyadsim.economics.results import Settings

DEFAULT_DRAWS = 20
"""Draws of the probabilistic analysis when none are asked for (posterior or prior)."""


def parse_wtp(text: str) -> tuple[float, ...]:
    """``--wtp`` as willingness-to-pay values (comma-separated, each > 0, at most 10).

    Raises:
        InputError: naming ``--wtp`` and what is allowed.
    """
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError("command line", "--wtp", f"must be numbers separated by commas, e.g. 50000,100000; "
                         f"got {text!r:.60}") from None
    if not values or len(values) > 10 or any(not (0 < v < 1e8) for v in values):
        raise InputError("command line", "--wtp", "give 1 to 10 values per QALY, each above 0 and below 100,000,000")
    return values


def parse_extrapolation(text: str, life_years: float) -> tuple[float, str]:
    """``--extrapolate-years`` as (years, label).

    Raises:
        InputError: naming the option and what is allowed.
    """
    t = text.strip().lower()
    if t in ("", "none", "0"):
        return 0.0, "none"
    if t == "life":
        return life_years, f"the mother's remaining life expectancy, {life_years:g} years (inputs file)"
    try:
        years = float(t)
    except ValueError:
        raise InputError("command line", "--extrapolate-years", f"must be none, life or a number of years from 0 to "
                         f"100; got {text!r:.40}") from None
    if not 0 <= years <= 100:
        raise InputError("command line", "--extrapolate-years", f"must be from 0 to 100 years, got {years:g}")
    return years, f"{years:g} years"


def prepare(scenarios: list[Path], *, wtp: str, perspective: str, draws: int | None, source: str,
            dyads: int | None, seed: int | None, inputs_file: Path | None, rate: float | None,
            extrapolate: str, keep_outcomes: bool) -> tuple[Loaded, EconomicInputs, Settings]:
    """The checked strategies (with their parameter draws: ``draws`` of ``source``, default
    :data:`DEFAULT_DRAWS` unless ``point``), the inputs and the settings of an economics run.

    Raises:
        InputError: naming the option or file, the field and what is allowed.
    """
    if perspective not in ("payer", "societal"):
        raise InputError("command line", "--perspective", f"must be payer or societal, got {perspective!r:.40}")
    wtps = parse_wtp(wtp)
    inputs = load_inputs(inputs_file)
    if rate is not None and not 0 <= rate <= 0.15:
        raise InputError("command line", "--discount", f"must be from 0 to 0.15 a year, got {rate:g}")
    years, label = parse_extrapolation(extrapolate, inputs.life.mother_life_expectancy_years.value)
    if draws is None and source != "point":
        draws = DEFAULT_DRAWS
    loaded = load_comparison(list(scenarios), dyads=dyads, seed=seed, parameter_draws=draws, draw_source=source)
    settings = Settings(wtps=wtps, perspective=perspective, rate=inputs.discount.rate if rate is None else rate,
                        extrapolate_years=years, extrapolate_label=label,
                        inputs_origin=str(inputs_file) if inputs_file else "dyadsim/data/economics.yaml",
                        keep_outcomes=keep_outcomes, seed=loaded.scenarios[0][0].cohort.seed)
    return loaded, inputs, settings

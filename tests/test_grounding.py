"""The calibration notice: counted from the registry, and the README says the same count."""
from __future__ import annotations

import re
from pathlib import Path

from dyadsim.config.grounding import assumed_counts, calibrated_assumed, calibration_notice
from dyadsim.config.space import SPACE

ROOT = Path(__file__).resolve().parent.parent


def test_counts_come_from_the_parameter_space() -> None:
    assumed, total = assumed_counts()
    values = [d for d in SPACE if not d.name.endswith(".enabled")]
    assert total == len(values) and assumed == sum(d.source.lower().startswith("assumed") for d in values)
    assert 0 < assumed < total
    assert f"{assumed} of {total} parameters are assumed" in calibration_notice()


def test_readme_states_the_registry_count() -> None:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.findall(r"(\d+) of (\d+) parameters are assumed", text)
    assert found, "README.md must say how many parameters are assumed"
    assert {(int(a), int(b)) for a, b in found} == {assumed_counts()}, \
        f"README.md's count {found} differs from the registry's {assumed_counts()}"
    left = re.findall(r"other (\d+) assumed parameters", text)
    assert left and {int(n) for n in left} == {assumed_counts()[0] - calibrated_assumed()}, \
        f"README.md's count of assumed parameters left uncalibrated {left} differs from the ensemble's"


def test_posterior_notice_counts_what_stays_assumed() -> None:
    """The default notice: the ensemble's fit, its misses, and the assumed parameters it leaves."""
    assumed, total = assumed_counts()
    text = calibration_notice("posterior")
    assert text.startswith("Calibrated in part: parameters from the posterior ensemble")
    assert 0 < calibrated_assumed() <= 16
    assert f"the other {assumed - calibrated_assumed()} assumed parameters ({assumed} of {total}" in text
    assert "missed: " in text and "Warning" not in text  # the shipped ensemble fits the installed model

"""The calibration notice: counted from the registry, and the README says the same count."""
from __future__ import annotations

import re
from pathlib import Path

from dyadsim.config.grounding import assumed_counts, calibration_notice
from dyadsim.config.space import SPACE

ROOT = Path(__file__).resolve().parent.parent


def test_counts_come_from_the_parameter_space() -> None:
    assumed, total = assumed_counts()
    values = [d for d in SPACE if not d.name.endswith(".enabled")]
    assert total == len(values) and assumed == sum(d.source.lower().startswith("assumed") for d in values)
    assert 0 < assumed < total
    assert f"{assumed} of {total} parameters are assumed" in calibration_notice()


def test_readme_states_the_registry_count() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"Not yet calibrated: (\d+) of (\d+) parameters are assumed", text)
    assert found, "README.md must say the model is not yet calibrated, with the count"
    assert {(int(a), int(b)) for a, b in found} == {assumed_counts()}, \
        f"README.md's count {found} differs from the registry's {assumed_counts()}"

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
    assert "missed: " in text and "Warning" not in text  # calibrated on the targets in use


def test_shipped_ensemble_was_calibrated_on_this_model() -> None:
    """The ensemble's fingerprint (usual care at its first two members, stored when it shipped)
    is what the model computes now: a change to the model's behaviour fails here until the model
    is recalibrated and the ensemble shipped again (``dyadsim calibrate``, ``scripts/ship_posterior.py``)."""
    import importlib.util
    import json

    import numpy as np

    from dyadsim.config.posterior import FOLDER

    spec = importlib.util.spec_from_file_location("ship", ROOT / "scripts" / "ship_posterior.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    stored = json.loads((FOLDER / "meta.json").read_text(encoding="utf-8"))["fingerprint"]
    now = mod.fingerprint()
    assert list(now) == list(stored)
    np.testing.assert_allclose(list(now.values()), list(stored.values()), rtol=1e-9, atol=1e-12,
                               err_msg="the model changed since the posterior ensemble was calibrated: recalibrate")

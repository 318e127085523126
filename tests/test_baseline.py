"""The committed baseline of summary outcomes must be reproduced (rewrite it only with
scripts/update_baseline.py and review the diff)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("update_baseline", ROOT / "scripts" / "update_baseline.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_summary_matches_committed_baseline() -> None:
    mod = _script()
    expected = pd.read_csv(mod.BASELINE)
    got = mod.compute()
    assert list(got["outcome"]) == list(expected["outcome"])
    for col in ("mean", "lower", "upper"):
        # Same machine kind, same seed: equal up to the 12 significant digits written to the file.
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"summary column {col} drifted from the committed baseline")

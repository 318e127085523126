"""Rewrite the committed baseline of summary outcomes (review the diff before committing).

Usage: .venv/bin/python scripts/update_baseline.py
"""
from __future__ import annotations

from pathlib import Path

from dyadsim import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "baseline" / "usual_care_summary.csv"
DYADS, REPLICATES, SEED = 400, 2, 7


def compute():  # type: ignore[no-untyped-def]
    """The baseline summary: usual care, fixed size and seed."""
    scn, params, pop = load_scenario(ROOT / "examples" / "usual_care.yaml")
    return run_scenario(scn, params, pop, dyads=DYADS, replicates=REPLICATES, seed=SEED, progress=False).summary


if __name__ == "__main__":
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    compute().to_csv(BASELINE, index=False, float_format="%.12g")
    print(f"wrote {BASELINE}")

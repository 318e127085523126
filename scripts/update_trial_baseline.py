"""Rewrite the committed baseline of a simulated trial's report (review the diff before committing).

The perinatal example trial (``examples/trial_perinatal_more.yaml``) with smaller pools, drawn
with a fixed seed: its effect estimates (every outcome, with CI, p value and numbers analysed).

Usage: .venv/bin/python scripts/update_trial_baseline.py
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "tests" / "baseline" / "trial_perinatal_estimates.csv"
POOL, N_PER_ARM, SEED = 1200, 60, 5


def compute():  # type: ignore[no-untyped-def]
    """The baseline estimates: the example trial with pools of POOL dyads, N_PER_ARM per arm, seed SEED."""
    from dyadsim.trials.run import simulate_trial

    doc = yaml.safe_load((ROOT / "examples" / "trial_perinatal_more.yaml").read_text(encoding="utf-8"))
    doc.update(pool_dyads=POOL, n_per_arm=N_PER_ARM)
    doc["analysis"]["bootstrap"] = 200
    for arm in doc["arms"]:
        arm["scenario"] = str(ROOT / "examples" / arm["scenario"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trial.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        res = simulate_trial(path, SEED)
    return res.estimates[["outcome", "role", "arm", "scale", "estimate", "ci_low", "ci_high", "p_value",
                          "p_adjusted", "n_control", "n_treatment", "true_difference"]]


if __name__ == "__main__":
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    compute().to_csv(BASELINE, index=False, float_format="%.12g")
    print(f"wrote {BASELINE}")

"""Assurance summaries (trials/assurance.py): the drivers of success on a known answer."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dyadsim.config.uncertainty import ParameterDraws
from dyadsim.trials.assurance import effect_distribution, success_drivers


def test_the_parameter_success_depends_on_leads_the_drivers() -> None:
    """40 sets, 50 replicates each; success has log-odds 1.5 per SD of ``a.decides`` and does
    not depend on ``b.noise``: the first comes out on top with its slope within 3 SE of 1.5, the
    second with |z| < 3 (fixed seed)."""
    rng = np.random.default_rng(7)
    k, per = 40, 50
    values = np.column_stack([rng.normal(10.0, 2.0, k), rng.uniform(0, 1, k)])
    draws = ParameterDraws(["a.decides", "b.noise"], values, 7, "test")
    reps = np.arange(k * per)
    x = (values[reps % k, 0] - values[:, 0].mean()) / values[:, 0].std()
    reject = rng.random(len(reps)) < 1 / (1 + np.exp(-1.5 * x))
    table = pd.DataFrame({"n": 100, "rep": reps, "target": "y", "kind": "primary", "reject": reject})
    out = success_drivers(table, draws, "y", "primary", 100)
    assert list(out["parameter"]) == ["a.decides", "b.noise"]
    top, noise = out.iloc[0], out.iloc[1]
    assert abs(top["log_odds_per_sd"] - 1.5) <= 3 * top["se"] and top["z"] > 3
    assert abs(noise["z"]) < 3
    none = table.assign(reject=True)  # no failure at all: nothing to regress
    assert success_drivers(none, draws, "y", "primary", 100).empty


def test_effect_distribution_summarises_each_outcome_over_the_sets() -> None:
    truth = pd.DataFrame({"outcome": "y", "arm": "t", "difference": np.linspace(-2, 0, 21),
                          "ratio": np.nan, "draw": range(21)})
    out = effect_distribution(truth).iloc[0]
    assert out["sets"] == 21 and out["difference_p50"] == -1.0 and out["difference_mean"] == -1.0
    assert out["difference_p05"] == np.quantile(np.linspace(-2, 0, 21), 0.05) and "ratio_p50" not in out

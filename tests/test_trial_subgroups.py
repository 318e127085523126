"""The primary outcome by pre-specified subgroup in a trial report: the interaction test and the
report's files."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from dyadsim.analysis.subgroups import SUBGROUPS
from dyadsim.cli import main
from dyadsim.trials.analysis import Estimate
from dyadsim.trials.trial_subgroups import _interaction
from test_trials import small_trial


def _est(coef: float, se: float, scale: str = "rate_ratio") -> Estimate:
    e = math.exp if scale == "rate_ratio" else float
    return Estimate("y", "count", scale, 1, e(coef), e(coef - 1.96 * se), e(coef + 1.96 * se), 0.5, coef, se,
                    float("nan"), "", 50, 50, 50, 50, "complete_case", True, True)


def test_interaction_compares_independent_estimates_on_the_link_scale() -> None:
    inside, outside = _est(math.log(0.5), 0.2), _est(math.log(0.9), 0.15)
    r = _interaction(inside, outside, 1.959964)
    z = (math.log(0.5) - math.log(0.9)) / math.sqrt(0.2**2 + 0.15**2)
    assert r["interaction"] == pytest.approx(0.5 / 0.9)  # a ratio of rate ratios
    assert r["p_interaction"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert r["interaction_lower"] < r["interaction"] < r["interaction_upper"]
    d = _interaction(_est(-3.0, 1.0, "mean_difference"), _est(-1.0, 1.0, "mean_difference"), 1.959964)
    assert d["interaction"] == pytest.approx(-2.0)  # a difference of differences
    assert math.isnan(_interaction(inside, None, 1.96)["p_interaction"])


def test_trial_report_shows_subgroups(tmp_path: Path) -> None:
    path = small_trial(tmp_path, n_per_arm=80)
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(tmp_path / "t"), "--parameters", "point"])
    assert res.exit_code == 0, res.output
    sg = pd.read_csv(tmp_path / "t" / "subgroups.csv")
    assert set(sg["subgroup"]) == set(SUBGROUPS) and set(sg["level"]) == {"in", "out"}
    est = pd.read_csv(tmp_path / "t" / "estimates.csv")
    analysed = int(est.loc[est["role"] == "primary", ["n_control", "n_treatment"]].sum(axis=1).iloc[0])
    for _, g in sg.groupby("subgroup"):  # the two levels partition the analysed mothers
        assert g["dyads"].sum() == analysed
    p = sg.loc[sg["level"] == "in", "p_interaction"].dropna()
    assert len(p) and p.between(0, 1).all()
    assert (tmp_path / "t" / "subgroups_treated.png").stat().st_size > 1000
    html = (tmp_path / "t" / "report.html").read_text(encoding="utf-8")
    assert "Primary outcome by pre-specified subgroup" in html and "subgroups_treated.png" in html
    assert "interaction p" in res.output and np.isfinite(sg["effect"]).any()

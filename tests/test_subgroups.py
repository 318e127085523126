"""Effects by subgroup in a comparison (analysis/subgroups.py) on known answers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dyadsim.analysis.subgroups import OUTCOMES, SUBGROUPS, subgroup_effects
from dyadsim.cli import main

EX = Path(__file__).resolve().parent.parent / "examples"


def _table(rng: np.random.Generator, reps: int = 6, n: int = 400) -> pd.DataFrame:
    return pd.DataFrame({
        "replicate": np.repeat(np.arange(reps), n), "dyad_id": np.tile(np.arange(n), reps),
        "moud_type": rng.choice(["none", "methadone"], reps * n), "moud_start_week": 5.0,
        "enrol_week": 10.0, "aces": rng.integers(0, 9, reps * n), "prior_cps": rng.integers(0, 2, reps * n),
        "use_days_pp_year": rng.poisson(100, reps * n).astype(float), "od_nonfatal_pp_year": 0.0,
        "moud_at_delivery": 0.0, "cps_report": 0.0, "attachment": "secure"})


def test_an_effect_only_in_the_subgroup_shows_as_an_interaction() -> None:
    """The other scenario has 30 fewer use days exactly for mothers with 4+ ACEs (plus noise of SD
    1 per dyad): the effect is -30 inside (within 3 SE), 0 outside, the interaction -30 with a tiny
    p; a subgroup the effect ignores has no interaction (p > 0.001)."""
    rng = np.random.default_rng(3)
    base = _table(rng)
    other = base.copy()
    hit = base["aces"].to_numpy() >= 4
    other["use_days_pp_year"] = base["use_days_pp_year"] - 30.0 * hit + rng.normal(0, 1, len(base))
    t = subgroup_effects(base, {"more": other}, "monte_carlo").set_index(["subgroup", "level", "outcome"])
    inside = t.loc[("aces_4_plus", "in", "use_days_pp_year")]
    outside = t.loc[("aces_4_plus", "out", "use_days_pp_year")]
    assert inside["effect"] == pytest.approx(-30.0, abs=0.5) and abs(outside["effect"]) < 0.5
    assert inside["interaction"] == pytest.approx(-30.0, abs=0.5) and inside["p_interaction"] < 1e-6
    assert t.loc[("prior_cps", "in", "use_days_pp_year"), "p_interaction"] > 1e-3
    assert t.loc[("aces_4_plus", "in", "cps_report"), "effect"] == 0.0
    assert len(t) == 2 * len(SUBGROUPS) * len(OUTCOMES)


def test_tables_of_other_dyads_are_refused() -> None:
    rng = np.random.default_rng(4)
    base = _table(rng)
    with pytest.raises(ValueError, match="same dyads"):
        subgroup_effects(base, {"x": base.assign(dyad_id=base["dyad_id"] + 1)}, "monte_carlo")


def test_compare_writes_subgroups_table_and_forest_plot(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["compare", str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml"),
                                    "--dyads", "60", "--replicates", "3", "--parameters", "point",
                                    "--out", str(tmp_path / "c"), "--no-progress"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(tmp_path / "c" / "subgroups.csv")
    assert set(t["subgroup"]) == set(SUBGROUPS) and set(t["level"]) == {"in", "out"}
    assert (tmp_path / "c" / "figures" / "subgroups_1.png").is_file()
    page = (tmp_path / "c" / "compare.html").read_text(encoding="utf-8")
    assert "Effects by subgroup" in page and "alt='Forest plot" in page

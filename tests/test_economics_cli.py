"""``dyadsim economics`` end to end on a small run: the folder, its tables, the CHEERS checklist,
common random numbers across strategies, and bad input refused before anything is simulated."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from dyadsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
UC, MORE = str(ROOT / "examples" / "usual_care.yaml"), str(ROOT / "examples" / "more_with_supports.yaml")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Usual care, a copy of it under another name, and MORE with supports: 40 dyads x 4 prior draws."""
    where = tmp_path_factory.mktemp("econ")
    twin = yaml.safe_load(Path(UC).read_text(encoding="utf-8")) | {"name": "usual_care_again"}
    (where / "twin.yaml").write_text(yaml.safe_dump(twin), encoding="utf-8")
    out = where / "out"
    done = CliRunner().invoke(main, ["economics", UC, str(where / "twin.yaml"), MORE, "--dyads", "40",
                                     "--parameter-draws", "4", "--parameters", "prior", "--wtp", "50000,100000",
                                     "--out", str(out), "--no-progress"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "frontier (payer)" in done.output and "EVPI" in done.output
    return out


def test_the_folder_holds_every_table_and_the_report(run_folder: Path):
    for f in ("economics.html", "strategies.csv", "incremental.csv", "psa.csv", "ceac.csv", "evppi.csv",
              "inputs.csv", "cheers.csv", "quantities.csv", "differences.csv", "figures/ce_plane.png",
              "figures/ceac.png", "manifest.json"):
        assert (run_folder / f).is_file(), f
    man = json.loads((run_folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["economics"]["price_year"] == 2022 and man["economics"]["discount_rate"] == 0.03
    assert man["replicates"] == 4 and man["names"] == ["usual_care", "usual_care_again", "more_with_supports"]
    assert not (run_folder / "outcomes").exists()  # per-dyad outcomes only with --keep-outcomes


def test_strategies_per_1000_births_and_the_incremental_tables(run_folder: Path):
    s = pd.read_csv(run_folder / "strategies.csv").set_index("strategy")
    assert (s.cost_societal >= s.cost_payer).all()
    assert s.qaly_dyad.to_dict() == pytest.approx((s.qaly_mother + s.qaly_infant).to_dict())
    # per 1,000 births: every dyad a birth, each infant followed about a year
    assert s.infant_life_years.between(900, 1010).all()
    inc = pd.read_csv(run_folder / "incremental.csv")
    assert set(inc.perspective) == {"payer", "societal"}
    assert set(inc.status) <= {"ND", "D", "ED"}
    assert {"nmb_50000", "nhb_100000"} <= set(inc.columns)
    cheers = pd.read_csv(run_folder / "cheers.csv")
    assert list(cheers.item) == list(range(1, 29)) and cheers["where"].notna().all()


def test_common_random_numbers_make_a_copy_of_the_comparator_cost_and_gain_nothing(run_folder: Path):
    """The same strategy under another name meets the same dyads, seeds, parameter draws and input
    draws, so its costs and QALYs equal the comparator's in every draw, exactly."""
    psa = pd.read_csv(run_folder / "psa.csv")
    a = psa[psa.strategy == "usual_care"].set_index("draw")
    b = psa[psa.strategy == "usual_care_again"].set_index("draw")
    pd.testing.assert_frame_equal(a.drop(columns="strategy"), b.drop(columns="strategy"))
    ceac = pd.read_csv(run_folder / "ceac.csv")
    assert ceac.groupby("wtp").probability_best.sum().round(12).eq(1.0).all()


@pytest.mark.parametrize("args, says", [
    (["--wtp", "abc"], "--wtp"),
    (["--wtp", "-5"], "--wtp"),
    (["--discount", "0.5"], "--discount"),
    (["--extrapolate-years", "forever"], "--extrapolate-years"),
    (["--parameters", "point", "--parameter-draws", "3"], "--parameter-draws"),
])
def test_bad_options_are_refused_before_simulating(tmp_path: Path, args: list[str], says: str):
    done = CliRunner().invoke(main, ["economics", UC, MORE, "--out", str(tmp_path / "o"), *args])
    assert done.exit_code == 2 and says in done.output, done.output
    assert not (tmp_path / "o").exists()


def test_a_bad_inputs_file_is_named(tmp_path: Path):
    bad = tmp_path / "costs.yaml"
    bad.write_text("currency: USD\nprice_year: 2022\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["economics", UC, MORE, "--inputs", str(bad), "--out", str(tmp_path / "o")])
    assert done.exit_code == 2 and str(bad) in done.output and "field" in done.output, done.output


def test_show_inputs_prints_the_shipped_file():
    done = CliRunner().invoke(main, ["economics", "--show-inputs"])
    assert done.exit_code == 0 and "price_year:" in done.output and "Winkelman" in done.output


def test_extrapolation_is_labelled_and_outcomes_kept_on_request(tmp_path: Path):
    out = tmp_path / "o"
    done = CliRunner().invoke(main, ["economics", UC, MORE, "--dyads", "20", "--parameters", "point",
                                     "--extrapolate-years", "life", "--keep-outcomes", "--out", str(out),
                                     "--no-progress"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert man["economics"]["extrapolate_years"] == 50 and "life expectancy" in man["economics"]["extrapolation"]
    assert "EXTRAPOLATION" in (out / "economics.html").read_text(encoding="utf-8")
    s = pd.read_csv(out / "strategies.csv")
    assert (s.infant_life_years > 50_000).all()  # a year followed and 50 carried, per 1,000 births
    assert sorted(p.name for p in (out / "outcomes").glob("*.parquet")) == ["more_with_supports.parquet",
                                                                          "usual_care.parquet"]

"""The expected value of sample information (EVSI) of a proposed trial: the regression estimator
against the closed form of the normal-normal conjugate case, and ``dyadsim economics --evsi-trial``
end to end on a small run, with bad trial files refused by name."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from scipy.stats import norm

from dyadsim.cli import main
from dyadsim.economics.voi import evsi_table

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def _expected_max0(mu: float, s: float) -> float:
    """E[max(0, M)] - max(0, mu) for M ~ N(mu, s^2): the value of resolving the decision's
    uncertainty down to a normal posterior mean of spread ``s``."""
    return s * norm.pdf(mu / s) + mu * norm.cdf(mu / s) - max(0.0, mu)


MU0, SD0, SIGMA, GRID = 0.2, 1.0, 5.0, [10, 40, 160, 640]


def _conjugate(seed: int, k: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic draws, no model: incremental net benefit theta ~ N(MU0, SD0^2) plus noise a study
    cannot learn; a trial of n per arm reports X_n = theta + SIGMA / sqrt(n) Z (the same Z at every
    size: common random numbers across sizes)."""
    rng = np.random.default_rng(seed)
    theta, z, noise = rng.normal(MU0, SD0, k), rng.normal(size=k), rng.normal(size=k)
    x = np.stack([theta + SIGMA / np.sqrt(n) * z for n in GRID], axis=1)
    return np.stack([np.zeros(k), theta + noise], axis=1), x, theta


def test_evsi_matches_the_normal_normal_closed_form_and_rises_with_n_to_below_the_evpi():
    """The posterior mean m of theta given X_n is MU0 + w (X_n - MU0), w = SD0^2 / (SD0^2 + SIGMA^2 / n);
    over X_n it is normal with mean MU0 and spread w sqrt(SD0^2 + SIGMA^2 / n) = SD0^2 / sqrt(SD0^2 +
    SIGMA^2 / n), and the noise has mean 0 given X_n, so EVSI(n) = E[max(0, m)] - max(0, MU0)."""
    nmb, x, _ = _conjugate(5)
    rows = pd.DataFrame(evsi_table({1.0: nmb}, x, GRID, seed=1))
    exact = np.array([_expected_max0(MU0, SD0**2 / np.sqrt(SD0**2 + SIGMA**2 / n)) for n in GRID])
    assert np.diff(exact).min() > 0.015  # the known answer rises with n
    est, se = rows["evsi"].to_numpy(), rows["se"].to_numpy()
    assert (se > 0).all() and (se < 0.03).all()
    assert np.abs(est - exact).max() < 3 * se.max(), (est, exact, se)  # within 3 bootstrap SEs
    assert (est >= 0).all()
    assert (np.diff(est) > -2 * se[1:]).all(), est  # non-decreasing within 2 SEs
    assert (est <= rows["evpi"].to_numpy() + 2 * se).all()  # bounded by the EVPI
    assert (rows["lower"] <= rows["evsi"]).all() and (rows["evsi"] <= rows["upper"]).all()
    assert rows["note"].eq("").all()  # 2,000 draws: not flagged rough


def test_evsi_of_a_study_that_says_nothing_about_net_benefit_is_near_zero():
    nmb, x, _ = _conjugate(6)
    unrelated = np.random.default_rng(7).normal(size=x.shape)
    rows = pd.DataFrame(evsi_table({1.0: nmb}, unrelated, GRID, seed=1))
    assert (rows["evsi"] < 3 * rows["se"] + 0.01).all(), rows  # only the overfit of noise remains
    assert rows["evpi"].iloc[0] > 0.3


def test_evsi_with_too_few_draws_says_why():
    nmb, x, _ = _conjugate(8, k=6)
    rows = evsi_table({1.0: nmb}, x, GRID)
    assert all(np.isnan(r["evsi"]) and "needs at least 10 draws" in str(r["note"]) for r in rows)


def _trial_file(where: Path, arms: list[tuple[str, str]], **extra: object) -> Path:
    """A copy of the example trial with its arms pointing at ``arms`` (name, example file)."""
    t = yaml.safe_load((EX / "trial_perinatal_more.yaml").read_text(encoding="utf-8"))
    t["arms"] = [{"name": n, "scenario": str(EX / f)} for n, f in arms]
    t.update(extra)
    path = where / "trial.yaml"
    path.write_text(yaml.safe_dump(t), encoding="utf-8")
    return path


def test_evsi_end_to_end_on_a_small_run(tmp_path: Path):
    trial = _trial_file(tmp_path, [("control", "usual_care.yaml"), ("more", "more_prenatal.yaml")])
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["economics", str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml"),
                                     "--dyads", "20", "--parameter-draws", "12", "--parameters", "prior",
                                     "--wtp", "100000", "--evsi-trial", str(trial), "--evsi-n", "10,40",
                                     "--evsi-pool", "200", "--out", str(out), "--no-progress"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "EVSI at 100,000/QALY, 40 per arm" in done.output
    ev = pd.read_csv(out / "evsi.csv")
    assert list(ev["n"]) == [10, 40] and (ev["wtp"] == 100000).all()
    assert ev["evsi"].notna().all() and (ev["evsi"] >= 0).all()
    assert ev["note"].str.startswith("rough: 12 draws").all()  # under EVSI_ROUGH draws it says so
    assert (ev["evsi"] <= ev["evpi"] + 3 * ev["se"] + 1e-12).all()
    assert ev["evsi_per_1000"].to_numpy() == pytest.approx(1000 * ev["evsi"].to_numpy())
    assert (out / "figures" / "evsi.png").is_file()
    page = (out / "economics.html").read_text(encoding="utf-8")
    assert "Value of sample information: trial perinatal_more" in page
    cheers = pd.read_csv(out / "cheers.csv").set_index("item")
    assert "EVSI of the proposed trial perinatal_more" in cheers.loc[20, "where"]


@pytest.mark.parametrize("arms, extra, field", [
    ([("control", "usual_care.yaml"), ("mp", "mindful_parenting.yaml")], {}, "arms.1.scenario"),
    ([("control", "usual_care.yaml"), ("a", "more_prenatal.yaml"), ("b", "usual_care.yaml")],
     {"allocation": [1, 1, 1]}, "arms"),
])
def test_a_trial_whose_arms_are_not_two_of_the_strategies_is_refused(tmp_path: Path, arms, extra, field):
    trial = _trial_file(tmp_path, arms, **extra)
    done = CliRunner().invoke(main, ["economics", str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml"),
                                     "--dyads", "20", "--parameter-draws", "2", "--evsi-trial", str(trial),
                                     "--out", str(tmp_path / "out"), "--no-progress"])
    assert done.exit_code != 0
    assert str(trial) in done.output and field in done.output, done.output
    assert not (tmp_path / "out").exists()


def test_evsi_sizes_need_the_trial(tmp_path: Path):
    done = CliRunner().invoke(main, ["economics", str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml"),
                                     "--evsi-n", "50", "--out", str(tmp_path / "out"), "--no-progress"])
    assert done.exit_code != 0 and "--evsi-n" in done.output and "--evsi-trial" in done.output


@pytest.mark.parametrize("kwargs, field", [({"wtp": "abc"}, "wtp"), ({"evsi_n": [50]}, "evsi_trial"),
                                           ({"discount": 0.5}, "discount"),
                                           ({"evsi_trial": str(EX / "trial_perinatal_more.yaml"), "evsi_pool": 10,
                                             "parameter_draws": 2}, "evsi_pool")])
def test_the_python_face_names_its_own_arguments(kwargs, field):
    from dyadsim.api import economics
    from dyadsim.core.errors import InputError

    with pytest.raises(InputError) as err:
        economics([str(EX / "usual_care.yaml"), str(EX / "more_prenatal.yaml")], **kwargs)
    assert err.value.file == "economics" and err.value.field == field

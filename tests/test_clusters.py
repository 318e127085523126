"""Cluster-randomised and stepped-wedge trials: the estimators against known answers (synthetic
data, no model dynamics), the design checks, and small end-to-end runs through the CLI.

Stochastic checks use fixed seeds and state their tolerance in standard errors.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from dyadsim.cli import main
from dyadsim.core.errors import InputError
from dyadsim.trials.cluster_design import SiteEffect
from dyadsim.trials.design import load_trial
from dyadsim.trials.icc import anova_icc, observed_design_effect, textbook_design_effect
from dyadsim.trials.lmm import fit_random_intercept
from dyadsim.trials.site_run import design_effects
from dyadsim.trials.sites import SiteTaker, build_site_pools, shifted
from dyadsim.trials.stepped_wedge import design_matrix, fit_hussey_hughes, hh_power, hh_synthetic, hh_variance

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def site_trial(tmp: Path, block: str = "clusters", **extra: Any) -> Path:
    """A small site-randomised trial file over the example scenarios (small pools of sites)."""
    sites: dict[str, Any] = {
        "clusters": {"sites_per_arm": 4, "dyads_per_site": {"distribution": "poisson", "mean": 5},
                     "site_effects": [{"parameter": "moud.stop_hazard", "scale": "log", "sd": 0.5},
                                      {"parameter": "programs.more_attendance", "scale": "logit", "sd": 0.8}],
                     "analysis": "gee", "pool_sites": 10, "pool_per_site": 30},
        "stepped_wedge": {"sites": 4, "steps": 2, "dyads_per_period": {"mean": 2},
                          "site_effects": [{"parameter": "moud.stop_hazard", "scale": "log", "sd": 0.5}],
                          "pool_sites": 10, "pool_per_site": 30},
    }[block]
    doc: dict[str, Any] = {
        "name": "small_sites", "arms": [{"name": "control", "scenario": str(EX / "usual_care.yaml")},
                                        {"name": "treated", "scenario": str(EX / "more_prenatal.yaml")}],
        "seed": 5, "schedule": {"postpartum_months": [1, 3, 6]},
        "primary": {"name": "craving_3", "measure": "craving_nrs", "month": 3, "model": "linear",
                    "lower_is_better": True},
        "secondary": [{"name": "use_1_3", "measure": "tlfb_days", "months": [1, 3], "model": "count"}],
        block: sites,
    }
    for k, v in extra.items():
        if k in ("clusters", "stepped_wedge") and isinstance(v, dict):
            doc[k] = {**doc.get(k, {}), **v}
        else:
            doc[k] = v
    path = tmp / "trial.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


# 1. The random-intercept LMM is statsmodels' MixedLM ---------------------------------------------

@pytest.mark.parametrize("seed", [1, 2, 4])
def test_random_intercept_lmm_matches_statsmodels(seed: int) -> None:
    import statsmodels.api as sm

    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 15, 25)
    g = np.repeat(np.arange(25), sizes)
    x = np.column_stack([np.ones(len(g)), (g % 2).astype(float), rng.normal(size=len(g))])
    y = x @ [1.0, 0.4, 0.5] + rng.normal(0, 0.6, 25)[g] + rng.normal(size=len(g))
    fit = fit_random_intercept(y, x, g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sm.MixedLM(y, x, groups=g).fit(reml=True)
    assert ref.converged  # (statsmodels' own search does not always converge: seed 3 here does not)
    assert np.allclose(fit.beta, ref.fe_params, atol=1e-5)
    assert fit.tau2 == pytest.approx(float(np.asarray(ref.cov_re)[0, 0]), rel=1e-3)
    assert fit.sigma2 == pytest.approx(ref.scale, rel=1e-3)
    assert np.allclose(np.sqrt(np.diag(fit.cov)), ref.bse_fe, rtol=0.01)


# 2. The ICC estimator and the design effect on synthetic data with a known ICC --------------------

def _clustered(rng: np.random.Generator, sizes: np.ndarray, icc: float) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes with total variance 1 and intra-cluster correlation ``icc`` (normal site intercepts)."""
    site = np.repeat(np.arange(len(sizes)), sizes)
    y = rng.normal(0, math.sqrt(icc), len(sizes))[site] + rng.normal(0, math.sqrt(1 - icc), len(site))
    return y, site


@pytest.mark.parametrize("icc, unequal", [(0.05, False), (0.2, True)])
def test_anova_icc_recovers_a_known_icc(icc: float, unequal: bool) -> None:
    rng = np.random.default_rng([17, int(unequal)])
    est = []
    for _ in range(400):
        sizes = rng.integers(3, 18, 30) if unequal else np.full(30, 10)
        y, site = _clustered(rng, sizes, icc)
        arm = (np.arange(30) % 2)[site]
        est.append(anova_icc(y + 3.0 * arm, site, arm))  # an arm effect must not pass for clustering
    est = np.array(est)
    se = est.std(ddof=1) / math.sqrt(len(est))
    # The ANOVA estimator is unbiased to first order; its O(1/K) bias is far below 3 SE here.
    assert abs(est.mean() - icc) < 3 * se, (est.mean(), icc, se)


def test_observed_design_effect_matches_the_textbook_formula() -> None:
    """Cluster vs individual randomisation of the same mothers, outcomes with a known ICC: the
    variance ratio of the difference in means equals 1 + ((cv^2 + 1) m - 1) ICC within 3 SE."""
    rng = np.random.default_rng(29)
    icc, k = 0.08, 20
    rows = []
    for r in range(2000):
        sizes = np.maximum(rng.poisson(rng.gamma(4.0, 10 / 4.0, k)), 2)  # negative binomial, mean about 10
        y, site = _clustered(rng, sizes, icc)
        arm_c = rng.permutation(np.repeat([0, 1], k // 2))[site]
        arm_i = rng.permutation(np.repeat([0, 1], len(y) // 2 + 1))[:len(y)]
        diff = [float(y[a == 1].mean() - y[a == 0].mean()) for a in (arm_c, arm_i)]
        rows.append({"target": "y", "kind": "primary", "sites": k // 2, "per_site": 10.0, "icc": anova_icc(y, site, arm_c),
                     "difference_cluster": diff[0], "difference_individual": diff[1],
                     "mean_size": float(sizes.mean()), "cv_size": float(sizes.std() / sizes.mean())})
    de = design_effects(pd.DataFrame(rows), pd.DataFrame({"outcome": ["y"], "true_icc": [icc]})).iloc[0]
    assert de["observed_de"] == pytest.approx(de["textbook_de_true_icc"], abs=3 * de["observed_de_se"])
    assert abs(de["icc"] - icc) < 3 * de["icc_se"]
    assert de["textbook_de_true_icc"] > 1.5  # a design effect worth detecting: m is about 10
    # the equal-size formula is the special case cv = 0
    assert textbook_design_effect(10, 0.0, 0.08) == pytest.approx(1 + 9 * 0.08)


def test_observed_design_effect_is_one_without_clustering() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=3000), rng.normal(size=3000)
    ratio, se = observed_design_effect(a, b)
    assert abs(ratio - 1.0) < 3 * se and 0 < se < 0.1


# 3. Stepped wedge: Hussey & Hughes closed form -----------------------------------------------------

def test_hh_variance_is_the_gls_variance_of_cluster_period_means() -> None:
    """The closed form of Hussey & Hughes (2007) equals (Z' V^-1 Z)^-1 for the cluster-period means."""
    x = design_matrix(12, 4)
    i, t = x.shape
    s2e, tau2, m = 2.0, 0.3, 6
    z = np.column_stack([np.ones(i * t)] + [np.tile(np.arange(t) == j, i).astype(float) for j in range(1, t)]
                        + [x.ravel()])
    v = np.kron(np.eye(i), s2e / m * np.eye(t) + tau2 * np.ones((t, t)))
    gls = np.linalg.inv(z.T @ np.linalg.solve(v, z))[-1, -1]
    assert hh_variance(x, s2e, tau2, m) == pytest.approx(gls, rel=1e-10)


def test_stepped_wedge_power_matches_hussey_hughes_closed_form() -> None:
    """Outcomes drawn from the HH model itself (no model dynamics), analysed by the HH mixed model
    with a normal reference: the simulated power is within 3 Monte Carlo SE of the closed form
    (the SE counts the simulation only; REML's estimated variances are the remaining difference,
    small with 24 sites)."""
    rng = np.random.default_rng(31)
    sites, steps, m, theta, tau2, s2e = 24, 4, 5, 0.33, 0.05, 1.0
    closed = hh_power(theta, hh_variance(design_matrix(sites, steps), s2e, tau2, m))
    assert 0.5 < closed < 0.9  # a power where a miss would show
    reps, hits, est = 600, 0, []
    for _ in range(reps):
        x = design_matrix(sites, steps, rng.permutation(sites))
        d = hh_synthetic(x, m, theta, tau2, s2e, np.linspace(0.0, 0.8, steps + 1), rng)
        b, se, _ = fit_hussey_hughes(d["y"].to_numpy(), d["site"].to_numpy(), d["period"].to_numpy(),
                                     d["treated"].to_numpy(), steps + 1)
        hits += abs(b / se) > 1.959964
        est.append(b)
    p = hits / reps
    assert abs(p - closed) < 3 * math.sqrt(closed * (1 - closed) / reps), (p, closed)
    assert abs(np.mean(est) - theta) < 3 * np.std(est) / math.sqrt(reps)  # unbiased despite period effects


# 4. Site values, CRN and the taker ------------------------------------------------------------------

def test_site_shift_stays_in_the_plausible_range() -> None:
    e = SiteEffect(parameter="programs.more_attendance", scale="logit", sd=3.0)
    vals = [shifted(0.8, e, z) for z in np.linspace(-4, 4, 41)]
    assert all(0.0 <= v <= 1.0 for v in vals) and vals == sorted(vals)
    assert shifted(0.8, e, 0.0) == pytest.approx(0.8)


def test_sites_share_parameters_across_arms_and_a_site_drawn_twice_gives_other_mothers(tmp_path: Path) -> None:
    trial, specs = load_trial(site_trial(tmp_path))
    sp = build_site_pools(trial, specs, lazy=True)
    site = sp.site(3)
    # common random numbers: the two arms of one site hold the same mothers (same baselines)
    assert len(sp.built) == 1 and site.matrix.shape[0] == 2
    taker = SiteTaker(sp, np.random.default_rng(1))
    a, b = taker.take(3, 5), taker.take(3, 5)
    assert len(set(a) & set(b)) == 0 and len(a) == len(b) == 5


# 5. Bad blocks are refused with the file and the field ------------------------------------------------

@pytest.mark.parametrize("change, field, words", [
    ({"clusters": {"site_effects": [{"parameter": "moud.nope", "sd": 0.5}]}}, "clusters.site_effects.0.parameter",
     "not a model parameter"),
    ({"clusters": {"site_effects": [{"parameter": "overdose.potency_log_or", "scale": "log", "sd": 0.5}]}},
     "clusters.site_effects.0.scale", "use scale logit or identity"),
    ({"clusters": {"sites": 8}}, "clusters", "exactly one of sites_per_arm"),
    ({"clusters": {"dyads_per_site": {"distribution": "negative_binomial", "mean": 5}}}, "clusters.dyads_per_site",
     "needs dispersion"),
    ({"clusters": {"dyads_per_site": {"distribution": "fixed", "mean": 5.5}}}, "clusters.dyads_per_site",
     "whole-number"),
    ({"n_per_arm": 40}, "(file)", "n_per_arm is for individually randomised"),
    ({"primary": {"name": "t", "measure": "time_to_first_use", "month": 6, "model": "survival"}}, "(file)",
     "not available"),
])
def test_bad_cluster_blocks_are_refused(tmp_path: Path, change: dict[str, Any], field: str, words: str) -> None:
    path = site_trial(tmp_path, **change)
    with pytest.raises(InputError) as info:
        load_trial(path)
    assert info.value.file == str(path) and words in info.value.allowed, (info.value.field, info.value.allowed)
    assert field in info.value.field or field == "(file)", info.value.field


@pytest.mark.parametrize("change, words", [
    ({"stepped_wedge": {"sites": 5}}, "multiple of steps"),
    ({"arms": [{"name": f"a{i}", "scenario": str(EX / "usual_care.yaml")} for i in range(3)]}, "two conditions"),
])
def test_bad_stepped_wedge_blocks_are_refused(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    path = site_trial(tmp_path, "stepped_wedge", **change)
    with pytest.raises(InputError) as info:
        load_trial(path)
    assert words in info.value.allowed


def test_a_pool_too_shallow_for_the_sites_is_refused(tmp_path: Path) -> None:
    # asked for more than the pool sites were simulated with: refused before anything runs
    path = site_trial(tmp_path, "stepped_wedge")
    res = CliRunner().invoke(main, ["power", str(path), "--reps", "10", "--parameters", "point", "--per-site", "6",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 2 and "--per-site" in res.output and "pool_per_site" in res.output, res.output
    # fewer eligible mothers per pool site than a site drawn twice would take
    path = site_trial(tmp_path, "stepped_wedge", eligibility={"gest_week": [10.0, 30.0]},
                      stepped_wedge={"dyads_per_period": {"mean": 5}})
    res = CliRunner().invoke(main, ["power", str(path), "--reps", "10", "--parameters", "point",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 2 and "stepped_wedge.pool_per_site" in res.output and "at least" in res.output, \
        res.output
    assert not (tmp_path / "p").exists()


# 6. End to end ----------------------------------------------------------------------------------------

def test_cluster_trial_and_power_end_to_end(tmp_path: Path) -> None:
    path = site_trial(tmp_path)
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(tmp_path / "t"), "--parameters", "point",
                                    "--no-progress"])
    assert res.exit_code == 0, res.output
    est = pd.read_csv(tmp_path / "t" / "estimates.csv")
    assert list(est["outcome"]) == ["craving_3", "use_1_3"] and est["sites"].max() == 8
    assert set(est["scale"]) == {"difference", "rate_ratio"}
    res = CliRunner().invoke(main, ["power", str(path), "--n", "4,6", "--per-site", "4,6", "--reps", "10",
                                    "--parameters", "point", "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 0, res.output
    power = pd.read_csv(tmp_path / "p" / "power.csv")
    assert len(power) == 2 * 2 * 2 and power["power"].between(0, 1).all() and (power["replicates"] == 10).all()
    de = pd.read_csv(tmp_path / "p" / "design_effect.csv")
    assert len(de) == 8 and np.isfinite(de["observed_de"]).all() and np.isfinite(de["textbook_de"]).all()
    assert "design effect observed" in res.output and "sites per arm for 80%" in res.output
    assert (tmp_path / "p" / "required_sites.csv").is_file() and not (tmp_path / ".p.work").exists()


def test_stepped_wedge_trial_and_power_end_to_end(tmp_path: Path) -> None:
    path = site_trial(tmp_path, "stepped_wedge")
    res = CliRunner().invoke(main, ["trial", str(path), "--out", str(tmp_path / "t"), "--parameters", "point",
                                    "--no-progress"])
    assert res.exit_code == 0, res.output
    part = pd.read_parquet(tmp_path / "t" / "participants.parquet")
    # every site starts in control and ends in intervention; one site in two crosses at each step
    by = part.groupby(["site", "period"])["arm"].first().unstack()
    assert (by[0] == 0).all() and (by[2] == 1).all() and by[1].sum() == 2
    res = CliRunner().invoke(main, ["power", str(path), "--n", "4,8", "--reps", "10", "--parameters", "point",
                                    "--out", str(tmp_path / "p"), "--no-progress"])
    assert res.exit_code == 0, res.output
    closed = pd.read_csv(tmp_path / "p" / "closed_form.csv")
    assert len(closed) == 2 * 2 and closed["closed_form_power"].between(0, 1).all()
    assert "Hussey-Hughes closed form" in res.output


def test_cluster_trial_by_mixed_model(tmp_path: Path) -> None:
    path = site_trial(tmp_path, clusters={"analysis": "mixed"})
    trial, specs = load_trial(path)
    from dyadsim.trials.clusters import analyse_cluster_outcomes, draw_cluster_trial

    sp = build_site_pools(trial, specs, lazy=True)
    data, individual = draw_cluster_trial(sp, 4, 5.0, np.random.default_rng(2))
    est = analyse_cluster_outcomes(trial, data, individual)
    assert set(est["model"]) == {"mixed"} and set(est["scale"]) == {"difference"} and est["converged"].all()
    assert (est["df"] == 8 - 2).all()  # t on sites minus arms
    # the individually randomised counterpart holds the same mothers, not balanced within sites
    assert (individual[["site", "id"]].to_numpy() == data[["site", "id"]].to_numpy()).all()
    assert individual.groupby("site")["arm"].mean().std() > 0.05


def test_separation_is_a_failure_not_a_rejection(tmp_path: Path) -> None:
    """A binary outcome with no event in one arm has no finite odds ratio: the replicate fails
    (counted as no rejection) and says why, instead of a spurious sandwich-SE Wald test."""
    from dyadsim.trials.clusters import analyse_cluster_outcomes

    path = site_trial(tmp_path, secondary=[{"name": "flag_3", "measure": "epds_flag", "month": 3,
                                            "model": "logistic"}])
    trial, _ = load_trial(path)
    rng = np.random.default_rng(8)
    site = np.repeat(np.arange(8), 6)
    arm = (site % 2).astype(np.int64)
    data = pd.DataFrame({"site": site, "arm": arm, "craving_3": rng.normal(size=48),
                         "flag_3": np.where(arm == 0, 0.0, (rng.random(48) < 0.5).astype(float))})
    est = analyse_cluster_outcomes(trial, data).set_index("outcome")
    assert est.loc["craving_3", "converged"] and not est.loc["flag_3", "converged"]
    assert "separation" in est.loc["flag_3", "failure"] and not est.loc["flag_3", "reject"]

"""Cluster-randomised trials: drawing one from the pool of sites, and analysing it.

A replicate trial (:func:`draw_cluster_trial`) draws ``sites_per_unit x sum(ratio)`` sites from
the pool of sites (:mod:`dyadsim.trials.sites`, with replacement), a size for each from the
file's distribution, randomises the sites to the arms in the allocation ratio (complete
randomisation of sites with fixed numbers per arm), enrols that many eligible mothers at each
site, and observes them under their site's arm with the trial's drop-out
(:class:`dyadsim.trials.design.Attrition`). The same mothers are also randomised individually (permuted
blocks of the allocation total over the mothers in a random order, ignoring site) on the same
drop-out random numbers: the design
effect observed is the ratio of the two designs' variances of the effect estimate over replicates.

Analysis (:func:`analyse_cluster_outcomes`), per outcome at its month, complete cases:

* ``gee``: GEE with exchangeable working correlation on site (statsmodels), the measure's family
  (identity for scores, logit for binary, log for counts), the bias-reduced sandwich covariance of
  Mancl & DeRouen (2001): the plain sandwich is anti-conservative with fewer than about 40 sites
  (Li & Redden 2015, Stat. Med. 34:281-296);
* ``mixed``: linear mixed model with a random site intercept (REML, :mod:`dyadsim.trials.lmm`), a
  difference in means on the measure's scale;

both tested by t on sites minus arms degrees of freedom (the between-within rule), the
baseline covariate when the outcome asks for it (strata are for individual randomisation and
are not used). Secondary outcomes take the plan's multiplicity adjustment.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dyadsim.trials.analysis import adjust
from dyadsim.trials.design import Outcome, Trial
from dyadsim.trials.icc import anova_icc, difference_in_means
from dyadsim.trials.lmm import fit_random_intercept
from dyadsim.trials.measures import MEASURES
from dyadsim.trials.simulate import _blocks, _dropouts
from dyadsim.trials.sites import SitePools, SiteTaker, draw_sizes

CLUSTER_COLUMNS: tuple[str, ...] = (
    "outcome", "role", "arm", "model", "scale", "estimate", "ci_low", "ci_high", "p_value", "p_adjusted",
    "reject", "df", "icc", "sites", "n_control", "n_treatment", "difference_cluster", "difference_individual",
    "mean_size", "cv_size", "converged", "failure")
"""Columns of a cluster trial's estimates: one row per outcome and treatment arm. ``icc``: the
ANOVA estimate on the trial's data; ``difference_cluster`` / ``difference_individual``: the
unadjusted difference in means (treatment minus control) of this trial and of the same mothers
randomised individually; ``mean_size``, ``cv_size``: of the analysed site sizes (cv with the
population SD, as in Eldridge et al. 2006)."""


MAX_LOG_RATIO = 10.0
"""Largest |log odds ratio| or |log rate ratio| taken as an estimate (a ratio of about 22,000).

Beyond it the fit has run off to infinity (quasi-separation: an arm or the sites of an arm with
no events or only events), where a sandwich SE can be small and a Wald test spuriously
significant (Albert & Anderson 1984; Heinze & Schemper 2002): such a replicate is counted as a
failure (no rejection), as the analysis of individually randomised trials counts separation."""


def _observed(trial: Trial, sp: SitePools, arm: np.ndarray, mat: np.ndarray,
              rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each outcome as observed (NaN after drop-out) for mothers with values ``mat`` under ``arm``."""
    col = {c: mat[:, j] for j, c in enumerate(sp.columns)}
    dropout = _dropouts(col, trial, rng)
    out = {"arm": arm, "dropout_month": dropout}
    for o in trial.outcomes:
        out[o.name] = np.where(dropout > o.last_month, col[o.name], np.nan)
    return out


def draw_cluster_trial(sp: SitePools, sites_per_unit: int, mean_size: float,
                       rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One cluster trial and the same mothers randomised individually (see the module doc).

    Returns the two participants tables: ``site`` (trial site, 0-based), ``pool_site``, ``id``
    (row of the site's pool), ``arm``, ``base_<outcome>``, ``dropout_month`` and each outcome.
    """
    trial = sp.trial
    block = trial.clusters
    assert block is not None
    ratio = trial.ratio
    k = sites_per_unit * sum(ratio)
    picks = rng.integers(0, len(sp.sites), size=k)
    sizes = draw_sizes(block.dyads_per_site, mean_size, k, rng)
    site_arm = rng.permutation(np.repeat(np.arange(len(ratio)), np.array(ratio) * sites_per_unit))
    taker = SiteTaker(sp, rng)
    rows = [taker.take(int(p), int(n)) for p, n in zip(picks, sizes)]
    site = np.repeat(np.arange(k), [len(r) for r in rows])
    pool_site = picks[site]
    ids = np.concatenate(rows)
    arm_c = site_arm[site]
    # Individual randomisation ignoring site: permuted blocks over the mothers in a random order
    # (blocks in enrolment order would balance the arms within each site, a site-stratified design
    # whose variance lacks the between-site part and would inflate the design effect observed).
    arm_i = np.empty(len(ids), dtype=np.int64)
    arm_i[rng.permutation(len(ids))] = _blocks(len(ids), ratio, [sum(ratio)], rng)
    drop_seed = int(rng.integers(2**63))
    base: dict[str, np.ndarray] = {"site": site, "pool_site": pool_site, "id": ids}
    first = sp.site(0)
    for c in first.baseline.columns:
        if c.startswith("base_"):
            j = first.baseline_index[c]
            base[c] = np.array([sp.site(p).baseline_matrix[i, j] for p, i in zip(pool_site, ids)])
    frames = []
    for arm in (arm_c, arm_i):
        mat = np.stack([sp.site(p).matrix[a, i] for p, a, i in zip(pool_site, arm, ids)]) if len(ids) else \
            np.empty((0, len(sp.columns)))
        frames.append(pd.DataFrame({**base, **_observed(trial, sp, arm, mat, np.random.default_rng(drop_seed))}))
    return frames[0], frames[1]


def _contrast(y: np.ndarray, arm: np.ndarray, a: int) -> float:
    """Unadjusted difference in means, arm ``a`` minus control."""
    mine = np.isin(arm, [0, a])
    return difference_in_means(y[mine], (arm[mine] == a).astype(np.int64))


def _family(o: Outcome) -> tuple[str, str]:
    kind = MEASURES[o.measure].kind
    return {"continuous": ("gaussian", "difference"), "binary": ("binomial", "odds_ratio"),
            "count": ("poisson", "rate_ratio")}[kind]


def fit_cluster_model(y: np.ndarray, x: np.ndarray, site: np.ndarray, family: str, analysis: str,
                      ) -> tuple[np.ndarray, np.ndarray, str]:
    """Coefficients, their covariance and the model fitted (see the module doc).

    A GEE whose exchangeable working correlation does not converge (it can run to the boundary on
    very skewed counts at a few sites) is refitted with the independence working correlation,
    the pre-specified fallback: its sandwich inference stays valid, only less efficient (Liang &
    Zeger 1986); the model column then says ``gee (independence)``. Where the bias-reduced
    covariance cannot be formed (a site whose binary outcome is all 0 or all 1 makes its leverage
    matrix singular) the plain sandwich is used and the model column says ``robust SE``.
    """
    if analysis == "mixed":
        fit = fit_random_intercept(y, x, site)
        return fit.beta, fit.cov, "mixed"
    import statsmodels.api as sm
    from statsmodels.genmod.cov_struct import Exchangeable, Independence

    fam = {"gaussian": sm.families.Gaussian, "binomial": sm.families.Binomial,
           "poisson": sm.families.Poisson}[family]
    for name, structure in (("gee", Exchangeable), ("gee (independence)", Independence)):
        for cov_type in ("bias_reduced", "robust"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.GEE(y, x, groups=site, cov_struct=structure(), family=fam()).fit(cov_type=cov_type)
            beta, cov = np.asarray(res.params), np.asarray(res.cov_params())
            if not (res.converged and np.all(np.isfinite(beta))):
                break  # the other covariance cannot rescue a fit that did not converge
            if np.all(np.isfinite(np.diag(cov))) and np.all(np.diag(cov) > 0):
                return beta, cov, name if cov_type == "bias_reduced" else f"{name}, robust SE"
    raise RuntimeError("GEE did not converge (exchangeable nor independence working correlation)")


def _sizes(site: np.ndarray) -> tuple[float, float]:
    _, n = np.unique(site, return_counts=True)
    return float(n.mean()), float(n.std(ddof=0) / n.mean()) if len(n) else float("nan")


def analyse_cluster_outcomes(trial: Trial, data: pd.DataFrame, individual: pd.DataFrame | None = None,
                             ) -> pd.DataFrame:
    """Every outcome of one cluster trial (see :data:`CLUSTER_COLUMNS`), multiplicity applied."""
    block = trial.clusters
    assert block is not None
    alpha = trial.analysis.alpha
    rows = []
    for role, o in roles(trial):
        family, scale = _family(o) if block.analysis == "gee" else ("gaussian", "difference")
        cov = f"base_{o.name}" if "baseline" in o.covariates and f"base_{o.name}" in data.columns else None
        keep = data[np.isfinite(data[o.name].to_numpy(np.float64))]
        if cov is not None:
            keep = keep[np.isfinite(keep[cov].to_numpy(np.float64))]
        y = keep[o.name].to_numpy(np.float64)
        arm, site = keep["arm"].to_numpy(), keep["site"].to_numpy()
        n_sites = len(np.unique(site))
        df = n_sites - len(trial.arms)
        icc = anova_icc(y, site, arm)
        mean_size, cv = _sizes(site) if len(site) else (float("nan"), float("nan"))
        for a in range(1, len(trial.arms)):
            row: dict[str, Any] = {"outcome": o.name, "role": role, "arm": trial.arms[a].name,
                                   "model": block.analysis, "scale": scale, "df": df, "icc": icc,
                                   "sites": n_sites, "n_control": int((arm == 0).sum()),
                                   "n_treatment": int((arm == a).sum()), "mean_size": mean_size, "cv_size": cv,
                                   "difference_cluster": _contrast(data[o.name].to_numpy(np.float64), data["arm"].to_numpy(), a),
                                   "difference_individual": np.nan if individual is None else _contrast(
                                       individual[o.name].to_numpy(np.float64), individual["arm"].to_numpy(), a)}
            try:
                if df < 1 or min(row["n_control"], row["n_treatment"]) < 2:
                    raise RuntimeError(f"too few sites or mothers analysed ({n_sites} sites, {len(y)} mothers)")
                x = np.column_stack([np.ones(len(y))] + [(arm == b).astype(np.float64)
                                                         for b in range(1, len(trial.arms))]
                                    + ([keep[cov].to_numpy(np.float64)] if cov else []))
                if family == "binomial":
                    for b_ in (0, a):
                        share = float(y[arm == b_].mean())
                        if share in (0.0, 1.0):  # complete separation: no finite odds ratio
                            raise RuntimeError(f"separation: every analysed mother in {trial.arms[b_].name} has "
                                               f"{o.name} = {share:g}")
                beta, vcov, row["model"] = fit_cluster_model(y, x, site, family, block.analysis)
                b, se = float(beta[a]), float(math.sqrt(vcov[a, a]))
                if not (math.isfinite(b) and math.isfinite(se) and se > 0):
                    raise RuntimeError("non-finite estimate or SE")
                if scale != "difference" and abs(b) > MAX_LOG_RATIO:
                    raise RuntimeError(f"quasi-separation: log {scale.replace('_', ' ')} {b:.3g} beyond "
                                       f"+-{MAX_LOG_RATIO:g} (no finite estimate; its sandwich SE is meaningless)")
                q = float(stats.t.ppf(1 - alpha / 2, df))
                p = float(2 * stats.t.sf(abs(b / se), df))
                lo, hi = b - q * se, b + q * se
                tr = math.exp if scale != "difference" else float
                row.update(estimate=tr(b), ci_low=tr(lo), ci_high=tr(hi), p_value=p, converged=True, failure="")
            except (RuntimeError, np.linalg.LinAlgError, ValueError, OverflowError) as exc:
                row.update(estimate=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, converged=False,
                           failure=str(exc)[:200])
            rows.append(row)
    return decide(pd.DataFrame(rows), trial)[list(CLUSTER_COLUMNS)]


def roles(trial: Trial) -> list[tuple[str, Outcome]]:
    """Every outcome with its role: primary, secondary (the tested family), process."""
    return [("primary", trial.primary)] + [("secondary", o) for o in trial.secondary] + \
        [("process", o) for o in trial.process]


def decide(table: pd.DataFrame, trial: Trial) -> pd.DataFrame:
    """``p_adjusted`` (secondary outcomes by the plan's multiplicity procedure, per treatment arm;
    the primary at alpha alone) and ``reject`` (converged, adjusted p below alpha, never for a
    process measure), as :func:`dyadsim.trials.plan.estimate_outcomes` decides."""
    table["p_adjusted"] = table["p_value"]
    for arm_name in table["arm"].unique():
        sec = (table["role"] == "secondary") & (table["arm"] == arm_name)
        if sec.any():
            table.loc[sec, "p_adjusted"] = adjust(table.loc[sec, "p_value"].fillna(1.0).to_numpy(),
                                                  trial.analysis.multiplicity)
    table["reject"] = (table["p_adjusted"] < trial.analysis.alpha) & table["converged"] & (table["role"] != "process")
    return table

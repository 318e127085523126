"""Assurance: what decides whether a trial succeeds, over the parameter sets of a power analysis.

A power analysis over K parameter sets (:mod:`dyadsim.trials.draws`) gives, per size, the
probability of success averaged over what is not known (assurance; O'Hagan, Stevens & Campbell
2005, Pharm Stat 4:187-201). Two summaries say where that uncertainty comes from:

* the distribution of the true effect over the sets (from each set's pools, no drop-out);
* the drivers of success: for each drawn parameter, a logistic regression of each replicate's
  success (rejection) on the standardized value of that parameter in the replicate's set, one
  parameter at a time (with K sets and up to 16 parameters a joint model would be unstable), with
  its Wald z, with standard errors robust to the clustering of replicates within sets (the
  effective sample is the K sets, not the replicates). A large |z| says the chance of success moves with that parameter; the slope is in
  log-odds per prior-or-posterior standard deviation of the parameter.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dyadsim.config.uncertainty import ParameterDraws

DRIVER_COLUMNS: tuple[str, ...] = ("target", "kind", "n", "parameter", "log_odds_per_sd", "se", "z", "sets")
"""Columns of :func:`success_drivers`."""


def success_drivers(replicates: pd.DataFrame, draws: ParameterDraws, target: str, kind: str,
                    n: int) -> pd.DataFrame:
    """Per parameter of ``draws``: the univariate logistic regression of success on its
    standardized value, over the replicates of ``target`` (``kind``) at size ``n``; sorted by
    |z|. Parameters that do not vary across the sets, and fits that fail (no success or no
    failure at all, separation), are left out."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    rows = replicates[(replicates["target"] == target) & (replicates["kind"] == kind) & (replicates["n"] == n)]
    y = rows["reject"].to_numpy(dtype=float)
    if len(rows) == 0 or y.min() == y.max():
        return pd.DataFrame(columns=list(DRIVER_COLUMNS))
    sets = rows["rep"].to_numpy() % len(draws)
    out = []
    for j, name in enumerate(draws.names):
        x = draws.values[sets, j]
        sd = float(np.std(draws.values[:, j]))
        if not sd > 0:
            continue
        design = sm.add_constant((x - draws.values[:, j].mean()) / sd)
        try:
            with warnings.catch_warnings():  # near-separation is judged below by the SE, not warned
                warnings.simplefilter("ignore")
                # Replicates of one set share everything else the set fixes: SEs robust to that
                # clustering (by set), else a parameter correlated by chance with one that matters
                # across the few sets looks like a driver.
                fit = sm.GLM(y, design, family=sm.families.Binomial()).fit(cov_type="cluster",
                                                                            cov_kwds={"groups": sets})
        except (ValueError, np.linalg.LinAlgError, PerfectSeparationError):
            continue
        b, se = float(fit.params[1]), float(fit.bse[1])
        if np.isfinite(b) and np.isfinite(se) and se > 0:
            out.append((target, kind, int(n), name, b, se, b / se, len(draws)))
    table = pd.DataFrame(out, columns=list(DRIVER_COLUMNS))
    return table.reindex(table["z"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def effect_distribution(truth_by_draw: pd.DataFrame) -> pd.DataFrame:
    """Per outcome and arm: the true effect's mean and 5th, 50th and 95th percentiles over the
    parameter sets (difference and, where defined, ratio)."""
    rows = []
    for (outcome, arm), g in truth_by_draw.groupby(["outcome", "arm"], sort=False):
        row: dict[str, object] = {"outcome": outcome, "arm": arm, "sets": len(g)}
        for col in ("difference", "ratio"):
            v = g[col].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            if len(v):
                q = np.quantile(v, [0.05, 0.5, 0.95])
                row.update({f"{col}_mean": float(v.mean()), f"{col}_p05": float(q[0]),
                            f"{col}_p50": float(q[1]), f"{col}_p95": float(q[2])})
        rows.append(row)
    return pd.DataFrame(rows)

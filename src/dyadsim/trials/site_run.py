"""Drivers of ``dyadsim trial`` and ``dyadsim power`` for site-randomised designs (a trial file
with ``clusters:`` or ``stepped_wedge:``), and their output tables.

Both run on one parameter set (``--parameters``: a posterior member or prior draw chosen for the
file's seed, or the point values): each set needs a pool of sites of its own (pool sites x arms
engine runs), so assurance over parameter sets is left to individually randomised designs here.
A power analysis keeps its pool sites and finished replicate batches in the working folder as
:mod:`dyadsim.trials.run` does, and resumes from them.

Replicate ``r`` of the grid point (sites S, mean size M) draws from
``default_rng([seed, S, round(100 M), r])``, so results do not depend on batching or executor.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError
from dyadsim.core.version import __version__
from dyadsim.run.sweep import Executor, claim, run_tasks
from dyadsim.trials.design import Trial, load_trial
from dyadsim.trials.draws import describe_set, draw_values, record, trial_draws
from dyadsim.trials.icc import observed_design_effect, textbook_design_effect
from dyadsim.trials.power import n_for_power, summarize_power
from dyadsim.trials.run import _load_pools, _mean_over_sets, _save_pools
from dyadsim.trials.simulate import Pools
from dyadsim.trials.sites import SitePools, build_site_pools, pool_truth, site_block

SITE_REPLICATE_COLUMNS: tuple[str, ...] = (
    "sites", "per_site", "rep", "target", "kind", "reject", "estimate", "p_value", "converged", "icc",
    "difference_cluster", "difference_individual", "mean_size", "cv_size")
"""Per-replicate rows of a site-design power analysis: sites (per allocation unit for a cluster
trial, in all for a stepped-wedge one), mean dyads per site (per site and period), replicate,
target, kind, decision, estimate, p value, convergence, the ICC estimate and, for cluster trials,
the unadjusted differences under cluster and individual randomisation and the site sizes."""


def grid_default(trial: Trial) -> tuple[int, float]:
    """The file's own grid point: (sites, mean dyads per site)."""
    if trial.clusters is not None:
        return trial.sites_per_unit, trial.clusters.dyads_per_site.mean
    sw = trial.stepped_wedge
    assert sw is not None
    return sw.sites, sw.dyads_per_period.mean


def check_grid(trial: Trial, sites: list[int], per_site: list[float]) -> None:
    """Refuse grid points the design or the pool cannot give.

    Raises:
        InputError: naming ``--n`` or ``--per-site`` and what is allowed.
    """
    block = site_block(trial)
    if trial.stepped_wedge is not None:
        bad = [s for s in sites if s % trial.stepped_wedge.steps or s < 2]
        if bad:
            raise InputError("command line", "--n", f"a stepped-wedge trial's sites must be multiples of its "
                             f"{trial.stepped_wedge.steps} steps, got {bad}")
    sizes = trial.clusters.dyads_per_site if trial.clusters is not None else \
        trial.stepped_wedge.dyads_per_period  # type: ignore[union-attr]
    if sizes.distribution == "fixed" and any(m != int(m) for m in per_site):
        raise InputError("command line", "--per-site", f"fixed site sizes need whole numbers, got {per_site}")
    need = 3 if trial.clusters is not None else 2 * (trial.stepped_wedge.steps + 1)  # type: ignore[union-attr]
    bad_m = [m for m in per_site if m * need > block.pool_per_site or m < 1]
    if bad_m:
        raise InputError("command line", "--per-site", f"mean dyads per site{'' if trial.clusters else ' and period'} "
                         f"must be from 1 to pool_per_site / {need} = {block.pool_per_site / need:g} (a site's pool "
                         f"must hold several times what a trial takes from it), got {bad_m}; raise "
                         f"{'clusters' if trial.clusters else 'stepped_wedge'}.pool_per_site")


def check_pool_depth(trial: Trial, sp: SitePools, per_site: list[float], origin: str) -> None:
    """Refuse a pool whose sites hold too few eligible mothers for what a trial takes from them.

    A trial site takes ``per_site`` mothers on average (times the periods of a stepped-wedge
    trial); a pool site drawn twice in one trial (sites are drawn with replacement) takes twice
    that, and a draw beyond its eligible mothers would be cut short. So every simulated pool site
    must hold at least twice the largest mean demand.

    Raises:
        InputError: naming ``<block>.pool_per_site`` and the size needed.
    """
    block = site_block(trial)
    periods = trial.stepped_wedge.steps + 1 if trial.stepped_wedge is not None else 1
    demand = max(per_site) * periods
    fewest = min(len(p.eligible) for p in sp.built)
    if fewest >= 2 * demand:
        return
    need = math.ceil(2 * demand * block.pool_per_site / max(fewest, 1))
    where = "clusters" if trial.clusters is not None else "stepped_wedge"
    raise InputError(origin, f"{where}.pool_per_site", f"a pool site holds as few as {fewest} eligible mothers of its "
                     f"{block.pool_per_site}; a trial site takes {demand:g} on average and a site drawn twice twice "
                     f"that; allowed: pool_per_site of at least {need}")


def parse_per_site(text: str) -> list[float]:
    """Mean dyads per site from ``A,B,C`` or ``A:B:STEP``.

    Raises:
        InputError: naming ``--per-site``.
    """
    allowed = "give mean dyads per site as FIRST:LAST:STEP (e.g. 5:20:5), a list (5,10,20) or one number"
    try:
        if ":" in text:
            a, b, step = (float(x) for x in text.split(":"))
            if step <= 0 or b < a:
                raise ValueError
            vals = list(np.arange(a, b + step / 2, step))
        else:
            vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError("command line", "--per-site", allowed) from None
    if not vals or len(vals) > 50 or min(vals) <= 0:
        raise InputError("command line", "--per-site", allowed + " (at most 50, each above 0)")
    return sorted({round(v, 6) for v in vals})


def _replicate_rows(sp: SitePools, sites: int, per_site: float, rep: int) -> list[tuple[Any, ...]]:
    trial = sp.trial
    rng = np.random.default_rng([trial.seed, sites, int(round(100 * per_site)), rep])
    rows: list[tuple[Any, ...]] = []
    if trial.clusters is not None:
        from dyadsim.trials.clusters import analyse_cluster_outcomes, draw_cluster_trial

        data, individual = draw_cluster_trial(sp, sites, per_site, rng)
        est = analyse_cluster_outcomes(trial, data, individual)
    else:
        from dyadsim.trials.stepped_wedge import analyse_stepped_wedge, draw_stepped_wedge

        est = analyse_stepped_wedge(trial, draw_stepped_wedge(sp, sites, per_site, rng))
    multi = est["arm"].nunique() > 1
    for r in est.to_dict("records"):
        reject = bool(r["reject"]) if r["role"] != "process" else \
            bool(r["converged"] and r["p_value"] < trial.analysis.alpha)
        rows.append((sites, per_site, rep, f"{r['outcome']} ({r['arm']})" if multi else r["outcome"], r["role"],
                     reject, r["estimate"], r["p_value"], bool(r["converged"]), r["icc"],
                     r.get("difference_cluster", np.nan), r.get("difference_individual", np.nan),
                     r.get("mean_size", np.nan), r.get("cv_size", np.nan)))
    return rows


def run_site_task(payload: dict[str, Any]) -> pd.DataFrame:
    """Replicates of one grid point (a task; runs in any worker, BLAS on one thread)."""
    from threadpoolctl import threadpool_limits

    rows: list[tuple[Any, ...]] = []
    with threadpool_limits(limits=1, user_api="blas"):
        for rep in payload["reps"]:
            rows += _replicate_rows(payload["pools"], payload["sites"], payload["per_site"], rep)
    return pd.DataFrame(rows, columns=list(SITE_REPLICATE_COLUMNS))


@dataclass
class SitePowerResult:
    """A site-design power analysis: replicates, power per grid point, sites needed, design effects."""

    trial: Trial
    replicates: pd.DataFrame
    summary: pd.DataFrame
    required: pd.DataFrame
    design_effect: pd.DataFrame
    truth: pd.DataFrame
    manifest: dict[str, Any]
    closed_form: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Stepped-wedge only: the Hussey-Hughes closed-form power at each grid point."""


def _say(progress: bool) -> Any:
    return (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress else None


def site_pools_for(trial: Trial, specs: list[Any], draws: Any, j: int = 0, work: Path | None = None,
                   progress: bool = False, lazy: bool = False) -> SitePools:
    """The pool of sites on parameter set ``j`` of ``draws`` (None: the point values), kept in
    ``work/sites/d<j>`` when given (a rerun loads them)."""
    folder = None if work is None else work / "sites" / f"d{j:04d}"
    one = trial.model_copy(update={"mediation": []})

    def load(k: int) -> Pools | None:
        return _load_pools(one, folder / f"s{k:05d}") if folder is not None else None

    def save(k: int, pools: Pools) -> None:
        if folder is not None:
            _save_pools(pools, folder / f"s{k:05d}")

    return build_site_pools(trial, specs, _say(progress), draw_values(draws, j), load, save, lazy=lazy)


def run_site_power(path: str | Path, sites: list[int], per_site: list[float], reps: int, work: Path,
                   executor: Executor | None = None, progress: bool = False, parameters: str = "point",
                   parameter_draws: int | None = None) -> SitePowerResult:
    """Power of the site design at ``path`` at every (sites, per_site) point, ``reps`` each.

    With ``parameters`` ``posterior`` or ``prior``: ``parameter_draws`` sets (default 1, the set
    chosen for the file's seed), each with a pool of sites of its own, replicate r on set r mod K,
    so with K > 1 the power is averaged over the sets (assurance)."""
    from dyadsim.engine.cache import SOURCE_HASH

    started = time.perf_counter()
    trial, specs = load_trial(path)
    draws = trial_draws(specs, parameters, parameter_draws if parameters == "point" else (parameter_draws or 1),
                        trial.seed)  # (with point values, --parameter-draws is refused as for any trial)
    if draws is not None and len(draws) > reps:
        raise InputError("command line", "--parameter-draws", f"must be at most --reps ({reps}): every parameter "
                         f"set needs at least one replicate trial, got {len(draws)}")
    check_grid(trial, sites, per_site)
    identity = {"package": "dyadsim", "version": __version__, "source_hash": SOURCE_HASH,
                "trial": trial.model_dump(mode="json"), "parameter_draws": record(draws),
                "arms": [{"scenario": s.scenario.model_dump(mode="json"), "parameters": s.params.as_dict(),
                          "population": s.population.model_dump(mode="json")} for s in specs],
                "sites": sites, "per_site": per_site, "reps": reps}
    claim(work, identity)
    sets = 1 if draws is None else len(draws)
    pools_of = []
    for j in range(sets):
        if progress and draws is not None:
            print(f"parameter set {j + 1} of {sets}: {describe_set(draws, j)}", file=sys.stderr, flush=True)
        sp = site_pools_for(trial, specs, draws, j, work, progress)
        check_pool_depth(trial, sp, per_site, str(path))
        pools_of.append(sp)
    workers = executor.workers if executor is not None else 1
    size = max(1, min(50, reps // max(1, 2 * workers * sets)))
    tasks = []
    for j, sp in enumerate(pools_of):
        mine = [r for r in range(reps) if r % sets == j]
        for s in sites:
            for m in per_site:
                for lo in range(0, len(mine), size):
                    chunk = mine[lo:lo + size]
                    tasks.append((f"d{j:04d}-s{s:05d}-m{int(round(100 * m)):07d}-r{chunk[0]:06d}",
                                  {"pools": sp, "sites": s, "per_site": m, "reps": chunk}, len(chunk)))
    run_tasks(work / "parts", tasks, run_site_task, executor, progress, unit="replicate")
    table = pd.concat([pd.read_parquet(work / "parts" / f"{k}.parquet") for k, _, _ in tasks], ignore_index=True)
    table = table.sort_values(["per_site", "sites", "rep"], kind="stable").reset_index(drop=True)
    summary = pd.concat([summarize_power(g.rename(columns={"sites": "n"})[["n", "rep", "target", "kind", "reject",
                                                                             "estimate", "p_value", "converged"]])
                         .rename(columns={"n": "sites"}).assign(per_site=m)
                         for m, g in table.groupby("per_site")], ignore_index=True)
    truths = [pool_truth(sp).assign(draw=j) for j, sp in enumerate(pools_of)]
    truth = _mean_over_sets(pd.concat(truths, ignore_index=True))
    closed = pd.DataFrame()
    if trial.stepped_wedge is not None:  # the closed form per set, averaged over the sets (as the power is)
        from dyadsim.trials.stepped_wedge import closed_form_grid

        closed = pd.concat([closed_form_grid(trial, sp, sites, per_site, t.drop(columns="draw"))
                            for sp, t in zip(pools_of, truths)], ignore_index=True) \
            .groupby(["target", "sites", "per_site"], as_index=False, sort=False).mean(numeric_only=True)
    manifest = {"package": "dyadsim", "version": __version__, "command": "power", "design": trial.design,
                "trial": trial.model_dump(mode="json"), "trial_file": str(path), "sites": sites,
                "per_site": per_site, "reps": reps, "seed": trial.seed, "parameter_draws": record(draws),
                "parameters_described": describe_set(draws) if sets == 1 else
                f"averaged over {sets} parameter sets from the {parameters} (assurance)",
                "executor": executor.describe() if executor is not None else "in-process, 1 thread",
                "elapsed_s": round(time.perf_counter() - started, 3)}
    return SitePowerResult(trial, table, summary, required_sites(summary), design_effects(table, truth), truth,
                           manifest, closed)


def required_sites(summary: pd.DataFrame) -> pd.DataFrame:
    """Sites for 80% and 90% power per target and mean site size, read off the curve over sites
    as :func:`dyadsim.trials.power.n_for_power` reads sizes (``how_80``, ``how_90``)."""
    rows = []
    for (target, kind, m), g in summary.groupby(["target", "kind", "per_site"], sort=False):
        curve = g.rename(columns={"sites": "n"})
        (s80, h80), (s90, h90) = n_for_power(curve, 0.8), n_for_power(curve, 0.9)
        rows.append({"target": target, "kind": kind, "per_site": m, "sites_80": s80, "how_80": h80,
                     "sites_90": s90, "how_90": h90})
    return pd.DataFrame(rows)


def design_effects(table: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per outcome and grid point: the ICC estimated (mean over replicates and its SE), the pool's
    ICC, the analysed sites' mean size and cv, the textbook design effect at each ICC and, for
    cluster trials, the design effect observed (variance ratio of the unadjusted difference under
    cluster vs individual randomisation of the same mothers) with its bootstrap SE."""
    rows = []
    true_icc = dict(zip(truth["outcome"], truth["true_icc"]))
    for (target, kind, s, m), g in table.groupby(["target", "kind", "sites", "per_site"], sort=False):
        if kind.startswith("mediation"):
            continue
        outcome = target.split(" (")[0]
        icc = g["icc"].to_numpy(np.float64)
        icc = icc[np.isfinite(icc)]
        mean_icc = float(icc.mean()) if len(icc) else float("nan")
        mean_size, cv = float(g["mean_size"].mean()), float(np.sqrt((g["cv_size"] ** 2).mean()))
        obs, obs_se = observed_design_effect(g["difference_cluster"].to_numpy(), g["difference_individual"].to_numpy())
        ti = true_icc.get(outcome, float("nan"))
        rows.append({"target": target, "kind": kind, "sites": int(s), "per_site": float(m), "icc": mean_icc,
                     "icc_se": float(icc.std(ddof=1) / math.sqrt(len(icc))) if len(icc) > 1 else float("nan"),
                     "true_icc": ti, "mean_size": mean_size, "cv_size": cv,
                     "textbook_de": textbook_design_effect(mean_size, cv, mean_icc) if math.isfinite(mean_size)
                     else float("nan"),
                     "textbook_de_true_icc": textbook_design_effect(mean_size, cv, ti) if math.isfinite(mean_size)
                     else float("nan"),
                     "observed_de": obs, "observed_de_se": obs_se, "replicates": len(g)})
    return pd.DataFrame(rows)


def write_site_power(res: SitePowerResult, folder: Path) -> None:
    """power.csv, required_sites.csv, design_effect.csv, true_effects.csv (and, stepped wedge,
    closed_form.csv), replicates.parquet, power.png and power.html into ``folder``."""
    res.summary.to_csv(folder / "power.csv", index=False)
    res.required.to_csv(folder / "required_sites.csv", index=False)
    res.design_effect.to_csv(folder / "design_effect.csv", index=False)
    res.truth.to_csv(folder / "true_effects.csv", index=False)
    res.replicates.to_parquet(folder / "replicates.parquet")
    parts = [f"<h1>{res.trial.name}: power of the {res.trial.design.replace('_', '-')} design</h1>",
             f"<p>{res.manifest['reps']} replicate trials per grid point; {res.manifest['parameters_described']}."
             "</p><h2>Power</h2>", res.summary.to_html(index=False, float_format="%.3f"),
             "<h2>Sites for 80% and 90% power</h2>", res.required.to_html(index=False, float_format="%.1f"),
             "<h2>ICC and design effect</h2>", res.design_effect.to_html(index=False, float_format="%.4f")]
    if len(res.closed_form):
        res.closed_form.to_csv(folder / "closed_form.csv", index=False)
        parts += ["<h2>Hussey-Hughes closed form</h2>", res.closed_form.to_html(index=False, float_format="%.4f")]
    site_power_figure(res, folder / "power.png")
    parts.insert(1, "<img src='power.png' alt='power by number of sites and mothers per site' width='720'>")
    html = "<!doctype html><html><head><meta charset='utf-8'><title>power</title></head><body>" + \
        "".join(parts) + "</body></html>"
    (folder / "power.html").write_text(html, encoding="utf-8")


def site_power_figure(res: SitePowerResult, path: Path) -> None:
    """Power against the number of sites, one curve per mean site size and panel per target, with
    bands of +-1.96 Monte Carlo SE (and the Hussey-Hughes closed form, dashed, for a stepped wedge)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = res.summary
    targets = list(dict.fromkeys(s["target"] + " [" + s["kind"] + "]"))
    fig, axes = plt.subplots(1, len(targets), figsize=(5.2 * len(targets), 4.2), squeeze=False)
    for ax, name in zip(axes[0], targets):
        g = s[(s["target"] + " [" + s["kind"] + "]") == name]
        for m, c in g.groupby("per_site"):
            c = c.sort_values("sites")
            line = ax.plot(c["sites"], c["power"], "o-", label=f"{m:g} per site")[0]
            ax.fill_between(c["sites"], c["power"] - 1.96 * c["mcse"], c["power"] + 1.96 * c["mcse"],
                            color=line.get_color(), alpha=0.15)
            if len(res.closed_form):
                cf = res.closed_form[(res.closed_form["target"] == c["target"].iloc[0])
                                     & (res.closed_form["per_site"] == m)].sort_values("sites")
                ax.plot(cf["sites"], cf["closed_form_power"], "--", color=line.get_color(), label="closed form")
        ax.axhline(0.8, color="grey", lw=0.8, ls=":")
        ax.set_ylim(0, 1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("sites per arm" if res.trial.clusters is not None else "sites")
        ax.set_ylabel("power")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass
class SiteTrialResult:
    """One simulated site-randomised trial and its analysis."""

    trial: Trial
    participants: pd.DataFrame
    estimates: pd.DataFrame
    truth: pd.DataFrame
    seed: int
    parameters: dict[str, Any]


def simulate_site_trial(path: str | Path, seed: int | None = None, progress: bool = False,
                        parameters: str = "point") -> SiteTrialResult:
    """Simulate and analyse one cluster or stepped-wedge trial of the file at ``path`` (draw seeded
    by ``seed``, default the file's), simulating only the pool sites it draws; the truth is over
    those sites' eligible mothers (the trial's own sites, no drop-out)."""
    trial, specs = load_trial(path)
    s = trial.seed if seed is None else seed
    draws = trial_draws(specs, parameters, None if parameters == "point" else 1, s)
    sp = site_pools_for(trial, specs, draws, 0, progress=progress, lazy=True)
    sites, per_site = grid_default(trial)
    rng = np.random.default_rng([s, sites, int(round(100 * per_site)), 0])
    if trial.clusters is not None:
        from dyadsim.trials.clusters import analyse_cluster_outcomes, draw_cluster_trial

        data, individual = draw_cluster_trial(sp, sites, per_site, rng)
        est = analyse_cluster_outcomes(trial, data, individual)
    else:
        from dyadsim.trials.stepped_wedge import analyse_stepped_wedge, draw_stepped_wedge

        data = draw_stepped_wedge(sp, sites, per_site, rng)
        est = analyse_stepped_wedge(trial, data)
    check_pool_depth(trial, sp, [per_site], str(path))
    return SiteTrialResult(trial, data, est, pool_truth(sp), s, {**record(draws), "described": describe_set(draws)})


def write_site_trial(res: SiteTrialResult, folder: Path) -> None:
    """estimates.csv, true_effects.csv, participants.parquet and report.html into ``folder``."""
    res.estimates.to_csv(folder / "estimates.csv", index=False)
    res.truth.to_csv(folder / "true_effects.csv", index=False)
    res.participants.to_parquet(folder / "participants.parquet")
    p = res.participants
    flow = p.groupby("site").agg(arm=("arm", "max"), enrolled=("arm", "size")).reset_index()
    html = ("<!doctype html><html><head><meta charset='utf-8'><title>trial</title></head><body>"
            f"<h1>{res.trial.name}: one simulated {res.trial.design.replace('_', '-')} trial (seed {res.seed})</h1>"
            f"<p>{len(p)} mothers at {p['site'].nunique()} sites; {res.parameters['described']}.</p>"
            "<h2>Estimates</h2>" + res.estimates.to_html(index=False, float_format="%.4g") +
            "<h2>True effects over the trial's sites (no drop-out)</h2>" +
            res.truth.to_html(index=False, float_format="%.4g") +
            "<h2>Sites</h2>" + flow.to_html(index=False) + "</body></html>")
    (folder / "report.html").write_text(html, encoding="utf-8")

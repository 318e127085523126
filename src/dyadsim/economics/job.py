"""The ``dyadsim economics`` job: run strategies on the same dyads, seeds and parameter draws, then
cost them, weigh them in QALYs, and analyse the decision and the value of information.

The strategies run through the comparison machinery (:func:`dyadsim.analysis.compare.run_loaded`:
common random numbers, one parameter set per replicate shared by every strategy), so replicate
``r`` of every strategy meets the same dyads, seeds and parameters, and its cost and utility inputs
are drawn once for that replicate (:func:`dyadsim.economics.inputs.draw_inputs`) and used for every
strategy. Each replicate is one draw of the probabilistic analysis: its means over dyads carry the
parameter draw, the input draw and Monte Carlo noise of ``dyads`` dyads.

The base case values the means over every replicate at the inputs' point values. Results are per
1,000 births (every dyad is one birth). Everything is written into one folder atomically.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from dyadsim.analysis.compare import Loaded, file_stem, run_loaded
from dyadsim.core.version import __version__
from dyadsim.economics.accounting import quantities, value
from dyadsim.economics.decision import acceptability, frontier, net_benefit
from dyadsim.economics.inputs import EconomicInputs, draw_inputs
from dyadsim.economics.names import COUNTS, HEALTH, QUANTITIES
from dyadsim.economics.results import PER, EconomicsResult, Settings, StudyStatistics
from dyadsim.economics.voi import evppi_table, evsi_table
from dyadsim.run.runner import CHUNK_DYADS
from dyadsim.run.store import write_atomic

def strategy_means(path: Path, scenario: Any, inputs: EconomicInputs, settings: Settings) -> pd.DataFrame:
    """Mean per dyad of every quantity of :mod:`dyadsim.economics.accounting`, per replicate, from an
    outcomes file read chunk by chunk (memory flat in the cohort size)."""
    sums: pd.DataFrame | None = None
    counts: pd.Series | None = None
    for batch in pq.ParquetFile(path).iter_batches(batch_size=CHUNK_DYADS):
        df = batch.to_pandas()
        q = quantities(df, scenario, inputs, settings.rate, settings.extrapolate_years)
        g = q.drop(columns=["dyad_id"]).groupby("replicate")
        s, c = g.sum(), g.size()
        sums = s if sums is None else sums.add(s, fill_value=0.0)
        counts = c if counts is None else counts.add(c, fill_value=0)
    assert sums is not None and counts is not None
    return sums.div(counts, axis=0)


POPULATION = {"gestational week at enrolment (mean)": ("enrol_week", None),
              "on MOUD planned in pregnancy (share)": ("moud_type", "none"),
              "depression at enrolment (share)": ("depression_dx", None),
              "unstable housing (share)": ("housing_unstable", None),
              "prior CPS contact (share)": ("prior_cps", None),
              "first pregnancy (share)": ("first_pregnancy", None),
              "adverse childhood experiences (mean count)": ("aces", None)}
"""Baseline characteristics the report shows (column, and for a category the level counted as no)."""


def population_summary(path: Path) -> dict[str, float]:
    """Means of the baseline characteristics of :data:`POPULATION` over the dyads of one outcomes file."""
    cols = sorted({c for c, _ in POPULATION.values()})
    df = pd.read_parquet(path, columns=cols)
    out = {}
    for label, (col, no) in POPULATION.items():
        v = (df[col].astype(str) != no).astype(float) if no is not None else df[col].astype(float)
        out[label] = round(float(v.mean()), 4)
    return out


def _per_1000(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    out[cols] = out[cols] * PER
    return out


def analyse(names: list[str], means: dict[str, pd.DataFrame], inputs: EconomicInputs, settings: Settings,
            draws: Any = None, study: StudyStatistics | None = None) -> EconomicsResult:
    """The base case, the incremental tables, the probabilistic analysis, the EVPPI and (with
    ``study``, row ``k`` of its statistic from draw ``k``) the EVSI from the per-replicate means of
    each strategy (``means[name]``: rows = replicates)."""
    k = len(next(iter(means.values())))
    stacked = pd.concat([means[n].assign(strategy=n, draw=np.arange(k)) for n in names], ignore_index=True)
    # base case: every replicate's dyads pooled, inputs at their point values
    pooled = pd.DataFrame([means[n].mean(axis=0) for n in names], index=names)
    base = value(pooled, inputs.cost_values(), inputs.utility_values(), inputs)
    counts = [c for c in COUNTS]
    table = pd.concat([base, pooled[counts]], axis=1)
    table.insert(0, "strategy", names)
    money_and_health = [c for c in table.columns if c != "strategy"]
    strategies = _per_1000(table.reset_index(drop=True), money_and_health)

    incremental = []
    for persp in ("payer", "societal"):
        f = frontier(names, strategies[f"cost_{persp}"].to_numpy(), strategies["qaly_dyad"].to_numpy())
        for wtp in settings.wtps:
            nmb, nhb = net_benefit(f["cost"], f["effect"], wtp)
            f[f"nmb_{int(wtp)}"], f[f"nhb_{int(wtp)}"] = nmb, nhb
        incremental.append(f.assign(perspective=persp))
    inc = pd.concat(incremental, ignore_index=True)

    # probabilistic analysis: draw r's means at draw r's inputs, every strategy alike
    cdraw, udraw = draw_inputs(inputs, k, settings.seed)
    psa_parts = []
    for n in names:
        v = value(means[n].reset_index(drop=True), cdraw, udraw, inputs)
        psa_parts.append(v[["cost_payer", "cost_societal", "qaly_mother", "qaly_infant", "qaly_dyad"]]
                         .assign(strategy=n, draw=np.arange(k)))
    psa = pd.concat(psa_parts, ignore_index=True)
    cost = np.stack([psa.loc[psa.strategy == n, f"cost_{settings.perspective}"].to_numpy() for n in names], axis=1)
    eff = np.stack([psa.loc[psa.strategy == n, "qaly_dyad"].to_numpy() for n in names], axis=1)
    grid = sorted(set(np.linspace(0, max(settings.wtps) * 2, 41).tolist()) | set(settings.wtps))
    ceac = acceptability(names, cost, eff, grid)
    for c in ("expected_nmb", "evpi"):
        ceac[f"{c}_per_{PER}"] = ceac[c] * PER

    groups = input_groups(inputs, cdraw, udraw, draws)
    nmb_by_wtp = {w: w * eff - cost for w in settings.wtps}
    ev = pd.DataFrame(evppi_table(nmb_by_wtp, groups))
    if len(ev):
        ev[f"evppi_per_{PER}"] = ev["evppi"] * PER
    sample = pd.DataFrame()
    if study is not None:
        if study.values.shape[0] != k:
            raise ValueError(f"the study statistic has {study.values.shape[0]} draws, the analysis {k}")
        sample = pd.DataFrame(evsi_table(nmb_by_wtp, study.values, study.grid, seed=settings.seed))
        for c in ("evsi", "se", "lower", "upper", "evpi"):
            sample[f"{c}_per_{PER}"] = sample[c] * PER
    return EconomicsResult(names=names, settings=settings, inputs=inputs, strategies=strategies, incremental=inc,
                           psa=psa, ceac=ceac, evppi=ev, means=stacked, evsi=sample)


def input_groups(inputs: EconomicInputs, cdraw: dict[str, np.ndarray], udraw: dict[str, np.ndarray],
                 draws: Any = None) -> dict[str, np.ndarray]:
    """The named groups of inputs the EVPPI is computed for: each module of the drawn model
    parameters (``model: <module>``), each category of unit costs (``costs: <category>``), and the
    utilities; each an array (draws, inputs)."""
    groups: dict[str, list[np.ndarray]] = {}
    if draws is not None:
        for j, name in enumerate(draws.names):
            groups.setdefault(f"model: {name.split('.')[0]}", []).append(draws.values[:, j])
    for name, c in inputs.costs.items():
        groups.setdefault(f"costs: {c.category}", []).append(cdraw[name])
    for name in inputs.utilities:
        groups.setdefault("utilities", []).append(udraw[name])
    return {g: np.stack(v, axis=1) for g, v in groups.items()}


def run_economics(loaded: Loaded, out: str | Path, inputs: EconomicInputs, settings: Settings, *,
                  force: bool = False, progress: bool | None = False,
                  echo: Callable[[str], None] = lambda _m: None,
                  study: StudyStatistics | None = None) -> EconomicsResult:
    """Run the strategies of ``loaded`` (checked by :func:`dyadsim.analysis.compare.load_comparison`)
    into ``out`` and write the economic evaluation there, atomically (see the module doc). With
    ``study`` (a proposed trial's statistic on ``loaded``'s parameter draws,
    :func:`dyadsim.trials.evsi.trial_statistics`), also the EVSI of its sizes."""
    from dyadsim.economics.report import write_report

    holder: list[EconomicsResult] = []
    started = time.perf_counter()

    def write(tmp: Path) -> dict[str, Any]:
        cmp = run_loaded(loaded, tmp, progress=progress)
        echo("costing the dyads of each strategy ...")
        means = {}
        for (scn, _, _), name in zip(loaded.scenarios, loaded.names):
            path = tmp / "outcomes" / f"{file_stem(name)}.parquet"
            means[name] = strategy_means(path, scn, inputs, settings)
        echo("probabilistic analysis and value of information ...")
        res = analyse(loaded.names, means, inputs, settings, loaded.draws, study)
        pop = population_summary(tmp / "outcomes" / f"{file_stem(loaded.names[0])}.parquet")
        cmp.differences[["scenario", "outcome", "difference", "lower", "upper", "interval"]].to_csv(
            tmp / "differences.csv", index=False)
        if not settings.keep_outcomes:
            for f in (tmp / "outcomes").glob("*.parquet"):
                f.unlink()
            (tmp / "outcomes").rmdir()
        res.manifest = manifest(loaded, cmp.manifest, inputs, settings, time.perf_counter() - started)
        res.manifest["population_summary"] = pop
        if study is not None:
            res.manifest["economics"]["evsi"] = study.record()
        res.manifest["descriptions"] = [scn.description.strip() for scn, _, _ in loaded.scenarios]
        write_report(res, tmp)
        holder.append(res)
        return res.manifest

    write_atomic(out, write, force=force)
    return holder[0]


def manifest(loaded: Loaded, comparison: dict[str, Any], inputs: EconomicInputs, settings: Settings,
             elapsed: float) -> dict[str, Any]:
    """What the folder's manifest records: the comparison's (strategies, cohort, seeds, parameter
    draws) and the economic settings and inputs (with their hash)."""
    text = inputs.model_dump_json()
    keep = ("scenarios", "names", "scenario_hashes", "dyads", "replicates", "seed", "replicate_seeds",
            "parameter_draws", "command", "scenario_records")
    man = {k: v for k, v in comparison.items() if k in keep}
    man.update({"package": "dyadsim", "version": __version__, "command_name": "economics",
                "economics": {"inputs": settings.inputs_origin, "inputs_sha256": hashlib.sha256(text.encode()).hexdigest(),
                              "currency": inputs.currency, "price_year": inputs.price_year,
                              "discount_rate": settings.rate, "perspective": settings.perspective,
                              "wtp": list(settings.wtps), "extrapolation": settings.extrapolate_label,
                              "extrapolate_years": settings.extrapolate_years, "per_births": PER,
                              "quantities": list(QUANTITIES), "health_states": list(HEALTH)},
                "elapsed_s": round(elapsed, 1)})
    if loaded.command is not None:
        man["command"] = loaded.command
    return man

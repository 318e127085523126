"""Fair comparison of scenarios: same dyads, same seeds, common random numbers, paired differences.

Every scenario runs on the same dyad ids with the same replicate seeds, so each dyad meets the
same random numbers for every decision in every scenario and differences come only from what the
scenarios change. For every outcome (the summary outcomes and every numeric per-dyad column) the
difference from the first scenario is computed per replicate; its 95% interval is the t interval
over replicates (two or more), or with one replicate the paired normal interval over dyads.
An intervention that reaches nobody therefore gives differences of exactly zero.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .errors import InputError
from .results import SUMMARY, t_quantile
from .runner import RunResult, run_scenario
from .scenario import load_scenario

_SKIP = {"dyad_id", "replicate", "seed"}


@dataclass
class Comparison:
    """Runs of every scenario and the paired differences from the first."""

    names: list[str]
    runs: list[RunResult]
    differences: pd.DataFrame
    manifest: dict[str, Any]


def _interval(per_rep: np.ndarray, paired: np.ndarray | None) -> tuple[float, float, float]:
    centre = float(per_rep.mean())
    if len(per_rep) >= 2:
        half = t_quantile(len(per_rep) - 1) * per_rep.std(ddof=1) / np.sqrt(len(per_rep))
    elif paired is not None and len(paired) > 1:
        half = 1.96 * paired.std(ddof=1) / np.sqrt(len(paired))
    else:
        half = np.nan
    return centre, centre - half, centre + half


def _outcome_values(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Per-dyad values (indexed by dyad id) of every outcome compared."""
    d = df.set_index("dyad_id", drop=False)
    vals: dict[str, pd.Series] = {label: fn(d).astype(float) for label, fn in SUMMARY}
    for col in d.columns:
        if col in _SKIP:
            continue
        if pd.api.types.is_numeric_dtype(d[col]) and not pd.api.types.is_bool_dtype(d[col]):
            vals[col] = d[col].astype(float)
        elif isinstance(d[col].dtype, pd.CategoricalDtype):
            for cat in d[col].cat.categories:
                vals[f"{col}={cat}"] = (d[col] == cat).astype(float)
    return vals


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """Differences ``other - base`` of every outcome with 95% intervals (see module doc)."""
    rows: dict[str, list[float]] = {}
    paired_all: dict[str, np.ndarray] = {}
    reps = sorted(base["replicate"].unique())
    for r in reps:
        vb = _outcome_values(base[base["replicate"] == r])
        vo = _outcome_values(other[other["replicate"] == r])
        for k, b in vb.items():
            if k not in vo:
                continue
            o = vo[k]
            diff = (o.mean() - b.mean()) if len(o.dropna()) and len(b.dropna()) else np.nan
            rows.setdefault(k, []).append(diff)
            if len(reps) == 1:
                both = pd.concat([b, o], axis=1, keys=["b", "o"]).dropna()
                paired_all[k] = (both["o"] - both["b"]).to_numpy()
    out = []
    for k, diffs in rows.items():
        arr = np.array(diffs, dtype=float)
        if np.isnan(arr).any():
            centre, lo, hi = np.nan, np.nan, np.nan
        else:
            centre, lo, hi = _interval(arr, paired_all.get(k))
        out.append({"scenario": name, "outcome": k, "difference": centre, "lower": lo, "upper": hi,
                    "summary": k in dict(SUMMARY)})
    return pd.DataFrame(out)


def compare(paths: list[Path], *, dyads: int | None = None, replicates: int | None = None,
            seed: int | None = None, progress: bool | None = None) -> Comparison:
    """Run every scenario on the same dyads and seeds; differences from the first."""
    if len(paths) < 2:
        raise InputError("command line", "SCENARIOS", "give at least two scenario files to compare")
    loaded = [load_scenario(p) for p in paths]
    first = loaded[0][0]
    n = dyads if dyads is not None else first.cohort.dyads
    reps = replicates if replicates is not None else first.cohort.replicates
    base_seed = seed if seed is not None else first.cohort.seed
    names = [scn.name for scn, _, _ in loaded]
    for i, nm in enumerate(names):
        if nm in names[:i]:
            raise InputError(str(paths[i]), "name", f"scenario names must differ to be compared ({nm!r} is repeated)")
    for path, (scn, _, _) in zip(paths, loaded):
        if scn.cohort.horizon_months != first.cohort.horizon_months:
            raise InputError(str(path), "cohort.horizon_months",
                             f"must equal the first scenario's ({first.cohort.horizon_months}) to be compared")
    runs = [run_scenario(scn, ps, pop, dyads=n, replicates=reps, seed=base_seed, progress=progress)
            for scn, ps, pop in loaded]
    diffs = pd.concat([paired_differences(runs[0].outcomes, r.outcomes, nm) for nm, r in zip(names[1:], runs[1:])],
                      ignore_index=True)
    manifest = {"package": "dyadsim", "version": __version__, "scenarios": [str(p) for p in paths],
                "names": names, "scenario_hashes": [scn.hash() for scn, _, _ in loaded], "dyads": n,
                "replicates": reps, "seed": base_seed, "replicate_seeds": [base_seed + r for r in range(reps)],
                "parameters": {nm: r.manifest["parameters"] for nm, r in zip(names, runs)}}
    return Comparison(names=names, runs=runs, differences=diffs, manifest=manifest)


def _forest(cmp: Comparison, folder: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = cmp.differences[cmp.differences["summary"]]
    labels = [lbl for lbl, _ in SUMMARY]
    ncol = 4
    nrow = int(np.ceil(len(labels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 1.1 + 0.35 * len(cmp.names) * nrow + 1.2 * nrow))
    for ax, lbl in zip(axes.ravel(), labels):
        sub = d[d["outcome"] == lbl]
        y = np.arange(len(sub))
        err = np.vstack([sub["difference"] - sub["lower"], sub["upper"] - sub["difference"]])
        ax.errorbar(sub["difference"], y, xerr=np.nan_to_num(err), fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, sub["scenario"], fontsize=7)
        ax.set_title(lbl, fontsize=7.5)
        ax.tick_params(axis="x", labelsize=7)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(f"Difference from {cmp.names[0]} (paired, 95% interval)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    (folder / "figures").mkdir(exist_ok=True)
    fig.savefig(folder / "figures" / "differences.png", dpi=100)
    plt.close(fig)
    return "figures/differences.png"


def write_comparison(cmp: Comparison, out: str | Path) -> Path:
    """Write differences (Parquet and CSV), each scenario's outcomes and summary, a figure and an HTML page."""
    from .store import write_atomic

    def write(tmp: Path) -> None:
        cmp.differences.to_parquet(tmp / "differences.parquet", index=False)
        cmp.differences[["scenario", "outcome", "difference", "lower", "upper"]].to_csv(tmp / "differences.csv", index=False)
        (tmp / "outcomes").mkdir()
        summaries = []
        for name, run in zip(cmp.names, cmp.runs):
            run.outcomes.to_parquet(tmp / "outcomes" / f"{name}.parquet", index=False)
            summaries.append(run.summary.assign(scenario=name))
        pd.concat(summaries, ignore_index=True).to_csv(tmp / "summaries.csv", index=False)
        fig = _forest(cmp, tmp)
        d = cmp.differences[cmp.differences["summary"]]
        rows = "".join(f"<tr><td>{html.escape(r.scenario)}</td><td>{html.escape(r.outcome)}</td>"
                       f"<td>{r.difference:.3f}</td><td>{r.lower:.3f}</td><td>{r.upper:.3f}</td></tr>"
                       for r in d.itertuples())
        page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dyadsim comparison</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 7px}}img{{max-width:100%}}</style></head><body>
<h1>dyadsim comparison against {html.escape(cmp.names[0])}</h1>
<p>Scenarios: {', '.join(html.escape(n) for n in cmp.names)}; {cmp.manifest['dyads']} dyads x
{cmp.manifest['replicates']} replicates on the same dyads and seeds (common random numbers). Differences
are scenario minus {html.escape(cmp.names[0])}, with 95% intervals. Every outcome: differences.csv.</p>
<img src="{fig}" alt="forest plot of differences">
<table><tr><th>scenario</th><th>outcome</th><th>difference</th><th>lower</th><th>upper</th></tr>{rows}</table>
</body></html>"""
        (tmp / "compare.html").write_text(page, encoding="utf-8")

    return write_atomic(out, write, cmp.manifest)

"""Figures, tables and the HTML page of a sensitivity analysis (:mod:`dyadsim.analysis.sensitivity`).

One figure per outcome and kind: the Morris μ*–σ plane, Sobol' S1 and ST bars with bootstrap
intervals, a tornado plot of one-at-a-time swings, and the ranking of mechanisms. Written with
matplotlib's Agg backend (no display needed).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from dyadsim.analysis.sensitivity import TORNADO_QUANTILES, SensitivityResult, index_column  # noqa: E402

LABEL_TOP = 8
"""Points labelled on the μ*–σ plane (the largest μ*)."""
BARS_MAX = 25
"""Inputs shown in a bar chart (the largest index first); the tables hold all of them."""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def morris_plot(indices: pd.DataFrame, outcome: str, label: str, path: Path) -> None:
    """μ* against σ for one outcome; the :data:`LABEL_TOP` largest μ* are labelled. Points far
    above the 1:1 line act through interactions or non-linearly (σ large against μ*)."""
    d = indices[indices["outcome"] == outcome]
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    ax.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_conf"], fmt="o", ms=4, alpha=0.8, elinewidth=0.8,
                color="tab:blue", ecolor="tab:gray")
    top = d.nlargest(LABEL_TOP, "mu_star")
    for i, r in enumerate(top.itertuples()):
        # Alternate above and below the point: neighbours in the μ* ranking often sit close together.
        ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=7, xytext=(4, 3 if i % 2 == 0 else -9),
                    textcoords="offset points")
    hi = max(float(d["mu_star"].max()), float(d["sigma"].max()), 1e-12) * 1.05
    ax.plot([0, hi], [0, hi], ls="--", lw=0.8, color="gray", label="σ = μ*")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"μ*: mean |elementary effect| per full prior range\n({label})")
    ax.set_ylabel(f"σ: SD of elementary effects ({label})")
    ax.set_title(f"Morris screening: {outcome}", fontsize=10)
    ax.legend(fontsize=8)
    _save(fig, path)


def sobol_plot(indices: pd.DataFrame, outcome: str, label: str, conf_level: float, path: Path) -> None:
    """S1 and ST bars with their bootstrap intervals, inputs sorted by ST (largest on top)."""
    d = indices[indices["outcome"] == outcome].sort_values("ST", ascending=False).head(BARS_MAX)[::-1]
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.32 * len(d)))
    ax.barh(y + 0.2, d["ST"], height=0.4, xerr=d["ST_conf"], label="ST (total order)", color="tab:orange",
            error_kw={"elinewidth": 0.8})
    ax.barh(y - 0.2, d["S1"], height=0.4, xerr=d["S1_conf"], label="S1 (first order)", color="tab:blue",
            error_kw={"elinewidth": 0.8})
    ax.set_yticks(y, d["parameter"], fontsize=8)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(f"share of the variance of {label}\n(bars: {conf_level:.0%} bootstrap intervals)")
    ax.set_title(f"Sobol' indices: {outcome}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def tornado_plot(tornado: pd.DataFrame, outcome: str, label: str, path: Path) -> None:
    """Outcome at each input's prior 5th and 95th percentile, the others at baseline; the widest
    swing on top; the line is the outcome at baseline."""
    d = tornado[tornado["outcome"] == outcome].sort_values("swing")
    if d.empty:
        return
    base = float(d["baseline"].iloc[0])
    y = np.arange(len(d))
    lo_q, hi_q = TORNADO_QUANTILES
    fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.4 * len(d)))
    # Side by side, not stacked: both ends can fall on the same side of the baseline.
    ax.barh(y - 0.18, d["at_low"] - base, left=base, height=0.36, color="tab:blue",
            label=f"input at its prior's {lo_q:.0%} quantile")
    ax.barh(y + 0.18, d["at_high"] - base, left=base, height=0.36, color="tab:red",
            label=f"input at its prior's {hi_q:.0%} quantile")
    ticks = [f"{r.parameter}\n[{r.low_value:.3g} – {r.high_value:.3g} {r.parameter_unit}]".replace(" ]", "]")
             for r in d.itertuples()]
    ax.set_yticks(y, ticks, fontsize=7)
    ax.axvline(base, color="black", lw=0.8)
    ax.set_xlabel(label)
    ax.set_title(f"One-at-a-time swings around the baseline: {outcome}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    _save(fig, path)


def mechanism_plot(mechanisms: pd.DataFrame, outcome: str, label: str, path: Path) -> None:
    """Sum (bar) and max (dot) of μ* or ST per mechanism for one outcome, largest sum on top."""
    d = mechanisms[mechanisms["outcome"] == outcome].sort_values("sum").tail(BARS_MAX)
    col = str(d["index"].iloc[0]) if len(d) else "mu_star"
    name = "μ*" if col == "mu_star" else "ST"
    y = np.arange(len(d))
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.32 * len(d)))
    ax.barh(y, d["sum"], height=0.6, color="tab:green", label=f"sum of {name} over the mechanism's inputs")
    ax.plot(d["max"], y, "k|", ms=12, mew=2, label=f"largest {name} of one input")
    ax.set_yticks(y, [f"{g} ({n})" for g, n in zip(d["group"], d["parameters"])], fontsize=8)
    unit = f"{label}, per full prior range" if col == "mu_star" else f"share of the variance of {label}"
    ax.set_xlabel(f"{name} ({unit})")
    ax.set_title(f"Mechanisms (module; inputs in brackets): {outcome}", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    _save(fig, path)


def write_tables(result: SensitivityResult, folder: Path) -> None:
    """CSV tables and Parquet samples/evaluations of ``result`` into ``folder``."""
    result.indices.to_csv(folder / "indices.csv", index=False)
    result.noise.to_csv(folder / "noise.csv", index=False)
    result.mechanisms.to_csv(folder / "mechanisms.csv", index=False)
    if result.tornado is not None:
        result.tornado.to_csv(folder / "tornado.csv", index=False)
    design = result.design
    samples = design.frame().reset_index()
    for i, name in enumerate(design.problem.names):
        samples[f"unit:{name}"] = design.unit[:, i]
    samples.to_parquet(folder / "samples.parquet", index=False)
    result.evaluations.to_parquet(folder / "evaluations.parquet", index=False)


def make_figures(result: SensitivityResult, folder: Path) -> list[tuple[str, str, str]]:
    """Write the figures under ``folder/figures``; return (outcome, file, caption) triples."""
    figdir = folder / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    conf = float(result.settings.get("conf_level", 0.95))
    out: list[tuple[str, str, str]] = []
    for outcome, label in result.outcomes.items():
        s = _slug(outcome)
        if result.method == "morris":
            f = f"figures/morris_{s}.png"
            morris_plot(result.indices, outcome, label, folder / f)
            out.append((outcome, f, "Morris μ*–σ plane: far right matters; high σ against μ* means "
                        "interactions or a non-linear effect. Bars: bootstrap intervals of μ*."))
        else:
            f = f"figures/sobol_{s}.png"
            sobol_plot(result.indices, outcome, label, conf, folder / f)
            out.append((outcome, f, f"Sobol' first-order (S1) and total-order (ST) indices with {conf:.0%} "
                        "bootstrap intervals; ST − S1 is the share carried by interactions."))
        f = f"figures/mechanisms_{s}.png"
        mechanism_plot(result.mechanisms, outcome, label, folder / f)
        out.append((outcome, f, "Mechanisms ranked by the sum of their inputs' indices (bar); the tick is "
                    "the largest single input."))
        if result.tornado is not None:
            f = f"figures/tornado_{s}.png"
            tornado_plot(result.tornado, outcome, label, folder / f)
            out.append((outcome, f, "One at a time: each top input at its prior's 5th and 95th percentile, "
                        "the others at baseline, same seeds."))
    return out


def _table(df: pd.DataFrame, digits: int = 4) -> str:
    return df.to_html(index=False, float_format=lambda v: f"{v:.{digits}g}", border=0, classes="t")


def _noise_sentence(noise: pd.DataFrame) -> str:
    shares = noise["noise_share"].dropna()
    if shares.empty:
        return ("With one replicate the Monte Carlo noise cannot be estimated; rerun with "
                "<code>--replicates 2</code> or more to measure it.")
    worst = noise.loc[noise["noise_share"].idxmax()]
    return (f"The noise share is the part of the variance of the replicate means that comes from the "
            f"seeds rather than the inputs; it is at most {worst['noise_share']:.1%} here "
            f"({html.escape(str(worst['outcome']))}). Below about 10% the ranking reflects the inputs; "
            f"near 100% the indices mostly rank noise and need more dyads or replicates.")


def write_page(result: SensitivityResult, folder: Path, figures: list[tuple[str, str, str]]) -> Path:
    """``sensitivity.html``: method, design size, seeds, noise share, figures and tables."""
    st = result.settings
    method = "Morris elementary effects" if result.method == "morris" else "Sobol' indices (Saltelli scheme)"
    size = (f"{st['n']} trajectories × ({st['parameters']} parameters + 1) = {st['parameter_sets']} parameter sets"
            if result.method == "morris" else
            f"N = {st['n']} × ({st['parameters']} parameters + 2) = {st['parameter_sets']} parameter sets")
    facts = {
        "Analysed": st.get("label", ""), "Method": method, "Design": size,
        "Replicates (seeds per set, common to every set)":
            f"{st['replicates']} (seeds {', '.join(map(str, st['seeds']))})",
        "Dyads per set and seed": str(st.get("dyads", "—")), "Design and bootstrap seed": str(st["seed"]),
        "Intervals": f"{st['conf_level']:.0%} bootstrap, {st['num_resamples']} resamples",
        "Model runs (set × seed)": f"{st['parameter_sets'] * st['replicates']} for the indices, "
                                   f"{st['tornado_sets'] * st['replicates']} for the tornado",
    }
    if st.get("contrast"):
        facts["Analysed"] = (f"the difference {st.get('label', '')} (both on the same seeds and dyads: common "
                             "random numbers), so the indices say what decides the effect, not the level")
    if st.get("executor"):
        facts["Executor"] = str(st["executor"])
    if st.get("wall_seconds") is not None:
        facts["Wall time"] = f"{st['wall_seconds']:.0f} s"
    if st.get("excluded"):
        facts["Left out (fixed prior)"] = ", ".join(st["excluded"])
    from dyadsim.config.grounding import calibration_notice

    col = index_column(result.method)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>dyadsim sensitivity</title><style>"
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}"
        "table.t{border-collapse:collapse;font-size:12px}table.t td,table.t th{padding:2px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}img{max-width:100%}</style></head><body>",
        f"<h1>Sensitivity analysis: {html.escape(str(st.get('label', '')))}</h1>",
        f"<p style='background:#fff3cd;padding:6px'><strong>{html.escape(calibration_notice(st.get('parameters_source', 'point')))}</strong></p>",
        "<p>Inputs are sampled on the unit cube and mapped through each parameter's inverse prior CDF, "
        "so log-uniform priors are honoured"
        + ("; the parameters the posterior ensemble calibrated are mapped through the ensemble's marginal "
           "quantiles instead, around their posterior medians" if st.get("parameters_source") == "posterior" else "")
        + "; every parameter set is run on the same seeds and dyads "
        "(common random numbers) and the indices are computed on the mean over the seeds. "
        + ("Morris μ* is the mean absolute change of an outcome when one input moves across its full "
           "prior range (in prior quantiles), in the outcome's unit; σ is the spread of those changes."
           if result.method == "morris" else
           "S1 is the share of the outcome's variance due to one input alone; ST adds its interactions.")
        + "</p><table class='t'>",
    ]
    parts += [f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}"
              f"</td></tr>" for k, v in facts.items()]
    parts.append("</table><h2>Noise share</h2>")
    parts.append(f"<p>{_noise_sentence(result.noise)}</p>")
    parts.append(_table(result.noise))
    for outcome, label in result.outcomes.items():
        parts.append(f"<h2>{html.escape(outcome)}</h2><p>{html.escape(label)}</p>")
        for o, f, cap in figures:
            if o == outcome:
                parts.append(f"<figure><img src='{html.escape(f)}' alt='{html.escape(cap)}'>"
                             f"<figcaption>{html.escape(cap)}</figcaption></figure>")
        ind = result.indices[result.indices["outcome"] == outcome].sort_values(col, ascending=False)
        parts.append("<h3>Indices</h3>" + _table(ind.drop(columns=["outcome"])))
        parts.append("<h3>Mechanisms</h3>" + _table(result.mechanisms[result.mechanisms["outcome"] == outcome]
                                                    .drop(columns=["outcome"])))
        if result.tornado is not None:
            parts.append("<h3>Tornado</h3>" + _table(result.tornado[result.tornado["outcome"] == outcome]
                                                     .drop(columns=["outcome"])))
    parts.append("<p>Tables: indices.csv, noise.csv, mechanisms.csv, tornado.csv; samples.parquet (values and "
                 "unit-cube coordinates), evaluations.parquet (every set × seed × statistic).</p></body></html>")
    path = folder / "sensitivity.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def write_all(result: SensitivityResult, folder: Path) -> dict[str, Any]:
    """Tables, figures and the page into ``folder``; returns the manifest (settings, outcomes)."""
    write_tables(result, folder)
    figures = make_figures(result, folder)
    write_page(result, folder, figures)
    man = {"package": "dyadsim", "kind": "sensitivity", **result.settings,
           "outcomes": result.outcomes, "parameters_analysed": list(result.design.problem.names)}
    json.loads(json.dumps(man, default=str))  # fail here, not half-way through the manifest write
    return man

"""Files, figures and pages of ``dyadsim trial`` and ``dyadsim power``.

A simulated trial is reported as a paper would report it: the CONSORT flow, outcomes by arm,
effect estimates with 95% CI, p values (adjusted for the secondary family) and standardized
effect sizes, and the mediation tests, each beside the true effect in the whole simulated
population. A power analysis gives the curves with Monte Carlo standard errors and the sizes for
80% and 90% power, read off the curves.
"""
from __future__ import annotations

import html
import json
from typing import Any
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dyadsim.config.grounding import calibration_notice  # noqa: E402
from dyadsim.trials.consort import consort_lines, draw_consort  # noqa: E402
from dyadsim.trials.run import PowerResult, TrialResult  # noqa: E402
from dyadsim.trials.tables import (by_arm_rows,
    estimate_rows,
    html_table,
    labels,
    mediation_rows,
    power_rows,
    required_rows,
    truth_rows)

_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}"
        "div.scroll{overflow-x:auto;max-width:100%;margin-bottom:1em}td small{color:#666}"
        "caption{caption-side:bottom;text-align:left;font-size:12px;color:#444;padding-top:3px}")
_NOTE = ("Simulated under the model's assumptions (see 'dyadsim params --assumed'): a tool for "
         "reasoning about designs, never a prediction of a real trial's result.")


def _page(title: str, body: str, source: str = "point") -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1><p style='background:#fff3cd;padding:6px'>"
            f"<strong>{html.escape(calibration_notice(source))}</strong></p><p><em>{html.escape(_NOTE)}</em></p>"
            f"{body}</body></html>")


def write_trial_report(res: TrialResult, folder: Path) -> None:
    """Write one trial's tables, CONSORT diagram and ``report.html`` into ``folder``."""
    t = res.trial
    res.data.participants.to_parquet(folder / "participants.parquet", index=False)
    res.by_arm.to_csv(folder / "by_arm.csv", index=False)
    res.estimates.to_csv(folder / "estimates.csv", index=False)
    med = res.mediation.merge(res.true_paths.drop(columns=["mediators", "outcome"]).rename(
        columns={"path": "path", "total": "true_total", "indirect": "true_indirect", "direct": "true_direct"}),
        on="path", how="left") if len(res.mediation) else res.mediation
    med.to_csv(folder / "mediation.csv", index=False)
    (folder / "consort.json").write_text(json.dumps(res.data.consort, indent=1), encoding="utf-8")
    draw_consort(res.data.consort, t.primary.name, folder / "consort.svg", f"{t.name}: participant flow")
    names = labels(t)
    mc_only = ("Intervals and p values are those of one simulated trial of this size (its sampling "
               "uncertainty under the model), not uncertainty in the model's parameters.")
    body = [f"<p>{html.escape(t.description)}</p>",
            f"<p>Trial seed {res.seed}; arms {', '.join(html.escape(a.name) for a in t.arms)} "
            f"(ratio {':'.join(map(str, t.ratio))}); {t.n_per_arm} per allocation unit; analysis: intention to treat, "
            f"missing data by {html.escape(t.analysis.missing)}, alpha {t.analysis.alpha}, secondary outcomes "
            f"adjusted by {html.escape(t.analysis.multiplicity)}. Parameters: "
            f"{html.escape(res.parameters.get('described', 'point values'))}, every arm on the same dyads and random "
            "numbers.</p>",
            "<h2>Participant flow (CONSORT)</h2><img src='consort.svg' alt='CONSORT flow diagram' width='640'>",
            "<pre>" + html.escape("\n".join(consort_lines(res.data.consort, t.primary.name))) + "</pre>",
            "<h2>Outcomes by arm (as observed)</h2>", html_table(by_arm_rows(res.by_arm, names)),
            "<h2>Effect estimates, with the true effect in the simulated population</h2>",
            "<p>Estimate on the model's scale (mean difference, rate ratio, odds ratio, hazard ratio) with 95% CI; "
            "true values are over every eligible mother of the pools without drop-out or with her measurement error "
            "averaged out: difference and ratio of arm means, marginal odds ratio (an adjusted logistic model "
            "estimates a conditional odds ratio, which is further from 1). Every column, under its file name, is in "
            "estimates.csv.</p>", html_table(estimate_rows(res.estimates, names), mc_only)]
    if len(med):
        body += ["<h2>Mediation</h2><p>Complete cases, treatment against control, strata as covariates; joint "
                 "significance of every path and the percentile bootstrap interval of the product of coefficients "
                 f"({t.analysis.bootstrap} resamples). True effects: the treatment arm minus the treatment arm with "
                 "the path cut (indirect), on the same dyads and random numbers.</p>",
                 html_table(mediation_rows(med, names), mc_only)]
    body += subgroup_section(res, folder)
    body.append("<p>Files: participants.parquet, by_arm.csv, estimates.csv, mediation.csv, subgroups.csv, "
                "subgroups_<arm>.png, consort.json, consort.svg, manifest.json.</p>")
    (folder / "report.html").write_text(_page(f"Simulated trial: {t.name}", "".join(body),
                                              res.parameters.get("source", "point")), encoding="utf-8")


def subgroup_section(res: TrialResult, folder: Path) -> list[str]:
    """subgroups.csv, a forest plot per treatment arm and the page's section on them."""
    from dyadsim.analysis.subgroups import SUBGROUPS
    from dyadsim.report.subgroup_figure import subgroup_figure
    from dyadsim.trials.trial_subgroups import RATIO_SCALES

    sg = res.subgroups
    sg.to_csv(folder / "subgroups.csv", index=False)
    if sg.empty:
        return []
    t = res.trial
    out = ["<h2>Primary outcome by pre-specified subgroup</h2><p>The primary outcome analysed by the plan's "
           "model in each subgroup and outside it; the interaction test compares the two (on the log scale for "
           "ratios). One trial sized for the main effect has little power for interactions: read these as where "
           "the effect lives under the model, not as findings.</p>"]
    for arm in sg["scenario"].unique():
        d = sg[sg["scenario"] == arm]
        scale = next((s for s in d["scale"] if s), "difference")
        fig = f"subgroups_{arm}.png"
        subgroup_figure(d, arm, t.primary.name, folder / fig, null=1.0 if scale in RATIO_SCALES else 0.0,
                        xlabel=f"{arm} against {t.arms[0].name}: {t.primary.name}\n"
                        f"{scale.replace('_', ' ')} with {d['interval'].iloc[0]}")
        rows = [{"subgroup": html.escape(SUBGROUPS[r.subgroup][0]), "level": "in" if r.level == "in" else "not in",
                 "mothers analysed": f"{r.dyads:.0f}", "estimate": f"{r.effect:.3g}",
                 "CI": f"[{r.lower:.3g}, {r.upper:.3g}]",
                 "interaction": f"{r.interaction:.3g} [{r.interaction_lower:.3g}, {r.interaction_upper:.3g}]"
                 if r.level == "in" else "",
                 "p (interaction)": f"{r.p_interaction:.3g}" if r.level == "in" else ""} for r in d.itertuples()]
        out += [f"<h3>{html.escape(arm)}</h3><img src='{fig}' alt='subgroup forest plot' width='640'>",
                html_table(rows)]
    return out


def power_figure(res: PowerResult, path: Path) -> Path:
    """Power curves (one panel for outcomes, one for mediation paths) with +-1.96 MCSE bands."""
    s = res.summary
    groups = [("Outcomes", s[~s["kind"].str.startswith("mediation")]),
              ("Mediation paths", s[s["kind"].str.startswith("mediation")])]
    groups = [(t, g) for t, g in groups if len(g)]
    fig, axes = plt.subplots(1, len(groups), figsize=(6.2 * len(groups), 4.6), squeeze=False)
    for ax, (title, g) in zip(axes[0], groups):
        for (target, kind), c in g.groupby(["target", "kind"], sort=False):
            c = c.sort_values("n")
            label = f"{target} ({kind})"
            line, = ax.plot(c["n"], c["power"], marker="o", ms=3, label=label)
            ax.fill_between(c["n"], np.clip(c["power"] - 1.96 * c["mcse"], 0, 1),
                            np.clip(c["power"] + 1.96 * c["mcse"], 0, 1), color=line.get_color(), alpha=0.15, lw=0)
        for level in (0.8, 0.9):
            ax.axhline(level, color="grey", lw=0.8, ls="--")
        ax.set_ylim(0, 1)
        ax.set_xlabel(f"participants per allocation unit (ratio {':'.join(map(str, res.trial.ratio))})")
        ax.set_ylabel("power (share of replicates rejecting)")
        ax.set_title(f"{title} (band: +-1.96 Monte Carlo SE)", fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_power_report(res: PowerResult, folder: Path) -> None:
    """Write the power tables (CSV and Parquet), the figure and ``power.html`` into ``folder``."""
    res.summary.to_csv(folder / "power.csv", index=False)
    res.summary.to_parquet(folder / "power.parquet", index=False)
    res.replicates.to_parquet(folder / "replicates.parquet", index=False)
    res.required.to_csv(folder / "required_n.csv", index=False)
    res.truth.to_csv(folder / "true_effects.csv", index=False)
    res.true_paths.to_csv(folder / "true_paths.csv", index=False)
    drawn = res.manifest.get("parameter_draws", {}).get("source", "point") != "point"
    if drawn:
        res.by_draw.to_csv(folder / "power_by_draw.csv", index=False)
        res.truth_by_draw.to_csv(folder / "true_effects_by_draw.csv", index=False)
        res.drivers.to_csv(folder / "success_drivers.csv", index=False)
        res.effects.to_csv(folder / "effect_distribution.csv", index=False)
    power_figure(res, folder / "power.svg")
    power_figure(res, folder / "power.png")
    t = res.trial
    names = labels(t)
    grid = (int(res.summary["n"].min()), int(res.summary["n"].max()))
    mc_only = ("\u00b1: Monte Carlo SE of the power estimate from the replicate trials (it shrinks with more "
               "replicates); it says nothing of uncertainty in the model's parameters, which is not in these curves.")
    rec = res.manifest.get("parameter_draws", {})
    if drawn:
        sets = rec.get("draws")
        mc_only = (f"Power is averaged over {sets} parameter sets ({'members of the calibrated posterior ensemble' if rec.get('source') == 'posterior' else 'draws from the priors'}), "
                   "replicate r on set r mod K: the probability of success given what is known of the parameters "
                   "(assurance), not the power at one guess of them. \u00b1: its Monte Carlo SE as if the replicates "
                   "were independent; power at each set is in power_by_draw.csv, true effects per set in "
                   "true_effects_by_draw.csv.")
    body = [f"<p>{html.escape(t.description)}</p>",
            f"<p>{res.manifest['reps']} replicate trials per size, drawn from pools of {t.pool_dyads} simulated "
            f"dyads per arm ({res.manifest['eligible_in_pool']} eligible); executor: "
            f"{html.escape(res.manifest['executor'])}; {res.manifest['elapsed_s']:.0f} s. Primary at alpha "
            f"{t.analysis.alpha}; secondary adjusted by {html.escape(t.analysis.multiplicity)}; process measures "
            f"unadjusted; mediation by joint significance and percentile bootstrap ({res.manifest['n_boot']} "
            "resamples). A failed model (non-convergence, separation) counts as no rejection.</p>",
            "<img src='power.svg' alt='power curves' width='1000'>",
            "<h2>Size for 80% and 90% power (per allocation unit and in total)</h2>",
            "<p>Read off the Monte Carlo curve by linear interpolation between grid points (how: within grid). "
            "Where the smallest size already has the power (below grid) or the largest falls short (above grid), "
            "the size is extrapolated from a fit of probit(power) = a + b &radic;n to the curve (the normal "
            "approximation of a test's power): an estimate outside what was simulated, to be confirmed with a grid "
            "that brackets it.</p>", html_table(required_rows(res.required, names, grid)),
            "<h2>Power by size</h2><p>Power (share of replicate trials rejecting) \u00b1 its Monte Carlo SE, and "
            "how many replicates' models failed (counted as no rejection).</p>",
            html_table(power_rows(res.summary, names), mc_only),
            "<h2>True effects in the simulated population</h2>", html_table(truth_rows(res.truth, res.true_paths, names)),
            "<p>Files: power.csv, power.parquet, replicates.parquet, required_n.csv, true_effects.csv, "
            "true_paths.csv, power.svg, power.png, manifest.json"
            + (", power_by_draw.csv, true_effects_by_draw.csv, success_drivers.csv, effect_distribution.csv"
               if drawn else "") + (", sequential.csv" if len(res.sequential) else "") + ".</p>"]
    if len(res.sequential):
        res.sequential.to_csv(folder / "sequential.csv", index=False)
        body.insert(-1, _sequential_section(res))
    if drawn:
        body.insert(-1, "<h2>Power at each parameter set</h2><p>The spread of the power across the sets says how much "
                    "the answer depends on what is not known; each value rests on the replicates of its set only "
                    "(reps / K), so it is noisy.</p>" + html_table(_spread_rows(res.by_draw, names))
                    + _assurance_section(res, names))
    (folder / "power.html").write_text(_page(f"Power: {t.name}", "".join(body), rec.get("source", "point")),
                                       encoding="utf-8")


def _spread_rows(by_draw: Any, names: dict[str, str]) -> list[dict[str, str]]:
    """Per target and size: the power's median and range over the parameter sets."""
    rows = []
    for (target, kind, n), g in by_draw.groupby(["target", "kind", "n"], sort=False):
        q = g["power"].quantile([0.1, 0.5, 0.9])
        rows.append({"target": html.escape(names.get(target, target)), "kind": html.escape(kind), "n": str(int(n)), "sets": str(len(g)),
                     "median power": f"{q[0.5]:.2f}", "10th-90th percentile": f"{q[0.1]:.2f} - {q[0.9]:.2f}"})
    return rows


def _sequential_section(res: PowerResult) -> str:
    """The group-sequential design: boundaries, and per size its power, stopping probabilities and
    expected enrolment, beside the closed form at the fixed design's drift."""
    from dyadsim.trials.interim import boundaries

    t = res.trial
    assert t.interim is not None
    c = boundaries(t)
    looks = ", ".join(f"{x:.2f} (|z| &ge; {b:.3f})" for x, b in zip(t.interim.looks, c))
    fut = ("no futility bounds" if t.interim.futility is None else
           "non-binding futility when z &lt; " + ", ".join(f"{f:g}" for f in t.interim.futility))
    rows = []
    for r in res.sequential.to_dict("records"):
        rows.append({"n per allocation unit": str(r["n"]), "power": f"{r['power']:.2f} \u00b1 {r['mcse']:.2f}",
                     "closed form": f"{r.get('closed_form_power', float('nan')):.2f}",
                     "stop at each look": " / ".join(f"{r[f'stop_look_{k + 1}']:.2f}" for k in range(len(c))),
                     "expected enrolled": f"{r['expected_total']:.0f} of {r['max_total']}",
                     "closed form enrolled": f"{r.get('closed_form_expected_total', float('nan')):.0f}"})
    return ("<h2>Interim analyses (group-sequential primary)</h2><p>Looks at information fractions " + looks
            + f", Lan-DeMets {html.escape(t.interim.spending.replace('_', '-'))}-type alpha spending at two-sided "
            f"alpha {t.analysis.alpha}, {fut}. Each replicate trial is analysed at every look on the participants "
            "enrolled by then (the share enrolled is the information fraction; accrual is taken as instantaneous "
            "against follow-up) and stops at the first boundary it crosses. The closed form is the recursive "
            "integration of Armitage, McPherson &amp; Rowe at the drift implied by the fixed design's mean z "
            "(sequential.csv: fixed_drift).</p>" + html_table(rows))


def _assurance_section(res: PowerResult, names: dict[str, str]) -> str:
    """The true effect's spread over the parameter sets, and the parameters success moves with."""
    eff = [{"outcome": html.escape(names.get(r["outcome"], r["outcome"])), "sets": str(r["sets"]),
            "true difference: median [5th, 95th percentile]":
                f"{r.get('difference_p50', float('nan')):.3g} [{r.get('difference_p05', float('nan')):.3g}, "
                f"{r.get('difference_p95', float('nan')):.3g}]"} for r in res.effects.to_dict("records")]
    top = res.drivers.groupby(["target", "kind"], sort=False).head(5) if len(res.drivers) else res.drivers
    drv = [{"target": html.escape(names.get(r["target"], r["target"])), "kind": html.escape(r["kind"]),
            "n": str(r["n"]), "parameter": html.escape(r["parameter"]),
            "log-odds of success per SD": f"{r['log_odds_per_sd']:+.2f} \u00b1 {r['se']:.2f}", "z": f"{r['z']:+.1f}"}
           for r in top.to_dict("records")]
    return ("<h2>The true effect over the parameter sets</h2>" + html_table(eff)
            + "<h2>What decides success</h2><p>For each drawn parameter, a logistic regression of each replicate's "
            "success on that parameter's standardized value in the replicate's set (one parameter at a time), at the "
            "grid size nearest the file's n_per_arm; the five with the largest |z| per target (all in "
            "success_drivers.csv). With few sets these are screening signals, not estimates.</p>" + html_table(drv))


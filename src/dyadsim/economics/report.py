"""The files of ``dyadsim economics``: tables (CSV), figures, ``economics.html`` and the CHEERS 2022
checklist filled from the run.

CHEERS 2022 (Husereau et al. 2022, BMJ 376:e067975, Table 1: 28 items): each item says where the
report addresses it, or that the run does not ("not addressed") or cannot ("not applicable"). Items
that only the authors of a study can fill (funding, conflicts of interest, engagement of patients)
are marked not addressed rather than guessed.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.config.grounding import calibration_notice, draws_source
from dyadsim.economics.names import COUNTS, HEALTH, QUANTITIES
from dyadsim.economics.decision import STATUS
from dyadsim.economics.results import PER, EconomicsResult

CHEERS: tuple[tuple[int, str, str], ...] = (
    (1, "Title", "Identify the study as an economic evaluation and specify the interventions being compared."),
    (2, "Abstract", "Provide a structured summary that highlights context, key methods, results, and alternative analyses."),
    (3, "Background and objectives", "Give the context for the study, the study question, and its practical relevance."),
    (4, "Health economic analysis plan", "Indicate whether a health economic analysis plan was developed and where available."),
    (5, "Study population", "Describe characteristics of the study population."),
    (6, "Setting and location", "Provide relevant contextual information that may influence findings."),
    (7, "Comparators", "Describe the interventions or strategies being compared and why chosen."),
    (8, "Perspective", "State the perspective(s) adopted by the study and why chosen."),
    (9, "Time horizon", "State the time horizon for the study and why appropriate."),
    (10, "Discount rate", "Report the discount rate(s) and reason chosen."),
    (11, "Selection of outcomes", "Describe what outcomes were used as the measure(s) of benefit(s) and harm(s)."),
    (12, "Measurement of outcomes", "Describe how outcomes used to capture benefit(s) and harm(s) were measured."),
    (13, "Valuation of outcomes", "Describe the population and methods used to measure and value outcomes."),
    (14, "Measurement and valuation of resources and costs", "Describe how costs were valued."),
    (15, "Currency, price date, and conversion", "Report the dates of the estimated resource quantities and unit "
         "costs, plus the currency and year of conversion."),
    (16, "Rationale and description of model", "If modelling is used, describe in detail and why used; report if the "
         "model is publicly available and where it can be accessed."),
    (17, "Analytics and assumptions", "Describe any methods for analysing or statistically transforming data, any "
         "extrapolation methods, and approaches for validating any model used."),
    (18, "Characterising heterogeneity", "Describe any methods used for estimating how the results of the study vary "
         "for subgroups."),
    (19, "Characterising distributional effects", "Describe how impacts are distributed across different individuals "
         "or adjustments made to reflect priority populations."),
    (20, "Characterising uncertainty", "Describe methods to characterise any sources of uncertainty in the analysis."),
    (21, "Approach to engagement with patients and others affected by the study", "Describe any approaches to engage "
         "patients or service recipients, the general public, communities, or stakeholders in the design of the study."),
    (22, "Study parameters", "Report all analytic inputs (values, ranges, references), including uncertainty or "
         "distributional assumptions."),
    (23, "Summary of main results", "Report the mean values for the main categories of costs and outcomes of interest "
         "and summarise them in the most appropriate overall measure."),
    (24, "Effect of uncertainty", "Describe how uncertainty about analytic judgments, inputs, or projections affect "
         "findings; report the effect of choice of discount rate and time horizon, if applicable."),
    (25, "Effect of engagement with patients and others affected by the study", "Report on any difference patient, "
         "service recipient, general public, community, or stakeholder involvement made to the approach or findings."),
    (26, "Study findings, limitations, generalisability, and current knowledge", "Report key findings, limitations, "
         "ethical or equity considerations not captured, and how these could affect patients, policy, or practice."),
    (27, "Source of funding", "Describe how the study was funded and any role of the funder."),
    (28, "Conflicts of interest", "Report authors' conflicts of interest according to journal or ICMJE requirements."),
)
"""The CHEERS 2022 items: number, topic, guidance (Husereau et al. 2022, Table 1)."""


def cheers_rows(res: EconomicsResult) -> list[dict[str, object]]:
    """Where ``economics.html`` (or the folder) addresses each CHEERS 2022 item, filled from the run."""
    s, m = res.settings, res.manifest
    k = int(m.get("replicates", 0))
    ext = ("none: costs and QALYs end at the horizon" if s.extrapolate_years <= 0 else
           f"labelled extrapolation of {s.extrapolate_years:g} years beyond the horizon (section Time horizon)")
    where = {
        1: "title of economics.html (a cost-utility analysis of the strategies named)",
        2: "section Summary",
        3: "section Question",
        4: "not addressed: no health economic analysis plan was registered for this run; manifest.json records "
           "every setting used",
        5: "section Population (cohort at enrolment, from the population file of the first strategy)",
        6: f"section Setting: United States, {res.inputs.currency} prices of {res.inputs.price_year}",
        7: "section Strategies (each scenario file and its description)",
        8: f"section Perspective: health-care payer and societal, both reported; the probabilistic analysis uses "
           f"{s.perspective}",
        9: f"section Time horizon: enrolment in pregnancy to the end of follow-up; extrapolation {ext}",
        10: f"section Discounting: {s.rate:.1%} a year for costs and effects",
        11: "section Outcomes: QALYs of mother and infant, life-years, overdose deaths, NOWS days, removals, secure "
            "attachment",
        12: "section Outcomes: simulated per dyad by the model (docs/outcomes.md)",
        13: "section Inputs: utilities with sources (inputs.csv)",
        14: "section Inputs: unit costs with sources and ranges (inputs.csv); quantities from the simulated records "
            "(quantities.csv)",
        15: f"section Inputs: {res.inputs.currency}, price year {res.inputs.price_year}, CPI-U inflation "
            "(each cost's own year in inputs.csv)",
        16: "section Model: dyadsim, an individual-based simulation of mother-infant dyads; its source and "
            "documentation ship with the package",
        17: "section Model and docs/economics.md (accrual by month, discounting, what each support costs, "
            "extrapolation)",
        18: "not addressed in this report (effects by subgroup: dyadsim compare, subgroups.csv)",
        19: "not addressed",
        20: f"section Uncertainty: probabilistic analysis over {k} draws (model parameters and cost and utility "
            "inputs), CEAC, CEAF, EVPI, EVPPI by regression (GAM)" + (
                f"; EVSI of the proposed trial {m['economics']['evsi']['trial']} at "
                f"{', '.join(str(n) for n in m['economics']['evsi']['sizes_per_arm'])} per arm by regression "
                "(Strong et al. 2015; section Value of sample information, evsi.csv)"
                if len(res.evsi) and "evsi" in m.get("economics", {}) else ""),
        21: "not addressed: no patients or others affected were engaged in this run",
        22: "inputs.csv (every cost and utility: value, range, distribution, source); manifest.json (parameter draws)",
        23: "sections Results per 1,000 births and Incremental analysis (strategies.csv, incremental.csv)",
        24: f"section Uncertainty (ceac.csv, evppi.csv, psa.csv{', evsi.csv' if len(res.evsi) else ''}); the discount rate and horizon are settings "
            "(--discount, --extrapolate-years): rerun to see their effect",
        25: "not applicable (no engagement)",
        26: "section Limitations",
        27: "not addressed (for the authors of a study to report)",
        28: "not addressed (for the authors of a study to report)",
    }
    return [{"item": i, "topic": t, "guidance": g, "where": where[i]} for i, t, g in CHEERS]


def _table(df: pd.DataFrame, fmt: dict[str, str] | None = None) -> str:
    """An HTML table, float columns formatted by ``fmt`` (column -> format spec, default ``,.2f``)."""
    fmt = fmt or {}

    def spec(f: str):  # noqa: ANN202 - a formatter for pandas
        return lambda v: "" if not np.isfinite(v) else format(v, f)

    formatters = {c: spec(fmt.get(c, ",.2f")) for c in df.columns if pd.api.types.is_float_dtype(df[c])}
    return df.to_html(index=False, formatters=formatters, na_rep="", border=0)


def _save(fig: Any, path: Path, files: list[str]) -> None:
    """Write a figure and close it; its file name joins ``files``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    files.append(path.name)


def _figures(res: EconomicsResult, folder: Path) -> list[str]:
    """CE plane, CEAC with the CEAF and EVPI curve, EVPPI bars; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    s, names = res.settings, res.names
    files = []
    psa = res.psa
    base = psa[psa.strategy == names[0]].set_index("draw")
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for n in names[1:]:
        d = psa[psa.strategy == n].set_index("draw")
        ax.scatter((d.qaly_dyad - base.qaly_dyad) * PER, (d[f"cost_{s.perspective}"] - base[f"cost_{s.perspective}"]) * PER,
                   s=12, alpha=0.6, label=n)
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    lim, ylim = ax.get_xlim(), ax.get_ylim()
    for w in s.wtps:
        ax.plot(lim, [w * lim[0], w * lim[1]], lw=0.8, ls="--", color="grey")
    ax.set_xlim(lim)
    ax.set_ylim(ylim)
    ax.set_xlabel(f"incremental QALYs per {PER:,} births (vs {names[0]})")
    ax.set_ylabel(f"incremental cost per {PER:,} births, {res.inputs.currency} ({s.perspective})")
    ax.set_title("Cost-effectiveness plane (one point per draw; dashed: willingness to pay)")
    ax.legend(fontsize=7)
    _save(fig, folder / "ce_plane.png", files)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for n in names:
        d = res.ceac[res.ceac.strategy == n]
        ax1.plot(d.wtp, d.probability_best, label=n)
    opt = res.ceac[res.ceac.optimal]
    ax1.scatter(opt.wtp, opt.probability_best, s=14, color="k", zorder=3, label="CEAF (optimal strategy)")
    ax1.set_xlabel("willingness to pay per QALY")
    ax1.set_ylabel("probability cost-effective")
    ax1.set_title("CEAC and CEAF")
    ax1.legend(fontsize=7)
    ev = res.ceac.drop_duplicates("wtp")
    ax2.plot(ev.wtp, ev[f"evpi_per_{PER}"])
    ax2.set_xlabel("willingness to pay per QALY")
    ax2.set_ylabel(f"EVPI per {PER:,} births")
    ax2.set_title("Expected value of perfect information")
    _save(fig, folder / "ceac.png", files)

    if len(res.evppi) and res.evppi["evppi"].notna().any():
        w = 100_000.0 if 100_000.0 in s.wtps else s.wtps[0]
        d = res.evppi[res.evppi.wtp == w].sort_values("evppi")
        fig, ax = plt.subplots(figsize=(7.5, max(3.0, 0.3 * len(d))))
        ax.barh(d.group, d[f"evppi_per_{PER}"])
        ax.set_xlabel(f"EVPPI per {PER:,} births at {w:,.0f} per QALY")
        ax.set_title("Value of perfect information on each group of inputs")
        _save(fig, folder / "evppi.png", files)

    if len(res.evsi) and res.evsi["evsi"].notna().any():
        fig, ax = plt.subplots(figsize=(7.5, 4.5))
        for w, d in res.evsi.groupby("wtp"):
            d = d.sort_values("n")
            v = d[f"evsi_per_{PER}"]
            bars = [(v - d[f"lower_per_{PER}"]).clip(lower=0).fillna(0.0), (d[f"upper_per_{PER}"] - v).clip(lower=0).fillna(0.0)]
            line = ax.errorbar(d.n, v, yerr=bars, marker="o", capsize=3, label=f"EVSI at {w:,.0f} per QALY")
            ax.axhline(float(d[f"evpi_per_{PER}"].iloc[0]), ls=":", color=line[0].get_color(),
                       label=f"EVPI at {w:,.0f} (the bound)")
        ax.set_xlabel("participants per arm of the proposed trial")
        ax.set_ylabel(f"EVSI per {PER:,} births ({res.inputs.currency})")
        ax.set_title("Expected value of sample information (bars: 95% bootstrap intervals)")
        ax.legend(fontsize=8)
        _save(fig, folder / "evsi.png", files)
    return files


def evsi_section(res: EconomicsResult) -> str:
    """The report's section on the EVSI of the proposed trial (empty without one)."""
    study = res.manifest.get("economics", {}).get("evsi")
    if not len(res.evsi) or study is None:
        return ("<h3>Value of sample information</h3><p>Not computed: give a proposed trial with --evsi-trial "
                "(docs/economics.md).</p>")
    arms = ", ".join(f"{html.escape(a)} = {html.escape(st)}" for a, st in study["arms"].items())
    cols = ["wtp", "n", f"evsi_per_{PER}", f"se_per_{PER}", f"lower_per_{PER}", f"upper_per_{PER}",
            f"evpi_per_{PER}", "note"]
    return f"""<h3>Value of sample information: trial {html.escape(study['trial'])}</h3>
<p>The expected value of sample information (per {PER:,} births) of the trial in {html.escape(study['trial_file'])}
(arms: {arms}) at each size per arm, by the regression method of Strong, Oakley, Brennan and Breeze 2015: in each
draw the trial is simulated under that draw's parameters ({study['pool_dyads_per_arm']} dyads per arm to draw from,
the trial's screening, randomisation, measurement error and drop-out) and reports its {html.escape(study['statistic'])};
each strategy's incremental net benefit is regressed on that statistic (the GAM of the EVPPI). Standard errors and
intervals: bootstrap of the draws. The EVSI cannot exceed the EVPI but by Monte Carlo error; with few draws it is
rough and biased upwards. Primary-model failures replaced by the observed difference in means:
{study['model_failures']}.</p>
{_table(res.evsi[cols], {c: ',.0f' for c in cols[2:7]})}"""


def inputs_table(res: EconomicsResult) -> pd.DataFrame:
    """Every unit cost and utility used: point value, price-year value, range, distribution, source."""
    rows = []
    for name, c in res.inputs.costs.items():
        f = res.inputs.inflator(c.year)
        rows.append({"kind": "cost", "name": name, "value": c.value, "year": c.year,
                     f"value_{res.inputs.price_year}": c.value * f, "low": c.low * f, "high": c.high * f,
                     "distribution": c.distribution, "perspective": c.perspective, "category": c.category,
                     "unit": c.unit, "quantity": c.quantity, "source": c.source})
    for name, u in res.inputs.utilities.items():
        rows.append({"kind": "utility", "name": name, "value": u.value, "low": u.low, "high": u.high,
                     "distribution": u.distribution, "source": u.source})
    return pd.DataFrame(rows)


def write_report(res: EconomicsResult, tmp: Path) -> None:
    """Write every table, figure, ``economics.html`` and ``cheers.csv`` into ``tmp``."""
    res.strategies.to_csv(tmp / "strategies.csv", index=False)
    res.incremental.to_csv(tmp / "incremental.csv", index=False)
    res.psa.to_csv(tmp / "psa.csv", index=False)
    res.ceac.to_csv(tmp / "ceac.csv", index=False)
    res.evppi.to_csv(tmp / "evppi.csv", index=False)
    if len(res.evsi):
        res.evsi.to_csv(tmp / "evsi.csv", index=False)
    res.means.to_csv(tmp / "quantities.csv", index=False)
    inputs = inputs_table(res)
    inputs.to_csv(tmp / "inputs.csv", index=False)
    cheers = pd.DataFrame(cheers_rows(res))
    cheers.to_csv(tmp / "cheers.csv", index=False)
    figs = _figures(res, tmp / "figures")
    (tmp / "economics.html").write_text(page(res, inputs, cheers, figs), encoding="utf-8")


def _population(res: EconomicsResult) -> str:
    pop = res.manifest.get("population_summary")
    if not pop:
        return "<p>As in the population file of the first strategy (docs/model.md).</p>"
    return _table(pd.DataFrame([{"characteristic": k, "value": v} for k, v in pop.items()]), {"value": ",.3f"})


def page(res: EconomicsResult, inputs: pd.DataFrame, cheers: pd.DataFrame, figs: list[str]) -> str:
    """The HTML report."""
    s, m, cur, py = res.settings, res.manifest, res.inputs.currency, res.inputs.price_year
    k = int(m.get("replicates", 0))
    show = ["strategy", "cost_payer", "cost_societal", "qaly_mother", "qaly_infant", "qaly_dyad",
            "mother_life_years", "infant_life_years", *[c for c in COUNTS if c not in ("mother_life_years",
                                                                                         "infant_life_years")]]
    strat = _table(res.strategies[show], {c: ",.0f" for c in ("cost_payer", "cost_societal")} | {
        c: ",.2f" for c in show[3:]})
    inc_html = ""
    for persp in ("payer", "societal"):
        d = res.incremental[res.incremental.perspective == persp].copy()
        d["status"] = d["status"].map(lambda x: f"{x} ({STATUS[x]})")
        cols = ["strategy", "cost", "effect", "status", "incremental_cost", "incremental_effect", "icer",
                *[c for c in d.columns if c.startswith(("nmb_", "nhb_"))]]
        inc_html += f"<h3>{persp.capitalize()} perspective</h3>" + _table(d[cols], {"cost": ",.0f", "icer": ",.0f",
                                                                                   "incremental_cost": ",.0f"})
    w = 100_000.0 if 100_000.0 in s.wtps else s.wtps[0]
    at = res.ceac[(res.ceac.wtp == w)]
    best = at[at.optimal].iloc[0]
    evpi = float(best[f"evpi_per_{PER}"])
    ev = res.evppi[res.evppi.wtp == w][["group", "inputs", f"evppi_per_{PER}", "note"]] if len(res.evppi) else res.evppi
    assumed = int(inputs["source"].str.startswith("assumed").sum())
    frontier_names = res.incremental[(res.incremental.perspective == s.perspective) &
                                     (res.incremental.status == "ND")]["strategy"].tolist()
    strategies_list = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(str(d))}</li>"
                              for n, d in zip(res.names, m.get("descriptions", [""] * len(res.names))))
    imgs = "".join(f"<p><img src='figures/{f}' alt='{html.escape(f)}' width='800'></p>" for f in figs)
    ext = ("none: costs and QALYs are counted from enrolment to the end of follow-up only" if s.extrapolate_years <= 0
           else f"EXTRAPOLATION: beyond follow-up, mothers alive keep their last month's utility and infants full "
                f"health for {s.extrapolate_years:g} years ({html.escape(s.extrapolate_label)}); mothers who died get "
                "none. No cost is extrapolated.")
    note = calibration_notice(draws_source(m))
    rows = "".join(f"<tr><td>{r.item}</td><td>{html.escape(r.topic)}</td><td>{html.escape(r.where)}</td></tr>"
                   for r in cheers.itertuples())
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Cost-utility analysis: {html.escape(', '.join(res.names))} (economic evaluation, dyadsim)</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto}}table{{border-collapse:collapse;font-size:90%}}
td,th{{border:1px solid #ccc;padding:3px 6px}}.note{{background:#fff3cd;padding:6px}}</style></head><body>
<h1>Cost-utility analysis of {len(res.names)} strategies for opioid-exposed mother-infant dyads</h1>
<p class="note">{html.escape(note)}</p>
<h2>Summary</h2>
<p>Per {PER:,} births to mothers with opioid use disorder, {m.get('dyads')} simulated dyads x {k} draws per strategy
(common random numbers). At {w:,.0f} {cur} per QALY ({s.perspective} perspective) the strategy with the highest
expected net monetary benefit is <b>{html.escape(str(best.strategy))}</b> (probability of being cost-effective
{best.probability_best:.2f}); the efficiency frontier is {html.escape(' -> '.join(frontier_names))}; the EVPI is
{evpi:,.0f} {cur} per {PER:,} births.</p>
<h2>Question</h2><p>Which support buys most health per dollar for births to mothers with opioid use disorder, and how
much would it be worth to know the uncertain inputs better?</p>
<h2>Strategies</h2><ul>{strategies_list}</ul>
<h2>Population</h2>{_population(res)}
<h2>Setting</h2><p>United States; costs in {cur} of {py}, inflated with the CPI-U.</p>
<h2>Perspective</h2><p>Health-care payer (hospital, MOUD, programmes and supports) and societal (adding child
welfare, productivity, time and out-of-pocket costs). Both are reported; the probabilistic analysis uses the
{s.perspective} perspective.</p>
<h2>Time horizon</h2><p>From enrolment in pregnancy to the end of follow-up after birth. Extrapolation: {ext}</p>
<h2>Discounting</h2><p>{s.rate:.1%} a year for costs and effects, accrued by month (events within a month are
known by month only).</p>
<h2>Outcomes</h2><p>QALYs of the mother (days using, on MOUD, neither; less a decrement for depressive symptoms) and
of the infant (the birth stay with NOWS, then full health), life-years, and per {PER:,} births: overdose deaths,
non-fatal overdoses, NOWS stay days, removals, CPS reports, secure attachments at 12 months. Quantities are read
from the simulated records (docs/outcomes.md; quantities.csv holds their means per draw).</p>
<h2>Model</h2><p>dyadsim: an individual-based simulation of the mechanisms linking stress, craving, use, MOUD,
parenting and attachment (Reese et al. 2021), run day by day for each dyad. How its records become costs and
QALYs: docs/economics.md.</p>
<h2>Results per {PER:,} births (base case)</h2>{strat}
<h2>Incremental analysis (effect: QALYs of the dyad per {PER:,} births)</h2>{inc_html}
<h2>Uncertainty</h2><p>{k} draws: each strategy's mean over its dyads in draw r, with draw r's model parameters and
its own draw of every cost and utility (inputs.csv: distributions). CE plane, CEAC and CEAF, EVPI. EVPPI of named
groups of inputs by regression on a generalised additive model (Strong et al. 2014); with few draws it is rough and biased upwards.
Monte Carlo noise of {m.get('dyads')} dyads per draw adds to the spread and to the EVPI.</p>{imgs}
<h3>EVPPI at {w:,.0f} {cur} per QALY (per {PER:,} births)</h3>{_table(ev, {f'evppi_per_{PER}': ',.0f'})}
{evsi_section(res)}
<h2>Inputs</h2><p>{len(res.inputs.costs)} unit costs and {len(res.inputs.utilities)} utilities; {assumed} of them
are assumed (no published figure found), with wide ranges. Every input: inputs.csv.</p>
{_table(inputs[['kind', 'name', f'value_{py}', 'low', 'high', 'distribution', 'source']])}
<h2>Limitations</h2><ul><li>{assumed} inputs are assumed; the strategies' programme and support costs rest mostly on them.</li>
<li>The horizon ends at the end of follow-up unless extrapolated: long-run effects of attachment, removals and
preterm birth beyond the costs counted at birth are not valued.</li><li>{k} draws: the CEAC, EVPI and EVPPI are
estimates with Monte Carlo error; rerun with more --parameter-draws and --dyads to firm them up.</li>
</ul>
<h2>CHEERS 2022 checklist</h2><table><tr><th>item</th><th>topic</th><th>where addressed</th></tr>{rows}</table>
<p>Files: strategies.csv, incremental.csv, psa.csv, ceac.csv, evppi.csv, {'evsi.csv, ' if len(res.evsi) else ''}quantities.csv, inputs.csv, cheers.csv,
differences.csv (paired differences of every outcome from {html.escape(res.names[0])}), manifest.json.</p>
<p>Quantities costed: {html.escape(', '.join(QUANTITIES))}. Health states weighted: {html.escape(', '.join(HEALTH))}.</p>
</body></html>"""

"""Tables and figures of a comparison page (``compare.html``): what trial reports show.

* arm levels of every binary (share) outcome with the difference, relative risk and number
  needed to treat (Altman 1998, *BMJ* 317:1309: NNT = 1 / |risk difference|; its interval is the
  reciprocal of the difference's when that excludes 0);
* Kaplan-Meier curves and RMST differences for the times to event (:mod:`dyadsim.analysis.survival`);
* monthly trajectories after birth with the arms overlaid;
* overdose rates by period (trimesters after enrolment, postpartum months) per 100 person-years;
* one forest plot on a shared, standardized scale (difference / between-dyad SD under the first
  scenario, as Cohen's d), grouped by domain, with the raw difference printed beside each row.

Every interval comes from :mod:`dyadsim.core.intervals` and is printed with its label.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from dyadsim.core import intervals
from dyadsim.analysis import survival  # noqa: E402
from dyadsim.report.run_report import MONTHLY_PANELS  # noqa: E402
from dyadsim.run.summary import SUMMARY, better_sign, is_share  # noqa: E402

if TYPE_CHECKING:
    from dyadsim.analysis.compare import Comparison

DOMAINS: tuple[tuple[str, str], ...] = (
    ("Mother's opioid use", r"opioid use|Any use|Return to use|Craving|first postpartum"),
    ("MOUD", r"MOUD"),
    ("Overdose and death", r"overdose"),
    ("Infant and NOWS", r"Preterm|NOWS|length of stay"),
    ("CPS", r"CPS|Removal|removal"),
    ("Parenting and maternal stress", r"stress|Depressive|Salience|Parenting|Bonding"),
    ("Attachment", r"Attachment"),
    ("Child well-being", r"Well-being"),
)
"""Domain of an outcome: the first whose pattern its label matches (every summary outcome has one)."""
ARM_COLOURS = ("#4d4d4d", "#1f78b4", "#e66101", "#33a02c", "#6a3d9a", "#b15928", "#e7298a", "#a6761d")
PERSON_YEAR_DAYS = 365.25


def domain_of(label: str) -> str:
    """The domain of an outcome label (see :data:`DOMAINS`); ``ValueError`` if none matches."""
    for name, pattern in DOMAINS:
        if re.search(pattern, label):
            return name
    raise ValueError(f"outcome {label!r} matches no domain")


def _colour(i: int) -> str:
    return ARM_COLOURS[i % len(ARM_COLOURS)]


def relative_risk(base: np.ndarray, arm: np.ndarray, kind: str = "monte_carlo",
                  n_base: float | None = None, n_arm: float | None = None) -> tuple[float, float, float]:
    """Relative risk arm / base of a share, with its interval, from per-replicate shares.

    With two or more replicates, :func:`dyadsim.core.intervals.bands` of the per-replicate log ratios
    (back-transformed, so the interval is positive); with one replicate, Katz's log interval from
    the counts (Katz et al. 1978, *Biometrics* 34:469; conservative for arms on the same dyads).
    """
    base, arm = np.asarray(base, np.float64), np.asarray(arm, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = float(arm.mean() / base.mean()) if base.mean() > 0 else np.nan
        logs = np.log(arm / base)
    if len(base) >= 2:
        if not np.isfinite(logs).all():
            return centre, np.nan, np.nan
        _, lo, hi = intervals.bands(logs, kind=kind)
        return centre, float(np.exp(lo)), float(np.exp(hi))
    if n_base is None or n_arm is None or not (0 < base[0] and 0 < arm[0]):
        return centre, np.nan, np.nan
    se = np.sqrt((1 - arm[0]) / (arm[0] * n_arm) + (1 - base[0]) / (base[0] * n_base))
    z = intervals.z_quantile()
    return centre, float(centre * np.exp(-z * se)), float(centre * np.exp(z * se))


def nnt(diff: float, lower: float, upper: float) -> tuple[float, str]:
    """Number needed to treat for one event more (difference > 0) or fewer, and its text with the
    interval: the reciprocals of the difference's limits where the interval excludes 0, else the
    two-branch form of Altman (1998) through infinity."""
    if not np.isfinite(diff) or diff == 0:
        return np.inf, "not defined (no difference)"
    value = 1.0 / abs(diff)
    word = "more" if diff > 0 else "fewer"
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return value, f"{value:.1f} (one event {word})"
    if lower > 0 or upper < 0:
        a, b = sorted((1.0 / abs(lower), 1.0 / abs(upper)))
        return value, f"{value:.1f} [{a:.1f}, {b:.1f}] (one event {word})"
    return value, (f"{value:.1f} (one event {word}); interval includes no difference: "
                   f"{1.0 / abs(upper) if upper else np.inf:.1f} for one more to infinity to "
                   f"{1.0 / abs(lower) if lower else np.inf:.1f} for one fewer")


def binary_table(cmp: Comparison) -> pd.DataFrame:
    """Every share outcome by arm: level with interval, difference from the first arm, relative
    risk and NNT (one row per outcome and arm)."""
    d = cmp.differences.set_index(["scenario", "outcome"])
    reps = [run.stats.replicate_summary() for run in cmp.runs]
    rows = []
    for label, _ in SUMMARY:
        if not is_share(label):
            continue
        base_r = reps[0][reps[0]["outcome"] == label]
        for i, (name, run) in enumerate(zip(cmp.names, cmp.runs)):
            lvl = run.summary.set_index("outcome").loc[label]
            row: dict[str, Any] = {"outcome": label, "scenario": name, "level": lvl["mean"], "level_lower": lvl["lower"],
                                   "level_upper": lvl["upper"], "interval": lvl["interval"]}
            if i > 0:
                diff = d.loc[(name, label)]
                arm_r = reps[i][reps[i]["outcome"] == label]
                rr = relative_risk(base_r["mean"].to_numpy(), arm_r["mean"].to_numpy(), cmp.interval_kind,
                                   float(base_r["n"].sum()), float(arm_r["n"].sum()))
                value, text = nnt(diff["difference"], diff["lower"], diff["upper"])
                row.update({"difference": diff["difference"], "lower": diff["lower"], "upper": diff["upper"],
                            "rr": rr[0], "rr_lower": rr[1], "rr_upper": rr[2], "nnt": value, "nnt_text": text})
            rows.append(row)
    return pd.DataFrame(rows)


def survival_inputs(cmp: Comparison, folder: Path) -> dict[str, dict[str, pd.DataFrame]]:
    """Per endpoint key, per arm: :func:`dyadsim.analysis.survival.durations` read from the outcome files."""
    out: dict[str, dict[str, pd.DataFrame]] = {e.key: {} for e in survival.ENDPOINTS}
    for name, rel in zip(cmp.names, cmp.manifest["outcome_files"]):
        path = folder / rel
        df = pq.read_table(path, columns=survival.needed_columns(path)).to_pandas()
        for e in survival.ENDPOINTS:
            out[e.key][name] = survival.durations(df, e)
    return out


def rmst_rows(inputs: dict[str, dict[str, pd.DataFrame]], kind: str) -> pd.DataFrame:
    """:func:`dyadsim.analysis.survival.rmst_table` of every endpoint, to the end of follow-up."""
    tables = []
    for e in survival.ENDPOINTS:
        arms = inputs[e.key]
        first = next(iter(arms.values()))
        tau = float(first["duration"].max()) if len(first) else np.nan
        if np.isfinite(tau) and tau > 0:
            tables.append(survival.rmst_table(arms, e, tau, kind))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def km_figure(inputs: dict[str, dict[str, pd.DataFrame]], rm: pd.DataFrame, path: Path) -> None:
    """Kaplan-Meier curves (all replicates pooled) with pointwise 95% bands, one panel per endpoint."""
    fig, axes = plt.subplots(1, len(survival.ENDPOINTS), figsize=(5.2 * len(survival.ENDPOINTS), 4.4))
    for ax, e in zip(np.atleast_1d(axes), survival.ENDPOINTS):
        for i, (name, d) in enumerate(inputs[e.key].items()):
            if len(d) == 0:
                continue
            km = survival.kaplan_meier(d, name)
            ax.step(km["day"], km["survival"], where="post", color=_colour(i), label=name)
            ax.fill_between(km["day"], km["lower"], km["upper"], step="post", color=_colour(i), alpha=0.2, lw=0)
        sub = rm[rm["endpoint"] == e.key] if len(rm) else rm
        note = "; ".join(f"{r.scenario}: {r.difference:+.1f} d [{r.lower:+.1f}, {r.upper:+.1f}]"
                         for r in sub.iloc[1:].itertuples()) if len(sub) else ""
        ax.set_title(e.title + (f"\nRMST difference to day {sub['tau_days'].iloc[0]:.0f}: {note}" if note else ""),
                     fontsize=8.5, parse_math=False)
        ax.set_xlabel("days since birth")
        ax.set_ylabel("share without the event")
        ax.set_ylim(0, 1.02)
        ax.set_xlim(0, None)
        ax.legend(fontsize=7)
    fig.suptitle("Kaplan-Meier curves (band: pointwise 95%, Greenwood, log-log; censored at end of follow-up "
                 "or death)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def trajectories_figure(cmp: Comparison, path: Path) -> None:
    """Monthly means after birth, the arms overlaid, bands from :func:`dyadsim.core.intervals.bands`."""
    label = intervals.figure_label(cmp.interval_kind)
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    for ax, (col, title, ylabel, share, ylim) in zip(axes.ravel(), MONTHLY_PANELS):
        for i, (name, run) in enumerate(zip(cmp.names, cmp.runs)):
            piv = run.stats.monthly_means().pivot(index="replicate", columns="month", values=col)
            x = piv.columns.to_numpy()
            c, lo, hi = intervals.bands(piv.to_numpy(), kind=cmp.interval_kind, share=share)
            ax.plot(x, c, marker="o", ms=3, color=_colour(i), label=name)
            ax.fill_between(x, lo, hi, color=_colour(i), alpha=0.2, lw=0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("postpartum month")
        ax.set_ylabel(ylabel)
        ax.set_ylim(*ylim)
    axes.ravel()[0].legend(fontsize=8)
    fig.suptitle(f"Monthly means after birth by scenario (band: {label} interval over replicates)", parse_math=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def overdose_rates(path: Path) -> pd.DataFrame:
    """Overdoses (non-fatal and fatal) per 100 person-years of the mother alive, by replicate and
    period: trimesters T1-T3 (after enrolment) and postpartum months M1.."""
    names = pq.ParquetFile(path).schema_arrow.names
    periods = [f"t{t}" for t in (1, 2, 3)] + sorted(c[len("days_alive_"):] for c in names
                                                    if re.fullmatch(r"days_alive_m\d\d", c))
    cols = ["replicate"] + [f"{k}_{p}" for p in periods for k in ("od_nonfatal", "od_fatal", "days_alive")]
    df = pq.read_table(path, columns=cols).to_pandas()
    sums = df.groupby("replicate").sum()
    rows = []
    for rep, s in sums.iterrows():
        for k, p in enumerate(periods):
            days = s[f"days_alive_{p}"]
            events = s[f"od_nonfatal_{p}"] + s[f"od_fatal_{p}"]
            rows.append({"replicate": rep, "order": k, "period": p.upper(),
                         "rate": 100.0 * PERSON_YEAR_DAYS * events / days if days > 0 else np.nan})
    return pd.DataFrame(rows)


def overdose_figure(cmp: Comparison, folder: Path, path: Path) -> None:
    """Overdose rates by period, the arms side by side, intervals over replicates."""
    label = intervals.figure_label(cmp.interval_kind)
    fig, ax = plt.subplots(figsize=(12, 4.2))
    width = 0.8 / len(cmp.names)
    periods: list[str] = []
    for i, (name, rel) in enumerate(zip(cmp.names, cmp.manifest["outcome_files"])):
        r = overdose_rates(folder / rel)
        piv = r.pivot(index="replicate", columns="order", values="rate")
        periods = list(r.drop_duplicates("order").sort_values("order")["period"])
        c, lo, hi = intervals.bands(piv.to_numpy(), kind=cmp.interval_kind)
        x = np.arange(len(periods)) + (i - (len(cmp.names) - 1) / 2) * width
        err = np.vstack([np.nan_to_num(c - np.maximum(lo, 0)), np.nan_to_num(hi - c)])
        ax.bar(x, c, width, yerr=err, capsize=2, color=_colour(i), label=name)
    ax.set_xticks(np.arange(len(periods)), periods)
    ax.axvline(2.5, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("period: pregnancy trimester (after enrolment) | postpartum month")
    ax.set_ylabel("overdoses per 100 person-years")
    ax.set_title(f"Overdose rate by period (non-fatal and fatal; bars: {label} interval)", parse_math=False)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def forest_table(cmp: Comparison, rm: pd.DataFrame, inputs: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """Summary differences (and RMST differences) standardized by the first scenario's
    between-dyad SD, with their domain."""
    base = cmp.runs[0].stats.replicate_summary().groupby("outcome")["sd"].mean()
    d = cmp.differences[cmp.differences["summary"]].copy()
    d["sd"] = d["outcome"].map(base)
    if len(rm):
        extra = rm[rm["scenario"] != cmp.names[0]]
        sds = {}
        for e in survival.ENDPOINTS:
            first = inputs[e.key][cmp.names[0]]
            tau = rm.loc[rm["endpoint"] == e.key, "tau_days"]
            if len(first) > 1 and len(tau):
                sds[e.key] = float(np.minimum(first["duration"], tau.iloc[0]).std(ddof=1))
        d = pd.concat([d, pd.DataFrame({"scenario": extra["scenario"],
                                        "outcome": "RMST: " + extra["title"] + " (days)",
                                        "difference": extra["difference"], "lower": extra["lower"],
                                        "upper": extra["upper"], "sd": extra["endpoint"].map(sds)})],
                      ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        for c in ("difference", "lower", "upper"):
            d[f"std_{c}"] = np.where(d["sd"] > 0, d[c] / d["sd"], np.nan)
    d["domain"] = d["outcome"].map(domain_of)
    # Signed so that a positive value favours the compared scenario (less use, more MOUD, ...);
    # an outcome with no better direction keeps its raw sign (better = 0).
    d["better"] = d["outcome"].map(better_sign)
    sign = np.where(d["better"] == 0, 1, d["better"])
    lo, hi = sign * d["std_lower"], sign * d["std_upper"]
    d["benefit"], d["benefit_lower"], d["benefit_upper"] = sign * d["std_difference"], np.fmin(lo, hi), np.fmax(lo, hi)
    order = {name: k for k, (name, _) in enumerate(DOMAINS)}
    return d.sort_values(by="domain", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def _row_label(outcome: str, better: int, width: int = 58) -> str:
    """A forest plot's row label: the outcome, shortened, with what its sign means."""
    text = outcome if len(outcome) <= width else outcome[: width - 3] + "..."
    return text + (" (lower is better)" if better < 0 else " (no better direction)" if better == 0 else "")


def forest_figure(table: pd.DataFrame, names: list[str], kind: str, path: Path) -> None:
    """One forest plot: every outcome on the standardized scale, grouped by domain, signed so that
    right of the null line favours the compared scenario (see :func:`forest_table`)."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    arms = names[1:]
    better = table.drop_duplicates("outcome").set_index("outcome")["better"]
    ys: dict[str, float] = {}
    heads: list[tuple[float, str]] = []
    y = 0.0
    for dom, _ in DOMAINS:
        these = [o for o in outcomes if table.loc[table["outcome"] == o, "domain"].iloc[0] == dom]
        if not these:
            continue
        heads.append((y, dom))
        y += 1.0
        for o in these:
            ys[o] = y
            y += 1.0
        y += 0.4
    # Sized to be read where it is shown (the page draws it 1100 px wide): 9-10 pt text at 150 dpi.
    fig, ax = plt.subplots(figsize=(15, 0.34 * y + 2.4))
    for k, arm in enumerate(arms):
        sub = table[table["scenario"] == arm]
        off = (k - (len(arms) - 1) / 2) * 0.18
        yy = np.array([ys[o] + off for o in sub["outcome"]])
        err = np.vstack([sub["benefit"] - sub["benefit_lower"], sub["benefit_upper"] - sub["benefit"]])
        hollow = (sub["better"] == 0).to_numpy()
        colour = _colour(k + 1)
        for mask, face in ((~hollow, colour), (hollow, "white")):
            if mask.any():
                ax.errorbar(sub["benefit"].to_numpy()[mask], yy[mask], xerr=np.nan_to_num(np.abs(err[:, mask])),
                            fmt="o", ms=5, capsize=2, color=colour, mfc=face, label=arm if face == colour else None)
    ax.axvline(0, color="black", lw=1.0, label="no difference")
    for yh, dom in heads:
        ax.text(0.0, yh, dom + "  ", transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontweight="bold", fontsize=10, parse_math=False)
    ax.set_yticks(list(ys.values()), [_row_label(o, int(better[o])) for o in ys], fontsize=9)
    ax.set_ylim(y, -1)
    lo, hi = ax.get_xlim()
    span = max(abs(lo), abs(hi))
    ax.set_xlim(-span, span)  # the null line in the middle: both directions get the same room
    first = table[table["scenario"] == arms[0]].set_index("outcome") if arms else table
    ax.text(1.01, -0.5, f"{arms[0]} - {names[0]} (raw)" if arms else "", transform=ax.get_yaxis_transform(),
            fontsize=9, va="center", fontweight="bold", parse_math=False)
    for o, yo in ys.items():
        if o in first.index:
            r = first.loc[o]
            ax.text(1.01, yo, f"{r['difference']:+.3g} [{r['lower']:+.3g}, {r['upper']:+.3g}]",
                    transform=ax.get_yaxis_transform(), fontsize=9, va="center")
    favoured = ", ".join(arms) if arms else "the compared scenario"
    for x, ha, text in ((0.01, "left", f"\u2190 favours {names[0]}"), (0.99, "right", f"favours {favoured} \u2192")):
        ax.annotate(text, (x, 1.0), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points", ha=ha,
                    va="bottom", fontsize=10, fontweight="bold", color="#444444", annotation_clip=False)
    ax.set_xlabel(f"standardized difference from {names[0]} (difference / between-dyad SD under {names[0]}), "
                  "signed so that right is better; hollow: no better direction, raw sign", fontsize=9,
                  parse_math=False)
    ax.set_title(f"Differences by domain ({intervals.figure_label(kind)} intervals)", fontsize=11,
                 parse_math=False, pad=22)
    ax.tick_params(axis="x", labelsize=9)
    ax.legend(fontsize=9, loc="lower right")
    ax.grid(axis="x", color="#eeeeee")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _f(x: float) -> str:
    return "" if not np.isfinite(x) else (f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}")


def write_sections(cmp: Comparison, folder: Path) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Write every figure into ``folder/figures`` and return the page's HTML sections, the
    binary-outcome table and the RMST table."""
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    kind = cmp.interval_kind
    inputs = survival_inputs(cmp, folder)
    rm = rmst_rows(inputs, kind)
    bt = binary_table(cmp)
    km_figure(inputs, rm, figs / "survival.png")
    trajectories_figure(cmp, figs / "monthly.png")
    overdose_figure(cmp, folder, figs / "overdose.png")
    forest_figure(forest_table(cmp, rm, inputs), cmp.names, kind, figs / "differences.png")
    esc = html.escape
    brows = "".join(
        f"<tr><td>{esc(r.outcome)}</td><td>{esc(r.scenario)}</td><td>{_f(r.level)} [{_f(r.level_lower)}, "
        f"{_f(r.level_upper)}]</td><td>{'' if r.scenario == cmp.names[0] else f'{r.difference:+.3f} [{r.lower:+.3f}, {r.upper:+.3f}]'}"
        f"</td><td>{'' if r.scenario == cmp.names[0] else f'{_f(r.rr)} [{_f(r.rr_lower)}, {_f(r.rr_upper)}]'}</td>"
        f"<td>{'' if r.scenario == cmp.names[0] else esc(r.nnt_text)}</td></tr>" for r in bt.itertuples())
    rrows = "".join(
        f"<tr><td>{esc(r.title)}</td><td>{esc(r.scenario)}</td><td>{r.at_risk}</td><td>{r.events}</td>"
        f"<td>{_f(r.rmst)} [{_f(r.rmst_lower)}, {_f(r.rmst_upper)}]</td><td>"
        f"{'' if r.scenario == cmp.names[0] else f'{r.difference:+.1f} [{r.lower:+.1f}, {r.upper:+.1f}]'}</td></tr>"
        for r in rm.itertuples())
    label = esc(intervals.figure_label(kind))
    km_titles = "; ".join(e.title for e in survival.ENDPOINTS)
    tau = f"{rm['tau_days'].iloc[0]:.0f}" if len(rm) else "?"
    body = f"""
<h2>Binary outcomes: levels, difference, relative risk, number needed to treat</h2>
<p>Levels and differences with {label} intervals; relative risk = share in the scenario / share in
{esc(cmp.names[0])}; NNT = 1 / |difference| dyads for one event more or fewer.</p>
<table><tr><th>outcome</th><th>scenario</th><th>level</th><th>difference</th><th>relative risk</th><th>NNT</th></tr>
{brows}</table>
<h2>Time to event after birth</h2>
<p>Kaplan-Meier curves of all replicates pooled (band: pointwise 95%, Greenwood with log-log transform).
Restricted mean survival time (RMST) to day {tau}: mean days without the event up to then (larger is later);
differences per replicate on the same dyads, {label} intervals. Censoring at the end of follow-up or the mother's
death; these replace differences of mean event days, which condition on the event.</p>
<img src="figures/survival.png" alt="Kaplan-Meier curves, one panel per time to event ({esc(km_titles)}), one line per scenario with its pointwise 95% band; the RMST table gives their numbers">
<table><tr><th>time to</th><th>scenario</th><th>at risk</th><th>events</th><th>RMST (days)</th>
<th>RMST difference (days)</th></tr>{rrows}</table>
<h2>All summary outcomes on one scale</h2>
<p>Standardized differences (difference / between-dyad SD under {esc(cmp.names[0])}), grouped by domain,
signed so that right of the null line favours the compared scenario (an outcome where lower is better, such as
days of use, is flipped and marked; the avoidant and resistant shares have no better direction and keep their
raw sign, hollow); the raw difference of the first compared scenario is printed on the right.</p>
<img src="figures/differences.png" alt="Forest plot of the standardized differences of every summary outcome from {esc(cmp.names[0])}, grouped by domain, right of the null line favouring the compared scenario; every difference is in the table at the end of the page" style="max-width:100%">
<h2>Monthly trajectories</h2><img src="figures/monthly.png" alt="Monthly trajectories after birth by scenario: craving, use, MOUD, salience of infant cues, parenting, perceived stress">
<h2>Overdose by period</h2><img src="figures/overdose.png" alt="Overdose rate per 100 person-years by period (trimesters after enrolment, postpartum months), by scenario">
"""
    return body, bt, rm

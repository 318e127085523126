"""Figures and the HTML report of a run.

Every band and error bar is :func:`dyadsim.core.intervals.bands` over replicates, of the kind named in
the run's summary table (column ``interval``), so figures and tables agree; every axis has a label
with its unit.
"""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from dyadsim.core import intervals  # noqa: E402
from dyadsim.model.modules.attachment import CLASSES  # noqa: E402
from dyadsim.run.runner import RunResult  # noqa: E402
from dyadsim.run.streaming import WELLBEING  # noqa: E402

MONTHLY_PANELS: tuple[tuple[str, str, str, bool, tuple[float, float | None]], ...] = (
    ("craving", "Craving", "latent craving (0-1)", True, (0.0, 1.0)),
    ("use_days", "Opioid use", "days of use per month (0-31)", False, (0.0, None)),
    ("moud_share", "MOUD", "share of days alive on MOUD", True, (0.0, 1.0)),
    ("salience", "Salience of infant cues", "latent salience (0-1)", True, (0.0, 1.0)),
    ("parenting", "Parenting sensitivity", "latent sensitivity (0-1)", True, (0.0, 1.0)),
    ("perceived_stress", "Perceived stress", "latent stress (0-1)", True, (0.0, 1.0)),
)
"""Monthly panels: (column of the monthly means, title, y-axis label with unit, bounded in [0, 1]
(Wilson bands), y-axis limits: the whole scale, so panels are not truncated)."""
WELLBEING_AXIS = "T score (mean 50, SD 10 in a reference sample; higher is better)"


def monthly_means(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Cohort mean by postpartum month and replicate for the report's trajectory panels."""
    months = sorted({int(c[-2:]) for c in outcomes.columns if c.startswith("use_days_m")})
    rows = []
    for rep, d in outcomes.groupby("replicate"):
        for m in months:
            tag = f"_m{m:02d}"
            alive = d["days_alive" + tag].to_numpy()
            ok = alive > 0
            rows.append({"replicate": rep, "month": m,
                         "craving": np.nanmean(d["craving" + tag]),
                         "use_days": d["use_days" + tag].mean(),
                         "moud_share": d["moud_days" + tag].sum() / max(alive[ok].sum(), 1),
                         "salience": np.nanmean(d["salience" + tag]),
                         "parenting": np.nanmean(d["parenting" + tag]),
                         "perceived_stress": np.nanmean(d["perceived_stress" + tag])})
    return pd.DataFrame(rows)


def _band(ax: plt.Axes, x: np.ndarray, values: np.ndarray, kind: str, share: bool = False,
          label: str | None = None) -> None:
    """Mean over replicates (rows of ``values``) with the interval band of ``kind``."""
    mean, lo, hi = intervals.bands(values, kind=kind, share=share)
    ax.plot(x, mean, marker="o" if len(x) <= 40 else None, ms=3, label=label)
    if values.shape[0] >= 2:
        ax.fill_between(x, lo, hi, alpha=0.25)


def _kind(result: RunResult) -> str:
    """The interval kind of a run, as named in its summary table."""
    if "interval" in result.summary.columns and len(result.summary):
        return intervals.kind_of(str(result.summary["interval"].iloc[0]))
    return "monte_carlo"


def make_figures(result: RunResult, folder: Path) -> list[tuple[str, str]]:
    """Write the report's figures to ``folder/figures``; return (file, caption) pairs."""
    figdir = folder / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    out = []
    kind = _kind(result)
    label = intervals.figure_label(kind)
    mm = result.stats.monthly_means()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (col, title, ylabel, share, ylim) in zip(axes.ravel(), MONTHLY_PANELS):
        piv = mm.pivot(index="replicate", columns="month", values=col)
        _band(ax, piv.columns.to_numpy(), piv.to_numpy(), kind, share)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("postpartum month")
        ax.set_ylabel(ylabel)
        ax.set_ylim(*ylim)
    fig.suptitle(f"{result.scenario.name}: monthly means (band: {label} interval over replicates)", parse_math=False)
    fig.tight_layout()
    fig.savefig(figdir / "monthly.png", dpi=110)
    plt.close(fig)
    out.append(("figures/monthly.png", "Monthly trajectories after birth: craving, use, MOUD, salience of "
                f"infant cues, parenting, perceived stress (band: {label} interval over replicates)."))

    ag = result.aggregates
    fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True, gridspec_kw={"width_ratios": [1, 1.6]})
    for ax, phase, scale, xlabel in ((axes[0], "pregnancy", 7.0, "gestational week"),
                                     (axes[1], "postpartum", 1.0, "postpartum day")):
        part = ag[ag["phase"] == phase]
        for col, legend in (("share_use", "share using today"), ("share_on_moud", "share on MOUD"),
                            ("share_separated", "share separated from infant")):  # not `label`: used below
            piv = part.pivot_table(index="replicate", columns="day", values=col)
            _band(ax, piv.columns.to_numpy() / scale, piv.to_numpy(), kind, True, legend)
        ax.set_xlabel(xlabel)
        ax.set_title(phase)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("share of mothers alive (dyads followed)")
    # Mothers enrol at different gestational weeks and MOUD is recorded from enrolment on, so the
    # pregnancy curve climbs as enrolled mothers already on MOUD join: a cohort effect, not behaviour.
    axes[0].text(0.02, 0.97, "MOUD rises in pregnancy as mothers enrol\n(already on MOUD), not as they start it",
                 transform=axes[0].transAxes, va="top", fontsize=8, color="#555555")
    axes[1].legend()
    fig.suptitle(f"Daily cohort shares from enrolment to the end of follow-up (band: {label} interval over replicates)",
                 parse_math=False)
    fig.tight_layout()
    fig.savefig(figdir / "daily.png", dpi=110)
    plt.close(fig)
    out.append(("figures/daily.png", "Daily shares of mothers using, on MOUD, and dyads separated. In pregnancy "
                "the cohort grows as mothers enrol (gestational week 8-36 by default); the rising MOUD share there "
                "reflects enrolment of mothers already on MOUD, not starts of treatment."))

    att = result.stats.attachment_shares()
    fig, ax = plt.subplots(figsize=(6, 4))
    mean, lo, hi = intervals.bands(att.to_numpy(), kind=kind, share=True)
    err = np.vstack([mean - lo, hi - mean]) if len(att) >= 2 else None
    ax.bar(list(CLASSES), mean, yerr=None if err is None else np.nan_to_num(err), capsize=4,
           color=["#31a354", "#3182bd", "#fd8d3c", "#de2d26"])
    ax.set_ylabel("share of infants classified at 12 months")
    ax.set_xlabel("attachment class (Strange Situation)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Attachment classification (bars: {label} interval)", parse_math=False)
    fig.tight_layout()
    fig.savefig(figdir / "attachment.png", dpi=110)
    plt.close(fig)
    out.append(("figures/attachment.png", f"Attachment class at 12 months ({label} interval)."))

    doms = list(WELLBEING)
    fig, ax = plt.subplots(figsize=(8, 4))
    sample = result.stats.wellbeing_sample()
    data = [sample[d] for d in doms]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, 6), [d[3:] for d in doms])
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set_ylabel(WELLBEING_AXIS, fontsize=8)
    ax.set_xlabel("domain of child well-being")
    shown = result.stats.sampled
    ax.set_title("Child well-being at 12 months" + ("" if shown >= result.stats.rows else f" (first {shown:,} dyads)"))
    fig.tight_layout()
    fig.savefig(figdir / "wellbeing.png", dpi=110)
    plt.close(fig)
    out.append(("figures/wellbeing.png", "Child well-being in five domains at 12 months, T scores (between-dyad "
                "spread: box 25th-75th percentile, whiskers 1.5 IQR)."))
    return out


def _fmt(x: float) -> str:
    return "" if not np.isfinite(x) else (f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}")


def write_report(result: RunResult, folder: Path) -> Path:
    """Write figures and ``report.html`` into ``folder``."""
    from dyadsim.config.grounding import calibration_notice, draws_source

    figs = make_figures(result, folder)
    scn = result.scenario
    rows = "".join(f"<tr><td>{html.escape(r.outcome)}</td><td>{_fmt(r.mean)}</td><td>{_fmt(r.lower)}</td>"
                   f"<td>{_fmt(r.upper)}</td></tr>" for r in result.summary.itertuples())
    imgs = "".join(f'<figure><img src="{f}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
                   for f, c in figs)
    m = result.manifest
    label = html.escape(str(result.summary["interval"].iloc[0])) if "interval" in result.summary else "95%"
    note = intervals.few_replicates_note(int(m.get("replicates", 0) or 0))
    warn = f'<p class="note"><strong>Note:</strong> {html.escape(note)}</p>' if note else ""
    scope = intervals.scope_note(_kind(result))
    warn += f'<p class="note">{html.escape(scope)}</p>' if scope else ""
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dyadsim: {html.escape(scn.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child{{text-align:left}}img{{max-width:100%}}figcaption{{color:#555;font-size:90%}}.note{{background:#fff3cd;padding:6px}}</style></head><body>
<h1>dyadsim report: {html.escape(scn.name)}</h1>
<p class="note"><strong>{html.escape(calibration_notice(draws_source(m)))}</strong></p>
<p>{html.escape(scn.description)}</p>
<p>{m.get('dyads')} dyads x {m.get('replicates')} replicates (seeds {m.get('replicate_seeds')}); follow-up
{scn.cohort.horizon_months} months after birth; NOWS care: {scn.care.nows_setting}; dyadsim {m.get('version')};
scenario hash <code>{m.get('scenario_hash', '')[:16]}</code>. A tool for reasoning and trial planning, not a
prediction for any real person.</p>
<h2>Summary (mean and {label} interval)</h2>{warn}
<table><tr><th>outcome</th><th>mean</th><th>lower</th><th>upper</th></tr>{rows}</table>
<h2>Figures</h2>{imgs}
<p>Tables: outcomes.parquet (per dyad; schema in docs/outcomes.md), aggregates.parquet (daily),
trajectories.parquet (sampled dyads), summary.csv; catalogue: catalog.duckdb; every parameter: manifest.json.</p>
</body></html>"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path

"""Figures and the HTML report of a run."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .modules.attachment import CLASSES  # noqa: E402
from .runner import RunResult  # noqa: E402

_MONTHLY = (("craving", "Craving (latent 0-1)"), ("use_days", "Days of use per month"),
            ("moud_share", "Share of days on MOUD"), ("salience", "Salience of infant cues (0-1)"),
            ("parenting", "Parenting sensitivity (0-1)"), ("perceived_stress", "Perceived stress (latent 0-1)"))


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


def _band(ax: plt.Axes, x: np.ndarray, values: np.ndarray, label: str | None = None) -> None:
    mean = values.mean(axis=0)
    ax.plot(x, mean, marker="o" if len(x) <= 40 else None, ms=3, label=label)
    if values.shape[0] >= 2:
        half = 1.96 * values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])
        ax.fill_between(x, mean - half, mean + half, alpha=0.25)


def make_figures(result: RunResult, folder: Path) -> list[tuple[str, str]]:
    """Write the report's figures to ``folder/figures``; return (file, caption) pairs."""
    figdir = folder / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    out = []
    mm = result.stats.monthly_means()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (col, title) in zip(axes.ravel(), _MONTHLY):
        piv = mm.pivot(index="replicate", columns="month", values=col)
        _band(ax, piv.columns.to_numpy(), piv.to_numpy())
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("postpartum month")
    fig.suptitle(f"{result.scenario.name}: monthly means (band: 95% interval over replicates)", parse_math=False)
    fig.tight_layout()
    fig.savefig(figdir / "monthly.png", dpi=110)
    plt.close(fig)
    out.append(("figures/monthly.png", "Monthly trajectories after birth: craving, use, MOUD, salience of "
                "infant cues, parenting, perceived stress."))

    ag = result.aggregates
    fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True, gridspec_kw={"width_ratios": [1, 1.6]})
    for ax, phase, scale, xlabel in ((axes[0], "pregnancy", 7.0, "gestational week"),
                                     (axes[1], "postpartum", 1.0, "postpartum day")):
        part = ag[ag["phase"] == phase]
        for col, label in (("share_use", "share using today"), ("share_on_moud", "share on MOUD"),
                           ("share_separated", "share separated from infant")):
            piv = part.pivot_table(index="replicate", columns="day", values=col)
            _band(ax, piv.columns.to_numpy() / scale, piv.to_numpy(), label)
        ax.set_xlabel(xlabel)
        ax.set_title(phase)
    axes[1].legend()
    fig.suptitle("Daily cohort shares from enrolment to the end of follow-up (band: 95% interval over replicates)")
    fig.tight_layout()
    fig.savefig(figdir / "daily.png", dpi=110)
    plt.close(fig)
    out.append(("figures/daily.png", "Daily shares of mothers using, on MOUD, and dyads separated."))

    att = result.stats.attachment_shares()
    fig, ax = plt.subplots(figsize=(6, 4))
    mean = att.mean()
    err = 1.96 * att.std(ddof=1) / np.sqrt(len(att)) if len(att) >= 2 else None
    ax.bar(list(CLASSES), mean.to_numpy(), yerr=None if err is None else err.to_numpy(), capsize=4,
           color=["#31a354", "#3182bd", "#fd8d3c", "#de2d26"])
    ax.set_ylabel("share at 12 months")
    ax.set_title("Attachment classification")
    fig.tight_layout()
    fig.savefig(figdir / "attachment.png", dpi=110)
    plt.close(fig)
    out.append(("figures/attachment.png", "Attachment class at 12 months."))

    doms = ["wb_physical", "wb_psychological", "wb_cognitive", "wb_social", "wb_economic"]
    fig, ax = plt.subplots(figsize=(8, 4))
    sample = result.stats.wellbeing_sample()
    data = [sample[d] for d in doms]
    ax.boxplot(data, showfliers=False)
    ax.set_xticks(range(1, 6), [d[3:] for d in doms])
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("score (50 = reference)")
    shown = result.stats.sampled
    ax.set_title("Child well-being at 12 months" + ("" if shown >= result.stats.rows else f" (first {shown:,} dyads)"))
    fig.tight_layout()
    fig.savefig(figdir / "wellbeing.png", dpi=110)
    plt.close(fig)
    out.append(("figures/wellbeing.png", "Child well-being in five domains at 12 months (between-dyad spread)."))
    return out


def _fmt(x: float) -> str:
    return "" if not np.isfinite(x) else (f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}")


def write_report(result: RunResult, folder: Path) -> Path:
    """Write figures and ``report.html`` into ``folder``."""
    figs = make_figures(result, folder)
    scn = result.scenario
    rows = "".join(f"<tr><td>{html.escape(r.outcome)}</td><td>{_fmt(r.mean)}</td><td>{_fmt(r.lower)}</td>"
                   f"<td>{_fmt(r.upper)}</td></tr>" for r in result.summary.itertuples())
    imgs = "".join(f'<figure><img src="{f}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
                   for f, c in figs)
    m = result.manifest
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dyadsim: {html.escape(scn.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child{{text-align:left}}img{{max-width:100%}}figcaption{{color:#555;font-size:90%}}</style></head><body>
<h1>dyadsim report: {html.escape(scn.name)}</h1>
<p>{html.escape(scn.description)}</p>
<p>{m.get('dyads')} dyads x {m.get('replicates')} replicates (seeds {m.get('replicate_seeds')}); follow-up
{scn.cohort.horizon_months} months after birth; NOWS care: {scn.care.nows_setting}; dyadsim {m.get('version')};
scenario hash <code>{m.get('scenario_hash', '')[:16]}</code>. A tool for reasoning and trial planning, not a
prediction for any real person.</p>
<h2>Summary (mean and 95% interval)</h2>
<table><tr><th>outcome</th><th>mean</th><th>lower</th><th>upper</th></tr>{rows}</table>
<h2>Figures</h2>{imgs}
<p>Tables: outcomes.parquet (per dyad; schema in docs/outcomes.md), aggregates.parquet (daily),
trajectories.parquet (sampled dyads), summary.csv; catalogue: catalog.duckdb; every parameter: manifest.json.</p>
</body></html>"""
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path

"""The fit report of a calibration: ``report.html`` and its figures, in the calibration's folder.

Per target, the published figure with its interval against the posterior predictive (and the
prior predictive of wave 1); the non-implausible volume wave by wave; posterior marginals over the
priors; pairwise plots of the parameters the targets pin down best; identifiability (posterior SD
over prior SD of each calibrated parameter, on the scale of prior quantiles: near 1, the targets
say little about it); and the pairs of targets that pull against each other. Colours are the
Okabe–Ito palette (distinguishable with the common colour-vision deficiencies); every figure has
alt text.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from dyadsim.config.targets import Target

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
PRIOR_SD = 1.0 / math.sqrt(12.0)
"""SD of a uniform prior on the scale of prior quantiles."""
NOT_PINNED = 0.7
"""Posterior SD over prior SD above which a parameter is reported as not pinned down."""


def identifiability(chain: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """Per calibrated parameter: posterior mean and SD of its prior quantile, SD ratio, pinned or not."""
    sd = chain.std(axis=0, ddof=1) if len(chain) > 1 else np.full(chain.shape[1], np.nan)
    return pd.DataFrame({"parameter": list(names), "posterior_quantile_mean": chain.mean(axis=0),
                         "sd_ratio": sd / PRIOR_SD, "pinned": sd / PRIOR_SD <= NOT_PINNED})


def _save(fig: Any, path: Path, figs: list[tuple[str, str]], caption: str) -> None:
    """Save ``fig`` to ``path`` (PNG), close it and list it with its caption (the alt text)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    figs.append((path.name, caption))


def _figures(folder: Path, res: Any, chain: np.ndarray, wave1: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dyadsim.config.space import SPACE

    figs: list[tuple[str, str]] = []
    fit = res.fit
    q = fit[np.isfinite(fit["published"].astype(float))].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(q) + 1.2))
    y = np.arange(len(q))[::-1]
    pub = q["published"].astype(float).to_numpy()
    scale = np.where(np.abs(pub) > 0, np.abs(pub), 1.0)
    for i, r in enumerate(q.itertuples()):
        yy = y[i]
        if r.target in wave1:
            w = wave1[r.target]
            w = w[np.isfinite(w)]
            if len(w):
                ax.plot([(np.quantile(w, 0.05) - pub[i]) / scale[i], (np.quantile(w, 0.95) - pub[i]) / scale[i]],
                        [yy + 0.2] * 2, color="#999999", lw=3, solid_capstyle="butt")
        col = OKABE_ITO[0] if r.role == "fit" else OKABE_ITO[1]
        ax.plot([(r.q05 - pub[i]) / scale[i], (r.q95 - pub[i]) / scale[i]], [yy] * 2, color=col, lw=3)
        ax.plot((r.mean - pub[i]) / scale[i], yy, "o", color=OKABE_ITO[3] if not r.agrees else col)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [f"{t} ({r[:3]})" for t, r in zip(q.target, q.role)], fontsize=7)
    ax.set_xlabel("(simulated - published) / |published|")
    ax.set_xlim(-2, 2)
    _save(fig, folder / "fit_targets.png", figs, "Each published figure against the posterior predictive 90% interval (blue: "
                 "fitted, orange: held out; red dot: misses) and the prior predictive of wave 1 (grey), relative "
                 "to the published value")

    waves = res.waves
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.semilogy([w["wave"] for w in waves], [max(w["volume"], 1e-6) for w in waves], "o-", color=OKABE_ITO[0])
    ax.set_xlabel("wave")
    ax.set_ylabel("non-implausible share of the prior")
    _save(fig, folder / "waves.png", figs, "Volume of the non-implausible region after each history-matching wave (log scale)")

    names = res.calibrated
    k = len(names)
    cols = min(4, k)
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.4 * rows), squeeze=False)
    for j, name in enumerate(names):
        ax = axes[j // cols][j % cols]
        d = SPACE[name]
        vals = d.from_unit(chain[:, j])
        grid = d.from_unit(np.linspace(0, 1, 41))
        ax.hist(vals, bins=grid if d.scale == "linear" else grid, density=False, color=OKABE_ITO[0], alpha=0.8,
                weights=np.full(len(vals), 40.0 / max(len(vals), 1)))
        ax.axhline(1.0, color=OKABE_ITO[1], lw=1.5)
        if d.scale == "log":
            ax.set_xscale("log")
        ax.axvline(d.default, color="k", lw=0.8, ls=":")
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    for j in range(k, rows * cols):
        axes[j // cols][j % cols].axis("off")
    _save(fig, folder / "marginals.png", figs, "Posterior marginal of each calibrated parameter (blue, density relative to the "
                 "prior's) over its prior (orange line); dotted: the former default")

    ident = identifiability(chain, names).sort_values("sd_ratio")
    top = [names.index(n) for n in ident.parameter[: min(4, k)]]
    if len(top) >= 2:
        m = len(top)
        fig, axes = plt.subplots(m, m, figsize=(2.2 * m, 2.2 * m), squeeze=False)
        for a, ia in enumerate(top):
            for b, ib in enumerate(top):
                ax = axes[a][b]
                if a == b:
                    ax.hist(chain[:, ia], bins=30, range=(0, 1), color=OKABE_ITO[0])
                else:
                    ax.plot(chain[:, ib], chain[:, ia], ".", ms=1, alpha=0.3, color=OKABE_ITO[0])
                    ax.set_xlim(0, 1)
                    ax.set_ylim(0, 1)
                ax.tick_params(labelsize=5)
                if a == m - 1:
                    ax.set_xlabel(names[ib], fontsize=6)
                if b == 0:
                    ax.set_ylabel(names[ia], fontsize=6)
        _save(fig, folder / "pairs.png", figs, "Pairwise posterior of the parameters the targets pin down best (prior quantiles)")
    return figs


def write_report(res: Any, targets: Sequence[Target]) -> Path:
    """Write ``report.html`` and its figures into the calibration's folder; its path."""
    folder = Path(res.folder)
    post = np.load(folder / "posterior.npz")
    chain = post["chain"]
    wave1: dict[str, np.ndarray] = {}
    if (folder / "wave_1.npz").exists():
        w1 = np.load(folder / "wave_1.npz")
        from dyadsim.calibration.stages import fitted

        for j, t in enumerate(fitted(targets)):
            if j < w1["est"].shape[1]:
                wave1[t.id] = w1["est"][:, j]
    figs = _figures(folder, res, chain, wave1)
    ident = identifiability(chain, res.calibrated)
    ident.to_csv(folder / "identifiability.csv", index=False)
    tens = json.loads((folder / "tensions.json").read_text(encoding="utf-8")) if (folder / "tensions.json").exists() else {}
    screen = json.loads((folder / "screening.json").read_text(encoding="utf-8")) if (folder / "screening.json").exists() else {}
    fit = res.fit
    src = {t.id: t.source for t in targets}
    rows = "".join(
        f"<tr><td>{html.escape(r.target)}</td><td>{r.role}</td><td>{html.escape(str(src.get(r.target, '')))[:80]}</td>"
        f"<td>{_f(r.published)}</td><td>{_f(r.mean)}</td><td>[{_f(r.q05)}, {_f(r.q95)}]</td><td>{_f(r.z)}</td>"
        f"<td>{'agrees' if r.agrees else '<b>misses</b>'}</td></tr>" for r in fit.itertuples())
    waves = "".join(f"<tr><td>{w['wave']}</td><td>{w['points']}</td><td>{w['volume']:.3g}</td>"
                    f"<td>{'empty at the cut-off; kept the least implausible' if w['empty'] else ''}</td></tr>"
                    for w in res.waves)
    idrows = "".join(f"<tr><td>{r.parameter}</td><td>{r.posterior_quantile_mean:.2f}</td><td>{r.sd_ratio:.2f}</td>"
                     f"<td>{'yes' if r.pinned else 'no: the targets say little about it'}</td></tr>"
                     for r in ident.itertuples())
    trows = "".join(f"<tr><td>{html.escape(' vs '.join(p['targets']))}</td><td>{p['overlap']:.2f}</td></tr>"
                    for p in tens.get("pairs", []))
    imgs = "".join(f'<figure><img src="{f}" alt="{html.escape(c)}"><figcaption>{html.escape(c)}</figcaption></figure>'
                   for f, c in figs)
    agree = {r: (int(fit[fit.role == r].agrees.sum()), int((fit.role == r).sum())) for r in ("fit", "validation")}
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dyadsim calibration</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}td,th{{padding:2px 8px;font-size:90%}}
img{{max-width:100%}}</style></head><body>
<h1>Calibration fit report</h1>
<p>Calibrated parameters ({len(res.calibrated)}): {html.escape(', '.join(res.calibrated))}.
Screening scored {len(screen.get('score', {}))} parameters. {res.simulated} simulations, {res.hits} read back
from the cache, {res.seconds:.0f} s. Fitted targets agreeing: {agree['fit'][0]} of {agree['fit'][1]};
held-out (never used in fitting): {agree['validation'][0]} of {agree['validation'][1]}.</p>
<h2>Targets</h2><table><tr><th>target</th><th>role</th><th>source</th><th>published</th><th>posterior mean</th>
<th>90% interval</th><th>z</th><th></th></tr>{rows}</table>
<h2>History matching</h2><table><tr><th>wave</th><th>points</th><th>non-implausible volume</th><th></th></tr>{waves}</table>
<h2>Identifiability</h2><table><tr><th>parameter</th><th>posterior mean quantile</th><th>SD / prior SD</th>
<th>pinned down</th></tr>{idrows}</table>
<h2>Targets that pull against each other</h2><p>Overlap of the regions each target leaves non-implausible
on its own (wave 1), as a share of the smaller: near 0, the two cannot both be matched.</p>
<table><tr><th>pair</th><th>overlap</th></tr>{trows}</table>
{imgs}</body></html>"""
    path = folder / "report.html"
    tmp = folder / ".report.html.tmp"
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(path)
    return path


def _f(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(v) else f"{v:.4g}"

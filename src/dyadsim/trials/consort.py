"""The CONSORT flow diagram of a simulated trial (Schulz et al. 2010, CONSORT 2010 statement).

Boxes: assessed for eligibility, excluded, randomized; per arm: allocated, lost to follow-up by
each assessment month, analysed for the primary outcome. Drawn with matplotlib (no layout engine
needed) from the counts of :class:`dyadsim.trials.simulate.TrialData`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _box(ax: Any, x: float, y: float, text: str, w: float = 0.34, h: float = 0.1) -> None:
    ax.add_patch(plt.Rectangle((x - w / 2, y - h / 2), w, h, fill=False, lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5, wrap=True)


def _arrow(ax: Any, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "lw": 1.0})


def consort_lines(consort: dict[str, Any], primary: str) -> list[str]:
    """The flow as text lines (for the page and the terminal)."""
    lines = [f"Assessed for eligibility: {consort['screened']}",
             f"Excluded (not meeting inclusion criteria): {consort['excluded']}",
             f"Randomized: {consort['randomized']}"]
    for arm, c in consort["arms"].items():
        lost = ", ".join(f"month {m}: {k}" for m, k in c["lost_by_month"].items())
        lines.append(f"  {arm}: allocated {c['allocated']}; lost to follow-up by {lost}; "
                     f"analysed for {primary}: {c['analysed'][primary]}")
    return lines


def draw_consort(consort: dict[str, Any], primary: str, path: Path, title: str) -> Path:
    """Draw the flow diagram to ``path`` (SVG or PNG)."""
    arms = list(consort["arms"].items())
    fig, ax = plt.subplots(figsize=(3.2 * max(2, len(arms)), 6.2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _box(ax, 0.5, 0.92, f"Assessed for eligibility\n(n = {consort['screened']})")
    _box(ax, 0.85, 0.78, f"Excluded: not eligible\n(n = {consort['excluded']})", w=0.26)
    _box(ax, 0.5, 0.66, f"Randomized\n(n = {consort['randomized']})")
    _arrow(ax, 0.5, 0.87, 0.5, 0.71)
    _arrow(ax, 0.5, 0.78, 0.72, 0.78)
    xs = [(i + 0.5) / len(arms) for i in range(len(arms))]
    for x, (arm, c) in zip(xs, arms):
        w = min(0.9 / len(arms), 0.4)
        _arrow(ax, 0.5, 0.61, x, 0.52)
        _box(ax, x, 0.47, f"Allocated to {arm}\n(n = {c['allocated']})", w=w)
        lost = "\n".join(f"by month {m}: {k}" for m, k in c["lost_by_month"].items())
        _box(ax, x, 0.28, f"Lost to follow-up (cumulative)\n{lost}", w=w, h=0.2)
        _box(ax, x, 0.08, f"Analysed, {primary}\n(n = {c['analysed'][primary]})", w=w)
        _arrow(ax, x, 0.42, x, 0.38)
        _arrow(ax, x, 0.18, x, 0.13)
    ax.set_title(title, fontsize=10, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

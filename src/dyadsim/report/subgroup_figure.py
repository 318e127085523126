"""Forest plot of a comparison's effects by pre-specified subgroup (:mod:`dyadsim.analysis.subgroups`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadsim.analysis.subgroups import OUTCOMES, SUBGROUPS


def subgroup_figure(table: pd.DataFrame, scenario: str, outcome: str, path: Path, xlabel: str | None = None,
                    null: float = 0.0) -> None:
    """Forest plot of one scenario's effect on one outcome in and out of each subgroup.

    ``xlabel`` (default: the comparison's wording for an outcome of
    :data:`dyadsim.analysis.subgroups.OUTCOMES`) and ``null``, the no-effect line (1 for a ratio),
    let a trial's estimates be drawn the same way.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = table[(table["scenario"] == scenario) & (table["outcome"] == outcome)]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(d) + 1.2))
    labels = []
    for i, r in enumerate(d.itertuples()):
        y = len(d) - 1 - i
        colour = "#0072B2" if r.level == "in" else "#E69F00"  # Okabe-Ito: readable without colour vision
        ax.errorbar(r.effect, y, xerr=[[r.effect - r.lower], [r.upper - r.effect]], fmt="o", color=colour, capsize=3)
        text = SUBGROUPS[r.subgroup][0]
        labels.append((y, (text if r.level == "in" else f"not {text}")
                       + (f"  (interaction p = {r.p_interaction:.2g})" if r.level == "in" and np.isfinite(r.p_interaction)
                          else "")))
    ax.set_yticks([y for y, _ in labels], [t for _, t in labels], fontsize=8)
    ax.axvline(null, color="grey", lw=0.8)
    if null == 1.0:  # ratios: equal distances for equal ratios either side of 1
        ax.set_xscale("log")
    ax.set_ylabel("subgroup (blue: in it, orange: not)")
    ax.set_xlabel(xlabel or f"{scenario} minus the first scenario: {OUTCOMES[outcome][0]} "
                  f"({d['interval'].iloc[0]} interval)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

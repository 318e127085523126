"""Print a calibration's fit table as Markdown (for docs/calibration.md): per target, the published
figure (or stated interval or threshold), the posterior predictive mean and 90% interval, z and
whether it agrees; then the stages' counts and the wall time.

Usage: .venv/bin/python scripts/calibration_table.py CALIBRATION_FOLDER
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd


def _f(x: object) -> str:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if not math.isfinite(v) else f"{v:.3g}"


def _published(r: pd.Series) -> str:
    if math.isfinite(float(r.published)):
        return _f(r.published)
    if math.isfinite(float(r.low)):
        return f"{_f(r.low)}–{_f(r.high)}"
    parts = [f"> {_f(r.above)}" if math.isfinite(float(r.above)) else "",
             f"< {_f(r.below)}" if math.isfinite(float(r.below)) else ""]
    return " and ".join(p for p in parts if p)


def main() -> None:
    """Print the table."""
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    fit = pd.read_csv(folder / "fit.csv")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    waves = json.loads((folder / "waves.json").read_text(encoding="utf-8"))
    print("| target | role | published | posterior mean | 90% interval | z | |")
    print("|---|---|---|---|---|---|---|")
    for _, r in fit.iterrows():
        share = f" ({float(r.share_satisfied):.0%} of members)" if "share_satisfied" in r and \
            math.isfinite(float(r.share_satisfied)) else ""
        print(f"| `{r.target}` | {r.role} | {_published(r)} | {_f(r['mean'])} | [{_f(r.q05)}, {_f(r.q95)}] | "
              f"{_f(r.z)} | {'agrees' if r.agrees else '**misses**'}{share} |")
    print()
    print(f"Calibrated ({len(summary['calibrated'])}): " + ", ".join(f"`{n}`" for n in summary["calibrated"]) + ".")
    print("Non-implausible volume per wave: " + ", ".join(f"{w['volume']:.2g}" for w in waves) + ".")
    print(f"Fit: {summary['agree']['fit']} of {summary['of']['fit']} agree; held out: "
          f"{summary['agree']['validation']} of {summary['of']['validation']}.")


if __name__ == "__main__":
    main()

"""Ship a calibration's ensemble as the package's posterior: copy its ``ensemble.csv`` (the
calibrated columns) into ``src/dyadsim/data/posterior/`` with ``meta.json`` (targets hash, versions,
settings, wall time, the fit table's agreement and the targets missed).

Usage: .venv/bin/python scripts/ship_posterior.py CALIBRATION_FOLDER
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd


def main() -> None:
    """Copy the ensemble and write its metadata."""
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    from dyadsim.config.posterior import FOLDER
    from dyadsim.engine.cache import SOURCE_HASH

    ident = json.loads((src / "calibration.json").read_text(encoding="utf-8"))
    summary = json.loads((src / "summary.json").read_text(encoding="utf-8"))
    waves = json.loads((src / "waves.json").read_text(encoding="utf-8"))
    fit = pd.read_csv(src / "fit.csv")
    ens = pd.read_csv(src / "ensemble.csv", index_col=0)[summary["calibrated"]]
    FOLDER.mkdir(parents=True, exist_ok=True)
    ens.to_csv(FOLDER / "ensemble.csv", float_format="%.10g")
    meta = {"targets_hash": ident["targets_hash"], "version": ident["version"], "source_hash": SOURCE_HASH,
            "settings": ident["settings"], "members": int(len(ens)), "calibrated": summary["calibrated"],
            "simulations": summary["simulated"], "seconds": round(float(summary["seconds"]), 1),
            "volume_per_wave": [w["volume"] for w in waves],
            "agree": summary["agree"], "of": summary["of"],
            "missed": fit.loc[~fit.agrees.astype(bool), "target"].tolist()}
    (FOLDER / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"shipped {len(ens)} members x {ens.shape[1]} parameters to {FOLDER}")


if __name__ == "__main__":
    main()

"""Ship a calibration's ensemble as the package's posterior: copy its ``ensemble.csv`` (the
calibrated columns) into ``src/dyadsim/data/posterior/`` with ``meta.json`` (targets hash, versions,
settings, wall time, the fit table's agreement and the targets missed).

It also stores the ensemble's **fingerprint**: the mean outcomes of usual care run at the first two
members (300 dyads, seed 1). ``tests/test_grounding.py`` recomputes it, so a change to the model's
behaviour that the shipped posterior was not calibrated on fails the suite until the model is
recalibrated and shipped again. ``--add-fingerprint`` adds it to an ensemble shipped before
fingerprints were stored (only while the committed baselines show the model unchanged since).

Usage: .venv/bin/python scripts/ship_posterior.py CALIBRATION_FOLDER
       .venv/bin/python scripts/ship_posterior.py --add-fingerprint
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pandas as pd


FINGERPRINT_DYADS = 300
"""Dyads per member of the fingerprint run."""


def fingerprint() -> dict[str, float]:
    """Mean of each outcome of usual care over the shipped ensemble's first two members (one
    replicate each, seed 1, :data:`FINGERPRINT_DYADS` dyads): what the model computes with the
    ensemble, bit for bit on one machine."""
    from dyadsim.config.posterior import load_ensemble
    from dyadsim.config.scenario import load_scenario
    from dyadsim.config.uncertainty import ParameterDraws
    from dyadsim.run.runner import run_scenario

    load_ensemble.cache_clear()
    ens, _ = load_ensemble()
    root = Path(__file__).resolve().parent.parent
    scn, params, pop = load_scenario(root / "examples" / "usual_care.yaml")
    draws = ParameterDraws(list(ens.columns), ens.to_numpy(dtype="float64")[:2], 1, "posterior ensemble", "posterior")
    with warnings.catch_warnings():  # two replicates by design: their interval is not what is kept
        warnings.simplefilter("ignore")
        res = run_scenario(scn, params, pop, dyads=FINGERPRINT_DYADS, seed=1, replicates=2, progress=False,
                           draws=draws, tables=("outcomes",))
    return {str(r.outcome): float(r.mean) for r in res.summary.itertuples()}


def main() -> None:
    """Copy the ensemble and write its metadata."""
    from dyadsim.config.posterior import FOLDER

    if sys.argv[1:] == ["--add-fingerprint"]:
        meta = json.loads((FOLDER / "meta.json").read_text(encoding="utf-8"))
        meta["fingerprint"] = fingerprint()
        (FOLDER / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        print(f"added the fingerprint ({len(meta['fingerprint'])} outcomes) to {FOLDER / 'meta.json'}")
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    src = Path(sys.argv[1])
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
    meta["fingerprint"] = fingerprint()  # of the ensemble just written
    (FOLDER / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"shipped {len(ens)} members x {ens.shape[1]} parameters to {FOLDER}")


if __name__ == "__main__":
    main()

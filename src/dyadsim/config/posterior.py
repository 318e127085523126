"""The posterior ensemble shipped with the package, and draws from it.

``data/posterior/ensemble.csv`` holds the parameter sets of a calibration's ensemble (one row per
member, one column per calibrated parameter); ``data/posterior/meta.json`` says what produced it:
the targets file's hash, the dyadsim version and engine source hash, the settings, the wall time,
and which targets the posterior predictive matches and misses. ``scripts/ship_posterior.py`` writes
both from a calibration folder. A run asks for it with ``--parameters posterior``
(:func:`dyadsim.config.uncertainty.draw_parameters`).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dyadsim.core.errors import InputError

FOLDER = Path(__file__).resolve().parent.parent / "data" / "posterior"
"""Where the shipped ensemble lives."""


@lru_cache(maxsize=4)
def load_ensemble(folder: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The ensemble (members x calibrated parameters) and its metadata.

    Raises:
        InputError: no ensemble is shipped, or its columns are not parameters of this model.
    """
    from dyadsim.config.space import SPACE

    root = Path(folder) if folder else FOLDER
    path = root / "ensemble.csv"
    if not path.exists():
        raise InputError(str(path), "(file)", "no posterior ensemble is shipped; run 'dyadsim calibrate' and "
                         "scripts/ship_posterior.py, or use --parameters prior|point")
    ens = pd.read_csv(path, index_col=0)
    unknown = [c for c in ens.columns if c not in SPACE]
    if unknown:
        raise InputError(str(path), unknown[0], "not a parameter of this model (the ensemble is of another version)")
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8")) if (root / "meta.json").exists() else {}
    return ens, meta


def posterior_members(k: int, seed: int, exclude: set[str]) -> tuple[list[str], np.ndarray, list[int]]:
    """``k`` members of the shipped ensemble, chosen reproducibly for ``seed`` (without
    replacement while ``k`` is at most the ensemble's size), without the parameters in ``exclude``
    (those a scenario sets itself): the names, the values (k, names) and the member ids."""
    ens, _ = load_ensemble()
    names = [c for c in ens.columns if c not in exclude]
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xE45]))
    idx = rng.choice(len(ens), size=k, replace=k > len(ens))
    return names, ens[names].to_numpy(dtype=np.float64)[idx], [int(ens.index[i]) for i in idx]

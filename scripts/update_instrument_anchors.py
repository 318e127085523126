"""Rewrite the latent anchors of the instruments from a usual-care run.

Each instrument maps a latent level to its published scale so that the usual-care cohort's latent
mean and between-mother SD at postpartum month 6 correspond to the published reference mean and
SD (:func:`dyadsim.model.instruments.derive_anchors`). When the dynamics change, the anchors must follow:
this script simulates the default usual-care cohort (10,000 dyads, seed 1), derives the anchors
and rewrites the two numbers at the end of each ``_ref(...)`` call in ``src/dyadsim/model/instruments.py``.
Read the diff before committing.

Usage: ``.venv/bin/python scripts/update_instrument_anchors.py``
"""
from __future__ import annotations

import re
from pathlib import Path

from dyadsim.model import instruments
from dyadsim.engine.run import simulate
from dyadsim.model.params import ParamSet
from dyadsim.run.results import outcomes_table

N_DYADS = 10_000
SEED = 1


def main() -> None:
    df = outcomes_table(simulate(ParamSet(), N_DYADS, SEED, trajectory_sample=0))
    anchors = instruments.derive_anchors(df)
    path = Path(instruments.__file__)
    text = path.read_text(encoding="utf-8")
    for inst in instruments.INSTRUMENTS:
        mean = anchors[f"instruments.{inst.name}.latent_mean"]
        sd = anchors[f"instruments.{inst.name}.latent_sd"]
        # The call for this instrument ends with "..., <latent_mean>, <latent_sd>),".
        pattern = re.compile(r'(\*_ref\("' + re.escape(inst.name) + r'",.*?), ([0-9.]+), ([0-9.]+)\),', re.S)
        text, n = pattern.subn(lambda m: f"{m.group(1)}, {mean:.3f}, {sd:.3f}),", text, count=1)
        if n != 1:
            raise SystemExit(f"could not find the _ref call of {inst.name!r} in {path}")
        print(f"{inst.name:12s} latent_mean {mean:.3f}  latent_sd {sd:.3f}")
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

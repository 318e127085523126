"""How much of the model is grounded in published figures: the plain sentence every summary and
report carries until a calibrated posterior ships.

The count is taken from the parameter space (:data:`dyadsim.config.space.SPACE`), never written by hand:
every value and edge strength except the edges' on/off switches, and of those the ones whose
source is the word *assumed* (no published figure backs the value).
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def assumed_counts() -> tuple[int, int]:
    """``(assumed, total)``: parameters and edge strengths whose value is assumed, and all of them
    (the edges' ``enabled`` switches are structure, not values, and are not counted)."""
    from dyadsim.config.space import SPACE

    dims = [d for d in SPACE if not d.name.endswith(".enabled")]
    return sum(d.assumed for d in dims), len(dims)


def draws_source(manifest: dict) -> str:
    """Where a run's parameters came from (``point``, ``prior`` or ``posterior``), from its manifest."""
    rec = manifest.get("parameter_draws") or {}
    return str(rec.get("source", "prior")) if rec else "point"


def calibration_notice(source: str = "point") -> str:
    """One plain sentence on how far the parameters a result used are grounded.

    ``point`` and ``prior``: the count of assumed parameters, and that the calibrated ensemble is
    used with ``--parameters posterior`` where one ships. ``posterior``: the ensemble's fit to its
    targets (from its metadata) and that the parameters it does not calibrate stay assumed.
    """
    assumed, total = assumed_counts()
    meta = _ensemble_meta()
    if source == "posterior" and meta:
        agree, of = meta.get("agree", {}), meta.get("of", {})
        missed = meta.get("missed", [])
        stale = ensemble_stale()
        return (f"Calibrated in part: parameters from the posterior ensemble ({meta.get('members')} sets, "
                f"{len(meta.get('calibrated', []))} parameters fitted to {of.get('fit')} published figures, "
                f"{agree.get('fit')} of them matched, {agree.get('validation')} of {of.get('validation')} held-out "
                f"figures matched" + (f"; missed: {', '.join(missed)}" if missed else "") + f"); the other "
                f"{assumed - calibrated_assumed()} assumed parameters ({assumed} of {total} parameters are assumed) "
                "keep their assumed values, so numbers are the model's estimates with the uncertainty shown, not "
                "predictions for real dyads." + (f" Warning: {stale}." if stale else ""))
    what = "prior draws" if source == "prior" else "point values"
    text = (f"Uncalibrated {what}: {assumed} of {total} parameters are assumed (no published figure backs "
            "them), so every number here is the model's guess, not an estimate for real dyads.")
    if meta:
        text += " The default, --parameters posterior, runs the calibrated posterior ensemble."
    return text


@lru_cache(maxsize=1)
def _ensemble_meta() -> dict:
    """The shipped ensemble's metadata, or an empty dict where none ships."""
    import json

    from dyadsim.config.posterior import FOLDER

    path = FOLDER / "meta.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def ensemble_stale() -> str:
    """Why the shipped ensemble may not fit the targets in use (calibrated on other targets: a
    recalibration is due), or ``""``. A change to the model itself is caught by the test suite,
    which recomputes the ensemble's fingerprint (``scripts/ship_posterior.py``)."""
    meta = _ensemble_meta()
    if not meta:
        return ""
    from dyadsim.config.targets import load_targets, targets_hash

    now = targets_hash(load_targets())
    if meta.get("targets_hash") != now:
        return (f"the posterior ensemble was calibrated on other targets ({meta.get('targets_hash')}, now {now}); "
                "run 'dyadsim calibrate' and scripts/ship_posterior.py")
    return ""


def calibrated_assumed() -> int:
    """How many of the shipped ensemble's calibrated parameters are assumed ones (0 where none ships)."""
    from dyadsim.config.space import SPACE

    names = [n for n in _ensemble_meta().get("calibrated", []) if n in SPACE]
    return sum(SPACE[n].source.lower().startswith("assumed") for n in names)

"""Command line: ``dyadsim targets``, the published figures the model is judged and calibrated
against, and how the model compares with them at its current parameters (``--check``)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import click

from dyadsim.cli.common import _echo_err, _guarded, _Path, main
from dyadsim.core.errors import InputError


def _fmt(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.4g}"


@main.command()
@click.option("--file", "path", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="a targets file of your own: added to the packaged targets (same id replaces), "
                   "or instead of them with 'replace: true'")
@click.option("--json", "as_json", is_flag=True, help="print the targets (or the check) as JSON")
@click.option("--check", "do_check", is_flag=True,
              help="simulate every target's design at the current parameters and compare")
@click.option("--dyads", type=int, default=None, help="cohort size of every design (default: each design's own)")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of every design")
def targets(path: Path | None, as_json: bool, do_check: bool, dyads: int | None, seed: int) -> None:
    """List the calibration targets in use (published figure, source, grade, role, design and
    observation model), or with --check compare each with the model: published vs simulated,
    z on the observation model's scale and its two-sided tail probability, agrees or misses."""
    with _guarded():
        from dyadsim.analysis.targets import check, validate
        from dyadsim.config.targets import load_targets, targets_hash

        if dyads is not None and not 100 <= dyads <= 200_000:
            raise InputError("command line", "--dyads", "a whole number from 100 to 200000")
        rows = load_targets(path)
        validate(rows, str(path) if path else "targets")
        if not do_check:
            if as_json:
                click.echo(json.dumps({"hash": targets_hash(rows), "targets": [t.model_dump() for t in rows]}, indent=1))
                return
            for t in rows:
                obs = t.observation.model if t.observation else "-"
                stat = t.design.statistic if t.design else "-"
                click.echo(f"{t.id:36s} {t.role:10s} {t.grade} {_fmt(t.figure):>8s} {obs:13s} {stat:38s} {t.source[:60]}")
            click.echo(f"{len(rows)} targets (hash {targets_hash(rows)})", err=True)
            return
        res = check(rows, seed=seed, dyads=dyads, progress=_echo_err)
        if as_json:
            click.echo(json.dumps([{"id": r.target.id, "role": r.target.role, "published": r.target.figure,
                                    "simulated": r.simulated, "mc_se": r.mc_se,
                                    "z": r.z if math.isfinite(r.z) else None,
                                    "p": r.p if math.isfinite(r.p) else None, "agrees": r.agrees} for r in res], indent=1))
            return
        click.echo(f"{'target':36s} {'role':10s} {'published':>10s} {'simulated':>10s} {'MC SE':>8s} {'z':>7s} {'p':>7s}")
        for r in res:
            click.echo(f"{r.target.id:36s} {r.target.role:10s} {_fmt(r.target.figure):>10s} {_fmt(r.simulated):>10s} "
                       f"{_fmt(r.mc_se):>8s} {_fmt(r.z):>7s} {_fmt(r.p):>7s} {'agrees' if r.agrees else 'MISSES'}")
        for role in ("input", "fit", "validation"):
            mine = [r for r in res if r.target.role == role]
            if mine:
                click.echo(f"{role}: {sum(r.agrees for r in mine)} of {len(mine)} agree", err=True)

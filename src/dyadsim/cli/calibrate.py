"""Command line: ``dyadsim calibrate``, a posterior fitted to the published figures in stages that
resume (screening, history matching, posterior, posterior predictive; :mod:`dyadsim.calibration`)."""
from __future__ import annotations

import math
from pathlib import Path

import click

from dyadsim.cli.common import _echo_err, _guarded, _Path, main
from dyadsim.core.errors import InputError


def _range(option: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise InputError("command line", option, f"a whole number from {lo} to {hi}, got {value}")
    return value


@main.command()
@click.option("--targets", "targets_file", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="a targets file of your own (added to the packaged targets, or instead of them with "
                   "'replace: true'); see 'dyadsim targets'")
@click.option("--out", type=_Path(file_okay=False, path_type=Path), required=True,
              help="the calibration's folder (rerun with the same options to resume)")
@click.option("--workers", type=int, default=None, metavar="K", help="run on a local Dask cluster of K processes")
@click.option("--scheduler", default=None, metavar="ADDR", help="run on a running Dask cluster (tcp://HOST:PORT)")
@click.option("--dyads", type=int, default=1000, show_default=True, help="cohort size of every target's design")
@click.option("--seed", type=int, default=1, show_default=True, help="seed of the designs and of every stage")
@click.option("--parameters", "names", default=None,
              help="calibrate these parameters (comma-separated) and skip screening")
@click.option("--screen", default="all", show_default=True,
              help="what screening varies: all, assumed, module:NAME, kind:KIND or names")
@click.option("--trajectories", type=int, default=2, show_default=True, help="Morris trajectories of screening")
@click.option("--screen-dyads", type=int, default=500, show_default=True, help="cohort size of screening runs")
@click.option("--max-parameters", type=int, default=16, show_default=True, help="most parameters calibrated")
@click.option("--waves", type=int, default=3, show_default=True, help="history-matching waves")
@click.option("--points", type=int, default=80, show_default=True, help="design points per wave")
@click.option("--steps", type=int, default=1500, show_default=True, help="posterior sampler steps per walker")
@click.option("--ensemble", type=int, default=200, show_default=True, help="parameter sets in the ensemble")
@click.option("--inactive", type=click.Choice(["default", "prior"]), default="default", show_default=True,
              help="the parameters not calibrated: at their defaults, or drawn from their priors at every "
                   "point (carried as uncertainty; the emulators absorb their effect as noise)")
@click.option("--progress/--no-progress", default=None, help="progress bars (default: when stderr is a terminal)")
def calibrate(targets_file: Path | None, out: Path, workers: int | None, scheduler: str | None, dyads: int,
              seed: int, names: str | None, screen: str, trajectories: int, screen_dyads: int, max_parameters: int,
              waves: int, points: int, steps: int, ensemble: int, inactive: str, progress: bool | None) -> None:
    """Calibrate the model to the published figures: screen the parameters that matter for the
    targets, history-match them with Gaussian-process emulators wave by wave, sample the posterior
    in the region that remains, and simulate every fit and held-out target at each member of the
    posterior ensemble. Writes the ensemble, the fit table and a fit report (report.html) to OUT;
    rerun the same command to resume after an interruption."""
    import sys

    with _guarded():
        from dyadsim.analysis.targets import validate
        from dyadsim.calibration.report import write_report
        from dyadsim.calibration.run import calibrate as run_calibration
        from dyadsim.calibration.stages import Settings
        from dyadsim.config.targets import load_targets
        from dyadsim.run.sweep import check_scheduler_address, executor_for

        _range("--dyads", dyads, 100, 200_000)
        _range("--screen-dyads", screen_dyads, 100, 200_000)
        _range("--trajectories", trajectories, 2, 100)
        _range("--max-parameters", max_parameters, 1, 100)
        _range("--waves", waves, 1, 20)
        _range("--points", points, 8, 5000)
        _range("--steps", steps, 50, 100_000)
        _range("--ensemble", ensemble, 2, 10_000)
        if seed < 0:
            raise InputError("command line", "--seed", f"must be >= 0, got {seed}")
        if scheduler is not None:
            check_scheduler_address(scheduler)
        rows = load_targets(targets_file)
        validate(rows, str(targets_file) if targets_file else "targets")
        chosen = tuple(n.strip() for n in names.split(",") if n.strip()) if names else ()
        settings = Settings(dyads=dyads, seed=seed, parameters=chosen, screen=screen,
                            screen_trajectories=trajectories, screen_dyads=screen_dyads,
                            max_parameters=max_parameters, waves=waves, points=points, steps=steps,
                            burn=min(500, steps // 3), ensemble=ensemble, inactive=inactive)
        bar = sys.stderr.isatty() if progress is None else progress
        with executor_for(workers, scheduler) as ex:
            res = run_calibration(out, rows, settings, executor=ex, progress=bar, say=_echo_err)
        report = write_report(res, rows)
        click.echo(f"calibrated: {', '.join(res.calibrated)}")
        click.echo(f"{'target':36s} {'role':10s} {'published':>10s} {'mean':>10s} {'90% interval':>22s} {'z':>6s}")
        for r in res.fit.itertuples():
            pub = r.published if r.published == r.published else None
            shown = _fmt(pub) if pub is not None else _stated(r)
            z = "" if not math.isfinite(r.z) else f"{r.z:.2f}"
            click.echo(f"{r.target:36s} {r.role:10s} {shown:>10s} {_fmt(r.mean):>10s} "
                       f"{'[' + _fmt(r.q05) + ', ' + _fmt(r.q95) + ']':>22s} {z:>6s} {'agrees' if r.agrees else 'MISSES'}")
        for role in ("fit", "validation"):
            mine = res.fit[res.fit.role == role]
            click.echo(f"{role}: {int(mine.agrees.sum())} of {len(mine)} agree", err=True)
        click.echo(f"{res.simulated} simulations, {res.hits} read from the cache, {res.seconds:.0f} s", err=True)
        click.echo(f"wrote {out} (report: {report})", err=True)


def _fmt(x: float | None) -> str:
    return "" if x is None or not math.isfinite(x) else f"{x:.4g}"


def _stated(r: object) -> str:
    """The stated bound of an interval or a threshold, for the published column."""
    lo, hi, above, below = (getattr(r, k) for k in ("low", "high", "above", "below"))
    if lo == lo and hi == hi and lo is not None:
        return f"{lo:g}-{hi:g}"
    parts = []
    if above == above and above is not None:
        parts.append(f">{above:g}")
    if below == below and below is not None:
        parts.append(f"<{below:g}")
    return " ".join(parts)

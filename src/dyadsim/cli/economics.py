"""Command line: ``dyadsim economics`` (costs, QALYs and the value of information of strategies)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dyadsim.cli.common import (_FORCE_HELP, _OUT_HELP, _check_counts, _compile_notice, _guarded, _notice, _Path,
                                command_line, main, PARAMETERS_HELP)
from dyadsim.config.uncertainty import DEFAULT_SOURCE, PARAMETER_SOURCES
from dyadsim.core.errors import InputError

_EXTRAPOLATE_HELP = ("labelled extrapolation beyond follow-up: YEARS more of the last month's utility for mothers "
                     "alive and full health for infants (mothers who died get none), or 'life' for the mother's "
                     "remaining life expectancy of the inputs file; default none")


def proposed_trial(path: Path | None, sizes: str | None, pool: int | None, loaded: Any,
                   echo: Callable[[str], None]) -> Any:
    """The statistic of the proposed trial of ``--evsi-trial`` on the draws of ``loaded``
    (:func:`dyadsim.trials.evsi.trial_statistics`), or None without one.

    Raises:
        InputError: ``--evsi-n`` or ``--evsi-pool`` without ``--evsi-trial``; a bad trial file or size.
    """
    if path is None:
        for opt, v in (("--evsi-n", sizes), ("--evsi-pool", pool)):
            if v is not None:
                raise InputError("command line", opt, "is for --evsi-trial TRIAL.yaml: give the proposed trial too")
        return None
    from dyadsim.trials.design import load_trial
    from dyadsim.trials.evsi import trial_statistics
    from dyadsim.trials.power import parse_grid

    grid = parse_grid(sizes, "--evsi-n") if sizes is not None else [int(load_trial(path)[0].n_per_arm or 0)]
    return trial_statistics(path, loaded.names, loaded.draws, grid, pool_dyads=pool, progress=echo)


@main.command()
@click.argument("scenarios", nargs=-1, type=_Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", default=None, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--wtp", default="50000,100000,150000", show_default=True,
              help="willingness to pay per QALY, comma-separated")
@click.option("--perspective", type=click.Choice(["payer", "societal"]), default="payer", show_default=True,
              help="perspective of the probabilistic analysis (both are tabulated)")
@click.option("--parameter-draws", "draws", type=int, default=None, metavar="K",
              help="draws of the probabilistic analysis: K parameter sets (posterior or prior), shared by every "
                   "strategy, each with its own draw of the cost and utility inputs (default 20)")
@click.option("--parameters", "source", type=click.Choice(PARAMETER_SOURCES), default=DEFAULT_SOURCE,
              show_default=True, help=PARAMETERS_HELP)
@click.option("--dyads", type=int, default=None, help="dyads per strategy and draw (default: the first scenario's)")
@click.option("--seed", type=int, default=None, help="base seed (default: the first scenario's)")
@click.option("--inputs", "inputs_file", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="cost and utility inputs (YAML, the schema of the shipped file; see --show-inputs)")
@click.option("--discount", "rate", type=float, default=None,
              help="discount rate a year for costs and effects (default: the inputs file's, 0.03)")
@click.option("--extrapolate-years", "extrapolate", default="none", show_default=True, help=_EXTRAPOLATE_HELP)
@click.option("--keep-outcomes", is_flag=True, help="keep each strategy's per-dyad outcomes in OUT/outcomes/")
@click.option("--show-inputs", is_flag=True, help="print the shipped cost and utility inputs file and stop")
@click.option("--evsi-trial", "evsi_trial", type=_Path(dir_okay=False, path_type=Path), default=None,
              metavar="TRIAL.yaml", help="a proposed two-arm trial whose arms are two of the strategies: write the "
                                          "expected value of sample information of its sizes (evsi.csv)")
@click.option("--evsi-n", "evsi_n", default=None, metavar="SIZES",
              help="sizes per arm of the proposed trial, e.g. 100,200,400 or 50:400:50 (default: its n_per_arm)")
@click.option("--evsi-pool", "evsi_pool", type=click.IntRange(100, 1_000_000), default=None, metavar="N",
              help="dyads simulated per arm and draw to draw the trial from (default: the trial file's pool_dyads)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
def economics(scenarios: tuple[Path, ...], out: Path | None, force: bool, wtp: str, perspective: str,
              draws: int | None, source: str, dyads: int | None, seed: int | None, inputs_file: Path | None,
              rate: float | None, extrapolate: str, keep_outcomes: bool, show_inputs: bool,
              evsi_trial: Path | None, evsi_n: str | None, evsi_pool: int | None, progress: bool | None) -> None:
    """Costs, QALYs and the value of information of SCENARIOS (strategies; the first is the comparator):
    per 1,000 births, the efficiency frontier, ICERs, net benefit, CE plane, CEAC, CEAF, EVPI, EVPPI,
    with --evsi-trial the expected value of sample information of a proposed trial's sizes, an HTML
    report and a CHEERS 2022 checklist."""
    from dyadsim.economics.inputs import shipped_path
    from dyadsim.economics.job import run_economics
    from dyadsim.economics.setup import prepare
    from dyadsim.run.store import check_target

    if show_inputs:
        click.echo(shipped_path().read_text(encoding="utf-8"), nl=False)
        return
    with _guarded():
        if out is None:
            raise InputError("command line", "--out", "give the output folder: --out DIR")
        _check_counts(dyads, None, seed)
        loaded, inputs, settings = prepare(list(scenarios), wtp=wtp, perspective=perspective, draws=draws,
                                           source=source, dyads=dyads, seed=seed, inputs_file=inputs_file, rate=rate,
                                           extrapolate=extrapolate, keep_outcomes=keep_outcomes)
        loaded.command = command_line()
        check_target(out, force)
        _compile_notice(loaded.scenarios[0][0].engine.kind)
        say = (lambda m: click.echo(m, err=True))
        study = proposed_trial(evsi_trial, evsi_n, evsi_pool, loaded, say)
        res = run_economics(loaded, out, inputs, settings, force=force, progress=progress, echo=say, study=study)
    cur = res.inputs.currency
    click.echo(f"per 1,000 births ({cur} {res.inputs.price_year}, discounted {settings.rate:.1%}/yr):")
    click.echo(f"  {'strategy':32s} {'payer cost':>13s} {'societal cost':>14s} {'QALYs (dyad)':>13s} "
               f"{'OD deaths':>10s} {'removals':>9s}")
    for r in res.strategies.itertuples():
        click.echo(f"  {r.strategy[:32]:32s} {r.cost_payer:13,.0f} {r.cost_societal:14,.0f} {r.qaly_dyad:13.2f} "
                   f"{r.overdose_deaths:10.2f} {r.removals:9.1f}")
    inc = res.incremental[(res.incremental.perspective == perspective) & (res.incremental.status == "ND")]
    click.echo(f"frontier ({perspective}): " + " -> ".join(
        f"{r.strategy}" + ("" if r.icer != r.icer else f" (ICER {r.icer:,.0f}/QALY)") for r in inc.itertuples()))
    for w in settings.wtps:
        at = res.ceac[(res.ceac.wtp == w) & res.ceac.optimal].iloc[0]
        click.echo(f"  at {w:,.0f}/QALY: optimal {at.strategy} (probability {at.probability_best:.2f}); "
                   f"EVPI {at.evpi_per_1000:,.0f} per 1,000 births")
    for r in res.evsi.itertuples():
        click.echo(f"  EVSI at {r.wtp:,.0f}/QALY, {r.n} per arm: {r.evsi_per_1000:,.0f} per 1,000 births "
                   f"(SE {r.se_per_1000:,.0f}; EVPI {r.evpi_per_1000:,.0f}){' ' + r.note if r.note else ''}")
    _notice(res.manifest)
    click.echo(f"\nwrote {out}/ (economics.html, strategies.csv, incremental.csv, psa.csv, ceac.csv, evppi.csv, "
               f"{'evsi.csv, ' if len(res.evsi) else ''}inputs.csv, cheers.csv, figures/)")

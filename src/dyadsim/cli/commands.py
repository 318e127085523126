"""Command line: ``dyadsim run``, ``compare``, ``rerun``, ``summarize``, ``example``, ``graph``, ``params``.

Every input is checked before anything is simulated: the scenario files, the command-line
options (against the same limits as the scenario's fields) and the output folder. Bad input ends
with one line naming the file or option, the field and what is allowed (exit status 2); an
interrupt (Ctrl-C or SIGTERM) removes the partial output and exits with status 130.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dyadsim.core.errors import InputError
from dyadsim.model.programmes import KEYS as PROGRAMME_KEYS


from dyadsim.cli.common import (_CSV_HELP, _FORCE_HELP, _OUT_HELP, _check_counts, _compile_notice, _draws, _echo_err, _guarded,
                                _notice, _Path, _print_comparison, _print_run, command_line, main,
                                PARAMETERS_HELP)
from dyadsim.config.uncertainty import DEFAULT_SOURCE, PARAMETER_SOURCES


@main.command()
@click.argument("scenario", type=_Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--dyads", type=int, default=None, help="dyads per replicate (overrides the scenario)")
@click.option("--seed", type=int, default=None, help="base seed (overrides the scenario)")
@click.option("--replicates", type=int, default=None, help="replicates over seeds (overrides the scenario)")
@click.option("--csv", "csv", is_flag=True, help=_CSV_HELP)
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
@click.option("--parameter-draws", "draws", type=int, default=None, metavar="K",
              help="K replicates, each with its own parameter set (from the posterior ensemble, or the priors "
                   "with --parameters prior): intervals carry parameter and Monte Carlo uncertainty (instead of "
                   "--replicates)")
@click.option("--draw-params", "draw_select", default="assumed", show_default=True, metavar="SPEC",
              help="with --parameters prior, which parameters are drawn: assumed | all | module:NAME | kind:KIND | a,b,c")
@click.option("--parameters", "source", type=click.Choice(PARAMETER_SOURCES), default=DEFAULT_SOURCE, show_default=True,
              help=PARAMETERS_HELP)
def run(scenario: Path, out: Path, force: bool, dyads: int | None, seed: int | None, replicates: int | None,
        csv: bool, progress: bool | None, draws: int | None, draw_select: str, source: str) -> None:
    """Run SCENARIO (a YAML file): print the summary, write tables, manifest, figures and report.html."""
    from dyadsim.jobs.run import run_into
    from dyadsim.run.manifest import scenario_record
    from dyadsim.config.scenario import load_scenario, with_cohort

    with _guarded():
        _check_counts(dyads, replicates, seed)
        scn, params, spec = load_scenario(scenario)
        param_draws = _draws(draws, replicates, draw_select, scn, seed, source)
        scn = with_cohort(scn, dyads=dyads, seed=seed, replicates=len(param_draws) if param_draws else replicates)
        result = run_into(scn, params, spec, out, record=scenario_record(scn, scenario), command=command_line(),
                          force=force, csv=csv, progress=progress, draws=param_draws, notify=_echo_err)
    _print_run(result, out, csv)



@main.command()
@click.argument("scenarios", nargs=-1, type=_Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--dyads", type=int, default=None, help="dyads per replicate (default: the first scenario's)")
@click.option("--replicates", type=int, default=None, help="replicates (default: the first scenario's)")
@click.option("--seed", type=int, default=None, help="base seed (default: the first scenario's)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
@click.option("--parameter-draws", "draws", type=int, default=None, metavar="K",
              help="K replicates, each with its own parameter set (posterior or prior), shared by every scenario")
@click.option("--draw-params", "draw_select", default="assumed", show_default=True, metavar="SPEC",
              help="with --parameters prior, which parameters are drawn: assumed | all | module:NAME | kind:KIND | a,b,c")
@click.option("--parameters", "source", type=click.Choice(PARAMETER_SOURCES), default=DEFAULT_SOURCE, show_default=True,
              help=PARAMETERS_HELP)
def compare(scenarios: tuple[Path, ...], out: Path, force: bool, dyads: int | None, replicates: int | None,
            seed: int | None, progress: bool | None, draws: int | None, draw_select: str, source: str) -> None:
    """Run SCENARIOS on the same dyads and seeds; write paired differences from the first."""
    from dyadsim.analysis.compare import load_comparison
    from dyadsim.jobs.compare import write_loaded
    from dyadsim.run.store import check_target

    with _guarded():
        _check_counts(dyads, replicates, seed)
        loaded = load_comparison(list(scenarios), dyads=dyads, replicates=replicates, seed=seed,
                                 parameter_draws=draws, draw_select=draw_select, draw_source=source)
        loaded.command = command_line()
        check_target(out, force)
        _compile_notice(loaded.scenarios[0][0].engine.kind)
        cmp = write_loaded(loaded, out, force=force, progress=progress)
    _print_comparison(cmp, out)



@main.command()
@click.option("--out", "out", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="drawing (.svg, .png, .pdf) or graph file (.dot/.gv for Graphviz and DAGitty, .graphml for yEd)")
@click.option("--intervention", type=click.Choice(list(PROGRAMME_KEYS)), default=None,
              help="mark the targets of a programme, one colour per component (more: Figure 2)")
@click.option("--json", "as_json", is_flag=True, help="print the graph as JSON")
@click.option("--scenario", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="show the edge strengths and switches of this scenario")
@click.option("--edge-ids", is_flag=True, help="label every arrow with its id (the key under a scenario's links:)")
@click.option("--focus", default=None, metavar="NODE_OR_MODULE",
              help="only the neighbourhood of a node id, a node group or a mechanism module")
@click.option("--depth", type=int, default=1, show_default=True, help="arrows from --focus to include")
@click.option("--layout", type=click.Choice(["auto", "dot", "fixed"]), default="auto", show_default=True,
              help="dot: Graphviz (must be installed); fixed: built-in layout by node group; auto: dot if installed")
def graph(out: Path | None, as_json: bool, scenario: Path | None, intervention: str | None, edge_ids: bool,
          focus: str | None, depth: int, layout: str) -> None:
    """Draw, export or print the mechanism graph (Figure 1; with --intervention more, Figure 2)."""
    from dyadsim.report.graph_draw import GRAPHVIZ_MISSING, draw, falls_back, graph_data

    kwargs: dict = {}
    if intervention is not None:
        from dyadsim.model.modules.programs import LABELS, TARGETS

        marked: dict[str, list[str]] = {}
        for comp, ids in TARGETS[intervention].items():
            for i in ids:
                marked.setdefault(i, []).append(f"{intervention}.{comp}")
        kwargs["marked"] = marked
    with _guarded():
        if scenario is not None:
            from dyadsim.config.scenario import load_scenario

            _, params, _ = load_scenario(scenario)
            kwargs.update({"strengths": params.strengths, "enabled": params.enabled})
        if out is None and not as_json:
            raise InputError("command line", "--out/--json",
                             "give --out FILE (.svg, .png, .pdf, .dot, .gv or .graphml), --json, or both")
        if depth < 0:
            raise InputError("command line", "--depth", f"must be a whole number >= 0, got {depth}")
        try:
            data = graph_data(focus=focus, depth=depth, **kwargs)
        except ValueError as exc:
            raise InputError("command line", "--focus", str(exc)) from None
        if out is not None:
            title = None
            if intervention is not None:
                title = (f"{LABELS[intervention]}: targets on the mechanism graph, one colour per component"
                         + (" (Reese et al. 2021, Figure 2)" if intervention == "more" else ""))
            if falls_back(out, layout):
                click.echo(f"note: {GRAPHVIZ_MISSING}", err=True)
            try:
                draw(out, title=title, edge_ids=edge_ids, focus=focus, depth=depth, layout=layout, **kwargs)
            except ValueError as exc:
                raise InputError(str(out), "--out" if "suffix" in str(exc) else "--layout", str(exc)) from None
            click.echo(f"wrote {out}", err=as_json)
    if as_json:
        import json

        click.echo(json.dumps(data, indent=2))



@main.command()
@click.option("--assumed", is_flag=True, help="only assumed parameters with a prior to draw (as --select assumed)")
@click.option("--select", "select", default=None, metavar="SPEC",
              help="all | assumed | module:NAME | kind:KIND | a,b,c (default: every parameter and edge strength)")
@click.option("--salib", is_flag=True, help="print the SALib problem (names, bounds, dists) as JSON")
@click.option("--csv", "as_csv", is_flag=True, help="print the table as CSV (name, default, low, high, prior, ...)")
def params(assumed: bool, select: str | None, salib: bool, as_csv: bool) -> None:
    """List every parameter and edge strength: dotted name, default, unit, plausible range, prior,
    kind, group (module) and source; or the SALib problem of a selection."""
    import json

    with _guarded():
        from dyadsim.config.space import SPACE

        if assumed and select is not None:
            raise InputError("command line", "--assumed", "give --assumed or --select, not both")
        if assumed:
            space = SPACE.select("assumed", "--assumed")
        elif select is not None:
            space = SPACE.select(select, "--select")
        else:  # every value except the edges' on/off switches (listed by 'dyadsim graph --json')
            space = SPACE.select([d.name for d in SPACE if not d.name.endswith(".enabled")])
        if salib:
            click.echo(json.dumps(space.salib_problem(), indent=1))
            return
        if as_csv:
            click.echo(space.to_frame().to_csv(index=False), nl=False)
            return
        for d in space:
            click.echo(f"{d.name:45s} {d.default:>10g} {d.unit[:22]:22s} [{d.low:g}, {d.high:g}] {d.prior:10s} "
                       f"{d.kind:10s} {d.source}")



@main.command()
@click.argument("scenario", type=_Path(dir_okay=False, path_type=Path))
@click.option("--method", type=click.Choice(["morris", "sobol"]), default="morris", show_default=True,
              help="morris: screening (elementary effects); sobol: first- and total-order indices")
@click.option("--params", "params_spec", default=None,
              help="assumed (default) | all | module:NAME | kind:KIND | a,b,c (dotted names; see 'dyadsim params')")
@click.option("--from-morris", type=_Path(file_okay=False, path_type=Path), default=None,
              help="take the --top K parameters of an earlier Morris output folder (instead of --params)")
@click.option("--top", type=int, default=None, help="how many parameters --from-morris takes")
@click.option("--outcomes", default=None, help="statistics to analyse, NAME[,NAME] (default: every summary outcome)")
@click.option("--n", "n", type=int, default=None,
              help="Morris trajectories (default 10) or Sobol' base sample, a power of 2 (default 64)")
@click.option("--replicates", type=int, default=None, help="seeds per parameter set, the same for every set (default 2)")
@click.option("--dyads", type=int, default=None, help="dyads per set and seed (default: the scenario's)")
@click.option("--seed", type=int, default=None, help="base seed of the runs and the design (default: the scenario's)")
@click.option("--out", "out", required=True, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP + "; also discards an unfinished sweep of another request")
@click.option("--workers", type=int, default=None, help="run on a local Dask cluster of K worker processes")
@click.option("--scheduler", default=None, help="run on a running Dask cluster (tcp://HOST:PORT)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
@click.option("--parameters", "source", type=click.Choice(["posterior", "point"]), default=DEFAULT_SOURCE,
              show_default=True, help="posterior: around the calibrated ensemble (its medians; calibrated parameters "
              "vary over their posterior marginals, the rest over their priors); point: around the parameters' "
              "values, every one over its prior")
@click.option("--contrast", type=_Path(dir_okay=False, path_type=Path), default=None, metavar="OTHER.yaml",
              help="analyse SCENARIO minus OTHER (paired on the same seeds and dyads): which parameters decide "
                   "the effect, not the level")
def sensitivity(scenario: Path, method: str, params_spec: str | None, from_morris: Path | None, top: int | None,
                outcomes: str | None, n: int | None, replicates: int | None, dyads: int | None, seed: int | None,
                out: Path, force: bool, workers: int | None, scheduler: str | None, progress: bool | None,
                source: str, contrast: Path | None) -> None:
    """Sensitivity of SCENARIO's outcomes to its parameters (Morris or Sobol', with SALib).

    Writes indices, noise share, mechanism ranking, tornado swings, figures and sensitivity.html to
    OUT. The sweep is kept in OUT.partial/ until then: rerun the same command to resume it.
    """
    from dyadsim.jobs.sensitivity import WORK_SUFFIX, run_sensitivity

    with _guarded():
        _check_counts(dyads, replicates, seed)
        names = None if outcomes is None else [o.strip() for o in outcomes.split(",") if o.strip()]
        try:
            result = run_sensitivity(scenario, out, method=method, params=params_spec, outcomes=names, n=n,
                                     replicates=replicates, dyads=dyads, seed=seed, from_morris=from_morris, top=top,
                                     workers=workers, scheduler=scheduler, force=force, progress=progress,
                                     echo=lambda m: click.echo(m, err=True), source=source, contrast=contrast)
        except KeyboardInterrupt:
            click.echo(f"\ninterrupted: finished work is kept in {out}{WORK_SUFFIX}/; rerun the same command to "
                       "resume", err=True)
            sys.exit(130)
    col = "mu_star" if result.method == "morris" else "ST"
    for outcome in result.outcomes:
        d = result.indices[result.indices["outcome"] == outcome].nlargest(5, col)
        share = result.noise.set_index("outcome").loc[outcome, "noise_share"]
        click.echo(f"\n{outcome} (noise share {share:.1%}); largest {col}:")
        for r in d.itertuples():
            click.echo(f"  {r.parameter:45s} {getattr(r, col):10.4g}")
    _notice({"parameter_draws": {"source": source}} if source == "posterior" else None)
    click.echo(f"\nwrote {out}/ (sensitivity.html, indices.csv, noise.csv, mechanisms.csv, tornado.csv, figures/, "
               "samples.parquet, evaluations.parquet)")



_EXEC_HELP = "Dask LocalCluster of K single-threaded worker processes (default: in this process, one thread)"



@main.command()
@click.argument("trial_file", type=_Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--seed", type=int, default=None, help="seed of the trial draw (default: the file's seed)")
@click.option("--progress/--no-progress", default=None, help="say what is being simulated (default: on a terminal)")
@click.option("--parameters", "source", type=click.Choice(PARAMETER_SOURCES), default=DEFAULT_SOURCE,
              show_default=True, help="the one parameter set the trial runs on, chosen for its seed: a member of the "
              "calibrated posterior ensemble, a draw from the priors, or the point values")
def trial(trial_file: Path, out: Path, force: bool, seed: int | None, progress: bool | None, source: str) -> None:
    """Simulate one trial of TRIAL_FILE and report it as a paper would (CONSORT flow, outcomes by
    arm, effect estimates with CI and p, mediation), beside the true effects."""
    from dyadsim.run.store import check_target, write_atomic
    from dyadsim.trials.design import load_trial
    from dyadsim.trials.report import write_trial_report
    from dyadsim.trials.run import simulate_trial

    holder: list[Any] = []
    with _guarded():
        trial_, _ = load_trial(trial_file)
        if seed is not None and not 0 <= seed < 2**62:
            raise InputError("command line", "--seed", f"must be from 0 to 2**62 - 1, got {seed}")
        check_target(out, force)
        if trial_.design != "individual":
            _site_trial(trial_file, out, force, seed, sys.stderr.isatty() if progress is None else progress, source)
            return
        res = simulate_trial(trial_file, seed, progress=sys.stderr.isatty() if progress is None else progress,
                             parameters=source)

        def write(tmp: Path) -> dict[str, Any]:
            write_trial_report(res, tmp)
            return {"package": "dyadsim", "command": "trial", "trial_file": str(trial_file), "seed": res.seed,
                    "trial": res.trial.model_dump(mode="json"), "parameter_draws": res.parameters}

        write_atomic(out, write, force=force)
        holder.append(res)
    res = holder[0]
    from dyadsim.trials.consort import consort_lines

    click.echo("\n".join(consort_lines(res.data.consort, res.trial.primary.name)))
    click.echo("\noutcome (arm): estimate [95% CI], p (adjusted), true")
    for r in res.estimates.itertuples():
        if not r.converged:  # no estimate could be made (e.g. too few analysed in an arm): say why
            click.echo(f"  {r.outcome} ({r.arm}, {r.role}, {r.scale}): not estimable ({r.failure})")
            continue
        true = r.true_ratio if r.scale in ("rate_ratio",) else (r.true_odds_ratio if r.scale == "odds_ratio"
                                                                   else r.true_difference)
        click.echo(f"  {r.outcome} ({r.arm}, {r.role}, {r.scale}): {r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], "
                   f"p = {r.p_value:.3g} ({r.p_adjusted:.3g}); true {true:.3f}")
    for m in res.mediation.itertuples():
        if not m.converged:
            click.echo(f"  mediation {m.path}: not estimable ({m.failure})")
            continue
        click.echo(f"  mediation {m.path}: indirect {m.indirect:.4g} [{m.ci_low:.4g}, {m.ci_high:.4g}], "
                   f"joint significance {'yes' if m.joint_significant else 'no'}")
    sg = res.subgroups
    for r in sg[sg["level"] == "in"].itertuples():  # the primary by pre-specified subgroup
        out_row = sg[(sg["scenario"] == r.scenario) & (sg["subgroup"] == r.subgroup) & (sg["level"] == "out")].iloc[0]
        click.echo(f"  {r.outcome} ({r.scenario}) in {r.subgroup}: {r.effect:.3f} [{r.lower:.3f}, {r.upper:.3f}], "
                   f"not in: {out_row.effect:.3f} [{out_row.lower:.3f}, {out_row.upper:.3f}]; interaction "
                   f"p = {r.p_interaction:.3g}")
    click.echo(f"parameters: {res.parameters['described']}")
    _notice({"parameter_draws": res.parameters})
    click.echo(f"\nwrote {out}/ (report.html, estimates.csv, by_arm.csv, mediation.csv, subgroups.csv, consort.svg, "
               "participants.parquet)")



@main.command()
@click.argument("trial_file", type=_Path(dir_okay=False, path_type=Path))
@click.option("--n", "sizes", default=None, metavar="A:B:STEP",
              help="sizes per allocation unit: 50:400:50, 50,100,200 or one number (default: the file's n_per_arm)")
@click.option("--reps", type=int, default=1000, show_default=True, help="replicate trials per size")
@click.option("--out", "out", required=True, type=_Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--workers", type=int, default=None, metavar="K", help=_EXEC_HELP)
@click.option("--scheduler", default=None, metavar="ADDR", help="address of an existing Dask scheduler")
@click.option("--boot", type=int, default=None, help="bootstrap resamples for mediation (default: the file's)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
@click.option("--parameters", "source", type=click.Choice(PARAMETER_SOURCES), default=DEFAULT_SOURCE,
              show_default=True, help="posterior or prior: K parameter sets with pools each, replicate r on set "
              "r mod K, so power is averaged over what is not known (assurance); point: the point values only")
@click.option("--parameter-draws", "draws", type=int, default=None, metavar="K",
              help="parameter sets for --parameters posterior|prior (default 20, or --reps if fewer; at most --reps)")
@click.option("--per-site", "per_site", default=None, metavar="A,B",
              help="cluster or stepped-wedge trials: mean dyads per site (per site and period), 5,10,20 or 5:20:5 "
              "(default: the file's); --n is then sites per allocation unit (cluster) or sites in all (stepped wedge)")
def power(trial_file: Path, sizes: str | None, reps: int, out: Path, force: bool, workers: int | None,
          scheduler: str | None, boot: int | None, progress: bool | None, source: str, draws: int | None,
          per_site: str | None) -> None:
    """Monte Carlo power curves of TRIAL_FILE for every outcome and mediation path; resumes when
    run again after an interrupt."""
    from dyadsim.run.store import check_target, write_atomic
    from dyadsim.run.sweep import executor_for
    from dyadsim.trials.design import load_trial
    from dyadsim.trials.power import parse_grid
    from dyadsim.trials.report import write_power_report
    from dyadsim.trials.run import remove_work, run_power, work_folder

    with _guarded():
        trial_, _ = load_trial(trial_file)
        if not 10 <= reps <= 100_000:
            raise InputError("command line", "--reps", f"must be a whole number from 10 to 100000, got {reps}")
        if boot is not None and not 100 <= boot <= 20_000:
            raise InputError("command line", "--boot", f"must be a whole number from 100 to 20000, got {boot}")
        show = sys.stderr.isatty() if progress is None else progress
        if trial_.design != "individual":
            _site_power(trial_file, trial_, sizes, per_site, reps, out, force, workers, scheduler, show, source, draws)
            return
        if per_site is not None:
            raise InputError("command line", "--per-site", "is for cluster and stepped-wedge trials (a clusters: or "
                             "stepped_wedge: block); this trial randomises mothers: use --n")
        grid = parse_grid(sizes) if sizes is not None else [trial_.n_per_arm]
        check_target(out, force)
        work = work_folder(out)
        try:
            with executor_for(workers, scheduler) as ex:
                res = run_power(trial_file, grid, reps, work, ex, progress=show, n_boot=boot, parameters=source,
                                parameter_draws=draws)
        except KeyboardInterrupt:
            if work.is_dir() and any(work.iterdir()):
                click.echo(f"\ninterrupted: {out} was not written; the finished replicates are kept in {work}/; "
                           "run the same command again to resume", err=True)
            else:
                remove_work(work)
                click.echo("\ninterrupted: nothing was written", err=True)
            sys.exit(130)

        def write(tmp: Path) -> dict[str, Any]:
            write_power_report(res, tmp)
            return res.manifest

        write_atomic(out, write, force=force)
        remove_work(work)
    rec = res.manifest["parameter_draws"]
    over = ("" if rec["source"] == "point" else
            f", averaged over {rec['draws']} parameter sets from the {rec['source']} (assurance)")
    click.echo(f"{res.trial.name}: power over {len(grid)} size(s), {reps} replicates each{over} "
               f"({res.manifest['elapsed_s']:.0f} s)")
    from dyadsim.trials.power import describe_size

    span = (int(res.summary["n"].min()), int(res.summary["n"].max()))
    for r in res.required.itertuples():
        n80, n90 = describe_size(r.n_80, r.how_80, span), describe_size(r.n_90, r.how_90, span)
        last = res.summary[(res.summary["target"] == r.target) & (res.summary["kind"] == r.kind)].iloc[-1]
        click.echo(f"  {r.target} [{r.kind}]: power {last.power:.2f} +- {last.mcse:.2f} at n = {last.n}; "
                   f"n for 80%: {n80}, for 90%: {n90}")
    for r in res.sequential.to_dict("records")[-1:]:  # the group-sequential design at the largest size
        stops = ", ".join(f"{r[f'stop_look_{k + 1}']:.2f}" for k in range(len(res.trial.interim.looks)))
        click.echo(f"  {res.trial.primary.name} [sequential, {len(res.trial.interim.looks)} looks]: power "
                   f"{r['power']:.2f} +- {r['mcse']:.2f} (closed form {r.get('closed_form_power', float('nan')):.2f}) "
                   f"at n = {r['n']}; stops at each look {stops}; expected enrolled {r['expected_total']:.0f} "
                   f"of {r['max_total']}")
    failed = res.summary.groupby(["target", "kind"], sort=False)[["failures", "replicates"]].sum()
    failed = failed[failed["failures"] > 0]
    if len(failed):  # not estimable replicates count as failures, never as rejections
        click.echo(f"  not estimable (counted as failures, not rejections): "
                   + "; ".join(f"{t} [{k}] {int(f.failures)} of {int(f.replicates)} replicates"
                               for (t, k), f in failed.iterrows()))
    _notice(res.manifest)
    click.echo(f"wrote {out}/ (power.html, power.csv, power.parquet, required_n.csv, replicates.parquet, power.svg)")



def _site_trial(trial_file: Path, out: Path, force: bool, seed: int | None, progress: bool, source: str) -> None:
    """``dyadsim trial`` for a cluster or stepped-wedge trial file (:mod:`dyadsim.trials.site_run`)."""
    from dyadsim.run.store import write_atomic
    from dyadsim.trials.site_run import simulate_site_trial, write_site_trial

    res = simulate_site_trial(trial_file, seed, progress=progress, parameters=source)

    def write(tmp: Path) -> dict[str, Any]:
        write_site_trial(res, tmp)
        return {"package": "dyadsim", "command": "trial", "design": res.trial.design, "trial_file": str(trial_file),
                "seed": res.seed, "trial": res.trial.model_dump(mode="json"), "parameter_draws": res.parameters}

    write_atomic(out, write, force=force)
    p = res.participants
    click.echo(f"{res.trial.name}: {res.trial.design.replace('_', '-')} trial, {len(p)} mothers at "
               f"{p['site'].nunique()} sites")
    click.echo("outcome (arm): estimate [95% CI], p (adjusted), ICC; true")
    truth = res.truth.set_index(["outcome", "arm"])
    for r in res.estimates.itertuples():
        t = truth.loc[(r.outcome, r.arm)]
        true = {"rate_ratio": t["ratio"], "odds_ratio": t["odds_ratio"]}.get(r.scale, t["difference"])
        if not r.converged:
            click.echo(f"  {r.outcome} ({r.arm}, {r.role}): not estimable ({r.failure})")
            continue
        click.echo(f"  {r.outcome} ({r.arm}, {r.role}, {r.model}, {r.scale}): {r.estimate:.3f} [{r.ci_low:.3f}, "
                   f"{r.ci_high:.3f}], p = {r.p_value:.3g} ({r.p_adjusted:.3g}), ICC {r.icc:.3f}; true {true:.3f}")
    click.echo(f"parameters: {res.parameters['described']}")
    _notice({"parameter_draws": res.parameters})
    click.echo(f"\nwrote {out}/ (report.html, estimates.csv, true_effects.csv, participants.parquet)")


def _site_power(trial_file: Path, trial_: Any, sizes: str | None, per_site: str | None, reps: int, out: Path,
                force: bool, workers: int | None, scheduler: str | None, show: bool, source: str,
                draws: int | None) -> None:
    """``dyadsim power`` for a cluster or stepped-wedge trial file: a grid over sites (``--n``)
    and mean dyads per site (``--per-site``)."""
    from dyadsim.run.store import check_target, write_atomic
    from dyadsim.run.sweep import executor_for
    from dyadsim.trials.power import describe_size, parse_grid
    from dyadsim.trials.run import remove_work, work_folder
    from dyadsim.trials.site_run import grid_default, parse_per_site, run_site_power, write_site_power

    own_sites, own_m = grid_default(trial_)
    sites = [int(s) for s in parse_grid(sizes)] if sizes is not None else [own_sites]
    ms = parse_per_site(per_site) if per_site is not None else [own_m]
    check_target(out, force)
    work = work_folder(out)
    try:
        with executor_for(workers, scheduler) as ex:
            res = run_site_power(trial_file, sites, ms, reps, work, ex, progress=show, parameters=source,
                                 parameter_draws=draws)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {out} was not written; run the same command again to resume from {work}/",
                   err=True)
        sys.exit(130)

    def write(tmp: Path) -> dict[str, Any]:
        write_site_power(res, tmp)
        return res.manifest

    write_atomic(out, write, force=force)
    remove_work(work)
    unit = "sites per arm" if trial_.clusters is not None else "sites"
    click.echo(f"{res.trial.name}: power of the {trial_.design.replace('_', '-')} design over {len(sites)} site "
               f"count(s) x {len(ms)} site size(s), {reps} replicates each ({res.manifest['elapsed_s']:.0f} s)")
    span = (min(sites), max(sites))
    for r in res.required.itertuples():
        last = res.summary[(res.summary["target"] == r.target) & (res.summary["kind"] == r.kind)
                           & (res.summary["per_site"] == r.per_site)].iloc[-1]
        click.echo(f"  {r.target} [{r.kind}], {r.per_site:g} per site: power {last.power:.2f} +- {last.mcse:.2f} at "
                   f"{last.sites} {unit}; {unit} for 80%: {describe_size(r.sites_80, r.how_80, span)}")
    for r in res.design_effect.itertuples():
        line = f"  {r.target}, {r.sites} {unit} of {r.per_site:g}: ICC {r.icc:.4f} +- {r.icc_se:.4f} (pool {r.true_icc:.4f})"
        if r.observed_de == r.observed_de:  # NaN for stepped-wedge designs (no individual counterpart)
            line += (f"; design effect observed {r.observed_de:.2f} +- {r.observed_de_se:.2f}, "
                     f"1 + ((cv^2 + 1) m - 1) ICC = {r.textbook_de:.2f} (m {r.mean_size:.1f}, cv {r.cv_size:.2f})")
        click.echo(line)
    for r in res.closed_form.itertuples():
        click.echo(f"  {r.target}, {r.sites} sites of {r.per_site:g} per period: Hussey-Hughes closed form "
                   f"{r.closed_form_power:.2f}")
    _notice(res.manifest)
    click.echo(f"wrote {out}/ (power.html, power.png, power.csv, required_sites.csv, design_effect.csv, "
               "true_effects.csv, replicates.parquet)")

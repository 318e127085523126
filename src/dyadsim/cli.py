"""Command line: ``dyadsim run``, ``dyadsim graph``, ``dyadsim params``."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import InputError


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _check_counts(dyads: int | None, replicates: int | None, seed: int | None) -> None:
    """Command-line overrides: at least one dyad and one replicate, a non-negative seed."""
    if dyads is not None and dyads < 1:
        raise InputError("command line", "--dyads", f"must be a whole number >= 1, got {dyads}")
    if replicates is not None and replicates < 1:
        raise InputError("command line", "--replicates", f"must be a whole number >= 1, got {replicates}")
    if seed is not None and seed < 0:
        raise InputError("command line", "--seed", f"must be >= 0, got {seed}")


@click.group()
@click.version_option(package_name="dyadsim")
def main() -> None:
    """dyadsim: simulate opioid-exposed mother-infant dyads (Reese et al. 2021 model)."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="output folder (written atomically)")
@click.option("--dyads", type=int, default=None, help="dyads per replicate (overrides the scenario)")
@click.option("--seed", type=int, default=None, help="base seed (overrides the scenario)")
@click.option("--replicates", type=int, default=None, help="replicates over seeds (overrides the scenario)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
def run(scenario: Path, out: Path, dyads: int | None, seed: int | None, replicates: int | None,
        progress: bool | None) -> None:
    """Run SCENARIO (a YAML file): print the summary, write tables, manifest, figures and report.html."""
    from .report import write_report
    from .runner import run_scenario
    from .scenario import load_scenario
    from .store import write_run

    try:
        _check_counts(dyads, replicates, seed)
        scn, params, spec = load_scenario(scenario)
        result = run_scenario(scn, params, spec, dyads=dyads, seed=seed, replicates=replicates, progress=progress)
        write_run(result, out, extras=lambda folder: write_report(result, folder))
    except InputError as exc:
        _fail(exc)
    s = result.summary
    width = max(len(o) for o in s["outcome"])
    click.echo(f"\n{scn.name}: {result.manifest['dyads']} dyads x {result.manifest['replicates']} replicates "
               f"(mean [95% interval])")
    for r in s.itertuples():
        click.echo(f"  {r.outcome:<{width}}  {r.mean:10.3f}  [{r.lower:10.3f}, {r.upper:10.3f}]")
    click.echo(f"\nwrote {out}/ (outcomes.parquet, aggregates.parquet, trajectories.parquet, summary.csv, "
               f"manifest.json, catalog.duckdb, figures/, report.html)")


@main.command()
@click.argument("scenarios", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="output folder (written atomically)")
@click.option("--dyads", type=int, default=None, help="dyads per replicate (default: the first scenario's)")
@click.option("--replicates", type=int, default=None, help="replicates (default: the first scenario's)")
@click.option("--seed", type=int, default=None, help="base seed (default: the first scenario's)")
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
def compare(scenarios: tuple[Path, ...], out: Path, dyads: int | None, replicates: int | None, seed: int | None,
            progress: bool | None) -> None:
    """Run SCENARIOS on the same dyads and seeds; write paired differences from the first."""
    from .compare import compare as run_compare
    from .compare import write_comparison

    try:
        _check_counts(dyads, replicates, seed)
        cmp = run_compare(list(scenarios), dyads=dyads, replicates=replicates, seed=seed, progress=progress)
        write_comparison(cmp, out)
    except InputError as exc:
        _fail(exc)
    d = cmp.differences[cmp.differences["summary"]]
    width = max(len(o) for o in d["outcome"])
    for name in cmp.names[1:]:
        click.echo(f"\n{name} minus {cmp.names[0]} (difference [95% interval]):")
        for r in d[d["scenario"] == name].itertuples():
            click.echo(f"  {r.outcome:<{width}}  {r.difference:10.3f}  [{r.lower:10.3f}, {r.upper:10.3f}]")
    click.echo(f"\nwrote {out}/ (differences.csv, differences.parquet, summaries.csv, outcomes/, figures/, compare.html)")


@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="drawing to write (.svg, .png or .pdf)")
@click.option("--intervention", type=click.Choice(["more", "sg", "mbp", "abc"]), default=None,
              help="mark the targets of a programme (more: Figure 2)")
@click.option("--json", "as_json", is_flag=True, help="print the graph as JSON")
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="show the edge strengths and switches of this scenario")
def graph(out: Path | None, as_json: bool, scenario: Path | None, intervention: str | None) -> None:
    """Draw or print the mechanism graph (Figure 1; with --intervention more, Figure 2)."""
    from . import graph as g

    kwargs: dict = {}
    if intervention is not None:
        from .modules.programs import LABELS, TARGETS

        marked: dict[str, list[str]] = {}
        for comp, ids in TARGETS[intervention].items():
            for i in ids:
                marked.setdefault(i, []).append(f"{intervention}.{comp}")
        kwargs["marked"] = marked
        if out is not None:
            kwargs["title"] = (f"{LABELS[intervention]}: targets marked on the mechanism graph"
                               + (" (Reese et al. 2021, Figure 2)" if intervention == "more" else ""))
    try:
        if scenario is not None:
            from .scenario import load_scenario

            _, params, _ = load_scenario(scenario)
            kwargs.update({"strengths": params.strengths, "enabled": params.enabled})
        if out is None and not as_json:
            raise InputError("command line", "--out/--json", "give --out FILE.svg|.png|.pdf, --json, or both")
        if out is not None:
            try:
                g.draw(out, **kwargs)
            except ValueError as exc:
                raise InputError(str(out), "--out", str(exc)) from None
            click.echo(f"wrote {out}", err=as_json)
    except InputError as exc:
        _fail(exc)
    if as_json:
        kwargs.pop("title", None)
        click.echo(g.to_json(**kwargs))


@main.command()
@click.option("--assumed", is_flag=True, help="only parameters marked assumed")
def params(assumed: bool) -> None:
    """List every parameter: dotted name, default, unit, plausible range, source."""
    from .graph import GRAPH
    from .params import ParamSet  # noqa: F401  (registers modules)
    from .registry import PARAMS

    for name, p in PARAMS.items():
        if assumed and not p.assumed:
            continue
        click.echo(f"{name:45s} {p.default:>10g} {p.unit:22s} [{p.low:g}, {p.high:g}]  {p.source}")
    for e in GRAPH.edges:
        if assumed and e.strength_source != "assumed":
            continue
        click.echo(f"{'links.' + e.id + '.strength':45s} {e.strength:>10g} {e.unit[:22]:22s} "
                   f"[{e.range[0]:g}, {e.range[1]:g}]  {e.strength_source} (arrow: {e.evidence})")


if __name__ == "__main__":
    main()

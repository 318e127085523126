"""What every command shares: the command group, its error and interrupt handling, the options' help,
and the printing of a run's or a comparison's summary."""
from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from dyadsim.core.errors import InputError


def _notice(manifest: dict | None = None) -> None:
    """Print the calibration notice under a summary (see :mod:`dyadsim.config.grounding`), for the
    parameters the result in ``manifest`` used."""
    from dyadsim.config.grounding import calibration_notice, draws_source

    click.echo(f"\n{calibration_notice(draws_source(manifest or {}))}")


def _scope(label: str) -> None:
    """Print, under a table of intervals labelled ``label``, what they leave out (Monte Carlo only)."""
    from dyadsim.core import intervals

    note = intervals.scope_note(intervals.kind_of(label))
    if note:
        click.echo(f"\n{note}")


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _check_counts(dyads: int | None, replicates: int | None, seed: int | None) -> None:
    """Command-line overrides: at least one dyad and one replicate, a non-negative seed (the
    scenario's upper limits are checked by :func:`dyadsim.config.scenario.with_cohort`)."""
    if dyads is not None and dyads < 1:
        raise InputError("command line", "--dyads", f"must be a whole number >= 1, got {dyads}")
    if replicates is not None and replicates < 1:
        raise InputError("command line", "--replicates", f"must be a whole number >= 1, got {replicates}")
    if seed is not None and seed < 0:
        raise InputError("command line", "--seed", f"must be >= 0, got {seed}")


class _Path(click.Path):
    """``click.Path`` that refuses a NUL character (which the operating system cannot take) as a
    usage error instead of failing inside the check."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\x00" in str(value):
            self.fail("a path may not contain a NUL character", param, ctx)
        return super().convert(value, param, ctx)


def _terminate(signum: int, frame: FrameType | None) -> None:
    from dyadsim.core import interrupt

    interrupt.request()  # kept even where the exception below is swallowed (compiled callbacks)
    raise KeyboardInterrupt


@contextmanager
def _guarded() -> Iterator[None]:
    """Run a command: Ctrl-C and SIGTERM interrupt it (partial output removed, exit 130), input
    errors and operating-system errors end with one line instead of a traceback."""
    from dyadsim.core import interrupt

    interrupt.clear()
    previous: dict[int, Any] = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    except InputError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: nothing was written (partial output removed)", err=True)
        sys.exit(130)
    except BrokenPipeError:  # the reader of the output went away (| head): not an error
        from dyadsim.cli.exits import closed_pipe

        closed_pipe()
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), err=True)
        sys.exit(1)
    except MemoryError:
        click.echo("error: out of memory: this machine cannot hold what the command asked for; ask for less "
                   "(fewer dyads or replicates, a smaller --n or fewer sizes)", err=True)
        sys.exit(1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


PARAMETERS_HELP = ("posterior: members of the calibrated posterior ensemble, one per replicate (intervals carry "
                   "parameter and Monte Carlo uncertainty; as many as --parameter-draws or --replicates, default 20); "
                   "prior: draws from the priors instead; point: the parameters' values (Monte Carlo uncertainty only)")


def _draws(k: int | None, replicates: int | None, select: str, scn: Any, seed: int | None,
           source: str) -> Any:
    """The parameter draws ``--parameters``, ``--parameter-draws K`` and ``--replicates`` ask for
    (:func:`dyadsim.config.uncertainty.resolve_draws`), seeded by the run's base seed so a run is
    reproducible and scenarios of a comparison share their draws."""
    from dyadsim.config.uncertainty import resolve_draws

    scenarios = scn if isinstance(scn, tuple) else (scn,)
    return resolve_draws(source, k, replicates, select, scenarios[0].cohort.seed if seed is None else seed, scenarios)


_OUT_HELP = "output folder (written atomically; must be new, empty, or an earlier dyadsim output with --force)"
_CSV_HELP = "also write CSV copies of the tables in OUT/csv/ (for R, Stata, spreadsheets)"
_FORCE_HELP = "replace OUT if it holds an earlier dyadsim output (only files dyadsim wrote; never other folders)"


def _plain_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                   file: Any = None, line: str | None = None) -> None:
    """Show a warning as one plain line, ``warning: ...``: a reader of a command's output wants the
    advice, not the line of dyadsim's source that raised it."""
    try:
        click.echo(f"warning: {message}", err=True)
    except BrokenPipeError:  # nobody is reading the warnings either
        pass


@click.group()
@click.version_option(package_name="dyadsim")
@click.pass_context
def main(ctx: click.Context) -> None:
    """dyadsim: simulate opioid-exposed mother-infant dyads (Reese et al. 2021 model)."""
    import warnings

    previous = warnings.showwarning
    warnings.showwarning = _plain_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))


def command_line() -> str:
    """The running command as a ``dyadsim`` command line: its arguments and every option given a
    value other than its default (the same run, whether started from a shell or from Python)."""
    import shlex

    ctx = click.get_current_context()
    words = ["dyadsim", ctx.command.name or ""]
    for p in ctx.command.params:
        v = ctx.params.get(p.name or "")
        if isinstance(p, click.Argument):
            words += [str(x) for x in (v if isinstance(v, (tuple, list)) else [v]) if x is not None]
        elif isinstance(p, click.Option) and v is not None and v != p.default:
            if p.is_flag:
                words.append(p.opts[0] if v else (p.secondary_opts or p.opts)[0])
            else:
                words += [p.opts[0], str(v)]
    return shlex.join(words)


def _echo_err(text: str) -> None:
    click.echo(text, err=True)


def _compile_notice(kind: str) -> None:
    """Say on stderr when the engine must be compiled first (the first run of a version)."""
    from dyadsim.jobs.run import announce_compile

    announce_compile(kind, _echo_err)


def _print_run(result: Any, out: Path, csv: bool) -> None:
    s = result.summary
    width = max(len(o) for o in s["outcome"])
    kind = str(s["interval"].iloc[0])
    click.echo(f"\n{result.scenario.name}: {result.manifest['dyads']} dyads x {result.manifest['replicates']} "
               f"replicates (mean [{kind} interval])")
    for r in s.itertuples():
        click.echo(f"  {r.outcome:<{width}}  {r.mean:10.3f}  [{r.lower:10.3f}, {r.upper:10.3f}]")
    _scope(kind)
    _notice(result.manifest)
    click.echo(f"\nwrote {out}/ (outcomes.parquet, monthly.parquet, aggregates.parquet, trajectories.parquet, "
               f"summary.csv, manifest.json, catalog.duckdb, views.sql, figures/, report.html"
               + (", csv/" if csv else "") + ")")


def _print_comparison(cmp: Any, out: Path) -> None:
    d = cmp.differences[cmp.differences["summary"]]
    width = max(len(o) for o in d["outcome"])
    for name in cmp.names[1:]:
        click.echo(f"\n{name} minus {cmp.names[0]} (difference [{cmp.manifest['interval']} interval]):")
        for r in d[d["scenario"] == name].itertuples():
            click.echo(f"  {r.outcome:<{width}}  {r.difference:10.3f}  [{r.lower:10.3f}, {r.upper:10.3f}]")
    _scope(str(cmp.manifest["interval"]))
    _notice(cmp.manifest)
    click.echo(f"\nwrote {out}/ (differences.csv, differences.parquet, summaries.csv, outcomes/, figures/, compare.html)")

"""Commands for working with results: ``dyadsim rerun``, ``dyadsim summarize``, ``dyadsim example``.

Registered on :func:`dyadsim.cli.commands.main`; every input is checked before anything runs and bad input
ends with one line naming the file or option, the field and what is allowed (exit status 2).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dyadsim.cli.common import (_FORCE_HELP, _compile_notice, _echo_err, _guarded, _notice, _Path, _print_comparison,
                                _print_run, command_line, main)
from dyadsim.core.errors import InputError


def _recorded_draws(data: dict, origin: str) -> Any:
    """The parameter draws a manifest records (``--parameter-draws``), exactly as used, or None."""
    rec = data.get("parameter_draws")
    if rec is None:
        return None
    import numpy as np

    from dyadsim.config.uncertainty import ParameterDraws

    try:
        return ParameterDraws([str(n) for n in rec["names"]], np.asarray(rec["values"], dtype=np.float64),
                              int(rec["seed"]), str(rec["select"]), str(rec.get("source", "prior")),
                              dict(rec.get("meta") or {}))
    except (KeyError, TypeError, ValueError):
        raise InputError(origin, "parameter_draws", "must hold the draws' names, values, seed and select as "
                         "dyadsim writes them") from None


def _default_out(manifest: Path) -> Path:
    folder = manifest.parent if manifest.name == "manifest.json" else manifest
    return folder.parent / f"{folder.name}-rerun"


@main.command()
@click.argument("manifest", type=_Path(path_type=Path))
@click.option("--out", "out", type=_Path(file_okay=False, path_type=Path), default=None,
              help="output folder (default: the run's folder name + '-rerun', beside it)")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@click.option("--progress/--no-progress", default=None, help="progress bar (default: when on a terminal)")
def rerun(manifest: Path, out: Path | None, force: bool, progress: bool | None) -> None:
    """Run again, bit for bit, the run or comparison recorded in MANIFEST (DIR/manifest.json or DIR).

    The scenarios, cohort, seeds and population are rebuilt from the manifest's contents alone;
    every file the rerun writes is then compared with the sha256 the manifest recorded, and every
    file of the original folder too (an edit there is reported): exit status 1 when any differs."""
    from dyadsim.engine.cache import SOURCE_HASH
    from dyadsim.run.manifest import check_original, check_rerun, check_restored, read_manifest, restore
    from dyadsim.jobs.run import run_into

    with _guarded():
        data = read_manifest(manifest)
        origin = str(manifest)
        folder = manifest if manifest.is_dir() else manifest.parent
        out = out if out is not None else _default_out(manifest)
        restored = [restore(rec, origin) for rec in data["scenarios_full"]]
        check_restored(data, restored, origin)
        draws = _recorded_draws(data, origin)
        # The original folder is checked before anything is written: --force may replace it.
        files = check_original(data, folder)
        csv = (folder / "csv").is_dir() or any(f.startswith("csv/") for f in data.get("files", []))
        if data.get("source_hash") != SOURCE_HASH:
            click.echo(f"warning: {origin} was made by dyadsim {data.get('versions', {}).get('dyadsim')} with engine "
                       f"source {data.get('source_hash')}; this one is {SOURCE_HASH}, so results may differ", err=True)
        if data["kind"] == "run":
            scn, params, spec = restored[0]
            result = run_into(scn, params, spec, out, record=data["scenarios_full"][0], command=command_line(),
                              force=force, csv=csv, progress=progress, draws=draws, notify=_echo_err)
            pairs = [(folder / "outcomes.parquet", out / "outcomes.parquet")]
        else:
            from dyadsim.analysis.compare import Loaded
            from dyadsim.jobs.compare import write_loaded
            from dyadsim.run.store import check_target

            if len(restored) < 2:
                raise InputError(origin, "scenarios_full", "a comparison needs at least two scenarios")
            loaded = Loaded(paths=[Path(str(r.get("file") or f"scenario {i + 1}"))
                                   for i, r in enumerate(data["scenarios_full"])],
                            scenarios=restored, records=data["scenarios_full"], command=command_line(), draws=draws)
            check_target(out, force)
            _compile_notice(restored[0][0].engine.kind)
            cmp = write_loaded(loaded, out, force=force, progress=progress)
            pairs = [(folder / f, out / f) for f in cmp.manifest["outcome_files"]]
    if data["kind"] == "run":
        _print_run(result, out, csv)
    else:
        _print_comparison(cmp, out)
    with _guarded():
        files = check_rerun(data, folder, out, files)
    for line in files.lines(folder, origin):
        click.echo(line)
    present = [(a, b) for a, b in pairs if a.is_file()]
    if not files.recorded and present:  # an older manifest: only the outcome tables can be compared
        from dyadsim.run.store import same_table

        same = all(same_table(a, b) for a, b in present)
        click.echo(f"outcomes {'identical to' if same else 'DIFFER from'} the original run in {folder}/")
        if not same:
            sys.exit(1)
    if not files.ok:
        sys.exit(1)


@main.command()
@click.argument("folder", type=_Path(file_okay=False, path_type=Path))
@click.option("--by", "by", required=True, help="a categorical or flag column of outcomes.parquet (e.g. moud_type)")
@click.option("--out", "out", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="CSV file to write (default: <folder name>_by_<column>.csv in the current folder; the run "
                   "folder itself is left as dyadsim wrote it)")
def summarize(folder: Path, by: str, out: Path | None) -> None:
    """Summary outcomes of the run in FOLDER by subgroup: mean [95% interval] for each value of --by."""
    from dyadsim.run.tidy import summarize_by

    with _guarded():
        src = folder / "outcomes.parquet"
        if not src.is_file():
            raise InputError(str(folder), "FOLDER", "holds no outcomes.parquet; give the folder of a 'dyadsim run'")
        table = summarize_by(src, by)
        target = out if out is not None else Path(f"{folder.resolve().name}_by_{by}.csv")
        _write_text_atomic(target, table.to_csv(index=False))
    width = max(len(o) for o in table["outcome"])
    for group, d in table.groupby(by, sort=False):
        n = int(d["dyads_per_replicate"].max())
        click.echo(f"\n{by} = {group} (about {n} dyads per replicate):")
        for r in d.itertuples():
            click.echo(f"  {r.outcome:<{width}}  {r.mean:10.3f}  [{r.lower:10.3f}, {r.upper:10.3f}]")
    _notice()
    click.echo(f"\nwrote {target}")


def _write_text_atomic(path: Path, text: str) -> None:
    """Write a file by rename, so a reader never sees half of it."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@main.command()
@click.argument("name", required=False)
@click.option("--list", "as_list", is_flag=True, help="list the example scenarios shipped with dyadsim")
@click.option("--out", "out", type=_Path(dir_okay=False, path_type=Path), default=None,
              help="write the example to this file (default: print it)")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
def example(name: str | None, as_list: bool, out: Path | None, force: bool) -> None:
    """Print or write the example scenario NAME (shipped with dyadsim); --list lists them."""
    from dyadsim.config import examples

    with _guarded():
        if as_list or name is None:
            if name is not None:
                raise InputError("command line", "--list", "give either NAME or --list")
            for n in examples.names():
                click.echo(f"{n:24s} {examples.description(n)}")
            return
        text = examples.text(name)
        refs = examples.referenced(name)
        if out is None:
            click.echo(text, nl=False)
            if refs:
                click.echo(f"note: this trial file refers to {', '.join(refs)}; write it with --out FILE to get "
                           "them beside it", err=True)
            return
        # A trial file names its arms' scenarios relative to itself: write them beside it. Check every
        # target first, so a refusal writes nothing.
        files = {out: text, **{out.parent / ref: examples.text(Path(ref).stem) for ref in refs}}
        for path, body in files.items():
            if path.is_dir():
                raise InputError(str(path), "--out", "is a folder; give a file name")
            if path.exists() and not force and path == out:
                raise InputError(str(path), "--out", "exists; add --force to replace it, or choose another file")
            if path.exists() and not force and path.read_text(encoding="utf-8", errors="replace") != body:
                raise InputError(str(path), "--out", f"the trial file names {path.name}, which exists beside it "
                                 "with other content; add --force to replace it, or write to another folder")
        for path, body in files.items():
            if not path.exists() or path.read_text(encoding="utf-8", errors="replace") != body:
                _write_text_atomic(path, body)
        stem = Path(name).stem
        if refs:
            from dyadsim.core.yamlsafe import parse_yaml

            doc = parse_yaml(text, f"{stem}.yaml")
            # --n counts mothers per arm, or sites (per arm for a cluster trial) for a site design
            grid = "5:20:5" if "clusters" in doc else "8:24:8" if "stepped_wedge" in doc else "50:200:50"
            click.echo(f"wrote {out} and the scenarios it names beside it ({', '.join(refs)}); simulate one trial "
                       f"with: dyadsim trial {out} --out results/{stem}, or its power with: dyadsim power {out} "
                       f"--n {grid} --out results/{stem}_power", err=True)
        else:
            click.echo(f"wrote {out}; run it with: dyadsim run {out} --out results/{stem}", err=True)


__all__ = ["example", "rerun", "summarize"]

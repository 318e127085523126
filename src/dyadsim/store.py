"""The run store: Parquet tables, a manifest and a DuckDB catalogue, written atomically.

Everything is written into a temporary sibling folder first; the finished folder is then moved
into place with one rename, so an interrupted run never looks complete: a folder with a
``manifest.json`` is a finished run. An existing output folder is replaced only when it is empty
or is itself a finished dyadsim run.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Callable

import duckdb

from .errors import InputError
from .runner import RunResult

TABLES = ("outcomes", "aggregates", "trajectories")


def _check_target(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(str(out), "--out", "exists and is not a folder; choose a folder path")
        if any(out.iterdir()) and not (out / "manifest.json").exists():
            raise InputError(str(out), "--out", "folder is not empty and is not a dyadsim run; "
                             "choose an empty or new folder (nothing was overwritten)")


def write_catalog(folder: Path) -> None:
    """``catalog.duckdb``: views over the Parquet files (relative paths: query from the run folder,
    or use :func:`open_catalog`) and the summary as a table."""
    con = duckdb.connect(str(folder / "catalog.duckdb"))
    try:
        for t in TABLES:
            con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{t}.parquet')")
        con.execute("CREATE OR REPLACE TABLE summary AS SELECT * FROM read_csv_auto('summary.csv')")
    finally:
        con.close()


def open_catalog(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """Open a run's catalogue read-only with its folder as the search path for the Parquet files."""
    folder = Path(folder)
    con = duckdb.connect(str(folder / "catalog.duckdb"), read_only=True)
    con.execute(f"SET file_search_path = '{folder.resolve().as_posix()}'")
    return con


def write_atomic(out: str | Path, write: Callable[[Path], None], manifest: dict) -> Path:
    """Write a results folder atomically: ``write(tmp)`` fills a temporary sibling folder, the
    manifest is written last (listing every file), and one rename puts the folder in place."""
    out = Path(out)
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write(tmp)
        manifest = dict(manifest)
        manifest["files"] = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:  # last file: marks completion
            json.dump(manifest, fh, indent=2, default=str)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def write_run(result: RunResult, out: str | Path, extras: Callable[[Path], None] | None = None) -> Path:
    """Write a run to ``out`` atomically; ``extras(tmp_folder)`` may add figures and the report."""

    def write(tmp: Path) -> None:
        result.outcomes.to_parquet(tmp / "outcomes.parquet", index=False)
        result.aggregates.to_parquet(tmp / "aggregates.parquet", index=False)
        result.trajectories.to_parquet(tmp / "trajectories.parquet", index=False)
        result.summary.to_csv(tmp / "summary.csv", index=False)
        cwd = os.getcwd()
        os.chdir(tmp)  # DuckDB resolves the views' relative paths against the working folder
        try:
            write_catalog(Path("."))
        finally:
            os.chdir(cwd)
        if extras is not None:
            extras(tmp)

    return write_atomic(out, write, result.manifest)

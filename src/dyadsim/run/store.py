"""The run store: Parquet tables, a manifest, a DuckDB catalogue and ``views.sql``, written
atomically and safely.

Everything is written into a hidden temporary sibling folder first (``.NAME.partial-PID-XXXX``);
the finished folder is then moved into place with one rename, so an interrupted run never looks
complete: a folder with a dyadsim ``manifest.json`` is a finished run.

The output folder is checked before any simulation (:func:`check_target`). It may be new, an
empty folder, or, only with ``force=True`` (``--force``), a folder that dyadsim itself wrote: its
``manifest.json`` carries dyadsim's marker (``"package": "dyadsim"``) and the list of its files,
and the folder holds nothing else. Any other folder is left untouched. Partial folders left behind
by a killed run (their process is gone) are removed by the next run into the same place.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Callable

import duckdb

from dyadsim.core import interrupt
from dyadsim.core.errors import OutputError

if TYPE_CHECKING:
    from dyadsim.run.runner import RunResult

TABLES = ("outcomes", "aggregates", "trajectories", "monthly")
"""The Parquet tables of a run folder (``<name>.parquet``), each a view of the catalogue."""
MARKER = "dyadsim"
"""Value of ``manifest["package"]`` in every folder dyadsim writes."""
PARTIAL_FILE = ".dyadsim-partial"
"""File inside a temporary folder naming the process writing it."""
MAX_MANIFEST_BYTES = 50_000_000
"""Largest ``manifest.json`` dyadsim reads (bytes): it may hold up to 20 scenario files' texts
(2,000,000 characters each) and every parameter draw, so the limit sits well above what dyadsim writes."""
FILE_HASHES = "file_sha256"
"""Manifest field: the sha256 (hex) of every file of the folder, by path relative to it, taken as
the folder was written, so ``dyadsim rerun`` can tell which file changed or was not reproduced."""


MANIFEST_HASH = "manifest_sha256"
"""Manifest field: the sha256 (hex) of the manifest's canonical JSON without this field
(:func:`manifest_digest`), so that a manifest edited or damaged after it was written is refused.
It guards against accidents, not tampering: anyone can compute a new one."""


def canonical_json(doc: Any) -> bytes:
    """``doc`` as canonical JSON (UTF-8, keys sorted, no spaces): the same bytes for the same
    values, whatever the key order or indentation of the file it was read from."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_digest(doc: dict[str, Any]) -> str:
    """The sha256 (hex) of a manifest's :func:`canonical_json` without its :data:`MANIFEST_HASH`."""
    return hashlib.sha256(canonical_json({k: v for k, v in doc.items() if k != MANIFEST_HASH})).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The sha256 (hex) of a file, read ``chunk`` bytes (1 MiB) at a time so memory does not grow
    with the file (a run's Parquet tables can be gigabytes)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_hashes(folder: Path, files: list[str]) -> dict[str, str]:
    """The sha256 of each of ``files`` (paths relative to ``folder``), in the order given."""
    return {f: sha256_file(folder / f) for f in files}


def _manifest_files(folder: Path) -> set[str] | None:
    """The files listed by a dyadsim manifest in ``folder``, or None when it is not one."""
    path = folder / "manifest.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("package") != MARKER or not isinstance(data.get("files"), list):
        return None
    files = data["files"]
    if not all(isinstance(f, str) for f in files):
        return None
    return set(files) | {"manifest.json"}


def _foreign(folder: Path, listed: set[str]) -> list[str]:
    """Entries of ``folder`` that its manifest does not list (links and special files included)."""
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        for d in dirs:
            if (Path(root) / d).is_symlink():
                out.append((rel_root / d).as_posix())
        for f in files:
            rel = (rel_root / f).as_posix()
            p = Path(root) / f
            if rel not in listed or p.is_symlink() or not p.is_file():
                out.append(rel)
        if len(out) > 5:
            break
    return out


def check_target(out: str | Path, force: bool = False) -> Path:
    """Check an output folder before anything is simulated; returns its absolute path.

    Raises:
        OutputError: naming the folder and ``--out`` (or ``--force``) and what is allowed.
    """
    if "\x00" in str(out):
        raise OutputError(str(out).replace("\x00", "\\0"), "--out", "a path may not contain a NUL character")
    out = Path(os.path.abspath(out))
    where = str(out)
    cwd = Path(os.path.abspath(os.getcwd()))
    if out == Path(out.anchor) or out == cwd or out in cwd.parents:
        raise OutputError(where, "--out", "is the current folder, one of its parents or the root; "
                          "choose a new sub-folder (e.g. results/run1)")
    if out.is_symlink():
        raise OutputError(where, "--out", "is a symbolic link; choose a real folder path")
    if out.exists():
        if not out.is_dir():
            raise OutputError(where, "--out", "exists and is not a folder; choose a folder path")
        try:
            empty = next(os.scandir(out), None) is None
        except OSError as exc:
            raise OutputError(where, "--out", f"cannot be read ({exc.strerror}); choose another folder") from None
        if not empty:
            listed = _manifest_files(out)
            if listed is None:
                raise OutputError(where, "--out", "folder is not empty and is not a dyadsim run (no dyadsim "
                                  "manifest.json); choose an empty or new folder (nothing was changed)")
            foreign = _foreign(out, listed)
            if foreign:
                raise OutputError(where, "--out", f"folder holds files dyadsim did not write ({', '.join(foreign[:5])}); "
                                  "choose another folder (nothing was changed)")
            if not force:
                raise OutputError(where, "--force", "the folder holds an earlier dyadsim run; add --force to replace "
                                  "it, or choose another folder (nothing was changed)")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(where, "--out", f"{parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(where, "--out", f"cannot write in {parent} (permission denied); choose another folder")
    return out


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def cleanup_partials(out: Path) -> list[Path]:
    """Remove temporary folders of ``out`` left by runs whose process is gone; returns them."""
    removed = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    for kind in ("partial", "old"):
        for p in parent.glob(f".{out.name}.{kind}-*"):
            parts = p.name[len(f".{out.name}.{kind}-"):].split("-")
            if not parts[0].isdigit() or p.is_symlink() or not p.is_dir() or _pid_alive(int(parts[0])):
                continue
            ours = (p / PARTIAL_FILE).is_file() if kind == "partial" else _manifest_files(p) is not None
            if ours:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def write_catalog(folder: Path) -> None:
    """``catalog.duckdb``: views over the Parquet files and the summary as a table.

    The views name their files relative to the working folder (DuckDB binds a view's files when it
    is created, so a view cannot name the run's final absolute path before the folder is moved
    into place): query ``catalog.duckdb`` from inside the run folder; from anywhere else use
    ``views.sql`` (:func:`write_views_sql`) or :func:`open_catalog`.
    """
    con = duckdb.connect(str(folder / "catalog.duckdb"))
    try:
        for t in TABLES:
            if (folder / f"{t}.parquet").is_file():
                con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{t}.parquet')")
        con.execute("CREATE OR REPLACE TABLE summary AS SELECT * FROM read_csv_auto('summary.csv')")
    finally:
        con.close()


def write_catalog_in(folder: Path) -> None:
    """:func:`write_catalog` run from inside ``folder`` (DuckDB resolves the views' relative
    paths against the working folder)."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        write_catalog(Path("."))
    finally:
        os.chdir(cwd)


def _sql_path(path: Path) -> str:
    return path.as_posix().replace("'", "''")


def views_sql(folder: Path, tables: list[str]) -> str:
    """SQL that creates a view per table (and ``summary``) with the files' absolute paths under ``folder``."""
    lines = [f"-- dyadsim run {folder}: views over its tables by absolute path.",
             f"-- in the DuckDB command line, from any folder: .read {folder / 'views.sql'}"]
    for t in tables:
        lines.append(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{_sql_path(folder / (t + '.parquet'))}');")
    lines.append(f"CREATE OR REPLACE VIEW summary AS SELECT * FROM read_csv_auto('{_sql_path(folder / 'summary.csv')}');")
    return "\n".join(lines) + "\n"


def write_views_sql(tmp: Path, out: Path) -> None:
    """``views.sql`` in ``tmp`` naming the files by where they will be once ``tmp`` becomes ``out``."""
    tables = [t for t in TABLES if (tmp / f"{t}.parquet").is_file()]
    (tmp / "views.sql").write_text(views_sql(out, tables), encoding="utf-8")


def open_catalog(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (in memory) with a view per table of the run in ``folder`` and the
    summary, the files named by absolute path when it is opened: works from any working folder
    and after the run folder was moved.

    Raises:
        InputError: ``folder`` holds no dyadsim run tables.
    """
    folder = Path(folder).resolve()
    tables = [t for t in TABLES if (folder / f"{t}.parquet").is_file()]
    if not tables or not (folder / "summary.csv").is_file():
        from dyadsim.core.errors import InputError

        raise InputError(str(folder), "(folder)", "not a dyadsim run folder (no outcomes.parquet or summary.csv)")
    con = duckdb.connect(":memory:")
    for stmt in views_sql(folder, tables).splitlines():
        if stmt and not stmt.startswith("--"):
            con.execute(stmt)
    return con


def write_csv(folder: Path) -> list[Path]:
    """CSV copies of the run's tables in ``folder/csv/`` (for R and Stata), streamed batch by batch
    so memory does not grow with the table; categories are written as their labels."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out_dir = folder / "csv"
    out_dir.mkdir(exist_ok=True)
    written = []
    for t in TABLES:
        src = folder / f"{t}.parquet"
        if not src.is_file():
            continue
        pf = pq.ParquetFile(src)
        path = out_dir / f"{t}.csv"
        schema = _plain_schema(pf.schema_arrow)
        with pacsv.CSVWriter(path, schema) as w:
            for batch in pf.iter_batches(batch_size=65_536):
                w.write_table(pa.Table.from_batches([batch]).cast(schema))
        written.append(path)
    return written


def _plain_schema(schema: Any) -> Any:
    """The schema with dictionary (category) columns as plain text, which CSV can hold."""
    import pyarrow as pa

    return pa.schema([pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema])


def write_atomic(out: str | Path, write: Callable[[Path], dict[str, Any] | None], manifest: dict[str, Any] | None = None,
                 *, force: bool = False) -> Path:
    """Write a results folder atomically.

    ``write(tmp)`` fills a temporary sibling folder and may return the manifest (else ``manifest``
    is used); the manifest is written last, listing every file with its sha256
    (:data:`FILE_HASHES`), and one rename puts the folder in place, replacing an earlier dyadsim folder only when ``force`` (see :func:`check_target`).

    Raises:
        OutputError: the folder may not be used, or writing failed (nothing was replaced).
    """
    out = check_target(out, force)
    tmp: Path | None = None
    try:
        cleanup_partials(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        (tmp / PARTIAL_FILE).write_text(str(os.getpid()), encoding="utf-8")
        got = write(tmp)
        if (tmp / "catalog.duckdb").is_file():
            write_views_sql(tmp, out)
        man = dict(got if got is not None else (manifest or {}))
        man.setdefault("package", MARKER)
        (tmp / PARTIAL_FILE).unlink()
        man["files"] = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        man[FILE_HASHES] = file_hashes(tmp, man["files"])
        # Hashed as it will read back (values that are not JSON are written as text), so a reader
        # of the file computes the same digest.
        doc = json.loads(json.dumps(man, default=str))
        doc[MANIFEST_HASH] = manifest_digest(doc)
        with open(tmp / "manifest.json", "w", encoding="utf-8") as fh:  # last file: marks completion
            json.dump(doc, fh, indent=2)
        check_target(out, force)  # the folder may have changed while the run was going on
        _replace(tmp, out)
        tmp = None
    except OSError as exc:
        raise OutputError(str(out), "--out", f"could not write the results ({exc.strerror or exc}); "
                          "nothing was replaced") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _replace(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``; an earlier ``out`` is moved aside first and removed after."""
    interrupt.check()  # a stop requested during the run must not end in a finished folder
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def finish_run(result: "RunResult", folder: Path, extras: Callable[[Path], Any] | None = None) -> None:
    """Add ``summary.csv``, the catalogue and ``extras(folder)`` (figures, report) to a folder that
    holds a run's Parquet tables."""
    result.summary.to_csv(folder / "summary.csv", index=False)
    write_catalog_in(folder)
    if extras is not None:
        extras(folder)


def write_run(result: "RunResult", out: str | Path, extras: Callable[[Path], Any] | None = None, *,
              force: bool = False) -> Path:
    """Write a run held in memory to ``out`` atomically; ``extras(tmp_folder)`` may add figures and
    the report. An earlier dyadsim run there is replaced only with ``force``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dyadsim.run.tidy import monthly_schema, monthly_table

    if result.outcomes is None or result.trajectories is None:
        raise ValueError("this run was streamed to a folder; its tables are already written there")

    def write(tmp: Path) -> None:
        assert result.outcomes is not None and result.trajectories is not None
        result.outcomes.to_parquet(tmp / "outcomes.parquet", index=False)
        result.aggregates.to_parquet(tmp / "aggregates.parquet", index=False)
        result.trajectories.to_parquet(tmp / "trajectories.parquet", index=False)
        monthly = pa.Table.from_pandas(monthly_table(result.outcomes), schema=monthly_schema(), preserve_index=False)
        pq.write_table(monthly, tmp / "monthly.parquet")
        finish_run(result, tmp, extras)

    return write_atomic(out, write, result.manifest, force=force)


def same_table(a: Path, b: Path, rows: int = 65_536) -> bool:
    """Whether two Parquet files hold the same table (schema, row order and every value; NaN equal
    to NaN), however their row groups fall, compared ``rows`` rows at a time so memory does not
    grow with the table."""
    import pyarrow.parquet as pq

    fa, fb = pq.ParquetFile(a), pq.ParquetFile(b)
    if not fa.schema_arrow.equals(fb.schema_arrow) or fa.metadata.num_rows != fb.metadata.num_rows:
        return False
    return all(x.equals(y) for x, y in zip(_windows(fa, rows), _windows(fb, rows)))


def _windows(pf: Any, rows: int) -> Iterator[Any]:
    """Consecutive tables of exactly ``rows`` rows (the last may be shorter) of a Parquet file."""
    import pyarrow as pa

    buf = None
    for batch in pf.iter_batches(batch_size=rows):
        t = pa.Table.from_batches([batch])
        buf = t if buf is None else pa.concat_tables([buf, t])
        while buf.num_rows >= rows:
            yield buf.slice(0, rows)
            buf = buf.slice(rows)
    if buf is not None and buf.num_rows:
        yield buf

"""What a run's ``manifest.json`` records so that ``dyadsim rerun`` can reproduce it bit for bit.

A manifest holds, besides the run's own facts (seeds, dyads, every parameter value): the command
(the ``dyadsim`` command line with the options given, or the Python call), the time (UTC, ISO 8601), the versions of dyadsim, Python and every library the results
depend on, the hash of the compiled engine's source (:data:`dyadsim.engine.cache.SOURCE_HASH`:
same hash, same compiled arithmetic), and each scenario in full: the validated scenario with its
final cohort, the scenario file's text when it came from a file, and the population file's text
when a custom one was used. A rerun rebuilds the inputs from those contents alone (the original
files may have changed or gone) and checks that they give the recorded parameters and
population before anything is simulated.
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from dyadsim.core.errors import InputError
from dyadsim.model.params import ParamSet
from dyadsim.model.population import PopulationSpec
from dyadsim.config.scenario import Scenario, parse_scenario, scenario_params, scenario_population
from dyadsim.core.yamlsafe import read_text

DEPENDENCIES = ("numpy", "numba", "llvmlite", "pandas", "pyarrow", "duckdb", "pydantic", "PyYAML", "scipy",
                "matplotlib", "click")
"""Distributions whose versions a manifest records (the engine, tables, validation, figures)."""
MAX_TEXT = 2_000_000
"""Largest scenario or population file text kept in a manifest (characters); the files are read
with the same limit by :mod:`dyadsim.core.yamlsafe`, so a file that loads is always recorded whole."""


def versions() -> dict[str, str | None]:
    """Installed version of dyadsim, Python and each of :data:`DEPENDENCIES` (None when absent)."""
    out: dict[str, str | None] = {"dyadsim": _version("dyadsim"), "python": platform.python_version()}
    for name in DEPENDENCIES:
        out[name] = _version(name)
    return out


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        if name == "dyadsim":
            from dyadsim.core.version import __version__

            return __version__
        return None


def provenance(command: str | None = None) -> dict[str, Any]:
    """The command (as given to dyadsim: a command line, or the Python call), the process's own
    ``argv``, UTC time, versions, engine source hash and platform."""
    from dyadsim.engine.cache import SOURCE_HASH

    argv = list(sys.argv)
    if argv:
        argv[0] = Path(argv[0]).name
    return {"command_line": command if command is not None else shlex.join(argv), "argv": argv,
            "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": versions(), "source_hash": SOURCE_HASH,
            "platform": f"{platform.system()} {platform.machine()}"}


def _text(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return text if len(text) <= MAX_TEXT else None


def scenario_record(scn: Scenario, path: str | Path | None = None) -> dict[str, Any]:
    """One scenario in full: the validated scenario (with its final cohort), the file it came
    from and that file's text, and the custom population file's text (None for the packaged one)."""
    rec: dict[str, Any] = {"scenario": scn.model_dump(mode="json"), "file": None, "text": None,
                           "population_file": scn.population.file, "population_text": None}
    base = None
    if path is not None:
        path = Path(path)
        rec["file"], rec["text"], base = str(path), _text(path), path.parent
    if scn.population.file:
        pop = Path(scn.population.file)
        if not pop.is_absolute() and base is not None:
            pop = base / pop
        rec["population_text"] = _text(pop)
    return rec


def restore(rec: Any, origin: str) -> tuple[Scenario, ParamSet, PopulationSpec]:
    """The (scenario, parameters, population) of a :func:`scenario_record`, rebuilt from its
    contents alone (a custom population file is written to a temporary folder and read back).

    Raises:
        InputError: the record is incomplete or no longer valid, naming ``origin`` and the field.
    """
    if not isinstance(rec, dict) or not isinstance(rec.get("scenario"), dict):
        raise InputError(origin, "scenarios", "each scenario record must hold the validated 'scenario'")
    data = dict(rec["scenario"])
    pop_text = rec.get("population_text")
    if data.get("population", {}).get("file") and not isinstance(pop_text, str):
        raise InputError(origin, "population_text", "the run used a custom population file whose contents were "
                         "not recorded; it cannot be reproduced from the manifest")
    with tempfile.TemporaryDirectory(prefix="dyadsim-rerun-") as tmp:
        if isinstance(pop_text, str) and data.get("population", {}).get("file"):
            pop = Path(tmp) / "population.yaml"
            pop.write_text(pop_text, encoding="utf-8")
            data["population"] = {**data["population"], "file": str(pop)}
        scn = parse_scenario(data, origin)
        params = scenario_params(scn, origin)
        spec = scenario_population(scn, origin)
    # The scenario as recorded (the population file's original name, not the temporary one).
    return Scenario.model_validate(rec["scenario"]), params, spec


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a dyadsim ``manifest.json`` (a file, or the folder holding one).

    Raises:
        InputError: naming the file and what is wrong with it.
    """
    from dyadsim.run.store import MANIFEST_HASH, MARKER, MAX_MANIFEST_BYTES, manifest_digest

    path = Path(path)
    if path.is_dir():
        path = path / "manifest.json"
    origin = str(path)
    # A small regular file only: a FIFO, a device or a symlink to one is refused without reading it.
    text = read_text(path, "manifest", limit=MAX_MANIFEST_BYTES, expect="DIR/manifest.json of a dyadsim run")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(origin, "(file)", f"the manifest is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("package") != MARKER:
        raise InputError(origin, "package", "not a dyadsim manifest (give DIR/manifest.json of a dyadsim run)")
    # A manifest of an older dyadsim has no hash and is read as it is.
    if MANIFEST_HASH in data and data[MANIFEST_HASH] != manifest_digest(data):
        raise InputError(origin, MANIFEST_HASH, "the manifest was edited or damaged after dyadsim wrote it (its "
                         "sha256 does not match); it cannot be trusted to rerun the run: use the run's original "
                         "manifest.json")
    if data.get("kind") not in ("run", "compare") or not isinstance(data.get("scenarios_full"), list):
        raise InputError(origin, "scenarios_full", "this manifest does not hold the full scenarios (written by an "
                         "older dyadsim); run its scenario files again instead")
    check_shape(data, origin)
    return data


def _is_hex64(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _is_relative(name: Any) -> bool:
    """A path inside the run folder, as dyadsim lists them (no absolute path, no '..')."""
    return (isinstance(name, str) and bool(name) and not name.startswith("/") and "\x00" not in name
            and ".." not in name.split("/"))


def check_shape(data: dict[str, Any], origin: str) -> None:
    """Refuse a manifest of a run or comparison whose fields a rerun uses have the wrong shape, so
    that no later step fails with a raw IndexError or KeyError.

    Raises:
        InputError: naming the manifest and the first field that is wrong, and what is allowed.
    """
    kind, recs = data["kind"], data["scenarios_full"]
    want = "exactly one scenario record" if kind == "run" else "2 to 20 scenario records"
    if (kind == "run" and len(recs) != 1) or (kind == "compare" and not 2 <= len(recs) <= 20):
        raise InputError(origin, "scenarios_full", f"a {kind} manifest holds {want}, got {len(recs)}")
    for i, rec in enumerate(recs):
        if not isinstance(rec, dict) or not isinstance(rec.get("scenario"), dict):
            raise InputError(origin, f"scenarios_full[{i}].scenario", "must be the validated scenario (a mapping)")
        for key in ("file", "text", "population_file", "population_text"):
            if rec.get(key) is not None and not isinstance(rec[key], str):
                raise InputError(origin, f"scenarios_full[{i}].{key}", "must be text or null")
    types: dict[str, tuple[type, ...]] = {"parameters": (dict,), "population": (dict,), "versions": (dict,),
                                          "source_hash": (str,), "parameter_draws": (dict,)}
    for key, allowed in types.items():
        if data.get(key) is not None and not isinstance(data[key], allowed):
            raise InputError(origin, key, f"must be a {allowed[0].__name__.replace('dict', 'mapping')} or absent")
    if kind == "compare":
        names = data.get("names")
        if not isinstance(names, list) or len(names) != len(recs) or not all(isinstance(n, str) for n in names):
            raise InputError(origin, "names", "must list one scenario name (text) per record of scenarios_full")
        params = data.get("parameters") or {}
        if not all(isinstance(params.get(n, {}), dict) for n in names):
            raise InputError(origin, "parameters", "must map each scenario name to its parameter values")
    files = data.get("files")
    if files is not None and (not isinstance(files, list) or not all(_is_relative(f) for f in files)):
        raise InputError(origin, "files", "must list the run folder's files as relative paths")
    hashes = data.get("file_sha256")
    if hashes is not None and (not isinstance(hashes, dict) or not all(_is_relative(k) and _is_hex64(v)
                                                                       for k, v in hashes.items())):
        raise InputError(origin, "file_sha256", "must map each file of the run folder (a relative path) to its "
                         "sha256 (64 hexadecimal digits)")


def check_restored(data: dict[str, Any], restored: list[tuple[Scenario, ParamSet, PopulationSpec]],
                   origin: str) -> None:
    """Refuse a rerun whose rebuilt inputs differ from the recorded parameters or population.

    Raises:
        InputError: naming the manifest, the scenario and the field that differs.
    """
    params = data.get("parameters")
    if data.get("kind") == "run":
        recorded = [(params, data.get("population"))]
    else:
        names = data.get("names") or []
        recorded = [((params or {}).get(n), None) for n in names]
    for (scn, ps, spec), (want_params, want_pop) in zip(restored, recorded):
        if want_params is not None and _as_json(ps.as_dict()) != want_params:
            raise InputError(origin, f"{scn.name}: parameters", "the recorded scenario no longer gives the recorded "
                             "parameter values (a different dyadsim version); it cannot be rerun exactly")
        if want_pop is not None and _as_json(spec.model_dump(mode="json")) != want_pop:
            raise InputError(origin, f"{scn.name}: population", "the recorded scenario no longer gives the recorded "
                             "population (a different dyadsim version); it cannot be rerun exactly")


def _as_json(value: Any) -> Any:
    """``value`` as it reads back from ``manifest.json`` (written with ``default=str``)."""
    return json.loads(json.dumps(value, default=str))


def run_fields(record: dict[str, Any], command: str | None = None) -> dict[str, Any]:
    """Fields added to the manifest of a single run (see the module doc)."""
    return {"kind": "run", **provenance(command), "scenarios_full": [record]}


def compare_fields(records: list[dict[str, Any]], command: str | None = None) -> dict[str, Any]:
    """Fields added to the manifest of a comparison: one full record per scenario, in order."""
    return {"kind": "compare", **provenance(command), "scenarios_full": records}


NOT_REPRODUCIBLE = {"views.sql": "it names the folder's absolute path",
                    "catalog.duckdb": "a DuckDB file is not byte for byte reproducible; its views read the "
                                      "Parquet tables, which are compared"}
"""Files a rerun writes that cannot equal the original byte for byte, and why; they are still
checked in the original folder (an edit there is reported), only not against the rerun."""


@dataclass
class FileCheck:
    """What :func:`check_original` and :func:`check_rerun` found, as lines to print.

    ``changed``: files of the original folder whose sha256 no longer matches the manifest (edited or
    damaged after the run was written); ``differ``: files the rerun wrote differently from the
    recorded ones; ``missing``: recorded files the rerun did not write; ``extra``: files the rerun
    wrote that the manifest does not list; ``gone``: recorded files no longer in the original
    folder (only the recorded hash is compared for them, which is not a difference).
    """

    recorded: bool = True
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    relaid: list[str] = field(default_factory=list)
    """Parquet tables equal row by row to the original's, but laid out differently in the file."""

    @property
    def ok(self) -> bool:
        """Whether nothing differs (a rerun exits with status 1 otherwise)."""
        return not (self.changed or self.differ or self.missing or self.extra)

    def lines(self, folder: Path, manifest: str) -> list[str]:
        """One line per file that differs, then one verdict line naming the original folder."""
        if not self.recorded:
            return [f"files were not checked: {manifest} records no file hashes (written by an older dyadsim); "
                    "only the outcome tables were compared"]
        out = [f"{f}: the original in {folder}/ was changed after the run was written (its sha256 no longer "
               "matches the manifest)" for f in self.changed]
        for f in self.differ:
            why = "; the original table is not there to compare row by row" if f in self.gone else ""
            out.append(f"{f}: DIFFERS from the original run's (sha256{why})")
        out += [f"{f}: written by the original run but not by the rerun" for f in self.missing]
        out += [f"{f}: written by the rerun but not by the original run" for f in self.extra]
        skipped = ", ".join(f"{f} ({why})" for f, why in NOT_REPRODUCIBLE.items())
        if self.ok:
            gone = f"; {len(self.gone)} no longer in {folder}/ were compared with their recorded sha256" if self.gone else ""
            relaid = (f"; {', '.join(self.relaid)}: the same tables row by row, laid out differently in the Parquet "
                      "file" if self.relaid else "")
            out.append(f"files identical to the original run in {folder}/ (sha256 of {self.checked} files{gone}{relaid}; "
                       f"not compared with the rerun: {skipped})")
        else:
            bad = sorted({*self.changed, *self.differ, *self.missing, *self.extra})
            out.append(f"files DIFFER from the original run in {folder}/: {', '.join(bad)}")
        return out


def check_original(data: dict[str, Any], folder: Path) -> FileCheck:
    """Compare each file of the original run's folder with the sha256 its manifest recorded; run
    before the rerun writes anything (the rerun may replace that very folder with ``--force``)."""
    from dyadsim.run.store import FILE_HASHES, sha256_file

    hashes = data.get(FILE_HASHES)
    if not isinstance(hashes, dict):
        return FileCheck(recorded=False)
    check = FileCheck()
    for name, want in hashes.items():
        path = folder / name
        if not os.path.lexists(path):
            check.gone.append(name)
        elif path.is_symlink() or not path.is_file() or sha256_file(path) != want:
            # dyadsim writes only regular files; a link or FIFO in their place is a change (and
            # is never read: a FIFO would block)
            check.changed.append(name)
    return check


def check_rerun(data: dict[str, Any], folder: Path, out: Path, check: FileCheck) -> FileCheck:
    """Add to ``check`` (from :func:`check_original`) the comparison of every file the rerun wrote
    in ``out`` with the sha256 the original manifest recorded (see :data:`NOT_REPRODUCIBLE`).

    A Parquet table whose bytes differ is compared row by row with the original in ``folder`` when
    that one is there unchanged: a run saved from Python writes its tables from memory in one
    piece, the command line streams them in batches, so the same table can be laid out differently.
    """
    from dyadsim.run.store import FILE_HASHES, same_table, sha256_file

    if not check.recorded:
        return check
    hashes: dict[str, str] = data[FILE_HASHES]
    written = set(read_manifest(out).get("files", []))
    for name, want in hashes.items():
        if name not in written:
            check.missing.append(name)
            continue
        if name in NOT_REPRODUCIBLE:
            continue
        check.checked += 1
        if sha256_file(out / name) == want:
            continue
        orig = folder / name
        if (name.endswith(".parquet") and name not in check.changed and orig.is_file()
                and same_table(orig, out / name)):
            check.relaid.append(name)
        else:
            check.differ.append(name)
    check.extra = sorted(written - set(hashes))
    return check

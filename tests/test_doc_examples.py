"""Every example in the README and docs/ runs: its shell commands (with small sizes), its Python
and its SQL, in a scratch folder beside a copy of the main job's output.

Examples are extracted from the fenced ``bash``, ``python`` and ``sql`` blocks, never listed by
hand, so a new example is tested the day it is written. Synopsis lines are made runnable the way a
reader would: ``[optional parts]`` are left out, placeholders (``SCENARIO.yaml``, ``DIR``, ...) become
example files and folders. Only sizes change (dyads, replicates, draws, trajectories): the commands,
options and code are the documents' own. Blocks that only show a synopsis are fenced ``text``.
"""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dyadsim.cli import main

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)

PLACEHOLDERS = {"SCENARIO.yaml": "examples/usual_care.yaml", "A.yaml": "examples/usual_care.yaml",
                "B.yaml": "examples/more_prenatal.yaml", "TRIAL.yaml": "examples/trial_perinatal_more.yaml"}
"""Files a synopsis names by role, and the example that plays it."""

SMALL = {"--dyads": "20", "--replicates": "2", "--parameter-draws": "3", "--reps": "10", "--evsi-n": "20",
         "--evsi-pool": "300"}
"""Sizes an example is run at here (the documents' own sizes take minutes)."""

CALIBRATE_SMALL = {"--dyads": "100", "--screen-dyads": "100", "--waves": "1", "--points": "8", "--steps": "50",
                   "--ensemble": "3", "--trajectories": "2"}
"""Sizes a documented calibration is run at here (screening two parameters where it screens)."""

SENSITIVITY_N = {"morris": "2", "sobol": "4"}
"""Smallest sizes SALib accepts: Morris trajectories, Sobol' base samples (a power of 2)."""


def blocks(lang: str) -> list[tuple[str, str]]:
    """``(id, text)`` of every fenced block of ``lang`` in the documents, in order; id is FILE:LINE."""
    found = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) == lang:
                found.append((f"{doc.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}", m.group(2)))
    return found


def commands(block: str) -> list[list[str]]:
    """The commands of a shell block: continuation lines joined, comments dropped, split as the shell does."""
    joined = block.replace("\\\n", " ")
    return [tokens for line in joined.splitlines() if (tokens := shlex.split(line, comments=True))]


def drop_optional(tokens: list[str]) -> list[str]:
    """Leave out ``[...]`` parts of a synopsis (they may span several words)."""
    kept, depth = [], 0
    for t in tokens:
        depth += t.count("[")
        if depth == 0:
            kept.append(t)
        depth -= t.count("]")
    return kept


def runnable(tokens: list[str], n: int) -> list[str]:
    """The arguments after ``dyadsim`` of a documented command, with placeholders filled and small sizes."""
    assert tokens[0] == ".venv/bin/dyadsim", f"a documented command should run dyadsim: {tokens}"
    args = [PLACEHOLDERS.get(t, t) for t in drop_optional(tokens[1:])]
    command = args[0]
    run_dir = "results/usual_care"  # written by the main job (the fixture)
    args = [a.replace("DIR", run_dir) if command in ("rerun", "summarize") else a for a in args]
    args = [f"results/doc_{n}" if a == "DIR" else a for a in args]
    if command == "sensitivity":
        small = {**SMALL, "--dyads": "10", "--n": SENSITIVITY_N[args[args.index("--method") + 1]]}
    elif command == "power":
        small = {**SMALL, "--n": "20:40:20"}
    elif command == "calibrate":
        small = CALIBRATE_SMALL
    else:
        small = SMALL
    for i, a in enumerate(args[:-1]):
        if a in small:
            args[i + 1] = small[a]
    if command == "calibrate":
        for opt, value in CALIBRATE_SMALL.items():
            if opt not in args:
                args += [opt, value]
        if "--parameters" not in args and "--screen" not in args:
            args += ["--screen", "pregnancy.preterm_hazard,moud.stop_hazard"]
    if command in ("run", "compare") and "--dyads" not in args:
        args += ["--dyads", SMALL["--dyads"]]
    if command in ("run", "compare") and "--replicates" not in args and "--parameter-draws" not in args:
        args += ["--replicates", SMALL["--replicates"]]
    if command == "power" and "point" not in args and "--parameter-draws" not in args:
        args += ["--parameter-draws", "2"]  # two posterior members, each with pools of its own
    if "--out" in args and command in ("run", "compare", "sensitivity", "trial", "power", "example", "graph") \
            and "--force" not in args and command != "graph":
        args.append("--force")
    if command in ("sensitivity", "power", "run", "compare", "calibrate") and "--no-progress" not in args:
        args.append("--no-progress")
    return args


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder with the examples and the main job's output (its commands, small sizes)."""
    where = tmp_path_factory.mktemp("docs")
    (where / "examples").symlink_to(ROOT / "examples")
    main_job = [shlex.split(line) for line in (ROOT / "scripts" / "main.sh").read_text(encoding="utf-8").splitlines()
                if line.startswith(".venv/bin/dyadsim ")]
    assert len(main_job) == 2, "the main job runs usual care, then the comparison"
    for tokens in main_job:
        args = [a for a in tokens[1:] if a != "$@"] + ["--dyads", "20", "--replicates", "2", "--no-progress"]
        done = _invoke(where, args)
        assert done.exit_code == 0, (args, done.output)
    return where


def _invoke(where: Path, args: list[str]) -> Result:
    import os

    here = os.getcwd()
    os.chdir(where)
    try:
        return CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(here)


def test_the_readme_set_up_commands_exist() -> None:
    first = commands(blocks("bash")[0][1])
    assert [t[:2] for t in first] == [["bash", "scripts/main.sh"], ["bash", "scripts/test.sh"]]
    assert all((ROOT / t[1]).is_file() for t in first)


@pytest.mark.parametrize("where, block", blocks("bash")[1:], ids=[b[0] for b in blocks("bash")[1:]])
def test_shell_examples_run(workspace: Path, where: str, block: str) -> None:
    for n, tokens in enumerate(commands(block)):
        args = runnable(tokens, n)
        done = _invoke(workspace, args)
        assert done.exit_code == 0, f"{where}: dyadsim {' '.join(args)}\n{done.output}"


def _small_python(code: str) -> str:
    return re.sub(r"\bdyads=\d+", "dyads=20", code)


@pytest.mark.parametrize("where, code", blocks("python"), ids=[b[0] for b in blocks("python")])
def test_python_examples_run(workspace: Path, where: str, code: str) -> None:
    script = workspace / "doc_example.py"
    script.write_text(_small_python(code), encoding="utf-8")
    # A script of its own: Dask's worker processes import it again, as a reader's would.
    done = subprocess.run([sys.executable, script.name], cwd=workspace, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{where}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


@pytest.mark.parametrize("where, sql", blocks("sql"), ids=[b[0] for b in blocks("sql")])
def test_sql_examples_run(workspace: Path, where: str, sql: str) -> None:
    import os

    import duckdb

    here = os.getcwd()
    os.chdir(workspace)
    try:
        con = duckdb.connect()
        rows = None
        for line in sql.splitlines():
            line = line.split("--")[0].strip()
            if line.startswith(".read "):  # the DuckDB shell's command: run the file's statements
                con.execute(Path(line.split(None, 1)[1]).read_text(encoding="utf-8"))
            elif line:
                rows = con.execute(line).fetchall()
        assert rows, f"{where}: the example's query returned nothing"
    finally:
        os.chdir(here)

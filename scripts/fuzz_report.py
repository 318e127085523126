"""Fuzz report: a fresh, seeded corpus of hostile inputs run through dyadsim, with the counts.

Usage: .venv/bin/python scripts/fuzz_report.py [--seed 2027] [--cases 1500] [--exe 60] [--kills 8]

Generates malformed scenario files (wrong types, NaN/inf, out-of-range values for every
constrained field found in the scenario models, unknown keys, population overrides and files,
parameters, links, YAML-level attacks), runs each through the command line's code in process and
a sample through the real executable, adds malformed command lines, output-folder traps and
interrupted runs, and prints: crashes, hangs, tracebacks, writes outside --out, foreign files
deleted, and the share of must-refuse inputs refused with an error naming the expected field.
This generator is independent of the test suite's fuzzers and corpus.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from dyadsim.cli import main
from dyadsim.model.graph import EDGE_IDS
from dyadsim.model.population import REQUIRED
from dyadsim.core.registry import PARAMS
from dyadsim.config.scenario import SHADOWED, Scenario

ROOT = Path(__file__).resolve().parent.parent
EXE = ROOT / ".venv" / "bin" / "dyadsim"
VALID = yaml.safe_load((ROOT / "examples" / "more_with_supports.yaml").read_text())
SMALL = ["--dyads", "3", "--replicates", "1", "--no-progress"]
Case = tuple[str, bytes, str, bytes | None]  # (label, scenario file, expected field prefix, pop.yaml or None)
POPULATION = yaml.safe_load((ROOT / "src" / "dyadsim" / "data" / "population.yaml").read_text())


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any, list[Any]]]:
    """(dotted path, annotation, constraints metadata) of every field of the scenario models."""
    out = []
    for name, f in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = f.annotation
        inner = [a for a in typing.get_args(ann) if a is not type(None)] or [ann]
        sub = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None:
            out.append((path, sub, []))
            out.extend(_leaves(sub, path + "."))
        else:
            out.append((path, ann, list(f.metadata)))
    return out


LEAVES = _leaves(Scenario)


def _bad_values(ann: Any, meta: list[Any], rng: random.Random) -> list[Any]:
    """Values that a field with this annotation and constraints must refuse."""
    args = set(typing.get_args(ann)) | {ann}
    lo = next((getattr(m, "ge", None) for m in meta if getattr(m, "ge", None) is not None), None)
    hi = next((getattr(m, "le", None) for m in meta if getattr(m, "le", None) is not None), None)
    lt = next((getattr(m, "lt", None) for m in meta if getattr(m, "lt", None) is not None), None)
    vals: list[Any] = []
    if int in args or float in args:
        vals += [str(rng.randint(1, 50)), "abc", [1], {"x": 1}]
        if bool not in args:
            vals += [rng.choice([True, False])]
        if float in args:
            vals += [math.nan, math.inf, -math.inf]
        else:
            vals += [2.5, math.nan, 1e300]
        if lo is not None:
            vals.append(lo - rng.choice([1, 7, 1000]))
        if hi is not None:
            vals.append(hi + rng.choice([1, 13, 10**6]))
        if lt is not None:
            vals.append(lt + rng.randint(0, 10))
    elif bool in args:
        vals += [2, "yes", "true", 1.0, [True]]
    elif str(ann).startswith("typing.Literal") or "Literal" in str(ann):
        vals += ["bogus", 1, True, ["nicu"], ""]
    elif str in args or ann is str:
        vals += [123, True, ["a"], {"a": 1}]
    elif "list" in str(ann):
        vals += ["mindfulness", [1], ["nonsense"], {"a": 1}]
    return vals


def _dump(d: Any) -> bytes:
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False).encode()


def _set(d: dict[str, Any], path: list[str], value: Any) -> None:
    for k in path[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = {}
        d = d[k]
    d[path[-1]] = value


def scenario_cases(rng: random.Random, n: int) -> list[Case]:
    """Malformed scenario files, each with the field an error must name."""
    cases: list[Case] = []
    kinds = ["field", "field", "field", "unknown", "override", "override", "parameter", "link", "yaml", "popfile",
             "popcontent"]
    while len(cases) < n:
        kind = rng.choice(kinds)
        scn = json.loads(json.dumps(VALID))
        if kind == "field":
            path, ann, meta = rng.choice([x for x in LEAVES if not (isinstance(x[1], type) and issubclass(x[1], BaseModel))])
            bad = _bad_values(ann, meta, rng)
            if not bad or path in ("population.overrides", "parameters", "links"):
                continue
            _set(scn, path.split("."), rng.choice(bad))
            cases.append((f"field {path}", _dump(scn), path, None))
        elif kind == "unknown":
            subs = ["", *[p + "." for p, a, _ in LEAVES if isinstance(a, type) and issubclass(a, BaseModel)]]
            where = rng.choice(subs)
            key = rng.choice(["colour", "Name", "dyads ", "seeds", "__class__"])
            _set(scn, (where + key).split("."), rng.choice([1, "x", None, {"a": 1}]))
            cases.append((f"unknown {where}{key}", _dump(scn), (where + key).rstrip("."), None))
        elif kind == "override":
            cov = rng.choice(list(REQUIRED))
            fld, val = rng.choice([("p", math.nan), ("p", 2.0), ("p", -0.1), ("p", "0.3"), ("min", math.nan),
                                   ("max", math.inf), ("min", -1e9), ("max", 1e9), ("sd", -1.0), ("sd", math.inf),
                                   ("mean", math.nan), ("dist", "poisson"), ("round", "yes"), ("probs", {9: 1.0}),
                                   ("probs", {0: 0.5}), ("source", ""), ("nonsense", 1)])
            _set(scn, ["population", "overrides", cov, fld], val)
            cases.append((f"override {cov}.{fld}={val!r}", _dump(scn), f"population.overrides.{cov}", None))
        elif kind == "parameter":
            name = rng.choice(sorted(PARAMS))
            p = PARAMS[name]
            if name in SHADOWED:
                val: Any = p.default
            else:
                val = rng.choice([p.high + (p.high - p.low) + 1.0, p.low - (p.high - p.low) - 1.0, math.nan, math.inf,
                                  str(p.default), None, [p.default]])
            if rng.random() < 0.15:
                name = rng.choice(["no_such.param", "use_cycle", "links.craving_use.strength"])
            _set(scn, ["parameters", name], val)
            cases.append((f"parameter {name}={val!r}", _dump(scn), f"parameters.{name}", None))
        elif kind == "link":
            edge = rng.choice(list(EDGE_IDS) + ["no_such_edge", "Craving_Use"])
            body = rng.choice([{}, {"strength": math.nan}, {"strength": -1.0}, {"strength": 1e9}, {"enabled": "no"},
                               {"enabled": 1}, {"weight": 1.0}, None, 3])
            if edge in EDGE_IDS and body in ({"strength": -1.0},):
                body = {"strength": -5.0}
            _set(scn, ["links", edge], body)
            cases.append((f"link {edge}={body!r}", _dump(scn), f"links.{edge}", None))
        elif kind == "yaml":
            cases.append((*_yaml_case(rng, scn), None))
        elif kind == "popcontent":
            pop = copy.deepcopy(POPULATION)
            cov = rng.choice(list(REQUIRED))
            if rng.random() < 0.15:
                pop["covariates"].pop(cov)
                label, field = f"population file without {cov}", "population"
            else:
                fld, val = rng.choice([("p", math.nan), ("p", 1.5), ("min", -math.inf), ("max", 1e12), ("sd", "1"),
                                       ("mean", True), ("dist", "beta"), ("probs", {"0": 1.0}), ("extra", 0)])
                pop["covariates"][cov][fld] = val
                label, field = f"population file {cov}.{fld}={val!r}", f"population.covariates.{cov}"
            _set(scn, ["population", "file"], "pop.yaml")
            cases.append((label, _dump(scn), field, _dump(pop)))
        else:
            target = rng.choice(["/dev/zero", "/dev/null", "/etc/passwd", "/etc", "/proc/self/status", "missing.yaml",
                                 "/etc/shadow-nonexistent"])
            _set(scn, ["population", "file"], target)
            cases.append((f"population.file {target}", _dump(scn), "population.file", None))
    return cases


def _yaml_case(rng: random.Random, scn: dict[str, Any]) -> Case:
    text = _dump(scn).decode()
    kind = rng.choice(["dup", "bomb", "deep", "binary", "latin1", "truncate", "tag", "tab", "anchor_cycle"])
    if kind == "dup":
        key = rng.choice(["name", "cohort"])
        return ("yaml duplicate", (text + f"{key}: {'{}' if key == 'cohort' else 'again'}\n").encode(), "(file)")
    if kind == "bomb":
        width, depth = rng.randint(6, 12), rng.randint(6, 9)
        lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
        for i in range(1, depth):
            lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
        field = rng.choice(["description", "name", "cohort: {dyads", "parameters: {x"])
        body = "\n".join("  " + ln for ln in lines)
        if "{" in field:
            return ("yaml bomb", f"name: x\nanchors:\n{body}\n{field}: *l{depth - 1}}}\n".encode(), "(file)")
        return ("yaml bomb", f"anchors:\n{body}\n{field}: *l{depth - 1}\n".encode(), "(file)")
    if kind == "deep":
        d = rng.randint(40, 20000)
        return ("yaml deep", ("name: x\ndescription: " + "[" * d + "]" * d + "\n").encode(), "(file)")
    if kind == "binary":
        return ("yaml binary", bytes(rng.randrange(256) for _ in range(rng.randint(10, 4000))), "(file)")
    if kind == "latin1":
        return ("yaml latin1", text.replace("usual", "usu\u00e9l").encode("latin-1", "replace") + b"\xe9\xff\n", "(file)")
    if kind == "truncate":  # a one-line flow mapping cut before its closing brace: never valid YAML
        flow = yaml.safe_dump(scn, default_flow_style=True, width=10**9).strip()
        return ("yaml truncated", flow[:rng.randint(1, len(flow) - 1)].encode(), "(file)")
    if kind == "tag":
        tag = rng.choice(["!!python/object/apply:os.system ['touch pwned']", "!!python/name:os.system", "!!binary AAAA",
                          "!!set {a, b}", "!!timestamp 2001-12-14"])
        return ("yaml tag", f"name: {tag}\n".encode(), "(file)" if "python" in tag else "name")
    if kind == "tab":
        return ("yaml tab", b"name: x\ncohort:\n\tdyads: 5\n", "(file)")
    return ("yaml anchor cycle", b"name: x\ndescription: &a [*a]\n", "(file)")


def run_in_process(cases: list[Case], work: Path) -> Counter:
    """Each case through the command line's code (CliRunner)."""
    c: Counter = Counter()
    for i, (label, content, field, pop) in enumerate(cases):
        d = work / f"c{i}"
        d.mkdir()
        f = d / "s.yaml"
        f.write_bytes(content)
        if pop is not None:
            (d / "pop.yaml").write_bytes(pop)
        t0 = time.perf_counter()
        res = CliRunner().invoke(main, ["run", str(f), "--out", str(d / "o"), *SMALL])
        dt = time.perf_counter() - t0
        c["cases"] += 1
        if dt > 30:
            c["hangs"] += 1
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            c["tracebacks"] += 1
            print(f"TRACEBACK {label}: {res.exception!r}")
        extra = ({p.name for p in d.iterdir()} - {"pop.yaml"}) != {"s.yaml"} | ({"o"} if res.exit_code == 0 else set())
        if extra or list(work.parent.glob("pwned")) or Path("pwned").exists():
            c["writes_outside_out"] += 1
            print(f"WRITE {label}: {sorted(p.name for p in d.iterdir())}")
        named_file = str(f) in res.output or (pop is not None and str(d / "pop.yaml") in res.output)
        if res.exit_code == 2 and f"field '{field}" in res.output and named_file:
            c["refused_by_field"] += 1
        elif res.exit_code == 2:
            c["refused_other_field"] += 1
            print(f"OTHER FIELD {label} (expected {field}): {res.output.strip()[-200:]}")
        else:
            c["accepted"] += 1
            print(f"ACCEPTED {label}: exit {res.exit_code} {res.output.strip()[-150:]}")
        shutil.rmtree(d, ignore_errors=True)
    return c


def run_executable(cases: list[Case], work: Path) -> Counter:
    """A sample of the cases through the real executable (crash = killed by a signal)."""
    c: Counter = Counter()
    for i, (label, content, field, pop) in enumerate(cases):
        d = work / f"e{i}"
        d.mkdir()
        (d / "s.yaml").write_bytes(content)
        if pop is not None:
            (d / "pop.yaml").write_bytes(pop)
        c["cases"] += 1
        try:
            p = subprocess.run([str(EXE), "run", "s.yaml", "--out", "o", *SMALL], cwd=d, capture_output=True,
                               text=True, timeout=120, errors="replace")
        except subprocess.TimeoutExpired:
            c["hangs"] += 1
            continue
        if p.returncode < 0 or p.returncode > 2:
            c["crashes"] += 1
            print(f"CRASH {label}: {p.returncode} {p.stderr[-300:]}")
        if "Traceback" in p.stderr:
            c["tracebacks"] += 1
            print(f"TRACEBACK {label}: {p.stderr[-300:]}")
        if p.returncode == 2 and f"field '{field}" in p.stderr:
            c["refused_by_field"] += 1
        shutil.rmtree(d, ignore_errors=True)
    return c


def command_line_cases(rng: random.Random, n: int, work: Path) -> Counter:
    """Malformed command lines (in process), run from an empty folder."""
    scn = work / "ok.yaml"
    scn.write_text("name: ok\ncohort: {dyads: 3, replicates: 1}\noutput: {trajectory_sample: 1}\n")
    tokens = ["--out", "--dyads", "--seed", "--replicates", "--force", "--progress", "--no-progress", "--json",
              "--scenario", "--intervention", "-h", "--bogus", "-1", "0", "1.5", "1e3", "nan", "inf", "", " ",
              str(2**64), str(2**63 - 1), "10000001", "1001", "abc", str(scn), "/dev/zero", "/etc/passwd", "/",
              ".", "..", "o", "o/../..", "g.svg", "g.txt", "more", "x" * 5000]
    c: Counter = Counter()
    for i in range(n):
        d = work / f"cl{i}"
        d.mkdir()
        argv = [rng.choice(["run", "compare", "graph", "params", "nosuch", "--version"])]
        argv += [rng.choice(tokens) for _ in range(rng.randint(0, 7))]
        if argv[0] in ("run", "compare"):
            argv += ["--dyads", "3", "--replicates", "1", "--no-progress"] if rng.random() < 0.5 else []
        cwd = os.getcwd()
        os.chdir(d)
        try:
            res = CliRunner().invoke(main, argv)
        finally:
            os.chdir(cwd)
        c["cases"] += 1
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            c["tracebacks"] += 1
            print(f"TRACEBACK argv {argv!r}: {res.exception!r}")
        if res.exit_code not in (0, 1, 2):
            c["bad_exit"] += 1
        shutil.rmtree(d, ignore_errors=True)
    return c


def output_traps(work: Path) -> Counter:
    """Folders --out must never replace or write around; counts foreign files deleted or changed."""
    c: Counter = Counter()
    ok = ROOT / "examples" / "usual_care.yaml"
    for i, (setup, force) in enumerate([("extension", False), ("extension", True), ("notes", True), ("notes", False),
                                        ("file", True), ("symlink", True), ("nested_file", False), ("empty", False),
                                        ("fake_manifest", True), ("run_with_subdir_file", True), ("cwd", True)]):
        d = work / f"t{i}"
        d.mkdir()
        out = d / "out"
        mine: list[Path] = []
        if setup == "extension":
            out.mkdir()
            mine += [out / "manifest.json", out / "content.js"]
        elif setup in ("notes", "run_with_subdir_file"):
            CliRunner().invoke(main, ["run", str(ok), "--out", str(out), *SMALL])
            mine.append(out / ("notes.txt" if setup == "notes" else "figures/mine.png"))
        elif setup == "file":
            mine.append(out)
        elif setup == "symlink":
            (d / "real").mkdir()
            mine.append(d / "real" / "keep.txt")
            out.symlink_to(d / "real")
        elif setup == "nested_file":
            mine.append(d / "f")
            out = d / "f" / "out"
        elif setup == "empty":
            out.mkdir()
        elif setup == "cwd":
            mine.append(d / "keep.txt")
            out = d
        else:
            out.mkdir()
            (out / "manifest.json").write_text('{"package": "dyadsim", "files": []}')
            mine.append(out / "thesis.docx")
        for p in mine:
            if not p.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(f"user data {p.name}")
        before = {p: p.read_bytes() for p in mine}
        cwd = os.getcwd()
        os.chdir(d)
        try:
            res = CliRunner().invoke(main, ["run", str(ok), "--out", str(out), *SMALL, *(["--force"] if force else [])])
        finally:
            os.chdir(cwd)
        c["cases"] += 1
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            c["tracebacks"] += 1
        for p, data in before.items():
            if not p.exists() or p.read_bytes() != data:
                c["foreign_files_deleted"] += 1
                print(f"DELETED {setup}: {p}")
        print(f"  out trap {setup:22s} {'written' if res.exit_code == 0 else 'refused'}: {res.output.strip()[-110:]}")
    return c


def interrupted_runs(rng: random.Random, n: int, work: Path) -> Counter:
    """Runs killed at random moments (SIGINT, SIGTERM, SIGKILL): never a complete-looking folder
    that is not complete, and no partial folder left after the next run."""
    c: Counter = Counter()
    ok = ROOT / "examples" / "usual_care.yaml"
    for i in range(n):
        d = work / f"k{i}"
        d.mkdir()
        sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
        p = subprocess.Popen([str(EXE), "run", str(ok), "--out", "o", "--dyads", "20000", "--replicates", "2",
                              "--no-progress"], cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(1.0, 12.0))
        p.send_signal(sig)
        _, err = p.communicate(timeout=300)
        c["cases"] += 1
        if "Traceback" in err:
            c["tracebacks"] += 1
            print(f"TRACEBACK after {sig!r}: {err[-600:]}")
        man = d / "o" / "manifest.json"
        if (d / "o").exists() and not man.exists():
            c["incomplete_looks_complete"] += 1
        left = [x for x in d.iterdir() if ".partial-" in x.name or ".old-" in x.name]
        if left:
            c["partial_left_after_kill"] += 1
        nxt = subprocess.run([str(EXE), "run", str(ok), "--out", "o", "--force", *SMALL], cwd=d, capture_output=True,
                             timeout=300, text=True)
        if [x for x in d.iterdir() if ".partial-" in x.name or ".old-" in x.name]:
            c["partial_left_after_next_run"] += 1
        if nxt.returncode != 0:
            c["next_run_failed"] += 1
            print(f"NEXT RUN FAILED after {sig!r}: {nxt.stderr[-200:]}")
        shutil.rmtree(d, ignore_errors=True)
    return c


def main_report() -> None:
    """Generate the corpus, run it, print the counts."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--cases", type=int, default=1500)
    ap.add_argument("--exe", type=int, default=60)
    ap.add_argument("--cli", type=int, default=300)
    ap.add_argument("--kills", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = Path(tempfile.mkdtemp(prefix="dyadsim-fuzz-"))
    try:
        cases = scenario_cases(rng, a.cases)
        t0 = time.perf_counter()
        res = {"scenario files (in process)": run_in_process(cases, work),
               "scenario files (executable)": run_executable(rng.sample(cases, min(a.exe, len(cases))), work),
               "command lines": command_line_cases(rng, a.cli, work),
               "output folders": output_traps(work),
               "interrupted runs": interrupted_runs(rng, a.kills, work)}
        print(f"\nfuzz report (seed {a.seed}, {time.perf_counter() - t0:.0f} s)")
        for k, v in res.items():
            print(f"  {k:30s} " + ", ".join(f"{n}={v[n]}" for n in sorted(v)))
        s = res["scenario files (in process)"]
        print(f"\nmust-refuse inputs refused by field name: {s['refused_by_field']}/{s['cases']} "
              f"({100.0 * s['refused_by_field'] / max(s['cases'], 1):.1f}%)")
        total = Counter()
        for v in res.values():
            total.update(v)
        print("crashes={crashes} hangs={hangs} tracebacks={tracebacks} writes_outside_out={writes_outside_out} "
              "foreign_files_deleted={foreign_files_deleted}".format(**{k: total[k] for k in (
                  "crashes", "hangs", "tracebacks", "writes_outside_out", "foreign_files_deleted")}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main_report())

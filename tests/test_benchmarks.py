"""The benchmark scripts run: each is a program users rerun to check speed claims, so a moved
module must not break them. Nothing here times anything (speeds are printed by the scripts)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import dyadsim

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_import_in_scripts_and_benchmarks_exists() -> None:
    """``from dyadsim import X`` (also inside generated source held in strings) names a public name."""
    bad = []
    for f in sorted((ROOT / "benchmarks").glob("*.py")) + sorted((ROOT / "scripts").glob("*.py")):
        for names in re.findall(r"from dyadsim import ([A-Za-z_][\w, ]*)", f.read_text(encoding="utf-8")):
            for name in (n.strip().split(" as ")[0] for n in names.split(",")):
                if name and name not in dyadsim.__all__:
                    bad.append(f"{f.name}: from dyadsim import {name}")
    assert not bad, bad


def test_engine_benchmark_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    assert set(fields) == {"dyad_days_per_s", "fast_dyad_days_per_s", "ratio_vs_roofline", "ratio_vs_numpy", "peak_mb"}
    assert all(float(v) > 0 for v in fields.values()), fields


def test_small_runs_benchmark_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "small_runs.py"), "--dyads", "200", "--evals", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    assert set(fields) == {"evals_per_s_2000x12", "overhead_share"}
    assert float(fields["evals_per_s_2000x12"]) > 0 and 0 <= float(fields["overhead_share"]) <= 1, fields


def test_cluster_power_benchmark_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "power.py"), "--cluster", "--reps", "10",
                           "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    assert set(fields) == {"cluster_20x10_s"} and float(fields["cluster_20x10_s"]) > 0, fields


def test_economics_benchmark_runs_and_reports() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "economics.py"), "--dyads", "200", "--rounds", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    fields = dict(kv.split("=") for kv in line.split()[1:])
    assert set(fields) == {"overhead_ratio"} and float(fields["overhead_ratio"]) > 0, fields

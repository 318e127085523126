"""Up-front estimates of what a many-run request costs, so an impossible one is refused before
anything runs, with the number of runs and the time and memory it would need.

The speeds are the measured ones (``benchmarks/engine.py`` and ``benchmarks/many_runs.py`` on a
2-core machine): the exact lane engine advances about 10 million dyad-days per second, and every
run (one parameter set on one seed) costs some 3 ms more to set up, reduce and store. An estimate
is a lower bound of the right order, not a promise: slower machines, more outcomes or a busy
cluster take longer.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from dyadsim.core.errors import InputError

DYAD_DAYS_PER_SECOND = 1.0e7
"""Exact lane engine on 2 cores (DESIGN.md, 'Lane engine as landed': 10.3 M dyad-days/s)."""
SECONDS_PER_RUN = 0.003
"""Set-up, reduction and storage of one run beside the engine (measured: 128 extra 20-dyad runs of
a Morris sweep took about 0.5 s more)."""
PRENATAL_DAYS = 140.0
"""Mean days followed before birth (enrolment at a mean gestational age near 20 weeks)."""
BYTES_PER_EVALUATION = 64
"""One (set, seed, statistic) row of the evaluations table in memory (pandas, five columns)."""
MAX_SECONDS = 365 * 86400.0
"""Longest estimated compute time accepted (a year): longer is not a request anyone can wait for."""


@dataclass(frozen=True)
class Budget:
    """What a sweep needs: ``runs`` (sets x seeds), ``dyad_days``, ``seconds`` and ``bytes``."""

    sets: int
    runs: int
    dyad_days: float
    seconds: float
    bytes: float

    def describe(self) -> str:
        """``80 parameter sets x 2 seeds = 160 runs, about 2 s and 12 MB``."""
        return (f"{self.sets:,} parameter sets = {self.runs:,} runs, {self.dyad_days:.3g} dyad-days: "
                f"about {human_seconds(self.seconds)} and {human_bytes(self.bytes)} of memory")


def human_seconds(s: float) -> str:
    """Seconds as the largest sensible unit (``3.2 h``, ``41 days``, ``2.1e+05 years``)."""
    for unit, size in (("years", 365 * 86400.0), ("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.2g} s"


def human_bytes(b: float) -> str:
    """Bytes as kB, MB, GB, TB or a power of ten beyond."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= size:
            return f"{b / size:.3g} {unit}"
    return f"{b:.0f} B"


def physical_memory() -> float | None:
    """Bytes of memory on this machine (None where the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE")) * float(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def sweep_budget(sets: int, inputs: int, seeds: int, dyads: int, horizon_months: int, statistics: int) -> Budget:
    """The cost of ``sets`` parameter sets of ``inputs`` values, each run on ``seeds`` seeds of
    ``dyads`` dyads followed ``horizon_months`` after birth, reduced to ``statistics`` numbers.

    Memory: the design (values and unit-cube points, two float64 arrays of sets x inputs, plus the
    sampler's working copy) and the evaluations table; the runs themselves stream to disk.
    """
    runs = sets * seeds
    dyad_days = float(runs) * dyads * (PRENATAL_DAYS + horizon_months * 30.44)
    seconds = dyad_days / DYAD_DAYS_PER_SECOND + runs * SECONDS_PER_RUN
    memory = 3.0 * 8.0 * float(sets) * inputs + float(runs) * statistics * BYTES_PER_EVALUATION
    return Budget(sets, runs, dyad_days, seconds, memory)


def check_budget(budget: Budget, option: str = "--n") -> None:
    """Refuse a request that cannot finish: more memory than this machine has, or more than a year.

    Raises:
        InputError: naming ``option``, with the runs, time and memory the request needs.
    """
    mem = physical_memory()
    if mem is not None and budget.bytes > mem:
        raise InputError("command line", option, f"asks for {budget.describe()}, more than this machine's "
                         f"{human_bytes(mem)}; ask for fewer parameter sets")
    if budget.seconds > MAX_SECONDS:
        raise InputError("command line", option, f"asks for {budget.describe()}, more than a year of computing; "
                         "ask for fewer parameter sets, seeds or dyads")

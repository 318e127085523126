"""Tidy (long) views of a run's outcomes: the monthly table and subgroup summaries.

``monthly.parquet`` holds every monthly column of the outcomes table (names ending ``_mMM``) in
long form, one row per dyad, replicate, postpartum month and variable, with the same values as
the outcomes table (float32 sums and means widened exactly to float64). It is built chunk by chunk
from the outcomes table as the run goes (:func:`monthly_parts`), so memory does not grow with the
cohort. Subgroup summaries (:func:`summarize_by`) read ``outcomes.parquet`` in batches the same way.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dyadsim.core.errors import InputError
from dyadsim.run.summary import SUMMARY
from dyadsim.run.streaming import summary_from_replicates
from dyadsim.run.streaming import Moments

MONTHLY_COLUMN = re.compile(r"^(?P<variable>.+)_m(?P<month>\d\d)$")
"""A monthly column of the outcomes table: ``<variable>_mMM`` (postpartum month MM, from 01)."""
PART_ROWS = 4096
"""Dyads per piece of the monthly table written at a time (bounds the long table held in memory:
about 360 rows per dyad with 12 months)."""
MAX_GROUPS = 50
"""Most distinct values a ``--by`` column may have (a subgroup summary, not a table per dyad)."""


def monthly_schema() -> pa.Schema:
    """Arrow schema of ``monthly.parquet``."""
    return pa.schema([("dyad_id", pa.int64()), ("replicate", pa.int64()), ("month", pa.int16()),
                      ("variable", pa.dictionary(pa.int32(), pa.string())), ("value", pa.float64())])


def monthly_columns(columns: list[str]) -> list[tuple[str, int, str]]:
    """(column, month, variable) of every monthly column, ordered by month, then variable."""
    found = []
    for c in columns:
        m = MONTHLY_COLUMN.match(c)
        if m:
            found.append((c, int(m["month"]), m["variable"]))
    return sorted(found, key=lambda t: (t[1], t[2]))


def monthly_parts(outcomes: pd.DataFrame, rows: int = PART_ROWS) -> Iterator[pd.DataFrame]:
    """The long monthly table of ``outcomes`` in pieces of ``rows`` dyads (rows of each dyad ordered
    by month, then variable)."""
    cols = monthly_columns(list(outcomes.columns))
    if not cols:
        return
    names = [c for c, _, _ in cols]
    month = np.array([m for _, m, _ in cols], dtype=np.int16)
    variables = sorted({v for _, _, v in cols})
    codes = np.array([variables.index(v) for _, _, v in cols], dtype=np.int32)
    k = len(cols)
    for lo in range(0, len(outcomes), rows):
        part = outcomes.iloc[lo:lo + rows]
        n = len(part)
        values = part[names].to_numpy(dtype=np.float64).reshape(-1)
        yield pd.DataFrame({"dyad_id": np.repeat(part["dyad_id"].to_numpy(np.int64), k),
                            "replicate": np.repeat(part["replicate"].to_numpy(np.int64), k),
                            "month": np.tile(month, n),
                            "variable": pd.Categorical.from_codes(np.tile(codes, n), variables),
                            "value": values})


def monthly_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The whole long monthly table of an outcomes table held in memory (see the module doc)."""
    parts = list(monthly_parts(outcomes))
    if not parts:
        return monthly_schema().empty_table().to_pandas()
    return pd.concat(parts, ignore_index=True)


def _group_labels(col: pd.Series) -> pd.Series:
    return col.astype("string").fillna("(missing)")


def check_by(columns: dict[str, pa.DataType], by: str, origin: str) -> None:
    """Check that ``by`` names a categorical, flag or text column of the outcomes table.

    Raises:
        InputError: naming ``--by``, the column, and the columns allowed.
    """
    allowed = sorted(c for c, t in columns.items() if _groupable(c, t))
    if by not in columns:
        raise InputError(origin, "--by", f"no column {by!r} in outcomes.parquet; choose a categorical or flag "
                         f"column, e.g. {', '.join(allowed[:12])} (all columns: docs/outcomes.md)")
    if by not in allowed:
        raise InputError(origin, "--by", f"column {by!r} is numeric with many values; choose a categorical or flag "
                         f"column, e.g. {', '.join(allowed[:12])}")


def _groupable(name: str, t: pa.DataType) -> bool:
    """Categories, text and small integers (0/1 flags, counts such as ``aces``)."""
    if name in ("dyad_id", "replicate", "seed"):
        return False
    return pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t) or \
        pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_boolean(t)


class SubgroupStats:
    """Per subgroup and replicate moments of every summary outcome, folded in chunk by chunk."""

    def __init__(self, by: str, origin: str) -> None:
        self.by, self.origin = by, origin
        self.moments: dict[tuple[str, int, str], Moments] = {}

    def add(self, df: pd.DataFrame) -> None:
        """Fold in one chunk of the outcomes table.

        Raises:
            InputError: the column has more than :data:`MAX_GROUPS` values.
        """
        labels = _group_labels(df[self.by])
        for (group, rep), d in df.groupby([labels, df["replicate"]], sort=True, observed=True):
            for label, fn in SUMMARY:
                v = fn(d).astype(float).to_numpy()
                self.moments.setdefault((str(group), int(rep), label), Moments()).add(v[~np.isnan(v)])
        if len({g for g, _, _ in self.moments}) > MAX_GROUPS:
            raise InputError(self.origin, "--by", f"column {self.by!r} has more than {MAX_GROUPS} values; choose a "
                             "categorical or flag column")

    def table(self) -> pd.DataFrame:
        """One row per subgroup and summary outcome: the column's value, outcome, mean, 95% interval."""
        out = []
        for group in sorted({g for g, _, _ in self.moments}):
            reps = pd.DataFrame([{"replicate": r, "outcome": lbl, "mean": mo.mean if mo.n else np.nan, "sd": mo.sd,
                                  "n": mo.n, "min": mo.min if mo.n else np.nan}
                                 for (g, r, lbl), mo in self.moments.items() if g == group])
            s = summary_from_replicates(reps)
            s.insert(0, self.by, group)
            out.append(s)
        return pd.concat(out, ignore_index=True)


def summarize_by(path: str | Path, by: str, batch_rows: int = 65_536) -> pd.DataFrame:
    """Each summary outcome by subgroup of the column ``by``: mean with a 95% interval over
    replicates (as the run's summary, :func:`dyadsim.run.streaming.summary_from_replicates`), read from
    ``outcomes.parquet`` in batches.

    Raises:
        InputError: ``by`` is not a categorical or flag column, or it has more than
            :data:`MAX_GROUPS` values.
    """
    path = Path(path)
    pf = pq.ParquetFile(path)
    check_by({f.name: f.type for f in pf.schema_arrow}, by, str(path))
    stats = SubgroupStats(by, str(path))
    for batch in pf.iter_batches(batch_size=batch_rows):
        stats.add(batch.to_pandas())
    return stats.table()


def summarize_frame(outcomes: pd.DataFrame, by: str, origin: str = "outcomes") -> pd.DataFrame:
    """:func:`summarize_by` of an outcomes table held in memory."""
    schema = pa.Schema.from_pandas(outcomes.iloc[:0], preserve_index=False)
    check_by({f.name: f.type for f in schema}, by, origin)
    stats = SubgroupStats(by, origin)
    stats.add(outcomes)
    return stats.table()

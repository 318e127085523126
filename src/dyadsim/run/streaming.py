"""Statistics and Parquet tables built chunk by chunk, so memory does not grow with the cohort.

A run simulates its cohort in chunks of dyad ids; each chunk's outcomes table is appended to
``outcomes.parquet`` and folded into running statistics (:class:`RunStats`): the summary
outcomes' count, mean, sum of squared deviations and minimum per replicate (merged exactly as in
Chan, Golub & LeVeque 1979), the report's monthly means and attachment shares as sums and counts,
and the first :data:`SAMPLE_ROWS` dyads' well-being scores for the box plot.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dyadsim.core import intervals
from dyadsim.engine import layout
from dyadsim.model.modules.attachment import CLASSES
from dyadsim.model.states import WELLBEING_DOMAINS
from dyadsim.run.summary import SUMMARY, is_share

SAMPLE_ROWS = 200_000
"""Rows (first dyads, in file order) whose well-being scores the report's box plot shows."""
WELLBEING = tuple(f"wb_{d}" for d in WELLBEING_DOMAINS)
_MEANS = ("craving", "use_days", "salience", "parenting", "perceived_stress")


class Moments:
    """Count, mean, sum of squared deviations and minimum of a stream of values."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2, self.min = 0, 0.0, 0.0, np.inf

    def add(self, v: np.ndarray) -> None:
        """Fold in the finite-or-not values ``v`` (NaN already dropped by the caller)."""
        nb = len(v)
        if nb == 0:
            return
        mb = float(v.mean())
        m2b = float(((v - mb) ** 2).sum())
        n = self.n + nb
        delta = mb - self.mean
        self.mean = mb if self.n == 0 else self.mean + delta * nb / n
        self.m2 = m2b if self.n == 0 else self.m2 + m2b + delta * delta * self.n * nb / n
        self.min = min(self.min, float(v.min()))
        self.n = n

    @property
    def sd(self) -> float:
        """Sample standard deviation (NaN for fewer than two values)."""
        return float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else np.nan


class RunStats:
    """Running statistics of one run's outcomes (see the module doc)."""

    def __init__(self) -> None:
        self.summary: dict[tuple[int, str], Moments] = {}
        self.monthly: dict[tuple[int, int], dict[str, float]] = {}
        self.attachment: dict[int, dict[str, int]] = {}
        self.wellbeing: dict[str, list[np.ndarray]] = {k: [] for k in WELLBEING}
        self.sampled = 0
        self.rows = 0

    def add(self, df: pd.DataFrame) -> None:
        """Fold in one chunk of the outcomes table (any replicates)."""
        self.rows += len(df)
        for rep, d in df.groupby("replicate", sort=True):
            rep = int(rep)
            for label, fn in SUMMARY:
                v = fn(d).astype(float).to_numpy()
                self.summary.setdefault((rep, label), Moments()).add(v[~np.isnan(v)])
            self._add_monthly(rep, d)
            counts = self.attachment.setdefault(rep, {c: 0 for c in CLASSES})
            for c, k in d["attachment"].value_counts().items():
                counts[str(c)] = counts.get(str(c), 0) + int(k)
        take = min(len(df), SAMPLE_ROWS - self.sampled)
        if take > 0:
            for k in WELLBEING:
                self.wellbeing[k].append(df[k].to_numpy()[:take].astype(np.float64))
            self.sampled += take

    def _add_monthly(self, rep: int, d: pd.DataFrame) -> None:
        months = sorted({int(c[-2:]) for c in d.columns if c.startswith("use_days_m")})
        for m in months:
            tag = f"_m{m:02d}"
            acc = self.monthly.setdefault((rep, m), {})
            for k in _MEANS:
                v = d[k + tag].to_numpy(dtype=np.float64)
                ok = ~np.isnan(v)
                acc[k + "_sum"] = acc.get(k + "_sum", 0.0) + float(v[ok].sum())
                acc[k + "_n"] = acc.get(k + "_n", 0.0) + float(ok.sum())
            alive = d["days_alive" + tag].to_numpy(dtype=np.float64)
            acc["alive_pos"] = acc.get("alive_pos", 0.0) + float(alive[alive > 0].sum())
            acc["moud_sum"] = acc.get("moud_sum", 0.0) + float(np.nansum(d["moud_days" + tag].to_numpy(np.float64)))

    def replicate_summary(self) -> pd.DataFrame:
        """Per-replicate mean, SD, count and minimum of each summary outcome (long format)."""
        rows = []
        for rep in sorted({r for r, _ in self.summary}):
            for label, _ in SUMMARY:
                mo = self.summary.get((rep, label), Moments())
                rows.append({"replicate": rep, "outcome": label, "mean": mo.mean if mo.n else np.nan,
                             "sd": mo.sd, "n": mo.n, "min": mo.min if mo.n else np.nan})
        return pd.DataFrame(rows, columns=["replicate", "outcome", "mean", "sd", "n", "min"])

    def monthly_means(self) -> pd.DataFrame:
        """Cohort means by replicate and postpartum month (the report's trajectory panels)."""
        rows = []
        for (rep, m), a in sorted(self.monthly.items()):
            row: dict[str, Any] = {"replicate": rep, "month": m}
            for k in _MEANS:
                row[k] = a[k + "_sum"] / a[k + "_n"] if a[k + "_n"] else np.nan
            row["moud_share"] = a["moud_sum"] / max(a["alive_pos"], 1.0)
            rows.append(row)
        return pd.DataFrame(rows)

    def attachment_shares(self) -> pd.DataFrame:
        """Share of each attachment class among classified dyads, one row per replicate."""
        rows = {rep: {c: (k / max(sum(cnt.values()), 1)) for c, k in cnt.items()}
                for rep, cnt in sorted(self.attachment.items())}
        return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(CLASSES), fill_value=0.0)

    def wellbeing_sample(self) -> dict[str, np.ndarray]:
        """Well-being scores of the first :data:`SAMPLE_ROWS` dyads, NaN dropped, by domain."""
        out = {}
        for k, parts in self.wellbeing.items():
            v = np.concatenate(parts) if parts else np.empty(0)
            out[k] = v[~np.isnan(v)]
        return out


def trajectory_schema() -> pa.Schema:
    """Arrow schema of ``trajectories.parquet``."""
    return pa.schema([("replicate", pa.int64()), ("dyad_id", pa.int64()), ("day", pa.int64())]
                     + [(k, pa.float32()) for k in layout.TRAJECTORY_STATES])


class TableWriter:
    """Appends DataFrames to one Parquet file; writes nothing until the first table, and an empty
    file with ``schema`` when closed without any.

    With ``group_rows`` the tables are held (as Arrow, compact) until at least that many rows are
    waiting and then written as one row group: the writer keeps every row group's metadata until
    the file is closed (about 0.4 MB for the 464 columns of the outcomes table), so row groups of
    small chunks would make memory grow with the cohort. Without it each table is a row group.
    """

    def __init__(self, path: Path, schema: pa.Schema | None = None, group_rows: int = 0) -> None:
        self.path, self.schema, self.group_rows = path, schema, group_rows
        self._writer: pq.ParquetWriter | None = None
        self._held: list[pa.Table] = []
        self._held_rows = 0

    def write(self, df: pd.DataFrame) -> None:
        """Append one table (same columns and types every time)."""
        table = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._held.append(table)
        self._held_rows += table.num_rows
        if self._held_rows >= self.group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._held and self._writer is not None:
            table = self._held[0] if len(self._held) == 1 else pa.concat_tables(self._held)
            self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self._held, self._held_rows = [], 0

    def close(self) -> None:
        """Finish the file."""
        if self._writer is None:
            if self.schema is None:
                return
            pq.write_table(self.schema.empty_table(), self.path)
            return
        self._flush()
        self._writer.close()
        self._writer = None


def replicate_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per-replicate mean, SD, count and minimum of each summary outcome (long format)."""
    stats = RunStats()
    stats.add(df)
    return stats.replicate_summary()


def summarize(df: pd.DataFrame, kind: str = "monte_carlo") -> pd.DataFrame:
    """Mean of each summary outcome with a 95% interval (see :func:`summary_from_replicates`)."""
    return summary_from_replicates(replicate_summary(df), kind=kind)


def summary_from_replicates(reps: pd.DataFrame, kind: str = "monte_carlo") -> pd.DataFrame:
    """Mean of each summary outcome with a 95% interval of the given kind, from per-replicate
    statistics (as built chunk by chunk by :class:`dyadsim.run.streaming.RunStats`).

    The interval is :func:`dyadsim.core.intervals.bands` of the replicate means (``kind``
    ``"monte_carlo"``: t interval, or with one replicate the normal interval from the between-dyad
    SD; Wilson for shares, so they stay in [0, 1]; ``"parameter"``: the 2.5th-97.5th percentile
    of replicate means that each carry their own parameter draw). The column ``interval`` names
    the kind; fewer than three replicates give a
    :class:`dyadsim.core.intervals.FewReplicatesWarning`.
    """
    intervals.check_kind(kind)
    out = []
    for label, _ in SUMMARY:
        r = reps[reps["outcome"] == label].dropna(subset=["mean"])
        means = r["mean"].to_numpy(dtype=np.float64)
        if len(means):
            one = len(means) == 1
            centre, lower, upper = (float(x) for x in intervals.bands(
                means, kind=kind, share=is_share(label), sd=float(r["sd"].iloc[0]) if one else None,
                n=float(r["n"].mean())))
        else:
            centre, lower, upper = np.nan, np.nan, np.nan
        if len(r) and (r["min"] >= 0).all():  # a non-negative outcome has a non-negative mean
            lower = max(lower, 0.0)
        out.append({"outcome": label, "mean": centre, "lower": lower, "upper": upper,
                    "interval": intervals.label(kind), "replicates": len(means),
                    "dyads_per_replicate": int(r["n"].mean()) if len(r) else 0})
    n_reps = int(reps["replicate"].nunique()) if len(reps) else 0
    intervals.warn_few_replicates(n_reps, "summary")
    return pd.DataFrame(out)


"""0.975 quantile of Student's t (kept here for callers of earlier versions)."""

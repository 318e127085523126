"""The tables of a trial's and a power analysis's pages, as a paper would print them.

The CSV and Parquet files keep every column under its machine name (one row per outcome and arm);
the pages show fewer, joined columns (``estimate [95% CI]``, ``n control / treatment``) with
readable headers and each outcome by what it measures and when (:func:`outcome_label`), its file
name beneath in small type so a reader can find it in the CSVs. Every table is wrapped in a box
that scrolls sideways rather than running off the page.
"""
from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from dyadsim.trials.design import Outcome, Trial
from dyadsim.trials.measures import MEASURES

_TRUE_COLUMN = {"mean_difference": "true_difference", "rate_ratio": "true_ratio", "odds_ratio": "true_odds_ratio"}
"""Which true effect is on an estimate's scale (a hazard ratio has none: the simulator's truth is
the whole population's event times, not a proportional-hazards parameter)."""
_SCALE_NAME = {"mean_difference": "mean difference", "rate_ratio": "rate ratio", "odds_ratio": "odds ratio",
               "hazard_ratio": "hazard ratio"}


def outcome_label(o: Outcome) -> str:
    """What an outcome measures and when: its measure's label and its postpartum month(s)."""
    m = MEASURES[o.measure]
    if o.months is not None:
        when = f"postpartum months {o.months[0]}-{o.months[1]}"
    elif m.kind == "survival":
        when = f"followed to month {o.month}"
    else:
        when = f"month {o.month}"
    return f"{m.label[0].upper()}{m.label[1:]}, {when}"


def labels(trial: Trial) -> dict[str, str]:
    """Readable label of every outcome and mediation path of ``trial``, by file name."""
    out = {o.name: outcome_label(o) for o in trial.outcomes}
    for p in trial.mediation:
        chain = " \u2192 ".join(out.get(x, x).split(",")[0] for x in [*p.mediators, p.outcome])
        out[p.name] = f"Treatment \u2192 {chain}"
    return out


def _num(x: Any, digits: int = 3) -> str:
    """A number to ``digits`` significant figures; blank when missing."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return ""
    if isinstance(x, (bool,)):
        return "yes" if x else "no"
    if isinstance(x, (int,)) or (isinstance(x, float) and x.is_integer() and abs(x) >= 10):
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def _ci(est: Any, lo: Any, hi: Any) -> str:
    return f"{_num(est)} [{_num(lo)}, {_num(hi)}]" if _num(est) else ""


def _named(name: str, names: dict[str, str]) -> str:
    """An outcome cell: its label, and its file name in small type beneath (already escaped)."""
    base, _, arm = name.partition(" (")
    label = names.get(base)
    if label is None:
        return html.escape(name)
    extra = f" ({html.escape(arm)}" if arm else ""
    return f"{html.escape(label)}{extra}<br><small><code>{html.escape(name)}</code></small>"


def html_table(rows: list[dict[str, str]], caption: str = "") -> str:
    """Rows of already escaped cells as an HTML table in a sideways-scrolling box."""
    if not rows:
        return "<p>(none)</p>"
    heads = list(rows[0])
    head = "".join(f"<th>{html.escape(h)}</th>" for h in heads)
    body = "".join("<tr>" + "".join(f"<td>{r[h]}</td>" for h in heads) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<div class='scroll'><table>{cap}<tr>{head}</tr>{body}</table></div>"


def by_arm_rows(by_arm: pd.DataFrame, names: dict[str, str]) -> list[dict[str, str]]:
    """Outcomes by arm, one row per outcome: n and mean (SD) or events of each arm side by side."""
    rows = []
    for outcome, g in by_arm.groupby("outcome", sort=False):
        row = {"Outcome": _named(str(outcome), names)}
        for r in g.to_dict("records"):
            cell = f"{_num(r['mean'])} ({_num(r['sd'])})"
            if pd.notna(r.get("events")):
                cell += f", {_num(r['events'])} events"
            row[f"{r['arm']}: n"] = _num(r["n"])
            row[f"{r['arm']}: mean (SD)"] = cell
        rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k, "") for k in keys} for r in rows]


def estimate_rows(est: pd.DataFrame, names: dict[str, str]) -> list[dict[str, str]]:
    """Effect estimates: one row per outcome and treatment arm, beside the true effect on the same scale."""
    rows = []
    for r in est.to_dict("records"):
        true_col = _TRUE_COLUMN.get(str(r["scale"]))
        es = "" if r["effect_size_kind"] == "none" else f"{_num(r['effect_size'])} ({html.escape(str(r['effect_size_kind']))})"
        note = "" if r["converged"] else html.escape(str(r.get("failure") or "did not converge"))
        rows.append({
            "Outcome": _named(str(r["outcome"]), names), "Role": html.escape(str(r["role"])),
            "Arm": html.escape(str(r["arm"])),
            "Scale (model)": f"{_SCALE_NAME.get(str(r['scale']), html.escape(str(r['scale'])))} ({html.escape(str(r['model']))})",
            "Estimate [95% CI]": _ci(r["estimate"], r["ci_low"], r["ci_high"]) or note,
            "p": _num(r["p_value"]), "p adjusted": _num(r["p_adjusted"]),
            # Process measures are measured, not tested: no rejection to report.
            "Rejected": "not tested" if r["role"] == "process" else "yes" if r["reject"] else "no",
            "Effect size": es,
            "n control / treatment": f"{_num(r['n_control'])} / {_num(r['n_treatment'])}",
            "True effect (same scale)": _num(r[true_col]) if true_col else "",
            "True standardized": _num(r["true_standardized"]),
        })
    return rows


def mediation_rows(med: pd.DataFrame, names: dict[str, str]) -> list[dict[str, str]]:
    """Mediation tests: the indirect effect with its bootstrap interval beside the true one."""
    rows = []
    for r in med.to_dict("records"):
        rows.append({
            "Path": _named(str(r["path"]), names),
            "Indirect [95% bootstrap CI]": _ci(r["indirect"], r["ci_low"], r["ci_high"])
            or html.escape(str(r.get("failure") or "not estimable")),
            "True indirect": _num(r.get("true_indirect")),
            "Joint significance": "yes" if r["joint_significant"] else "no",
            "Bootstrap CI excludes 0": "yes" if r["bootstrap_significant"] else "no",
            "Coefficients (p)": html.escape(f"{r['paths']} ({r['p_paths']})") if isinstance(r["paths"], str) else "",
            "Direct c'": _num(r["c_prime"]), "True direct": _num(r.get("true_direct")),
            "n (complete cases)": _num(r["n"]),
        })
    return rows


def required_rows(req: pd.DataFrame, names: dict[str, str], grid: tuple[int, int]) -> list[dict[str, str]]:
    """Sizes for 80% and 90% power, said as :func:`dyadsim.trials.power.describe_size` says them."""
    from dyadsim.trials.power import describe_size

    return [{"Target": _named(str(r["target"]), names), "Test": html.escape(str(r["kind"])),
             "Per allocation unit, 80%": html.escape(describe_size(r["n_80"], r["how_80"], grid)),
             "In total, 80%": _num(math.ceil(r["total_80"])) if math.isfinite(r["total_80"]) else "",
             "Per allocation unit, 90%": html.escape(describe_size(r["n_90"], r["how_90"], grid)),
             "In total, 90%": _num(math.ceil(r["total_90"])) if math.isfinite(r["total_90"]) else ""}
            for r in req.to_dict("records")]


def power_rows(summary: pd.DataFrame, names: dict[str, str]) -> list[dict[str, str]]:
    """Power by target and size, one row per target with a column per size: power (Monte Carlo SE)."""
    rows: list[dict[str, str]] = []
    for (target, kind), g in summary.groupby(["target", "kind"], sort=False):
        row = {"Target": _named(str(target), names), "Test": html.escape(str(kind))}
        for r in g.sort_values("n").to_dict("records"):
            fails = f", {r['failures']} failed" if r["failures"] else ""
            row[f"n = {r['n']}"] = f"{r['power']:.2f} (\u00b1{r['mcse']:.2f}{fails})"
        rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [{k: r.get(k, "") for k in keys} for r in rows]


def truth_rows(truth: pd.DataFrame, paths: pd.DataFrame, names: dict[str, str]) -> list[dict[str, str]]:
    """True effects over every eligible mother of the pools (no drop-out, measurement error averaged out)."""
    rows = [{"Outcome or path": _named(str(r["outcome"]), names), "Arm": html.escape(str(r["arm"])),
             "Control mean": _num(r["control_mean"]), "Arm mean": _num(r["arm_mean"]),
             "Difference": _num(r["difference"]), "Ratio": _num(r["ratio"]), "Odds ratio": _num(r["odds_ratio"]),
             "Standardized": _num(r["standardized"]), "Indirect": "", "Direct": ""}
            for r in truth.to_dict("records")]
    rows += [{"Outcome or path": _named(str(r["path"]), names), "Arm": "", "Control mean": "", "Arm mean": "",
              "Difference": _num(r["total"]), "Ratio": "", "Odds ratio": "", "Standardized": "",
              "Indirect": _num(r["indirect"]), "Direct": _num(r["direct"])} for r in paths.to_dict("records")]
    return rows

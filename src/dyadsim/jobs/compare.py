"""The comparison job: run scenarios on the same dyads and seeds into one folder, atomically.

Every face calls it: ``dyadsim compare``, :func:`dyadsim.api.compare` (``CompareResult.save``) and the
dashboard's worker (:mod:`dyadsim.dashboard.worker`). The
comparison itself (paired differences with common random numbers) is
:mod:`dyadsim.analysis.compare`; the figures are :mod:`dyadsim.report.compare_figures`.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from dyadsim.analysis.compare import Comparison, Loaded, load_comparison, run_loaded
from dyadsim.config.grounding import calibration_notice, draws_source
from dyadsim.core import intervals
from dyadsim.report.compare_figures import write_sections
from dyadsim.run.store import check_target, write_atomic


def write_comparison_files(cmp: Comparison, tmp: Path) -> None:
    """Write differences (Parquet and CSV), each scenario's summary, the binary-outcome and RMST
    tables, the figures of :mod:`dyadsim.report.compare_figures` and ``compare.html`` into ``tmp`` (the
    per-dyad outcomes are already in ``tmp/outcomes/``)."""
    cmp.differences.to_parquet(tmp / "differences.parquet", index=False)
    cmp.differences[["scenario", "outcome", "difference", "lower", "upper", "interval"]].to_csv(
        tmp / "differences.csv", index=False)
    summaries = []
    for name, run in zip(cmp.names, cmp.runs):
        summaries.append(run.summary.assign(scenario=name))
    pd.concat(summaries, ignore_index=True).to_csv(tmp / "summaries.csv", index=False)
    sections, binary, rmst = write_sections(cmp, tmp)
    sections += subgroup_section(cmp, tmp)
    binary.to_csv(tmp / "binary_outcomes.csv", index=False)
    rmst.to_csv(tmp / "rmst.csv", index=False)
    label = html.escape(intervals.label(cmp.interval_kind))
    note = intervals.few_replicates_note(int(cmp.manifest["replicates"]))
    warn = f'<p class="note"><strong>Note:</strong> {html.escape(note)}</p>' if note else ""
    scope = intervals.scope_note(cmp.interval_kind)
    warn += f'<p class="note">{html.escape(scope)}</p>' if scope else ""
    d = cmp.differences[cmp.differences["summary"]]
    rows = "".join(f"<tr><td>{html.escape(r.scenario)}</td><td>{html.escape(r.outcome)}</td>"
                   f"<td>{r.difference:.3f}</td><td>{r.lower:.3f}</td><td>{r.upper:.3f}</td></tr>"
                   for r in d.itertuples())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dyadsim comparison</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 7px}}img{{max-width:100%}}.note{{background:#fff3cd;padding:6px}}</style>
</head><body>
<h1>dyadsim comparison against {html.escape(cmp.names[0])}</h1>
<p class="note"><strong>{html.escape(calibration_notice(draws_source(cmp.manifest)))}</strong></p>
<p>Scenarios: {', '.join(html.escape(n) for n in cmp.names)}; {cmp.manifest['dyads']} dyads x
{cmp.manifest['replicates']} replicates on the same dyads and seeds (common random numbers). Differences
are scenario minus {html.escape(cmp.names[0])}, with {label} intervals. Every outcome: differences.csv;
binary outcomes: binary_outcomes.csv; restricted mean survival times: rmst.csv.</p>{warn}
{sections}
<h2>Every summary difference</h2>
<table><tr><th>scenario</th><th>outcome</th><th>difference</th><th>lower</th><th>upper</th></tr>{rows}</table>
</body></html>"""
    (tmp / "compare.html").write_text(page, encoding="utf-8")


def write_comparison(paths: list[Path], out: str | Path, *, force: bool = False, progress: bool | None = False,
                     dyads: int | None = None, replicates: int | None = None, seed: int | None = None,
                     parameter_draws: int | None = None, draw_select: str = "assumed") -> Comparison:
    """Run a comparison straight into ``out`` (atomically; see :func:`dyadsim.run.store.write_atomic`).
    Every scenario and ``out`` are checked before anything is simulated.

    Raises:
        InputError: naming the file or option, the field and what is allowed.
    """
    loaded = load_comparison(paths, dyads=dyads, replicates=replicates, seed=seed, parameter_draws=parameter_draws,
                             draw_select=draw_select)
    return write_loaded(loaded, out, force=force, progress=progress)


def write_loaded(loaded: Loaded, out: str | Path, *, force: bool = False, progress: bool | None = False,
                 bar: Any = None) -> Comparison:
    """Run checked scenarios (:func:`load_comparison`, :func:`comparison_of`) into ``out`` atomically;
    ``bar``: a tqdm-like bar to advance instead of a new one (see :func:`dyadsim.analysis.compare.run_loaded`).

    Raises:
        InputError: ``out`` may not be used (checked before anything is simulated).
    """
    check_target(out, force)
    holder: list[Comparison] = []

    def write(tmp: Path) -> dict[str, Any]:
        cmp = run_loaded(loaded, tmp, progress=progress, bar=bar)
        write_comparison_files(cmp, tmp)
        holder.append(cmp)
        return cmp.manifest

    write_atomic(out, write, force=force)
    return holder[0]


def subgroup_section(cmp: Comparison, tmp: Path) -> str:
    """``subgroups.csv``, a forest plot per scenario of the effect on postpartum use days by
    subgroup (:mod:`dyadsim.analysis.subgroups`), and their section of ``compare.html``."""
    from dyadsim.analysis.compare import file_stem
    from dyadsim.analysis.subgroups import OUTCOMES, SUBGROUPS, subgroup_effects
    from dyadsim.report.subgroup_figure import subgroup_figure

    cols = ["replicate", "dyad_id", "moud_type", "moud_start_week", "enrol_week", "aces", "prior_cps",
            "use_days_pp_year", "od_nonfatal_pp_year", "moud_at_delivery", "cps_report", "attachment"]
    tables = {n: pd.read_parquet(tmp / "outcomes" / f"{file_stem(n)}.parquet", columns=cols) for n in cmp.names}
    table = subgroup_effects(tables[cmp.names[0]], {n: tables[n] for n in cmp.names[1:]}, cmp.interval_kind)
    table.to_csv(tmp / "subgroups.csv", index=False)
    figs = []
    for i, name in enumerate(cmp.names[1:]):
        subgroup_figure(table, name, "use_days_pp_year", tmp / "figures" / f"subgroups_{i + 1}.png")
        figs.append(f"<img src='figures/subgroups_{i + 1}.png' alt='Forest plot: {html.escape(name)} minus "
                    f"{html.escape(cmp.names[0])} on postpartum use days, in and out of each subgroup' width='750'>")
    d = table[table["level"] == "in"]
    rows = "".join(f"<tr><td>{html.escape(r.scenario)}</td><td>{html.escape(SUBGROUPS[r.subgroup][0])}</td>"
                   f"<td>{html.escape(OUTCOMES[r.outcome][0])}</td><td>{r.effect:.3f} [{r.lower:.3f}, {r.upper:.3f}]</td>"
                   f"<td>{r.interaction:.3f} [{r.interaction_lower:.3f}, {r.interaction_upper:.3f}]</td>"
                   f"<td>{r.p_interaction:.2g}</td></tr>" for r in d.itertuples())
    return ("<h2>Effects by subgroup</h2><p>Pre-specified subgroups defined at baseline; the effect within each "
            "(mean paired difference over its dyads) and the interaction (the effect in the subgroup minus the "
            "effect outside it, per replicate, with a t test over replicates). Every row: subgroups.csv.</p>"
            + "".join(figs) + "<table><tr><th>scenario</th><th>subgroup</th><th>outcome</th><th>effect in the "
            "subgroup</th><th>interaction</th><th>p (interaction)</th></tr>" + rows + "</table>")


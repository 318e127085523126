"""How a result folder is shown on the page (the Look and Open pages): its headline table with the
label of its intervals, its figures each with its text alternative beside it, the mechanism graph of its
scenario with the changed edges, its other tables, and downloads of every table and figure.

Everything shown is read from the folder (:mod:`dyadsim.dashboard.folders`): the figures are those
the commands wrote, in the report's colour-blind-safe palette; none is drawn again here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dyadsim.dashboard import folders as F

KIND_TITLES = {"run": "Run", "compare": "Comparison", "trial": "Simulated trial", "power": "Power",
               "sensitivity": "Sensitivity analysis", "calibration": "Calibration", "economics": "Economics",
               "results": "Results"}
"""Heading of a folder of each kind."""
RMST_COLUMNS = ("title", "scenario", "rmst", "rmst_lower", "rmst_upper", "difference", "lower", "upper")
"""Columns of ``rmst.csv`` shown beside the Kaplan-Meier curves (its text alternative)."""
MAX_ROWS = 500
"""Rows of a table shown on the page (the download holds all)."""
MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".csv": "text/csv", ".html": "text/html"}


@st.cache_data(max_entries=512, show_spinner=False)
def display_bytes(path: str, mtime: float, cache: str) -> bytes:
    """The bytes of :func:`dyadsim.dashboard.folders.display_copy`, read once per file version (``mtime``)."""
    return F.display_copy(Path(path), Path(cache)).read_bytes()


def show_image(path: Path, alt: str, runs: Path) -> None:
    """A figure with its text alternative as alt text and caption."""
    if path.suffix.lower() == ".svg":
        st.image(str(path), caption=alt, alt=alt)
    else:
        st.image(display_bytes(str(path), path.stat().st_mtime, str(F.display_cache(runs))), caption=alt, alt=alt)


@st.cache_data(max_entries=64, show_spinner=False)
def notice(source: str) -> str:
    """The calibration notice of a result whose parameters came from ``source`` (it reads the targets
    file: once per source)."""
    from dyadsim.config.grounding import calibration_notice

    return calibration_notice(source)


@st.cache_data(max_entries=256, show_spinner=False)
def _mechanism_graph(scenario_json: str, cache: str, mtime: float) -> F.Graph:
    """:func:`dyadsim.dashboard.folders.mechanism_graph`, once per scenario (``mtime``: its folder's)."""
    import json

    return F.mechanism_graph(json.loads(scenario_json), Path(cache))


def _reader(path: Path) -> Any:
    """The file's bytes, read only when the download is asked for."""
    return lambda: path.read_bytes()


def download(path: Path, key: str, label: str | None = None) -> None:
    """A download button for one file of a folder."""
    st.download_button(label or f"Download {path.name}", _reader(path), file_name=path.name,
                       mime=MIME.get(path.suffix.lower(), "application/octet-stream"), key=key, on_click="ignore")


def figure(fig: F.Figure, key: str, runs: Path, beside: pd.DataFrame | None = None, beside_title: str = "") -> None:
    """A figure with its alt text (and caption), a download button, and optionally a table beside it
    (the figure's numbers, as its text alternative)."""
    if beside is not None and len(beside):
        left, right = st.columns([3, 2])
    else:
        left, right = st.container(), None
    with left:
        show_image(fig.path, fig.alt, runs)
        download(fig.path, f"{key}-dl")
    if right is not None and beside is not None:
        with right:
            st.caption(beside_title)
            st.dataframe(beside, hide_index=True, key=f"{key}-table")


def _table(path: Path, key: str) -> None:
    try:
        table = pd.read_csv(path, nrows=MAX_ROWS)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        st.warning(f"{path.name} could not be read as a table: {exc}")
        return
    st.markdown(f"**{path.name}**" + (f" (first {MAX_ROWS} rows)" if len(table) == MAX_ROWS else ""))
    st.dataframe(table, hide_index=True, key=f"{key}-df")
    download(path, f"{key}-dl")


def show_folder(folder: F.Folder, runs: Path, key: str) -> None:
    """Everything the page shows of a result folder (``key`` keeps its widgets apart from another page's)."""
    from dyadsim.config.grounding import draws_source

    st.header(f"{KIND_TITLES.get(folder.kind, 'Results')}: {folder.path.name}", anchor=False)
    command = folder.manifest.get("command_line") or folder.manifest.get("command")
    if isinstance(command, str) and command.startswith("dyadsim"):
        st.caption("The same on the command line:")
        st.code(command, language="bash")
    if folder.kind in ("run", "compare"):
        st.warning(notice(draws_source(folder.manifest)))
    head = F.headline(folder)
    figs = F.figures(folder)
    shown: set[str] = set()
    if head is not None:
        what = "mean" if folder.kind == "run" else "difference from " + str((folder.manifest.get("names") or ["?"])[0])
        st.subheader(f"Summary outcomes ({what} with {head.label} intervals)", anchor=False)
        st.dataframe(head.table, hide_index=True, key=f"{key}-headline")
        if head.note:
            st.info(head.note)
    tables = {p.name: p for p in F.tables(folder)}
    if folder.kind == "compare":
        by_name = {f.name: f for f in figs}
        rmst = pd.read_csv(tables["rmst.csv"]) if "rmst.csv" in tables else None
        if rmst is not None:
            rmst = rmst[[c for c in RMST_COLUMNS if c in rmst.columns]]
        for name, title, beside, note in (
                ("survival.png", "Time to event: Kaplan-Meier curves", rmst, "Restricted mean survival time (days)"),
                ("differences.png", "Forest plot of the differences", head.table if head else None,
                 "The differences in numbers"),
                ("monthly.png", "Trajectories after birth", None, ""),
                ("overdose.png", "Overdose by period", None, "")):
            if name in by_name:
                st.subheader(title, anchor=False)
                figure(by_name[name], f"{key}-{name}", runs, beside, note)
                shown.add(name)
        att = F.attachment_table(folder)
        if att is not None and len(att):
            st.subheader("Attachment distribution at 12 months", anchor=False)
            st.dataframe(att, hide_index=True, key=f"{key}-attachment")
    rest = [f for f in figs if f.name not in shown]
    if rest:
        st.subheader("Figures", anchor=False)
        for i, f in enumerate(rest):
            figure(f, f"{key}-fig{i}", runs)
    scenarios = F.scenarios_of(folder)
    if scenarios:
        _graph(scenarios[-1], runs, key, folder.path.stat().st_mtime)
    if tables:
        with st.expander(f"Tables ({len(tables)})", expanded=folder.kind not in ("run", "compare")):
            for i, p in enumerate(tables.values()):
                _table(p, f"{key}-t{i}")
    pages = sorted(folder.path.glob("*.html"))
    if pages:
        st.caption("The folder's report page, to keep or share:")
        for i, p in enumerate(pages):
            download(p, f"{key}-html{i}")


def _graph(scenario: dict[str, Any], runs: Path, key: str, mtime: float) -> None:
    """The mechanism graph of ``scenario`` with its changed edges marked, the list of them beside it."""
    import json

    from dyadsim.core.errors import InputError

    st.subheader(f"Mechanism graph: what {scenario.get('name', 'the scenario')} changes", anchor=False)
    try:
        graph = _mechanism_graph(json.dumps(scenario, sort_keys=True), str(F.graph_cache(runs)), mtime)
    except (InputError, OSError, ValueError) as exc:
        st.warning(f"The mechanism graph could not be drawn: {exc}")
        return
    left, right = st.columns([3, 2])
    with left:
        show_image(graph.path, graph.alt, runs)
        download(graph.path, f"{key}-graph-dl", "Download the graph")
    with right:
        st.caption(f"Changed edges ({len(graph.changed)})")
        if len(graph.changed):
            st.dataframe(graph.changed, hide_index=True, key=f"{key}-edges")
        else:
            st.write("None: the scenario runs the model's graph as published.")

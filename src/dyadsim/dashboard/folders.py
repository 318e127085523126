"""Result folders as the page shows them: which there are, what kind each is, their tables, their
figures with the text each report already gives them, and the mechanism graph of a scenario.

Nothing here computes a result or draws a result figure: the tables and figures are those the run,
comparison, trial, power, sensitivity, calibration (and any later) commands wrote into the folder, and
the graph is :func:`dyadsim.report.graph_draw.draw`'s. A folder is never written to (its manifest
lists and hashes every file): the graph drawings are kept in ``RUNS/.dashboard/graphs/``.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd

from dyadsim.core import intervals
from dyadsim.dashboard.background import STATE_DIR

KIND_FILES: tuple[tuple[str, str], ...] = (
    ("trial", "consort.svg"), ("power", "power.csv"), ("sensitivity", "indices.csv"),
    ("calibration", "posterior.parquet"), ("calibration", "history.csv"),
)
"""(kind, a file only that kind of folder holds), for folders whose manifest has no ``kind``."""
FIGURE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")
TABLE_SUFFIXES = (".csv",)
MAX_FOLDERS = 200
"""Most result folders listed (newest first)."""


@dataclass
class Folder:
    """A result folder: where it is, its manifest and its kind (run, compare, trial, power, sensitivity,
    calibration, economics, or results for any other dyadsim output)."""

    path: Path
    manifest: dict[str, Any]
    kind: str
    created: str = ""

    @property
    def label(self) -> str:
        """How the folder is listed: name, kind and when it was made."""
        return f"{self.path.name} ({self.kind}{', ' + self.created[:19].replace('T', ' ') if self.created else ''})"


def _kind(path: Path, manifest: dict[str, Any]) -> str:
    if manifest.get("kind") in ("run", "compare"):
        return str(manifest["kind"])
    command = str(manifest.get("command") or manifest.get("command_line") or "")
    for word in ("economics", "calibrate", "trial", "power", "sensitivity"):
        if word in command.split()[:2] or manifest.get("command") == word:
            return "calibration" if word == "calibrate" else word
    for kind, name in KIND_FILES:
        if (path / name).is_file():
            return kind
    if any("economic" in p.name for p in path.iterdir()):
        return "economics"
    return "results"


def read_folder(path: Path) -> Folder | None:
    """The folder at ``path`` if it holds a dyadsim ``manifest.json`` (else None)."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    return Folder(path, manifest, _kind(path, manifest), str(manifest.get("created_utc") or ""))


def list_folders(runs: Path) -> list[Folder]:
    """Result folders directly under ``runs`` (and one level further down), newest first."""
    if not runs.is_dir():
        return []
    found = []
    for candidate in [*runs.glob("*/manifest.json"), *runs.glob("*/*/manifest.json")]:
        if candidate.parent.name.startswith(".") or candidate.parent.parent.name.startswith("."):
            continue
        folder = read_folder(candidate.parent)
        if folder is not None:
            found.append((candidate.stat().st_mtime, folder))
    found.sort(key=lambda x: -x[0])
    return [f for _, f in found[:MAX_FOLDERS]]


class _Images(HTMLParser):
    """The ``src`` and ``alt`` of every ``<img>`` of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.alts: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            a = dict(attrs)
            if a.get("src") and a.get("alt"):
                self.alts.setdefault(str(a["src"]), str(a["alt"]))


def alt_texts(path: Path) -> dict[str, str]:
    """Figure file (relative to the folder) -> the alt text its report page (``*.html``) gives it."""
    parser = _Images()
    for page in sorted(path.glob("*.html")):
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser.alts


@dataclass
class Figure:
    """A figure of a folder and its text alternative (from the folder's report page, else its name)."""

    path: Path
    alt: str
    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.path.name


def figures(folder: Folder) -> list[Figure]:
    """Every figure of the folder (its top level and ``figures/``), in the order its report shows them."""
    alts = alt_texts(folder.path)
    files = [p for p in [*sorted(folder.path.glob("*")), *sorted((folder.path / "figures").glob("*"))]
             if p.suffix.lower() in FIGURE_SUFFIXES and p.is_file()]
    order = {src: i for i, src in enumerate(alts)}
    rel = {p: p.relative_to(folder.path).as_posix() for p in files}
    files.sort(key=lambda p: order.get(rel[p], len(order)))
    return [Figure(p, alts.get(rel[p]) or f"{folder.kind} figure {rel[p]} (its numbers are in the folder's "
                   "tables)") for p in files]


def tables(folder: Folder) -> list[Path]:
    """Every CSV table of the folder (top level), for display and download."""
    return [p for p in sorted(folder.path.glob("*")) if p.suffix.lower() in TABLE_SUFFIXES and p.is_file()]


@dataclass
class Headline:
    """The table a folder leads with and its interval's label and scope."""

    table: pd.DataFrame
    label: str
    note: str | None


def headline(folder: Folder) -> Headline | None:
    """A run's summary (mean and interval of every summary outcome) or a comparison's summary differences
    from the first scenario, with the label of their intervals; None for other kinds."""
    if folder.kind == "run" and (folder.path / "summary.csv").is_file():
        table = pd.read_csv(folder.path / "summary.csv")
        text = str(table["interval"].iloc[0]) if len(table) else intervals.label("monte_carlo")
        table = table[["outcome", "mean", "lower", "upper"]]
    elif folder.kind == "compare" and (folder.path / "differences.parquet").is_file():
        table = pd.read_parquet(folder.path / "differences.parquet")
        table = table[table["summary"]][["scenario", "outcome", "difference", "lower", "upper"]]
        text = str(folder.manifest.get("interval") or intervals.label("monte_carlo"))
    else:
        return None
    kind = intervals.kind_of(text)
    notes = [n for n in (intervals.scope_note(kind),
                         intervals.few_replicates_note(int(folder.manifest.get("replicates") or 0))) if n]
    return Headline(table.reset_index(drop=True), text, " ".join(notes) or None)


def attachment_table(folder: Folder) -> pd.DataFrame | None:
    """A comparison's attachment distribution: each scenario's share in each class with its interval
    (from ``summaries.csv``; a run shows its attachment figure instead)."""
    path = folder.path / "summaries.csv"
    if folder.kind != "compare" or not path.is_file():
        return None
    table = pd.read_csv(path)
    table = table[table["outcome"].str.contains("Attachment", case=False)]
    return table[["scenario", "outcome", "mean", "lower", "upper", "interval"]].reset_index(drop=True)


def scenarios_of(folder: Folder) -> list[dict[str, Any]]:
    """The validated scenarios a run or comparison folder records (``scenarios_full``)."""
    recs = folder.manifest.get("scenarios_full") or []
    return [r["scenario"] for r in recs if isinstance(r, dict) and isinstance(r.get("scenario"), dict)]


@dataclass
class Graph:
    """The mechanism graph of a scenario: the drawing and, as its text alternative, the marked edges."""

    path: Path
    changed: pd.DataFrame
    alt: str


def changed_edges(scenario: dict[str, Any]) -> tuple[dict[str, list[str]], pd.DataFrame]:
    """The edges a scenario changes: those its group programme acts on (by component, as ``dyadsim graph
    --intervention`` marks them) and those whose strength or switch it sets under ``links:``."""
    from dyadsim.config.scenario import parse_scenario, scenario_params
    from dyadsim.model.graph import GRAPH
    from dyadsim.model.modules.programs import LABELS, TARGETS
    from dyadsim.model.programmes import PROGRAMMES

    scn = parse_scenario(scenario, "manifest")
    params = scenario_params(scn, "manifest")
    marked: dict[str, list[str]] = {}
    why: dict[str, list[str]] = {}
    for g in PROGRAMMES:
        cfg = getattr(scn.interventions, g.field)
        if cfg is None:
            continue
        chosen = getattr(cfg, "components", None)
        for comp, ids in TARGETS[g.key].items():
            if chosen is not None and comp not in chosen:
                continue
            for i in ids:
                marked.setdefault(i, []).append(f"{g.key}.{comp}")
                why.setdefault(i, []).append(f"{LABELS[g.key]}: {comp}")
    edges = {e.id: e for e in GRAPH.edges}
    for edge_id in scn.links:
        e = edges[edge_id]
        on, strength = params.enabled.get(edge_id, True), params.strengths.get(edge_id, e.strength)
        text = "switched off" if not on else f"strength {strength:g} (default {e.strength:g})"
        marked.setdefault(edge_id, []).append("links")
        why.setdefault(edge_id, []).append(f"links: {text}")
    nodes = {n.id: n for n in GRAPH.nodes}
    rows = [{"edge": i, "from": nodes[edges[i].source].label if i in edges else "", "to":
             nodes[edges[i].target].label if i in edges else "", "changed by": "; ".join(w)} for i, w in why.items()]
    return marked, pd.DataFrame(rows, columns=["edge", "from", "to", "changed by"])


DISPLAY_WIDTH = 1400
"""Widest figure sent to the page (px): below Streamlit's own limit (1460 px), over which it would
resize and re-encode the image on every rerun (about 0.1 s a figure)."""


def display_copy(path: Path, cache: Path) -> Path:
    """The figure ``path`` as the page shows it: the file itself, or for a raster wider than
    :data:`DISPLAY_WIDTH` a copy scaled to that width, made once (kept in ``cache`` by the file's path,
    size and time)."""
    if path.suffix.lower() == ".svg":
        return path
    from PIL import Image

    with Image.open(path) as im:
        if im.width <= DISPLAY_WIDTH:
            return path
        st = path.stat()
        tag = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
        copy = cache / f"{tag}.png"
        if not copy.is_file():
            cache.mkdir(parents=True, exist_ok=True)
            small = im.resize((DISPLAY_WIDTH, round(im.height * DISPLAY_WIDTH / im.width)), Image.LANCZOS)
            tmp = copy.with_name(f".{copy.name}.tmp")
            small.save(tmp, format="PNG")
            tmp.replace(copy)
    return copy


def display_cache(runs: Path) -> Path:
    """Where the page keeps the display copies of wide figures (:func:`display_copy`)."""
    return runs / STATE_DIR / "display"


def graph_cache(runs: Path) -> Path:
    """Where the page keeps its drawings of the mechanism graph, for the runs folder ``runs``."""
    return runs / STATE_DIR / "graphs"


def mechanism_graph(scenario: dict[str, Any], cache: Path) -> Graph:
    """Draw the mechanism graph with the scenario's changed edges marked (once per scenario: kept in
    ``cache`` by a hash of what is drawn)."""
    from dyadsim.config.scenario import parse_scenario, scenario_params
    from dyadsim.report.graph_draw import draw

    marked, table = changed_edges(scenario)
    params = scenario_params(parse_scenario(scenario, "manifest"), "manifest")
    what = json.dumps([marked, params.strengths, params.enabled], sort_keys=True, default=str)
    path = cache / f"graph-{hashlib.sha256(what.encode()).hexdigest()[:16]}.png"
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.png")
        draw(tmp, marked=marked, strengths=params.strengths, enabled=params.enabled,
             title=f"Mechanism graph: the arrows {scenario.get('name', 'the scenario')} changes, marked")
        tmp.replace(path)
    name = scenario.get("name", "the scenario")
    alt = (f"Mechanism graph of the model (Reese et al. 2021, Figure 1) with the {len(table)} arrows that "
           f"{name} changes marked in colour, one colour per programme component"
           + ("" if len(table) else " (it changes none: usual care's graph)")
           + "; the table beside it lists them. Blue solid arrows raise their target, red dashed ones lower it.")
    return Graph(path, table, alt)

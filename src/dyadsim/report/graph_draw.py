"""Drawings and exports of the mechanism graph, laid out like Figure 1 of Reese et al. (2021).

Figure 1 reads from the mother's stressors through appraisal, coping, affect and allostasis to
reward dysregulation and the Koob-Volkow use cycle, and from the salience of infant cues through
parenting to the infant, attachment and well-being. The drawing keeps that reading: one cluster per
node group (:data:`dyadsim.model.graph.GROUP_COLOURS`), sign by colour *and* line style (so it survives
grey-scale printing), a legend, optional edge ids (the keys of a scenario's ``links:``) and, for
a programme, each component's targets in its own colour.

Two layouts give the same content:

* ``"dot"`` (when Graphviz's ``dot`` is on the PATH): the graph is written as DOT
  (:func:`to_dot`) and rendered by ``dot`` (Gansner et al. 1993, *IEEE TSE* 19:214), left to
  right, with the Figure 1 spine (:data:`SPINE`) weighted to run straight.
* ``"fixed"`` (otherwise, or on request): clusters in two bands, the mother's stress and use cycle
  on top, care, dyad, infant and well-being below, each cluster a grid of its nodes in declared
  order (use-cycle nodes by Koob-Volkow stage), drawn with matplotlib. Deterministic: the same
  graph gives the same picture on every machine.

DOT (``.dot``/``.gv``) and GraphML (``.graphml``, for yEd, Gephi, Cytoscape) are exported from the
same declaration; :func:`neighbourhood` cuts out the part around a node, group or module.
"""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import warnings
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

from dyadsim.model.graph import GRAPH, GROUP_COLOURS, to_dict

DRAW_SUFFIXES = (".svg", ".png", ".pdf")
"""Drawings (rendered by ``dot`` or matplotlib)."""
EXPORT_SUFFIXES = (".dot", ".gv", ".graphml")
"""Graph files for other tools (no rendering)."""
LAYOUTS = ("auto", "dot", "fixed")
"""``auto``: ``dot`` when installed, else the fixed layout."""

POSITIVE = ("#1f5fa8", "solid")
"""Colour and line style of an arrow that raises its target."""
NEGATIVE = ("#c0362c", "dashed")
"""Colour and line style of an arrow that lowers its target."""
SWITCHED_OFF = ("#9e9e9e", "dotted")
"""Colour and line style of an arrow switched off by the scenario."""
COMPONENT_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e")
"""Colours of a programme's components (in the order of the programme's declaration)."""

GROUP_TITLES = {
    "context": "Eco-social context", "mother": "Mother: stress, coping, affect",
    "use_cycle": "Use cycle (Koob-Volkow) and recovery", "care": "Care", "infant": "Infant",
    "dyad": "Dyad: salience, parenting, attachment", "wellbeing": "Child well-being",
}
"""Cluster titles, one per node group."""
SPINE = (
    ("stressors", "neg_appraisal", "emotion_coping", "neg_affect", "allostatic_load", "reward_dysregulation",
     "craving", "opioid_use"),
    ("salience", "parenting", "synchrony", "attachment", "wb_psychological"),
)
"""Chains of Figure 1 that the ``dot`` layout keeps straight (heavier edge weight)."""
_STAGES = ("binge_intoxication", "withdrawal_negative_affect", "preoccupation_anticipation")
_FLOW = {"context": 0, "mother": 1, "use_cycle": 2, "care": 2, "infant": 3, "dyad": 3, "wellbeing": 4}
"""Reading order of the groups in Figure 1 (left to right); for ``dot``, arrows against it (feedback
loops) do not push nodes to later ranks, so the layout reads as the figure does."""
_PLACES = {"context": (0, 0), "mother": (1, 0), "use_cycle": (2, 0),
           "care": (0, 1), "dyad": (1, 1), "infant": (2, 1), "wellbeing": (3, 1)}
"""Fixed layout: (column, band) of each group's cluster; band 0 on top."""


def module_edges(name: str) -> list[str]:
    """Edge ids a mechanism module reads (``w[L.<edge>]`` in ``modules/<name>.py``), derived from
    its source so it never goes stale."""
    from dyadsim.model import modules

    known = {m.__name__.rsplit(".", 1)[-1] for m in modules.UPDATE_ORDER}
    if name not in known:
        raise ValueError(f"unknown module {name!r}")
    src = Path(import_module(f"dyadsim.model.modules.{name}").__file__ or "").read_text(encoding="utf-8")
    ids = {e.id for e in GRAPH.edges}
    return [e for e in dict.fromkeys(re.findall(r"\bL\.([A-Za-z_]\w*)\b", src)) if e in ids]


def neighbourhood(focus: str, depth: int = 1) -> set[str]:
    """Node ids within ``depth`` arrows (either direction) of ``focus``: a node id, a node group
    (``mother``, ``use_cycle``, ...) or a mechanism module (``appraisal``, ``use_cycle``, ...: the
    ends of the arrows it reads). Where names coincide a node wins over a group, and a group over
    a module (``salience`` is the node, ``use_cycle`` the group).

    Raises:
        ValueError: unknown ``focus`` (naming what is allowed) or negative ``depth``.
    """
    from dyadsim.model import modules

    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    node_ids = [n.id for n in GRAPH.nodes]
    groups = list(GROUP_COLOURS)
    mods = [m.__name__.rsplit(".", 1)[-1] for m in modules.UPDATE_ORDER]
    if focus in node_ids:
        seeds = {focus}
    elif focus in groups:
        seeds = {n.id for n in GRAPH.nodes if n.group == focus}
    elif focus in mods:
        edges = set(module_edges(focus))
        seeds = {e.source for e in GRAPH.edges if e.id in edges} | {e.target for e in GRAPH.edges if e.id in edges}
    else:
        raise ValueError(f"{focus!r} is not a node id (see dyadsim graph --json), a group ({', '.join(groups)}) "
                         f"or a module ({', '.join(mods)})")
    keep = set(seeds)
    frontier = set(seeds)
    for _ in range(depth):
        nxt = {e.target for e in GRAPH.edges if e.source in frontier} | {e.source for e in GRAPH.edges if e.target in frontier}
        frontier = nxt - keep
        keep |= nxt
    return keep


def graph_data(*, focus: str | None = None, depth: int = 1, **kwargs: Any) -> dict[str, Any]:
    """:func:`dyadsim.model.graph.to_dict`, cut to :func:`neighbourhood` of ``focus`` when given."""
    d = to_dict(**kwargs)
    if focus is not None:
        keep = neighbourhood(focus, depth)
        d["nodes"] = [n for n in d["nodes"] if n["id"] in keep]
        d["edges"] = [e for e in d["edges"] if e["from"] in keep and e["to"] in keep]
    return d


def component_colours(marks: Iterable[str]) -> dict[str, str]:
    """A colour per mark label (e.g. ``more.mindfulness``), in order of first appearance."""
    labels = list(dict.fromkeys(marks))
    return {lbl: COMPONENT_COLOURS[i % len(COMPONENT_COLOURS)] for i, lbl in enumerate(labels)}


def _all_marks(d: dict[str, Any]) -> list[str]:
    return [m for item in d["nodes"] + d["edges"] for m in item["marked_by"]]


def edge_style(e: dict[str, Any], colours: dict[str, str]) -> tuple[str, str, float]:
    """(colour, line style, width) of an edge of :func:`to_dict`: switched off, marked by a
    programme component (its colour, thick), or by sign."""
    if not e["enabled"]:
        return SWITCHED_OFF[0], SWITCHED_OFF[1], 1.0
    colour, style = POSITIVE if e["sign"] > 0 else NEGATIVE
    if e["marked_by"]:
        return colours[e["marked_by"][0]], style, 3.0
    return colour, style, 1.3


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_dot(d: dict[str, Any], *, title: str | None = None, edge_ids: bool = False) -> str:
    """Graphviz DOT text of a graph dict: clusters per group, styled edges, a legend node."""
    colours = component_colours(_all_marks(d))
    spine = {(a, b) for chain in SPINE for a, b in zip(chain, chain[1:])}
    groups = {n["id"]: n["group"] for n in d["nodes"]}
    out = ["digraph dyadsim {",
           f"  graph [rankdir=LR, splines=true, nodesep=0.25, ranksep=0.55, fontname=Helvetica, "
           f"fontsize=16, labelloc=t, forcelabels=true, label={_q(title or 'Mechanism graph (Reese et al. 2021, Figure 1)')}];",
           '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11, penwidth=0.8];',
           "  edge [arrowsize=1.0, fontname=Helvetica, fontsize=8];"]
    for group in GROUP_COLOURS:
        members = [n for n in d["nodes"] if n["group"] == group]
        if not members:
            continue
        out.append(f"  subgraph cluster_{group} {{")
        out.append(f'    label={_q(GROUP_TITLES[group])}; style="rounded,filled"; fillcolor="#f7f7f7"; '
                   f'color="#bdbdbd"; fontsize=13;')
        for n in members:
            mark = n["marked_by"]
            extra = f', color="{colours[mark[0]]}", penwidth=3' if mark else ""
            out.append(f'    {_q(n["id"])} [label={_q(n["label"])}, fillcolor="{GROUP_COLOURS[group]}", '
                       f'tooltip={_q(n["evidence"][:200])}{extra}];')
        out.append("  }")
    for e in d["edges"]:
        colour, style, width = edge_style(e, colours)
        attrs = [f'id={_q("edge_" + e["id"])}', f'color="{colour}"', f"style={style}", f"penwidth={width}",
                 f'tooltip={_q(e["id"] + ": " + e["evidence"][:200])}']
        if edge_ids:  # xlabel: placed after layout (a label would add rank nodes that dot 2.43 fails on)
            attrs.append(f'xlabel={_q(e["id"])}, fontcolor="{colour}"')
        attrs.append(f"weight={4 if (e['from'], e['to']) in spine else 1}")
        if _FLOW[groups[e["from"]]] > _FLOW[groups[e["to"]]]:
            attrs.append("constraint=false")
        out.append(f'  {_q(e["from"])} -> {_q(e["to"])} [{", ".join(a for a in attrs if a)}];')
    rows = [(POSITIVE[0], "solid", "raises its target (+)"), (NEGATIVE[0], "dashed", "lowers its target (-)"),
            (SWITCHED_OFF[0], "dotted", "switched off in this scenario")]
    rows += [(c, "thick", f"target of {m}") for m, c in colours.items()]
    cells = "".join(f'<TR><TD><FONT COLOR="{c}">{"&#9472;" * 3 if s != "dashed" else "- - -"} &#9654;</FONT></TD>'
                    f'<TD ALIGN="LEFT">{_html(t)} ({s})</TD></TR>' for c, s, t in rows)
    out.append("  subgraph cluster_legend {")
    out.append('    label="Legend"; style="rounded"; color="#bdbdbd";')
    out.append(f'    legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLSPACING="2">{cells}'
               f'<TR><TD COLSPAN="2" ALIGN="LEFT">box colour: node group; arrow tooltip: evidence</TD></TR></TABLE>>];')
    out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def to_graphml(d: dict[str, Any], path: Path) -> Path:
    """Write a graph dict as GraphML (every attribute a scalar: lists joined by ``;``, None as '')."""
    import networkx as nx

    def flat(v: Any) -> Any:
        if v is None:
            return ""
        if isinstance(v, (list, tuple)):
            return ";".join(str(x) for x in v)
        return v

    g = nx.MultiDiGraph()
    for n in d["nodes"]:
        g.add_node(n["id"], **{k: flat(v) for k, v in n.items() if k != "id"})
    for e in d["edges"]:
        g.add_edge(e["from"], e["to"], key=e["id"], **{k: flat(v) for k, v in e.items() if k not in ("from", "to")})
    nx.write_graphml(g, path)
    return path


def fixed_layout(d: dict[str, Any]) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float, float, float]]]:
    """Deterministic positions derived from node groups: (node -> (x, y), group -> (x0, y0, x1, y1)).

    Each group's cluster is a grid of 1-3 columns (more nodes, more columns) in declared order,
    use-cycle nodes sorted by Koob-Volkow stage; clusters sit at :data:`_PLACES`.
    """
    cell_w, cell_h, pad = 3.3, 1.15, 0.5
    members: dict[str, list[dict[str, Any]]] = {}
    for n in d["nodes"]:
        members.setdefault(n["group"], []).append(n)
    stage_rank = {s: i for i, s in enumerate(_STAGES)}
    members = {g: sorted(m, key=lambda n: stage_rank.get(n.get("stage") or "", len(_STAGES))) for g, m in members.items()}
    shape = {g: (min(3, max(1, math.ceil(len(m) / 6))), 0) for g, m in members.items()}
    shape = {g: (c, math.ceil(len(members[g]) / c)) for g, (c, _) in shape.items()}
    cols = sorted({c for c, _ in _PLACES.values()})
    col_w = {c: max([shape[g][0] for g in members if _PLACES[g][0] == c] or [1]) * cell_w + 2 * pad for c in cols}
    band_h = {b: max([shape[g][1] for g in members if _PLACES[g][1] == b] or [1]) * cell_h + 2 * pad + 0.6
              for b in (0, 1)}
    x_at = {c: sum(col_w[k] + 0.8 for k in cols if k < c) for c in cols}
    pos: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for g, ms in members.items():
        c, b = _PLACES[g]
        ncol, nrow = shape[g]
        x0 = x_at[c]
        top = -(band_h[0] + 0.8) * b
        boxes[g] = (x0, top - band_h[b], x0 + col_w[c], top)
        for k, n in enumerate(ms):
            i, j = k % ncol, k // ncol
            pos[n["id"]] = (x0 + pad + (i + 0.5) * cell_w + (col_w[c] - 2 * pad - ncol * cell_w) / 2,
                            top - 0.6 - pad - (j + 0.5) * cell_h)
    return pos, boxes


def _draw_fixed(d: dict[str, Any], path: Path, title: str, edge_ids: bool) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    colours = component_colours(_all_marks(d))
    pos, boxes = fixed_layout(d)
    x1 = max(b[2] for b in boxes.values())
    y0 = min(b[1] for b in boxes.values())
    fig, ax = plt.subplots(figsize=(max(8.0, x1 * 0.62), max(6.0, -y0 * 0.62)))
    ax.set_xlim(-0.5, x1 + 0.5)
    ax.set_ylim(y0 - 0.5, 0.8)
    for g, (bx0, by0, bx1, by1) in boxes.items():
        ax.add_patch(FancyBboxPatch((bx0, by0), bx1 - bx0, by1 - by0, boxstyle="round,pad=0.05,rounding_size=0.3",
                                    fc="#f7f7f7", ec="#bdbdbd", lw=1.0, zorder=0))
        # Titles wrap to the cluster's width (about 5.5 characters of 9 pt per layout unit).
        ax.text(bx0 + 0.25, by1 - 0.2, "\n".join(_wrap(GROUP_TITLES[g], int((bx1 - bx0) * 5.5))), fontsize=9,
                fontweight="bold", va="top", zorder=1)
    text = {}
    for n in d["nodes"]:
        x, y = pos[n["id"]]
        mark = n["marked_by"]
        text[n["id"]] = ax.text(x, y, "\n".join(_wrap(n["label"], 28)), ha="center", va="center", fontsize=7.5,
                                zorder=3, bbox=dict(boxstyle="round,pad=0.3", fc=GROUP_COLOURS[n["group"]],
                                                    ec=colours[mark[0]] if mark else "#444444", lw=2.5 if mark else 0.6))
    group = {n["id"]: n["group"] for n in d["nodes"]}
    fig.canvas.draw()  # box sizes are known only after a draw; arrows are clipped at the boxes
    for e in d["edges"]:
        colour, style, width = edge_style(e, colours)
        (xa, ya), (xb, yb) = pos[e["from"]], pos[e["to"]]
        loop = e["from"] == e["to"]
        end = (xb + 0.4, yb + 0.3) if loop else (xb, yb)
        # Arrows between groups are most of the ink: fainter and thinner, so each group's own chain
        # and every label stay readable (the dot layout, which routes them, needs no such help).
        across = group[e["from"]] != group[e["to"]]
        arrow = FancyArrowPatch((xa, ya), end, arrowstyle="-|>", mutation_scale=13 if not across else 10,
                                lw=width * (0.8 if not across else 0.5), linestyle=style,
                                color=colour, alpha=0.85 if not across else 0.35, zorder=2, connectionstyle=f"arc3,rad={0.8 if loop else 0.12}",
                                patchA=text[e["from"]].get_bbox_patch(), patchB=text[e["to"]].get_bbox_patch())
        ax.add_patch(arrow)
        if edge_ids:  # at the middle of the arrow; a loop's label sits above its node
            mid = (xa + 0.9, ya + 0.45) if loop else ((xa + end[0]) / 2, (ya + end[1]) / 2)
            ax.text(mid[0], mid[1], e["id"], fontsize=5.5, color=colour, ha="center",
                    va="center", zorder=4, bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.8))
    handles = [Line2D([], [], color=POSITIVE[0], ls=POSITIVE[1], lw=1.5, label="raises its target (+)"),
               Line2D([], [], color=NEGATIVE[0], ls=NEGATIVE[1], lw=1.5, label="lowers its target (-)"),
               Line2D([], [], color=SWITCHED_OFF[0], ls=SWITCHED_OFF[1], lw=1.5, label="switched off"),
               Line2D([], [], color=POSITIVE[0], ls=POSITIVE[1], lw=0.8, alpha=0.35, label="faint: between groups")]
    handles += [Line2D([], [], color=c, lw=3, label=f"target of {m}") for m, c in colours.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9,
              title="Legend (box colour: node group)", framealpha=1)
    ax.axis("off")
    ax.set_title(title, fontsize=13)
    fig.savefig(path, bbox_inches="tight", dpi=110 if path.suffix.lower() == ".png" else None)
    plt.close(fig)


def _wrap(s: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in s.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}".strip()
    return lines + [cur] if cur else lines


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on the PATH."""
    return shutil.which("dot") is not None


GRAPHVIZ_MISSING = ("Graphviz's dot is not installed, so the graph is drawn in the fixed layout by node group, "
                    "whose arrows between groups crowd; for the layered layout install Graphviz (Debian/Ubuntu: "
                    "apt-get install graphviz; macOS: brew install graphviz; conda: conda install -c conda-forge "
                    "graphviz) and draw again, or draw one neighbourhood with --focus NODE")
"""What ``dyadsim graph`` says when ``--layout auto`` falls back to the fixed layout."""


def falls_back(path: str | Path, layout: str) -> bool:
    """Whether drawing ``path`` with ``layout`` uses the fixed layout only because Graphviz is missing."""
    return layout == "auto" and Path(path).suffix.lower() in DRAW_SUFFIXES and not dot_available()


def draw(path: str | Path, *, marked: dict[str, list[str]] | None = None, title: str | None = None,
         edge_ids: bool = False, focus: str | None = None, depth: int = 1, layout: str = "auto",
         **kwargs: Any) -> Path:
    """Draw (``.svg``, ``.png``, ``.pdf``) or export (``.dot``, ``.gv``, ``.graphml``) the graph.

    Args:
        path: output file; its suffix chooses the format.
        marked: ``{node_or_edge_id: [labels]}``, e.g. a programme's components; one colour per label.
        title: figure title (default: the Figure 1 title).
        edge_ids: label every arrow with its id (the key under a scenario's ``links:``).
        focus, depth: draw only :func:`neighbourhood` ``(focus, depth)``.
        layout: ``"auto"`` (``dot`` when installed), ``"dot"`` (required) or ``"fixed"``.
        kwargs: ``strengths`` and ``enabled`` of a scenario (see :func:`dyadsim.model.graph.to_dict`).
    Raises:
        ValueError: an unknown suffix, layout or focus, or ``layout="dot"`` without Graphviz.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in DRAW_SUFFIXES + EXPORT_SUFFIXES:
        raise ValueError(f"graph output {path}: suffix must be one of {', '.join(DRAW_SUFFIXES + EXPORT_SUFFIXES)}")
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} must be one of {', '.join(LAYOUTS)}")
    d = graph_data(focus=focus, depth=depth, marked=marked, **kwargs)
    title = title or ("Mechanism graph (Reese et al. 2021, Figure 1)" + (f": around {focus}" if focus else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".dot", ".gv"):
        path.write_text(to_dot(d, title=title, edge_ids=edge_ids), encoding="utf-8")
        return path
    if suffix == ".graphml":
        return to_graphml(d, path)
    use_dot = layout == "dot" or (layout == "auto" and dot_available())
    if use_dot:
        if not dot_available():
            raise ValueError("layout 'dot' needs Graphviz's dot on the PATH (Debian: apt-get install graphviz)")
        text = to_dot(d, title=title, edge_ids=edge_ids)
        if suffix == ".png":
            text = text.replace("graph [rankdir=LR,", "graph [rankdir=LR, dpi=96,", 1)
        done = subprocess.run(["dot", f"-T{suffix[1:]}", "-o", str(path)], input=text.encode("utf-8"),
                              capture_output=True, timeout=120)
        if done.returncode == 0:
            return path
        path.unlink(missing_ok=True)
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        if layout == "dot":
            raise ValueError(f"Graphviz dot failed: {why[0] if why else 'no message'}")
        warnings.warn(f"Graphviz dot failed ({why[0] if why else 'no message'}); using the fixed layout",
                      RuntimeWarning, stacklevel=2)
    _draw_fixed(d, path, title, edge_ids)
    return path

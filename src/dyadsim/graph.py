"""The mechanism graph (Figure 1 of Reese et al. 2021) as data.

``data/graph.yaml`` declares every construct (node) and arrow (edge) once. This module validates
it, exposes the edge indices ``L`` used by the mechanism modules (``w[L.craving_use]`` is the signed
strength of the craving -> opioid use arrow), registers each node's time constant as a parameter
``tau.<node>``, and turns the graph into JSON, a networkx graph and a drawing.
"""
from __future__ import annotations

import json
from collections import namedtuple
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .registry import Param, declare_params, derived_prior

GROUP_COLOURS = {
    "context": "#d9d9d9",
    "mother": "#9ecae1",
    "use_cycle": "#fc9272",
    "care": "#a1d99b",
    "infant": "#fdd0a2",
    "dyad": "#dadaeb",
    "wellbeing": "#c7e9c0",
}


class Node(BaseModel):
    """A construct of Figure 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    group: Literal["context", "mother", "use_cycle", "care", "infant", "dyad", "wellbeing"]
    unit: str
    evidence: str
    stage: str | None = None
    tau_days: float | None = Field(default=None, gt=0)
    tau_range: tuple[float, float] | None = None
    tau_source: str | None = None

    @model_validator(mode="after")
    def _tau_complete(self) -> "Node":
        if self.tau_days is not None and (self.tau_range is None or self.tau_source is None):
            raise ValueError(f"node {self.id}: tau_days needs tau_range and tau_source")
        return self


class Edge(BaseModel):
    """An arrow of Figure 1: its sign, default strength, plausible range, unit and source."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    id: str
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    sign: Literal[-1, 1]
    strength: float = Field(ge=0)
    range: tuple[float, float]
    unit: str
    evidence: str
    strength_source: str = "assumed"

    @property
    def prior_dist(self) -> str:
        """Prior of the strength for calibration and sensitivity analysis, bounded by ``range``
        (see :func:`dyadsim.registry.derived_prior`)."""
        return derived_prior(*self.range)

    @model_validator(mode="after")
    def _in_range(self) -> "Edge":
        lo, hi = self.range
        if not lo <= self.strength <= hi:
            raise ValueError(f"edge {self.id}: strength {self.strength} outside range [{lo}, {hi}]")
        return self


class Graph(BaseModel):
    """The whole declaration: nodes and edges, with referential checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    nodes: list[Node]
    edges: list[Edge]

    @model_validator(mode="after")
    def _check_refs(self) -> "Graph":
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate node id")
        eids = [e.id for e in self.edges]
        if len(set(eids)) != len(eids):
            raise ValueError("duplicate edge id")
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in ids:
                    raise ValueError(f"edge {e.id}: unknown node {end!r}")
        return self

    def node(self, node_id: str) -> Node:
        """Look up a node by id."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


def _load() -> Graph:
    text = resources.files("dyadsim").joinpath("data/graph.yaml").read_text(encoding="utf-8")
    return Graph.model_validate(yaml.safe_load(text))


GRAPH: Graph = _load()
"""The validated mechanism graph."""

EDGE_IDS: tuple[str, ...] = tuple(e.id for e in GRAPH.edges)
L = namedtuple("Links", EDGE_IDS)(*range(len(EDGE_IDS)))  # type: ignore[misc]
"""Edge indices into the signed-strength vector ``w``."""

# Node time constants are parameters like any other (calibration and sensitivity set them).
TAU = declare_params(
    "tau",
    tuple(
        Param(n.id, float(n.tau_days), "days", float(n.tau_range[0]), float(n.tau_range[1]),
              str(n.tau_source), f"relaxation time of {n.label}")
        for n in GRAPH.nodes
        if n.tau_days is not None and n.tau_range is not None
    ),
)


def default_strengths() -> dict[str, float]:
    """Default strength (magnitude) of every edge."""
    return {e.id: e.strength for e in GRAPH.edges}


def signed_strengths(strengths: dict[str, float], enabled: dict[str, bool]) -> np.ndarray:
    """The vector ``w`` the engine reads: sign x strength, or 0 for a switched-off edge."""
    w = np.zeros(len(EDGE_IDS), dtype=np.float64)
    for i, e in enumerate(GRAPH.edges):
        on = enabled.get(e.id, True)
        w[i] = e.sign * strengths.get(e.id, e.strength) if on else 0.0
    return w


def to_dict(strengths: dict[str, float] | None = None, enabled: dict[str, bool] | None = None,
            marked: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The graph as ``{"nodes": [...], "edges": [...]}`` (the ``dyadsim graph --json`` format).

    Args:
        strengths, enabled: current values (defaults if None).
        marked: optional ``{edge_or_node_id: [labels]}`` (e.g. intervention targets).
    """
    strengths = strengths or {}
    enabled = enabled or {}
    marked = marked or {}
    nodes = []
    for n in GRAPH.nodes:
        d = n.model_dump()
        d["marked_by"] = marked.get(n.id, [])
        nodes.append(d)
    edges = []
    for e in GRAPH.edges:
        tgt = GRAPH.node(e.target)
        edges.append({
            "id": e.id, "from": e.source, "to": e.target, "sign": e.sign,
            "strength": strengths.get(e.id, e.strength), "enabled": enabled.get(e.id, True),
            "range": list(e.range), "unit": e.unit,
            "tau_days": tgt.tau_days, "evidence": e.evidence,
            "strength_source": e.strength_source, "marked_by": marked.get(e.id, []),
        })
    return {"nodes": nodes, "edges": edges}


def to_json(**kwargs: Any) -> str:
    """JSON text of :func:`to_dict`."""
    return json.dumps(to_dict(**kwargs), indent=2)


def to_networkx(**kwargs: Any) -> Any:
    """A ``networkx.MultiDiGraph`` with the node and edge attributes of :func:`to_dict`."""
    import networkx as nx

    d = to_dict(**kwargs)
    g = nx.MultiDiGraph()
    for n in d["nodes"]:
        g.add_node(n["id"], **{k: v for k, v in n.items() if k != "id"})
    for e in d["edges"]:
        g.add_edge(e["from"], e["to"], key=e["id"], **{k: v for k, v in e.items() if k not in ("from", "to")})
    return g


# Columns of the drawing, left to right: the causal flow of Figure 1.
_COLUMNS = {
    "context": 0, "mother": 1, "care": 2, "use_cycle": 2, "infant": 3, "dyad": 3, "wellbeing": 4,
}


def draw(path: str | Path, marked: dict[str, list[str]] | None = None, title: str | None = None,
         **kwargs: Any) -> Path:
    """Draw the graph to ``path`` (format from the suffix: .svg, .png or .pdf).

    Nodes are laid out in columns following Figure 1 (context -> mother -> use cycle and care ->
    infant and dyad -> well-being); positive arrows are solid, negative dashed, switched-off grey.
    Nodes and edges in ``marked`` (for example MORE's targets) are outlined in a thick colour.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    path = Path(path)
    if path.suffix.lower() not in (".svg", ".png", ".pdf"):
        raise ValueError(f"graph output {path}: suffix must be .svg, .png or .pdf")
    marked = marked or {}
    d = to_dict(marked=marked, **kwargs)
    cols: dict[int, list[dict[str, Any]]] = {}
    for n in d["nodes"]:
        cols.setdefault(_COLUMNS[n["group"]], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for c, members in cols.items():
        for k, n in enumerate(members):
            pos[n["id"]] = (c * 4.2, -(k - (len(members) - 1) / 2) * 1.0)
    height = max(len(m) for m in cols.values())
    fig, ax = plt.subplots(figsize=(22, max(8, 0.62 * height)))
    ax.set_xlim(-2.2, 4 * 4.2 + 2.2)
    ax.set_ylim(-height / 2 - 0.5, height / 2 + 0.5)
    boxes = {}
    for n in d["nodes"]:
        x, y = pos[n["id"]]
        is_marked = bool(n["marked_by"])
        boxes[n["id"]] = ax.text(x, y, n["label"], ha="center", va="center", fontsize=7.5, zorder=3,
                                 bbox=dict(boxstyle="round,pad=0.3", fc=GROUP_COLOURS[n["group"]],
                                           ec="#6a3d9a" if is_marked else "#444444", lw=2.5 if is_marked else 0.6))
    fig.canvas.draw()  # lay the boxes out so arrows can be clipped at their edges
    for e in d["edges"]:
        (x0, y0), (x1, y1) = pos[e["from"]], pos[e["to"]]
        is_marked = bool(e["marked_by"])
        colour = "#999999" if not e["enabled"] else ("#6a3d9a" if is_marked else ("#2b8cbe" if e["sign"] > 0 else "#e34a33"))
        # Arrows within a column bow out sideways; a loop on one node is drawn as a small arc.
        same_col = abs(x1 - x0) < 1e-9
        rad = 0.6 if e["from"] == e["to"] else (0.35 if same_col else 0.06)
        end = (x1 + 0.01, y1 + 0.3) if e["from"] == e["to"] else (x1, y1)
        ax.add_patch(FancyArrowPatch(
            (x0, y0), end, arrowstyle="-|>", mutation_scale=9, lw=2.6 if is_marked else 0.7,
            linestyle="-" if e["sign"] > 0 else "--", color=colour, alpha=0.75, zorder=2 if is_marked else 1,
            connectionstyle=f"arc3,rad={rad}", patchA=boxes[e["from"]].get_bbox_patch(),
            patchB=boxes[e["to"]].get_bbox_patch()))
    ax.axis("off")
    ax.set_title(title or "dyadsim mechanism graph (Reese et al. 2021, Figure 1): solid +, dashed -",
                 fontsize=12)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path

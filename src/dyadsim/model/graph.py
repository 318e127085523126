"""The mechanism graph (Figure 1 of Reese et al. 2021) as data.

``data/graph.yaml`` declares every construct (node) and arrow (edge) once. This module validates
it, exposes the edge indices ``L`` used by the mechanism modules (``w[L.craving_use]`` is the signed
strength of the craving -> opioid use arrow), registers each node's time constant as a parameter
``tau.<node>``, and turns the graph into JSON and a networkx graph (drawings and DOT/GraphML
exports: :mod:`dyadsim.report.graph_draw`).
"""
from __future__ import annotations

import json
from collections import namedtuple
from importlib import resources
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dyadsim.core.registry import Param, declare_params, derived_prior

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
        (see :func:`dyadsim.core.registry.derived_prior`)."""
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

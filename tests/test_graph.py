"""The mechanism graph (data/graph.yaml): referential integrity, evidence, use by the modules, export."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

import dyadsim
from dyadsim.model import graph
from dyadsim.report import graph_draw
from dyadsim.model.graph import EDGE_IDS, GRAPH, TAU, L
from dyadsim.model.params import ParamSet  # noqa: F401  (registers every module)
from dyadsim.core.registry import PARAMS

MODULES_DIR = Path(dyadsim.__file__).resolve().parent / "model" / "modules"

FIGURE_1 = (
    "stressors", "neg_appraisal", "problem_coping", "emotion_coping", "pos_affect", "neg_affect",
    "allostatic_load", "stress_sensitization", "reward_dysregulation", "attentional_bias", "cue_reactivity",
    "craving", "withdrawal", "intoxication", "opioid_use", "tolerance", "salience", "parenting",
    "infant_distress", "nows", "synchrony", "attachment", "wb_physical", "wb_psychological", "wb_cognitive",
    "wb_social", "wb_economic",
)

NODE_IDS = {n.id for n in GRAPH.nodes}


def test_node_and_edge_ids_unique():
    assert len(NODE_IDS) == len(GRAPH.nodes)
    assert len(set(EDGE_IDS)) == len(EDGE_IDS) == len(GRAPH.edges)


@pytest.mark.parametrize("edge", GRAPH.edges, ids=lambda e: e.id)
def test_edge_references_known_nodes(edge):
    assert edge.source in NODE_IDS, f"{edge.id}: unknown source {edge.source}"
    assert edge.target in NODE_IDS, f"{edge.id}: unknown target {edge.target}"


@pytest.mark.parametrize("edge", GRAPH.edges, ids=lambda e: e.id)
def test_edge_has_evidence_sign_and_strength_in_range(edge):
    assert edge.evidence.strip(), f"{edge.id}: no evidence text"
    assert edge.unit.strip(), f"{edge.id}: no unit"
    assert edge.strength_source.strip(), f"{edge.id}: no strength source"
    assert edge.sign in (-1, 1)
    lo, hi = edge.range
    assert 0.0 <= lo <= hi, f"{edge.id}: bad range {edge.range}"
    assert lo <= edge.strength <= hi, f"{edge.id}: strength {edge.strength} outside {edge.range}"


@pytest.mark.parametrize("node_id", FIGURE_1)
def test_figure_1_construct_is_a_node(node_id):
    assert node_id in NODE_IDS


def test_every_node_is_connected():
    ends = {e.source for e in GRAPH.edges} | {e.target for e in GRAPH.edges}
    assert sorted(NODE_IDS - ends) == []


def test_every_node_has_evidence():
    assert [n.id for n in GRAPH.nodes if not n.evidence.strip()] == []


def test_tau_nodes_are_parameters():
    """Every node with a time constant is the parameter ``tau.<node>`` with that default and range."""
    for n in GRAPH.nodes:
        if n.tau_days is None:
            assert f"tau.{n.id}" not in PARAMS
            continue
        par = PARAMS[f"tau.{n.id}"]
        assert par.default == n.tau_days
        assert (par.low, par.high) == tuple(n.tau_range)
        assert getattr(TAU, n.id) == list(PARAMS).index(f"tau.{n.id}")


def test_link_indices_follow_declaration_order():
    assert tuple(L._fields) == EDGE_IDS
    assert list(L) == list(range(len(EDGE_IDS)))


def test_signed_strengths_apply_sign_and_switch():
    strengths = graph.default_strengths()
    w = graph.signed_strengths(strengths, {})
    for e in GRAPH.edges:
        assert w[getattr(L, e.id)] == e.sign * e.strength
    off = graph.signed_strengths(strengths, {"craving_use": False})
    assert off[L.craving_use] == 0.0
    assert np.array_equal(np.delete(off, L.craving_use), np.delete(w, L.craving_use))


def _module_sources() -> str:
    files = sorted(MODULES_DIR.glob("*.py"))
    assert len(files) > 10, f"module sources not found under {MODULES_DIR}"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def test_no_dead_edges():
    """Every declared arrow is read by some module (``L.<edge_id>`` in modules/*.py)."""
    src = _module_sources()
    dead = [e for e in EDGE_IDS if not re.search(rf"\bL\.{re.escape(e)}\b", src)]
    assert dead == [], f"edges declared in graph.yaml but used by no module: {dead}"


def test_no_undeclared_edges_in_modules():
    """Conversely, modules read only declared edges (an unknown name would fail at import anyway)."""
    used = set(re.findall(r"\bL\.([A-Za-z_][A-Za-z0-9_]*)\b", _module_sources()))
    assert used <= set(EDGE_IDS), sorted(used - set(EDGE_IDS))


def test_to_dict_json_format():
    d = graph.to_dict()
    assert set(d) >= {"nodes", "edges"}
    assert len(d["nodes"]) == len(GRAPH.nodes) and len(d["edges"]) == len(GRAPH.edges)
    for n in d["nodes"]:
        assert {"id", "label"} <= set(n)
        assert isinstance(n["id"], str) and n["label"]
    for e in d["edges"]:
        assert {"from", "to", "sign", "strength", "evidence"} <= set(e)
        assert e["from"] in NODE_IDS and e["to"] in NODE_IDS
        assert e["sign"] in (-1, 1)
    # Round-trips through JSON text.
    assert json.loads(graph.to_json()) == json.loads(json.dumps(d))


def test_to_dict_reflects_current_values():
    ps = ParamSet()
    ps.set("links.craving_use.strength", 3.0)
    ps.set("links.moud_use.enabled", False)
    d = graph.to_dict(strengths=ps.strengths, enabled=ps.enabled, marked={"craving": ["MORE"]})
    edges = {e["id"]: e for e in d["edges"]}
    assert edges["craving_use"]["strength"] == 3.0
    assert edges["moud_use"]["enabled"] is False
    assert next(n for n in d["nodes"] if n["id"] == "craving")["marked_by"] == ["MORE"]


def test_to_networkx_has_every_edge():
    g = graph.to_networkx()
    assert g.number_of_nodes() == len(GRAPH.nodes)
    assert g.number_of_edges() == len(GRAPH.edges)


def test_yaml_file_is_the_validated_graph():
    raw = yaml.safe_load((Path(dyadsim.__file__).resolve().parent / "data" / "graph.yaml").read_text())
    assert [e["id"] for e in raw["edges"]] == list(EDGE_IDS)


def test_validation_rejects_unknown_node_and_bad_strength():
    raw = graph.to_dict()
    nodes = [{k: v for k, v in n.items() if k != "marked_by"} for n in raw["nodes"]]
    good = [{"id": e["id"], "from": e["from"], "to": e["to"], "sign": e["sign"], "strength": e["strength"],
             "range": e["range"], "unit": e["unit"], "evidence": e["evidence"]} for e in raw["edges"]]
    graph.Graph.model_validate({"nodes": nodes, "edges": good})  # the exported graph is valid input
    bad = [dict(good[0], to="no_such_node")] + good[1:]
    with pytest.raises(ValidationError, match="unknown node"):
        graph.Graph.model_validate({"nodes": nodes, "edges": bad})
    bad = [dict(good[0], strength=good[0]["range"][1] + 1.0)] + good[1:]
    with pytest.raises(ValidationError, match="outside range"):
        graph.Graph.model_validate({"nodes": nodes, "edges": bad})
    bad = [dict(good[0], sign=0)] + good[1:]
    with pytest.raises(ValidationError):
        graph.Graph.model_validate({"nodes": nodes, "edges": bad})


@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_draw_writes_non_empty_file(tmp_path, suffix):
    out = graph_draw.draw(tmp_path / f"g{suffix}", marked={"craving_use": ["MORE"]})
    assert out == tmp_path / f"g{suffix}"
    assert out.exists() and out.stat().st_size > 1000
    head = out.read_bytes()[:200]
    if suffix == ".png":
        assert head.startswith(b"\x89PNG")
    else:
        assert b"<svg" in out.read_bytes()


def test_draw_rejects_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        graph_draw.draw(tmp_path / "g.gif")
    assert not (tmp_path / "g.gif").exists()

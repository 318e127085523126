"""Drawings and exports of the mechanism graph: valid files, both layouts, focus, programme colours."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from dyadsim.report import graph_draw as gd
from dyadsim.cli import main
from dyadsim.model.graph import GRAPH, GROUP_COLOURS
from dyadsim.model.modules.programs import TARGETS

HAS_DOT = gd.dot_available()


def _more_marks() -> dict[str, list[str]]:
    marked: dict[str, list[str]] = {}
    for comp, ids in TARGETS["more"].items():
        for i in ids:
            marked.setdefault(i, []).append(f"more.{comp}")
    return marked


def _neighbours(node: str) -> set[str]:
    return {node} | {e.target for e in GRAPH.edges if e.source == node} | {e.source for e in GRAPH.edges if e.target == node}


def test_neighbourhood_of_node_group_and_module() -> None:
    assert gd.neighbourhood("craving", 0) == {"craving"}
    assert gd.neighbourhood("craving", 1) == _neighbours("craving")
    two = set().union(*(_neighbours(n) for n in _neighbours("craving")))
    assert gd.neighbourhood("craving", 2) == two
    assert gd.neighbourhood("wellbeing", 0) == {n.id for n in GRAPH.nodes if n.group == "wellbeing"}
    reads = gd.module_edges("salience")
    assert reads and all(e in {x.id for x in GRAPH.edges} for e in reads)
    ends = {x.source for x in GRAPH.edges if x.id in reads} | {x.target for x in GRAPH.edges if x.id in reads}
    assert gd.neighbourhood("salience", 0) == {"salience"}  # the node wins over the module of that name
    assert gd.neighbourhood("appraisal", 0) == {x.source for x in GRAPH.edges if x.id in gd.module_edges("appraisal")} \
        | {x.target for x in GRAPH.edges if x.id in gd.module_edges("appraisal")}
    assert "salience" in ends
    with pytest.raises(ValueError, match="not a node id.*group.*module"):
        gd.neighbourhood("no_such_thing")
    with pytest.raises(ValueError, match="depth"):
        gd.neighbourhood("craving", -1)


def test_dot_export_reads_back_with_every_edge_and_style(tmp_path: Path) -> None:
    pytest.importorskip("pydot")
    path = gd.draw(tmp_path / "c.dot", focus="craving", depth=1, edge_ids=True, marked=_more_marks())
    g = nx.nx_pydot.read_dot(path)
    keep = gd.neighbourhood("craving", 1)
    want = {(e.source, e.target, f"edge_{e.id}") for e in GRAPH.edges if e.source in keep and e.target in keep}
    got = {(a, b, d["id"].strip('"')) for a, b, d in g.edges(data=True)}
    assert got == want
    sign = {f"edge_{e.id}": e.sign for e in GRAPH.edges}
    for _, _, d in g.edges(data=True):
        eid = d["id"].strip('"')
        assert d["style"] == ("solid" if sign[eid] > 0 else "dashed"), eid
        assert d["xlabel"].strip('"') == eid[len("edge_"):]  # --edge-ids


def test_graphml_export_reads_back_with_marks(tmp_path: Path) -> None:
    path = gd.draw(tmp_path / "g.graphml", marked=_more_marks())
    g = nx.read_graphml(path)
    assert set(g.nodes) == {n.id for n in GRAPH.nodes}
    assert g.number_of_edges() == len(GRAPH.edges)
    assert g.nodes["craving"]["marked_by"] == "more.mindfulness"
    assert g.nodes["salience"]["group"] == "dyad"
    signs = {d["id"]: d["sign"] for _, _, d in g.edges(data=True)}
    assert signs == {e.id: e.sign for e in GRAPH.edges}


def test_programme_components_get_distinct_colours() -> None:
    d = gd.graph_data(marked=_more_marks())
    colours = gd.component_colours(m for x in d["nodes"] + d["edges"] for m in x["marked_by"])
    assert set(colours) == {f"more.{c}" for c in TARGETS["more"]}
    assert len(set(colours.values())) == len(colours)
    dot = gd.to_dot(d)
    for comp in TARGETS["more"]:
        assert f"target of more.{comp}" in dot  # legend row per component
    edges = {e["id"]: e for e in d["edges"]}
    assert gd.edge_style(edges["craving_use"], colours)[0] in (gd.POSITIVE[0], colours["more.mindfulness"])
    marked = next(e for e in d["edges"] if e["marked_by"])
    assert gd.edge_style(marked, colours)[0] == colours[marked["marked_by"][0]]
    off = dict(edges["craving_use"], enabled=False)
    assert gd.edge_style(off, colours)[:2] == gd.SWITCHED_OFF


def test_fixed_layout_is_deterministic_and_by_group() -> None:
    d = gd.graph_data()
    pos, boxes = gd.fixed_layout(d)
    assert (pos, boxes) == gd.fixed_layout(gd.graph_data())
    assert set(boxes) == set(GROUP_COLOURS)
    assert len(set(pos.values())) == len(pos) == len(GRAPH.nodes)
    for n in GRAPH.nodes:
        x0, y0, x1, y1 = boxes[n.group]
        x, y = pos[n.id]
        assert x0 < x < x1 and y0 < y < y1, n.id
    # Figure 1's reading: the mother's stress above the dyad, the use cycle right of the mother.
    assert boxes["mother"][1] > boxes["dyad"][3]
    assert boxes["use_cycle"][0] > boxes["mother"][2]


def test_fallback_when_dot_is_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gd.shutil, "which", lambda name: None)
    assert not gd.dot_available()
    out = gd.draw(tmp_path / "g.svg", focus="craving", edge_ids=True)  # auto falls back
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = out.read_text()
    assert "Matplotlib" in text and "graphviz" not in text.lower()
    assert "craving_use" in text  # edge ids drawn
    with pytest.raises(ValueError, match="needs Graphviz"):
        gd.draw(tmp_path / "h.svg", layout="dot")


def test_fixed_layout_png_of_whole_graph(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    out = gd.draw(tmp_path / "g.png", layout="fixed", marked=_more_marks())
    img = mpimg.imread(out)
    assert img.shape[0] > 500 and img.shape[1] > 1000


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz dot not installed")
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_dot_layout_renders(tmp_path: Path, suffix: str) -> None:
    focus = "craving" if suffix == ".png" else None  # a small PNG: rendering the whole graph takes seconds
    out = gd.draw(tmp_path / f"g{suffix}", layout="dot", marked=_more_marks(), edge_ids=True, focus=focus)
    data = out.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
        return
    root = ET.fromstring(data)
    assert root.tag.endswith("svg") and b"Generated by graphviz" in data
    ids = {el.get("id") for el in root.iter() if el.get("id", "").startswith("edge_")}
    assert ids == {f"edge_{e.id}" for e in GRAPH.edges}
    assert b"Legend" in data and b"cluster_use_cycle" in data


def test_cli_graph_options(tmp_path: Path) -> None:
    run = CliRunner().invoke
    res = run(main, ["graph", "--intervention", "more", "--out", str(tmp_path / "m.graphml")])
    assert res.exit_code == 0, res.output
    assert nx.read_graphml(tmp_path / "m.graphml").nodes["craving"]["marked_by"] == "more.mindfulness"
    res = run(main, ["graph", "--json", "--focus", "craving", "--depth", "0"])
    assert res.exit_code == 0 and [n["id"] for n in json.loads(res.output)["nodes"]] == ["craving"]
    res = run(main, ["graph", "--focus", "nowhere", "--out", str(tmp_path / "x.svg")])
    assert res.exit_code == 2 and "--focus" in res.output and "group" in res.output
    assert not (tmp_path / "x.svg").exists()
    res = run(main, ["graph", "--depth", "-1", "--json"])
    assert res.exit_code == 2 and "--depth" in res.output
    res = run(main, ["graph", "--focus", "use_cycle", "--depth", "0", "--edge-ids", "--layout", "fixed",
                     "--out", str(tmp_path / "u.svg")])
    assert res.exit_code == 0, res.output
    ET.parse(tmp_path / "u.svg")


def test_dot_failure_falls_back_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    monkeypatch.setattr(gd.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(gd.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 1, b"", b"Error: trouble in init_rank"))
    with pytest.warns(RuntimeWarning, match="init_rank"):
        out = gd.draw(tmp_path / "g.svg", focus="craving", depth=0)
    assert "Matplotlib" in out.read_text()
    with pytest.raises(ValueError, match="init_rank"):
        gd.draw(tmp_path / "h.svg", focus="craving", depth=0, layout="dot")
    assert not (tmp_path / "h.svg").exists()

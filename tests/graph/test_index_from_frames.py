"""The index built from the store's tables answers exactly like the one built from networkx."""

from __future__ import annotations

import pandas as pd

from workbench.graph.build import graph_from_frames
from workbench.graph.index import GraphIndex

NODES = pd.DataFrame({
    "id": ["a", "a:f", "b", "b:g", "c", "ext:x"],
    "kind": ["module", "function", "module", "function", "module", "external"],
    "name": ["a", "f", "b", "g", "c", "x"],
    "path": ["a.py", "a.py", "b.py", "b.py", "c.py", None],
})
EDGES = pd.DataFrame({
    "src": ["a", "b", "c", "a", "b", "a:f", "c"],
    "dst": ["b", "c", "a", "a:f", "b:g", "b:g", "ext:x"],
    "kind": ["imports", "imports", "imports", "contains", "contains", "calls", "depends_on"],
    "weight": [1, 2, 1, 1, 1, 3, 1],
    "line": [1, 4, 2, None, None, 7, 3],
})


def test_from_frames_matches_the_graph_built_index():
    direct = GraphIndex.from_frames(NODES, EDGES)
    via_graph = GraphIndex(graph_from_frames(NODES, EDGES))
    for node in ("a", "b:g", "c"):
        pd.testing.assert_frame_equal(direct.related(node, depth=2), via_graph.related(node, depth=2))
        pd.testing.assert_frame_equal(direct.impact(node), via_graph.impact(node))
    pd.testing.assert_frame_equal(direct.cycles(), via_graph.cycles())
    assert direct.paths("a", "c") == via_graph.paths("a", "c") == [["a", "b", "c"]]
    assert direct.resolve("b.py") == "b" and direct.resolve("g") == "b:g"
    assert sorted(direct.collapse(depth=1).edges(data="weight")) == sorted(
        via_graph.collapse(depth=1).edges(data="weight"))

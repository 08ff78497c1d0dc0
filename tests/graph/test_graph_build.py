import math

import numpy as np
import pandas as pd

from workbench.graph.build import graph_from_frames


def test_frames_become_a_multidigraph_keyed_by_edge_kind():
    nodes = pd.DataFrame(
        {
            "id": ["a", "b", "a:f"],
            "kind": ["module", "module", "function"],
            "name": ["a", "b", "f"],
            "path": ["a.py", "b.py", None],
            "line_start": [1.0, np.nan, 3.0],
            "line_end": [9, 9, 5],
            "language": ["python"] * 3,
            "complexity": [np.nan, np.nan, 4.5],
        }
    )
    edges = pd.DataFrame(
        {
            "src": ["a", "a", "a"],
            "dst": ["b", "b", "a:f"],
            "kind": ["imports", "depends_on", "contains"],
            "weight": [2, 1, 1],
            "line": [3.0, np.nan, np.nan],
        }
    )
    g = graph_from_frames(nodes, edges)
    assert g.is_multigraph() and g.is_directed()
    assert g.nodes["a"] == {
        "kind": "module",
        "name": "a",
        "path": "a.py",
        "line_start": 1,
        "line_end": 9,
        "language": "python",
    }
    assert type(g.nodes["a"]["line_start"]) is int
    assert "line_start" not in g.nodes["b"]
    assert g.nodes["a:f"]["complexity"] == 4.5
    assert g.edges["a", "b", "imports"] == {"kind": "imports", "weight": 2, "line": 3}
    assert g.edges["a", "b", "depends_on"] == {"kind": "depends_on", "weight": 1}
    assert not any(
        isinstance(v, float) and math.isnan(v) for _, _, d in g.edges(data=True) for v in d.values()
    )


def test_edge_to_unknown_node_adds_it():
    nodes = pd.DataFrame({"id": ["a"], "kind": ["module"]})
    edges = pd.DataFrame({"src": ["a"], "dst": ["ext:x"], "kind": ["imports"], "weight": [1], "line": [1]})
    g = graph_from_frames(nodes, edges)
    assert set(g.nodes) == {"a", "ext:x"}
    assert g.nodes["ext:x"] == {}

import json

import networkx as nx
import numpy as np
import pytest
from conftest import make_graph

from workbench.graph.export import (
    collapsed_dot,
    node_link_json,
    sanitize,
    write_gexf,
    write_graphml,
    write_node_link_json,
)


@pytest.fixture
def decorated(sample):
    """The sample map with attribute values the formats cannot hold as they are."""
    sample.nodes["util"]["tags"] = ["a", "b"]
    sample.nodes["util"]["score"] = float("nan")
    sample.nodes["util"]["owner"] = None
    sample.nodes["app.web"]["loc"] = np.int64(40)
    sample.nodes["util"]["loc"] = 2.5  # int on one node, float on another
    sample.graph["name"] = "sample"
    return sample


def edge_set(g):
    return {(u, v, d["kind"]) for u, v, d in g.edges(data=True)}


def test_sanitize_drops_missing_and_unifies_types(decorated):
    clean = sanitize(decorated)
    assert clean.nodes["util"]["tags"] == '["a", "b"]'
    assert "score" not in clean.nodes["util"] and "owner" not in clean.nodes["util"]
    assert clean.nodes["app.web"]["loc"] == 40.0 and type(clean.nodes["app.web"]["loc"]) is float
    assert edge_set(clean) == edge_set(decorated)
    assert "tags" in decorated.nodes["util"]  # the original is untouched


def test_graphml_round_trip(decorated, tmp_path):
    path = tmp_path / "map.graphml"
    write_graphml(decorated, path)
    back = nx.read_graphml(path, force_multigraph=True, edge_key_type=str)
    assert set(back.nodes) == set(decorated.nodes)
    assert edge_set(back) == edge_set(decorated)
    assert back.nodes["util"]["tags"] == '["a", "b"]'
    assert back.edges["util", "ext:requests", "imports"]["line"] == 1
    assert back.nodes["app.web"]["kind"] == "module"


def test_gexf_round_trip(decorated, tmp_path):
    path = tmp_path / "map.gexf"
    write_gexf(decorated, path)
    back = nx.read_gexf(path)
    assert set(back.nodes) == set(decorated.nodes)
    assert edge_set(back) == edge_set(decorated)
    assert back.nodes["util"]["loc"] == 2.5
    assert back.nodes["services.users:UserService.find"]["kind"] == "function"


def test_node_link_json_round_trip(decorated, tmp_path):
    text = node_link_json(decorated)
    assert "NaN" not in text
    back = nx.node_link_graph(json.loads(text), directed=True, multigraph=True, edges="edges")
    assert set(back.nodes) == set(decorated.nodes)
    assert edge_set(back) == edge_set(decorated)
    assert back.nodes["util"]["tags"] == '["a", "b"]'
    assert back.graph["name"] == "sample"
    path = tmp_path / "map.json"
    write_node_link_json(decorated, path)
    assert path.read_text() == text


def test_collapsed_dot_text(sample):
    dot = collapsed_dot(sample, depth=1, name='my "map"')
    assert dot.startswith('digraph "my \\"map\\"" {\n')
    assert '  "services" [label="services\\n3 modules"];' in dot
    assert '  "util" [label="util\\n1 module"];' in dot
    assert '  "app" -> "services" [label="1", penwidth=1.00];' in dot
    assert dot.count("->") == 5
    assert dot.endswith("}\n")


def test_dot_quotes_awkward_ids():
    g = make_graph(
        [('we"ird/a\\b.ts', "file"), ("lib/x.ts", "file")], [('we"ird/a\\b.ts', "lib/x.ts", "imports", 1)]
    )
    dot = collapsed_dot(g, depth=1)
    assert '"we\\"ird" -> "lib"' in dot

"""The benchmark's synthetic map must keep the shape the benchmark relies on."""

from benchmarks.bench_graph_queries import synthetic_frames
from workbench.graph.build import graph_from_frames
from workbench.graph.index import GraphIndex


def test_small_synthetic_map_is_deterministic_and_well_formed():
    nodes, edges = synthetic_frames(5_000, 25_000, seed=3)
    again_nodes, again_edges = synthetic_frames(5_000, 25_000, seed=3)
    assert nodes.equals(again_nodes) and edges.equals(again_edges)
    assert list(nodes.columns) == ["id", "kind", "name", "path", "line_start", "line_end", "language"]
    assert list(edges.columns) == ["src", "dst", "kind", "weight", "line"]
    assert nodes["id"].is_unique
    assert set(edges["src"]) | set(edges["dst"]) <= set(nodes["id"])
    assert len(nodes) == 5_000
    assert abs(len(edges) - 25_000) < 2_500
    assert set(edges["kind"]) == {"contains", "imports", "calls", "inherits"}
    assert not edges.duplicated(["src", "dst", "kind"]).any()

    index = GraphIndex(graph_from_frames(nodes, edges))
    assert len(index.cycles()) > 0  # the map has import cycles, as real code bases do
    assert index.collapse(depth=2).number_of_nodes() == 420  # 400 pkgNN.subNN groups + 20 pkgNN

"""The map's views stay small and fast on a 20,000-node map."""

from __future__ import annotations


from benchmarks.bench_graph_queries import synthetic_frames
from workbench.graph.build import graph_from_frames
from workbench.graph.index import index_for
from workbench.widgets import MapModel


class GraphSnapshot:
    """The parts of a snapshot the map model reads, over an in-memory graph."""

    def __init__(self, g) -> None:
        self.graph = g

    def module_graph(self):
        return index_for(self.graph).module_graph()

    def layers(self):
        return index_for(self.graph).layers()

    def resolve(self, name):
        return index_for(self.graph).resolve(name)


def test_a_20000_node_map_draws_collapsed_and_opens_on_demand():
    nodes, edges = synthetic_frames(20_000, 100_000, seed=3)
    snap = GraphSnapshot(graph_from_frames(nodes, edges))
    model = MapModel(snap, max_nodes=300)
    top = model.view(model.top())
    assert 6 <= len(top.nodes) <= 300 and top.edges
    level = top.level
    for _ in range(3):  # drill to a module
        node = max(model.view(level).nodes, key=lambda n: n["modules"])["id"]
        level = model.drill(level, node)
    view = model.view(level)
    assert len(view.nodes) <= 300
    module = next(iter(snap.module_graph()))
    assert model.locate(top, module) in top.ids

"""The map's views stay small and fast on a 20,000-node map."""

from __future__ import annotations


from benchmarks.bench_snapshot_queries import store_synthetic
from workbench import Workbench
from workbench.widgets import MapModel


def test_a_20000_node_map_draws_collapsed_and_opens_on_demand(tmp_path):
    store_synthetic(tmp_path / "data", 20_000, 100_000)  # a real snapshot in a real store
    wb = Workbench(tmp_path / "data")
    snap = wb.snapshot("synthetic")
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

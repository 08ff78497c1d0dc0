"""Communities of a file graph too large for networkx's Louvain come from label propagation."""

from __future__ import annotations

import pytest

from workbench.mapping import metrics
from workbench.mapping.metrics import add_structural_metrics
from workbench.mapping.tables import EdgeSet, NodeSet


def package_graph(packages: int, size: int = 5) -> tuple[NodeSet, EdgeSet]:
    """Packages whose files all import each other, one import to the previous package."""
    nodes, edges = NodeSet(), EdgeSet()
    for p in range(packages):
        for f in range(size):
            nodes.add(f"p{p}.m{f}", "module", f"m{f}", path=f"p{p}/m{f}.py")
            for other in range(f + 1, size):
                edges.add(f"p{p}.m{f}", f"p{p}.m{other}", "imports")
        if p:
            edges.add(f"p{p}.m0", f"p{p - 1}.m1", "imports")
    return nodes, edges


def communities(nodes: NodeSet) -> dict[str, int]:
    return {n: row["community"] for n, row in nodes.rows.items()}


@pytest.mark.parametrize("limit", [10_000, 10])
def test_every_file_gets_a_stable_community(monkeypatch, limit: int) -> None:
    monkeypatch.setattr(metrics, "LOUVAIN_MAX_FILES", limit)
    nodes, edges = package_graph(8)
    add_structural_metrics(nodes, edges)
    first = communities(nodes)
    assert all(isinstance(c, int) for c in first.values())
    # the files of one package always share a community
    for p in range(8):
        assert len({first[f"p{p}.m{f}"] for f in range(5)}) == 1
    assert max(first.values()) > 0  # not everything in one
    again, edges_again = package_graph(8)
    add_structural_metrics(again, edges_again)
    assert communities(again) == first  # same map, same numbering
    assert nodes.rows["p3.m0"]["fan_out"] == 5 and nodes.rows["p2.m1"]["fan_in"] == 2

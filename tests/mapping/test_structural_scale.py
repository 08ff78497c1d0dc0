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


@pytest.mark.parametrize("seed", range(12))
def test_label_propagation_gives_networkx_partition(seed: int) -> None:
    """The numpy label propagation finds the partition networkx's semi-synchronous one finds:
    random graphs of string ids in a shuffled order, sparse and dense, with self-loops and
    isolated nodes."""
    import random

    import networkx as nx

    from workbench.mapping.metrics import label_propagation

    rng = random.Random(seed)
    n = rng.choice([2, 30, 200, 1500])
    graph = nx.gnm_random_graph(n, rng.choice([0, n // 2, 2 * n, 6 * n]), seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"mod{rng.random():.12f}" for i in graph})
    if seed % 3 == 0:
        for node in list(graph)[:4]:
            graph.add_edge(node, node)
    graph.add_node("isolated")

    def canonical(groups) -> list[list[str]]:
        return sorted(sorted(group) for group in groups)

    expected = canonical(nx.community.label_propagation_communities(graph))
    assert canonical(label_propagation(graph)) == expected
    assert len(expected) > 1

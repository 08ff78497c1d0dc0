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


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("limit", [10_000, 10])
def test_metrics_are_what_networkx_gives(monkeypatch, seed: int, limit: int) -> None:
    """fan-in, fan-out, PageRank (to the last bit before rounding) and communities on random
    file graphs, against networkx's DiGraph, ``pagerank`` and, for the communities, Louvain
    on ``to_undirected`` (up to the limit) or its label propagation (above it). Non-file
    nodes, edges of other kinds and edges to nodes outside the graph are left out."""
    import random

    import networkx as nx

    monkeypatch.setattr(metrics, "LOUVAIN_MAX_FILES", limit)
    rng = random.Random(seed)
    nodes, edges = NodeSet(), EdgeSet()
    files = [f"m{rng.random():.10f}" for _ in range(rng.choice([3, 40, 300]))]
    for f in files:
        nodes.add(f, "module", f, path=f"{f}.py")
        nodes.add(f"{f}:fn", "function", "fn", path=f"{f}.py")
    for _ in range(rng.choice([0, len(files), 4 * len(files)])):
        a, b = rng.sample(files, 2)
        edges.add(a, b, rng.choice(["imports", "imports", "calls"]))
        if rng.random() < 0.1:
            edges.add(a, "ext:os", "imports")
    add_structural_metrics(nodes, edges)

    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    graph.add_edges_from((s, d) for s, d, k in edges.rows if k == "imports" and s in graph and d in graph)
    rank = nx.pagerank(graph, alpha=0.85) if graph.number_of_edges() else {f: 1 / len(files) for f in files}
    undirected = nx.Graph()
    undirected.add_nodes_from(graph)
    undirected.add_edges_from(graph.edges())
    if not undirected.number_of_edges():
        groups = [{f} for f in files]
    elif len(files) > limit:
        groups = nx.community.label_propagation_communities(undirected)
    else:
        groups = nx.community.louvain_communities(undirected, seed=42)
    numbered = {f: i for i, group in enumerate(sorted(groups, key=lambda g: (-len(g), min(g))))
                for f in group}
    for f in files:
        row = nodes.rows[f]
        assert (row["fan_in"], row["fan_out"]) == (graph.in_degree(f), graph.out_degree(f))
        assert row["pagerank"] == round(rank[f], 8)
        assert row["community"] == numbered[f]
    assert "fan_in" not in nodes.rows[f"{files[0]}:fn"]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("few", [1, 8, 10**9])
def test_greedy_colouring_is_networkx_largest_first(monkeypatch, seed: int, few: int) -> None:
    """Coloured in rounds of ready nodes (down to one node a round), one by one, or both."""
    import random

    import networkx as nx

    from workbench.mapping.metrics import _Adjacency, greedy_colouring

    monkeypatch.setattr(metrics, "_FEW_READY", few)
    rng = random.Random(seed)
    n = rng.choice([5, 60, 400, 3000])
    graph = nx.gnm_random_graph(n, rng.choice([n, 3 * n]), seed=seed)
    if seed % 2:
        graph.add_edge(0, 0)
    nodes = list(graph)
    index = {v: i for i, v in enumerate(nodes)}
    colours, _ = greedy_colouring(_Adjacency.of_lists([[index[u] for u in graph.adj[v]] for v in nodes]))
    expected = nx.coloring.greedy_color(graph)
    assert {v: int(colours[index[v]]) for v in nodes} == expected


@pytest.mark.parametrize("seed", range(6))
def test_pagerank_is_networkx_to_the_last_bit(seed: int) -> None:
    import random

    import networkx as nx
    import numpy as np

    from workbench.mapping.metrics import pagerank

    rng = random.Random(seed)
    n = rng.choice([4, 50, 700])
    pairs = list(dict.fromkeys((rng.randrange(n), rng.randrange(n)) for _ in range(3 * n)))
    pairs = [(a, b) for a, b in pairs if a != b]
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(pairs)
    expected = nx.pagerank(graph, alpha=0.85)
    got = pagerank(n, np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]))
    assert got.tolist() == [expected[i] for i in range(n)]


def reference_metrics(files: list[str], pairs: list[tuple[str, str]], limit: int):
    """What ``structural_metrics`` gives, from networkx on node positions: an id listed
    twice is its last place, communities are numbered by size then smallest id."""
    import networkx as nx

    index = {f: i for i, f in enumerate(files)}
    edges = sorted(((index[s], index[d]) for s, d in pairs if s in index and d in index),
                   key=lambda e: e[0])
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(files)))
    graph.add_edges_from(edges)
    rank = nx.pagerank(graph, alpha=0.85) if edges else {i: 1 / len(files) for i in graph}
    if not edges:
        groups = [{f} for f in files]
    elif len(files) > limit:
        undirected = nx.Graph()
        undirected.add_nodes_from(graph)
        undirected.add_edges_from(edges)
        found = nx.community.label_propagation_communities(undirected)
        groups = [{files[i] for i in group} for group in sorted(found, key=min)]
    else:
        named = nx.Graph()
        named.add_nodes_from(files)
        named.add_edges_from((files[a], files[b]) for a, b in edges)
        groups = nx.community.louvain_communities(named, seed=42)
    numbered = {f: i for i, group in enumerate(sorted(groups, key=lambda g: (-len(g), min(g))))
                for f in group}
    return ([graph.in_degree(i) for i in graph], [graph.out_degree(i) for i in graph],
            [round(rank[i], 8) for i in graph], [numbered[f] for f in files])


@pytest.mark.parametrize("seed", range(16))
@pytest.mark.parametrize("limit", [10_000, 10])
def test_structural_metrics_take_arrow_ids(monkeypatch, seed: int, limit: int) -> None:
    """The ids as lists or Arrow (chunked) arrays give networkx's numbers, with ids listed
    twice, self-loops, isolated files, separate parts and edges leaving the files."""
    import random

    import pyarrow as pa

    from workbench.mapping.metrics import structural_metrics

    monkeypatch.setattr(metrics, "LOUVAIN_MAX_FILES", limit)
    monkeypatch.setattr(metrics, "_FEW_READY", 4)
    rng = random.Random(seed)
    files = [f"m{rng.random():.8f}" for _ in range(rng.choice([1, 5, 40, 300]))]
    if seed % 4 == 1:
        files += rng.sample(files, min(3, len(files)))
        rng.shuffle(files)
    parts = rng.choice([1, 3])  # separate parts
    part = {f: rng.randrange(parts) for f in files}
    pairs = list(dict.fromkeys(
        (a, b) for _ in range(rng.choice([0, len(files), 4 * len(files)]))
        for a, b in [rng.sample(files, 2) if len(files) > 1 else (files[0], files[0])]
        if part[a] == part[b]))
    pairs += [(f, f) for f in rng.sample(files, min(2, len(files)))]
    pairs += [(files[0], "ext:os"), ("ext:os", files[-1])]
    pairs = list(dict.fromkeys(pairs))
    expected = reference_metrics(files, pairs, limit)
    src, dst = [s for s, _ in pairs], [d for _, d in pairs]
    half = len(src) // 2
    for given in [(files, src, dst),
                  (pa.array(files), pa.chunked_array([pa.array(src[:half], pa.string()),
                                                      pa.array(src[half:], pa.string())]),
                   pa.array(dst, pa.large_string()))]:
        got = structural_metrics(*given)
        assert [a.tolist() for a in got] == list(expected)


def test_rounding_is_pythons_to_the_last_bit() -> None:
    import numpy as np

    from workbench.mapping.metrics import _rounded

    rng = np.random.default_rng(7)
    halves = (np.arange(1, 20_000) + 0.5) / 1e8
    values = np.concatenate([
        rng.random(100_000), rng.random(50_000) ** 8, -rng.random(1_000), halves,
        np.nextafter(halves, 0), np.nextafter(halves, 1),
        [0.0, 1 / 512, 3 / 512, 0.5, 1.0, 5e-9, 2.5e-8, 123456.125, 1e300, np.inf]])
    expected = np.array([round(v, 8) for v in values.tolist()])
    assert _rounded(values, 8).view(np.int64).tolist() == expected.view(np.int64).tolist()

"""Louvain communities of the undirected file graph, as networkx finds them, on lists.

Louvain (Blondel, Guillaume, Lambiotte & Lefebvre, "Fast unfolding of communities in large
networks", J. Stat. Mech. 2008) moves each node, in a shuffled order, to the neighbouring
community that raises the modularity most, until no move helps; the communities then become
the nodes of the next level's graph, until a level raises the modularity by no more than a
threshold.

The answer depends on choices the method leaves open: the order nodes are visited in (a
seeded shuffle), the order a node's neighbouring communities are weighed in (the first of
equal gains wins), and the order floating-point sums are taken in. :func:`louvain` makes
them as networkx 3's ``louvain_communities(G, seed=seed)`` makes them for a graph ``G``
whose nodes were added in position order and whose edges were added in the order given, so
the partition is networkx's, node for node: the same shuffles of one ``random.Random``, the
same neighbour orders of each level's graph (rebuilt from the edges as networkx lists them),
the same expressions for the gains and the modularity. It works on lists of node positions
and plain dicts instead of networkx graphs and views: about a fifth of the time networkx
takes for Django's 900 modules, where the communities were most of a map's structural
metrics.
"""

from __future__ import annotations

import random
from typing import Any, Iterable

#: Smallest gain in modularity between two levels for the next level to be kept
#: (networkx's default ``threshold``).
THRESHOLD = 0.0000001


def louvain(n: int, edges: Iterable[tuple[int, int]], seed: int = 42) -> list[set[int]]:
    """The communities of the undirected graph of nodes ``0..n-1`` and ``edges`` (pairs of
    positions, added in the order given; a pair added twice, either way round, is one edge
    of weight 1), as sets of positions: the partition of networkx's
    ``louvain_communities(G, seed=seed)`` (resolution 1), in its order. A graph without
    edges gives every node on its own."""
    order: list[dict[int, None]] = [{} for _ in range(n)]  # networkx's adjacency order
    for u, v in edges:
        order[u][v] = None
        order[v][u] = None
    if not any(order):
        return [{u} for u in range(n)]
    # networkx analyses a copy of the graph built from its edge list, which orders each
    # node's neighbours by that list
    adj: list[dict[int, int]] = [{} for _ in range(n)]
    for u, v, _ in _edges(order):
        adj[u][v] = 1
        adj[v][u] = 1
    rng = random.Random(seed)
    partition = [{u} for u in range(n)]
    mod = _modularity(adj, partition)
    m = sum(_degrees(adj)) / 2
    partition, inner, improvement = _one_level(adj, m, partition, rng)
    improvement = True
    while improvement:
        found = partition  # what networkx yields for this level
        new_mod = _modularity(adj, inner)
        if new_mod - mod <= THRESHOLD:
            return found
        mod = new_mod
        adj = _next_graph(adj, inner)
        partition, inner, improvement = _one_level(adj, m, partition, rng)
    return found


def _edges(adj: list[dict[int, Any]]):
    """``(u, v, weight)`` of every edge once, in networkx's order for an undirected graph:
    node by node, each node's neighbours in order, an edge when its other end comes later
    (or is the node itself)."""
    seen: set[int] = set()
    for u, nbrs in enumerate(adj):
        for v, weight in nbrs.items():
            if v not in seen:
                yield u, v, weight
        seen.add(u)


def _degrees(adj: list[dict[int, int]]) -> list[int]:
    """Weighted degrees; a self-loop counts twice (networkx's ``Graph.degree``)."""
    return [sum(nbrs.values()) + nbrs.get(u, 0) for u, nbrs in enumerate(adj)]


def _modularity(adj: list[dict[int, int]], communities: list[set[int]]) -> float:
    """Newman's modularity of ``communities`` (networkx's ``modularity``, resolution 1)."""
    degree = _degrees(adj)
    deg_sum = sum(degree)
    m = deg_sum / 2
    norm = 1 / deg_sum**2

    def contribution(community: set[int]) -> float:
        # each edge inside once, a self-loop once: integers, so any order gives the same sum
        inside = sum(w for u in community for v, w in adj[u].items()
                     if v in community and (v > u or v == u))
        total = sum(degree[u] for u in community)
        return inside / m - total * total * norm

    return sum(map(contribution, communities))


def _one_level(adj: list[dict[int, int]], m: float, partition: list[set[int]],
               rng: random.Random) -> tuple[list[set[int]], list[set[int]], bool]:
    """One level of moves (networkx's ``_one_level``, undirected, resolution 1): the
    partition of the original nodes, that of this level's nodes, and whether any moved.
    ``partition[i]`` holds the original nodes of this level's node ``i``."""
    n = len(adj)
    node2com = list(range(n))
    inner = [{u} for u in range(n)]
    members = [set(c) for c in partition]  # what each node of this level stands for
    partition = [set(c) for c in partition]
    degrees = _degrees(adj)
    stot = list(degrees)
    # each node's neighbours but itself, in order (its own weight is summed into the
    # community it is in, as networkx leaves the self-loop out of these)
    nbrs = [[(v, w) for v, w in adj[u].items() if v != u] for u in range(n)]
    visit = list(range(n))
    rng.shuffle(visit)
    two_m2 = 2 * m**2  # the gains below are networkx's expressions (resolution 1), in order
    moves = 1
    improvement = False
    while moves > 0:
        moves = 0
        for u in visit:
            best_mod = 0
            best_com = node2com[u]
            weights: dict[int, float] = {}
            get = weights.get
            for v, w in nbrs[u]:
                com = node2com[v]
                weights[com] = get(com, 0.0) + w
            if best_com not in weights:
                weights[best_com] = 0.0  # networkx reads it from a defaultdict: added last
            degree = degrees[u]
            stot[best_com] -= degree
            remove_cost = -weights[best_com] / m + (stot[best_com] * degree) / two_m2
            for com, w in weights.items():
                gain = remove_cost + w / m - (stot[com] * degree) / two_m2
                if gain > best_mod:
                    best_mod = gain
                    best_com = com
            stot[best_com] += degree
            if best_com != node2com[u]:
                old = node2com[u]
                partition[old].difference_update(members[u])
                inner[old].remove(u)
                partition[best_com].update(members[u])
                inner[best_com].add(u)
                improvement = True
                moves += 1
                node2com[u] = best_com
    return ([c for c in partition if c], [c for c in inner if c], improvement)


def _next_graph(adj: list[dict[int, int]], inner: list[set[int]]) -> list[dict[int, int]]:
    """The next level's graph: a node per community of ``inner`` (in its order), edges
    summed between them, in networkx's order (``_gen_graph``)."""
    community = [0] * len(adj)
    for i, members in enumerate(inner):
        for u in members:
            community[u] = i
    out: list[dict[int, int]] = [{} for _ in inner]
    for u, v, w in _edges(adj):
        a, b = community[u], community[v]
        weight = w + out[a].get(b, 0)
        out[a][b] = weight
        out[b][a] = weight
    return out

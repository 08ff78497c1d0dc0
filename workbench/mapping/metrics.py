"""Structural metrics on the map: fan-in/out, PageRank and communities of the file graph.

All of them are computed on the graph of file-level nodes (Python modules and packages with a
file, files of other languages) joined by internal ``imports`` edges, and stored on the nodes
so that SQL can filter and sort by them:

* ``fan_in`` / ``fan_out``: distinct internal files importing it / imported by it;
* ``pagerank``: networkx PageRank (damping 0.85) of the import graph, so a file imported by
  important files ranks high;
* ``community``: Louvain communities of the undirected import graph (fixed seed, so the same
  map gives the same numbering), numbered by size, largest first; above
  :data:`LOUVAIN_MAX_FILES` files, semi-synchronous label propagation (Cordasco & Gargano
  2010; the partition of networkx's ``label_propagation_communities``, computed with numpy by
  :func:`label_propagation`: deterministic, linear in the edges per sweep)
  instead, because networkx's Louvain takes minutes on a monorepo's 10,000 files;
* ``depth`` (set while building): depth in the package or directory tree;
* ``lines``/``code_lines``/``comment_lines``/``blank_lines`` and per-function ``complexity``
  (McCabe) come from the parsers.
"""

from __future__ import annotations

import threading

import networkx as nx
import numpy as np

from ..domain import EdgeKind, FILE_KINDS
from .tables import EdgeSet, NodeSet


def prewarm() -> threading.Thread:
    """Import what PageRank and Louvain need (scipy: ~0.2 s) on a background thread.

    Called when parsing starts: the main thread then mostly waits on the parser workers, so
    the import overlaps with them instead of delaying the map's last step.
    """

    def load() -> None:
        import networkx.algorithms.community  # noqa: F401
        import scipy.sparse  # noqa: F401

    thread = threading.Thread(target=load, name="workbench-prewarm", daemon=True)
    thread.start()
    return thread


def label_propagation(graph: "nx.Graph") -> list[set]:
    """Communities of ``graph`` by semi-synchronous label propagation (Cordasco & Gargano,
    "Community detection via semi-synchronous label propagation algorithms", 2010): the
    partition networkx's ``label_propagation_communities`` gives, computed with numpy.

    As there, every node starts with its position in the graph's order as its label, the
    graph is coloured greedily (``greedy_color``, largest first), and the nodes of one colour
    take, all at once, the label most frequent among their neighbours (ties: their own label
    when it is among the most frequent, else the largest), colour after colour, until every
    node with neighbours holds one of its most frequent labels. Nodes of one colour are not
    neighbours, so updating them at once is what updating them one by one does. networkx's
    loop over Python dicts and Counters took about 4 s for 100,000 files; this takes about
    a second. Returns a list of node sets; a test checks the partition against networkx's.
    """
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    # neighbours of each node, as networkx's adjacency holds them (a self-loop counts once)
    degree = np.fromiter((len(graph.adj[v]) for v in nodes), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    neighbours = np.fromiter((index[u] for v in nodes for u in graph.adj[v]), dtype=np.int64,
                             count=int(indptr[-1]))
    colours = nx.coloring.greedy_color(graph)
    classes: dict[int, list[int]] = {}
    for node, colour in colours.items():
        classes.setdefault(colour, []).append(index[node])
    labels = np.arange(n, dtype=np.int64)

    def gather(members: np.ndarray):
        members = members[degree[members] > 0]
        counts = degree[members]
        owner = np.repeat(np.arange(len(members), dtype=np.int64), counts)
        starts = np.repeat(indptr[members], counts)
        offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        return members, owner, neighbours[starts + offsets]

    def best(members, owner, around):
        """Per member: how many labels share the highest count, the largest of them, and
        whether the member's own label is among them."""
        key = owner * n + labels[around]
        keys, freq = np.unique(key, return_counts=True)
        who = keys // n
        lab = keys % n
        top = np.zeros(len(members), dtype=np.int64)
        np.maximum.at(top, who, freq)
        at_top = freq == top[who]
        tied = np.bincount(who[at_top], minlength=len(members))
        largest = np.full(len(members), -1, dtype=np.int64)
        np.maximum.at(largest, who[at_top], lab[at_top])
        own = np.zeros(len(members), dtype=bool)
        own[who[at_top & (lab == labels[members][who])]] = True
        return tied, largest, own

    sweep = [gather(np.asarray(m, dtype=np.int64)) for m in classes.values()]
    everyone = gather(np.arange(n, dtype=np.int64))

    def complete() -> bool:
        members, owner, around = everyone
        if not len(members):
            return True
        _, _, own = best(members, owner, around)
        return bool(own.all())

    while not complete():
        for members, owner, around in sweep:
            if not len(members):
                continue
            tied, largest, own = best(members, owner, around)
            # one top label: it; several: keep one's own when among them, else the largest
            labels[members] = np.where((tied == 1) | ~own, largest, labels[members])
    groups: dict[int, set] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(nodes[i])
    return list(groups.values())


#: Largest file graph whose communities are Louvain's; larger ones use label propagation.
LOUVAIN_MAX_FILES = 5_000


def add_structural_metrics(nodes: NodeSet, edges: EdgeSet) -> None:
    files = [n for n, r in nodes.rows.items() if r["kind"] in FILE_KINDS and r.get("path")]
    g = nx.DiGraph()
    g.add_nodes_from(files)
    imports = EdgeKind.IMPORTS.value  # a plain string: compared once per edge
    g.add_edges_from((s, d) for s, d, k in edges.rows if k == imports and s in g and d in g)
    if g.number_of_nodes() == 0:
        return
    rank = nx.pagerank(g, alpha=0.85) if g.number_of_edges() else {n: 1 / len(g) for n in g}
    # what g.to_undirected() makes (same node and neighbour order, so the same communities)
    # without deep-copying an empty attribute dict per node and edge
    undirected = nx.Graph()
    undirected.add_nodes_from(g)
    undirected.add_edges_from(g.edges())
    if not undirected.number_of_edges():
        communities = [{n} for n in g]
    elif len(undirected) > LOUVAIN_MAX_FILES:
        communities = label_propagation(undirected)
    else:
        communities = nx.community.louvain_communities(undirected, seed=42)
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    community_of = {n: i for i, members in enumerate(ordered) for n in members}
    for n in files:
        row = nodes.rows[n]
        row["fan_in"] = g.in_degree(n)
        row["fan_out"] = g.out_degree(n)
        row["pagerank"] = round(rank.get(n, 0.0), 8)
        row["community"] = community_of.get(n)

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
  2010, networkx's ``label_propagation_communities``: deterministic, linear in the edges)
  instead, because networkx's Louvain takes minutes on a monorepo's 10,000 files;
* ``depth`` (set while building): depth in the package or directory tree;
* ``lines``/``code_lines``/``comment_lines``/``blank_lines`` and per-function ``complexity``
  (McCabe) come from the parsers.
"""

from __future__ import annotations

import threading

import networkx as nx

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
        communities = nx.community.label_propagation_communities(undirected)
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

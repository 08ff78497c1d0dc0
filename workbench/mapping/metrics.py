"""Structural metrics on the map: fan-in/out, PageRank and communities of the file graph.

All of them are computed on the graph of file-level nodes (Python modules and packages with a
file, files of other languages) joined by internal ``imports`` edges, and stored on the nodes
so that SQL can filter and sort by them:

* ``fan_in`` / ``fan_out``: distinct internal files importing it / imported by it;
* ``pagerank``: PageRank (Page, Brin, Motwani & Winograd 1999; damping 0.85) of the import
  graph, so a file imported by important files ranks high: networkx's scipy power iteration,
  step for step, on arrays of node positions (:func:`pagerank`);
* ``community``: Louvain communities of the undirected import graph (fixed seed, so the same
  map gives the same numbering), numbered by size, largest first; above
  :data:`LOUVAIN_MAX_FILES` files, semi-synchronous label propagation (Cordasco & Gargano
  2010; the partition of networkx's ``label_propagation_communities``, computed with numpy by
  :func:`label_propagation`: deterministic, linear in the edges per sweep)
  instead, because networkx's Louvain takes minutes on a monorepo's 10,000 files;
  only Louvain is given a networkx graph;
* ``depth`` (set while building): depth in the package or directory tree;
* ``lines``/``code_lines``/``comment_lines``/``blank_lines`` and per-function ``complexity``
  (McCabe) come from the parsers.
"""

from __future__ import annotations

import threading
from typing import Iterable

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
    graph is coloured greedily (largest degree first, :func:`greedy_colouring`), and the
    nodes of one colour take, all at once, the label most frequent among their neighbours
    (ties: their own label when it is among the most frequent, else the largest), colour
    after colour, until every node with neighbours holds one of its most frequent labels.
    Nodes of one colour are not neighbours, so updating them at once is what updating them
    one by one does. networkx's loop over Python dicts and Counters took about 4 s for
    100,000 files; this takes about a second. Returns a list of node sets; a test checks the
    partition against networkx's.
    """
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    return _communities(_Adjacency.of_lists([[index[u] for u in graph.adj[v]] for v in nodes]),
                        nodes)


def _communities(adjacency: "_Adjacency", names: list) -> list[set]:
    """The label-propagation communities of ``adjacency`` as sets of ``names`` (node i is
    ``names[i]``)."""
    groups: dict[int, set] = {}
    for i, label in enumerate(_propagate(adjacency).tolist()):
        groups.setdefault(label, set()).add(names[i])
    return list(groups.values())


class _Adjacency:
    """Neighbours of nodes ``0..n-1`` in compressed rows: those of node ``i`` are
    ``neighbours[indptr[i]:indptr[i + 1]]`` (a self-loop lists the node once, as networkx's
    adjacency does)."""

    def __init__(self, indptr: np.ndarray, neighbours: np.ndarray) -> None:
        self.indptr = indptr
        self.neighbours = neighbours
        self.n = len(indptr) - 1
        self.count = np.diff(indptr)

    @classmethod
    def of_lists(cls, lists: list[list[int]]) -> "_Adjacency":
        count = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        indptr = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(count, out=indptr[1:])
        flat = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(indptr[-1]))
        return cls(indptr, flat)

    @classmethod
    def undirected(cls, n: int, src: np.ndarray, dst: np.ndarray) -> "_Adjacency":
        """The undirected graph of the directed edges ``src -> dst`` (each pair once)."""
        low, high = np.minimum(src, dst), np.maximum(src, dst)
        pairs = np.unique(low * n + high)
        low, high = pairs // n, pairs % n
        loops = low == high
        ends = np.concatenate([low, high[~loops]])
        others = np.concatenate([high, low[~loops]])
        order = np.argsort(ends, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=n), out=indptr[1:])
        return cls(indptr, others[order])

    def degree(self) -> np.ndarray:
        """networkx's ``Graph.degree``: neighbours, a self-loop counted twice."""
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.count)
        loops = np.bincount(rows[self.neighbours == rows], minlength=self.n)
        return self.count + loops


def greedy_colouring(adjacency: "_Adjacency") -> tuple[np.ndarray, list[int]]:
    """A greedy colouring, largest degree first: networkx's ``greedy_color`` with its
    default strategy (nodes sorted by degree, ties in graph order; each takes the smallest
    colour none of its coloured neighbours has). Returns the colours and the order in which
    the nodes were coloured."""
    degree = adjacency.degree()
    order = sorted(range(adjacency.n), key=degree.__getitem__, reverse=True)
    indptr = adjacency.indptr.tolist()
    neighbours = adjacency.neighbours.tolist()
    colour = [-1] * adjacency.n
    for u in order:
        taken = {colour[v] for v in neighbours[indptr[u]:indptr[u + 1]]}
        c = 0
        while c in taken:
            c += 1
        colour[u] = c
    return np.asarray(colour, dtype=np.int64), order


def _propagate(adjacency: "_Adjacency") -> np.ndarray:
    """The labels :func:`label_propagation` ends with, per node."""
    n, degree = adjacency.n, adjacency.count
    indptr, neighbours = adjacency.indptr, adjacency.neighbours
    colours, coloured = greedy_colouring(adjacency)
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

    # colour after colour, in the order the colours were first given
    classes: dict[int, list[int]] = {}
    for u in coloured:
        classes.setdefault(int(colours[u]), []).append(u)
    sweep = [gather(np.asarray(members, dtype=np.int64)) for members in classes.values()]
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
    return labels


def pagerank(n: int, src: np.ndarray, dst: np.ndarray, alpha: float = 0.85,
             max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
    """PageRank of nodes ``0..n-1`` joined by the directed edges ``src -> dst`` (each pair
    once): the power iteration of networkx's ``pagerank`` (its scipy version, uniform
    teleport and dangling weights), step for step, so the values are networkx's to the
    last bit; a test compares them. Dangling nodes spread their rank evenly. Raises
    networkx's ``PowerIterationFailedConvergence`` after ``max_iter`` iterations."""
    import scipy.sparse

    matrix = scipy.sparse.coo_array((np.ones(len(src)), (src, dst)), shape=(n, n),
                                    dtype=float).asformat("csr")
    scale = matrix.sum(axis=1)
    scale[scale != 0] = 1.0 / scale[scale != 0]
    matrix = scipy.sparse.dia_array((scale.T, 0), shape=matrix.shape).tocsr() @ matrix
    x = np.repeat(1.0 / n, n)
    teleport = np.repeat(1.0 / n, n)
    dangling = np.where(scale == 0)[0]
    for _ in range(max_iter):
        last = x
        # Python's sum over the dangling ranks, in order, as networkx adds them
        x = alpha * (x @ matrix + sum(x[dangling]) * teleport) + (1 - alpha) * teleport
        if np.absolute(x - last).sum() < n * tol:
            return x
    import networkx as nx

    raise nx.PowerIterationFailedConvergence(max_iter)


#: Largest file graph whose communities are Louvain's; larger ones use label propagation.
LOUVAIN_MAX_FILES = 5_000


def add_structural_metrics(nodes: NodeSet, edges: EdgeSet) -> None:
    """Set fan_in, fan_out, pagerank and community on the file-level nodes (see the module
    docstring). The file graph is kept as arrays of node positions: networkx graphs of
    100,000 files and 350,000 imports took seconds to build; only Louvain, on graphs of at
    most :data:`LOUVAIN_MAX_FILES` files, gets one."""
    files = [n for n, r in nodes.rows.items() if r["kind"] in FILE_KINDS and r.get("path")]
    if not files:
        return
    imports = EdgeKind.IMPORTS.value  # a plain string: compared once per edge
    fan_in, fan_out, rank, community = structural_metrics(
        files, ((s, d) for s, d, k in edges.rows if k == imports))
    for i, f in enumerate(files):
        row = nodes.rows[f]
        row["fan_in"] = fan_in[i]
        row["fan_out"] = fan_out[i]
        row["pagerank"] = rank[i]
        row["community"] = community[i]


def structural_metrics(files: list[str], imports: Iterable[tuple[str, str]]
                       ) -> tuple[list[int], list[int], list[float], list[int | None]]:
    """``(fan_in, fan_out, pagerank, community)`` lists aligned with ``files`` (the
    file-level node ids, in the order the map added them) joined by the ``imports`` (source
    and target ids, each pair once, in the order they were drawn; pairs with an end outside
    ``files`` are left out). The edges are taken source by source in ``files``' order, each
    source's in the order drawn: Louvain's answer depends on it, and a map derived from
    another (:mod:`.derive`) draws its edges in another order than a whole map. PageRank is
    rounded to 8 decimals."""
    n = len(files)
    if not n:
        return [], [], [], []
    index = {node: i for i, node in enumerate(files)}
    pairs = [(i, j) for s, d in imports
             if (i := index.get(s)) is not None and (j := index.get(d)) is not None]
    src = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    dst = np.fromiter((j for _, j in pairs), dtype=np.int64, count=len(pairs))
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    rank = pagerank(n, src, dst) if len(src) else np.full(n, 1 / n)
    if not len(src):
        communities = [{f} for f in files]
    elif n > LOUVAIN_MAX_FILES:
        communities = _communities(_Adjacency.undirected(n, src, dst), files)
    else:
        communities = nx.community.louvain_communities(_louvain_graph(files, src, dst), seed=42)
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    community_of = {f: i for i, members in enumerate(ordered) for f in members}
    return (np.bincount(dst, minlength=n).tolist(), np.bincount(src, minlength=n).tolist(),
            [round(float(r), 8) for r in rank.tolist()], [community_of.get(f) for f in files])


def _louvain_graph(files: list[str], src: np.ndarray, dst: np.ndarray) -> "nx.Graph":
    """The undirected file graph as networkx's ``DiGraph.to_undirected`` would make it: the
    same node order and, through the edges taken source by source in node order, the same
    neighbour order, on which Louvain's result depends."""
    graph = nx.Graph()
    graph.add_nodes_from(files)
    order = np.argsort(src, kind="stable")
    graph.add_edges_from((files[i], files[j]) for i, j in zip(src[order].tolist(), dst[order].tolist()))
    return graph

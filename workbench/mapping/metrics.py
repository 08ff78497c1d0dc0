"""Structural metrics on the map: fan-in/out, PageRank and communities of the file graph.

All of them are computed on the graph of file-level nodes (Python modules and packages with a
file, files of other languages) joined by internal ``imports`` edges, and stored on the nodes
so that SQL can filter and sort by them:

* ``fan_in`` / ``fan_out``: distinct internal files importing it / imported by it;
* ``pagerank``: PageRank (Page, Brin, Motwani & Winograd 1999; damping 0.85) of the import
  graph, so a file imported by important files ranks high: networkx's scipy power iteration,
  step for step, on arrays of node positions (:func:`pagerank`);
* ``community``: Louvain communities of the undirected import graph (fixed seed, so the same
  map gives the same numbering; networkx's partition, computed on lists by :mod:`.louvain`),
  numbered by size, largest first; above :data:`LOUVAIN_MAX_FILES` files, semi-synchronous
  label propagation (Cordasco & Gargano 2010; the partition of networkx's
  ``label_propagation_communities``, computed with numpy by :func:`label_propagation`:
  deterministic, linear in the edges per sweep) instead, because Louvain's levels of moves
  took minutes on a monorepo's 10,000 files;
* ``depth`` (set while building): depth in the package or directory tree;
* ``lines``/``code_lines``/``comment_lines``/``blank_lines`` and per-function ``complexity``
  (McCabe) come from the parsers.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..domain import EdgeKind, FILE_KINDS
from .tables import EdgeSet, NodeSet

if TYPE_CHECKING:  # pragma: no cover
    # a map needs none of networkx (0.1-0.2 s of a fresh process): only the helpers that
    # take its graphs do
    import networkx as nx


def prewarm() -> threading.Thread:
    """Import what PageRank needs (scipy: ~0.2 s), on a background thread.

    Called when parsing starts: the main thread then mostly waits on the parser workers, so
    the import overlaps with them instead of delaying the map's last step.
    """

    def load() -> None:
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
    100,000 files; this takes about a tenth of a second. Returns a list of node sets; a
    test checks the partition against networkx's.
    """
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    return _communities(_Adjacency.of_lists([[index[u] for u in graph.adj[v]] for v in nodes]),
                        nodes)


def _communities(adjacency: "_Adjacency", names: list) -> list[set]:
    """The label-propagation communities of ``adjacency`` as sets of ``names`` (node i is
    ``names[i]``)."""
    return _groups(_propagate(adjacency), names)


def _groups(labels: np.ndarray, names: list) -> list[set]:
    """The sets of ``names`` sharing a label (``labels``: one per name), in the order their
    labels first appear."""
    groups: dict[int, set] = {}
    for i, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(names[i])
    return list(groups.values())


class _Adjacency:
    """Neighbours of nodes ``0..n-1`` in compressed rows: those of node ``i`` are
    ``neighbours[indptr[i]:indptr[i + 1]]`` (a self-loop lists the node once, as networkx's
    adjacency does). Label propagation and the colouring read neighbours as sets: the order
    within a row does not matter."""

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
        """The undirected graph of the directed edges ``src -> dst`` (each pair once; rows
        sorted): both directions of every edge as ``end * n + other`` keys, sorted and made
        distinct, one sort of ``2 * len(src)`` integers (a self-loop's two keys are one)."""
        keys = np.concatenate([src * n + dst, dst * n + src])
        keys.sort()
        keys = keys[_runs(keys)]
        ends, others = np.divmod(keys, n)
        return cls(np.searchsorted(ends, np.arange(n + 1, dtype=np.int64)), others)

    def rows(self) -> np.ndarray:
        """The node each entry of ``neighbours`` is a neighbour of."""
        return np.repeat(np.arange(self.n, dtype=np.int64), self.count)

    def entries(self, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the neighbours of ``members`` are in ``neighbours``, row after row, and the
        position in ``members`` each belongs to."""
        counts = self.count[members]
        owner = np.repeat(np.arange(len(members), dtype=np.int64), counts)
        ends = np.cumsum(counts)
        at = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
        at += np.repeat(self.indptr[members] - (ends - counts), counts)
        return at, owner

    def degree(self) -> np.ndarray:
        """networkx's ``Graph.degree``: neighbours, a self-loop counted twice."""
        rows = self.rows()
        loops = np.bincount(rows[self.neighbours == rows], minlength=self.n)
        return self.count + loops


#: Below this many nodes ready at once, :func:`greedy_colouring` colours the rest one by one.
_FEW_READY = 64


def greedy_colouring(adjacency: "_Adjacency") -> tuple[np.ndarray, np.ndarray]:
    """A greedy colouring, largest degree first: networkx's ``greedy_color`` with its
    default strategy (nodes sorted by degree, ties in graph order; each takes the smallest
    colour none of its coloured neighbours has). Returns the colours and the order in which
    the nodes were coloured (node positions, ``(n,)`` each).

    A node's colour depends only on those of its neighbours earlier in that order, so the
    nodes whose earlier neighbours are all coloured are coloured together, with numpy, round
    after round (they are never neighbours of each other): as many rounds as the longest
    chain of ever later neighbours, 26 for the 100,000 files of a synthetic monorepo, where
    the loop over every node took 0.2 s. When few nodes are ready at once (a long chain),
    the rest are coloured one by one in that order, as before."""
    n = adjacency.n
    degree = adjacency.degree()
    order = np.argsort(-degree, kind="stable")
    place = np.empty(n, dtype=np.int64)
    place[order] = np.arange(n, dtype=np.int64)
    rows, neighbours = adjacency.rows(), adjacency.neighbours
    # per neighbour entry: coloured before the row's node (-1), after it (1), itself (0)
    side = np.sign(place[neighbours] - place[rows])
    waiting = np.bincount(rows[side < 0], minlength=n)  # earlier neighbours not coloured
    colour = np.full(n, -1, dtype=np.int64)
    ready = np.flatnonzero(waiting == 0)
    while len(ready) and len(ready) >= _FEW_READY:
        at, owner = adjacency.entries(ready)
        earlier = side[at] < 0
        colour[ready] = _smallest_free(len(ready), owner[earlier], colour[neighbours[at[earlier]]])
        later = np.sort(neighbours[at[side[at] > 0]])
        starts = _runs(later)
        later, times = later[starts], np.diff(np.append(starts, len(later)))
        waiting[later] -= times
        ready = later[waiting[later] == 0]
    if (colour < 0).any():
        indptr, listed = adjacency.indptr.tolist(), neighbours.tolist()
        colours = colour.tolist()
        for u in order[colour[order] < 0].tolist():
            taken = {colours[v] for v in listed[indptr[u]:indptr[u + 1]]}
            c = 0
            while c in taken:
                c += 1
            colours[u] = c
        colour = np.asarray(colours, dtype=np.int64)
    return colour, order


def _smallest_free(m: int, owner: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Per owner ``0..m-1``: the smallest colour not among its ``taken`` ones (``owner`` and
    ``taken`` aligned, ``(k,)``)."""
    span = int(taken.max()) + 2 if len(taken) else 1
    keys = np.sort(owner * span + taken)
    keys = keys[_runs(keys)]
    owner, taken = np.divmod(keys, span)
    # the distinct colours of one owner, ascending: the first that is not its rank is free
    first = np.searchsorted(owner, owner)
    rank = np.arange(len(keys), dtype=np.int64) - first
    free = np.bincount(owner, minlength=m)
    gap = taken != rank
    gap_owner = owner[gap]
    at = _runs(gap_owner)
    free[gap_owner[at]] = rank[gap][at]
    return free


def _propagate(adjacency: "_Adjacency") -> np.ndarray:
    """The labels :func:`label_propagation` ends with, per node.

    A sweep that changes no label is exactly a labelling in which every node holds one of
    its most frequent labels (then each keeps its own; and a node keeps its own only when it
    is among them), so sweeps run until one changes nothing, instead of checking every node
    before each sweep: networkx's stopping point, for half the work."""
    n = adjacency.n
    colours, coloured = greedy_colouring(adjacency)
    labels = np.arange(n, dtype=np.int64)
    coloured = coloured[adjacency.count[coloured] > 0]
    # colour after colour, in the order the colours were first given: 0, 1, 2, ... (a node
    # takes colour c only when its neighbours hold 0..c-1)
    coloured = coloured[np.argsort(colours[coloured], kind="stable")]
    bounds = np.cumsum(np.bincount(colours[coloured]))
    sweep = []
    for members in np.split(coloured, bounds[:-1]):
        if not len(members):  # colour 0 of isolated nodes only
            continue
        at, owner = adjacency.entries(members)
        sweep.append((members, owner, adjacency.neighbours[at]))
    changed = True
    while changed:
        changed = False
        for members, owner, around in sweep:
            old = labels[members]
            new = _choose(n, owner, labels[around], old)
            if not changed and not np.array_equal(new, old):
                changed = True
            labels[members] = new
    return labels


def _choose(n: int, owner: np.ndarray, around: np.ndarray, own: np.ndarray) -> np.ndarray:
    """The labels a colour's members take: per member (``own``: their labels, ``(m,)``;
    ``owner``/``around``: member and label of each neighbour entry, grouped by member), the
    label most frequent among its neighbours; of several, its own when among them, else the
    largest."""
    keys = owner * n + around
    keys.sort()
    starts = _runs(keys)
    freq = np.diff(np.append(starts, len(keys)))
    who, label = np.divmod(keys[starts], n)
    # every member has a neighbour: its distinct labels start at first[member]
    first = _runs(who)
    top = freq == np.maximum.reduceat(freq, first)[who]
    tied = np.add.reduceat(top, first, dtype=np.int64)
    largest = np.maximum.reduceat(np.where(top, label, -1), first)
    keep = np.zeros(len(own), dtype=bool)
    keep[who[top & (label == own[who])]] = True
    return np.where((tied == 1) | ~keep, largest, own)


def _runs(values: np.ndarray) -> np.ndarray:
    """Where the runs of equal values of the sorted ``values`` start (``np.unique``'s
    ``return_index``, without its hashing or second sort)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))


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
        files, [s for s, _, k in edges.rows if k == imports],
        [d for _, d, k in edges.rows if k == imports])
    for f, *values in zip(files, fan_in.tolist(), fan_out.tolist(), rank.tolist(),
                          community.tolist()):
        nodes.rows[f].update(zip(("fan_in", "fan_out", "pagerank", "community"), values))


def structural_metrics(files: list[str] | pa.Array | pa.ChunkedArray,
                       src: list[str] | pa.Array | pa.ChunkedArray,
                       dst: list[str] | pa.Array | pa.ChunkedArray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(fan_in, fan_out, pagerank, community)``, arrays of shape ``(len(files),)`` aligned
    with ``files`` (the file-level node ids, in the order the map added them) joined by the
    imports ``src[k] -> dst[k]`` (each pair once, in the order they were drawn; pairs with an
    end outside ``files`` are left out; an id listed twice in ``files`` is its last place).
    The edges are taken source by source in ``files``' order, each source's in the order
    drawn: Louvain's answer depends on it, and a map derived from another (:mod:`.derive`)
    draws its edges in another order than a whole map. PageRank is rounded to 8 decimals as
    Python's ``round`` does; communities are numbered by size, largest first, then by their
    smallest id.

    The ids are matched to positions by Arrow (``index_in``) and everything after works on
    arrays of positions: on 100,000 files and 350,000 imports the Python dicts, tuples and
    lists this used to build cost about half a second of the interpreter, which a history
    analysis on another thread waits for."""
    files, src, dst = _strings(files), _strings(src), _strings(dst)
    n = len(files)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    found = pc.index_in(pa.chunked_array([*files.chunks, *src.chunks, *dst.chunks], pa.string()),
                        value_set=files.combine_chunks())
    found = found.fill_null(-1).to_numpy().astype(np.int64)
    first, found = found[:n], found[n:]
    unique = np.array_equal(first, np.arange(n))
    if not unique:  # an id's first place to its last, as a dict of the ids gives
        last = np.zeros(n, dtype=np.int64)
        np.maximum.at(last, first, np.arange(n, dtype=np.int64))
        found = np.where(found >= 0, last[found], -1)
    src, dst = found[:len(src)], found[len(src):]
    inside = (src >= 0) & (dst >= 0)
    src, dst = src[inside], dst[inside]
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    rank = pagerank(n, src, dst) if len(src) else np.full(n, 1 / n)
    if n <= LOUVAIN_MAX_FILES and len(src):
        names = files.to_pylist()
        community = _numbered(_louvain_communities(names, src, dst), names)
    else:
        labels = (_propagate(_Adjacency.undirected(n, src, dst)) if len(src)
                  else np.arange(n, dtype=np.int64))
        if unique:
            community = _numbered_labels(labels, files)
        else:
            names = files.to_pylist()
            community = _numbered(_groups(labels, names), names)
    return (np.bincount(dst, minlength=n), np.bincount(src, minlength=n), _rounded(rank, 8),
            community)


def _strings(values: list[str] | pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    """``values`` as one chunked array of Arrow strings."""
    if isinstance(values, pa.ChunkedArray):
        return values.cast(pa.string())
    if isinstance(values, pa.Array):
        return pa.chunked_array([values.cast(pa.string())])
    return pa.chunked_array([pa.array(values, pa.string())])


def _numbered(communities: list[set], names: list) -> np.ndarray:
    """The community of each of ``names``: communities numbered by size, largest first, then
    by their smallest name (a name in several: the last)."""
    ordered = sorted(communities, key=lambda c: (-len(c), min(c)))
    community_of = {f: i for i, members in enumerate(ordered) for f in members}
    return np.asarray([community_of[f] for f in names], dtype=np.int64)


def _numbered_labels(labels: np.ndarray, files: "pa.ChunkedArray") -> np.ndarray:
    """:func:`_numbered` for distinct ``files`` whose communities are those sharing a label
    (``labels``: node positions, ``(n,)``): sizes by counting, smallest ids by Arrow's sort
    (UTF-8 bytes sort as Python sorts strings)."""
    n = len(labels)
    by_name = pc.sort_indices(files).to_numpy()
    # the first of a label's nodes in name order is its smallest id
    label, smallest = np.unique(labels[by_name], return_index=True)
    size = np.bincount(labels, minlength=n)[label]
    number = np.empty(n, dtype=np.int64)
    number[label[np.lexsort((smallest, -size))]] = np.arange(len(label), dtype=np.int64)
    return number[labels]


def _rounded(values: np.ndarray, digits: int) -> np.ndarray:
    """``[round(v, digits) for v in values]`` as an array, bit for bit: Python rounds the
    exact decimal value half to even and reads the result back, which is ``rint(v * 10**d) /
    10**d`` (both exact integers, one correctly rounded division) unless ``v * 10**d``, itself
    rounded, lies too close to a half to tell which way the exact one goes; those few go
    through Python's ``round``."""
    scale = 10.0 ** digits
    scaled = values * scale
    out = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):  # infinities and NaN are in doubt
        doubt = ~(np.abs(scaled - np.floor(scaled) - 0.5) > 4 * np.spacing(np.abs(scaled))) | ~(
            np.abs(scaled) < 2.0 ** 52)
    if doubt.any():
        out[doubt] = [round(v, digits) for v in values[doubt].tolist()]
    return out


def _louvain_communities(names: list[str], src: np.ndarray, dst: np.ndarray) -> list[set]:
    """Louvain's communities of the undirected file graph, as sets of ids: networkx's
    ``louvain_communities(G, seed=42)`` of ``G = nx.Graph()`` with ``names`` added as nodes (an
    id listed twice is one node, placed where it is first listed) and the edges
    ``names[src[k]] - names[dst[k]]`` added in order (``src`` sorted: source by source in
    node order), which is what its neighbour orders, and so its answer, depend on (see
    :mod:`.louvain`)."""
    from .louvain import louvain

    place: dict[str, int] = {}
    for name in names:
        place.setdefault(name, len(place))
    node = [place[name] for name in names]
    found = louvain(len(place), ((node[i], node[j]) for i, j in
                                 zip(src.tolist(), dst.tolist())), seed=42)
    ids = list(place)
    return [{ids[u] for u in community} for community in found]

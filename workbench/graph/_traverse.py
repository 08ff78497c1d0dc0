"""Breadth-first search over integer adjacency arrays.

Queries must answer in well under 100 ms on maps of 100,000 nodes and 500,000 edges, which a
Python loop over networkx's dict-of-dicts cannot do once a search reaches tens of thousands
of nodes. Here a graph is a pair of CSR arrays (one row per node, neighbours and edge-kind
codes side by side) and a search advances a whole frontier at a time with numpy, so its cost
is a few array operations per level rather than per edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Direction codes recorded for each reached node (how its parent reached it).
OUT, IN = 0, 1


@dataclass(frozen=True)
class Adjacency:
    """Edges grouped by source in CSR form: row ``i`` is ``indices[indptr[i]:indptr[i+1]]``.

    ``kinds`` holds each slot's edge-kind code and ``edge_ids`` the edge's position in the
    edge table it was built from, to look up per-edge data such as import lines.
    """

    indptr: np.ndarray
    indices: np.ndarray
    kinds: np.ndarray
    edge_ids: np.ndarray

    @classmethod
    def from_edges(
        cls, n: int, src: np.ndarray, dst: np.ndarray, kinds: np.ndarray, edge_ids: np.ndarray | None = None
    ) -> Adjacency:
        order = np.argsort(src, kind="stable")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        ids = order if edge_ids is None else edge_ids[order]
        return cls(indptr, dst[order].astype(np.int32), kinds[order].astype(np.int16), ids.astype(np.int64))

    def reversed(self) -> Adjacency:
        n = len(self.indptr) - 1
        src = np.repeat(np.arange(n, dtype=np.int32), np.diff(self.indptr))
        return Adjacency.from_edges(n, self.indices, src, self.kinds, self.edge_ids)

    def edges_between(self, u: int, v: int, kind: int) -> np.ndarray:
        """Ids of the edges ``u -> v`` of kind code ``kind``."""
        row = slice(self.indptr[u], self.indptr[u + 1])
        return self.edge_ids[row][(self.indices[row] == v) & (self.kinds[row] == kind)]

    def expand(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All edges leaving ``frontier``: (origin, neighbour, kind) arrays."""
        starts = self.indptr[frontier]
        counts = self.indptr[frontier + 1] - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.empty(0, dtype=np.int32)
            return empty, empty, empty.astype(np.int16)
        # Positions of every edge of every frontier row, without a Python loop.
        row_offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        positions = np.arange(total, dtype=np.int64) + row_offsets
        origins = np.repeat(frontier, counts)
        return origins, self.indices[positions], self.kinds[positions]


@dataclass(frozen=True)
class Reached:
    """Nodes a search reached, in BFS order, with how each was first reached.

    ``parent[i]`` is the node ``order[i]`` was reached from (``-1`` for sources), ``via`` the
    edge-kind code of that hop and ``direction`` :data:`OUT` or :data:`IN`.
    """

    order: np.ndarray
    distance: np.ndarray
    parent: np.ndarray
    via: np.ndarray
    direction: np.ndarray

    def parents_by_node(self, n: int) -> np.ndarray:
        """A dense ``node -> parent`` array (``-1`` where unreached or a source)."""
        dense = np.full(n, -1, dtype=np.int64)
        dense[self.order] = self.parent
        return dense


def bfs(
    adjacencies: Sequence[tuple[Adjacency, int]],
    sources: np.ndarray,
    kind_allowed: np.ndarray,
    *,
    max_depth: int | None = None,
    expandable: np.ndarray | None = None,
) -> Reached:
    """Level-synchronous BFS from ``sources`` over the given (adjacency, direction) pairs.

    ``kind_allowed`` is a boolean mask indexed by edge-kind code. Nodes where ``expandable``
    is false are reached but not searched through (contracts use this to stop at the layer
    they look for). Ties (a node reached from two parents in one level) go to the parent
    listed first, so results are deterministic.
    """
    n = len(adjacencies[0][0].indptr) - 1
    seen = np.zeros(n, dtype=bool)
    frontier = np.unique(np.asarray(sources, dtype=np.int32))
    seen[frontier] = True
    parts: dict[str, list[np.ndarray]] = {
        "order": [frontier],
        "distance": [np.zeros(len(frontier), dtype=np.int32)],
        "parent": [np.full(len(frontier), -1, dtype=np.int32)],
        "via": [np.full(len(frontier), -1, dtype=np.int16)],
        "direction": [np.full(len(frontier), -1, dtype=np.int8)],
    }
    depth = 0
    while len(frontier) and (max_depth is None or depth < max_depth):
        depth += 1
        if expandable is not None:
            frontier = frontier[expandable[frontier]]
        found = []
        for adjacency, direction in adjacencies:
            origins, neighbours, kinds = adjacency.expand(frontier)
            keep = kind_allowed[kinds] & ~seen[neighbours]
            found.append((origins[keep], neighbours[keep], kinds[keep], direction))
        neighbours = np.concatenate([f[1] for f in found])
        if not len(neighbours):
            break
        frontier, first = np.unique(neighbours, return_index=True)
        seen[frontier] = True
        parts["order"].append(frontier)
        parts["distance"].append(np.full(len(frontier), depth, dtype=np.int32))
        parts["parent"].append(np.concatenate([f[0] for f in found])[first])
        parts["via"].append(np.concatenate([f[2] for f in found])[first])
        directions = np.concatenate([np.full(len(f[1]), f[3], dtype=np.int8) for f in found])
        parts["direction"].append(directions[first])
    return Reached(**{k: np.concatenate(v) for k, v in parts.items()})


def path_to_source(parent: np.ndarray, node: int) -> list[int]:
    """Follow a dense parent array from ``node`` back to its search source."""
    path = [node]
    while parent[path[-1]] >= 0:
        path.append(int(parent[path[-1]]))
    return path


def shortest_cycle(members: Sequence[int], successors: dict[int, list[int]]) -> list[int]:
    """A shortest directed cycle inside one strongly connected component.

    ``successors`` must already be restricted to the component. Every member is tried as a
    start, but each search stops at the length of the best cycle found so far, which keeps
    this cheap on real import graphs where short (often two-module) cycles abound. Returns
    the cycle as nodes ``[v0, v1, ..., v0]``; members are tried in the given order, so the
    first shortest cycle found wins.
    """
    best: list[int] = []
    for start in members:
        if best and len(best) == 2:  # a self-loop: nothing is shorter
            break
        limit = len(best) - 2 if best else len(members)  # edges of a strictly shorter cycle
        parent = {start: -1}
        frontier = [start]
        length = 0
        found: list[int] | None = None
        while frontier and length < limit and found is None:
            length += 1
            nxt = []
            for u in frontier:
                for v in successors.get(u, ()):
                    if v == start:
                        found = [u]
                        break
                    if v not in parent:
                        parent[v] = u
                        nxt.append(v)
                if found is not None:
                    break
            frontier = nxt
        if found is not None:
            while found[-1] != start:
                found.append(parent[found[-1]])
            cycle = [start, *reversed(found[:-1]), start] if len(found) > 1 else [start, start]
            if not best or len(cycle) < len(best):
                best = cycle
    return best

"""A per-graph cache of derived structures.

Maps are immutable per snapshot, so anything derived from a graph (adjacency arrays, name
indexes, strongly connected components) can be built once and reused by every query on it.
The cache holds graphs weakly so that dropping a snapshot's graph frees its index too. It
remembers the node count, so a graph that gains or loses nodes after indexing is re-indexed;
counting edges of a ``MultiDiGraph`` costs a pass over all nodes, too slow for a per-query
check, so a graph whose edges alone change must be re-indexed by the caller (build a new
:class:`~workbench.graph.index.GraphIndex`) -- snapshot graphs never change.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

import networkx as nx

T = TypeVar("T")


class PerGraphCache(Generic[T]):
    """Build ``factory(g)`` at most once per graph state and hand back the same object."""

    def __init__(self, factory: Callable[[nx.Graph], T]) -> None:
        self._factory = factory
        self._entries: weakref.WeakKeyDictionary[nx.Graph, tuple[int, T]] = weakref.WeakKeyDictionary()

    def get(self, g: nx.Graph) -> T:
        stamp = g.number_of_nodes()
        entry = self._entries.get(g)
        if entry is None or entry[0] != stamp:
            entry = (stamp, self._factory(g))
            self._entries[g] = entry
        return entry[1]

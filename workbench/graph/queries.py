"""Questions asked of one snapshot map, as plain functions of the graph.

Each function looks up (or builds, on first use) the :class:`~workbench.graph.index.GraphIndex`
of ``g`` and asks it; the index holds the arrays and cached structures that make repeated
queries on a large map fast. Code that keeps a graph around can hold the index itself.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pandas as pd

from workbench.domain import EdgeKind
from workbench.graph.index import (
    BETWEENNESS_MAX_NODES,
    COMMUNITY_SEED,
    DEPENDENCY_KINDS,
    Direction,
    GraphIndex,
    index_for,
)

__all__ = [
    "BETWEENNESS_MAX_NODES",
    "GraphIndex",
    "centrality",
    "collapse",
    "communities",
    "cycles",
    "hidden_coupling",
    "impact",
    "index_for",
    "layers",
    "module_graph",
    "paths",
    "related",
]


def related(
    g: nx.Graph,
    node: str,
    *,
    depth: int = 1,
    kinds: Iterable[str] | None = None,
    direction: Direction = "both",
) -> pd.DataFrame:
    """Neighbourhood of ``node`` (see :meth:`GraphIndex.related`).

    Columns ``node, kind, distance, via, parent, direction``.
    """
    return index_for(g).related(node, depth=depth, kinds=kinds, direction=direction)


def impact(
    g: nx.Graph, node: str, *, kinds: Iterable[str] = DEPENDENCY_KINDS, contained: bool = True,
    exclude_contexts: Iterable[str] = (),
) -> pd.DataFrame:
    """What depends on ``node``, transitively (see :meth:`GraphIndex.impact`).

    Columns ``node, kind, distance, path``. Import edges whose statements all stand in
    ``exclude_contexts`` (:class:`~workbench.domain.ImportContext` names) are not followed.
    """
    return index_for(g).impact(node, kinds=kinds, contained=contained,
                               exclude_contexts=exclude_contexts)


def paths(
    g: nx.Graph, a: str, b: str, *, kinds: Iterable[str] = (EdgeKind.IMPORTS.value,), limit: int = 10,
    exclude_contexts: Iterable[str] = (),
) -> list[list[str]]:
    """Up to ``limit`` chains ``a -> ... -> b``, shortest first (see :meth:`GraphIndex.paths`)."""
    return index_for(g).paths(a, b, kinds=kinds, limit=limit, exclude_contexts=exclude_contexts)


def cycles(g: nx.Graph, *, kind: str = EdgeKind.IMPORTS.value,
           exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
    """Cyclic components with one shortest cycle and its import lines (see :meth:`GraphIndex.cycles`)."""
    return index_for(g).cycles(kind=kind, exclude_contexts=exclude_contexts)


def layers(g: nx.Graph, *, exclude_contexts: Iterable[str] = ()) -> pd.DataFrame:
    """Levels of the condensed module import graph, 0 = imports nothing internal."""
    return index_for(g).layers(exclude_contexts=exclude_contexts)


def communities(g: nx.Graph, *, seed: int = COMMUNITY_SEED) -> pd.DataFrame:
    """Louvain communities of the module graph (networkx, fixed seed)."""
    return index_for(g).communities(seed=seed)


def centrality(g: nx.Graph) -> pd.DataFrame:
    """PageRank, degrees and (for at most ``BETWEENNESS_MAX_NODES`` modules) betweenness."""
    return index_for(g).centrality()


def module_graph(g: nx.Graph, *, external: bool = False,
                 exclude_contexts: Iterable[str] = ()) -> nx.DiGraph:
    """File-level nodes and aggregated import edges (frozen; see :meth:`GraphIndex.module_graph`)."""
    return index_for(g).module_graph(external=external, exclude_contexts=exclude_contexts)


def collapse(g: nx.Graph, *, depth: int = 2) -> nx.DiGraph:
    """Module graph aggregated to id prefixes of ``depth`` segments; ``size`` and ``weight`` counts."""
    return index_for(g).collapse(depth=depth)


def hidden_coupling(g: nx.Graph, co_change_pairs: pd.DataFrame) -> pd.DataFrame:
    """Co-changing files with no import path between them (see :meth:`GraphIndex.hidden_coupling`)."""
    return index_for(g).hidden_coupling(co_change_pairs)

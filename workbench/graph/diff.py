"""What changed between two snapshot maps of a project.

A diff answers review questions -- which modules appeared, which imports are new, did this
change introduce or break an import cycle, which metrics moved, which definitions were moved
to another module -- so each part is a DataFrame ready to show or filter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any

import networkx as nx
import pandas as pd

from workbench.domain import EdgeKind, NodeKind
from workbench.graph.index import GraphIndex, index_for

#: Numeric node attributes that locate a node rather than measure it; not reported as metrics.
NON_METRIC_ATTRIBUTES = frozenset({"line_start", "line_end"})
#: Derived node attributes left out of ``metrics_changed`` unless asked for: PageRank moves a
#: little on every node when one import changes, and community ids are labels, not measures.
DERIVED_ATTRIBUTES = frozenset({"pagerank", "community"})
_DEFINITION_KINDS = frozenset({NodeKind.CLASS.value, NodeKind.FUNCTION.value})


@dataclass(frozen=True)
class MapDiff:
    """Differences between an old and a new map; every field is a DataFrame.

    - ``nodes_added`` / ``nodes_removed``: ``node, kind``
    - ``edges_added`` / ``edges_removed``: ``src, dst, kind``
    - ``cycles_new`` / ``cycles_broken``: ``members, size, cycle`` (import cycles, see
      :func:`diff`; ``cycle`` is one shortest cycle ``[m0, m1, ..., m0]`` of the map it is in)
    - ``metrics_changed``: ``node, metric, old, new``
    - ``moved``: ``qualname, kind, old_node, new_node``
    """

    nodes_added: pd.DataFrame
    nodes_removed: pd.DataFrame
    edges_added: pd.DataFrame
    edges_removed: pd.DataFrame
    cycles_new: pd.DataFrame
    cycles_broken: pd.DataFrame
    metrics_changed: pd.DataFrame
    moved: pd.DataFrame
    note: str = ""
    """Which snapshots were compared, and a warning when they are not like with like."""

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name).empty for f in fields(self) if f.name != "note")


def _node_frame(g: nx.Graph, nodes: set[str]) -> pd.DataFrame:
    ordered = sorted(nodes)
    return pd.DataFrame(
        {"node": ordered, "kind": [g.nodes[n].get("kind") for n in ordered]}, columns=["node", "kind"]
    )


def _edge_set(index: GraphIndex) -> set[tuple[str, str, str]]:
    kinds = index.edge_kinds
    ids = index.ids
    return {
        (ids[s], ids[d], kinds[k])
        for s, d, k in zip(index.edge_src.tolist(), index.edge_dst.tolist(), index.edge_kind.tolist())
    }


def _edge_frame(edges: set[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(sorted(edges), columns=["src", "dst", "kind"])


def _import_cycles(index: GraphIndex) -> dict[frozenset[str], list[str]]:
    """Each cyclic component's members, with one shortest cycle through them."""
    found = index.cycles(kind=EdgeKind.IMPORTS.value)
    return {frozenset(m): list(c) for m, c in zip(found["members"], found["cycle"])}


def _cycle_frame(cycles: dict[frozenset[str], list[str]]) -> pd.DataFrame:
    rows = sorted(((sorted(m), c) for m, c in cycles.items()), key=lambda r: (-len(r[0]), r[0]))
    return pd.DataFrame({"members": [m for m, _ in rows], "size": [len(m) for m, _ in rows],
                         "cycle": [c for _, c in rows]}, columns=["members", "size", "cycle"])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """A whole float (3.0, as stored beside NaN in a float column) as the int it counts."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _metric_changes(g_old: nx.Graph, g_new: nx.Graph, common: set[str],
                    skip: frozenset[str]) -> pd.DataFrame:
    rows = []
    for node in sorted(common):
        old, new = g_old.nodes[node], g_new.nodes[node]
        for metric in sorted((set(old) | set(new)) - NON_METRIC_ATTRIBUTES - skip):
            a, b = old.get(metric), new.get(metric)
            if not (_is_number(a) or _is_number(b)) or a == b:
                continue
            if _is_number(a) and _is_number(b) and math.isnan(a) and math.isnan(b):
                continue
            rows.append((node, metric, _plain(a), _plain(b)))
    frame = pd.DataFrame(rows, columns=["node", "metric", "old", "new"])
    return frame.astype({"old": object, "new": object})  # counts stay ints beside NaN


def _moves(g_old: nx.Graph, g_new: nx.Graph, removed: set[str], added: set[str]) -> pd.DataFrame:
    """Definitions whose qualname vanished from exactly one module and appeared in exactly one other."""

    def by_qualname(g: nx.Graph, nodes: set[str]) -> dict[tuple[str, str], list[str]]:
        table: dict[tuple[str, str], list[str]] = defaultdict(list)
        for n in nodes:
            kind = g.nodes[n].get("kind")
            if kind in _DEFINITION_KINDS and ":" in n:
                table[(n.split(":", 1)[1], kind)].append(n)
        return table

    gone, came = by_qualname(g_old, removed), by_qualname(g_new, added)
    rows = [
        (qualname, kind, gone[(qualname, kind)][0], came[(qualname, kind)][0])
        for qualname, kind in sorted(gone.keys() & came.keys())
        if len(gone[(qualname, kind)]) == 1 and len(came[(qualname, kind)]) == 1
    ]
    return pd.DataFrame(rows, columns=["qualname", "kind", "old_node", "new_node"])


def diff(g_old: nx.Graph, g_new: nx.Graph, *, derived: bool = False) -> MapDiff:
    """Compare two maps of the same project.

    Edges are compared by ``(src, dst, kind)``. Import cycles are compared by membership of
    strongly connected components: a new-map component is *new* unless all its members
    already formed (part of) one old component, and an old component is *broken* unless all
    its members are still inside one new component -- so a cycle that grows is reported as
    new, not as broken, and one that loses a member (or the member is deleted) as broken.
    Metrics are the numeric node attributes other than line positions, compared on nodes
    present in both maps; whole numbers stay ints. PageRank and community ids
    (:data:`DERIVED_ATTRIBUTES`) are left out unless ``derived=True``. A definition has *moved* when its ``Class.method`` qualname was
    removed from one module and added to another (only unique matches are reported).
    """
    old_nodes, new_nodes = set(g_old.nodes), set(g_new.nodes)
    removed, added = old_nodes - new_nodes, new_nodes - old_nodes
    old_index, new_index = index_for(g_old), index_for(g_new)
    old_edges, new_edges = _edge_set(old_index), _edge_set(new_index)
    old_cycles, new_cycles = _import_cycles(old_index), _import_cycles(new_index)
    return MapDiff(
        nodes_added=_node_frame(g_new, added),
        nodes_removed=_node_frame(g_old, removed),
        edges_added=_edge_frame(new_edges - old_edges),
        edges_removed=_edge_frame(old_edges - new_edges),
        cycles_new=_cycle_frame({c: path for c, path in new_cycles.items()
                                 if not any(c <= o for o in old_cycles)}),
        cycles_broken=_cycle_frame({c: path for c, path in old_cycles.items()
                                    if not any(c <= n for n in new_cycles)}),
        metrics_changed=_metric_changes(g_old, g_new, old_nodes & new_nodes,
                                        frozenset() if derived else DERIVED_ATTRIBUTES),
        moved=_moves(g_old, g_new, removed, added),
    )

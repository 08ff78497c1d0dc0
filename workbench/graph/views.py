"""Derived, smaller graphs: the module import graph and its collapsed (package-level) views.

A map holds classes, functions and calls; architecture questions (layers, cycles between
packages, communities) are about files importing files. These views aggregate the import
edges of a map onto file-level nodes and then onto id prefixes, from edge arrays with pandas
rather than edge by edge, so that collapsing ~10,000 modules and ~50,000 imports takes tens
of milliseconds.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from workbench.domain import NodeKind
from workbench.graph.import_contexts import BITS, names_of


@dataclass(frozen=True)
class EdgeArrays:
    """Edges as parallel arrays over node positions (``src[i] -> dst[i]``)."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    line: np.ndarray  # float: NaN where the edge has no line


def group_key(node_id: str, kind: str | None, depth: int) -> str:
    """The id prefix a node is collapsed into: ``depth`` dotted segments, or path segments.

    Python modules and packages are named by dotted names (``flask.json.tag`` -> ``flask.json``
    at depth 2); other files by repository paths (``web/src/app.ts`` -> ``web/src``). A node
    with fewer segments than ``depth`` stays itself.
    """
    sep = "/" if kind == NodeKind.FILE.value or (kind is None and "/" in node_id) else "."
    return sep.join(node_id.split(sep)[:depth])


def aggregate(
    src: Sequence[Hashable] | np.ndarray,
    dst: Sequence[Hashable] | np.ndarray,
    weight: np.ndarray,
    line: np.ndarray,
    contexts: np.ndarray | None = None,
) -> pd.DataFrame:
    """Sum weights of parallel edges; keep the first (lowest) line number of each pair.

    Endpoints may be node positions or group names; the result is sorted by (src, dst).
    With ``contexts`` (bit sets of import contexts, :mod:`~workbench.graph.import_contexts`)
    the result has a ``contexts`` column: the union over each pair's edges.
    """
    frame = pd.DataFrame({"src": src, "dst": dst, "weight": weight, "line": line})
    aggregations = {"weight": ("weight", "sum"), "line": ("line", "min")}
    if contexts is not None:  # a union of bit sets: the max of each bit
        for bit in BITS.values():
            frame[f"bit{bit}"] = (np.asarray(contexts) & bit) != 0
            aggregations[f"bit{bit}"] = (f"bit{bit}", "max")
    grouped = frame.groupby(["src", "dst"], sort=True, as_index=False).agg(**aggregations)
    if contexts is None:
        return grouped
    union = np.zeros(len(grouped), dtype=np.uint8)
    for bit in BITS.values():
        union[grouped.pop(f"bit{bit}").to_numpy(dtype=bool)] |= bit
    grouped["contexts"] = union
    return grouped


def module_digraph(
    nodes: list[tuple[str, dict]], edges: pd.DataFrame, *, edge_kind: str = "imports"
) -> nx.DiGraph:
    """A frozen ``DiGraph`` of file-level ``nodes`` and aggregated ``edges`` (src, dst, weight,
    line and, when given, ``contexts`` bit sets, written as ``context``/``contexts`` edge data)."""
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    lines = edges["line"].to_numpy()
    bits = edges["contexts"].tolist() if "contexts" in edges.columns else [0] * len(edges)
    named = {b: names_of(b) for b in set(bits)}
    g.add_edges_from(
        (s, d, {"kind": edge_kind, "weight": int(w)} | ({} if np.isnan(ln) else {"line": int(ln)})
         | ({"context": named[c][0], "contexts": sorted(named[c])} if c else {}))
        for s, d, w, ln, c in zip(edges["src"].tolist(), edges["dst"].tolist(), edges["weight"].tolist(),
                                  lines, bits)
    )
    return nx.freeze(g)


def collapse_modules(module_graph: nx.DiGraph, edges: EdgeArrays, depth: int) -> nx.DiGraph:
    """Collapse ``module_graph`` onto id prefixes of ``depth`` segments.

    ``edges`` are the module graph's edges as positions into ``list(module_graph)``. Node
    attributes: ``kind="group"``, ``size`` (modules inside) and ``internal_weight`` (imports
    between modules of the same group). Edge ``weight`` is the number of imports (the sum of
    import edge weights) from one group to another; imports inside a group are not edges.
    """
    if depth < 1:
        raise ValueError("depth must be >= 1")
    groups = np.array(
        [group_key(n, d.get("kind"), depth) for n, d in module_graph.nodes(data=True)], dtype=object
    )
    combined = aggregate(groups[edges.src], groups[edges.dst], edges.weight, edges.line)
    internal = combined[combined["src"] == combined["dst"]].set_index("src")["weight"]
    between = combined[combined["src"] != combined["dst"]]
    g = nx.DiGraph()
    g.add_nodes_from(
        (key, {"kind": "group", "name": key, "size": int(size), "internal_weight": int(internal.get(key, 0))})
        for key, size in pd.Series(groups).value_counts(sort=False).sort_index().items()
    )
    g.add_edges_from(
        (s, d, {"kind": "imports", "weight": int(w)})
        for s, d, w in zip(between["src"].tolist(), between["dst"].tolist(), between["weight"].tolist())
    )
    return nx.freeze(g)

"""Write maps in formats other tools read: GraphML, GEXF, node-link JSON and Graphviz DOT.

GraphML and GEXF accept only scalar attributes of one type per attribute name, and JSON has
no ``NaN``; map attributes can be ``None``, ``NaN``, numpy scalars or lists. So every export
first makes a sanitized copy: missing values are dropped, numpy scalars become Python ones,
containers become JSON text, and an attribute that mixes ints and floats becomes float
(mixing numbers and text: text). DOT is written by hand for the collapsed view, which is
the only one small enough to lay out, so pydot/pygraphviz are not needed.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from workbench.graph.index import index_for


def _scalar(value: Any) -> Any:
    """A GraphML/GEXF/JSON-safe scalar, or ``None`` to drop the attribute."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset, dict, np.ndarray)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return json.dumps(items.tolist() if isinstance(items, np.ndarray) else items, default=str)
    return str(value)


def _unify(records: Iterable[dict[str, Any]]) -> None:
    """Give each attribute name one type across all records (in place)."""
    records = list(records)
    types: dict[str, set[type]] = defaultdict(set)
    for attrs in records:
        for name, value in attrs.items():
            types[name].add(type(value))
    for name, seen in types.items():
        if len(seen) < 2:
            continue
        target = float if seen <= {int, float, bool} else str
        for attrs in records:
            if name in attrs:
                attrs[name] = target(attrs[name])


def sanitize(g: nx.Graph) -> nx.Graph:
    """A copy of ``g`` (same class) whose attributes every export format accepts."""
    clean = g.__class__()
    clean.graph.update({k: v for k, v in ((k, _scalar(v)) for k, v in g.graph.items()) if v is not None})
    nodes = [
        (n, {k: s for k, v in d.items() if (s := _scalar(v)) is not None}) for n, d in g.nodes(data=True)
    ]
    edges: list[tuple[Any, ...]]
    if g.is_multigraph():
        edges = [
            (u, v, key, {a: s for a, x in d.items() if (s := _scalar(x)) is not None})
            for u, v, key, d in g.edges(keys=True, data=True)
        ]
    else:
        edges = [
            (u, v, {a: s for a, x in d.items() if (s := _scalar(x)) is not None})
            for u, v, d in g.edges(data=True)
        ]
    _unify(attrs for _, attrs in nodes)
    _unify(e[-1] for e in edges)
    clean.add_nodes_from(nodes)
    clean.add_edges_from(edges)
    return clean


def write_graphml(g: nx.Graph, path: str | Path) -> None:
    """GraphML (yEd, Gephi, Cytoscape).

    Read it back with ``nx.read_graphml(path, force_multigraph=True, edge_key_type=str)``.
    """
    nx.write_graphml(sanitize(g), str(path))


def write_gexf(g: nx.Graph, path: str | Path) -> None:
    """GEXF 1.2 (Gephi)."""
    nx.write_gexf(sanitize(g), str(path))


def node_link_json(g: nx.Graph) -> str:
    """Node-link JSON (d3 and ``nx.node_link_graph(..., edges="edges")``)."""
    return json.dumps(nx.node_link_data(sanitize(g), edges="edges"), sort_keys=True)


def write_node_link_json(g: nx.Graph, path: str | Path) -> None:
    """Node-link JSON into a file (see :func:`node_link_json`)."""
    Path(path).write_text(node_link_json(g), encoding="utf-8")


def _quote(text: Any) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\\n").replace("\n", "\\n") + '"'


def collapsed_dot(g: nx.Graph, *, depth: int = 2, name: str = "map") -> str:
    """Graphviz DOT text of ``g``'s module graph collapsed to ``depth`` segments.

    Node labels show the group and how many modules it holds; edge labels and pen widths
    show how many imports go from one group to the other.
    """
    view = index_for(g).collapse(depth=depth)
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for node, d in sorted(view.nodes(data=True)):
        size = int(d.get("size", 0))
        label = f"{node}\n{size} module{'' if size == 1 else 's'}"
        lines.append(f"  {_quote(node)} [label={_quote(label)}];")
    for u, v, d in sorted(view.edges(data=True)):
        weight = int(d.get("weight", 1))
        width = 1 + math.log2(weight) if weight > 0 else 1
        lines.append(f"  {_quote(u)} -> {_quote(v)} [label={_quote(weight)}, penwidth={width:.2f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

"""Build a snapshot graph from the node and edge tables the store keeps.

The store reads ``nodes`` and ``edges`` as DataFrames (from DuckDB via Arrow); turning them
into a ``MultiDiGraph`` must not dominate a query's first call, so columns are converted to
plain Python lists once and zipped, never walked row by row. Missing values (``None`` /
``NaN``) are left out of the attribute dicts, so ``d.get("line")`` is ``None`` rather than
``nan`` for edges that have no line.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import repeat
from typing import Any

import networkx as nx
import pandas as pd

from workbench.graph._gc import collector_paused

#: Columns every ``nodes`` frame has; any further column becomes a node (metric) attribute.
NODE_COLUMNS = ("id", "kind", "name", "path", "line_start", "line_end", "language")
#: Columns every ``edges`` frame has; further columns become edge attributes.
EDGE_COLUMNS = ("src", "dst", "kind", "weight", "line")
_INTEGER_COLUMNS = frozenset({"line_start", "line_end", "line", "weight"})


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as Python scalars, missing values as ``None``.

    Integer columns that went through a nullable path (DuckDB -> pandas gives ``float64`` with
    ``NaN``) are turned back into ints so that attributes keep their type in exports.
    """
    series = frame[name]
    if series.isna().any():
        if name in _INTEGER_COLUMNS and pd.api.types.is_float_dtype(series.dtype):
            if (series.dropna() % 1 == 0).all():
                series = series.astype("Int64")
        return series.astype(object).where(series.notna(), None).tolist()
    return series.tolist()


def _attr_dicts(frame: pd.DataFrame, columns: list[str]) -> Iterator[dict[str, Any]]:
    """One attribute dict per row; columns without missing values skip the per-value check."""
    values = {c: _column(frame, c) for c in columns}
    full = [c for c in columns if not frame[c].isna().any()]
    partial = [c for c in columns if c not in full]
    full_rows = zip(*(values[c] for c in full)) if full else repeat(())
    if not partial:
        yield from (dict(zip(full, row)) for row in full_rows)
        return
    for row, extra in zip(full_rows, zip(*(values[c] for c in partial))):
        attrs = dict(zip(full, row))
        attrs.update((c, v) for c, v in zip(partial, extra) if v is not None)
        yield attrs


def graph_from_frames(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.MultiDiGraph:
    """Build the snapshot ``MultiDiGraph``: edge key = edge kind, attributes from columns.

    ``nodes`` needs an ``id`` column, ``edges`` ``src``, ``dst`` and ``kind``; every other
    column becomes an attribute (``kind``, ``name``, ``path``, metrics... on nodes; ``kind``,
    ``weight``, ``line`` on edges). An edge whose endpoint has no row in ``nodes`` still adds
    that endpoint, without attributes.
    """
    g = nx.MultiDiGraph()
    node_attrs = [c for c in nodes.columns if c != "id"]
    edge_attrs = [c for c in edges.columns if c not in ("src", "dst")]
    with collector_paused():
        g.add_nodes_from(zip(_column(nodes, "id"), _attr_dicts(nodes, node_attrs)))
        g.add_edges_from(
            zip(
                _column(edges, "src"),
                _column(edges, "dst"),
                _column(edges, "kind"),
                _attr_dicts(edges, edge_attrs),
            )
        )
    return g

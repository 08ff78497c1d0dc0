"""From per-file facts to the nodes and edges of a system map.

This is where files meet: names are assigned, imports resolved to internal files or external
dependencies, calls and inheritance linked, and the containment tree (package → module →
class → function, directory → file → definition) drawn. Python is handled by
:mod:`.python_links`, the tree-sitter languages by :mod:`.other_links`; structural metrics are
added by :mod:`.metrics`. The output is three Arrow tables matching the store's ``files``,
``nodes`` and ``edges`` columns, plus the snapshot's headline statistics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from ..domain import FILE_KINDS, EdgeKind, NodeKind
from .metrics import add_structural_metrics
from .other_links import link_other_languages
from .python_links import PythonLinks, link_python
from .version import MAP_VERSION
from .tables import EDGE_FIELDS, NODE_FIELDS, EdgeSet, MapTables, NodeSet, ScannedFile, file_node_fields

__all__ = ["MAP_VERSION", "build_map", "link_map", "finish_map", "LinkedMap", "MapTables",
           "ScannedFile", "NodeSet", "EdgeSet", "NODE_FIELDS", "EDGE_FIELDS", "file_node_fields"]


@dataclass
class LinkedMap:
    """A map's nodes and edges before its co-change edges: what :func:`link_map` builds from
    the files alone, while the history that gives those edges may still be analysed."""

    files: list[ScannedFile]
    nodes: NodeSet
    edges: EdgeSet
    python: dict
    other: dict
    links: PythonLinks  # what the Python link read across modules (kept with the snapshot)


def build_map(files: list[ScannedFile], manifests: dict[str, bytes] | None = None,
              coupling=None) -> MapTables:
    """Assign names, resolve imports, calls and bases, draw containment, add metrics.

    ``coupling`` (path_a, path_b, shared, degree) adds ``co_changes`` edges between the
    file-level nodes of files that changed together. :func:`link_map` then
    :func:`finish_map`.
    """
    return finish_map(link_map(files, manifests), coupling)


def link_map(files: list[ScannedFile], manifests: dict[str, bytes] | None = None) -> LinkedMap:
    """Every node and edge of the map but the co-change edges, with the structural metrics
    (computed on import edges only, so the co-change edges added later do not change them)."""
    nodes, edges = NodeSet(), EdgeSet()
    py_stats, links = link_python(
        [f for f in files if f.language == "python" and f.status != "ignored"], nodes, edges)
    other = [f for f in files if f.language not in (None, "python") and f.status != "ignored"]
    other_stats = link_other_languages(other, nodes, edges, manifests or {})
    add_structural_metrics(nodes, edges)
    return LinkedMap(files, nodes, edges, py_stats, other_stats, links)


def finish_map(linked: LinkedMap, coupling=None) -> MapTables:
    """The tables of a linked map, with ``coupling``'s co-change edges (see :func:`build_map`)
    and the snapshot's headline statistics."""
    files, nodes, edges = linked.files, linked.nodes, linked.edges
    py_stats, other_stats = linked.python, linked.other
    if coupling is not None and len(coupling):
        _add_co_changes(nodes, edges, coupling)

    kinds = Counter(r["kind"] for r in nodes.rows.values())
    edge_kinds = Counter(k for _, _, k in edges.rows)
    external = NodeKind.EXTERNAL.value
    externals = [r for r in nodes.rows.values() if r["kind"] == external]
    languages = Counter(f.language for f in files if f.language and f.status != "ignored")
    skipped = {f.path for f in files if f.status == "skipped"}
    stats = {
        "files": len(files),
        "python_files": languages.get("python", 0),
        "source_files": sum(languages.values()),
        "languages": dict(sorted(languages.items())),
        "modules": py_stats["modules"] + other_stats["files"],
        "packages": py_stats["packages"],
        "classes": kinds[NodeKind.CLASS.value],
        "functions": kinds[NodeKind.FUNCTION.value],
        "import_edges": edge_kinds["imports"],
        "call_edges": edge_kinds["calls"],
        "inherits_edges": edge_kinds["inherits"],
        "tests_edges": edge_kinds["tests"],
        "co_change_edges": edge_kinds["co_changes"],
        "calls_resolved": py_stats["calls_resolved"] + other_stats.get("calls_resolved", 0),
        "calls_unresolved": py_stats["calls_unresolved"] + other_stats.get("calls_unresolved", 0),
        "calls_builtin": py_stats["calls_builtin"] + other_stats.get("calls_builtin", 0),
        "external_dependencies": sum(1 for r in externals if not r["attrs"].get("stdlib")),
        "stdlib_dependencies": sum(1 for r in externals if r["attrs"].get("stdlib")),
        # a skipped file's node carries why it was skipped: counted as skipped, not here
        "parse_problems": sum(1 for r in nodes.rows.values()
                              if r.get("problem") and r.get("path") not in skipped),
        "skipped_files": len(skipped),
    }
    return MapTables(files=files_table(files), nodes=nodes.table(), edges=edges.table(), stats=stats)


def _add_co_changes(nodes: NodeSet, edges: EdgeSet, coupling) -> None:
    add_co_changes({r["path"]: r["id"] for r in nodes.rows.values()
                    if r["kind"] in FILE_KINDS and r.get("path")}, edges, coupling)


def add_co_changes(by_path: dict[str, str], edges: EdgeSet, coupling) -> None:
    """``co_changes`` edges between the file-level nodes (``by_path``: path -> node id) of
    the files ``coupling`` (path_a, path_b, shared, degree) pairs."""
    for row in coupling.itertuples(index=False):
        a, b = by_path.get(row.path_a), by_path.get(row.path_b)
        if a and b:
            edges.set(a, b, EdgeKind.CO_CHANGES.value, int(row.shared),
                      {"degree": round(float(row.degree), 4)})


def files_table(files: list[ScannedFile]) -> pa.Table:
    """The store's ``files`` rows of a map's scanned files."""
    return pa.table(
        {
            "path": [f.path for f in files],
            "blob_sha": [f.blob_sha for f in files],
            "size": [f.size for f in files],
            "language": [f.language for f in files],
            "status": [f.status for f in files],
            "reason": [f.reason for f in files],
        },
        schema=pa.schema([("path", pa.string()), ("blob_sha", pa.string()), ("size", pa.int64()),
                          ("language", pa.string()), ("status", pa.string()), ("reason", pa.string())]),
    )

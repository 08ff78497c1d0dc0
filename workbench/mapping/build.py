"""From per-file facts to the nodes and edges of a system map.

This is where files meet: names are assigned, imports resolved to internal files or external
dependencies, calls and inheritance linked, and the containment tree (package → module →
class → function, directory → file → definition) drawn. Python is handled by
:mod:`.python_links`, the tree-sitter languages by :mod:`.other_links`; structural metrics are
added by :mod:`.metrics`. The output is three Arrow tables matching the store's ``files``,
``nodes`` and ``edges`` columns, plus the snapshot's headline statistics.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from ..domain import FILE_KINDS, EdgeKind, NodeKind
from .facts import FileFacts

#: Version of the map format written to ``snapshots.parser_version``.
MAP_VERSION = 2

NODE_FIELDS = (
    ("id", pa.string()), ("kind", pa.string()), ("name", pa.string()), ("parent", pa.string()),
    ("path", pa.string()), ("line_start", pa.int32()), ("line_end", pa.int32()),
    ("language", pa.string()), ("lines", pa.int32()), ("code_lines", pa.int32()),
    ("comment_lines", pa.int32()), ("blank_lines", pa.int32()), ("complexity", pa.int32()),
    ("fan_in", pa.int32()), ("fan_out", pa.int32()), ("pagerank", pa.float64()),
    ("community", pa.int32()), ("depth", pa.int32()), ("problem", pa.string()),
    ("attrs", pa.string()),
)
EDGE_FIELDS = (
    ("src", pa.string()), ("dst", pa.string()), ("kind", pa.string()), ("weight", pa.int32()),
    ("line", pa.int32()), ("attrs", pa.string()),
)


@dataclass
class ScannedFile:
    """One file of the commit: where it is, what git says about it, and what parsing found."""

    path: str
    blob_sha: str
    size: int | None
    language: str | None
    status: str  # "parsed", "skipped", "ignored"
    reason: str | None = None
    facts: FileFacts | None = None


@dataclass
class MapTables:
    files: pa.Table
    nodes: pa.Table
    edges: pa.Table
    stats: dict = field(default_factory=dict)


class NodeSet:
    """Nodes by id; the first writer of an id wins, later writers may fill in fields."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def add(self, id: str, kind: str, name: str, **values) -> dict:
        row = self.rows.get(id)
        if row is None:
            row = self.rows[id] = {"id": id, "kind": kind, "name": name, **values}
        return row

    def __contains__(self, id: str) -> bool:
        return id in self.rows

    def table(self) -> pa.Table:
        names = [n for n, _ in NODE_FIELDS]
        cols: dict[str, list] = {n: [] for n in names}
        for row in self.rows.values():
            for n in names:
                value = row.get(n)
                if n == "attrs":
                    value = json.dumps(value, separators=(",", ":"), sort_keys=True) if value else None
                cols[n].append(value)
        return pa.table(cols, schema=pa.schema(list(NODE_FIELDS)))


class EdgeSet:
    """Edges by (src, dst, kind); repeats add to the weight and keep the first line."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], dict] = {}

    def add(self, src: str, dst: str, kind: str, line: int | None = None) -> None:
        key = (src, dst, kind)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = {"weight": 1, "line": line, "lines": {line} if line else set()}
            return
        row["weight"] += 1
        if line:
            row["lines"].add(line)
            row["line"] = min(row["line"] or line, line)

    def __contains__(self, key: tuple[str, str, str]) -> bool:
        return key in self.rows

    def set(self, src: str, dst: str, kind: str, weight: int, attrs: dict) -> None:
        """An edge whose weight is known up front (co-change counts), with its own attributes."""
        self.rows[(src, dst, kind)] = {"weight": weight, "line": None, "lines": set(), "attrs": attrs}

    def table(self) -> pa.Table:
        cols: dict[str, list] = {n: [] for n, _ in EDGE_FIELDS}
        for (s, d, k), row in self.rows.items():
            cols["src"].append(s)
            cols["dst"].append(d)
            cols["kind"].append(k)
            cols["weight"].append(row["weight"])
            cols["line"].append(row["line"])
            lines = sorted(row["lines"])
            attrs = dict(row.get("attrs") or {})
            if len(lines) > 1:
                attrs["lines"] = lines[:50]
            cols["attrs"].append(json.dumps(attrs, sort_keys=True) if attrs else None)
        return pa.table(cols, schema=pa.schema(list(EDGE_FIELDS)))


def file_node_fields(f: ScannedFile) -> dict:
    """Node fields shared by every file-level node (module, package, file)."""
    facts = f.facts
    problem = f.reason if f.status == "skipped" else (facts.problem if facts else None)
    values = {"path": f.path, "language": f.language, "problem": problem,
              "attrs": {"blob": f.blob_sha}}
    if facts is not None:
        values.update(lines=facts.lines, code_lines=facts.code_lines,
                      comment_lines=facts.comment_lines, blank_lines=facts.blank_lines,
                      line_start=1, line_end=max(1, facts.lines))
        doc = facts.extra.get("docstring")
        if doc:
            values["attrs"]["doc"] = doc
    return values


def build_map(files: list[ScannedFile], manifests: dict[str, bytes] | None = None,
              coupling=None) -> MapTables:
    """Assign names, resolve imports, calls and bases, draw containment, add metrics.

    ``coupling`` (path_a, path_b, shared, degree) adds ``co_changes`` edges between the
    file-level nodes of files that changed together.
    """
    from .metrics import add_structural_metrics
    from .other_links import link_other_languages
    from .python_links import link_python

    nodes, edges = NodeSet(), EdgeSet()
    py_stats = link_python([f for f in files if f.language == "python" and f.status != "ignored"],
                           nodes, edges)
    other = [f for f in files if f.language not in (None, "python") and f.status != "ignored"]
    other_stats = link_other_languages(other, nodes, edges, manifests or {})
    add_structural_metrics(nodes, edges)
    if coupling is not None and len(coupling):
        _add_co_changes(nodes, edges, coupling)

    kinds = Counter(r["kind"] for r in nodes.rows.values())
    edge_kinds = Counter(k for _, _, k in edges.rows)
    externals = [r for r in nodes.rows.values() if r["kind"] == NodeKind.EXTERNAL.value]
    languages = Counter(f.language for f in files if f.language and f.status != "ignored")
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
        "calls_resolved": py_stats["calls_resolved"],
        "calls_unresolved": py_stats["calls_unresolved"],
        "calls_builtin": py_stats["calls_builtin"],
        "external_dependencies": sum(1 for r in externals if not r["attrs"].get("stdlib")),
        "stdlib_dependencies": sum(1 for r in externals if r["attrs"].get("stdlib")),
        "parse_problems": sum(1 for r in nodes.rows.values() if r.get("problem")),
        "skipped_files": sum(1 for f in files if f.status == "skipped"),
    }
    return MapTables(files=_files_table(files), nodes=nodes.table(), edges=edges.table(), stats=stats)


def _add_co_changes(nodes: NodeSet, edges: EdgeSet, coupling) -> None:
    by_path = {r["path"]: r["id"] for r in nodes.rows.values()
               if r["kind"] in FILE_KINDS and r.get("path")}
    for row in coupling.itertuples(index=False):
        a, b = by_path.get(row.path_a), by_path.get(row.path_b)
        if a and b:
            edges.set(a, b, EdgeKind.CO_CHANGES.value, int(row.shared),
                      {"degree": round(float(row.degree), 4)})


def _files_table(files: list[ScannedFile]) -> pa.Table:
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

"""From per-file facts to the nodes and edges of a system map.

This is where files meet: module names are assigned (:mod:`.pymodules`), imports resolved to
internal modules or external dependencies, and the containment tree (package → module →
class → function) drawn. The output is three Arrow tables matching the store's ``files``,
``nodes`` and ``edges`` columns, plus the snapshot's headline statistics.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from ..domain import EdgeKind, NodeKind
from .facts import FileFacts
from .pymodules import STDLIB, ImportResolver, module_names


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


class _Nodes:
    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def add(self, id: str, kind: str, name: str, **values) -> None:
        if id not in self.rows:
            self.rows[id] = {"id": id, "kind": kind, "name": name, **values}

    def table(self) -> pa.Table:
        cols = {c: [] for c in ("id", "kind", "name", "parent", "path", "line_start",
                                "line_end", "language", "lines", "problem", "attrs")}
        for row in self.rows.values():
            for c in cols:
                value = row.get(c)
                if c == "attrs":
                    value = json.dumps(value, separators=(",", ":")) if value else None
                cols[c].append(value)
        schema = pa.schema([
            ("id", pa.string()), ("kind", pa.string()), ("name", pa.string()),
            ("parent", pa.string()), ("path", pa.string()), ("line_start", pa.int32()),
            ("line_end", pa.int32()), ("language", pa.string()), ("lines", pa.int32()),
            ("problem", pa.string()), ("attrs", pa.string()),
        ])
        return pa.table(cols, schema=schema)


class _Edges:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], dict] = {}

    def add(self, src: str, dst: str, kind: str, line: int | None = None) -> None:
        key = (src, dst, kind)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = {"weight": 1, "line": line, "lines": [line] if line else []}
        else:
            row["weight"] += 1
            if line:
                row["lines"].append(line)
                row["line"] = min(row["line"] or line, line)

    def table(self) -> pa.Table:
        src, dst, kind, weight, line, attrs = [], [], [], [], [], []
        for (s, d, k), row in self.rows.items():
            src.append(s)
            dst.append(d)
            kind.append(k)
            weight.append(row["weight"])
            line.append(row["line"])
            extra = {"lines": sorted(set(row["lines"]))} if len(row["lines"]) > 1 else None
            attrs.append(json.dumps(extra) if extra else None)
        return pa.table(
            {"src": src, "dst": dst, "kind": kind, "weight": weight, "line": line, "attrs": attrs},
            schema=pa.schema([("src", pa.string()), ("dst", pa.string()), ("kind", pa.string()),
                              ("weight", pa.int32()), ("line", pa.int32()), ("attrs", pa.string())]),
        )


def build_map(files: list[ScannedFile]) -> MapTables:
    """Assign names, resolve imports and draw containment for every scanned file."""
    nodes, edges = _Nodes(), _Edges()
    python = [f for f in files if f.language == "python" and f.status != "ignored"]
    names = module_names([f.path for f in python])
    packages = {names[f.path] for f in python if f.path.endswith("__init__.py")}
    modules = set(names.values())
    resolver = ImportResolver(modules, packages)

    for f in python:
        module = names[f.path]
        kind = NodeKind.PACKAGE.value if module in packages else NodeKind.MODULE.value
        facts = f.facts
        problem = f.reason if f.status == "skipped" else (facts.problem if facts else None)
        attrs = {"blob": f.blob_sha}
        if facts is not None:
            attrs.update(code_lines=facts.code_lines, comment_lines=facts.comment_lines,
                         blank_lines=facts.blank_lines)
            if facts.extra.get("docstring"):
                attrs["doc"] = facts.extra["docstring"]
        nodes.add(module, kind, module.rpartition(".")[2], path=f.path, language="python",
                  lines=facts.lines if facts else None, problem=problem, attrs=attrs,
                  line_start=1 if facts else None, line_end=facts.lines if facts else None)
        _add_containers(module, nodes, edges, modules)
        if facts is None:
            continue
        for d in facts.definitions:
            node_id = f"{module}:{d.qualname}"
            parent = f"{module}:{d.parent}" if d.parent else module
            d_attrs = {k: v for k, v in (("decorators", list(d.decorators)), ("bases", list(d.bases)),
                                         ("complexity", d.complexity)) if v}
            nodes.add(node_id, NodeKind.CLASS.value if d.kind == "class" else NodeKind.FUNCTION.value,
                      d.name, parent=parent, path=f.path, line_start=d.line_start,
                      line_end=d.line_end, language="python",
                      lines=d.line_end - d.line_start + 1, attrs=d_attrs)
            edges.add(parent, node_id, EdgeKind.CONTAINS.value)
        for ref in facts.imports:
            for res in resolver.resolve(module, ref):
                if res.internal and res.internal != module:
                    edges.add(module, res.internal, EdgeKind.IMPORTS.value, ref.line)
                elif res.external:
                    ext = f"ext:{res.external}"
                    nodes.add(ext, NodeKind.EXTERNAL.value, res.external,
                              attrs={"stdlib": res.external in STDLIB})
                    edges.add(module, ext, EdgeKind.DEPENDS_ON.value, ref.line)

    node_table = nodes.table()
    edge_table = edges.table()
    kinds = Counter(node_table.column("kind").to_pylist())
    edge_kinds = Counter(edge_table.column("kind").to_pylist())
    externals = [r for r in nodes.rows.values() if r["kind"] == NodeKind.EXTERNAL.value]
    stats = {
        "files": len(files),
        "python_files": len(python),
        "modules": len(python),
        "packages": len(packages),
        "classes": kinds[NodeKind.CLASS.value],
        "functions": kinds[NodeKind.FUNCTION.value],
        "import_edges": edge_kinds[EdgeKind.IMPORTS.value],
        "external_dependencies": sum(1 for r in externals if not r["attrs"]["stdlib"]),
        "stdlib_dependencies": sum(1 for r in externals if r["attrs"]["stdlib"]),
        "parse_problems": sum(1 for r in nodes.rows.values() if r.get("problem")),
        "skipped_files": sum(1 for f in files if f.status == "skipped"),
    }
    return MapTables(files=_files_table(files), nodes=node_table, edges=edge_table, stats=stats)


def _add_containers(module: str, nodes: _Nodes, edges: _Edges, modules: set[str]) -> None:
    """Link ``a.b.c`` under ``a.b`` under ``a``; parents that are not files become namespace packages."""
    child = module
    parent = module.rpartition(".")[0]
    while parent:
        if parent not in modules:
            nodes.add(parent, NodeKind.PACKAGE.value, parent.rpartition(".")[2],
                      attrs={"namespace": True})
        if (parent, child, EdgeKind.CONTAINS.value) in edges.rows:
            return
        edges.add(parent, child, EdgeKind.CONTAINS.value)
        nodes.rows[child]["parent"] = parent
        child, parent = parent, parent.rpartition(".")[0]


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

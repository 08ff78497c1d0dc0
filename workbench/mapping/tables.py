"""The building blocks of a map: scanned files, and node and edge sets that become Arrow tables.

Shared by the Python and tree-sitter linkers and by the metrics, so that none of them needs
:mod:`.build`, which orchestrates them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa

from ..domain import EdgeKind, strongest_context
from .facts import FileFacts

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
        rows = list(self.rows.values())
        cols = {n: [row.get(n) for row in rows] for n, _ in NODE_FIELDS}  # column by column
        dumps = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
        cols["attrs"] = [dumps(a) if a else None for a in cols["attrs"]]
        return pa.table(cols, schema=pa.schema(list(NODE_FIELDS)))


#: Edge kinds that stand for import statements: each records where its statements stand.
_IMPORT_KINDS = frozenset({EdgeKind.IMPORTS.value, EdgeKind.DEPENDS_ON.value})


class EdgeSet:
    """Edges by (src, dst, kind); repeats add to the weight and keep the first line.

    Import edges (``imports``, ``depends_on``) also collect the contexts of their statements
    (:class:`~workbench.domain.ImportContext`; ``import_time`` when the parser does not tell)
    and are written with ``attrs.context`` (the strongest) and ``attrs.contexts`` (all, sorted).
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], dict] = {}

    def add(self, src: str, dst: str, kind: str, line: int | None = None,
            context: str | None = None) -> None:
        key = (src, dst, kind)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = {"weight": 1, "line": line, "lines": {line} if line else set()}
            if kind in _IMPORT_KINDS:
                row["contexts"] = {context or "import_time"}
            return
        row["weight"] += 1
        if line:
            row["lines"].add(line)
            row["line"] = min(row["line"] or line, line)
        if kind in _IMPORT_KINDS:
            row["contexts"].add(context or "import_time")

    def __contains__(self, key: tuple[str, str, str]) -> bool:
        return key in self.rows

    def set(self, src: str, dst: str, kind: str, weight: int, attrs: dict) -> None:
        """An edge whose weight is known up front (co-change counts), with its own attributes."""
        self.rows[(src, dst, kind)] = {"weight": weight, "line": None, "lines": set(), "attrs": attrs}

    def table(self) -> pa.Table:
        keys = list(self.rows)
        rows = list(self.rows.values())
        dumps = json.JSONEncoder(sort_keys=True).encode
        # most edges are one statement with no attributes of their own: their text depends on
        # the set of contexts alone (a handful of sets), encoded once each
        only_contexts: dict[frozenset[str], str] = {}

        def attrs(row: dict) -> str | None:
            extra = row.get("attrs")
            contexts = row.get("contexts")
            if extra is None and len(row["lines"]) < 2:
                if not contexts:
                    return None
                key = frozenset(contexts)
                text = only_contexts.get(key)
                if text is None:
                    text = only_contexts[key] = dumps({"context": strongest_context(contexts),
                                                       "contexts": sorted(contexts)})
                return text
            if contexts:
                extra = {**(extra or {}), "context": strongest_context(contexts),
                         "contexts": sorted(contexts)}
            if len(row["lines"]) < 2:
                return dumps(extra) if extra else None
            return dumps({**(extra or {}), "lines": sorted(row["lines"])[:50]})

        cols = {"src": [k[0] for k in keys], "dst": [k[1] for k in keys],
                "kind": [k[2] for k in keys], "weight": [r["weight"] for r in rows],
                "line": [r["line"] for r in rows], "attrs": [attrs(r) for r in rows]}
        return pa.table({n: cols[n] for n, _ in EDGE_FIELDS}, schema=pa.schema(list(EDGE_FIELDS)))


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

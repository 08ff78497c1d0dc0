"""Read-only tools over one snapshot's map, for a model's tool loop and the MCP server alike.

``search``, ``related``, ``impact``, ``path``, ``source``, ``hotspots`` and ``sql`` (read-only,
through ``wb.sql``: its own read-only DuckDB instance without file or network access). Each
result is plain text wrapped as a data block (the model reads it as data), with secrets masked
and its size capped (``max_chars``). Nothing here writes, executes or fetches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import WorkbenchError
from .citations import cite
from .records import ToolRecord
from .safety import data_block
from .tokens import count_tokens

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..snapshot import Snapshot

MAX_ROWS = 40
MAX_SOURCE_LINES = 150

#: What the ``sql`` tool's description tells a model about the store: each group of tables
#: (how its rows are filtered, then each table with the columns worth knowing). Every table
#: and column named here is one of the store's: tests/ai/test_tool_descriptions.py checks
#: them against the schema, and runs the filters.
SQL_TABLES: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = (
    ("Tables of one map, filtered by snapshot_id", (
        ("nodes", ("snapshot_id", "id", "kind", "name", "parent", "path", "line_start",
                   "line_end", "language", "lines", "complexity", "fan_in", "fan_out",
                   "pagerank")),
        ("edges", ("snapshot_id", "src", "dst", "kind", "weight", "line")),
        ("files", ("snapshot_id", "path", "blob_sha", "size", "language", "status")))),
    ("Tables of a project's mined history, filtered by project_id (they have no snapshot_id, "
     "and hold every mined commit, other branches' too)", (
        ("commits", ("project_id", "sha", "author_name", "authored_at", "subject", "parents",
                     "is_merge")),
        ("file_changes", ("project_id", "sha", "path", "old_path", "added", "deleted")))),
    ("Snapshots, filtered by project_id", (
        ("snapshots", ("project_id", "id", "ref", "commit_sha", "mapped_at")),
        ("current_snapshots", ("project_id", "project", "id", "commit_sha")))),
)


def _sql_description() -> str:
    groups = " ".join(
        f"{title}: " + ", ".join(f"{table}({', '.join(columns)})" for table, columns in tables)
        + "." for title, tables in SQL_TABLES)
    return (f"Read-only SQL (DuckDB) on the workbench database. {groups} edges.src and "
            "edges.dst are nodes.id; file_changes joins commits on project_id and sha; "
            f"current_snapshots.project is the project's name. At most {MAX_ROWS} rows shown.")


#: OpenAI function tool definitions (also the MCP tools' shapes)
TOOL_SPECS: list[dict[str, Any]] = [
    {"name": "search", "description": "Search the repository's code, docs and config for a "
     "query; returns ranked path:line ranges with previews.",
     "parameters": {"type": "object", "properties": {
         "query": {"type": "string"}, "k": {"type": "integer", "minimum": 1, "maximum": 30}},
         "required": ["query"]}},
    {"name": "related", "description": "Nodes next to a node of the map (what it calls, imports, "
     "contains, inherits; what calls, imports or tests it), to a depth.",
     "parameters": {"type": "object", "properties": {
         "node": {"type": "string", "description": "qualified name, unique suffix or file path"},
         "depth": {"type": "integer", "minimum": 1, "maximum": 3}}, "required": ["node"]}},
    {"name": "impact", "description": "Everything that depends on a node, transitively "
     "(what may break when it changes).",
     "parameters": {"type": "object", "properties": {"node": {"type": "string"}},
                    "required": ["node"]}},
    {"name": "path", "description": "Import chains from one module to another, shortest first.",
     "parameters": {"type": "object", "properties": {
         "source": {"type": "string"}, "target": {"type": "string"}},
         "required": ["source", "target"]}},
    {"name": "source", "description": "Numbered source lines of a file at the mapped commit.",
     "parameters": {"type": "object", "properties": {
         "path": {"type": "string"}, "line_start": {"type": "integer", "minimum": 1},
         "line_end": {"type": "integer", "minimum": 1}}, "required": ["path"]}},
    {"name": "hotspots", "description": "Files that change often and are large (churn × size), "
     "with their authors.",
     "parameters": {"type": "object", "properties": {
         "n": {"type": "integer", "minimum": 1, "maximum": 50}}}},
    {"name": "sql", "description": _sql_description(),
     "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                    "required": ["query"]}},
]


def openai_tools(snapshot: "Snapshot | None" = None) -> list[dict[str, Any]]:
    """The tools as OpenAI function tools; with ``snapshot``, the ``sql`` tool's description
    ends with the ids that select the question's map and its project."""
    specs = TOOL_SPECS
    if snapshot is not None:
        scope = (f" This question's map: snapshot_id = {snapshot.id}, project_id = "
                 f"{snapshot.info.project_id}.")
        specs = [dict(spec, description=spec["description"] + scope) if spec["name"] == "sql"
                 else spec for spec in TOOL_SPECS]
    return [{"type": "function", "function": spec} for spec in specs]


def description(name: str) -> str:
    """The description of tool ``name`` (the MCP server's tools say the same)."""
    return next(spec["description"] for spec in TOOL_SPECS if spec["name"] == name)


def _count(name: str, value, most: int) -> int:
    """A tool's whole-number argument: below 1 is refused (ValueError, the call's error), above
    ``most`` is taken as ``most`` (a model asking for more gets what the tool gives)."""
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}")
    return min(number, most)


class MapTools:
    """The tools bound to one project's snapshot.

    ``search(query, k)`` and ``read_file(path)`` are the same functions the context builder
    uses; ``sql(query)`` runs read-only SQL (``wb.sql``).
    """

    def __init__(self, snapshot: "Snapshot", *, search: Callable[[str, int], "pd.DataFrame"],
                 read_file: Callable[[str], "str | None"],
                 sql: Callable[[str], "pd.DataFrame"], max_chars: int = 12_000) -> None:
        self.snapshot = snapshot
        self._search = search
        self._read = read_file
        self._sql = sql
        self.max_chars = max_chars
        self.records: list[ToolRecord] = []

    @property
    def names(self) -> list[str]:
        return [s["name"] for s in TOOL_SPECS]

    def call(self, name: str, arguments: dict[str, Any], *, max_chars: int | None = None) -> str:
        """Run tool ``name``; the result as a data block (an error is a result too), recorded."""
        started = time.monotonic()
        error = None
        try:
            fn = getattr(self, f"tool_{name}", None)
            if fn is None or name not in self.names:
                raise ValueError(f"no tool called {name!r}; tools: {', '.join(self.names)}")
            body = fn(**{k: v for k, v in arguments.items() if not k.startswith("_")})
        except (WorkbenchError, ValueError, TypeError, KeyError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            body = f"error: {error}"
        limit = max_chars if max_chars is not None else self.max_chars
        if len(body) > limit:
            body = body[:limit] + "\n… (cut to fit the budget)"
        result = data_block(body, source=f"tool {name}", kind="tool result")
        self.records.append(ToolRecord(name, dict(arguments), result, count_tokens(result),
                                       round(time.monotonic() - started, 4), error))
        return result

    # -- the tools -----------------------------------------------------------------------------

    def tool_search(self, query: str, k: int = 8) -> str:
        if not str(query).strip():
            raise ValueError("the query is empty: say what to search for")
        hits = self._search(str(query), _count("k", k, 30))
        if hits.empty:
            return "no hits"
        lines = []
        for r in hits.to_dict("records"):
            where = cite(r["path"], _n(r.get("line_start")), _n(r.get("line_end"))) \
                if isinstance(r.get("path"), str) else f"commit {r.get('commit')}"
            preview = " ".join(str(r.get("preview") or r.get("text") or "").split())[:140]
            node = r.get("node") if isinstance(r.get("node"), str) else ""
            lines.append(f"{r.get('rank')}. {where} {node} score={float(r.get('score') or 0):.3f}"
                         f"\n   {preview}")
        return "\n".join(lines)

    def tool_related(self, node: str, depth: int = 1) -> str:
        frame = self.snapshot.related(str(node), depth=_count("depth", depth, 3))
        return _table(frame[["node", "kind", "distance", "via", "direction"]])

    def tool_impact(self, node: str) -> str:
        frame = self.snapshot.impact(str(node))
        return _table(frame[["node", "kind", "distance"]]) if not frame.empty else "nothing depends on it"

    def tool_path(self, source: str, target: str) -> str:
        chains = self.snapshot.paths(str(source), str(target), limit=5)
        return "\n".join(" -> ".join(c) for c in chains) if chains else "no import path"

    def tool_source(self, path: str, line_start: int = 1, line_end: int | None = None) -> str:
        text = self._read(str(path))
        if text is None:
            raise ValueError(f"the snapshot has no text file {path!r}: no such file, or a "
                             "binary one")
        lines = text.splitlines()
        first = max(1, int(line_start))
        if line_end and int(line_end) < first:
            raise ValueError(f"line_end {int(line_end)} is before line_start {first}")
        last = min(len(lines), int(line_end) if line_end else first + MAX_SOURCE_LINES - 1,
                   first + MAX_SOURCE_LINES - 1)
        if first > len(lines):
            raise ValueError(f"{path} has {len(lines)} lines")
        head = f"{cite(str(path), first, last)}\n"
        return head + "\n".join(f"{n:>5} │ {lines[n - 1]}" for n in range(first, last + 1))

    def tool_hotspots(self, n: int = 10) -> str:
        frame = self.snapshot.hotspots(_count("n", n, 50))
        return _table(frame[["path", "hotspot", "commits_total", "lines", "authors",
                             "main_author"]]) if not frame.empty else "no history mined"

    def tool_sql(self, query: str) -> str:
        frame = self._sql(str(query))
        return _table(frame)


def _n(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _table(frame: "pd.DataFrame") -> str:
    if frame.empty:
        return "(no rows)"
    shown = frame.head(MAX_ROWS)
    text = shown.to_string(index=False, max_colwidth=80)
    if len(frame) > MAX_ROWS:
        text += f"\n… {len(frame) - MAX_ROWS} more rows"
    return text

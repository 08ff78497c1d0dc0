"""What linking a snapshot's Python modules read across modules (``link_records``,
``module_links``), kept so that the next commit's map can link again only the modules whose
answers may have changed (:mod:`workbench.mapping.derive`).

``module_links`` holds a row per module that read another module or has calls: the modules
its edges looked names up in (``reads``), those its own names and bases are made of
(``follows``; see :class:`workbench.mapping.python_links.PythonLinks`), its call counts,
whether a chain of re-exports or bases came back to it and, from schema 33, the names its
reads looked up (``read_names``, ``other:qualname``; NULL in older rows).
``link_records`` holds, per snapshot, the import evidence its module layout weighed, the
settings the map depended on and, from schema 25, the layout itself
(:meth:`~workbench.mapping.pymodules.ModuleLayout.encode`). Maps made before schema 24 have
neither and are never derived from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .database import Database, materialized

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa


@dataclass
class LinkRecord:
    """One snapshot's record: ``modules`` maps a module id to ``(reads, follows, (resolved,
    unresolved, builtin), cycle, read names)`` (the last None for rows kept before schema
    33)."""

    snapshot_id: int
    evidence: dict[str, Any]
    settings: dict[str, Any]
    modules: dict[str, tuple[list[str], list[str], tuple[int, int, int], bool,
                             list[str] | None]]
    #: the encoded module layout (None for maps made before schema 25)
    layout: bytes | None = None


class LinksTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def write(cur, snapshot_id: int, *, evidence: dict[str, Any], settings: dict[str, Any],
              modules: "pa.Table", keep_from: int | None = None,
              layout: bytes | None = None) -> None:
        """Store a snapshot's record in the caller's transaction. ``modules``: Arrow table of
        (module, reads, follows, calls_resolved, calls_unresolved, calls_builtin, cycle,
        read_names); with
        ``keep_from``, that snapshot's rows for the modules ``modules`` leaves out are kept.
        ``layout``: the encoded module layout."""
        cur.execute("INSERT INTO link_records (snapshot_id, evidence, settings, layout)"
                    " VALUES (?, ?, ?, ?)",
                    [snapshot_id, json.dumps(evidence), json.dumps(settings, sort_keys=True),
                     layout])
        cols = ("module, reads, follows, calls_resolved, calls_unresolved, calls_builtin,"
                " cycle, read_names")
        with materialized(cur, incoming_links=modules):
            if keep_from is not None:
                cur.execute(
                    f"INSERT INTO module_links (snapshot_id, {cols}) SELECT ?, {cols}"
                    " FROM module_links WHERE snapshot_id = ?"
                    " AND module NOT IN (SELECT module FROM incoming_links)",
                    [snapshot_id, keep_from])
            cur.execute(f"INSERT INTO module_links (snapshot_id, {cols})"
                        f" SELECT ?, {cols} FROM incoming_links", [snapshot_id])

    def newest_base(self, project_id: int, parser_version: int,
                    exclude: list[str] | None) -> int | None:
        """The project's newest snapshot with a record, made by ``parser_version`` with the
        ``exclude`` patterns (None: any): the map a new commit's can be derived from."""
        rows = self.db.query(
            "SELECT s.id, s.stats FROM snapshots s JOIN link_records l ON l.snapshot_id = s.id"
            " WHERE s.project_id = ? AND s.parser_version = ? ORDER BY s.id DESC LIMIT 8",
            [project_id, parser_version])
        for snapshot_id, stats in rows:
            if exclude is None or list(json.loads(stats or "{}").get("exclude", [])) == list(
                    exclude):
                return int(snapshot_id)
        return None

    def settings(self, snapshot_id: int) -> dict[str, Any] | None:
        """The settings a snapshot's map depended on (``link_records.settings``), without its
        rows (see :meth:`read`)."""
        rows = self.db.query("SELECT settings FROM link_records WHERE snapshot_id = ?",
                             [snapshot_id])
        return json.loads(rows[0][0]) if rows else None

    def read(self, snapshot_id: int) -> LinkRecord | None:
        def fetch(cur):
            head = cur.execute("SELECT evidence, settings, layout FROM link_records"
                               " WHERE snapshot_id = ?", [snapshot_id]).fetchone()
            if head is None:
                return None
            # as Arrow, then a column at a time: a monorepo's 50,000 rows become Python
            # objects in about half the time fetchall takes, most of it without the GIL
            rows = cur.execute(
                "SELECT module, reads, follows, calls_resolved, calls_unresolved, calls_builtin,"
                " cycle, read_names"
                " FROM module_links WHERE snapshot_id = ?", [snapshot_id]).to_arrow_table()
            return head, rows

        found = self.db.read(fetch)
        if found is None:
            return None
        (evidence, settings, layout), rows = found
        columns = [column.to_pylist() for column in rows.columns]
        return LinkRecord(snapshot_id, json.loads(evidence), json.loads(settings),
                          {m: (reads, follows, (r, u, b), bool(cycle), names)
                           for m, reads, follows, r, u, b, cycle, names in zip(*columns)},
                          bytes(layout) if layout is not None else None)

"""Reads and writes of snapshots and their maps (``snapshots``, ``files``, ``nodes``, ``edges``).

A snapshot is written in one transaction together with its files, nodes and edges, so a
reader sees either the whole map or nothing of it. Bulk rows go in as Arrow tables.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pyarrow as pa

from ..domain import SnapshotInfo
from ..errors import SnapshotNotFound
from .database import Database

NODE_COLUMNS = ("id", "kind", "name", "parent", "path", "line_start", "line_end", "language",
                "lines", "code_lines", "comment_lines", "blank_lines", "complexity", "fan_in",
                "fan_out", "pagerank", "community", "depth", "problem", "attrs")
EDGE_COLUMNS = ("src", "dst", "kind", "weight", "line", "attrs")
FILE_COLUMNS = ("path", "blob_sha", "size", "language", "status", "reason")

_SELECT = (
    "SELECT s.id, s.project_id, p.name, s.ref, s.commit_sha, s.mapped_at, s.stats, s.parser_version"
    " FROM snapshots s JOIN projects p ON p.id = s.project_id"
)


def _info(row: tuple) -> SnapshotInfo:
    stats = json.loads(row[6]) if row[6] else {}
    return SnapshotInfo(*row[:6], stats=stats, parser_version=row[7])


class SnapshotsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def write(
        self,
        *,
        project_id: int,
        ref: str | None,
        commit_sha: str,
        parser_version: int,
        job_id: int | None,
        stats: dict[str, Any],
        files: pa.Table,
        nodes: pa.Table,
        edges: pa.Table,
        extra_writes=None,
    ) -> int:
        """Store a whole map in one transaction and return the new snapshot id."""

        def insert(cur) -> int:
            snapshot_id = cur.execute(
                "INSERT INTO snapshots (project_id, ref, commit_sha, parser_version, job_id, stats)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                [project_id, ref, commit_sha, parser_version, job_id, json.dumps(stats)],
            ).fetchone()[0]
            for table, data, columns in (
                ("files", files, FILE_COLUMNS),
                ("nodes", nodes, NODE_COLUMNS),
                ("edges", edges, EDGE_COLUMNS),
            ):
                cur.register("incoming", data)
                try:
                    cols = ", ".join(columns)
                    cur.execute(
                        f"INSERT INTO {table} (snapshot_id, {cols}) SELECT ?, {cols} FROM incoming",
                        [snapshot_id],
                    )
                finally:
                    cur.unregister("incoming")
            if extra_writes is not None:
                extra_writes(cur, snapshot_id)
            return snapshot_id

        return self.db.write(insert)

    def get(self, snapshot_id: int) -> SnapshotInfo:
        rows = self.db.query(f"{_SELECT} WHERE s.id = ?", [snapshot_id])
        if not rows:
            raise SnapshotNotFound(f"no snapshot with id {snapshot_id}", snapshot_id=snapshot_id)
        return _info(rows[0])

    def latest(self, project_id: int, *, commit_sha: str | None = None,
               prefer_ref: str | None = None) -> SnapshotInfo | None:
        """The newest snapshot (of ``commit_sha`` when given); snapshots mapped at
        ``prefer_ref`` (the default branch) come first, so mapping an old tag later does not
        make it "the" map of the project."""
        where, params = "s.project_id = ?", [project_id]
        if commit_sha:
            where += " AND s.commit_sha = ?"
            params.append(commit_sha)
        rows = self.db.query(
            f"{_SELECT} WHERE {where} ORDER BY (s.ref IS NOT DISTINCT FROM ?) DESC, s.id DESC LIMIT 1",
            [*params, prefer_ref])
        return _info(rows[0]) if rows else None

    def list(self, project_id: int | None = None) -> list[SnapshotInfo]:
        if project_id is None:
            rows = self.db.query(f"{_SELECT} ORDER BY s.id")
        else:
            rows = self.db.query(f"{_SELECT} WHERE s.project_id = ? ORDER BY s.id", [project_id])
        return [_info(r) for r in rows]

    def nodes(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(NODE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM nodes WHERE snapshot_id = ? ORDER BY id", [snapshot_id]
        )

    def edges(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(EDGE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM edges WHERE snapshot_id = ? ORDER BY kind, src, dst",
            [snapshot_id],
        )

    def files(self, snapshot_id: int) -> pd.DataFrame:
        cols = ", ".join(FILE_COLUMNS)
        return self.db.query_df(
            f"SELECT {cols} FROM files WHERE snapshot_id = ? ORDER BY path", [snapshot_id]
        )

    def arrow(self, snapshot_id: int, *, node_kinds: list[str] | None = None,
              edge_kinds: list[str] | None = None) -> tuple[pa.Table, pa.Table]:
        """Nodes and edges as Arrow tables, the fast path for building a graph.

        ``node_kinds`` / ``edge_kinds`` filter in SQL, so a slice of a large map (say modules
        and imports only) is read without loading the rest; edges keep both ends in the slice.
        """

        def fetch(cur):
            n_where, n_params = "snapshot_id = ?", [snapshot_id]
            if node_kinds is not None:
                n_where += " AND list_contains(?, kind)"
                n_params.append(list(node_kinds))
            n = cur.execute(
                f"SELECT {', '.join(NODE_COLUMNS)} FROM nodes WHERE {n_where}", n_params
            ).to_arrow_table()
            e_where, e_params = "e.snapshot_id = ?", [snapshot_id]
            if edge_kinds is not None:
                e_where += " AND list_contains(?, e.kind)"
                e_params.append(list(edge_kinds))
            if node_kinds is not None:
                e_where += (" AND EXISTS (SELECT 1 FROM nodes a WHERE a.snapshot_id = e.snapshot_id"
                            " AND a.id = e.src AND list_contains(?, a.kind))"
                            " AND EXISTS (SELECT 1 FROM nodes b WHERE b.snapshot_id = e.snapshot_id"
                            " AND b.id = e.dst AND list_contains(?, b.kind))")
                e_params += [list(node_kinds), list(node_kinds)]
            cols = ", ".join(f"e.{c}" for c in EDGE_COLUMNS)
            e = cur.execute(f"SELECT {cols} FROM edges e WHERE {e_where}", e_params).to_arrow_table()
            return n, e

        return self.db.read(fetch)

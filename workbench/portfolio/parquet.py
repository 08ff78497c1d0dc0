"""Snapshots as Parquet: written by workers, appended to the database by one ingesting writer.

A worker never opens the shared database file. It maps a repository into a private database
of its own, then :func:`export_snapshot` writes that snapshot under the shared data root (a
local directory or any fsspec URL, ``s3://bucket/portfolio``), one file per table, Hive-style::

    ROOT/nodes/project=flask/3f2a9c1d04e7-job12a1.parquet
    ROOT/edges/project=flask/...            files, file_metrics, snapshot_refs, snapshot_mailmaps
    ROOT/commits/project=flask/...          file_changes, history_state, blame_lines, file_facts
    ROOT/manifests/project=flask/3f2a9c1d04e7-job12a1.json   (written last: the commit marker)

:class:`Ingestor` appends one manifest's tables to the database in one short transaction
(the snapshot row, its files, nodes, edges, metrics, refs and ``.mailmap``, the parse results
and blames it lacks, the project's history when the incoming one is longer, the job's
success). Ingests in one
process are serialised (a single writer); a lock held by another process is waited for with
backoff by :class:`~workbench.store.database.Database`. Ingesting a manifest twice adds
nothing the second time.

:func:`parquet_sql` names the files of one table for DuckDB's ``read_parquet`` so a very
large portfolio can be queried in place, without ingesting (``project`` comes from the path).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ..store.database import registered
from ..store.snapshots import EDGE_ROWS, NODE_ROWS

#: Tables of one snapshot (keyed by snapshot id in the database).
SNAPSHOT_TABLES = ("files", "nodes", "edges", "file_metrics", "snapshot_refs",
                   "snapshot_mailmaps")
#: Tables of the project's mined history (keyed by project id).
HISTORY_TABLES = ("commits", "file_changes", "history_state", "blame_lines")
ALL_TABLES = (*SNAPSHOT_TABLES, *HISTORY_TABLES, "file_facts")


def filesystem(root: str):
    """``(fsspec filesystem, path)`` of a data root: a local path or a URL fsspec knows."""
    from fsspec.core import url_to_fs

    return url_to_fs(str(root))


def _write_table(fs, path: str, table: pa.Table) -> None:
    import pyarrow.parquet as pq

    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    partial = f"{path}.{uuid.uuid4().hex[:8]}.partial"
    with fs.open(partial, "wb") as out:
        pq.write_table(table, out, compression="zstd")
    fs.mv(partial, path)


def export_snapshot(store, snapshot_id: int, root: str, project: str, key: str) -> dict:
    """Write snapshot ``snapshot_id`` of ``store`` (a worker's private store) and its project's
    history under ``root``; return the manifest (also written, last, as JSON).

    The manifest holds ``{project, key, commit, ref, parser_version, stats, mapped_at,
    tables: {table: {path, rows}}, rows, bytes, seconds}``.
    """
    started = time.perf_counter()
    snap = store.snapshots.get(snapshot_id)
    project_id = snap.project_id
    reads = {
        "files": ("SELECT * EXCLUDE (snapshot_id) FROM files WHERE snapshot_id = ?", [snapshot_id]),
        "nodes": ("SELECT * EXCLUDE (snapshot_id) FROM nodes WHERE snapshot_id = ?", [snapshot_id]),
        "edges": ("SELECT * EXCLUDE (snapshot_id) FROM edges WHERE snapshot_id = ?", [snapshot_id]),
        "file_metrics": ("SELECT * EXCLUDE (snapshot_id) FROM file_metrics"
                         " WHERE snapshot_id = ?", [snapshot_id]),
        "snapshot_refs": ("SELECT ref, default_head FROM snapshot_refs WHERE snapshot_id = ?",
                          [snapshot_id]),
        "snapshot_mailmaps": ("SELECT content FROM snapshot_mailmaps WHERE snapshot_id = ?",
                              [snapshot_id]),
        "commits": ("SELECT * EXCLUDE (project_id) FROM commits WHERE project_id = ?",
                    [project_id]),
        "file_changes": ("SELECT * EXCLUDE (project_id) FROM file_changes WHERE project_id = ?",
                         [project_id]),
        "history_state": ("SELECT * EXCLUDE (project_id) FROM history_state"
                          " WHERE project_id = ?", [project_id]),
        "blame_lines": ("SELECT * EXCLUDE (project_id) FROM blame_lines WHERE project_id = ?",
                        [project_id]),
        "file_facts": ("SELECT f.blob_sha, f.parser, f.parser_version, f.facts FROM file_facts f"
                       " WHERE f.blob_sha IN (SELECT blob_sha FROM files WHERE snapshot_id = ?)",
                       [snapshot_id]),
    }
    tables = store.db.read(lambda cur: {
        name: cur.execute(sql, params).fetch_arrow_table() for name, (sql, params) in reads.items()})
    fs, base = filesystem(root)
    stem = f"{snap.commit_sha[:12]}-{key}"
    manifest: dict[str, Any] = {
        "format": 1, "project": project, "key": key, "commit": snap.commit_sha,
        "ref": snap.ref, "parser_version": snap.parser_version, "stats": snap.stats,
        "mapped_at": snap.mapped_at.isoformat() if snap.mapped_at else None,
        "root": str(root), "tables": {},
    }
    total_bytes = 0
    for name, table in tables.items():
        path = f"{base.rstrip('/')}/{name}/project={project}/{stem}.parquet"
        _write_table(fs, path, table)
        size = fs.size(path) or 0
        total_bytes += size
        manifest["tables"][name] = {"path": path, "rows": table.num_rows, "bytes": size}
    manifest["rows"] = sum(t["rows"] for t in manifest["tables"].values())
    manifest["bytes"] = total_bytes
    manifest["seconds"] = round(time.perf_counter() - started, 4)
    path = f"{base.rstrip('/')}/manifests/project={project}/{stem}.json"
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(path, "w") as out:
        out.write(json.dumps(manifest, default=str))
    manifest["manifest"] = path
    return manifest


def read_tables(manifest: dict) -> dict[str, pa.Table]:
    """The Arrow tables a manifest names, read through fsspec."""
    import pyarrow.parquet as pq

    fs, _ = filesystem(manifest["root"])
    out = {}
    for name, entry in manifest["tables"].items():
        with fs.open(entry["path"], "rb") as src:
            out[name] = pq.read_table(src)
    return out


def parquet_sql(root: str, table: str) -> str:
    """A ``read_parquet(...)`` expression over every exported file of ``table`` under a local
    ``root`` (Hive partitioning adds the ``project`` column)."""
    if table not in ALL_TABLES:
        raise ValueError(f"no exported table {table!r}; known: {', '.join(ALL_TABLES)}")
    fs, base = filesystem(root)
    pattern = f"{base.rstrip('/')}/{table}/*/*.parquet".replace("'", "''")
    return f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)"


@dataclass
class IngestStats:
    """What the single writer did: ``manifests``, ``rows``, ``seconds`` inside transactions."""

    manifests: int = 0
    rows: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class Ingestor:
    """The one writer that appends exported snapshots to the database (one per process)."""

    def __init__(self, store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._known: dict[str, list[str]] = {}
        self.stats = IngestStats()

    def _columns(self, cur, table: str) -> list[str]:
        if table not in self._known:  # the schema is migrated when the store opens
            self._known[table] = [r[0] for r in cur.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND schema_name"
                " = 'main' ORDER BY column_index", [table]).fetchall()]
        return self._known[table]

    def _append(self, cur, table: str, data: pa.Table, fixed: dict[str, Any]) -> int:
        """Insert the columns ``data`` shares with ``table``, plus ``fixed`` values."""
        if data.num_rows == 0:
            return 0
        target = self._columns(cur, table)
        shared = [c for c in data.column_names if c in target and c not in fixed]
        quoted = ", ".join(f'"{c}"' for c in [*fixed, *shared])
        values = ", ".join(["?"] * len(fixed) + [f'"{c}"' for c in shared])
        with registered(cur, incoming_parquet=data):
            verb = "INSERT OR IGNORE" if table == "file_facts" else "INSERT"
            cur.execute(f"{verb} INTO {table} ({quoted}) SELECT {values} FROM incoming_parquet",
                        list(fixed.values()))
        return data.num_rows

    def ingest(self, manifest: dict, *, project_id: int, job=None, force: bool = False,
               default_head: bool = True, given_ref: str | None = None,
               extra: dict | None = None) -> dict:
        """Append one exported snapshot for ``project_id``; return the job result record
        (``snapshot_id``, ``commit``, ``reused``, the map's stats, ``ingest_rows``,
        ``ingest_seconds``, ``nodes``, ``edges``, and ``extra``). ``job`` (a :class:`~workbench.jobs.Job`) is marked succeeded in
        the same transaction. A manifest ingested before, or (unless ``force``) a commit already
        mapped with the same parser version and exclusions, reuses the stored snapshot."""
        tables = read_tables(manifest)  # outside the transaction: the file is held briefly
        key = manifest["key"]
        stats = dict(manifest["stats"] or {})
        commit = manifest["commit"]

        def write(cur) -> dict:
            started = time.perf_counter()
            existing = None
            for sid, text, version in cur.execute(
                    "SELECT id, stats, parser_version FROM snapshots WHERE project_id = ? AND "
                    "commit_sha = ? ORDER BY id DESC", [project_id, commit]).fetchall():
                old = json.loads(text or "{}")
                if old.get("ingest_key") == key or (
                        not force and version == manifest["parser_version"]
                        and list(old.get("exclude", [])) == list(stats.get("exclude", []))):
                    existing = (sid, old)
                    break
            ref = given_ref or manifest.get("ref") or commit
            rows = 0
            if existing is not None:
                snapshot_id = int(existing[0])
                result = {**existing[1], "snapshot_id": snapshot_id, "commit": commit,
                          "reused": True}
                cur.execute("INSERT INTO snapshot_refs (snapshot_id, ref, default_head) VALUES "
                            "(?, ?, ?)", [snapshot_id, ref, default_head])
            else:
                stored = {**stats, "ingest_key": key, "worker": manifest.get("worker")}
                snapshot_id = cur.execute(
                    "INSERT INTO snapshots (project_id, ref, commit_sha, parser_version, job_id,"
                    " stats) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    [project_id, manifest["ref"], commit, manifest["parser_version"],
                     getattr(job, "id", None), json.dumps(stored)]).fetchone()[0]
                for name in ("files", "nodes", "edges", "file_metrics", "snapshot_mailmaps"):
                    if name in tables:  # manifests written before a table existed lack it
                        # nodes and edges are views; a whole map's are its own rows
                        table = {"nodes": NODE_ROWS, "edges": EDGE_ROWS}.get(name, name)
                        rows += self._append(cur, table, tables[name],
                                             {"snapshot_id": snapshot_id})
                cur.execute("INSERT INTO snapshot_refs (snapshot_id, ref, default_head) VALUES "
                            "(?, ?, ?)", [snapshot_id, ref, default_head])
                rows += self._append(cur, "file_facts", tables["file_facts"], {})
                rows += self._history(cur, project_id, tables)
                rows += self._blame(cur, project_id, tables.get("blame_lines"))
                result = {**stats, "snapshot_id": snapshot_id, "commit": commit,
                          "reused": False}
            result.update(extra or {})
            result.update(nodes=tables["nodes"].num_rows, edges=tables["edges"].num_rows)
            result["ingest_rows"] = rows
            result["ingest_seconds"] = round(time.perf_counter() - started, 4)
            if job is not None:
                job.finish_in(cur, result)
            cur.execute("UPDATE projects SET status = 'mapped', updated_at = now(),"
                        " default_branch = coalesce(?, default_branch) WHERE id = ?",
                        [manifest.get("branch"), project_id])
            return result

        with self._lock:  # one writer per process: ingests never conflict with each other
            if job is not None:
                job.finishing.set()
            try:
                result = self.store.db.write(write)
            finally:
                if job is not None:
                    job.finishing.clear()
            self.stats.manifests += 1
            self.stats.rows += result["ingest_rows"]
            self.stats.seconds += result["ingest_seconds"]
        return result

    def _blame(self, cur, project_id: int, data: pa.Table | None) -> int:
        """Add the worker's cached blames of (path, blob) pairs the project lacks."""
        if data is None or data.num_rows == 0:
            return 0
        with registered(cur, incoming_blame=data):
            return cur.execute(
                "INSERT INTO blame_lines (project_id, path, blob_sha, origin_sha, lines, runs)"
                " SELECT ?, i.path, i.blob_sha, i.origin_sha, i.lines, i.runs FROM incoming_blame i"
                " WHERE NOT EXISTS (SELECT 1 FROM blame_lines b WHERE b.project_id = ?"
                " AND b.path = i.path AND b.blob_sha = i.blob_sha)",
                [project_id, project_id]).fetchone()[0]

    def _history(self, cur, project_id: int, tables: dict[str, pa.Table]) -> int:
        """Replace the project's mined history when the incoming one is longer (a worker mines
        the whole history reachable from the commit it mapped)."""
        incoming = tables["commits"].num_rows
        have = cur.execute("SELECT count(*) FROM commits WHERE project_id = ?",
                           [project_id]).fetchone()[0]
        if incoming <= have:
            return 0
        cur.execute("DELETE FROM file_changes WHERE project_id = ?", [project_id])
        cur.execute("DELETE FROM commits WHERE project_id = ?", [project_id])
        rows = self._append(cur, "commits", tables["commits"], {"project_id": project_id})
        rows += self._append(cur, "file_changes", tables["file_changes"],
                             {"project_id": project_id})
        cur.execute("DELETE FROM history_state WHERE project_id = ?", [project_id])
        rows += self._append(cur, "history_state", tables["history_state"],
                             {"project_id": project_id})
        return rows

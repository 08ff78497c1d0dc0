"""Reads and writes of search: ``chunks``, ``chunk_sources``, per-embedder vector tables,
``search_embedders`` and ``search_indexes``.

Chunks of a file are keyed by its blob sha (``project_id`` NULL: shared by every project and
snapshot holding the blob); chunks of a commit by ``(project_id, commit_sha)``. A snapshot's
chunks are those of its files' blobs and of the commits of its history: the reads of a
snapshot take those commits' shas (``history``, see
:func:`~workbench.history.scope.history_shas`), never every commit mined for the project
(another branch's, which ``review`` mines, are not in it).
``chunk_sources`` records each blob or commit chunked (with how many chunks, zero included), so
indexing skips it next time. Each embedder's vectors live in a table of their own,
``embeddings_<name>_<dim>`` with a ``FLOAT[dim]`` column, listed in ``search_embedders``.

Every batch (its chunks, their vectors and their sources) is one short transaction of Arrow
inserts, so an interrupted index keeps what it stored and resumes after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import pyarrow as pa

from .database import Database, registered
from .history import _sha_array

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

CHUNK_COLUMNS = ("blob_sha", "project_id", "commit_sha", "chunker_version", "kind", "symbol",
                 "node_kind", "line_start", "line_end", "title", "text", "terms", "counts",
                 "length")
CHUNK_SCHEMA = pa.schema([
    ("blob_sha", pa.string()), ("project_id", pa.int64()), ("commit_sha", pa.string()),
    ("chunker_version", pa.int32()), ("kind", pa.string()), ("symbol", pa.string()),
    ("node_kind", pa.string()), ("line_start", pa.int32()), ("line_end", pa.int32()),
    ("title", pa.string()), ("text", pa.string()), ("terms", pa.list_(pa.uint32())),
    ("counts", pa.list_(pa.uint16())), ("length", pa.int32()),
])
_FILE_KINDS = "('package', 'module', 'file')"
BLOB = 0  # chunk_sources.project_id of blobs: they belong to no project


def vectors_array(vectors: "np.ndarray") -> pa.FixedSizeListArray:
    """An ``(n, d)`` float32 array as Arrow ``FixedSizeList<float32>[d]`` (DuckDB ``FLOAT[d]``)."""
    import numpy as np

    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.FixedSizeListArray.from_arrays(flat, int(vectors.shape[1]))


class SearchTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- what is stored ---------------------------------------------------------------------------

    def chunked(self, sources: Sequence[str], project_id: int, version: int) -> set[str]:
        """Which of ``sources`` (blob shas with ``project_id=0``, or one project's commit shas)
        are chunked already."""
        if not sources:
            return set()
        wanted = pa.table({"source": pa.array(list(sources), pa.string())})

        def fetch(cur):
            with registered(cur, wanted_sources=wanted):
                return cur.execute(
                    "SELECT s.source FROM chunk_sources s JOIN wanted_sources w USING (source)"
                    " WHERE s.project_id = ? AND s.chunker_version = ?",
                    [project_id, version]).fetchall()

        return {row[0] for row in self.db.read(fetch)}

    def ensure_embedder(self, name: str, dim: int, table: str) -> None:
        """Record an embedder and create its vector table (``FLOAT[dim]``) when new.

        The table has no primary-key index: DuckDB rewrites such an index whole at every
        checkpoint. A table made with one (schema 9) is rebuilt without it, once."""
        def create(cur):
            cur.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                        f" chunk_id BIGINT NOT NULL, vector FLOAT[{int(dim)}] NOT NULL)")
            keyed = cur.execute(
                "SELECT count(*) FROM duckdb_constraints() WHERE table_name = ?"
                " AND constraint_type = 'PRIMARY KEY'", [table]).fetchone()[0]
            if keyed:
                cur.execute(f"CREATE TABLE {table}_rebuilt AS SELECT * FROM {table}"
                            " ORDER BY chunk_id")
                cur.execute(f"DROP TABLE {table}")
                cur.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
            cur.execute("INSERT OR IGNORE INTO search_embedders (name, dim, table_name)"
                        " VALUES (?, ?, ?)", [name, dim, table])

        self.db.write(create)

    def embedders(self) -> "pd.DataFrame":
        return self.db.query_df("SELECT name, dim, table_name, created_at FROM search_embedders"
                                " ORDER BY created_at")

    # -- writes -----------------------------------------------------------------------------------

    def store_batch(self, chunks: pa.Table, sources: list[tuple[str, int, int, int]],
                    vectors: "np.ndarray", vector_table: str) -> int:
        """Store chunks, their vectors (row for row) and the sources they came from, in one
        transaction. Sources another process stored meanwhile are skipped with their chunks.
        ``sources`` rows are ``(source, project_id, chunker_version, chunks)``. Returns the
        number of chunks stored."""
        import numpy as np

        source_table = pa.table({
            "source": pa.array([s[0] for s in sources], pa.string()),
            "project_id": pa.array([s[1] for s in sources], pa.int64()),
            "chunker_version": pa.array([s[2] for s in sources], pa.int32()),
            "chunks": pa.array([s[3] for s in sources], pa.int32()),
        })
        keys = [b if b is not None else c for b, c in zip(chunks.column("blob_sha").to_pylist(),
                                                          chunks.column("commit_sha").to_pylist())]

        def insert(cur) -> int:
            with registered(cur, incoming_sources=source_table):
                present = {row[0] for row in cur.execute(
                    "SELECT i.source FROM incoming_sources i JOIN chunk_sources s"
                    " USING (source, project_id, chunker_version)").fetchall()}
                keep = np.array([k not in present for k in keys], dtype=bool)
                rows = chunks.filter(pa.array(keep)) if present else chunks
                n = rows.num_rows
                if n:
                    first = cur.execute("SELECT nextval('chunks_id_seq')").fetchone()[0]
                    ids = [first] + [r[0] for r in cur.execute(
                        "SELECT nextval('chunks_id_seq') FROM range(?)", [n - 1]).fetchall()]
                    rows = rows.append_column("id", pa.array(ids, pa.int64()))
                    cols = ", ".join(("id",) + CHUNK_COLUMNS)
                    with registered(cur, incoming_chunks=rows):
                        cur.execute(f"INSERT INTO chunks ({cols}) SELECT {cols} FROM incoming_chunks")
                    kept = vectors[keep] if present else vectors
                    self._insert_vectors(cur, vector_table, ids, kept)
                cur.execute("INSERT OR IGNORE INTO chunk_sources"
                            " (source, project_id, chunker_version, chunks)"
                            " SELECT source, project_id, chunker_version, chunks FROM incoming_sources")
                return n

        return self.db.write(insert)

    @staticmethod
    def _insert_vectors(cur, table: str, ids: Sequence[int], vectors: "np.ndarray",
                        *, fresh: bool = True) -> None:
        """Insert vectors row for row with ``ids``; unless the ids are ``fresh`` (just drawn
        from the sequence), ids that already have a vector are skipped."""
        if not len(ids):
            return
        data = pa.table({"chunk_id": pa.array(list(ids), pa.int64()),
                         "vector": vectors_array(vectors)})
        with registered(cur, incoming_vectors=data):
            skip = "" if fresh else (f" WHERE NOT EXISTS (SELECT 1 FROM {table} t"
                                     " WHERE t.chunk_id = i.chunk_id)")
            cur.execute(f"INSERT INTO {table} (chunk_id, vector)"
                        f" SELECT i.chunk_id, i.vector FROM incoming_vectors i{skip}")

    def store_vectors(self, table: str, ids: Sequence[int], vectors: "np.ndarray") -> None:
        """Vectors of chunks stored earlier (another embedder, or an interrupted run)."""
        self.db.write(lambda cur: self._insert_vectors(cur, table, ids, vectors, fresh=False))

    def mark_indexed(self, snapshot_id: int, embedder: str, *, chunks: int, chunked_now: int,
                     embedded_now: int, seconds: float, job_id: int | None,
                     chunker_version: int) -> None:
        self.db.write(lambda cur: cur.execute(
            "INSERT INTO search_indexes (snapshot_id, embedder, chunks, chunked_now, embedded_now,"
            " seconds, job_id, chunker_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (snapshot_id, embedder)"
            " DO UPDATE SET chunks = excluded.chunks, chunked_now = excluded.chunked_now,"
            " embedded_now = excluded.embedded_now, seconds = excluded.seconds,"
            " job_id = excluded.job_id, chunker_version = excluded.chunker_version,"
            " built_at = now()",
            [snapshot_id, embedder, chunks, chunked_now, embedded_now, seconds, job_id,
             chunker_version]))

    # -- reads for indexing -----------------------------------------------------------------------

    def snapshot_files(self, snapshot_id: int) -> "pd.DataFrame":
        return self.db.query_df(
            "SELECT path, blob_sha, size, language, status FROM files WHERE snapshot_id = ?"
            " ORDER BY path", [snapshot_id])

    def definitions(self, snapshot_id: int, paths: Sequence[str]) -> "pd.DataFrame":
        """Nodes of the given files: ``id, kind, path, line_start, line_end``."""
        wanted = pa.table({"path": pa.array(list(paths), pa.string())})

        def fetch(cur):
            cur.register("wanted_paths", wanted)
            try:
                return cur.execute(
                    "SELECT n.id, n.kind, n.path, n.line_start, n.line_end FROM nodes n"
                    " JOIN wanted_paths w USING (path) WHERE n.snapshot_id = ?"
                    " AND n.kind <> 'directory'", [snapshot_id]).df()
            finally:
                cur.unregister("wanted_paths")

        return self.db.read(fetch)

    def commits_to_chunk(self, project_id: int, version: int, history) -> "pd.DataFrame":
        """The commits of a snapshot's ``history`` (shas) not chunked yet, with the paths each
        touched."""
        return self._with_history(history, lambda cur: cur.execute(
            "SELECT c.sha, c.subject, list(f.path ORDER BY f.path) FILTER (f.path IS NOT NULL)"
            " AS paths FROM commits c JOIN snapshot_history h ON h.sha = c.sha"
            " LEFT JOIN file_changes f ON f.project_id = c.project_id AND f.sha = c.sha"
            " WHERE c.project_id = ? AND NOT EXISTS (SELECT 1 FROM chunk_sources s WHERE"
            " s.source = c.sha AND s.project_id = c.project_id AND s.chunker_version = ?)"
            " GROUP BY c.sha, c.subject, c.committed_at ORDER BY c.committed_at, c.sha",
            [project_id, version]).df())

    def unembedded(self, snapshot_id: int, project_id: int, version: int, history,
                   table: str) -> "pd.DataFrame":
        """Chunks of a snapshot (its ``history``: shas) that have no vector in ``table``:
        ``id, symbol, title, text``."""
        return self._with_history(history, lambda cur: cur.execute(
            f"SELECT c.id, c.symbol, c.title, c.text FROM ({self._snapshot_chunks_sql()}) s"
            f" JOIN chunks c ON c.id = s.id LEFT JOIN {table} v ON v.chunk_id = c.id"
            " WHERE v.chunk_id IS NULL", [version, snapshot_id, project_id, version]).df())

    # -- reads for queries ------------------------------------------------------------------------

    def _with_history(self, history, run):
        """``run(cur)`` with a snapshot's ``history`` (commit shas: a list or an Arrow array)
        registered as the table ``snapshot_history (sha)``."""
        table = pa.table({"sha": _sha_array(history)})

        def fetch(cur):
            with registered(cur, snapshot_history=table):
                return run(cur)

        return self.db.read(fetch)

    #: The commit chunks ``c`` of a snapshot: those of the commits in ``snapshot_history``, the
    #: snapshot's history, with ``{joins}`` (parameters: the project id, the chunker version).
    _HISTORY_CHUNKS = ("FROM chunks c JOIN snapshot_history h ON h.sha = c.commit_sha{joins}"
                       " WHERE c.project_id = ? AND c.chunker_version = ?")

    @classmethod
    def _snapshot_chunks_sql(cls) -> str:
        """The ids (and paths) of a snapshot's chunks: its files' blobs, and the commits of its
        history (registered as ``snapshot_history``)."""
        return (
            "SELECT c.id, f.path, f.language FROM files f JOIN chunks c ON c.blob_sha = f.blob_sha"
            " AND c.chunker_version = ? WHERE f.snapshot_id = ? AND f.status IN ('parsed', 'ignored')"
            f" UNION ALL SELECT c.id, NULL, NULL {cls._HISTORY_CHUNKS.format(joins='')}")

    def count(self, snapshot_id: int, project_id: int, version: int, history) -> int:
        """How many chunks a snapshot (its ``history``: commit shas) has."""
        return self._with_history(history, lambda cur: cur.execute(
            f"SELECT count(*) FROM ({self._snapshot_chunks_sql()})",
            [version, snapshot_id, project_id, version]).fetchone()[0])

    def index_state(self, snapshot_id: int, embedder: str) -> dict[str, Any] | None:
        """The snapshot's index built with ``embedder``: chunks, chunked_now, embedded_now,
        seconds, job_id, built_at and chunker_version (None for an index built before schema
        31); None when it was never built."""
        rows = self.db.query(
            "SELECT chunks, chunked_now, embedded_now, seconds, job_id, built_at,"
            " chunker_version FROM search_indexes WHERE snapshot_id = ? AND embedder = ?",
            [snapshot_id, embedder])
        if not rows:
            return None
        return dict(zip(("chunks", "chunked_now", "embedded_now", "seconds", "job_id",
                         "built_at", "chunker_version"), rows[0]))

    def load(self, snapshot_id: int, project_id: int, version: int, history,
             vector_table: str) -> dict[str, pa.Table]:
        """What a snapshot's query index is built from, in one read: ``chunks`` (metadata, BM25
        terms, the vector (null where missing) and the text; of its files and of the commits
        of its ``history``, shas), ``nodes`` (``id, kind, pagerank, fan_in``) and ``edges``
        (``src, dst`` of calls, imports, inherits and tests)."""
        vt = vector_table
        sql = (
            "WITH fn AS (SELECT path, min(id) AS file_node FROM nodes WHERE snapshot_id = ?"
            f" AND kind IN {_FILE_KINDS} AND path IS NOT NULL GROUP BY path)"
            " SELECT c.id, c.kind, f.path, c.line_start, c.line_end, c.symbol, c.node_kind,"
            " f.language, c.title, fn.file_node, c.commit_sha, c.terms, c.counts, c.length,"
            " v.vector, c.text FROM files f JOIN chunks c ON c.blob_sha = f.blob_sha"
            " AND c.chunker_version = ? LEFT JOIN fn ON fn.path = f.path"
            f" LEFT JOIN {vt} v ON v.chunk_id = c.id"
            " WHERE f.snapshot_id = ? AND f.status IN ('parsed', 'ignored')"
            " UNION ALL"
            " SELECT c.id, c.kind, NULL, NULL, NULL, NULL, NULL, NULL, c.title, NULL,"
            " c.commit_sha, c.terms, c.counts, c.length, v.vector, c.text"
            f" {self._HISTORY_CHUNKS.format(joins=f' LEFT JOIN {vt} v ON v.chunk_id = c.id')}")
        params = [snapshot_id, version, snapshot_id, project_id, version]

        def fetch(cur):
            chunks = cur.execute(sql, params).to_arrow_table()
            nodes = cur.execute(
                "SELECT id, kind, pagerank, fan_in FROM nodes WHERE snapshot_id = ?",
                [snapshot_id]).to_arrow_table()
            edges = cur.execute(
                "SELECT src, dst FROM edges WHERE snapshot_id = ?"
                " AND kind IN ('calls', 'imports', 'inherits', 'tests')",
                [snapshot_id]).to_arrow_table()
            return {"chunks": chunks, "nodes": nodes, "edges": edges}

        return self._with_history(history, fetch)

    def texts(self, ids: Sequence[int]) -> dict[int, str]:
        """The text of the given chunks."""
        if not len(ids):
            return {}
        rows = self.db.query("SELECT id, text FROM chunks WHERE id IN (SELECT unnest(?))",
                             [[int(i) for i in ids]])
        return dict(rows)

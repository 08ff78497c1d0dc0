"""Search tables carry no primary-key index (DuckDB rewrites one whole at every checkpoint):
a database written with schema 9's keyed tables is upgraded, its rows kept."""

from __future__ import annotations

import duckdb
import numpy as np

from workbench.store import Store
from workbench.store.migrations import MIGRATIONS, migrate


def _keys(con, table: str) -> int:
    return con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = ?"
                       " AND constraint_type = 'PRIMARY KEY'", [table]).fetchone()[0]


def test_keyed_chunk_and_vector_tables_are_rebuilt_without_keys(tmp_path):
    path = tmp_path / "wb.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, str(path), tuple(m for m in MIGRATIONS if m.version <= 11))
    assert _keys(con, "chunks") == 1
    con.execute("INSERT INTO chunks (id, blob_sha, chunker_version, kind, text, terms, counts,"
                " length) VALUES (7, 'abc', 1, 'code', 'def f(): pass', [1, 2], [1, 1], 2)")
    con.execute("CREATE TABLE embeddings_old_4 (chunk_id BIGINT PRIMARY KEY, vector FLOAT[4])")
    con.execute("INSERT INTO embeddings_old_4 VALUES (7, [1, 0, 0, 0])")
    con.close()

    store = Store(path)
    store.search.ensure_embedder("old", 4, "embeddings_old_4")
    store.search.store_vectors("embeddings_old_4", [7, 8], np.eye(4, dtype=np.float32)[:2])

    def check(cur):
        assert _keys(cur, "chunks") == 0 and _keys(cur, "embeddings_old_4") == 0
        assert cur.execute("SELECT id, text FROM chunks").fetchall() == [(7, "def f(): pass")]
        return cur.execute("SELECT chunk_id FROM embeddings_old_4 ORDER BY 1").fetchall()

    assert store.db.read(check) == [(7,), (8,)]  # 7 kept, not doubled; 8 added
    store.db.release()

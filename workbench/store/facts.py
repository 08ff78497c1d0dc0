"""Parse results keyed by (git blob sha, parser, parser version), shared by every project.

The same bytes parsed by the same parser version give the same facts, so a blob is parsed once
for all commits and all projects (forks share their unchanged files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from .database import Database

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

FactKey = tuple[str, str, int]  # (blob sha, parser, parser version)



def _keys_table(keys: list[FactKey], facts: list[str] | None = None) -> "pa.Table":
    import pyarrow as pa

    columns = {
        "blob_sha": pa.array([k[0] for k in keys], pa.string()),
        "parser": pa.array([k[1] for k in keys], pa.string()),
        "parser_version": pa.array([k[2] for k in keys], pa.int32()),
    }
    if facts is not None:
        columns["facts"] = pa.array(facts, pa.string())
    return pa.table(columns)


class FactsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get_many(self, keys: Iterable[FactKey]) -> dict[FactKey, str]:
        """Return ``{key: facts_json}`` for the keys already stored.

        An empty cache (a first map) is answered without the lookup: handing DuckDB the keys
        as an Arrow table costs 0.03 s in a fresh process, before the first file is parsed."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}

        def fetch(cur):
            if cur.execute("SELECT 1 FROM file_facts LIMIT 1").fetchone() is None:
                return []
            table = _keys_table(wanted)
            cur.register("wanted_facts", table)
            try:
                return cur.execute(
                    "SELECT f.blob_sha, f.parser, f.parser_version, f.facts FROM file_facts f"
                    " JOIN wanted_facts w USING (blob_sha, parser, parser_version)"
                ).fetchall()
            finally:
                cur.unregister("wanted_facts")

        return {(sha, parser, int(version)): facts for sha, parser, version, facts in self.db.read(fetch)}

    def put_many(self, facts: dict[FactKey, str], cur=None) -> None:
        """Insert facts not stored yet (two mappers racing on one blob is harmless)."""
        if not facts:
            return
        table = _keys_table(list(facts), list(facts.values()))

        def insert(c):
            c.register("new_facts", table)
            try:
                c.execute(
                    "INSERT OR IGNORE INTO file_facts (blob_sha, parser, parser_version, facts)"
                    " SELECT n.blob_sha, n.parser, n.parser_version, n.facts FROM new_facts n"
                )
            finally:
                c.unregister("new_facts")

        if cur is not None:
            insert(cur)
        else:
            self.db.write(insert)

    def count(self) -> int:
        return self.db.query("SELECT count(*) FROM file_facts")[0][0]

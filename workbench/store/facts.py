"""Parse results keyed by git blob sha and parser version, shared by every project."""

from __future__ import annotations

from typing import Iterable

import pyarrow as pa

from .database import Database


class FactsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get_many(self, parser: str, version: int, blob_shas: Iterable[str]) -> dict[str, str]:
        """Return ``{blob_sha: facts_json}`` for the shas already parsed by this parser version."""
        shas = list(dict.fromkeys(blob_shas))
        if not shas:
            return {}
        wanted = pa.table({"blob_sha": pa.array(shas, pa.string())})

        def fetch(cur):
            cur.register("wanted_blobs", wanted)
            try:
                return cur.execute(
                    "SELECT f.blob_sha, f.facts FROM file_facts f"
                    " JOIN wanted_blobs w USING (blob_sha)"
                    " WHERE f.parser = ? AND f.parser_version = ?",
                    [parser, version],
                ).fetchall()
            finally:
                cur.unregister("wanted_blobs")

        return dict(self.db.read(fetch))

    def put_many(self, parser: str, version: int, facts: dict[str, str], cur=None) -> None:
        """Insert facts that are not stored yet (two mappers racing on one blob is harmless)."""
        if not facts:
            return
        table = pa.table(
            {
                "blob_sha": pa.array(list(facts), pa.string()),
                "facts": pa.array(list(facts.values()), pa.string()),
            }
        )

        def insert(c):
            c.register("new_facts", table)
            try:
                c.execute(
                    "INSERT INTO file_facts (blob_sha, parser, parser_version, facts)"
                    " SELECT n.blob_sha, ?, ?, n.facts FROM new_facts n"
                    " WHERE NOT EXISTS (SELECT 1 FROM file_facts f WHERE f.blob_sha = n.blob_sha"
                    "   AND f.parser = ? AND f.parser_version = ?)",
                    [parser, version, parser, version],
                )
            finally:
                c.unregister("new_facts")

        if cur is not None:
            insert(cur)
        else:
            self.db.write(insert)

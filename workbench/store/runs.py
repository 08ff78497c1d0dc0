"""Reads and writes of the ``runs`` table: every batch notebook run and where its outputs are.

Each method is one short transaction; nothing is held while a notebook executes, so several
batch runs (threads or processes) can share one database file.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from .database import Database

COLUMNS = (
    "id", "notebook", "parameters", "status", "schedule_id", "scheduled_for", "created_at",
    "started_at", "finished_at", "duration_seconds", "output_ipynb", "output_html",
    "error_cell", "error", "runner",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM runs"


def _row(values: tuple) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values))
    row["parameters"] = json.loads(row["parameters"]) if row["parameters"] else {}
    return row


class RunsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, notebook: str, parameters: dict[str, Any], *, schedule_id: int | None = None,
               scheduled_for: datetime | None = None,
               cur: duckdb.DuckDBPyConnection | None = None) -> int:
        """Insert a queued run; inside the caller's transaction when ``cur`` is given."""
        sql = ("INSERT INTO runs (notebook, parameters, status, schedule_id, scheduled_for)"
               " VALUES (?, ?, 'queued', ?, ?) RETURNING id")
        params = [notebook, json.dumps(parameters), schedule_id, scheduled_for]
        if cur is not None:
            return cur.execute(sql, params).fetchone()[0]
        return self.db.write(lambda c: c.execute(sql, params).fetchone()[0])

    def start(self, run_id: int, output_ipynb: str, output_html: str, runner: str) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE runs SET status = 'running', started_at = now(), output_ipynb = ?,"
            " output_html = ?, runner = ? WHERE id = ?",
            [output_ipynb, output_html, runner, run_id],
        ))

    def finish(self, run_id: int, *, status: str, duration_seconds: float | None,
               output_ipynb: str | None, output_html: str | None,
               error_cell: int | None = None, error: str | None = None) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE runs SET status = ?, finished_at = now(), duration_seconds = ?,"
            " output_ipynb = ?, output_html = ?, error_cell = ?, error = ? WHERE id = ?",
            [status, duration_seconds, output_ipynb, output_html, error_cell, error, run_id],
        ))

    def get(self, run_id: int) -> dict[str, Any] | None:
        rows = self.db.query(f"{_SELECT} WHERE id = ?", [run_id])
        return _row(rows[0]) if rows else None

    def list(self, *, limit: int = 20, schedule_id: int | None = None) -> list[dict[str, Any]]:
        if schedule_id is None:
            rows = self.db.query(f"{_SELECT} ORDER BY id DESC LIMIT ?", [limit])
        else:
            rows = self.db.query(f"{_SELECT} WHERE schedule_id = ? ORDER BY id DESC LIMIT ?",
                                 [schedule_id, limit])
        return [_row(r) for r in rows]

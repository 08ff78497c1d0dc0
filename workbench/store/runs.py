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


def current_owner() -> tuple[int, str, float | None]:
    """This process as a run's owner: pid, host name, process start time."""
    from ..jobs.process import current_owner as owner  # the jobs package imports the store

    return owner()

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
        """Insert a queued run owned by this process; inside the caller's transaction when
        ``cur`` is given."""
        pid, hostname, started = current_owner()
        sql = ("INSERT INTO runs (notebook, parameters, status, schedule_id, scheduled_for, pid,"
               " hostname, process_started) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING id")
        params = [notebook, json.dumps(parameters), schedule_id, scheduled_for, pid, hostname,
                  started]
        if cur is not None:
            return cur.execute(sql, params).fetchone()[0]
        return self.db.write(lambda c: c.execute(sql, params).fetchone()[0])

    def start(self, run_id: int, output_ipynb: str, output_html: str, runner: str) -> None:
        pid, hostname, started = current_owner()
        self.db.write(lambda cur: cur.execute(
            "UPDATE runs SET status = 'running', started_at = now(), heartbeat_at = now(),"
            " output_ipynb = ?, output_html = ?, runner = ?, pid = ?, hostname = ?,"
            " process_started = ? WHERE id = ?",
            [output_ipynb, output_html, runner, pid, hostname, started, run_id],
        ))

    def heartbeat(self, run_id: int) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE runs SET heartbeat_at = now() WHERE id = ? AND status = 'running'", [run_id]))

    def active(self) -> list[dict[str, Any]]:
        """Queued and running runs with their owner: id, status, pid, hostname,
        process_started, heartbeat_at, started_at, created_at, output_ipynb, output_html."""
        keys = ("id", "status", "pid", "hostname", "process_started", "heartbeat_at",
                "started_at", "created_at", "output_ipynb", "output_html")
        rows = self.db.query(f"SELECT {', '.join(keys)} FROM runs"
                             " WHERE status IN ('queued', 'running') ORDER BY id")
        return [dict(zip(keys, row)) for row in rows]

    def mark_interrupted(self, runs: list[tuple[int, str | None, str | None]], reason: str) -> None:
        """Mark ``(run_id, output_ipynb, output_html)`` runs ``interrupted`` with ``reason``,
        keeping only the outputs given (those that exist); runs that finished meanwhile stay."""
        def work(cur):
            for run_id, ipynb, html in runs:
                cur.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = now(), error = ?,"
                    " output_ipynb = ?, output_html = ? WHERE id = ?"
                    " AND status IN ('queued', 'running')", [reason, ipynb, html, run_id])
        self.db.write(work)

    def with_status(self, status: str, *, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.db.query(f"{_SELECT} WHERE status = ? ORDER BY id DESC LIMIT ?", [status, limit])
        return [_row(r) for r in rows]

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

"""Reads and writes of the ``schedules`` table, and the atomic claim of a due schedule.

Claiming is one transaction: ``UPDATE schedules SET next_due = <next> WHERE id = ? AND
next_due = <the value the caller saw>``, plus the queued ``runs`` rows for what the claim
will execute. Only one claimant can move ``next_due`` away from the value it read: another
process waits for the file and then matches no row; another thread of the same process gets
DuckDB's write-write conflict, is retried by :meth:`Database.write` and then matches no row.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

import duckdb

from ..errors import ScheduleExists, ScheduleNotFound
from .database import Database, updated

COLUMNS = (
    "id", "name", "notebook", "parameters", "cron", "enabled", "catch_up", "next_due",
    "last_run_id", "created_at", "claimed_by", "claimed_at",
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM schedules"


def _row(values: tuple) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values))
    row["parameters"] = json.loads(row["parameters"]) if row["parameters"] else {}
    return row


class SchedulesTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, notebook: str, parameters: dict[str, Any], cron: str,
            catch_up: str, next_due: datetime) -> dict[str, Any]:
        def insert(cur):
            if cur.execute("SELECT 1 FROM schedules WHERE name = ?", [name]).fetchone():
                raise ScheduleExists(
                    f"a schedule named {name!r} already exists; remove it first with "
                    f"`workbench schedule remove {name}` or choose another name",
                    schedule=name,
                )
            cur.execute(
                "INSERT INTO schedules (name, notebook, parameters, cron, catch_up, next_due)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [name, notebook, json.dumps(parameters), cron, catch_up, next_due],
            )

        self.db.write(insert)
        return self.get(name)

    def get(self, name: str) -> dict[str, Any]:
        rows = self.db.query(f"{_SELECT} WHERE name = ?", [name])
        if not rows:
            known = [r["name"] for r in self.list()]
            hint = f" Known schedules: {', '.join(known)}." if known else " There are no schedules."
            raise ScheduleNotFound(
                f"no schedule named {name!r}.{hint} Add one with "
                "`workbench schedule add NAME NOTEBOOK --cron EXPR`",
                schedule=name,
            )
        return _row(rows[0])

    def list(self) -> list[dict[str, Any]]:
        return [_row(r) for r in self.db.query(f"{_SELECT} ORDER BY name")]

    def remove(self, name: str) -> None:
        self.get(name)
        self.db.write(lambda cur: cur.execute("DELETE FROM schedules WHERE name = ?", [name]))

    def due(self, now: datetime) -> list[dict[str, Any]]:
        """Enabled schedules whose ``next_due`` is at or before ``now``, earliest first."""
        rows = self.db.query(f"{_SELECT} WHERE enabled AND next_due <= ? ORDER BY next_due, id",
                             [now])
        return [_row(r) for r in rows]

    def next_due(self) -> datetime | None:
        """The earliest ``next_due`` of any enabled schedule."""
        rows = self.db.query("SELECT min(next_due) FROM schedules WHERE enabled")
        return rows[0][0] if rows else None

    def claim(self, schedule_id: int, seen_next_due: datetime, new_next_due: datetime,
              claimed_by: str, then: Callable[[duckdb.DuckDBPyConnection], list[int]]
              ) -> list[int] | None:
        """Move a due schedule on to ``new_next_due`` if nobody else did; ``None`` if they did.

        ``then(cur)`` runs in the same transaction (it queues the runs to execute and returns
        their ids); the last id becomes the schedule's ``last_run_id``.
        """

        def work(cur):
            if updated(cur, "UPDATE schedules SET next_due = ?, claimed_by = ?,"
                            " claimed_at = now() WHERE id = ? AND enabled AND next_due = ?",
                       [new_next_due, claimed_by, schedule_id, seen_next_due]) != 1:
                return None
            run_ids = then(cur)
            if run_ids:
                cur.execute("UPDATE schedules SET last_run_id = ? WHERE id = ?",
                            [run_ids[-1], schedule_id])
            return run_ids

        return self.db.write(work)

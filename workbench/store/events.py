"""Reads and writes of the event tables: ``events``, ``consumers``, ``dead_letters`` and
``webhook_deliveries``.

Every method is one short transaction. Appends in one process are serialised by a lock per
database file, and DuckDB lets one process write the file at a time, so event ids are
committed in increasing order: a consumer that has read up to id N never misses a smaller id
committed later (the usual trap of sequence-numbered outboxes).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from .database import Database, updated

EVENT_COLUMNS = ("id", "type", "payload", "actor", "project", "created_at")
DEAD_COLUMNS = ("id", "consumer", "event_id", "event_type", "attempts", "error", "status",
                "created_at", "updated_at")
_SELECT_EVENTS = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
_SELECT_DEAD = f"SELECT {', '.join(DEAD_COLUMNS)} FROM dead_letters"

#: One lock per database file: appends of this process commit in id order.
_append_locks: dict[Path, threading.Lock] = {}
_append_locks_guard = threading.Lock()

EventRow = tuple  # (id, type, payload JSON text, actor, project, created_at)


def _types_clause(types: Sequence[str] | None) -> tuple[str, list[Any]]:
    if not types:
        return "", []
    return " AND list_contains(?, type)", [list(types)]


class EventsTable:
    def __init__(self, db: Database) -> None:
        self.db = db
        with _append_locks_guard:
            self._append_lock = _append_locks.setdefault(db.path, threading.Lock())

    # -- the log ----------------------------------------------------------------------------------

    def append(self, rows: Sequence[tuple[str, str, str, str | None, datetime]]) -> list[int]:
        """Append ``(type, payload_json, actor, project, created_at)`` rows in one transaction;
        return their ids, in order. Many rows go in as one Arrow table."""
        if not rows:
            return []

        def one(cur) -> list[int]:
            return [cur.execute(
                "INSERT INTO events (id, type, payload, actor, project, created_at)"
                " VALUES (nextval('events_id_seq'), ?, ?, ?, ?, ?) RETURNING id",
                list(rows[0])).fetchone()[0]]

        def many(cur) -> list[int]:
            import pyarrow as pa

            ids = sorted(r[0] for r in cur.execute(
                "SELECT nextval('events_id_seq') FROM range(?)", [len(rows)]).fetchall())
            columns = list(zip(*rows))
            table = pa.table({
                "id": pa.array(ids, pa.int64()), "type": pa.array(columns[0], pa.string()),
                "payload": pa.array(columns[1], pa.string()),
                "actor": pa.array(columns[2], pa.string()),
                "project": pa.array(columns[3], pa.string()),
                "created_at": pa.array(columns[4], pa.timestamp("us", tz="UTC")),
            })
            cur.register("incoming_events", table)
            try:
                cur.execute("INSERT INTO events (id, type, payload, actor, project, created_at)"
                            " SELECT id, type, payload, actor, project, created_at"
                            " FROM incoming_events")
            finally:
                cur.unregister("incoming_events")
            return ids

        with self._append_lock:
            return self.db.write(one if len(rows) == 1 else many)

    def read(self, after: int = 0, types: Sequence[str] | None = None, limit: int = 100,
             *, until: int | None = None) -> list[EventRow]:
        """Events with ``after < id`` (``<= until`` when given) of ``types``, oldest first."""
        clause, params = _types_clause(types)
        bound = " AND id <= ?" if until is not None else ""
        return self.db.query(
            f"{_SELECT_EVENTS} WHERE id > ?{bound}{clause} ORDER BY id LIMIT ?",
            [after, *([until] if until is not None else []), *params, limit])

    def get(self, event_id: int) -> EventRow | None:
        rows = self.db.query(f"{_SELECT_EVENTS} WHERE id = ?", [event_id])
        return rows[0] if rows else None

    def head(self) -> int:
        """The id of the newest event (0 for an empty log)."""
        return self.db.query("SELECT coalesce(max(id), 0) FROM events")[0][0]

    # -- consumers --------------------------------------------------------------------------------

    def claim(self, consumer: str, owner: str, *, now: datetime, lease_until: datetime,
              start: str, types: Sequence[str] | None, limit: int,
              resume: tuple[int, int] | None = None
              ) -> tuple[bool, int, list[EventRow], list[tuple], int]:
        """Take (or keep) the consumer's lease and read what it has to handle, in one
        transaction.

        Returns ``(claimed, acked_id, events, retries, scanned_to)``: ``claimed`` is False while
        another owner's lease runs (then nothing else is read); ``events`` follow ``acked_id``
        (at most ``limit``, of ``types``); ``retries`` are the consumer's dead letters queued
        again (``(dead_letter_id, attempts, event row)``); ``scanned_to`` is the id the
        consumer may acknowledge once it handled ``events`` (past events of other types). A
        new consumer starts at 0 (``start="earliest"``) or at the head (``"latest"``).
        ``resume=(stored, handled)``: the subscriber handled events up to ``handled`` but has
        acknowledged only ``stored``; while the row still says ``stored`` (no replay moved it)
        the events after ``handled`` are read.
        """
        clause, params = _types_clause(types)

        def read_batch(cur, acked: int) -> tuple[bool, int, list[EventRow], list[tuple], int]:
            start_after = resume[1] if resume is not None and resume[0] == acked else acked
            head = cur.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
            events = cur.execute(
                f"{_SELECT_EVENTS} WHERE id > ? AND id <= ?{clause} ORDER BY id LIMIT ?",
                [start_after, head, *params, limit]).fetchall()
            scanned = max(start_after, events[-1][0] if len(events) == limit else head)
            retries = cur.execute(
                "SELECT d.id, d.attempts, e.id, e.type, e.payload, e.actor, e.project,"
                " e.created_at FROM dead_letters d JOIN events e ON e.id = d.event_id"
                " WHERE d.consumer = ? AND d.status = 'retrying' ORDER BY d.id LIMIT ?",
                [consumer, limit]).fetchall()
            return True, acked, events, [(r[0], r[1], r[2:]) for r in retries], scanned

        def held(cur):
            """While this owner's lease has more than half its time left, a read will do (no
            write, so no commit to disk, per poll)."""
            cur.execute("BEGIN TRANSACTION")
            try:
                row = cur.execute("SELECT acked_id, lease_owner, lease_until FROM consumers"
                                  " WHERE name = ?", [consumer]).fetchone()
                if row is None or row[1] != owner or row[2] is None or (
                        row[2] - now) < (lease_until - now) / 2:
                    return None
                return read_batch(cur, row[0])
            finally:
                cur.execute("COMMIT")

        found = self.db.read(held)
        if found is not None:
            return found

        def run(cur) -> tuple[bool, int, list[EventRow], list[tuple], int]:
            row = None
            if updated(cur, "UPDATE consumers SET lease_owner = ?, lease_until = ?, updated_at = ?"
                            " WHERE name = ? AND (lease_owner IS NULL OR lease_owner = ?"
                            " OR lease_until < ?)", [owner, lease_until, now, consumer, owner, now]):
                row = cur.execute("SELECT acked_id FROM consumers WHERE name = ?",
                                  [consumer]).fetchone()
            if row is None:
                exists = cur.execute("SELECT 1 FROM consumers WHERE name = ?",
                                     [consumer]).fetchone()
                if exists:
                    return False, 0, [], [], 0
                first = 0 if start == "earliest" else cur.execute(
                    "SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
                cur.execute("INSERT INTO consumers (name, acked_id, lease_owner, lease_until)"
                            " VALUES (?, ?, ?, ?)", [consumer, first, owner, lease_until])
                row = (first,)
            return read_batch(cur, row[0])

        return self.db.write(run)

    def ack(self, consumer: str, owner: str, acked_id: int, *, base: int, now: datetime,
            lease_until: datetime | None) -> bool:
        """Move the consumer from ``base`` (its position when the batch was claimed) past
        ``acked_id`` while ``owner`` holds it, and keep the lease until ``lease_until`` (None
        lets it go). A position moved meanwhile (a replay) is left as it is. False when the
        lease was lost."""
        return self.db.write(lambda cur: updated(
            cur, "UPDATE consumers SET acked_id = CASE WHEN acked_id = ? THEN ? ELSE acked_id END,"
                 " updated_at = ?,"
                 " lease_owner = CASE WHEN ? THEN lease_owner ELSE NULL END,"
                 " lease_until = ? WHERE name = ? AND lease_owner = ?",
            [base, acked_id, now, lease_until is not None, lease_until, consumer, owner])) > 0

    def release(self, consumer: str, owner: str) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE consumers SET lease_owner = NULL, lease_until = NULL"
            " WHERE name = ? AND lease_owner = ?", [consumer, owner]))

    def set_position(self, consumer: str, acked_id: int, *, create: bool = False) -> bool:
        """Make the consumer's next event the first after ``acked_id``. A consumer with no row
        is created only with ``create``; without it nothing is written and False returned."""

        def run(cur) -> bool:
            if not updated(cur, "UPDATE consumers SET acked_id = ?, updated_at = now()"
                                " WHERE name = ?", [acked_id, consumer]):
                if not create:
                    return False
                cur.execute("INSERT INTO consumers (name, acked_id) VALUES (?, ?)",
                            [consumer, acked_id])
            return True

        return self.db.write(run)

    def consumers(self) -> list[tuple]:
        """``(name, acked_id, pending, lease_owner, lease_until, dead_letters)`` per consumer."""
        return self.db.query(
            "SELECT c.name, c.acked_id,"
            " (SELECT count(*) FROM events e WHERE e.id > c.acked_id),"
            " c.lease_owner, c.lease_until,"
            " (SELECT count(*) FROM dead_letters d WHERE d.consumer = c.name"
            "  AND d.status = 'dead')"
            " FROM consumers c ORDER BY c.name")

    # -- dead letters -----------------------------------------------------------------------------

    def add_dead(self, consumer: str, event_id: int, event_type: str, attempts: int,
                 error: str) -> int:
        return self.db.write(lambda cur: cur.execute(
            "INSERT INTO dead_letters (consumer, event_id, event_type, attempts, error)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            [consumer, event_id, event_type, attempts, error]).fetchone()[0])

    def dead_letters(self, consumer: str | None = None, *, include_resolved: bool = False,
                     limit: int = 1000) -> list[tuple]:
        where, params = ["TRUE"], []
        if consumer is not None:
            where.append("consumer = ?")
            params.append(consumer)
        if not include_resolved:
            where.append("status <> 'resolved'")
        return self.db.query(f"{_SELECT_DEAD} WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
                             [*params, limit])

    def dead_letter(self, dead_id: int) -> tuple | None:
        rows = self.db.query(f"{_SELECT_DEAD} WHERE id = ?", [dead_id])
        return rows[0] if rows else None

    def set_dead(self, dead_id: int, status: str, *, attempts: int | None = None,
                 error: str | None = None) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE dead_letters SET status = ?, attempts = coalesce(?, attempts),"
            " error = coalesce(?, error), updated_at = now() WHERE id = ?",
            [status, attempts, error, dead_id]))

    # -- webhook deliveries -----------------------------------------------------------------------

    def begin_delivery(self, delivery_id: str, source: str, event: str | None,
                       repository: str | None) -> bool:
        """Record a webhook delivery; False when it was handled before (a repeat is a no-op).

        A delivery that started but never finished (the server stopped half way) may run again.
        """

        def run(cur) -> bool:
            row = cur.execute("SELECT status FROM webhook_deliveries WHERE delivery_id = ?",
                              [delivery_id]).fetchone()
            if row is not None and row[0] != "received":
                return False
            if row is None:
                cur.execute("INSERT INTO webhook_deliveries (delivery_id, source, event,"
                            " repository, status) VALUES (?, ?, ?, ?, 'received')",
                            [delivery_id, source, event, repository])
            return True

        return self.db.write(run)

    def finish_delivery(self, delivery_id: str, status: str, detail: str | None = None,
                        event_ids: Sequence[int] = ()) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE webhook_deliveries SET status = ?, detail = ?, event_ids = ?,"
            " finished_at = now() WHERE delivery_id = ?",
            [status, detail, json.dumps(list(event_ids)), delivery_id]))

    def deliveries(self, limit: int = 100) -> list[dict[str, Any]]:
        cols = ("delivery_id", "source", "event", "repository", "status", "detail", "event_ids",
                "received_at", "finished_at")
        rows = self.db.query(f"SELECT {', '.join(cols)} FROM webhook_deliveries"
                             " ORDER BY received_at DESC LIMIT ?", [limit])
        out = [dict(zip(cols, r)) for r in rows]
        for row in out:
            row["event_ids"] = json.loads(row["event_ids"]) if row["event_ids"] else []
        return out

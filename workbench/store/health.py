"""Health notes about the database itself: when it was last checkpointed, and loud notices
(a corrupt WAL moved aside at start-up) that ``workbench status`` shows until they age out."""

from __future__ import annotations

import logging
from datetime import datetime

from ..errors import StoreError
from .database import Database

log = logging.getLogger("workbench.store")

#: Keys of ``store_health``; nothing else is written there.
KEYS = ("last_checkpoint",)


class HealthTable:
    def __init__(self, db: Database) -> None:
        self.db = db
        #: Why the last checkpoint of this process failed for want of space or with a fatal
        #: error (one line: what was kept, what failed, what to do); ``None`` when it did not.
        self.problem: str | None = None

    def set(self, key: str, value: str) -> None:
        if key not in KEYS:
            raise ValueError(f"unknown health key {key!r}; known: {', '.join(KEYS)}")
        self.db.write(lambda cur: _put(cur, key, value))

    @staticmethod
    def note_checkpoint(con) -> None:
        """Note that the log was just folded (the database's ``on_fold``): when the file is
        closed, or at :meth:`checkpoint`."""
        _put(con, "last_checkpoint", "ok")

    def updated_at(self, key: str) -> datetime | None:
        rows = self.db.query("SELECT updated_at FROM store_health WHERE key = ?", [key])
        return rows[0][0] if rows else None

    def checkpoint(self, *, min_wal_bytes: int = 0) -> bool:
        """Fold the WAL into the database file; record when. False when it could not run now,
        or when the WAL holds fewer than ``min_wal_bytes`` (it is left for the next open to
        replay: see :data:`~workbench.store.database.WAL_FOLD_BYTES`).

        A checkpoint that fails fatally (a full disk) leaves the committed work in the WAL:
        the connection DuckDB invalidated is dropped (the next use opens the file again) and
        :attr:`problem` says what was kept and what failed.
        """
        self.problem = None
        try:
            if not self.db.checkpoint(min_wal_bytes=min_wal_bytes):
                return False
        except StoreError as exc:
            if exc.fields.get("disk_full") is None:
                return False  # not a fatal error: another transaction is busy, say
            wal = f"{self.db.path.name}.wal"
            self.problem = (
                f"work committed so far is saved in the write-ahead log ({wal}), but folding it "
                "into the database file failed because the disk is full "
                f"({self.db.free_space()}). Free space, then run any command (`workbench "
                "status`) to fold it in" if exc.fields["disk_full"] else
                f"work committed so far is saved in the write-ahead log ({wal}), but the "
                f"checkpoint failed: {exc}")
            log.info("checkpoint failed: %s", self.problem)
            return False
        except Exception:  # noqa: BLE001 - another transaction is busy; the next job tries again
            return False
        return True  # the database noted it (note_checkpoint)

    def notices(self, limit: int = 20) -> list[tuple[datetime, str, str]]:
        return self.db.query(
            "SELECT noted_at, kind, message FROM store_notices ORDER BY id DESC LIMIT ?", [limit])


def _put(cur, key: str, value: str) -> None:
    cur.execute("INSERT INTO store_health (key, value, updated_at) VALUES (?, ?, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
                [key, value])

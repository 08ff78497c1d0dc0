"""Health notes about the database itself: when it was last checkpointed, and loud notices
(a corrupt WAL moved aside at start-up) that ``workbench status`` shows until they age out."""

from __future__ import annotations

from datetime import datetime

from .database import Database

#: Keys of ``store_health``; nothing else is written there.
KEYS = ("last_checkpoint",)


class HealthTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def set(self, key: str, value: str) -> None:
        if key not in KEYS:
            raise ValueError(f"unknown health key {key!r}; known: {', '.join(KEYS)}")
        self.db.write(lambda cur: cur.execute(
            "INSERT INTO store_health (key, value, updated_at) VALUES (?, ?, now()) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
            [key, value]))

    def updated_at(self, key: str) -> datetime | None:
        rows = self.db.query("SELECT updated_at FROM store_health WHERE key = ?", [key])
        return rows[0][0] if rows else None

    def checkpoint(self) -> bool:
        """Fold the WAL into the database file; record when. False when it could not run now."""
        try:
            self.db.read(lambda cur: cur.execute("CHECKPOINT"))
        except Exception:  # noqa: BLE001 - another transaction is busy; the next job tries again
            return False
        self.set("last_checkpoint", "ok")
        return True

    def notices(self, limit: int = 20) -> list[tuple[datetime, str, str]]:
        return self.db.query(
            "SELECT noted_at, kind, message FROM store_notices ORDER BY id DESC LIMIT ?", [limit])

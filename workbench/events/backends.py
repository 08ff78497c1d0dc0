"""The event bus port: what :class:`~workbench.events.log.EventLog` needs from a backend,
a registry of backends by URL scheme, and the embedded DuckDB backend.

A backend stores events with increasing integer ids, keeps each durable consumer's position
(the last event it acknowledged), hands a consumer's next batch to one subscriber at a time
(a lease in DuckDB, a consumer group in Redis Streams) and keeps dead letters. Validation,
handlers, retries and threads live in the event log, the same for every backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from ..errors import ConfigError
from .records import ConsumerInfo, DeadLetter, Event

if TYPE_CHECKING:  # pragma: no cover
    from ..store import Store

#: What a publish hands a backend: ``(type, payload_json, actor, project, created_at)``.
NewEvent = tuple[str, str, str, "str | None", datetime]


@dataclass
class Batch:
    """A consumer's next work: ``events`` in id order, dead letters queued again (``retries``:
    ``(dead_letter_id, attempts_so_far, event)``), and ``position``: the id the consumer may
    acknowledge once all of ``events`` are handled (it is caught up to it). ``claimed`` is
    False while another subscriber holds the consumer. ``resume`` in ``fetch``: see
    :meth:`workbench.store.events.EventsTable.claim` (backends that track deliveries
    themselves ignore it)."""

    claimed: bool
    events: list[Event] = field(default_factory=list)
    retries: list[tuple[int, int, Event]] = field(default_factory=list)
    position: int = 0
    base: int = 0
    """The consumer's position when the batch was taken."""


class EventBackend(Protocol):
    """The port. ``blocking`` backends wait for new events inside ``fetch``/``tail``
    (``block`` seconds); the others return at once and the log waits for a wake-up. ``tail``
    returns the events of ``types`` after ``after`` and the id it read up to.
    ``set_position`` moves a consumer that exists (creating one only with ``create``) and
    returns False, changing nothing, for a consumer that does not."""

    name: str
    blocking: bool

    def append(self, rows: Sequence[NewEvent]) -> list[int]: ...
    def read(self, after: int, types: Sequence[str] | None, limit: int) -> list[Event]: ...
    def get(self, event_id: int) -> Event | None: ...
    def head(self) -> int: ...
    def tail(self, after: int, types: Sequence[str] | None, limit: int,
             block: float) -> tuple[list[Event], int]: ...
    def fetch(self, consumer: str, owner: str, types: Sequence[str] | None, limit: int, *,
              start: str, block: float, claim_after: float,
              resume: tuple[int, int] | None = None) -> Batch: ...
    def ack(self, consumer: str, owner: str, events: Sequence[Event], position: int, *,
            base: int, keep: bool, claim_after: float) -> bool: ...
    def release(self, consumer: str, owner: str) -> None: ...
    def idle(self) -> None: ...
    def set_position(self, consumer: str, acked_id: int, *, create: bool = False) -> bool: ...
    def consumers(self) -> list[ConsumerInfo]: ...
    def add_dead(self, consumer: str, event: Event, attempts: int, error: str) -> int: ...
    def dead_letters(self, consumer: str | None, include_resolved: bool) -> list[DeadLetter]: ...
    def dead_letter(self, dead_id: int) -> DeadLetter | None: ...
    def set_dead(self, dead_id: int, status: str, *, attempts: int | None = None,
                 error: str | None = None) -> None: ...
    def close(self) -> None: ...


BackendFactory = Callable[[str, "Store"], EventBackend]
_backends: dict[str, BackendFactory] = {}


def register_backend(scheme: str, factory: BackendFactory) -> None:
    """Make ``WORKBENCH_EVENTS=<scheme>`` / ``<scheme>://...`` open ``factory(url, store)``."""
    _backends[scheme] = factory


def open_backend(url: str, store: "Store") -> EventBackend:
    """The backend a configuration names: ``duckdb`` or ``redis://host:port/db``."""
    scheme = url.split("://", 1)[0] if "://" in url else url
    factory = _backends.get(scheme)
    if factory is None:
        raise ConfigError(f"unknown event backend {url!r}; known: "
                          f"{', '.join(sorted(_backends))} (set WORKBENCH_EVENTS to duckdb or "
                          "redis://host:port/db)", backend=url)
    return factory(url, store)


def event_from_row(row: Sequence[Any]) -> Event:
    """An :class:`Event` from ``(id, type, payload_json, actor, project, created_at)``."""
    payload = row[2] if isinstance(row[2], dict) else json.loads(row[2])
    created = row[5]
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return Event(int(row[0]), row[1], payload, row[3], row[4], created)


def dead_from_row(row: Sequence[Any], event: Event | None) -> DeadLetter:
    return DeadLetter(*row, event=event)


class DuckDBBackend:
    """Events in the workbench's DuckDB file (table family of migration 11).

    One subscriber at a time holds a consumer: a lease in the ``consumers`` row that runs out
    ``claim_after`` seconds after it was last renewed (each batch renews it), so the events of
    a subscriber whose process died are delivered again elsewhere (at-least-once).
    """

    name = "duckdb"
    blocking = False

    def __init__(self, store: "Store") -> None:
        self.table = store.events
        self.db = store.db

    def append(self, rows: Sequence[NewEvent]) -> list[int]:
        return self.table.append(rows)

    def read(self, after: int, types: Sequence[str] | None, limit: int) -> list[Event]:
        return [event_from_row(r) for r in self.table.read(after, types, limit)]

    def get(self, event_id: int) -> Event | None:
        row = self.table.get(event_id)
        return event_from_row(row) if row else None

    def head(self) -> int:
        return self.table.head()

    def tail(self, after: int, types: Sequence[str] | None, limit: int,
             block: float) -> tuple[list[Event], int]:
        events = self.read(after, types, limit)
        return events, events[-1].id if events else after

    def fetch(self, consumer: str, owner: str, types: Sequence[str] | None, limit: int, *,
              start: str, block: float, claim_after: float,
              resume: tuple[int, int] | None = None) -> Batch:
        now = datetime.now(timezone.utc)
        claimed, acked, rows, retries, scanned = self.table.claim(
            consumer, owner, now=now, lease_until=now + timedelta(seconds=claim_after),
            start=start, types=types, limit=limit, resume=resume)
        if not claimed:
            return Batch(False)
        return Batch(True, [event_from_row(r) for r in rows],
                     [(d, a, event_from_row(r)) for d, a, r in retries], scanned, acked)

    def ack(self, consumer: str, owner: str, events: Sequence[Event], position: int, *,
            base: int, keep: bool, claim_after: float) -> bool:
        now = datetime.now(timezone.utc)
        return self.table.ack(consumer, owner, position, base=base, now=now,
                              lease_until=now + timedelta(seconds=claim_after) if keep else None)

    def release(self, consumer: str, owner: str) -> None:
        self.table.release(consumer, owner)

    def idle(self) -> None:
        """Hand the file back now (unless a unit of work of this process runs), so that other
        processes, the publishers a polling subscriber waits for, can open it between polls."""
        self.db.release()

    def set_position(self, consumer: str, acked_id: int, *, create: bool = False) -> bool:
        return self.table.set_position(consumer, acked_id, create=create)

    def consumers(self) -> list[ConsumerInfo]:
        now = datetime.now(timezone.utc)
        return [ConsumerInfo(name, acked, pending,
                             owner if owner and until is not None and until > now else None, dead)
                for name, acked, pending, owner, until, dead in self.table.consumers()]

    def add_dead(self, consumer: str, event: Event, attempts: int, error: str) -> int:
        return self.table.add_dead(consumer, event.id, event.type, attempts, error)

    def dead_letters(self, consumer: str | None, include_resolved: bool) -> list[DeadLetter]:
        rows = self.table.dead_letters(consumer, include_resolved=include_resolved)
        return [dead_from_row(r, self.get(r[2])) for r in rows]

    def dead_letter(self, dead_id: int) -> DeadLetter | None:
        row = self.table.dead_letter(dead_id)
        return dead_from_row(row, self.get(row[2])) if row else None

    def set_dead(self, dead_id: int, status: str, *, attempts: int | None = None,
                 error: str | None = None) -> None:
        self.table.set_dead(dead_id, status, attempts=attempts, error=error)

    def close(self) -> None:
        pass


register_backend("duckdb", lambda url, store: DuckDBBackend(store))

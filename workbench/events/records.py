"""The event log's records: events, dead letters and consumers (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """One entry of the log. ``id`` grows with every publish (1, 2, ...), in commit order."""

    id: int
    type: str
    payload: dict[str, Any] = field(hash=False)
    actor: str
    project: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``created_at`` as an ISO 8601 string with its offset)."""
        return {"id": self.id, "type": self.type, "payload": self.payload, "actor": self.actor,
                "project": self.project, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class DeadLetter:
    """An event a consumer's handler kept failing on, set aside after ``attempts`` failures.

    ``status`` is ``"dead"`` (waiting for someone), ``"retrying"`` (queued again by
    ``retry_dead_letter``: the consumer takes it on its next poll) or ``"resolved"`` (a retry
    succeeded). ``event`` is None when the event is no longer in the log (Redis trimming).
    """

    id: int
    consumer: str
    event_id: int
    event_type: str
    attempts: int
    error: str
    status: str
    created_at: datetime
    updated_at: datetime
    event: Event | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class ConsumerInfo:
    """A durable consumer: the id of the last event it acknowledged and what is waiting.

    ``pending`` counts events after ``position`` (of any type; the consumer skips those it did
    not subscribe to); ``owner`` names the subscriber holding it (DuckDB lease or Redis group
    member), None when idle; ``dead_letters`` counts its dead letters waiting for someone
    (those queued again by a retry are not).
    """

    name: str
    position: int
    pending: int
    owner: str | None
    dead_letters: int

"""The event log: validated events, durable consumers, dead letters (``wb.events``).

See :mod:`workbench.events.log` for the delivery guarantees, :mod:`workbench.events.types`
for the registered types and their schemas, and :mod:`workbench.events.backends` for the port
and its DuckDB backend (:mod:`workbench.events.redis` for Redis Streams).
"""

from __future__ import annotations

from .backends import Batch, EventBackend, open_backend, register_backend
from .errors import (ConsumerBusy, ConsumerNotFound, DeadLetterNotFound, DeadLetterResolved,
                     EventBackendError, EventError, InvalidEvent, UnknownEventType)
from .log import EventLog, Follower, Subscription
from .records import ConsumerInfo, DeadLetter, Event
from .types import known, register_type, validate

__all__ = ["Batch", "ConsumerBusy", "ConsumerInfo", "ConsumerNotFound", "DeadLetter",
           "DeadLetterNotFound", "DeadLetterResolved", "Event", "EventBackend", "EventBackendError", "EventError",
           "EventLog", "Follower", "InvalidEvent", "Subscription", "UnknownEventType", "known",
           "open_backend", "open_event_log", "register_backend", "register_type", "validate"]


def _redis(url: str, store) -> EventBackend:
    """Redis Streams, imported when a configuration asks for it (the ``redis`` extra)."""
    from .redis import RedisBackend

    return RedisBackend(url)


for _scheme in ("redis", "rediss", "unix"):
    register_backend(_scheme, _redis)


def open_event_log(config, store) -> EventLog:
    """The event log a :class:`~workbench.config.Config` asks for, on ``store``'s database
    (DuckDB) or on the Redis server its ``events`` URL names."""
    return EventLog(open_backend(config.events, store), max_failures=config.events_max_failures,
                    poll_interval=config.events_poll_interval)

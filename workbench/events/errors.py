"""Errors of the event log (:mod:`workbench.events`).

They carry the offending ``type``, ``consumer`` or ``id`` as fields and pickle with them
(through :class:`~workbench.errors.WorkbenchError`).
"""

from __future__ import annotations

from ..errors import TransientError, WorkbenchError


class EventError(WorkbenchError):
    """Root of the errors of :mod:`workbench.events`."""


class UnknownEventType(EventError, LookupError):
    """An event type nobody registered; ``known`` lists the registered ones."""


class InvalidEvent(EventError, ValueError):
    """A payload its type's JSON schema refuses (or that is not JSON at all)."""


class ConsumerBusy(EventError):
    """The consumer is already subscribed in this event log; close that subscription first."""


class ConsumerNotFound(EventError, LookupError):
    """No durable consumer of that name; ``known`` lists the existing ones."""


class DeadLetterNotFound(EventError, LookupError):
    """No dead letter with that id."""


class DeadLetterResolved(EventError, ValueError):
    """The dead letter was handled by a retry already: there is nothing left to retry."""


class EventBackendError(EventError, TransientError):
    """The event backend (a Redis server) cannot be reached or refused a command."""

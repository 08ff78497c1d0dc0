"""Errors raised by the history service.

They are kept as plain classes with a ``message`` and an optional ``path`` so that they cross
process boundaries (job workers pickle exceptions) unchanged, and so that they can later be
re-parented onto the package-wide error root without touching callers.
"""

from __future__ import annotations


class HistoryError(Exception):
    """Mining or analysing a repository's history failed; ``message`` says why for a user."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.message} ({self.path})" if self.path else self.message

    def __reduce__(self):  # keep both fields across pickling
        return (type(self), (self.message, self.path))


class MiningCancelled(HistoryError):
    """The caller's cancel check asked mining to stop; batches already yielded are valid."""

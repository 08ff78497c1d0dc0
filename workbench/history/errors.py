"""Errors raised by the history service.

They sit under the package's :class:`~workbench.errors.WorkbenchError` root, carry an optional
``path`` and pickle with their fields, so they cross thread and process boundaries unchanged.
"""

from __future__ import annotations

from ..errors import WorkbenchError


class HistoryError(WorkbenchError):
    """Mining or analysing a repository's history failed; ``message`` says why for a user."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message, path=path)

    def __str__(self) -> str:
        return f"{self.message} ({self.path})" if self.path else self.message


class MiningCancelled(HistoryError):
    """The caller's cancel check asked mining to stop; batches already yielded are valid."""


class ShallowSource(HistoryError):
    """Deepening a shallow clone fetched nothing older: the source itself is shallow there;
    ``message`` names the source and says how to deepen it."""

"""Errors raised by the graph query service.

They carry the offending ``name`` and the ``candidates`` a caller can show, so that a face can
turn them into a helpful message without parsing text, and they pickle with their fields
(through :class:`~workbench.errors.WorkbenchError`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import WorkbenchError


class GraphQueryError(WorkbenchError):
    """Root of the errors of :mod:`workbench.graph`."""


class NodeNotFound(GraphQueryError, LookupError):
    """No node matches ``name``, neither exactly nor as a qualified-name suffix."""

    def __init__(self, name: str, candidates: Sequence[str] = ()) -> None:
        hint = f"; did you mean {', '.join(candidates)}?" if candidates else (
            "; give a qualified name (pkg.mod:Class.method), a unique suffix or a file path")
        super().__init__(f"no node matches {name!r}{hint}", name=name,
                         candidates=tuple(candidates))


class AmbiguousNode(GraphQueryError, LookupError):
    """Several nodes end with ``name``; ``candidates`` lists up to ten of them, sorted."""

    def __init__(self, name: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(f"{name!r} is ambiguous; candidates: {', '.join(candidates)}",
                         name=name, candidates=tuple(candidates))


class ContractError(GraphQueryError, ValueError):
    """A contract definition (in code or TOML) is malformed."""

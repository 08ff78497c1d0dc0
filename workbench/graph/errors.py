"""Errors raised by the graph query service.

They carry the offending ``name`` and the ``candidates`` a caller can show, so that an API
layer can turn them into a helpful message without parsing text. They keep every field in
``args`` so that they pickle cleanly across worker processes; they will later be re-parented
on the package's ``WorkbenchError`` root, hence the single local base class.
"""

from __future__ import annotations

from collections.abc import Sequence


class GraphQueryError(Exception):
    """Root of the errors of :mod:`workbench.graph`."""


class NodeNotFound(GraphQueryError, LookupError):
    """No node matches ``name``, neither exactly nor as a qualified-name suffix."""

    def __init__(self, name: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(name, tuple(candidates))
        self.name = name
        self.candidates: tuple[str, ...] = tuple(candidates)

    def __str__(self) -> str:
        return f"no node matches {self.name!r}"


class AmbiguousNode(GraphQueryError, LookupError):
    """Several nodes end with ``name``; ``candidates`` lists up to ten of them, sorted."""

    def __init__(self, name: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(name, tuple(candidates))
        self.name = name
        self.candidates: tuple[str, ...] = tuple(candidates)

    def __str__(self) -> str:
        shown = ", ".join(self.candidates)
        return f"{self.name!r} is ambiguous; candidates: {shown}"


class ContractError(GraphQueryError, ValueError):
    """A contract definition (in code or TOML) is malformed."""

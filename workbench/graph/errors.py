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


class NodeKindNotHandled(GraphQueryError, ValueError):
    """A query asked about a node its edge kinds never reach: an import path between two
    functions, the impact over imports of a method. ``node`` and ``kind`` name it,
    ``edge_kinds`` what the query follows, ``holder`` the nearest node holding it that the
    query handles (its module, when there is one) and ``instead`` the edge kinds that do join
    nodes of its kind. The message says all of it."""


class ContractError(GraphQueryError, ValueError):
    """A contract definition (in code or TOML) is malformed."""


class UnknownImportContext(GraphQueryError, ValueError):
    """An import context to exclude that is not one of ``known``."""

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        super().__init__(f"unknown import context {name!r}; use some of: {', '.join(known)}",
                         name=name, candidates=tuple(known))


class ContextsNotRecorded(GraphQueryError):
    """Import edges of the map say nothing of where their statements stand.

    Maps written before imports were classified (or graphs built by hand without the
    ``context``/``contexts`` edge data) cannot leave kinds of import out; ``count`` is the
    number of such edges.
    """

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count} import edge(s) of this map do not record where their imports stand "
            "(it was mapped by an older workbench): map the project again "
            "(`workbench map PROJECT`) before excluding import contexts", count=count)

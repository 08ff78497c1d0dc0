"""Errors of architecture contracts: configuration that cannot be read or names nothing.

Every one is a :class:`~workbench.graph.errors.ContractError` (so a ``ValueError`` too) and
carries its fields for a face to show: the offending ``name``, the closest existing names in
``candidates``, the contract it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..graph.errors import ContractError


class ContractConfigError(ContractError):
    """A configuration file or option is malformed: unknown type or option, wrong value."""


class NoSuchModule(ContractError, LookupError):
    """A module, layer or pattern of a contract matches no module of the map.

    ``candidates`` holds up to five existing names closest to ``name``.
    """

    def __init__(self, contract: str, name: str, candidates: Sequence[str] = (), *,
                 what: str = "module") -> None:
        hint = (f"; closest existing: {', '.join(candidates)}" if candidates
                else "; check the spelling and the root packages")
        super().__init__(f"contract {contract!r}: {what} {name!r} matches no module{hint}",
                         contract=contract, name=name, candidates=tuple(candidates))


class UnmatchedIgnore(ContractError, LookupError):
    """``ignore_imports`` entries that match no import of the map (when alerting is ``error``).

    Set ``unmatched_ignore_imports_alerting`` to ``warn`` or ``none`` to accept them.
    """

    def __init__(self, contract: str, expressions: Sequence[str],
                 candidates: Sequence[str] = ()) -> None:
        hint = f"; closest existing imports: {', '.join(candidates)}" if candidates else ""
        super().__init__(
            f"contract {contract!r}: ignore_imports entries match no import: "
            f"{', '.join(expressions)}{hint} (fix or remove them, or set "
            "unmatched_ignore_imports_alerting to warn)",
            contract=contract, expressions=tuple(expressions), candidates=tuple(candidates))

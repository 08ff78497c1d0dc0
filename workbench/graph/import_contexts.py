"""Import contexts as bit sets, so that queries can leave some kinds of import out.

Every ``imports``/``depends_on`` edge of a map records where its statements stand
(:class:`~workbench.domain.ImportContext`): ``attrs.contexts`` in the store, edge data
``context``/``contexts`` in the networkx graph. A query index keeps them as one ``uint8`` per
edge, bit ``i`` standing for ``IMPORT_CONTEXTS[i]`` (0 = nothing recorded). An import edge
stays in a query that excludes some contexts when at least one of its statements stands
elsewhere: ``import x`` at module level and again under ``if TYPE_CHECKING:`` is still a
runtime import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.domain import IMPORT_CONTEXTS, EdgeKind
from workbench.graph.errors import UnknownImportContext

#: Edge kinds that record import contexts.
IMPORT_EDGE_KINDS: tuple[str, ...] = (EdgeKind.IMPORTS.value, EdgeKind.DEPENDS_ON.value)
#: Bit of each context name.
BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(IMPORT_CONTEXTS)}


def exclusion_bits(contexts: Iterable[str] | str | None) -> int:
    """The bit set of the context names to leave out; ``0`` for none.

    Raises :class:`~workbench.graph.errors.UnknownImportContext` for a name that is not one of
    ``import_time``, ``conditional``, ``deferred``, ``type_checking``.
    """
    if not contexts:
        return 0
    if isinstance(contexts, str):
        contexts = (contexts,)
    bits = 0
    for name in contexts:
        bit = BITS.get(str(name))
        if bit is None:
            raise UnknownImportContext(str(name), IMPORT_CONTEXTS)
        bits |= bit
    return bits


def bits_of(value: Any) -> int:
    """The bit set of one edge's ``contexts`` (a list) or ``context`` (a name); 0 for none."""
    if isinstance(value, str):
        return BITS.get(value, 0)
    if not isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return 0  # None, NaN: nothing recorded
    bits = 0
    for name in value:
        bits |= BITS.get(name, 0)
    return bits


def names_of(bits: int) -> list[str]:
    """The context names in a bit set, strongest first."""
    return [name for name, bit in BITS.items() if bits & bit]


def bits_from_attrs(attrs: Iterable[str | None] | pa.Array | pa.ChunkedArray,
                    kinds: pa.Array | pa.ChunkedArray | None = None) -> np.ndarray:
    """Per edge, the bit set of its contexts, read from the JSON ``attrs`` text of the store.

    A substring test per context name over the column (Arrow compute), not a JSON parse per
    edge: the names occur as quoted strings in ``attrs`` only as context values. With
    ``kinds`` (the edges' kind column) only import edges are looked at, which on a large map
    is a small share of them.
    """
    column = attrs if isinstance(attrs, (pa.Array, pa.ChunkedArray)) else pa.array(
        list(attrs), type=pa.string())
    bits = np.zeros(len(column), dtype=np.uint8)
    rows = None
    if kinds is not None:
        chosen = pc.fill_null(pc.is_in(kinds, value_set=pa.array(IMPORT_EDGE_KINDS)), False)
        rows = np.flatnonzero(np.asarray(chosen.to_numpy(zero_copy_only=False), dtype=bool))
        column = pc.take(column, pa.array(rows))
    for name, bit in BITS.items():
        found = pc.fill_null(pc.match_substring(column, f'"{name}"'), False)
        hits = np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
        bits[hits if rows is None else rows[hits]] |= bit
    return bits

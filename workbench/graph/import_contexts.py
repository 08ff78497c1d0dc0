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

from workbench.domain import IMPORT_CONTEXTS
from workbench.graph.errors import UnknownImportContext

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


def bits_from_attrs(attrs: Iterable[str | None] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per edge, the bit set of its contexts, read from the JSON ``attrs`` text of the store.

    A substring test per context name over the whole column (Arrow compute), not a JSON parse
    per edge: the names occur as quoted strings in ``attrs`` only as context values.
    """
    column = attrs if isinstance(attrs, (pa.Array, pa.ChunkedArray)) else pa.array(
        list(attrs), type=pa.string())
    bits = np.zeros(len(column), dtype=np.uint8)
    for name, bit in BITS.items():
        found = pc.fill_null(pc.match_substring(column, f'"{name}"'), False)
        bits[np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)] |= bit
    return bits

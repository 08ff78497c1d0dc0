"""Membership and positions of many strings in a large set of strings, in Arrow's hash set.

pandas 3 keeps strings in Arrow arrays, and its ``isin`` on them builds one Arrow scalar per
candidate in Python first: about a microsecond each, so seconds for the paths of a large tree
or the shas of a long history. :func:`contains` hands both sides to ``pyarrow.compute.is_in``.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def contains(strings: Any, candidates: Iterable[Any]) -> np.ndarray:
    """``mask[i]`` is True when ``strings[i]`` is one of ``candidates``; a missing value
    (None, NaN, NA) is never contained.

    ``strings``: a pandas Series or Index, NumPy array, Arrow array or list of strings (or
    missing values); ``candidates``: any iterable of strings (a set, a Series, an Arrow
    array...). Returns a NumPy bool array of ``len(strings)``.
    """
    values = _strings(strings)
    wanted = _strings(candidates).cast(values.type)  # string or large_string, as pandas made it
    return pc.fill_null(pc.is_in(values, value_set=wanted), False).to_numpy(zero_copy_only=False)


def positions(strings: Any, candidates: Any) -> np.ndarray:
    """``at[i]`` is the position of ``strings[i]`` in ``candidates`` (its first occurrence), or
    -1 when it is not there or missing; a NumPy int64 array of ``len(strings)``.

    Arrow's ``index_in``: what ``pd.Series(range(n), index=candidates)`` and a ``map`` or a
    merge through it give, without a pandas index of the candidates (a million strings made
    into one, then probed, took over a second).
    """
    values = _strings(strings)
    found = pc.index_in(values, value_set=_strings(candidates).cast(values.type))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _strings(values: Any) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):  # Arrow as it is: pa.array() would go through
        values = values.combine_chunks()     # NumPy, a Python string per value
    if isinstance(values, pa.Array):
        array = values
    else:
        if not hasattr(values, "__len__") or isinstance(values, (set, frozenset, dict)):
            values = list(values)
        array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array
    return array.cast(pa.string())  # empty or all missing (null type); other types as text

"""Pause Python's cyclic garbage collector around bulk construction.

Building a map allocates millions of dicts and tuples. Every so often the collector runs a
full collection that walks *all* live container objects -- with a large map in memory that
is hundreds of milliseconds each time, several times per build, for objects that are not
garbage. Pausing it while a graph or an index is built roughly halves the build time. (Not
``gc.freeze()``: a networkx graph refers to itself once its views are used, so only the
collector frees it, and a frozen graph dropped from the cache would never be freed.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

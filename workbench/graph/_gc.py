"""Pause Python's cyclic garbage collector around bulk construction.

Building a map allocates millions of dicts and tuples. Every so often the collector runs a
full collection that walks *all* live container objects -- with a large map in memory that
is hundreds of milliseconds each time, several times per build, for objects that are not
garbage. Pausing it while a graph or an index is built roughly halves the build time.

A map's own steps go further (``freeze=True``): what the block allocated and kept is moved
out of the collector's sight (``gc.freeze()``) when it ends. Otherwise the first collections
after the pause walk all of it, once per generation (1.7 s of a re-map of a 100,000-file
repository). The map thaws it (:func:`thaw`) when it is done, so garbage among it is
collected again from then on. Graph and index caches do not freeze: a networkx graph refers
to itself once its views are used, so only the collector frees it, and a graph frozen for
the life of a cache would never be freed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Disable the cyclic collector for the block; restore its previous state afterwards.
    With ``freeze``, first move every tracked object out of the collector's generations
    until :func:`thaw` (objects are still freed by reference counting meanwhile)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def thaw() -> None:
    """Give what :func:`collector_paused` froze back to the collector (its oldest
    generation: walked at the next full collection, not now)."""
    gc.unfreeze()

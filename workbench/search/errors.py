"""Errors of code search (:mod:`workbench.search`).

::

    SearchError                 searching or indexing failed
     ├── IndexMissing           the snapshot has no search index yet (build it: ``wb.index``)
     ├── EmbedderUnavailable    the configured embedder cannot run here (missing extra, model
     │                          path, server); the message names the fix
     └── InvalidSearch          a query or filter that cannot be run (empty query, unknown kind,
          │                     language or node kind); ``argument`` names the one at fault
          └── PathMatchesNothing  a path glob that matches no file of the snapshot; the
                                message gives one that would

They carry their fields (``project``, ``snapshot_id``, ``embedder`` ...) and pickle with them
(through :class:`~workbench.errors.WorkbenchError`), so an index job can hand them back.
"""

from __future__ import annotations

from ..errors import WorkbenchError


class SearchError(WorkbenchError):
    """Root of the errors of :mod:`workbench.search`."""


class IndexMissing(SearchError):
    """A snapshot has no search index for the embedder asked for; ``wb.index(project)`` builds it."""


class EmbedderUnavailable(SearchError):
    """The embedder cannot run: an optional package, a local model or a server is missing."""


class InvalidSearch(SearchError, ValueError):
    """A query or filter that cannot be run; the message names the allowed values."""


class PathMatchesNothing(InvalidSearch):
    """A ``path`` glob that matches no file of the snapshot searched (``path``, ``project``,
    ``snapshot_id``); the message says how globs are read and gives one that matches."""

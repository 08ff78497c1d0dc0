"""The commits of a snapshot's history, as the analysis's later steps ask for them.

After the metrics, a map needs a history's commits three more times: how many there are, the
authors of the few commits blame names (the owners of current lines), and the name each
author used last. A whole analysis has every commit in memory already (:class:`LoadedCommits`).
An update (:mod:`.incremental`) does not read them: on a million commits, loading them and
applying ``.mailmap`` took over a second of a re-map. :class:`StoredCommits` reads from the
store only the commits asked for, and each identity's latest ones
(:meth:`~workbench.store.history.HistoryTable.identities`), which is all the names need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from ..membership import contains, positions
from ..store.history import ANALYSIS_COMMIT_COLUMNS, LATEST_OF_IDENTITIES
from .mailmap import Mailmap
from .metrics import _connect, commit_table

if TYPE_CHECKING:  # pragma: no cover
    from ..store.history import HistoryTable


class HistoryCommits(Protocol):
    """The commits of one snapshot's history, ``.mailmap`` applied."""

    def __len__(self) -> int:
        """How many commits the history has."""

    def of(self, shas: Any) -> pa.Table:
        """The history's commits among ``shas`` (any sequence or Arrow array of shas), as
        :func:`~.metrics.commit_table` gives them; the others are not in the history."""

    def identities(self) -> pa.Table:
        """Commits (:func:`~.metrics.commit_table`) from which every author's name and last
        activity come out as from all of them: each identity's latest, at least."""


def latest_of_identities(commits: pa.Table) -> pa.Table:
    """The rows of ``commits`` (:data:`~workbench.store.history.ANALYSIS_COMMIT_COLUMNS`,
    identities as written) that are each identity's latest
    (:data:`~workbench.store.history.LATEST_OF_IDENTITIES`), with those columns only: what an
    analysis record keeps for the author names (:class:`~.incremental.AnalysisRecord`).
    The latest of a history and a few more commits are the latest of the history's latest
    and those commits."""
    commits = commits.select(list(ANALYSIS_COMMIT_COLUMNS))
    with _connect(commits=commits) as con:
        latest = con.execute(LATEST_OF_IDENTITIES.format(commits="commits")).to_arrow_table()
    return commits.filter(pa.array(contains(commits.column("sha"), latest.column("sha"))))


class LoadedCommits:
    """:class:`HistoryCommits` over a table of every commit (a whole analysis's)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = commit_table(table)

    def __len__(self) -> int:
        return self.table.num_rows

    def of(self, shas: Any) -> pa.Table:
        # the history's shas probed in a hash table of the few asked for
        wanted = positions(self.table.column("sha"), pa.array(list(shas), pa.string())
                           if not isinstance(shas, (pa.Array, pa.ChunkedArray)) else shas)
        return self.table.filter(pa.array(wanted >= 0))

    def identities(self) -> pa.Table:
        return self.table


class StoredCommits:
    """:class:`HistoryCommits` read from the store as needed: a project's stored commits but
    those of ``outside`` (another branch's), with ``mailmap`` (the snapshot's text) applied.
    ``count`` and ``latest`` are :meth:`~workbench.store.history.HistoryTable.identities`'
    first and last results."""

    def __init__(self, history: "HistoryTable", project_id: int, mailmap: str,
                 outside: pa.Array, count: int, latest: pa.Table) -> None:
        self._history = history
        self._project_id = project_id
        self._mailmap = Mailmap(mailmap)
        self._outside = outside
        self._count = count
        self._latest = self._form(latest)
        # the commits read so far: an update asks for the same ones more than once
        self._known = commit_table(None)

    def __len__(self) -> int:
        return self._count

    def of(self, shas: Any) -> pa.Table:
        if not isinstance(shas, (pa.Array, pa.ChunkedArray)):
            shas = pa.array(list(shas), pa.string())
        missing = shas.filter(pa.array(~contains(shas, self._known.column("sha"))))
        if len(missing):
            self._known = pa.concat_tables([self._known, self._form(
                self._history.commit_rows(self._project_id, missing, self._outside))])
        return self._known.filter(pa.array(contains(self._known.column("sha"), shas)))

    def identities(self) -> pa.Table:
        return self._latest

    def _form(self, rows: pa.Table) -> pa.Table:
        return commit_table(self._mailmap.apply_arrow(rows))

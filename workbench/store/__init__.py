"""The store: one DuckDB file, its schema, and typed reads and writes.

Services talk to the store through :class:`Store` and its table gateways
(``store.projects``, ``store.snapshots``, ``store.jobs``, ``store.facts``, ``store.history``,
``store.conversations``, ``store.events``, ``store.links``, ...); nothing outside this package writes SQL
against the workbench tables.
"""

from __future__ import annotations

from pathlib import Path

from .conversations import ConversationsTable
from .database import Database, load_extension
from .events import EventsTable
from .facts import FactsTable
from .health import HealthTable
from .history import HistoryTable
from .jobs import JobsTable
from .links import LinksTable
from .migrations import LATEST_VERSION, migrate
from .projects import ProjectsTable
from .runs import RunsTable
from .schedules import SchedulesTable
from .snapshots import SnapshotsTable

__all__ = ["Store", "Database", "load_extension", "LATEST_VERSION"]


class Store:
    """The workbench's database, upgraded to the newest schema when first opened."""

    def __init__(self, path: Path | str, *, lock_timeout: float = 30.0,
                 idle_release: float = 0.1, origin: str | None = None) -> None:
        """``origin``: how the user named the data directory, said first by the errors about
        it (:attr:`Database.origin`)."""
        self.db = Database(path, lock_timeout=lock_timeout, idle_release=idle_release,
                           on_open=self._on_open, on_fold=HealthTable.note_checkpoint,
                           origin=origin)
        self.projects = ProjectsTable(self.db)
        self.snapshots = SnapshotsTable(self.db)
        self.jobs = JobsTable(self.db)
        self.facts = FactsTable(self.db)
        self.history = HistoryTable(self.db)
        self.links = LinksTable(self.db)
        self.runs = RunsTable(self.db)
        self.schedules = SchedulesTable(self.db)
        self.health = HealthTable(self.db)
        self.conversations = ConversationsTable(self.db)
        self.events = EventsTable(self.db)
        self._search = None
        self._ideas = None

    @property
    def search(self):
        """Chunks, vectors and search indexes (:class:`~.search.SearchTable`; it needs Arrow,
        so it is loaded on first use)."""
        if self._search is None:
            from .search import SearchTable

            self._search = SearchTable(self.db)
        return self._search

    @property
    def ideas(self):
        """Ideas, specs, tasks and reviews (:class:`~.ideas.IdeasTable`; loaded on first use,
        with the pipeline's records)."""
        if self._ideas is None:
            from .ideas import IdeasTable

            self._ideas = IdeasTable(self.db)
        return self._ideas

    def _on_open(self, con) -> None:
        migrate(con, str(self.db.path))
        for kind, message in self.db.take_notices():
            con.execute("INSERT INTO store_notices (kind, message) VALUES (?, ?)", [kind, message])

    @property
    def path(self) -> Path:
        return self.db.path

    def schema_version(self) -> int:
        return self.db.read(
            lambda cur: cur.execute("SELECT max(version) FROM schema_version").fetchone()[0]
        )

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

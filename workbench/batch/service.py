"""The batch handle of the facade: ``wb.batch`` runs notebooks and keeps their schedules."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..store import Store
from .records import CatchUp, RunInfo, ScheduleInfo
from .runs import BatchRuns
from .schedules import Schedules


class BatchService:
    """Headless notebook runs (papermill) and cron schedules over one data directory.

    >>> run = wb.batch.run("notebooks/system_map_report.ipynb", {"project": "flask"})  # doctest: +SKIP
    >>> run.status, run.output_html                                   # doctest: +SKIP
    >>> wb.batch.add_schedule("flask-nightly", "system_map_report", "0 3 * * *",
    ...                       {"project": "flask"})                   # doctest: +SKIP
    >>> wb.batch.run_due()                                            # doctest: +SKIP

    A failing notebook does not raise: its run is recorded as failed with the cell and error
    (``run.raise_for_status()`` turns that into :class:`~workbench.errors.RunFailed`). Bad
    parameters, a missing notebook or a bad cron expression raise before anything runs.
    """

    def __init__(self, store: Store, data_dir: str | Path, *, timeout: float | None = 1800) -> None:
        self._runs = BatchRuns(store, Path(data_dir), timeout=timeout)
        self._schedules = Schedules(store, self._runs)

    def __repr__(self) -> str:
        return f"<BatchService {self._runs.data_dir}>"

    # -- runs ------------------------------------------------------------------------------------

    def run(self, notebook: str | Path, parameters: Mapping[str, Any] | None = None, *,
            output_dir: str | Path | None = None) -> RunInfo:
        """Execute ``notebook`` (a path, or a name in ``notebooks/``) with ``parameters`` now.

        Outputs go to ``data/runs/<notebook stem>/`` unless ``output_dir`` is given. A
        parameters cell that declares ``data_dir`` gets this workbench's data directory unless
        ``parameters`` sets it.
        """
        return self._runs.run_notebook(notebook, parameters, output_dir=output_dir)

    def runs(self, limit: int = 20, *, schedule: str | None = None) -> list[RunInfo]:
        """The newest runs first (of one schedule when ``schedule`` names it)."""
        schedule_id = self._schedules.get(schedule).id if schedule is not None else None
        return self._runs.list(limit, schedule_id=schedule_id)

    def get_run(self, run_id: int) -> RunInfo:
        return self._runs.get(run_id)

    # -- schedules -------------------------------------------------------------------------------

    def add_schedule(self, name: str, notebook: str | Path, cron: str,
                     parameters: Mapping[str, Any] | None = None,
                     catch_up: str | CatchUp = "latest", *, now: datetime | None = None
                     ) -> ScheduleInfo:
        """Run ``notebook`` with ``parameters`` at every occurrence of ``cron`` (UTC).

        ``catch_up`` says what happens to occurrences missed while no scheduler ran:
        ``"latest"`` runs once, ``"skip"`` runs none, ``"all"`` runs each (at most 10). The
        first run is the first occurrence after ``now`` (default: the current time).
        """
        return self._schedules.add(name, notebook, cron, parameters, catch_up, now=now)

    def schedules(self) -> list[ScheduleInfo]:
        return self._schedules.list()

    def schedule(self, name: str) -> ScheduleInfo:
        return self._schedules.get(name)

    def remove_schedule(self, name: str) -> None:
        """Delete a schedule; its past runs stay in the ``runs`` table."""
        self._schedules.remove(name)

    def next_due(self) -> datetime | None:
        """When the next enabled schedule is due (UTC), or ``None`` without schedules."""
        return self._schedules.next_due()

    def run_due(self, now: datetime | None = None) -> list[RunInfo]:
        """Run every schedule due at ``now`` (default: the current time) once; safe to call
        from several processes at once, each due occurrence runs exactly once."""
        return self._schedules.run_due(now)

    def run_forever(self, poll_seconds: float = 30.0,
                    stop_event: threading.Event | None = None) -> None:
        """The scheduler loop: run due schedules until ``stop_event`` is set or SIGTERM/SIGINT."""
        self._schedules.run_forever(poll_seconds, stop_event)

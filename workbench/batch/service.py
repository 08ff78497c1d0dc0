"""The batch handle of the facade: ``wb.batch`` runs notebooks and keeps their schedules."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BatchError, ReportError
from ..store import Store
from .records import CatchUp, RunInfo, ScheduleInfo
from .report import notebooks_dir
from .runs import BatchRuns, raise_for_runs, resolve_notebook
from .schedules import Schedules

if TYPE_CHECKING:  # pragma: no cover
    from ..jobs import JobHandle, JobRunner, ProgressCallback


class BatchService:
    """Headless notebook runs (papermill) and cron schedules over one data directory.

    >>> run = wb.batch.run("notebooks/system_map_report.ipynb", {"project": "flask"})  # doctest: +SKIP
    >>> run.status, run.output_html                                   # doctest: +SKIP
    >>> wb.batch.add_schedule("flask-nightly", "system_map_report", "0 3 * * *",
    ...                       {"project": "flask"})                   # doctest: +SKIP
    >>> wb.batch.run_due()                                            # doctest: +SKIP

    A failing notebook does not raise: its run is recorded as failed with the cell and error
    (``run.raise_for_status()`` turns that into :class:`~workbench.errors.RunFailed`). Bad
    parameters, a parameter the notebook does not declare
    (:class:`~workbench.errors.UnknownParameter`), a missing notebook or a bad cron expression
    raise before anything runs or is recorded.

    :meth:`start` and :meth:`start_due` do the same in the background, as jobs of the
    workbench's job runner (``batch`` and ``batch_due``), so a notebook kernel stays free.
    """

    def __init__(self, store: Store, data_dir: str | Path, *, timeout: float | None = 1800,
                 jobs: "JobRunner | None" = None, runs_dir: str | Path | None = None,
                 heartbeat_interval: float = 5.0) -> None:
        self._store = store
        self._jobs = jobs
        self._runs = BatchRuns(store, Path(data_dir), timeout=timeout,
                               runs_dir=Path(runs_dir) if runs_dir is not None else None,
                               heartbeat_interval=heartbeat_interval)
        self._schedules = Schedules(store, self._runs)

    def __repr__(self) -> str:
        return f"<BatchService {self._runs.data_dir}>"

    # -- runs ------------------------------------------------------------------------------------

    def run(self, notebook: str | Path, parameters: Mapping[str, Any] | None = None, *,
            output_dir: str | Path | None = None, origin: str = "user") -> RunInfo:
        """Execute ``notebook`` (a path, or a name in ``notebooks/``) with ``parameters`` now.

        Outputs go to ``data/runs/<notebook stem>/`` (``Config.runs_dir``) unless
        ``output_dir`` is given: a relative one lies under the runs directory and may not
        leave it; an absolute one is used only when ``origin`` is ``"user"`` (a person), else
        it must lie under the runs directory too (:class:`~workbench.errors.OutputOutsideRuns`).
        A parameters cell that declares ``data_dir`` gets this workbench's data directory
        unless ``parameters`` sets it.
        """
        return self._runs.run_notebook(notebook, parameters, output_dir=output_dir, origin=origin)

    def start(self, notebook: str | Path, parameters: Mapping[str, Any] | None = None, *,
              output_dir: str | Path | None = None, origin: str = "user",
              progress: "ProgressCallback | None" = None) -> "JobHandle":
        """Like :meth:`run`, in the background: the notebook and parameters are checked and the
        run recorded (``queued``) before this returns a handle of the ``batch`` job that executes
        it. The job's params and result hold the ``run_id``; a failed notebook fails the job
        with :class:`~workbench.errors.RunFailed`."""
        nb, params = self._runs.prepare(notebook, parameters)
        out_dir = self._runs.output_dir(nb, output_dir, origin=origin)
        run_id = self._store.runs.create(str(nb), params)

        def work(job):
            job.report(0, 1, f"running {nb.name} (run #{run_id})")
            run = self._runs.execute(run_id, nb, params, output_dir=out_dir)
            run.raise_for_status()
            return {"run_id": run.id, "status": run.status}

        return self._submit("batch", work, {"run_id": run_id, "notebook": str(nb)}, progress)

    def start_due(self, now: datetime | None = None, *,
                  progress: "ProgressCallback | None" = None) -> "JobHandle":
        """Like :meth:`run_due`, in the background: a ``batch_due`` job whose result lists the
        ``run_ids`` it executed; it fails naming the runs that failed."""

        def work(job):
            job.report(0, None, "running due schedules")
            runs = self.run_due(now)
            raise_for_runs(runs)
            return {"run_ids": [r.id for r in runs]}

        return self._submit("batch_due", work, {}, progress)

    def _submit(self, kind: str, work, params: dict[str, Any],
                progress: "ProgressCallback | None") -> "JobHandle":
        if self._jobs is None:
            raise BatchError("background runs need a job runner: use Workbench(...).batch")
        return self._jobs.submit(kind, work, params=params, on_progress=progress, wait=False,
                                 max_attempts=1)

    def notebooks(self) -> dict[str, Path]:
        """The notebooks in the project's ``notebooks/`` directory and below: their paths by
        name relative to it (``quickstart.ipynb``, ``reports/portfolio_report.ipynb``)."""
        try:
            shelf = notebooks_dir()
        except ReportError:
            return {}
        found = sorted(p for p in shelf.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        return {p.relative_to(shelf).as_posix(): p for p in found}

    def parameters_of(self, notebook: str | Path) -> dict[str, str]:
        """The parameters a notebook's ``parameters`` cell declares: name -> default (source)."""
        import papermill as pm

        path = resolve_notebook(notebook)
        try:
            declared = pm.inspect_notebook(str(path))
        except Exception as exc:  # noqa: BLE001 - an unreadable notebook is a user error
            raise BatchError(f"cannot read the parameters of {path.name}: {exc}",
                             notebook=str(path)) from None
        return {name: spec.get("default", "") for name, spec in declared.items()}

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

"""Job monitor: a live progress bar per background job, failures with their error and a retry."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as widgets

from ..domain import FINISHED_STATUSES, JobInfo
from ..jobs import Progress
from .base import Panel, Throttle, esc, table_html


class JobRow(widgets.HBox):
    """One job: label, progress bar, message, status; on failure its error and, for a map job
    (``kind``), a retry button."""

    def __init__(self, job_id: int, label: str, project: str | None, kind: str = "map") -> None:
        self.job_id = job_id
        self.project = project
        self.kind = kind
        self.label = widgets.Label(label, layout=widgets.Layout(width="16em"))
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                         layout=widgets.Layout(width="14em"))
        self.percent = widgets.Label("0%", layout=widgets.Layout(width="4em"))
        self.message = widgets.Label("", layout=widgets.Layout(width="18em"))
        self.status = widgets.Label("queued", layout=widgets.Layout(width="6em"))
        self.retry_button = widgets.Button(description="retry", icon="refresh",
                                           layout=widgets.Layout(width="6em", display="none"))
        self.error = widgets.HTML("")
        super().__init__([self.label, self.bar, self.percent, self.status, self.message,
                          self.retry_button, self.error])
        self.add_class("wb-job")

    @property
    def value(self) -> float:
        return self.bar.value

    def update(self, done: int, total: int | None, message: str | None, status: str,
               error: str | None = None) -> None:
        if status == "succeeded":
            fraction = 1.0
        elif total:
            fraction = min(1.0, done / total)
        else:
            fraction = self.bar.value
        self.bar.value = fraction
        self.percent.value = f"{round(fraction * 100)}%"
        self.bar.bar_style = {"succeeded": "success", "failed": "danger"}.get(status, "info")
        self.status.value = status
        self.message.value = "done" if status == "succeeded" else (message or "")[:80]
        failed = status == "failed"
        retry = failed and self.project and self.kind == "map"
        self.retry_button.layout.display = "" if retry else "none"
        self.error.value = (f'<pre style="color:#b00020;white-space:pre-wrap;margin:0">'
                            f'{esc((error or "")[:600])}</pre>') if failed else ""

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job_id, "job_label": self.label.value, "status": self.status.value,
                "progress": f"{round(self.bar.value * 100)}%", "message": self.message.value}


class JobMonitor(Panel):
    """Live progress of the jobs a session starts, plus the recent jobs of the workbench.

    >>> monitor = JobMonitor(wb)            # doctest: +SKIP
    >>> monitor.session.start_map("shop")   # its row fills from the job's thread
    >>> monitor.rows[job_id].bar.value      # 0.0 .. 1.0

    ``retry(job_id)`` maps the failed job's project again.
    """

    title = "Jobs"

    def __init__(self, target=None, *, project: str | None = None, limit: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.limit = limit
        self.rows: dict[int, JobRow] = {}
        self._lock = threading.Lock()
        self._throttle = Throttle(0.1)
        self._names: dict[int, str] = {}
        self.header = widgets.HTML("<b>Jobs</b>")
        self.refresh_button = widgets.Button(description="refresh", icon="refresh",
                                             layout=widgets.Layout(width="8em"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.box = widgets.VBox([])
        self.children = [widgets.HBox([self.header, self.refresh_button]), self.box]
        self.session.on_job(self._on_progress)
        self.refresh()

    # -- live updates from job threads ----------------------------------------------------------

    def _on_progress(self, p: Progress, project: str) -> None:
        final = p.status in FINISHED_STATUSES or p.status == "queued"  # never throttled away
        if not self._throttle(p.job_id, final):
            return
        kind = self.session.job_kind(p.job_id) or "map"
        row = self._row(p.job_id, f"#{p.job_id} {kind} {project}", project, kind)
        error = None
        if p.status == "failed":
            error = self.wb.job(p.job_id).error
        row.update(p.done, p.total, p.message, p.status, error)

    def _row(self, job_id: int, label: str, project: str | None, kind: str) -> JobRow:
        with self._lock:
            row = self.rows.get(job_id)
            if row is None:
                row = JobRow(job_id, label, project, kind)
                row.retry_button.on_click(lambda _, j=job_id: self.retry(j))
                self.rows[job_id] = row
                self.box.children = [self.rows[k] for k in sorted(self.rows, reverse=True)]
            return row

    # -- reading the store ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Rows for the recent jobs in the store (jobs started elsewhere included)."""
        names = {p.id: p.name for p in self.wb.projects()}
        for info in reversed(self.wb.recent_jobs(self.limit)):
            project = names.get(info.project_id) if info.project_id is not None else None
            row = self._row(info.id, f"#{info.id} {info.type} {project or ''}".strip(), project,
                            info.type)
            if info.id in self.session.handles and not self.session.handles[info.id].done() \
                    and info.status == "running":
                continue  # live updates own this row
            row.update(info.progress_done, info.progress_total, info.message, info.status,
                       info.error)

    def retry(self, job_id: int):
        """Map the project of job ``job_id`` again in the background; returns the new handle."""
        row = self.rows.get(job_id)
        project = row.project if row else None
        if project is None:
            info: JobInfo = self.wb.job(job_id)
            names = {p.id: p.name for p in self.wb.projects()}
            project = names.get(info.project_id)
        if project is None:
            raise ValueError(f"job {job_id} has no project to map again")
        return self.session.start_map(project)

    def to_html(self) -> str:
        import pandas as pd

        frame = pd.DataFrame([r.as_dict() for _, r in sorted(self.rows.items(), reverse=True)])
        return "<h4>Jobs</h4>" + table_html(frame, empty="no jobs yet")

"""Batch panel: recent notebook runs with their outputs, a form to run a notebook in the
background, and the cron schedules (add, remove, run what is due)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..batch.records import CatchUp, RunInfo, ScheduleInfo
from ..domain import FINISHED_STATUSES
from ..batch.declared import declared_parameters
from ..batch.runs import parse_parameters, resolve_notebook
from ..errors import WorkbenchError
from .base import Panel, error_html, esc, table_html

_KINDS = ("batch", "batch_due")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def file_link(path: Path | None, text: str) -> str:
    """A link to an output file, like IPython's ``FileLink``: relative to the kernel's working
    directory when the file is below it (JupyterLab opens it), else its full path to copy."""
    if path is None:
        return ""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive
        rel = ".."
    if rel.startswith(".."):
        return f'{esc(text)} <code>{esc(path)}</code>'
    href = esc(Path(rel).as_posix())
    return f'<a href="{href}" target="_blank" title="{esc(path)}">{esc(text)}</a>'


def runs_frame(runs: list[RunInfo], schedules: dict[int, str] | None = None) -> pd.DataFrame:
    """Runs as a table: notebook, parameters, status, timing, failing cell and error, outputs
    (``outputs`` holds HTML links)."""
    names = schedules or {}
    return pd.DataFrame(
        [(r.id, Path(r.notebook).name, json.dumps(r.parameters), r.status,
          names.get(r.schedule_id, r.schedule_id) if r.schedule_id else "",
          _when(r.started_at or r.created_at), r.duration_seconds,
          (f"cell {r.error_cell}: {r.error}" if r.error_cell else r.error) or "",
          "<br>".join(filter(None, [file_link(r.output_html, "html"),
                                    file_link(r.output_ipynb, "ipynb")])))
         for r in runs],
        columns=["run", "notebook", "parameters", "status", "schedule", "started (UTC)", "seconds",
                 "error", "outputs"])


def schedules_frame(schedules: list[ScheduleInfo]) -> pd.DataFrame:
    return pd.DataFrame(
        [(s.name, s.cron, s.catch_up, _when(s.next_due), s.last_run_id or "",
          Path(s.notebook).name, json.dumps(s.parameters), "yes" if s.enabled else "no")
         for s in schedules],
        columns=["schedule", "cron", "catch-up", "next due (UTC)", "last run", "notebook",
                 "parameters", "enabled"])


class ParameterRow(widgets.HBox):
    """One notebook parameter: its name and a value read as JSON (else taken as a string);
    an empty value keeps the notebook's default, shown greyed."""

    def __init__(self, name: str = "", default: str = "") -> None:
        self.name = widgets.Text(name, placeholder="name", layout=widgets.Layout(width="12em"))
        self.value = widgets.Text("", placeholder=default or "value (JSON or text)",
                                  layout=widgets.Layout(width="24em"))
        self.remove_button = widgets.Button(icon="trash", tooltip="remove this parameter",
                                            layout=widgets.Layout(width="3em"))
        super().__init__([self.name, self.value, self.remove_button])


class BatchPanel(Panel):
    """Notebook runs and their schedules.

    >>> panel = BatchPanel(wb)                                    # doctest: +SKIP
    >>> panel.run("system_map_report", {"project": "flask"})      # a background job
    >>> panel.add_schedule("nightly", "0 3 * * *")     # with the form's notebook and parameters
    >>> panel.run_due(); panel.remove_schedule("nightly")

    Runs execute as jobs of the session, so a :class:`JobMonitor` on it shows them; the list
    refreshes when they end. Errors (a bad parameter, cron expression or notebook) appear as a
    message in the panel.
    """

    title = "Batch"

    def __init__(self, target=None, *, project: str | None = None, limit: int = 20,
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.runs: list[RunInfo] = []
        self.schedules: list[ScheduleInfo] = []
        self.shelf: dict[str, Path] = {}  # notebooks/ by relative name, filled by refresh
        self.parameter_rows: list[ParameterRow] = []
        self.limit = widgets.BoundedIntText(limit, min=1, max=1000, description="runs",
                                            style={"description_width": "initial"},
                                            layout=widgets.Layout(width="9em"))
        self.refresh_button = widgets.Button(description="refresh", icon="refresh",
                                             layout=widgets.Layout(width="8em"))
        self.notebook = widgets.Combobox(placeholder="a notebook in notebooks/ or a path",
                                         description="notebook", ensure_option=False,
                                         layout=widgets.Layout(width="34em"))
        self.parameters = widgets.VBox([])
        self.add_parameter_button = widgets.Button(description="parameter", icon="plus",
                                                   layout=widgets.Layout(width="9em"))
        self.run_button = widgets.Button(description="run now", icon="play", button_style="primary",
                                         layout=widgets.Layout(width="8em"))
        self.schedule_name = widgets.Text(placeholder="name", description="schedule",
                                          layout=widgets.Layout(width="16em"))
        self.cron = widgets.Text(placeholder="0 3 * * * (UTC), @daily", description="cron",
                                 layout=widgets.Layout(width="20em"))
        self.catch_up = widgets.Dropdown(options=[c.value for c in CatchUp], value="latest",
                                         description="catch-up",
                                         layout=widgets.Layout(width="12em"))
        self.add_schedule_button = widgets.Button(description="add schedule",
                                                  icon="calendar-plus-o",
                                                  layout=widgets.Layout(width="10em"))
        self.schedule_choice = widgets.Dropdown(options=[], description="schedule",
                                                layout=widgets.Layout(width="16em"))
        self.remove_button = widgets.Button(description="remove", icon="trash",
                                            layout=widgets.Layout(width="7em"))
        self.run_due_button = widgets.Button(description="run due now", icon="clock-o",
                                             layout=widgets.Layout(width="10em"))
        self.message = widgets.HTML("")
        self.runs_output = widgets.HTML("")
        self.schedules_output = widgets.HTML("")
        self.refresh_button.on_click(lambda _: self._guard(self.refresh))
        self.limit.observe(lambda _: self._guard(self.refresh), "value")
        self.notebook.observe(self._on_notebook, "value")
        self.add_parameter_button.on_click(lambda _: self.add_parameter())
        self.run_button.on_click(lambda _: self._guard(self.run))
        self.add_schedule_button.on_click(lambda _: self._guard(self.add_schedule))
        self.remove_button.on_click(lambda _: self._guard(self.remove_schedule))
        self.run_due_button.on_click(lambda _: self._guard(self.run_due))
        self.children = [
            widgets.HBox([widgets.HTML("<b>Recent runs</b>"), self.limit, self.refresh_button]),
            self.runs_output,
            widgets.HTML("<b>Run a notebook</b> (values are JSON, else text; empty: the "
                         "notebook's default)"),
            self.notebook, self.parameters,
            widgets.HBox([self.add_parameter_button, self.run_button]),
            widgets.HBox([self.schedule_name, self.cron, self.catch_up, self.add_schedule_button]),
            self.message,
            widgets.HTML("<b>Schedules</b>"), self.schedules_output,
            widgets.HBox([self.schedule_choice, self.remove_button, self.run_due_button]),
        ]
        self.session.on_job(self._on_job)
        self._guard(self.refresh)

    # -- the form ---------------------------------------------------------------------------------

    def add_parameter(self, name: str = "", value: str = "", default: str = "") -> ParameterRow:
        row = ParameterRow(name, default)
        row.value.value = value
        row.remove_button.on_click(lambda _: self._remove_parameter(row))
        self.parameter_rows.append(row)
        self.parameters.children = list(self.parameter_rows)
        return row

    def _remove_parameter(self, row: ParameterRow) -> None:
        self.parameter_rows = [r for r in self.parameter_rows if r is not row]
        self.parameters.children = list(self.parameter_rows)

    def _on_notebook(self, change) -> None:
        """A notebook was chosen: a row per parameter it declares, its default greyed."""
        try:
            declared = self.wb.batch.parameters_of(self._notebook_path(change["new"]))
        except (WorkbenchError, ValueError):
            return  # a path being typed
        values = {r.name.value: r.value.value for r in self.parameter_rows}
        self.parameter_rows = []
        for name, default in declared.items():
            self.add_parameter(name, values.pop(name, ""), default)
        for name, value in values.items():  # the user's own rows stay
            if name or value:
                self.add_parameter(name, value)
        self.parameters.children = list(self.parameter_rows)

    def _notebook_path(self, value: str | None = None) -> str:
        text = (self.notebook.value if value is None else value).strip()
        if not text:
            raise ValueError("choose a notebook")
        return text  # a path, or a name under notebooks/ (resolved by the batch service)

    def form_parameters(self) -> dict[str, Any]:
        """The parameter rows with a value, read as the CLI reads ``-p NAME VALUE`` (typed by
        the chosen notebook's declared parameters when it can be found)."""
        try:
            declared = declared_parameters(resolve_notebook(self._notebook_path()))
        except (WorkbenchError, ValueError):
            declared = {}
        return parse_parameters(((r.name.value.strip(), r.value.value)
                                 for r in self.parameter_rows if r.value.value.strip()), declared)

    # -- verbs (the buttons call these) -----------------------------------------------------------

    def run(self, notebook: str | Path | None = None, parameters: dict[str, Any] | None = None):
        """Run ``notebook`` with ``parameters`` (default: the form) in the background; returns
        the job handle. Bad input raises before anything runs."""
        path = str(notebook) if notebook is not None else self._notebook_path()
        params = self.form_parameters() if parameters is None else parameters
        handle = self.session.track("batch", Path(path).name, lambda progress: self.wb.batch.start(
            path, params, progress=progress))
        run_id = handle.info().params.get("run_id")
        self.message.value = (f"run #{run_id} of <b>{esc(Path(path).name)}</b> started "
                              f"(job {handle.id})")
        self._guard(self.refresh)
        return handle

    def add_schedule(self, name: str | None = None, cron: str | None = None,
                     catch_up: str | None = None, *, notebook: str | Path | None = None,
                     parameters: dict[str, Any] | None = None) -> ScheduleInfo:
        """Add a schedule running ``notebook`` (default: the form's, with its parameters)."""
        self.fill(schedule_name=name, cron=cron, catch_up=catch_up)
        path = str(notebook) if notebook is not None else self._notebook_path()
        params = self.form_parameters() if parameters is None else parameters
        schedule = self.wb.batch.add_schedule(self.schedule_name.value.strip(), path,
                                              self.cron.value, params, self.catch_up.value)
        self.message.value = (f"added schedule <b>{esc(schedule.name)}</b>; next run "
                              f"{esc(_when(schedule.next_due))} UTC")
        self.refresh()
        return schedule

    def remove_schedule(self, name: str | None = None) -> None:
        name = name or self.schedule_choice.value
        if not name:
            raise ValueError("choose a schedule to remove")
        self.wb.batch.remove_schedule(name)
        self.message.value = f"removed schedule <b>{esc(name)}</b>"
        self.refresh()

    def run_due(self):
        """Run every due schedule once, in the background; returns the job handle."""
        handle = self.session.track("batch_due", "due schedules", lambda progress:
                                    self.wb.batch.start_due(progress=progress))
        self.message.value = f"running due schedules (job {handle.id})"
        return handle

    # -- view ---------------------------------------------------------------------------------------

    def _on_job(self, p, label: str) -> None:
        kind = self.session.job_kind(p.job_id)
        if kind not in _KINDS or p.status not in FINISHED_STATUSES:
            return
        info = self.wb.job(p.job_id)
        if p.status != "succeeded":
            self.message.value = error_html(WorkbenchError(info.error or f"{label}: {p.status}"))
        elif kind == "batch":
            run = self.wb.batch.get_run(info.result["run_id"])
            self.message.value = (f"run #{run.id} of <b>{esc(label)}</b> {esc(run.status)} in "
                                  f"{run.duration_seconds or 0:.1f} s")
        else:
            ran = info.result.get("run_ids", [])
            self.message.value = (f"ran {len(ran)} due schedule runs: "
                                  + ", ".join(f"#{r}" for r in ran) if ran else "nothing was due")
        self._guard(self.refresh)

    def refresh(self) -> None:
        """Re-read the runs, the schedules and the notebooks in ``notebooks/``."""
        self.shelf = self.wb.batch.notebooks()
        self.notebook.options = list(self.shelf)
        self.runs = self.wb.batch.runs(self.limit.value)
        self.schedules = self.wb.batch.schedules()
        keep = self.schedule_choice.value
        names = [s.name for s in self.schedules]
        self.schedule_choice.options = names
        self.schedule_choice.value = keep if keep in names else (names[0] if names else None)
        self.runs_output.value = self._runs_html()
        self.schedules_output.value = self._schedules_html()

    def _runs_html(self) -> str:
        names = {s.id: s.name for s in self.schedules}
        return table_html(runs_frame(self.runs, names), max_rows=self.limit.value, raw=("outputs",),
                          empty="no runs yet: run a notebook below")

    def _schedules_html(self) -> str:
        due = self.wb.batch.next_due()
        head = f"<p>next due: {esc(_when(due))} UTC</p>" if due is not None else ""
        return head + table_html(schedules_frame(self.schedules), empty="no schedules")

    def to_html(self) -> str:
        message = f"<p>{self.message.value}</p>" if self.message.value else ""
        return (f"<h4>Batch runs</h4>{message}<h5>recent runs ({len(self.runs)})</h5>"
                + self._runs_html()
                + f"<h5>schedules ({len(self.schedules)})</h5>" + self._schedules_html())

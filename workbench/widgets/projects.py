"""Project panel: register a repository by URL or path, list projects, map and re-map them."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..domain import FINISHED_STATUSES, Project
from ..snapshot import map_origin
from .base import Panel, esc, table_html


class ProjectRow(widgets.HBox):
    """One project: name, status, last commit and mapping time, and its buttons."""

    def __init__(self, project: Project) -> None:
        self.project = project
        mapped = project.last_snapshot_id is not None
        cell = lambda text, width: widgets.Label(text, layout=widgets.Layout(width=width))  # noqa: E731
        self.name = cell(project.name, "12em")
        self.status = cell(project.status, "7em")
        self.commit = cell((project.last_commit or "")[:12], "9em")
        self.mapped_at = cell(project.last_mapped_at.strftime("%Y-%m-%d %H:%M")
                              if project.last_mapped_at else "never", "10em")
        self.map_button = widgets.Button(description="re-map" if mapped else "map",
                                         icon="refresh" if mapped else "play",
                                         layout=widgets.Layout(width="7em"))
        self.open_button = widgets.Button(description="open", icon="eye", disabled=not mapped,
                                          layout=widgets.Layout(width="6em"))
        super().__init__([self.name, self.status, self.commit, self.mapped_at,
                          self.map_button, self.open_button])


class ProjectPanel(Panel):
    """Add repositories, see their status and last snapshot, and map them in the background.

    >>> panel = ProjectPanel(wb)                 # doctest: +SKIP
    >>> panel.source.value = "https://github.com/pallets/flask"
    >>> panel.add_map_button.click()             # registers and starts a map job
    >>> panel.rows["flask"].map_button.click()   # re-map later (fetches, maps the new head)

    Jobs go through the session, so a :class:`JobMonitor` on the same session shows them.
    """

    title = "Projects"

    def __init__(self, target=None, *, project: str | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.rows: dict[str, ProjectRow] = {}
        self.source = widgets.Text(placeholder="https://… , git@host:owner/repo.git or a local path",
                                   description="repository", layout=widgets.Layout(width="34em"))
        self.name = widgets.Text(placeholder="(from the URL)", description="name",
                                 layout=widgets.Layout(width="18em"))
        self.add_button = widgets.Button(description="add", icon="plus",
                                         layout=widgets.Layout(width="6em"))
        self.add_map_button = widgets.Button(description="add and map", icon="play",
                                             button_style="primary",
                                             layout=widgets.Layout(width="10em"))
        self.force = widgets.Checkbox(False, description="rebuild maps (force)", indent=False,
                                      layout=widgets.Layout(width="14em"))
        self.message = widgets.HTML("")
        self.table = widgets.VBox([])
        self.add_button.on_click(lambda _: self._guard(lambda: self.add(self.source.value,
                                                                          self.name.value or None)))
        self.add_map_button.on_click(lambda _: self._guard(lambda: self.add(
            self.source.value, self.name.value or None, map=True)))
        self.children = [widgets.HBox([self.source, self.name]),
                         widgets.HBox([self.add_button, self.add_map_button, self.force]),
                         self.message, self.table]
        self.session.on_job(self._on_job)
        self.refresh()

    # -- verbs (the buttons call these) -----------------------------------------------------------

    def add(self, source: str, name: str | None = None, *, map: bool = False) -> Project:
        """Register ``source`` (URL or path); with ``map=True`` start mapping it too."""
        source = (source or "").strip()
        if not source:
            raise ValueError("give a repository URL or path")
        project = self.wb.add_project(name, source)
        self.message.value = f"added <b>{esc(project.name)}</b>"
        self.source.value = ""
        self.name.value = ""
        self.refresh()
        if map:
            self.map(project.name)
        return project

    def map(self, name: str, *, force: bool | None = None):
        """Map (or re-map) project ``name`` in the background; returns the job handle."""
        handle = self.session.start_map(name, force=self.force.value if force is None else force)
        self.message.value = f"mapping <b>{esc(name)}</b> (job {handle.id})"
        return handle

    def view(self, name: str) -> None:
        """Show project ``name`` in the panels of this session (map, queries, history)."""
        self.session.open(name)
        self.message.value = f"showing <b>{esc(name)}</b>"

    def remove(self, name: str) -> None:
        self.wb.remove_project(name)
        self.refresh()

    # -- view ---------------------------------------------------------------------------------------

    def _on_job(self, p, project: str) -> None:
        if self.session.job_kind(p.job_id) not in ("map", "map_history"):
            return
        if p.status in FINISHED_STATUSES:
            self.refresh()
            verb = "mapped" if p.status == "succeeded" else "failed to map"
            origin = map_origin(self.wb.job(p.job_id).result or {}) if p.status == "succeeded" else None
            self.message.value = (f"{verb} <b>{esc(project)}</b> (job {p.job_id})"
                                  + (f": {esc(origin)}" if origin else ""))

    def refresh(self) -> None:
        rows = {}
        for project in self.wb.projects():
            row = ProjectRow(project)
            row.map_button.on_click(lambda _, n=project.name: self._guard(lambda: self.map(n)))
            row.open_button.on_click(lambda _, n=project.name: self._guard(lambda: self.view(n)))
            rows[project.name] = row
        self.rows = rows
        header = widgets.HTML("<b>project · status · last commit · mapped</b>") if rows else \
            widgets.HTML("<i>no projects yet: add a repository above</i>")
        self.table.children = [header, *rows.values()]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(p.name, p.status, p.source, (p.last_commit or "")[:12], p.last_snapshot_id,
              p.last_mapped_at) for p in self.wb.projects()],
            columns=["project", "status", "source", "commit", "snapshot", "mapped_at"])

    def to_html(self) -> str:
        return "<h4>Projects</h4>" + table_html(self.frame(), empty="no projects yet")

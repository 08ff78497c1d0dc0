"""Ideas board: ideas, specs and tasks as tables, and the tasks as a board by status."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from .base import Panel, error_html, esc, table_html

#: Columns of the board, left to right (task statuses).
COLUMNS = ("todo", "in_progress", "in_review", "done")
#: The picker's entry for no idea shown.
NO_IDEA = "(choose an idea)"


class IdeasBoard(Panel):
    """The project's ideas with their specs and plans; a form captures a new idea and runs the
    agents on it (``wb.ideas.add(..., run=True)``).

    >>> board = IdeasBoard(wb, project="shop")           # doctest: +SKIP
    >>> board.add("Partial refunds", "Refund part of an order.")   # spec and tasks appear
    >>> board.show_idea(1)                                # its spec, code areas and tasks
    >>> board.picker.value = 1                            # the same, as picking it in the list

    ``picker`` lists the project's ideas (re-listed by ``refresh``); choosing one shows it.
    ``ideas``, ``specs``, ``tasks`` and ``reviews`` hold the tables shown.
    """

    title = "Ideas"

    def __init__(self, target=None, *, project: str | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.ideas = pd.DataFrame()
        self.specs = pd.DataFrame()
        self.tasks = pd.DataFrame()
        self.reviews = pd.DataFrame()
        self._listing = False  # set while the picker is re-listed or set by show_idea
        self.idea_title = widgets.Text(placeholder="idea: what should change", description="idea",
                                       layout=widgets.Layout(width="40em"))
        self.idea_text = widgets.Textarea(placeholder="why, and what done looks like",
                                          layout=widgets.Layout(width="48em", height="5em"))
        self.add_button = widgets.Button(description="add and plan", icon="lightbulb-o",
                                         button_style="primary", layout=widgets.Layout(width="10em"))
        self.refresh_button = widgets.Button(description="refresh", icon="refresh",
                                             layout=widgets.Layout(width="8em"))
        self.message = widgets.HTML("")
        self.picker = widgets.Dropdown(options=[(NO_IDEA, None)], value=None,
                                       description="show idea",
                                       layout=widgets.Layout(width="40em"))
        self.board = widgets.HTML("")
        self.detail = widgets.HTML("")
        self.tables = widgets.HTML("")
        self.add_button.on_click(lambda _: self._guard(lambda: self.add()))
        self.refresh_button.on_click(lambda _: self._guard(self.refresh))
        self.picker.observe(lambda change: self._guard(lambda: self._picked(change["new"])),
                            "value")
        self.children = [widgets.HBox([self.idea_title, self.add_button, self.refresh_button]),
                         self.idea_text, self.message, self.board, self.picker, self.detail,
                         self.tables]
        self.session.observe(lambda _: self._guard(self.refresh), "project")
        self.refresh()

    def add(self, title: str | None = None, text: str | None = None, *, run: bool = True):
        """Capture an idea for the session's project and (by default) write its spec and plan."""
        self.fill(idea_title=title, idea_text=text)
        if self.session.project is None:
            raise ValueError("open a project first")
        idea = self.wb.ideas.add(self.session.project, self.idea_title.value,
                                 self.idea_text.value, source="notebook", run=run)
        self.message.value = (error_html(idea.error) if idea.status == "failed" else
                              f"idea #{idea.id} {esc(idea.status)}")
        self.idea_title.value = self.idea_text.value = ""
        self.refresh()
        self.show_idea(idea.id)
        return idea

    def refresh(self) -> None:
        project = self.session.project
        self.ideas = self.wb.ideas.list(project)
        self.specs = self.wb.ideas.specs(project)
        self.tasks = self.wb.ideas.tasks(project)
        self.reviews = self.wb.ideas.reviews(project)
        self.board.value = self._board_html()
        self.tables.value = self._tables_html()
        chosen = self.picker.value
        options = [(NO_IDEA, None)] + [(f"#{i.id} {i.title[:60]} ({i.status})", int(i.id))
                                       for i in self.ideas.itertuples()]
        self._set_picker(chosen, options)
        if self.picker.value is None:
            self.detail.value = ""
        else:
            self.detail.value = self._idea_html(self.picker.value)

    def show_idea(self, idea_id: int) -> None:
        """Show one idea (chosen in ``picker`` too): its spec (problem, goals, requirements,
        acceptance, code areas) and its tasks."""
        idea_id = int(idea_id)
        self.detail.value = self._idea_html(idea_id)
        self._set_picker(idea_id)

    def _set_picker(self, idea_id: int | None, options: list | None = None) -> None:
        """List ``options`` (when given) and show ``idea_id`` as chosen (None where it is not
        listed), without that counting as a choice."""
        self._listing = True
        try:
            if options is not None:
                self.picker.options = options
            listed = {v for _, v in self.picker.options}
            self.picker.value = idea_id if idea_id in listed else None
        finally:
            self._listing = False

    def _picked(self, idea_id: int | None) -> None:
        if self._listing:
            return
        if idea_id is None:
            self.detail.value = ""
        else:
            self.show_idea(idea_id)

    def _idea_html(self, idea_id: int) -> str:
        tasks = self.wb.ideas.tasks(idea_id=idea_id)
        tasks = tasks[["id", "title", "status", "estimate_hours", "depends_on", "touched",
                       "impact"]] if not tasks.empty else tasks
        return (self._spec_html(idea_id) + f"<h5>Tasks of idea #{idea_id}</h5>"
                + table_html(tasks, empty="no tasks yet"))

    def _board_html(self) -> str:
        cells = []
        for status in COLUMNS:
            rows = self.tasks[self.tasks["status"] == status] if not self.tasks.empty else self.tasks
            cards = "".join(
                f'<div style="border:1px solid #ccc;border-radius:4px;padding:4px;margin:4px 0">'
                f'<b>#{t.id}</b> {esc(t.title)}<br><small>{t.estimate_hours or 0:.1f} h'
                f'{" · after " + ", ".join(f"#{d}" for d in t.depends_on) if t.depends_on else ""}'
                f' · impact {t.impact} file(s)</small></div>' for t in rows.itertuples())
            cells.append(f'<td style="vertical-align:top;min-width:12em;padding:4px">'
                         f'<b>{esc(status.replace("_", " "))}</b> ({len(rows)}){cards}</td>')
        return f'<table class="wb-board"><tr>{"".join(cells)}</tr></table>'

    def _spec_html(self, idea_id: int) -> str:
        spec = self.wb.ideas.spec(idea_id)
        if spec is None:
            return f"<p><i>idea #{idea_id} has no spec yet</i></p>"

        def items(values) -> str:
            return "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"

        areas = pd.DataFrame([(a.node, a.kind, a.path, a.line_start, a.found_by, a.impact_count,
                               ", ".join(a.impact[:5])) for a in spec.code_areas],
                             columns=["node", "kind", "path", "line", "found by", "impact",
                                      "dependents"])
        return (f"<h5>Spec #{spec.id} of idea #{idea_id}</h5><p>{esc(spec.problem)}</p>"
                f"<b>Goals</b>{items(spec.goals)}<b>Requirements</b>{items(spec.requirements)}"
                f"<b>Acceptance criteria</b>{items(spec.acceptance)}<b>Code areas</b>"
                + table_html(areas, empty="no code area found"))

    def _tables_html(self) -> str:
        ideas = self.ideas.drop(columns=["created_at"], errors="ignore")
        tasks = self.tasks.drop(columns=["project"], errors="ignore")
        specs = self.specs.drop(columns=["project", "created_at"], errors="ignore")
        return ("<h5>Ideas</h5>" + table_html(ideas, empty="no ideas yet")
                + "<h5>Specs</h5>" + table_html(specs, empty="no specs yet")
                + "<h5>Tasks</h5>" + table_html(tasks, empty="no tasks yet")
                + "<h5>Reviews</h5>" + table_html(self.reviews, empty="no reviews yet"))

    def to_html(self) -> str:
        return (f"<h4>{esc(self.title)}</h4>{self.board.value}{self.detail.value}"
                f"{self.tables.value}")

"""History panel: hotspots, churn, co-change (coupling) and ownership of the snapshot's files.

Views show the snapshot's files; the "deleted files" box adds files its history deleted.
Ownership shows both the owner by lines added over the file's history and the owner of the
lines there now (``git blame``). A shallow snapshot says where its history is truncated.
"""

from __future__ import annotations

from typing import Any, Callable

import ipywidgets as widgets
import pandas as pd

from ..errors import WorkbenchError
from ..repos.shallow import truncation_note
from .base import Panel, error_html, esc, snapshot_caption, table_html

def _churn(snap, deleted: bool = False) -> pd.DataFrame:
    m = snap.metrics(deleted=deleted)
    cols = ["path", "present", "churn_total", "commits_total", "churn_90d", "commits_90d", "churn_30d",
            "last_changed"]
    return m[cols].sort_values(["churn_total", "path"], ascending=[False, True], ignore_index=True) \
        if not m.empty else pd.DataFrame(columns=cols)


def _ownership(snap, deleted: bool = False) -> pd.DataFrame:
    m = snap.metrics(deleted=deleted)
    cols = ["path", "present", "main_author_name", "main_author", "ownership",
            "current_owner_name", "current_owner", "current_ownership", "current_lines_unknown",
            "authors", "code_age_days", "knowledge_loss"]
    return m[cols].sort_values(["knowledge_loss", "ownership", "path"], ascending=[False, False, True],
                               ignore_index=True) if not m.empty else pd.DataFrame(columns=cols)


#: The views the panel offers: name -> function(snapshot, n, deleted) -> DataFrame, where
#: ``deleted`` asks for files deleted before the snapshot too. Add to extend.
VIEWS: dict[str, Callable[[Any, int, bool], pd.DataFrame]] = {
    "hotspots": lambda snap, n, deleted=False: snap.hotspots(n, deleted=deleted),
    "churn": lambda snap, n, deleted=False: _churn(snap, deleted).head(n),
    "co-change": lambda snap, n, deleted=False: snap.co_changes().head(n),
    "hidden coupling": lambda snap, n, deleted=False: snap.hidden_coupling().head(n),
    "ownership": lambda snap, n, deleted=False: _ownership(snap, deleted).head(n),
}


def _truncation_html(snap) -> str:
    """A warning line when the snapshot's history is truncated (shallow clone), else ""."""
    if not snap.history_truncated_at:
        return ""
    return (f"<p style='color:#8a5a00'>{esc(truncation_note(snap.history_truncated_at))}: "
            "authors, first seen, ages and counts cover only the commits after it; "
            f"<code>workbench map {esc(snap.info.project)} --deepen N</code> fetches more</p>")


def _pending_html(pending: int) -> str:
    if not pending:
        return ""
    files = f"{pending:,} file{' is' if pending == 1 else 's are'}"
    return (f"<p style='color:#8a5a00'>{files} not blamed yet: their current-owner columns are "
            "empty until <i>blame the rest</i> (or <code>workbench blame</code>) has run</p>")


class HistoryPanel(Panel):
    """What git history says about the files: where change concentrates and who knows the code.

    >>> panel = HistoryPanel(wb, project="flask")   # doctest: +SKIP
    >>> panel.show("co-change")                      # a DataFrame, also shown as a table
    """

    title = "History"

    def __init__(self, target=None, *, project: str | None = None, n: int = 25, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.result: pd.DataFrame | None = None
        self.choice = widgets.ToggleButtons(options=list(VIEWS), value="hotspots")
        self.n = widgets.BoundedIntText(n, min=1, max=10_000, description="rows",
                                        layout=widgets.Layout(width="10em"))
        self.deleted = widgets.Checkbox(False, description="deleted files", indent=False)
        self.output = widgets.HTML("")
        self.blame_button = widgets.Button(description="blame the rest", icon="user",
                                           tooltip="blame the files no map blamed yet "
                                                   "(`workbench blame`), in the background",
                                           layout=widgets.Layout(display="none"))
        self.blame_button.on_click(lambda _: self.blame_rest())
        self.choice.observe(lambda _: self._chosen(), "value")
        self.n.observe(lambda _: self.refresh(), "value")
        self.deleted.observe(lambda _: self.refresh(), "value")
        self.children = [self.caption(), widgets.HBox([self.choice, self.n, self.deleted,
                                                       self.blame_button]), self.output]
        self.session.observe(lambda _: self.refresh(), ["snapshot_id", "refreshed"])
        self.refresh()

    def show(self, view: str) -> pd.DataFrame:
        if view not in VIEWS:
            raise ValueError(f"unknown history view {view!r}; choose one of {', '.join(VIEWS)}")
        if self.choice.value != view:
            self.choice.value = view  # refreshes and marks through the observer
        else:
            self._chosen()
        return self.result

    def blame_rest(self):
        """Start blaming the files the shown snapshot's maps left unblamed; the ownership
        view fills in when the job is done. Returns the job's handle."""
        self.blame_button.disabled = True
        return self.session.start_blame(self.session.project)

    def _chosen(self) -> None:
        """Show the chosen view and mark its files on a map of the same session."""
        self.refresh()
        if self.result is not None and "path" in self.result:
            self.session.highlight = [p for p in self.result["path"].head(10) if isinstance(p, str)]

    def refresh(self) -> None:
        snap = self.session.snapshot()
        if snap is None:
            self.result = None
            self.output.value = "<i>no map yet: map a project first</i>"
            return
        try:
            self.result = VIEWS[self.choice.value](snap, self.n.value, self.deleted.value)
        except WorkbenchError as exc:
            self.output.value = error_html(exc)
            return
        pending = int(snap.stats.get("blame_pending", 0))
        self.blame_button.layout.display = "" if pending else "none"
        self.blame_button.disabled = False
        self.output.value = _truncation_html(snap) + _pending_html(pending) + table_html(
            self.result, max_rows=self.n.value, empty="nothing in the history")

    def to_html(self) -> str:
        snap = self.session.snapshot()
        note = _truncation_html(snap) if snap is not None else ""
        return (f"<h4>History · {esc(self.choice.value)}</h4>{snapshot_caption(self.session)}{note}" +
                (table_html(self.result, max_rows=self.n.value) if self.result is not None
                 else "<p><i>no map yet</i></p>"))

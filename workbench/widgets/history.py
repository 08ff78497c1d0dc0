"""History panel: hotspots, churn, co-change (coupling) and ownership of the snapshot's files."""

from __future__ import annotations

from typing import Any, Callable

import ipywidgets as widgets
import pandas as pd

from ..errors import WorkbenchError
from .base import Panel, error_html, esc, snapshot_caption, table_html

def _churn(snap) -> pd.DataFrame:
    m = snap.file_metrics
    cols = ["path", "churn_total", "commits_total", "churn_90d", "commits_90d", "churn_30d",
            "last_changed"]
    return m[cols].sort_values(["churn_total", "path"], ascending=[False, True], ignore_index=True) \
        if not m.empty else pd.DataFrame(columns=cols)


def _ownership(snap) -> pd.DataFrame:
    m = snap.file_metrics
    cols = ["path", "main_author_name", "main_author", "ownership", "authors", "code_age_days",
            "knowledge_loss"]
    return m[cols].sort_values(["knowledge_loss", "ownership", "path"], ascending=[False, False, True],
                               ignore_index=True) if not m.empty else pd.DataFrame(columns=cols)


#: The views the panel offers: name -> function(snapshot, n) -> DataFrame. Add to extend.
VIEWS: dict[str, Callable[[Any, int], pd.DataFrame]] = {
    "hotspots": lambda snap, n: snap.hotspots(n),
    "churn": lambda snap, n: _churn(snap).head(n),
    "co-change": lambda snap, n: snap.co_changes().head(n),
    "hidden coupling": lambda snap, n: snap.hidden_coupling().head(n),
    "ownership": lambda snap, n: _ownership(snap).head(n),
}


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
        self.output = widgets.HTML("")
        self.choice.observe(lambda _: self._chosen(), "value")
        self.n.observe(lambda _: self.refresh(), "value")
        self.children = [self.caption(), widgets.HBox([self.choice, self.n]), self.output]
        self.session.observe(lambda _: self.refresh(), "snapshot_id")
        self.refresh()

    def show(self, view: str) -> pd.DataFrame:
        if view not in VIEWS:
            raise ValueError(f"unknown history view {view!r}; choose one of {', '.join(VIEWS)}")
        if self.choice.value != view:
            self.choice.value = view  # refreshes and marks through the observer
        else:
            self._chosen()
        return self.result

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
            self.result = VIEWS[self.choice.value](snap, self.n.value)
        except WorkbenchError as exc:
            self.output.value = error_html(exc)
            return
        self.output.value = table_html(self.result, max_rows=self.n.value, empty="nothing in the history")

    def to_html(self) -> str:
        return (f"<h4>History · {esc(self.choice.value)}</h4>{snapshot_caption(self.session)}" +
                (table_html(self.result, max_rows=self.n.value) if self.result is not None
                 else "<p><i>no map yet</i></p>"))

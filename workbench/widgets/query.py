"""Query panel: related, impact, paths and cycles for a node, as tables, marked on the map."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..errors import WorkbenchError
from .base import PAGE_ROWS, Pager, Panel, error_html, esc, snapshot_caption, table_html

QUERIES = ("related", "impact", "paths", "cycles")


class QueryPanel(Panel):
    """Ask the snapshot about one node; the answer's nodes are highlighted on a :class:`MapView`
    of the same session (``session.highlight``).

    >>> panel = QueryPanel(wb, project="flask")     # doctest: +SKIP
    >>> panel.run("impact", "flask.json")           # a DataFrame, also shown as a table
    >>> panel.run("paths", "flask.app", target="flask.json")

    A click on the map fills the node field.
    """

    title = "Queries"

    def __init__(self, target=None, *, project: str | None = None, max_rows: int = PAGE_ROWS,
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.max_rows = max_rows
        self.result: pd.DataFrame | None = None
        self.query = widgets.ToggleButtons(options=QUERIES, value="related")
        self.node = widgets.Text(placeholder="node: qualified name, unique suffix or file path",
                                 description="node", layout=widgets.Layout(width="30em"))
        self.target = widgets.Text(placeholder="target (paths)", description="to",
                                   layout=widgets.Layout(width="22em"))
        self.depth = widgets.BoundedIntText(1, min=1, max=6, description="depth",
                                            layout=widgets.Layout(width="9em"))
        self.direction = widgets.Dropdown(options=["both", "out", "in"], value="both",
                                          description="direction", layout=widgets.Layout(width="14em"))
        self.skip_type_checking = widgets.Checkbox(
            value=False, description="leave out type-checking imports", indent=False,
            tooltip="impact, paths and cycles without imports under `if TYPE_CHECKING:`",
            layout=widgets.Layout(width="19em"))
        self.skip_deferred = widgets.Checkbox(
            value=False, description="leave out deferred imports", indent=False,
            tooltip="impact, paths and cycles without imports made inside functions",
            layout=widgets.Layout(width="16em"))
        self.run_button = widgets.Button(description="run", icon="search", button_style="primary",
                                         layout=widgets.Layout(width="7em"))
        self.message = widgets.HTML("")
        self.output = widgets.HTML("")
        self.pager = Pager(self.output, rows=max_rows, empty="no results")
        self.run_button.on_click(lambda _: self._run_from_form())
        self.children = [self.caption(), self.query, widgets.HBox([self.node, self.target]),
                         widgets.HBox([self.depth, self.direction, self.run_button]),
                         widgets.HBox([self.skip_type_checking, self.skip_deferred]),
                         self.message, self.output, self.pager]
        self.session.observe(self._on_select, "selected")

    def _on_select(self, change) -> None:
        if change["new"]:
            self.node.value = change["new"]

    def _run_from_form(self) -> None:
        try:
            self.run()
        except (WorkbenchError, ValueError, KeyError) as exc:
            self.message.value = error_html(exc)

    def run(self, query: str | None = None, node: str | None = None, *,
            target: str | None = None, depth: int | None = None,
            direction: str | None = None,
            exclude_contexts: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Run ``query`` (default: the form's) and show, highlight and return its table.

        ``exclude_contexts`` (``type_checking`` and/or ``deferred``) ticks the boxes that
        leave those imports out of impact, paths and cycles.
        """
        self.fill(query=query, node=node, target=target, depth=depth, direction=direction)
        if exclude_contexts is not None:
            self.skip_type_checking.value = "type_checking" in exclude_contexts
            self.skip_deferred.value = "deferred" in exclude_contexts
        excluded = tuple(name for name, box in (("type_checking", self.skip_type_checking),
                                                ("deferred", self.skip_deferred)) if box.value)
        snap = self.session.snapshot()
        if snap is None:
            raise WorkbenchError("no map yet: map a project first")
        q, name = self.query.value, self.node.value.strip()
        if q != "cycles" and not name:
            raise ValueError("give a node")
        if q == "related":
            frame = snap.related(name, depth=self.depth.value, direction=self.direction.value)
            marked = [snap.resolve(name), *frame["node"].tolist()]
        elif q == "impact":
            frame = snap.impact(name, exclude_contexts=excluded)
            marked = [snap.resolve(name), *frame["node"].tolist()]
        elif q == "paths":
            if not self.target.value.strip():
                raise ValueError("give a target node for paths")
            found = snap.paths(name, self.target.value.strip(), exclude_contexts=excluded)
            frame = pd.DataFrame({"length": [len(p) - 1 for p in found], "path": found})
            marked = [n for p in found for n in p]
        else:
            frame = snap.cycles(exclude_contexts=excluded)
            if name:
                resolved = snap.resolve(name)
                frame = frame[frame["members"].map(lambda m: resolved in list(m))]
            marked = [n for m in frame.get("members", []) for n in m]
        self.result = frame.reset_index(drop=True)
        without = (f" (without {esc(' and '.join(excluded))} imports)"
                   if excluded and q != "related" else "")
        self.message.value = f"{esc(q)} of <b>{esc(name or 'the map')}</b>{without}: {len(frame)} rows"
        self.pager.show(self.result)  # long answers are paged, not a very tall panel
        self.session.highlight = list(dict.fromkeys(marked))
        return self.result

    def to_html(self) -> str:
        if self.result is None:
            return "<h4>Queries</h4><p><i>no query run</i></p>"
        return (f"<h4>Queries</h4>{snapshot_caption(self.session)}<p>{self.message.value}</p>"
                + table_html(self.result, max_rows=self.max_rows))

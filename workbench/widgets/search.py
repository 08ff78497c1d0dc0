"""Search panel: a search box over the project's code, docs, config and commits; a hit opens
its source and marks its node on the map."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..errors import WorkbenchError
from .base import Panel, error_html, esc, table_html

KINDS = ("code", "docs", "config", "commits")
SHOWN = ["rank", "kind", "path", "line_start", "node", "title", "score"]


def _location(hit: pd.Series) -> str:
    if hit["kind"] == "commits":
        return f"commit {str(hit['commit'])[:12]}"
    line = hit["line_start"]
    return f"{hit['path']}:{int(line) if pd.notna(line) else 1}"


class SearchPanel(Panel):
    """``wb.search`` with a form. Picking a hit (or :meth:`open_hit`) shows its lines (``wb.source``
    for a node, the chunk's text otherwise), selects its node and highlights the hits' nodes on
    a :class:`MapView` of the same session (``session.selected`` / ``session.highlight``).

    >>> panel = SearchPanel(wb, project="flask")           # doctest: +SKIP
    >>> panel.run("where are sessions signed", k=5)        # the hits as a DataFrame
    >>> panel.open_hit(1)                                  # the best hit's source
    """

    title = "Search"

    def __init__(self, target=None, *, project: str | None = None, k: int = 10,
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.result: pd.DataFrame | None = None
        self.opened: pd.Series | None = None
        self.query = widgets.Text(placeholder="an identifier, words or a question",
                                  description="search", layout=widgets.Layout(width="36em"))
        self.kinds = widgets.SelectMultiple(options=KINDS, value=KINDS, description="kinds",
                                            rows=4, layout=widgets.Layout(width="16em"))
        self.mode = widgets.Dropdown(options=["hybrid", "text", "vector"], value="hybrid",
                                     description="mode", layout=widgets.Layout(width="14em"))
        self.k = widgets.BoundedIntText(k, min=1, max=200, description="hits",
                                        layout=widgets.Layout(width="10em"))
        self.include_tests = widgets.Checkbox(False, description="tests and vendored code",
                                              indent=False)
        self.path = widgets.Text(placeholder="path glob, e.g. *.py, src/, **/tests/*", description="path",
                                 layout=widgets.Layout(width="22em"))
        self.run_button = widgets.Button(description="search", icon="search",
                                         button_style="primary", layout=widgets.Layout(width="8em"))
        self.message = widgets.HTML("")
        self.hits = widgets.Select(options=[], rows=10, layout=widgets.Layout(width="100%"))
        self.output = widgets.HTML("")
        self.source = widgets.HTML("")
        self.run_button.on_click(lambda _: self._guard(self.run))
        self.hits.observe(self._on_pick, "value")
        self.children = [widgets.HBox([self.query, self.run_button]),
                         widgets.HBox([self.kinds, widgets.VBox([self.mode, self.k, self.path,
                                                                 self.include_tests])]),
                         self.message, self.hits, self.source, self.output]

    def run(self, query: str | None = None, *, kinds: list[str] | None = None,
            mode: str | None = None, k: int | None = None, path: str | None = None,
            include_tests: bool | None = None) -> pd.DataFrame:
        """Search (arguments default to the form's), list the hits and highlight their nodes."""
        self.fill(query=query, mode=mode, k=k, path=path, include_tests=include_tests)
        if kinds is not None:
            self.kinds.value = tuple(kinds)
        if self.session.project is None:
            raise WorkbenchError("no project open: open one in the Projects tab first")
        text = self.query.value.strip()
        frame = self.wb.search(text, self.session.project, k=self.k.value,
                               snapshot_id=self.session.snapshot_id,
                               kinds=list(self.kinds.value) or None, mode=self.mode.value,
                               path=self.path.value.strip() or None,
                               include_tests=self.include_tests.value)
        self.result = frame
        self.message.value = f"<b>{len(frame)}</b> hits for <code>{esc(text)}</code>"
        self.output.value = table_html(frame[SHOWN] if not frame.empty else frame,
                                       empty="no hits")
        self.hits.unobserve(self._on_pick, "value")
        self.hits.options = [(f"{_location(h)}  {h['title'] if isinstance(h['title'], str) else ''}"
                              [:120], int(h["rank"])) for _, h in frame.iterrows()]
        self.hits.value = None
        self.hits.observe(self._on_pick, "value")
        self.session.highlight = list(dict.fromkeys(
            n for n in frame["node"].tolist() if isinstance(n, str)))
        return frame

    def _on_pick(self, change) -> None:
        if change["new"] is not None:
            self._guard(lambda: self.open_hit(change["new"]))

    def open_hit(self, rank: int) -> list[tuple[int | None, str]]:
        """Show hit ``rank``'s lines and select its node; returns ``[(line number, text)]``.

        A commit hit is no file: its subject and the paths it touched are shown under its sha,
        without line numbers (None in what is returned)."""
        if self.result is None or self.result.empty:
            raise ValueError("search first")
        rows = self.result[self.result["rank"] == rank]
        if rows.empty:
            raise ValueError(f"no hit ranked {rank}")
        hit = rows.iloc[0]
        self.opened = hit
        node = hit["node"] if isinstance(hit["node"], str) else None
        lines: list[tuple[int, str]] = []
        if node is not None and hit["kind"] == "code":
            lines = self.wb.source(self.session.project, node,
                                   snapshot_id=self.session.snapshot_id)
            start, end = hit["line_start"], hit["line_end"]
            if pd.notna(start) and pd.notna(end):
                lines = [(n, t) for n, t in lines if int(start) <= n <= int(end)] or lines
        if hit["kind"] == "commits":
            lines = [(None, t) for t in str(hit["text"]).splitlines()]
        elif not lines:
            first = int(hit["line_start"]) if pd.notna(hit["line_start"]) else 1
            lines = list(enumerate(str(hit["text"]).splitlines(), start=first))
        body = "\n".join(esc(t) if n is None else f"{n:>5}  {esc(t)}" for n, t in lines)
        self.source.value = (f"<p><b>{esc(_location(hit))}</b> {esc(node or '')}</p>"
                             f"<pre style='max-height:24em;overflow:auto'>{body}</pre>")
        if node is not None:
            self.session.selected = node
        return lines

    def to_html(self) -> str:
        if self.result is None:
            return "<h4>Search</h4><p><i>no search run</i></p>"
        shown = self.result[SHOWN] if not self.result.empty else self.result
        return (f"<h4>Search</h4><p>{self.message.value}</p>" + table_html(shown, empty="no hits")
                + self.source.value)

"""Map view: the system map as an interactive canvas with drill-down and node details.

:class:`MapCanvas` is the drawing surface (an ``anywidget`` whose JavaScript ships in
``static/mapview.js``; nothing is fetched at run time). :class:`MapView` is the panel around it:
breadcrumb and level buttons, colour and size pickers, and a details pane for the clicked node
(kind, path, lines, metrics, neighbours and its source lines).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as widgets
import pandas as pd
import traitlets

from ..errors import WorkbenchError
from .base import Panel, error_html, esc, snapshot_caption, table_html
from .mapdata import COLOUR_BY, SIZE_BY, Level, MapModel, View

log = logging.getLogger(__name__)

_CSS = """
.wb-map { position: relative; width: 100%; border: 1px solid #ddd; border-radius: 4px;
          overflow: hidden; background: #fff; }
.wb-map-canvas { display: block; }
.wb-map-tip { position: absolute; display: none; pointer-events: none; background: rgba(30,30,30,.85);
              color: #fff; font: 12px sans-serif; padding: 2px 6px; border-radius: 3px; white-space: nowrap; }
"""


class MapCanvas(anywidget.AnyWidget):
    """The drawing surface: ``nodes``, ``edges``, ``selected`` and ``highlight`` are synced."""

    _esm = Path(__file__).parent / "static" / "mapview.js"
    _css = _CSS
    nodes = traitlets.List(traitlets.Dict()).tag(sync=True)
    edges = traitlets.List(traitlets.List()).tag(sync=True)
    selected = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    highlight = traitlets.List(traitlets.Unicode()).tag(sync=True)
    height = traitlets.Int(520).tag(sync=True)


class MapView(Panel):
    """The system map of the session's snapshot, collapsed by package depth.

    >>> view = MapView(wb, project="flask")     # doctest: +SKIP
    >>> view.drill("flask.json")                  # drill into a group (or double-click it)
    >>> view.select("flask.json.tag")            # what a click does: details on the right
    >>> view.up(); view.top()

    Colour by ``community``, ``layer`` or ``kind``; size by ``pagerank``, ``lines`` or
    ``modules``. At most ``max_nodes`` nodes are drawn; larger levels show their biggest groups.
    """

    title = "Map"

    def __init__(self, target=None, *, project: str | None = None, max_nodes: int = 300,
                 height: int = 520, colour_by: str = "community", size_by: str = "pagerank",
                 **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.max_nodes = max_nodes
        self.model: MapModel | None = None
        self.view: View | None = None
        self.stack: list[Level] = []
        self.canvas = MapCanvas(height=height, layout=widgets.Layout(width="100%"))
        self.breadcrumb = widgets.HTML("")
        self.up_button = widgets.Button(description="up", icon="arrow-up", layout=widgets.Layout(width="6em"))
        self.top_button = widgets.Button(description="top", icon="home", layout=widgets.Layout(width="6em"))
        self.open_button = widgets.Button(description="open", icon="folder-open", disabled=True,
                                          layout=widgets.Layout(width="7em"))
        self.colour_by = widgets.Dropdown(options=COLOUR_BY, value=colour_by, description="colour",
                                          layout=widgets.Layout(width="14em"))
        self.size_by = widgets.Dropdown(options=SIZE_BY, value=size_by, description="size",
                                        layout=widgets.Layout(width="14em"))
        self.runtime = widgets.Checkbox(
            value=False, description="runtime imports only", indent=False,
            tooltip="leave out imports under `if TYPE_CHECKING:` (edges and layers)",
            layout=widgets.Layout(width="14em"))
        self.details = widgets.HTML("<i>click a node for its details; double-click opens it</i>",
                                    layout=widgets.Layout(width="100%"))
        self.details.add_class("wb-map-details")
        self.up_button.on_click(lambda _: self.up())
        self.top_button.on_click(lambda _: self.top())
        self.open_button.on_click(lambda _: self.canvas.selected and self.drill(self.canvas.selected))
        self.colour_by.observe(lambda _: self._draw(), "value")
        self.size_by.observe(lambda _: self._draw(), "value")
        self.runtime.observe(lambda _: self._reload(), "value")
        self.canvas.observe(self._on_select, "selected")
        self.canvas.on_msg(self._on_msg)
        side = widgets.VBox([self.details], layout=widgets.Layout(width="38%", max_height=f"{height}px",
                                                                  overflow="auto", padding="0 0 0 8px"))
        self.children = [
            self.caption(),
            widgets.HBox([self.top_button, self.up_button, self.open_button, self.colour_by,
                          self.size_by, self.runtime]),
            self.breadcrumb,
            widgets.HBox([widgets.Box([self.canvas], layout=widgets.Layout(width="62%")), side]),
        ]
        self.session.observe(self._on_snapshot, "snapshot_id")
        self.session.observe(self._on_highlight, "highlight")
        self.session.observe(self._on_session_select, "selected")
        self.refresh()

    # -- verbs ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Load the session's snapshot and show its top level."""
        snap = self.session.snapshot()
        if snap is None:
            self.model, self.view, self.stack = None, None, []
            with self.canvas.hold_sync():
                self.canvas.nodes, self.canvas.edges = [], []
            self.breadcrumb.value = "<i>no map yet: map a project first</i>"
            return
        self.model = MapModel(snap, max_nodes=self.max_nodes, exclude_contexts=self._excluded())
        self.stack = [self.model.top()]
        self._draw()

    def _excluded(self) -> tuple[str, ...]:
        return ("type_checking",) if self.runtime.value else ()

    def _reload(self) -> None:
        """The same levels, drawn from the imports the checkbox keeps."""
        snap = self.session.snapshot()
        if snap is None or not self.stack:
            self.refresh()
            return
        try:
            self.model = MapModel(snap, max_nodes=self.max_nodes, exclude_contexts=self._excluded())
        except WorkbenchError as exc:
            self.breadcrumb.value = error_html(exc)
            return
        self._draw()

    def drill(self, node: str) -> Level:
        """Drill into ``node``: a group opens one level deeper, a module shows its definitions."""
        model = self._need_model()
        level = model.drill(self.stack[-1], node)
        if level != self.stack[-1]:
            self.stack.append(level)
            self._draw()
        return level

    def up(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
            self._draw()

    def top(self) -> None:
        if self.stack:
            del self.stack[1:]
            self._draw()

    def select(self, node: str | None) -> None:
        """Select ``node`` (as a click does) and show its details."""
        self.canvas.selected = node

    def highlight(self, nodes) -> list[str]:
        """Mark ``nodes`` on the map (each shown as itself or as the group holding it)."""
        if self.model is None or self.view is None:
            return []
        shown = [s for s in dict.fromkeys(self.model.locate(self.view, n) for n in nodes) if s]
        self.canvas.highlight = shown
        return shown

    # -- internals ---------------------------------------------------------------------------------

    def _need_model(self) -> MapModel:
        if self.model is None:
            raise WorkbenchError("no map loaded: map the project first")
        return self.model

    def _draw(self) -> None:
        if self.model is None or not self.stack:
            return
        view = self.model.view(self.stack[-1], colour_by=self.colour_by.value, size_by=self.size_by.value)
        self.view = view
        with self.canvas.hold_sync():
            self.canvas.selected = None
            self.canvas.nodes = view.nodes
            self.canvas.edges = view.edges
            self.canvas.highlight = []
        crumbs = " › ".join(esc(level.label) for level in self.stack)
        what = "definitions" if view.kind == "definitions" else f"groups at depth {view.level.depth if view.level.focus is None else view.level.depth + 1}"
        notes = "".join(f"<br><i>{esc(n)}</i>" for n in view.notes)
        self.breadcrumb.value = (f"<b>{esc(self.session.project)}</b> · {crumbs} · {len(view.nodes)} "
                                 f"{what}, {len(view.edges)} edges{notes}")
        self.up_button.disabled = len(self.stack) <= 1
        if self.session.highlight:
            self.highlight(self.session.highlight)

    def _on_snapshot(self, change) -> None:
        try:
            self.refresh()
        except WorkbenchError as exc:
            self.breadcrumb.value = error_html(exc)

    def _on_highlight(self, change) -> None:
        self.highlight(change["new"])

    def _on_session_select(self, change) -> None:
        node = change["new"]
        if node and self.view is not None and node != self.canvas.selected:
            located = self.model.locate(self.view, node) if self.model else None
            if located:
                self.canvas.selected = located

    def _on_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "open" and content.get("id"):
            try:
                self.drill(content["id"])
            except (WorkbenchError, KeyError) as exc:
                self.details.value = error_html(exc)

    def _on_select(self, change) -> None:
        node = change["new"]
        self.open_button.disabled = not node or (self.view is not None and self.view.kind == "definitions")
        if not node:
            return
        try:
            self.details.value = self.details_html(node)
        except Exception as exc:  # noqa: BLE001 - shown, not raised into the frontend
            log.exception("details of %s", node)
            self.details.value = error_html(exc)
        if node != self.session.selected:
            self.session.selected = node

    def details_html(self, node: str) -> str:
        """Kind, path, lines, metrics, neighbours and source lines of ``node`` (a group: its modules)."""
        model = self._need_model()
        snap = model.snap
        shown = next((n for n in (self.view.nodes if self.view else []) if n["id"] == node), {})
        g = model.graph
        if node not in g or (shown.get("kind") == "group"):
            return self._group_html(node, shown)
        attrs = g.nodes[node]
        keys = ["kind", "path", "language", "line_start", "line_end", "lines", "complexity",
                "fan_in", "fan_out", "pagerank", "community", "depth", "problem"]
        facts = [(k, attrs.get(k)) for k in keys if _present(attrs.get(k))]
        rows = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(_fmt(v))}</td></tr>"
                       for k, v in facts)
        parts = [f"<h4 style='margin:4px 0'>{esc(node)}</h4><table class='wb-table'>{rows}</table>"]
        try:
            related = snap.related(node, depth=1)
            related = related[related["via"] != "contains"] if "via" in related else related
            if "node" in related:  # the code base's own neighbours before external ones
                related = related.assign(_ext=related["node"].str.startswith("ext:")) \
                    .sort_values(["_ext", "direction", "node"], kind="stable").drop(columns="_ext")
            parts.append(f"<b>neighbours</b> ({len(related)})" +
                         table_html(related[[c for c in ("node", "kind", "via", "direction") if c in related]],
                                    max_rows=15, empty="none"))
        except WorkbenchError as exc:
            parts.append(error_html(exc))
        try:
            lines = self.wb.source(snap.info.project, node, snapshot_id=snap.id, limit=40)
        except WorkbenchError:
            lines = []
        if lines:
            width = len(str(lines[-1][0]))
            code = "\n".join(f"{n:>{width}}  {text}" for n, text in lines)
            parts.append(f"<b>source</b><pre class='wb-source' style='font-size:11px;max-height:260px;"
                         f"overflow:auto;background:#f7f7f7;padding:4px'>{esc(code)}</pre>")
        return "".join(parts)

    def _group_html(self, node: str, shown: dict) -> str:
        model = self._need_model()
        depth = self.stack[-1].depth if self.stack[-1].focus is None else self.stack[-1].depth + 1
        members = [model.ids[i] for i in model.members(Level(node, depth))]
        frame = pd.DataFrame([(m, model.attrs[m].get("kind"), model.attrs[m].get("lines"),
                               model.attrs[m].get("pagerank")) for m in members],
                             columns=["module", "kind", "lines", "pagerank"])
        frame = frame.sort_values("pagerank", ascending=False, na_position="last")
        facts = {k: shown.get(k) for k in ("modules", "lines", "pagerank", "community", "layer")}
        rows = "".join(f"<tr><th style='text-align:left'>{esc(k)}</th><td>{esc(_fmt(v))}</td></tr>"
                       for k, v in facts.items() if v is not None)
        return (f"<h4 style='margin:4px 0'>{esc(node)} <small>(group)</small></h4>"
                f"<table class='wb-table'>{rows}</table><b>modules</b>"
                + table_html(frame, max_rows=20) + "<p><i>double-click or press open to drill down</i></p>")

    def to_html(self) -> str:
        """A static SVG of the current view plus its largest nodes, for headless output."""
        if self.view is None:
            return "<h4>Map</h4><p><i>no map yet</i></p>"
        w = h = 420
        nodes = self.view.nodes
        lines = []
        for a, b, _ in self.view.edges:
            p, q = nodes[int(a)], nodes[int(b)]
            lines.append(f'<line x1="{p["x"] * w:.1f}" y1="{p["y"] * h:.1f}" x2="{q["x"] * w:.1f}" '
                         f'y2="{q["y"] * h:.1f}" stroke="#9aa" stroke-width="0.8"/>')
        circles = [f'<circle cx="{n["x"] * w:.1f}" cy="{n["y"] * h:.1f}" r="{n["r"] * 0.7:.1f}" '
                   f'fill="{n["color"]}"><title>{esc(n["id"])}</title></circle>' for n in nodes]
        biggest = sorted(nodes, key=lambda n: -n["r"])[:12]
        labels = [f'<text x="{n["x"] * w + n["r"] * 0.7 + 2:.1f}" y="{n["y"] * h + 3:.1f}" '
                  f'font-size="10" font-family="sans-serif">{esc(n["label"])}</text>' for n in biggest]
        table = pd.DataFrame([{k: n.get(k) for k in ("id", "modules", "lines", "pagerank", "community", "layer")}
                              for n in sorted(nodes, key=lambda n: -n["r"])])
        return (f"<h4>Map of {esc(self.session.project)} · {esc(self.stack[-1].label)} · "
                f"{len(nodes)} nodes, {len(self.view.edges)} edges</h4>"
                + snapshot_caption(self.session) +
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
                f'style="border:1px solid #ddd">{"".join(lines + circles + labels)}</svg>'
                + table_html(table, max_rows=15))


def _present(value: Any) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)

"""All panels in one tabbed widget, and the registry later panels plug into.

>>> register_panel("search", SearchPanel, title="Search")   # doctest: +SKIP
>>> WorkbenchApp(wb, project="flask")                        # a tab per registered panel
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import ipywidgets as widgets

from .base import Panel, Session
from .batch import BatchPanel
from .board import IdeasBoard
from .changes import ChangesPanel
from .chat import ChatPanel
from .history import HistoryPanel
from .jobs import JobMonitor
from .mapview import MapView
from .portfolio import PortfolioPanel
from .projects import ProjectPanel
from .query import QueryPanel
from .search import SearchPanel
from .status import StatusDashboard

PanelFactory = Callable[[Session], Panel]


@dataclass(frozen=True)
class PanelSpec:
    name: str
    factory: PanelFactory
    title: str


_PANELS: dict[str, PanelSpec] = {}


def register_panel(name: str, factory: PanelFactory, *, title: str | None = None,
                   replace: bool = False) -> None:
    """Add a panel kind: ``factory(session)`` returns a :class:`Panel` (a class works)."""
    if name in _PANELS and not replace:
        raise ValueError(f"panel {name!r} is already registered; pass replace=True to swap it")
    _PANELS[name] = PanelSpec(name, factory, title or name.title())


def panel_names() -> list[str]:
    return list(_PANELS)


def panel_spec(name: str) -> PanelSpec:
    try:
        return _PANELS[name]
    except KeyError:
        raise KeyError(f"no panel named {name!r}; known panels: {', '.join(_PANELS)}") from None


for _name, _factory, _title in [
    ("projects", ProjectPanel, "Projects"), ("jobs", JobMonitor, "Jobs"), ("map", MapView, "Map"),
    ("queries", QueryPanel, "Queries"), ("history", HistoryPanel, "History"),
    ("status", StatusDashboard, "Status"), ("changes", ChangesPanel, "Changes"),
    ("batch", BatchPanel, "Batch"), ("search", SearchPanel, "Search"), ("chat", ChatPanel, "Ask"),
    ("ideas", IdeasBoard, "Ideas"), ("portfolio", PortfolioPanel, "Portfolio"),
]:
    register_panel(_name, _factory, title=_title)


class WorkbenchApp(Panel):
    """Every registered panel (or the ``panels`` named) as tabs over one session.

    Panels share the session: a map job started under Projects fills its bar under Jobs and,
    when done, loads the Map, Queries and History tabs.
    """

    title = "Workbench"

    def __init__(self, target=None, *, project: str | None = None,
                 panels: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(target, project=project, **kwargs)
        self.panels: dict[str, Panel] = {}
        for name in panels or panel_names():
            self.panels[name] = panel_spec(name).factory(self.session)
        self.tabs = widgets.Tab(children=list(self.panels.values()),
                                titles=[panel_spec(n).title for n in self.panels])
        self.children = [self.tabs]

    def __getitem__(self, name: str) -> Panel:
        return self.panels[name]

    def show(self, name: str) -> Panel:
        """Switch to the tab of panel ``name`` and return the panel."""
        self.tabs.selected_index = list(self.panels).index(name)
        return self.panels[name]

    def to_html(self) -> str:
        return "".join(p.to_html() for p in self.panels.values())

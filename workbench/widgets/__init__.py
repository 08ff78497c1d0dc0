"""The Jupyter face: small ipywidgets panels over the :class:`~workbench.Workbench` facade.

>>> from workbench.widgets import WorkbenchApp, MapView      # doctest: +SKIP
>>> WorkbenchApp("data")                  # a tab per panel: projects ... search, ask, ideas
>>> MapView(wb, project="flask")          # one panel on its own

Every panel is an ``ipywidgets.VBox`` subclass of :class:`Panel` bound to a :class:`Session`
(workbench, project, snapshot, selection, background jobs); panels built on one session work
together. Without a frontend (papermill, nbconvert) a panel's output carries an HTML
rendering of what it shows. New panels subclass :class:`Panel` and call
:func:`register_panel` to appear in :class:`WorkbenchApp`.
"""

from .app import PanelSpec, WorkbenchApp, panel_names, panel_spec, register_panel
from .base import Panel, Session, table_html
from .batch import BatchPanel, ParameterRow
from .board import IdeasBoard
from .changes import ChangesPanel
from .chat import ChatPanel
from .history import VIEWS as HISTORY_VIEWS
from .history import HistoryPanel
from .jobs import JobMonitor, JobRow
from .mapdata import Level, MapModel, View
from .mapview import MapCanvas, MapView
from .portfolio import PortfolioPanel
from .projects import ProjectPanel, ProjectRow
from .query import QUERIES, QueryPanel
from .search import SearchPanel
from .status import StatusDashboard

__all__ = [
    "BatchPanel", "ChangesPanel", "ChatPanel", "HISTORY_VIEWS", "HistoryPanel", "IdeasBoard", "JobMonitor", "JobRow", "Level",
    "MapCanvas", "MapModel", "MapView", "Panel", "PanelSpec", "ParameterRow", "PortfolioPanel", "ProjectPanel",
    "ProjectRow", "QUERIES", "QueryPanel", "SearchPanel", "Session", "StatusDashboard", "View", "WorkbenchApp",
    "panel_names", "panel_spec", "register_panel", "table_html",
]

"""Errors of the portfolio verbs (:mod:`workbench.portfolio`)."""

from __future__ import annotations

from ..errors import WorkbenchError


class PortfolioError(WorkbenchError):
    """A portfolio run cannot start: no projects, or an unreadable project list."""

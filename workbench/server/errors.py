"""Errors of the HTTP face (:mod:`workbench.server`)."""

from __future__ import annotations

from ..errors import WorkbenchError


class ServerError(WorkbenchError):
    """The server cannot start: the port is taken, the address is not this machine's."""

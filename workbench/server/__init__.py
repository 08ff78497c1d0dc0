"""The workbench's HTTP face: a read-only JSON API, ideas, GitHub webhooks and a live stream of
events over WebSocket (``workbench serve``). Starlette and uvicorn load with this package, not
with ``import workbench``.
"""

from __future__ import annotations

from .app import MAX_WEBHOOK_BYTES, create_app
from .errors import ServerError
from .run import BackgroundServer, new_token, serve

__all__ = ["BackgroundServer", "MAX_WEBHOOK_BYTES", "ServerError", "create_app", "new_token",
           "serve"]

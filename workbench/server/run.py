"""Running the app with uvicorn: in the foreground (``workbench serve``) or on a thread."""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from typing import Any

from .errors import ServerError


def new_token() -> str:
    """A fresh API token (32 random bytes, URL-safe base64)."""
    return secrets.token_urlsafe(32)


def _config(app: Any, host: str, port: int, log_level: str):
    import uvicorn

    # wsproto: uvicorn's websockets protocols log "ASGI callable returned without completing
    # handshake" at ERROR after every refusal sent as an HTTP response (a missing token);
    # its wsproto protocol marks the handshake done when the refusal is sent
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            ws="wsproto", lifespan="on", server_header=False)
    # after the Config, which sets uvicorn's logging up (and keeps filters it finds)
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    return config


class RedactTokens(logging.Filter):
    """Masks ``token=...`` in the request lines uvicorn logs: a WebSocket client may send the
    API token in the query string (``/api/events/live?token=...``), which uvicorn's access
    lines would otherwise print as it came."""

    _TOKEN = re.compile(r"(?i)((?:^|[?&])token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) for a in record.args):
            record.args = tuple(self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        elif isinstance(record.msg, str) and not record.args:
            record.msg = self._TOKEN.sub(r"\1***", record.msg)
        return True


def serve(app: Any, *, host: str = "127.0.0.1", port: int = 8765,
          log_level: str = "info") -> None:
    """Serve ``app`` until SIGINT (returns) or SIGTERM (uvicorn shuts down, then the process
    ends by the signal, as daemons do). Raises :class:`ServerError` when it cannot start
    (the port is taken, the address is not this machine's)."""
    import uvicorn

    server = uvicorn.Server(_config(app, host, port, log_level))
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shut down cleanly, then re-raised the Ctrl-C
        return
    except OSError as exc:
        raise ServerError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); is the port "
                          "taken? choose another with --port", host=host, port=port) from None
    except SystemExit:  # uvicorn logged why and exits with its own code, which tells nothing
        raise ServerError(f"cannot serve on {host}:{port}; is the port taken? choose another "
                          "with --port", host=host, port=port) from None
    if not server.started:
        raise ServerError(f"the server did not start on {host}:{port}; is the port taken? "
                          "choose another with --port", host=host, port=port)


class BackgroundServer:
    """uvicorn serving ``app`` on a daemon thread, on a free port of ``host`` unless given.

    >>> with BackgroundServer(app) as server:        # doctest: +SKIP
    ...     httpx.get(server.url + "/health")
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0,
                 log_level: str = "warning", start_timeout: float = 30.0) -> None:
        import uvicorn

        self.server = uvicorn.Server(_config(app, host, port, log_level))
        self.server.install_signal_handlers = lambda: None  # not the main thread
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self._thread = threading.Thread(target=self.server.run, name="workbench-server",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "BackgroundServer":
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServerError(f"the server did not start on {self.host}:{self.port}",
                                  host=self.host, port=self.port)
            time.sleep(0.01)
        sockets = [s for srv in self.server.servers for s in srv.sockets]
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

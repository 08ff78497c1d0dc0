"""A function run on a thread of its own, its answer or its error collected later.

For work that waits on something outside Python (a git process, DuckDB, the disk) beside
work that holds the interpreter: both go on at once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


class Background:
    """``fn(*args)`` on a thread of its own; :meth:`result` waits and raises what it raised."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._error = exc

        self._thread = threading.Thread(target=run, name="workbench-background", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

"""The ``workbench`` console script: the CLI, then an exit without the interpreter's teardown.

When a command is done, all the interpreter's teardown has left to do is free memory the
operating system takes back anyway: garbage-collect every object and unload a few hundred
modules, DuckDB's among them. For a short command that is a tenth of its time (25 to 40 ms
of a 0.35 s re-map on two cores). So this module, imported before anything else of the
package, registers an exit handler first, which makes it run last: Python has joined the
non-daemon threads and run every other exit handler (the database's close among them) by
then. It flushes the standard streams and logging and ends the process with
:func:`os._exit` and the command's exit status: the technique described in Instagram's
"Dismissing Python Garbage Collection at Instagram" (2017).

An exception that escapes the command (never a :class:`~workbench.errors.WorkbenchError`:
the CLI turns those into one-line errors) leaves the normal way, traceback and all. The
handler does nothing unless :func:`run` ran: a process that calls :func:`workbench.cli.main`
itself (a test, a notebook) keeps the normal exit.
"""

from __future__ import annotations

import atexit
import os
import sys

#: the status to leave with; None (an exception escaped) leaves it to the interpreter
_status: list[int | None] = [None]


def _leave() -> None:
    status = _status[0]
    if status is None:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BrokenPipeError:  # the reader stopped early: 1, as click and the commands give
            status = status or 1
        except (OSError, ValueError):  # Python's own exit gives 120 when a flush fails
            status = status or 120
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    os._exit(status)


atexit.register(_leave)  # first registered, so it runs after every other exit handler


def _exit_status(code: object) -> int:
    """What ``sys.exit(code)`` makes the process's status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)  # sys.exit("message") prints it and gives 1
    return 1


def run() -> None:
    """Run the CLI (:func:`workbench.cli.main`) as the ``workbench`` command."""
    from workbench.cli import main

    try:
        main()
    except SystemExit as exc:
        _status[0] = _exit_status(exc.code)
        raise SystemExit(_status[0]) from None
    _status[0] = 0

"""Who runs a job, and is that process still alive? Also: is this an interactive session?

A job row records its owner as ``(pid, host name, process start time)``. The start time
guards against pid reuse: a live process with the same pid but a different start time is not
the owner. On a different host only the heartbeat can tell.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

Owner = tuple[int, str, "float | None"]


def process_start_time(pid: int) -> float | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return float(fields[19])  # field 22 of stat; fields[0] is field 3
    except (IndexError, ValueError):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] in ("Z", "X")


def current_owner() -> Owner:
    pid = os.getpid()
    return pid, socket.gethostname(), process_start_time(pid)


def owner_alive(pid: int | None, hostname: str | None, started: float | None) -> bool | None:
    """True/False when this host can tell, None for another host (use the heartbeat)."""
    if pid is None or hostname is None:
        return None
    if hostname != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if _is_zombie(pid):
        return False
    if started is not None:
        now = process_start_time(pid)
        if now is not None and now != started:
            return False
    return True


def interactive_session() -> bool:
    """True in a notebook kernel a person drives; False under papermill, the CLI or a script.

    ``WORKBENCH_BACKGROUND=1|0`` decides when set (the batch runner sets 0 for its kernels).
    Otherwise: this process must be a running IPython kernel (``get_ipython().kernel``), no
    ``PAPERMILL_*`` variable set, and the kernel's parent process must not be papermill.
    """
    setting = os.environ.get("WORKBENCH_BACKGROUND", "").strip().lower()
    if setting:
        return setting in ("1", "true", "yes", "on")
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return False  # a script or the CLI (ipykernel merely imported does not count)
    if any(key.startswith("PAPERMILL") for key in os.environ):
        return False
    try:
        parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        parent = b""
    return b"papermill" not in parent.lower()

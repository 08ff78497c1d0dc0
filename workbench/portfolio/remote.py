"""The work a cluster worker does for one repository: map it privately, export it as Parquet.

:func:`map_to_parquet` runs inside a worker process. It keeps one private workbench per
process (its own clones and its own DuckDB file under the worker's scratch directory, so parse
results cached there serve the next repository that worker maps), maps the repository with
the ordinary map flow and writes the snapshot with :func:`~.parquet.export_snapshot`. The
shared database is never opened here; the process that submitted the job ingests the result.
"""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
from typing import Any, Callable

from ..errors import JobCancelled, ProjectNotFound

_LOCK = threading.Lock()
_SCRATCH: dict[str, Any] = {}


def scratch_workbench(directory: str, settings: dict[str, Any]):
    """This process's private workbench in ``directory`` (opened once, kept for later tasks)."""
    from ..config import Config
    from ..facade import Workbench

    with _LOCK:
        wb = _SCRATCH.get(directory)
        if wb is None:
            config = Config(data_dir=directory, **settings)
            wb = _SCRATCH[directory] = Workbench(config=config, background=False, recover=False)
        return wb


def close_scratch() -> None:
    """Close every private workbench of this process (a worker plugin's teardown)."""
    with _LOCK:
        items = list(_SCRATCH.values())
        _SCRATCH.clear()
    for wb in items:
        wb.close()


def _project(wb, spec: dict):
    name, source = spec["project"], spec["source"]
    try:
        found = wb.store.projects.get(name)
        if found.source != source:
            wb.remove_project(name)  # the name moved to another repository
            raise ProjectNotFound(name)
        return found
    except ProjectNotFound:
        return wb.add_project(name, source, token_env=spec.get("token_env"),
                              username=spec.get("username"))


def map_to_parquet(spec: dict, report: Callable[[int, "int | None", str], None],
                   cancelled: Callable[[], bool]) -> dict:
    """Map ``spec["project"]`` (from ``spec["source"]``) at ``spec["ref"]`` in this worker's
    private store and export it under ``spec["root"]``; return the manifest.

    ``spec`` keys: ``project``, ``source``, ``ref``, ``force``, ``exclude`` (a list), ``fetch``,
    ``root`` (the shared data root), ``key`` (unique per attempt), ``scratch`` (this worker's
    directory base, or None for the temp dir), ``settings`` (Config fields for the private
    workbench), ``token_env``/``username``. Raises what the map raises; ``JobCancelled`` when
    ``cancelled()`` turns true between steps.
    """
    from ..jobs.executors import worker_scratch_dir
    from .parquet import export_snapshot

    started = time.perf_counter()
    wb = scratch_workbench(worker_scratch_dir(spec.get("scratch")), spec.get("settings") or {})
    project = _project(wb, spec)

    def progress(p) -> None:
        if cancelled():
            raise JobCancelled(f"mapping {project.name} was cancelled")
        if p.status == "running":
            report(p.done, p.total, p.message)

    snap = wb.map(project.name, ref=spec.get("ref"), force=bool(spec.get("force")),
                  exclude=spec.get("exclude"), fetch=spec.get("fetch", True), wait=True,
                  progress=progress)
    if cancelled():
        raise JobCancelled(f"mapping {project.name} was cancelled")
    report(1, 1, "writing Parquet")
    manifest = export_snapshot(wb.store, snap.id, spec["root"], project.name, spec["key"])
    wb.store.db.release()
    manifest.update(
        branch=wb.store.projects.get(project.name).default_branch,
        worker=_worker_name(), seconds_total=round(time.perf_counter() - started, 4),
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return manifest


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"

"""What ``Workbench.status()`` reports: the database's health, disk space, clones and jobs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .batch.records import RunInfo
from .repos.clones import Clones
from .store import Store


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def status(store: Store, clones: Clones, data_dir: Path) -> dict[str, Any]:
    """Database, disk, clones and jobs, read in one session of the database."""
    path = store.path
    wal = path.with_name(path.name + ".wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    probe = data_dir if data_dir.exists() else data_dir.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    with store.db.session():  # one open for every read below
        projects = store.projects.list()
        schema = store.schema_version()
        checkpoint = store.health.updated_at("last_checkpoint")
        notices = store.health.notices()
        active = store.jobs.active()
        recent = store.jobs.list(limit=10)
        dead = store.jobs.with_status("dead", limit=50)
        interrupted_runs = store.runs.with_status("interrupted", limit=20)
        truncations = [(p, store.snapshots.get(p.last_snapshot_id).stats.get("history_truncated_at"))
                       for p in projects if p.last_snapshot_id is not None]
        truncations = [(p, boundary) for p, boundary in truncations if boundary]
    clone_bytes = {}
    history_truncated = {p.name: boundary for p, boundary in truncations}
    for p in projects:
        clone = clones.path_for(p.name)
        if clone.exists():
            clone_bytes[p.name] = _tree_bytes(clone)
    return {
        "data_dir": str(data_dir),
        "database": str(path),
        "database_bytes": (path.stat().st_size if path.exists() else 0) + wal_bytes,
        "wal_bytes": wal_bytes,
        "schema_version": schema,
        "last_checkpoint": checkpoint,
        "disk_free_bytes": shutil.disk_usage(probe).free,
        "notices": [{"at": at, "kind": kind, "message": message} for at, kind, message in notices],
        "projects": projects,
        "last_snapshots": {
            p.name: {"snapshot_id": p.last_snapshot_id, "commit": p.last_commit,
                     "mapped_at": p.last_mapped_at}
            for p in projects
        },
        "clone_bytes": clone_bytes,
        "history_truncated": history_truncated,
        "active_jobs": active,
        "jobs": recent,
        "dead_jobs": dead,
        "interrupted_runs": [RunInfo.from_row(row) for row in interrupted_runs],
    }

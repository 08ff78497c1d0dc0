"""What ``Workbench.status()`` reports: the database's health, disk space, clones and jobs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .facade import Workbench


def _tree_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def status(wb: "Workbench") -> dict[str, Any]:
    store = wb.store
    path = store.path
    wal = path.with_name(path.name + ".wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    data_dir = wb.config.data_dir
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
    clones = {}
    for p in projects:
        clone = wb.clones.path_for(p.name)
        if clone.exists():
            clones[p.name] = _tree_bytes(clone)
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
        "clone_bytes": clones,
        "active_jobs": active,
        "jobs": recent,
        "dead_jobs": dead,
    }

"""Turn git repositories into system maps you can explore, search and report on.

>>> from workbench import Workbench
>>> wb = Workbench("data")                        # doctest: +SKIP
>>> snap = wb.map("https://github.com/pallets/flask")   # doctest: +SKIP
>>> snap.summary().to_text()                      # doctest: +SKIP
"""

from .config import Config
from .domain import EdgeKind, JobInfo, NodeKind, Project, SnapshotInfo
from .errors import (
    ConfigError,
    DatabaseLocked,
    GitFailed,
    InvalidProjectName,
    InvalidRef,
    JobFailed,
    MapError,
    ProjectError,
    ProjectExists,
    ProjectNotFound,
    ReportError,
    SchemaTooNew,
    SnapshotNotFound,
    SourceError,
    StoreError,
    UnsafeSource,
    WorkbenchError,
)
from .facade import ProjectHandle, Workbench
from .jobs import JobHandle, Progress
from .snapshot import Snapshot, Summary

__all__ = [
    "Config", "ConfigError", "DatabaseLocked", "EdgeKind", "GitFailed", "InvalidProjectName",
    "InvalidRef", "JobFailed", "JobHandle", "JobInfo", "MapError", "NodeKind", "Progress",
    "Project", "ProjectError", "ProjectExists", "ProjectHandle", "ProjectNotFound",
    "ReportError", "SchemaTooNew", "Snapshot", "SnapshotInfo", "SnapshotNotFound",
    "SourceError", "StoreError", "Summary", "UnsafeSource", "Workbench", "WorkbenchError",
]

"""Errors of the job executors (:mod:`workbench.jobs.executors`).

They pickle with their fields (through :class:`~workbench.errors.WorkbenchError`), so a task that
fails on a cluster worker hands them back intact.
"""

from __future__ import annotations

from ..errors import TransientError, WorkbenchError

DASK_HINT = "pip install 'workbench[dask]'"


class ExecutorError(WorkbenchError):
    """Root of the errors of the job executors."""


class ExecutorUnavailable(ExecutorError):
    """The configured executor cannot be used here: an unknown name, the Dask extra missing,
    or a scheduler that cannot be reached."""


class TaskLost(ExecutorError, TransientError):
    """The cluster lost a task (its scheduler restarted, or its workers kept dying); the job
    is retried, then recorded ``dead``, never left ``running``."""

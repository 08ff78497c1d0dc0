"""Background work with a row in the ``jobs`` table: see :mod:`workbench.jobs.runner`.

``JobRunner.submit(type, work, ...)`` returns a :class:`JobHandle`; a job type is one function
``work(job) -> result`` that reports progress through ``job.report(done, total, message)``
(each call is a cancel checkpoint).
"""

from __future__ import annotations

from .process import current_owner, interactive_session, owner_alive
from .runner import Job, JobHandle, JobRunner, Progress, ProgressCallback, is_transient

__all__ = ["Job", "JobHandle", "JobRunner", "Progress", "ProgressCallback", "is_transient",
           "current_owner", "interactive_session", "owner_alive"]

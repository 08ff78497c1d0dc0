"""Background work with a row in the ``jobs`` table, live progress and a clear end state.

:class:`JobRunner` is the template: it creates the row (queued), marks it running, feeds
progress to the row (throttled) and to the caller's callback, and records success or failure
in ``finally``-style bookkeeping. A job type is one function ``work(job) -> result``.

Jobs run in the caller's thread (``wait=True``, the default for headless faces) or on a
worker thread of a small pool. Pool threads are not daemons, so a papermill run or CLI
process never exits with a job half done.
"""

from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ..domain import JobInfo
from ..errors import JobFailed, WorkbenchError
from ..store import Store

ProgressCallback = Callable[["Progress"], None]


@dataclass
class Progress:
    """How far a job got; handed to callbacks (widgets, tqdm bars, log lines)."""

    job_id: int
    done: int = 0
    total: int | None = None
    message: str = ""
    status: str = "running"

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


@dataclass
class Job:
    """What a running job's work function receives."""

    id: int
    type: str
    project_id: int | None
    params: dict[str, Any]
    report: Callable[[int, int | None, str], None] = field(repr=False)
    store: Store | None = field(default=None, repr=False)
    finished: bool = False

    def finish_in(self, cur, result: dict[str, Any]) -> None:
        """Mark the job succeeded inside the caller's transaction (with the work it wrote)."""
        assert self.store is not None
        self.store.jobs.finish(self.id, result, cur=cur)
        self.finished = True


class JobHandle:
    """A started job: ``result()`` waits for it, ``info()`` reads its row."""

    def __init__(self, job_id: int, future: Future, store: Store) -> None:
        self.id = job_id
        self._future = future
        self._store = store

    def result(self, timeout: float | None = None) -> Any:
        return self._future.result(timeout)

    wait = result

    def done(self) -> bool:
        return self._future.done()

    def info(self) -> JobInfo:
        return self._store.jobs.get(self.id)

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} {'done' if self.done() else 'running'}>"


class JobRunner:
    """Runs job functions with bookkeeping in the store."""

    def __init__(self, store: Store, *, threads: int = 2, progress_interval: float = 0.25) -> None:
        self.store = store
        self.progress_interval = progress_interval
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="workbench-job")
            return self._pool

    def submit(
        self,
        type: str,
        work: Callable[[Job], Any],
        *,
        project_id: int | None = None,
        params: dict[str, Any] | None = None,
        on_progress: ProgressCallback | None = None,
        wait: bool = True,
    ) -> JobHandle:
        job_id = self.store.jobs.create(type, project_id, params or {})
        if wait:
            future: Future = Future()
            try:
                future.set_result(self._run(job_id, type, project_id, params or {}, work, on_progress))
            except BaseException as exc:  # noqa: BLE001 - handed back through the future
                future.set_exception(exc)
            handle = JobHandle(job_id, future, self.store)
            handle.result()  # re-raise in the caller's thread
            return handle
        future = self._executor().submit(self._run, job_id, type, project_id, params or {}, work, on_progress)
        return JobHandle(job_id, future, self.store)

    def _run(self, job_id, type, project_id, params, work, on_progress) -> Any:
        self.store.jobs.start(job_id)
        state = Progress(job_id)
        last_write = 0.0

        def report(done: int, total: int | None, message: str) -> None:
            nonlocal last_write
            state.done, state.total, state.message = done, total, message
            if on_progress is not None:
                on_progress(state)
            now = time.monotonic()
            if now - last_write >= self.progress_interval:
                last_write = now
                self.store.jobs.progress(job_id, done, total, message)

        job = Job(job_id, type, project_id, params, report, self.store)
        try:
            result = work(job)
        except BaseException as exc:
            text = str(exc) if isinstance(exc, WorkbenchError) else (
                f"{type}: {exc!r}\n{traceback.format_exc(limit=5)}"
            )
            self.store.jobs.fail(job_id, text)
            state.status = "failed"
            if on_progress is not None:
                on_progress(state)
            if isinstance(exc, WorkbenchError) or not isinstance(exc, Exception):
                raise
            raise JobFailed(f"{type} job {job_id} failed: {exc}", job_id=job_id, cause=repr(exc)) from exc
        if not job.finished:
            self.store.jobs.finish(job_id, result if isinstance(result, dict) else {})
        state.status = "succeeded"
        if state.total:
            state.done = state.total
        if on_progress is not None:
            on_progress(state)
        return result

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=wait)
                self._pool = None

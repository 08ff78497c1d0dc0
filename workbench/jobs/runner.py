"""The job manager: a bounded pool, retries with backoff, cooperative cancel, heartbeats, recovery.

:class:`JobRunner` is the template: it creates the row (queued, owned by this process), marks
it running, feeds progress to the row (throttled) and to the caller's callback, and records
the end state. A job type is one function ``work(job) -> result``.

* **Attempts.** An error that is a :class:`~workbench.errors.TransientError` (network trouble,
  a lock held past the wait) is recorded and the work runs again after an exponential
  backoff, up to ``max_attempts``; then the job is ``dead`` with every attempt's error kept.
  Any other error ends the job ``failed`` at once. :meth:`JobRunner.retry` queues it again.
* **Cancel** is cooperative: :meth:`JobRunner.cancel` sets a flag (in the row, so any process
  can cancel) that the job sees at its next progress checkpoint; it raises
  :class:`~workbench.errors.JobCancelled` there, before the job's single write transaction.
* **Heartbeat.** While jobs run, a thread refreshes their ``heartbeat_at`` and passes on a
  cancel asked for from another process, for steps that check for one but report nothing.
* **Recovery.** :meth:`JobRunner.recover` marks jobs whose owner process is gone (same host) or
  whose heartbeat is stale (other hosts) ``interrupted``; :meth:`JobRunner.resume_interrupted`
  runs the resumable ones again through the factory registered for their type.

Background jobs run on at most ``threads`` pool threads. Pool threads are not daemons, so a
papermill run or CLI process never exits with a job half done.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..domain import JobInfo, JobStatus
from ..errors import JobCancelled, JobFailed, TransientError, WorkbenchError
from ..faces import hint
from ..store import Store
from .process import current_owner, owner_alive

log = logging.getLogger("workbench.jobs")

ProgressCallback = Callable[["Progress"], None]
WorkFactory = Callable[[JobInfo], Callable[["Job"], Any]]


@dataclass
class Progress:
    """How far a job got; handed to callbacks (widgets, tqdm bars, log lines)."""

    job_id: int
    done: int = 0
    total: int | None = None
    message: str = ""
    status: str = "running"
    attempt: int = 1

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


#: Seconds between the reads of a job's cancel request by :meth:`Job.check_cancel`.
CANCEL_POLL = 1.0


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
    attempt: int = 1
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    #: Set while the job writes its final transaction: heartbeats skip its row, so a long
    #: snapshot transaction is not made to conflict (and re-run) by a heartbeat of itself.
    finishing: threading.Event = field(default_factory=threading.Event, repr=False)

    #: When :meth:`check_cancel` last read the job's row (``time.monotonic()``).
    _polled: float = field(default_factory=time.monotonic, repr=False)
    #: The thread reading the job's row for :meth:`check_cancel` while the file is released.
    _poller: threading.Thread | None = field(default=None, repr=False)
    _poll_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def finish_in(self, cur, result: dict[str, Any]) -> None:
        """Mark the job succeeded inside the caller's transaction (with the work it wrote).
        Raises :class:`JobCancelled` when a cancel was requested (from any process) before
        that transaction commits: the work it wrote is rolled back with it."""
        assert self.store is not None
        if not self.store.jobs.finish(self.id, result, cur=cur):
            self.cancel_event.set()
            raise JobCancelled(f"{self.type} job {self.id} was cancelled", job_id=self.id)
        self.finished = True

    def cancelled(self) -> bool:
        """True once a cancel was requested (checked by long loops between checkpoints)."""
        return self.cancel_event.is_set()

    def check_cancel(self) -> None:
        """Raise :class:`JobCancelled` when a cancel was requested: a checkpoint. A request
        from another process is read from the job's row here too, at most every
        :data:`CANCEL_POLL` seconds (:data:`RELEASED_PROGRESS_INTERVAL` while the process has
        released the database file): between the heartbeats that pass it on (every few
        seconds), a step that reports no progress would not learn of it before its end.

        A released file is not opened on the job's thread for the look (about 0.05 s, at
        the moment the job goes on with its work): a thread of its own opens it and reads
        the row, and a request it finds stops the job at its next checkpoint."""
        if not self.cancel_event.is_set() and self.store is not None:
            # the job's thread and its helpers (a map's miner reports progress) check alike
            with self._poll_lock:
                now = time.monotonic()
                wait = CANCEL_POLL if self.store.db.is_open else RELEASED_PROGRESS_INTERVAL
                reading = self._poller is not None and self._poller.is_alive()
                if now - self._polled >= wait and not reading:
                    self._polled = now
                    if self._read_cancel(if_open=True) is None:
                        self._poller = threading.Thread(
                            target=self._read_cancel, daemon=True,
                            name=f"workbench-job-{self.id}-cancel")
                        self._poller.start()
        if self.cancel_event.is_set():
            raise JobCancelled(f"{self.type} job {self.id} was cancelled", job_id=self.id)

    def wait_for_cancel_read(self) -> None:
        """Wait for a read of the job's cancel request still running on its own thread: the
        job's end opens the file no more after it returned."""
        with self._poll_lock:
            poller = self._poller
        if poller is not None:
            poller.join()

    def _read_cancel(self, *, if_open: bool = False) -> bool | None:
        """Read the job's cancel request from its row and set :attr:`cancel_event` when one
        was made; ``None`` when ``if_open`` and the file is released (nothing read)."""
        try:
            asked = self.store.jobs.cancel_requested(self.id, if_open=if_open)
        except Exception:  # noqa: BLE001 - a failed look is not a cancel
            log.debug("reading job %s's cancel request failed", self.id, exc_info=True)
            return False
        if asked:
            self.cancel_event.set()
        return asked


class JobHandle:
    """A started job: ``result()`` waits for it, ``info()`` reads its row, ``cancel()`` stops it."""

    def __init__(self, job_id: int, future: Future, store: Store,
                 runner: "JobRunner | None" = None) -> None:
        self.id = job_id
        self._future = future
        self._store = store
        self._runner = runner
        #: Called on the caller's thread when :meth:`result` returns or raises (a widget
        #: session runs the updates it queued for the kernel's thread there).
        self.after_result: "Callable[[], None] | None" = None

    def result(self, timeout: float | None = None) -> Any:
        try:
            return self._future.result(timeout)
        finally:
            if self.after_result is not None and self._future.done():
                self.after_result()

    wait = result

    def done(self) -> bool:
        return self._future.done()

    @property
    def future(self) -> Future:
        """The job's :class:`concurrent.futures.Future` (for ``wait`` / ``as_completed``)."""
        return self._future

    def info(self) -> JobInfo:
        return self._store.jobs.get(self.id)

    def cancel(self) -> JobInfo:
        if self._runner is None:
            raise JobFailed(f"job {self.id} cannot be cancelled from this handle", job_id=self.id)
        return self._runner.cancel(self.id)

    def __repr__(self) -> str:
        return f"<JobHandle {self.id} {'done' if self.done() else 'running'}>"


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientError)


#: Seconds between a job's progress writes while this process has released the database file
#: (a long parse, a clone): each such write opens the file again, 30-40 ms of CPU taken from
#: the work itself, and releases it after. Other processes see the progress, and a cancel
#: asked for from one is seen, this often; callbacks in this process get every report.
RELEASED_PROGRESS_INTERVAL = 2.0


class JobRunner:
    """Runs job functions with bookkeeping in the store."""

    def __init__(self, store: Store, *, threads: int = 2, progress_interval: float = 0.25,
                 heartbeat_interval: float = 5.0, stale_after: float = 60.0,
                 max_attempts: int = 3, retry_delay: float = 1.0, max_retry_delay: float = 60.0,
                 on_failure: Callable[[int, str, str, str], None] | None = None) -> None:
        self.store = store
        self.on_failure = on_failure
        """Told ``(job_id, type, status, error)`` when a job ends ``failed`` or ``dead``."""
        self.progress_interval = progress_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self._threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._running: dict[int, threading.Event] = {}
        self._work: dict[int, Callable[[Job], Any]] = {}
        self._factories: dict[str, WorkFactory] = {}
        self._resumable: set[str] = set()
        self._heartbeat: threading.Thread | None = None
        self._finishing: dict[int, threading.Event] = {}
        self._owner = current_owner()

    # -- registry ---------------------------------------------------------------------------------

    def register(self, type: str, factory: WorkFactory, *, resumable: bool = False) -> None:
        """How to rebuild a job's work from its row, for ``retry`` and ``resume_interrupted``."""
        self._factories[type] = factory
        if resumable:
            self._resumable.add(type)

    # -- submitting -------------------------------------------------------------------------------

    def ensure_threads(self, threads: int) -> None:
        """Let at least ``threads`` background jobs run at once (a portfolio of remote maps
        needs a waiting thread per task in flight). A smaller pool in use is replaced; its
        running jobs finish on their threads."""
        with self._lock:
            if threads <= self._threads:
                return
            self._threads = threads
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

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
        max_attempts: int | None = None,
    ) -> JobHandle:
        attempts = max_attempts or self.max_attempts
        # work run at once in this thread is created running: one transaction, not two
        job_id = self.store.jobs.create(type, project_id, params or {}, max_attempts=attempts,
                                        owner=self._owner, running=wait)
        return self._dispatch(job_id, type, project_id, params or {}, work, on_progress, wait,
                              attempts, started=wait)

    def _dispatch(self, job_id, type, project_id, params, work, on_progress, wait,
                  max_attempts, *, started: bool = False) -> JobHandle:
        with self._lock:
            self._work[job_id] = work
        if wait:
            future: Future = Future()
            try:
                future.set_result(self._run(job_id, type, project_id, params, work, on_progress,
                                            max_attempts, started))
            except BaseException as exc:  # noqa: BLE001 - handed back through the future
                future.set_exception(exc)
            handle = JobHandle(job_id, future, self.store, self)
            handle.result()  # re-raise in the caller's thread
            return handle
        future = self._executor().submit(self._run, job_id, type, project_id, params, work,
                                         on_progress, max_attempts)
        return JobHandle(job_id, future, self.store, self)

    # -- running ----------------------------------------------------------------------------------

    def _run(self, job_id, type, project_id, params, work, on_progress, max_attempts,
             started: bool = False) -> Any:
        cancel = threading.Event()
        with self._lock:
            self._running[job_id] = cancel
        self._ensure_heartbeat()
        try:
            # the file let go of between the job's units of work is not folded then (see
            # Database.folds_deferred): the job would wait for the fold to open it again
            with self.store.db.folds_deferred():
                result = self._attempts(job_id, type, project_id, params, work, on_progress,
                                        max_attempts, cancel, started)
            with self._lock:  # a succeeded job is never retried: let its closure go
                self._work.pop(job_id, None)
            return result
        finally:
            # no checkpoint here: the log a job wrote is folded when the file is released
            # (idle, or at exit), on the release thread, not while the caller waits for
            # the job's result (0.1-0.3 s after a map of Django)
            with self._lock:
                self._running.pop(job_id, None)
                self._finishing.pop(job_id, None)

    def _attempts(self, job_id, type, project_id, params, work, on_progress, max_attempts,
                  cancel: threading.Event, started: bool = False) -> Any:
        state = Progress(job_id)
        attempt = 1 if started else self.store.jobs.start(job_id, self._owner,
                                                          from_status=JobStatus.QUEUED.value)
        if attempt is None:  # cancelled while queued, or taken by another runner
            info = self.store.jobs.get(job_id)
            raise JobCancelled(f"{type} job {job_id} was {info.status} before it started",
                               job_id=job_id, status=info.status)
        while True:
            state.attempt = attempt
            try:
                return self._attempt(job_id, type, project_id, params, work, on_progress,
                                     cancel, state, attempt)
            except BaseException as exc:
                transient = is_transient(exc)
                text = _error_text(type, exc)
                if isinstance(exc, JobCancelled) or cancel.is_set():
                    self.store.jobs.record_error(job_id, attempt, text, transient=False,
                                                 status=JobStatus.CANCELLED.value,
                                                 message="cancelled")
                    self._tell(on_progress, state, "cancelled")
                    if isinstance(exc, JobCancelled):
                        raise
                    raise JobCancelled(f"{type} job {job_id} was cancelled", job_id=job_id) from exc
                if transient and attempt < max_attempts and not cancel.is_set():
                    delay = min(self.max_retry_delay,
                                self.retry_delay * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                    self.store.jobs.record_error(
                        job_id, attempt, text, transient=True, status=JobStatus.RUNNING.value,
                        message=f"attempt {attempt} failed ({_first_line(text)}); retrying in "
                                f"{delay:.1f} s")
                    # start() refuses a job whose cancel was asked for, from any process
                    attempt = None if cancel.wait(delay) else self.store.jobs.start(
                        job_id, self._owner, from_status=JobStatus.RUNNING.value)
                    if attempt is None:
                        self.store.jobs.set_status(job_id, JobStatus.CANCELLED.value, "cancelled")
                        self._tell(on_progress, state, "cancelled")
                        raise JobCancelled(f"{type} job {job_id} was cancelled while waiting to "
                                           "retry", job_id=job_id) from exc
                    continue
                if isinstance(exc, KeyboardInterrupt):
                    # the user stopped it (Ctrl-C): not a failure of the work, which a resume
                    # continues, as it does a job whose process ended
                    self.store.jobs.record_error(
                        job_id, attempt, "interrupted (Ctrl-C)", transient=False,
                        status=JobStatus.INTERRUPTED.value,
                        message=f"interrupted; continue it with "
                                f"{hint('`workbench job resume`', 'wb.resume_interrupted()')}")
                    self._tell(on_progress, state, JobStatus.INTERRUPTED.value)
                    raise
                status = JobStatus.DEAD.value if transient else JobStatus.FAILED.value
                self.store.jobs.record_error(job_id, attempt, text, transient=transient,
                                             status=status)
                self._tell(on_progress, state, status)
                self._failed(job_id, type, status, text)
                if isinstance(exc, WorkbenchError):
                    if "job_id" not in exc.fields:
                        exc.fields["job_id"] = job_id
                        exc.job_id = job_id
                    raise
                if not isinstance(exc, Exception):
                    raise
                raise JobFailed(f"{type} job {job_id} failed: {exc}", job_id=job_id,
                                cause=repr(exc), attempts=attempt) from exc

    def _attempt(self, job_id, type, project_id, params, work, on_progress, cancel, state,
                 attempt) -> Any:
        # the job's row was written a moment ago (created or started): its first report
        # waits out the interval like the others (a job done sooner writes none)
        last_write = time.monotonic()

        def report(done: int, total: int | None, message: str) -> None:
            nonlocal last_write
            job.check_cancel()
            state.done, state.total, state.message = done, total, message
            if on_progress is not None:
                on_progress(state)
            now = time.monotonic()
            since = now - last_write
            if since >= self.progress_interval and (
                    since >= RELEASED_PROGRESS_INTERVAL or self.store.db.is_open):
                last_write = now
                if self.store.jobs.progress(job_id, done, total, message):
                    cancel.set()
                    job.check_cancel()

        job = Job(job_id, type, project_id, params, report, self.store, attempt=attempt,
                  cancel_event=cancel)
        with self._lock:
            self._finishing[job_id] = job.finishing
        job.check_cancel()
        try:
            result = work(job)
        finally:
            job.wait_for_cancel_read()
        if not job.finished:
            self.store.jobs.finish(job_id, result if isinstance(result, dict) else {})
        self._tell(on_progress, state, "succeeded")
        return result

    def _failed(self, job_id: int, type: str, status: str, text: str) -> None:
        if self.on_failure is None:
            return
        try:
            self.on_failure(job_id, type, status, text)
        except Exception:  # noqa: BLE001 - the job's outcome is recorded already
            log.warning("reporting the failure of job %s failed", job_id, exc_info=True)

    @staticmethod
    def _tell(on_progress, state: Progress, status: str) -> None:
        state.status = status
        if status == "succeeded" and state.total:
            state.done = state.total
        if on_progress is not None:
            try:
                on_progress(state)
            except Exception:  # noqa: BLE001 - a broken progress bar must not change the outcome
                log.debug("progress callback failed", exc_info=True)

    # -- heartbeat --------------------------------------------------------------------------------

    def _ensure_heartbeat(self) -> None:
        with self._lock:
            if self._heartbeat is not None and self._heartbeat.is_alive():
                return
            self._heartbeat = threading.Thread(target=self._beat, name="workbench-heartbeat",
                                               daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        while True:
            time.sleep(self.heartbeat_interval)
            with self._lock:
                if not self._running:
                    self._heartbeat = None
                    return
                ids = [i for i in self._running
                       if not (i in self._finishing and self._finishing[i].is_set())]
            try:
                cancelled = self.store.jobs.heartbeat(ids)
            except Exception:  # noqa: BLE001 - the next beat tries again
                log.debug("heartbeat failed", exc_info=True)
                continue
            # a cancel asked for from another process, seen here too: a step that reports no
            # progress (linking, the tables) still checks for it between its parts
            with self._lock:
                events = [self._running.get(i) for i in cancelled]
            for event in events:
                if event is not None:
                    event.set()

    # -- control ----------------------------------------------------------------------------------

    def cancel(self, job_id: int) -> JobInfo:
        """Ask a job to stop at its next checkpoint (any process); a queued job never starts."""
        status = self.store.jobs.request_cancel(job_id)
        if status == JobStatus.QUEUED.value:
            self.store.jobs.cancel_queued(job_id)
        with self._lock:
            event = self._running.get(job_id)
        if event is not None:
            event.set()
        return self.store.jobs.get(job_id)

    def retry(self, job_id: int, *, wait: bool = True,
              on_progress: ProgressCallback | None = None) -> JobHandle:
        """Queue a failed, dead, cancelled or interrupted job again (its errors are kept)."""
        info = self.store.jobs.get(job_id)
        work = self._work_for(info)
        try:
            info = self.store.jobs.requeue(job_id, owner=self._owner)
        except ValueError as exc:
            raise JobFailed(str(exc), job_id=job_id) from None
        return self._dispatch(job_id, info.type, info.project_id, info.params, work, on_progress,
                              wait, info.max_attempts)

    def _work_for(self, info: JobInfo) -> Callable[[Job], Any]:
        with self._lock:
            work = self._work.get(info.id)
        if work is not None:
            return work
        factory = self._factories.get(info.type)
        if factory is None:
            raise JobFailed(f"job {info.id} of type {info.type!r} cannot be run again here: no "
                            f"factory registered (known: {', '.join(sorted(self._factories)) or '-'})",
                            job_id=info.id)
        return factory(info)

    def recover(self) -> list[int]:
        """Mark jobs whose process died ``interrupted``; return their ids. Cheap: one query."""
        now = datetime.now(timezone.utc)
        stale = timedelta(seconds=self.stale_after)
        lost: list[int] = []
        for info in self.store.jobs.active():
            if (info.pid, info.hostname, info.process_started) == self._owner:
                continue
            alive = owner_alive(info.pid, info.hostname, info.process_started)
            if alive is None:
                beat = info.heartbeat_at or info.started_at or info.created_at
                if beat.tzinfo is None:
                    beat = beat.replace(tzinfo=timezone.utc)
                alive = now - beat < stale
            if not alive:
                lost.append(info.id)
        if lost:
            self.store.jobs.mark_interrupted(lost)
            log.warning("jobs %s were interrupted (their process ended); resume them with %s",
                        lost, hint("`workbench job resume`", "wb.resume_interrupted()"))
        return lost

    def resume_interrupted(self, *, wait: bool = True) -> list[JobHandle]:
        """Run interrupted jobs of resumable types again; they continue from stored progress."""
        handles = []
        for info in reversed(self.store.jobs.with_status(JobStatus.INTERRUPTED.value, limit=1000)):
            if info.type in self._resumable:
                handles.append(self.retry(info.id, wait=wait))
        return handles

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0][:200]


def _error_text(type: str, exc: BaseException) -> str:
    if isinstance(exc, WorkbenchError):
        return str(exc)
    return f"{type}: {exc!r}\n{traceback.format_exc(limit=5)}"

"""The executor port: where the heavy part of a job runs.

A job's row, attempts, progress, cancel and retry stay with :class:`~workbench.jobs.JobRunner`
in the process that submitted it. What an executor decides is where the job's *work* runs:

* ``local`` (default): in the job pool's thread, in this process, against the database file.
* ``dask``: as a task on a Dask distributed cluster (``pip install 'workbench[dask]'``). Named
  by a scheduler address (``tcp://host:8786``), by ``local-cluster`` / ``local-cluster:N``
  (a :class:`distributed.LocalCluster` of N worker processes on 127.0.0.1), or handed in as a
  ``distributed.Client`` / ``LocalCluster`` object.

:meth:`Executor.run` blocks the calling job thread until the task's result is back, handing
the task's progress reports to ``report(done, total, message)`` (the job's cancel checkpoint)
on that thread. A cancel sets a Dask ``Event`` the task polls between steps, then cancels the
future. A task whose worker dies is run again on another worker by the scheduler; a task the
cluster loses (a scheduler restart, workers dying over and over) raises
:class:`~workbench.jobs.errors.TaskLost`, a transient error, so the runner retries the job and
finally records it ``dead``: no job stays ``running`` after its task is gone.

Adapters register by name (:func:`register_executor`); :func:`open_executor` picks one from a
specification and names the known ones when it cannot.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Protocol, runtime_checkable

from ..errors import JobCancelled
from .errors import DASK_HINT, ExecutorUnavailable, TaskLost

log = logging.getLogger("workbench.jobs")

Report = Callable[[int, "int | None", str], None]
#: What a task function receives besides its spec: ``report(done, total, message)`` and
#: ``cancelled() -> bool`` (cheap to call often; remote checks are throttled).
TaskFn = Callable[[dict, Report, Callable[[], bool]], Any]

PROGRESS_TOPIC = "workbench-progress"


@runtime_checkable
class Executor(Protocol):
    """Runs one job's work somewhere and waits for it."""

    name: str
    #: True when the work runs in other processes that must not open the database file.
    remote: bool

    def run(self, fn: TaskFn, spec: dict, *, key: str, report: Report,
            cancelled: Callable[[], bool]) -> Any:
        """Run ``fn(spec, report, cancelled)``; its result, or its error raised here."""

    def slots(self) -> int:
        """How many tasks can run at once (threads over all workers)."""

    def describe(self) -> dict:
        """``{"executor", "address", "workers", "threads"}`` for status lines and panels."""

    def close(self) -> None:
        """Release what this adapter opened (a cluster it started, its client)."""


class LocalExecutor:
    """The default: the work runs in the calling job thread of this process."""

    name = "local"
    remote = False

    def __init__(self, threads: int = 2) -> None:
        self._threads = threads

    def run(self, fn: TaskFn, spec: dict, *, key: str, report: Report,
            cancelled: Callable[[], bool]) -> Any:
        return fn(spec, report, cancelled)

    def slots(self) -> int:
        return self._threads

    def describe(self) -> dict:
        return {"executor": "local", "address": None, "workers": 1, "threads": self._threads}

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<LocalExecutor threads={self._threads}>"


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ExecutorUnavailable(
            f"the Dask executor needs the distributed package: {DASK_HINT} (or unset "
            "WORKBENCH_EXECUTOR to run jobs in local threads)") from exc
    return distributed


class DaskExecutor:
    """Jobs' work as tasks on a Dask distributed cluster.

    ``target`` is a scheduler address (``tcp://host:8786``), ``local-cluster[:N]``, a
    ``distributed.LocalCluster`` (or any cluster object with a ``scheduler_address``) or a
    ``distributed.Client``. The client connects on first use; a cluster this adapter started
    is closed by :meth:`close`, one handed in is left running.
    """

    name = "dask"
    remote = True

    def __init__(self, target: Any, *, connect_timeout: float = 30.0,
                 poll_interval: float = 0.25) -> None:
        self._target = target
        self._connect_timeout = connect_timeout
        self._poll = poll_interval
        self._lock = threading.Lock()
        self._client = None
        self._cluster = None
        self._owns_client = False
        self._latest: dict[str, tuple[int, int | None, str]] = {}

    # -- connection ---------------------------------------------------------------------------

    @property
    def client(self):
        """The ``distributed.Client`` (connected on first use)."""
        with self._lock:
            if self._client is not None and self._client.status in ("closing", "closed") \
                    and self._owns_client:
                self._client = None  # it gave up reconnecting to a scheduler that went away
            if self._client is None:
                self._client = self._connect()
                self._client.subscribe_topic(PROGRESS_TOPIC, self._on_progress)
                self._client.register_plugin(_scratch_plugin(), name="workbench-scratch")
            return self._client

    def _connect(self):
        distributed = _import_distributed()
        target = self._target
        if isinstance(target, distributed.Client):
            return target
        self._owns_client = True
        if isinstance(target, str) and target.startswith("local-cluster"):
            _, _, count = target.partition(":")
            try:
                workers = int(count) if count else 2
            except ValueError:
                raise ExecutorUnavailable(
                    f"executor {target!r}: the worker count after 'local-cluster:' must be a "
                    "number, like local-cluster:4") from None
            self._cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0")
            target = self._cluster
        try:
            return distributed.Client(target, timeout=self._connect_timeout)
        except (OSError, TimeoutError) as exc:
            raise ExecutorUnavailable(
                f"cannot reach the Dask scheduler at {target}: {exc}; start one with `dask "
                "scheduler` (and workers with `dask worker ADDRESS`), or unset "
                "WORKBENCH_EXECUTOR to run jobs in local threads") from exc

    def _on_progress(self, event) -> None:
        # runs on the client's event loop: only remember the newest report per task
        _, message = event if isinstance(event, tuple) and len(event) == 2 else (None, event)
        if isinstance(message, dict) and "key" in message:
            self._latest[message["key"]] = (int(message.get("done", 0)), message.get("total"),
                                            str(message.get("message", "")))

    # -- running ------------------------------------------------------------------------------

    def run(self, fn: TaskFn, spec: dict, *, key: str, report: Report,
            cancelled: Callable[[], bool]) -> Any:
        distributed = _import_distributed()
        client = self._connected(distributed)
        cancel_name = f"workbench-cancel-{key}"
        future = client.submit(_remote_task, fn, spec, key, cancel_name, key=key, pure=False)
        # the future is watched, and its result asked for only once it is done: a
        # ``result(timeout=...)`` that times out as the task ends can fail inside distributed
        # (its ``sync`` then raises UnboundLocalError for the result it never set)
        finished = threading.Event()
        future.add_done_callback(lambda _: finished.set())
        seen: tuple | None = None
        try:
            while True:
                finished.wait(self._poll)
                if future.done():
                    try:
                        return future.result()
                    except distributed.KilledWorker as exc:
                        raise TaskLost(f"task {key} was lost with the workers that ran it "
                                       f"({exc}); it is retried", key=key) from exc
                    except (distributed.client.FutureCancelledError, OSError) as exc:
                        if cancelled():
                            raise JobCancelled(f"task {key} was cancelled") from exc
                        raise TaskLost(f"the cluster dropped task {key} ({type(exc).__name__}: "
                                       f"{exc}); it is retried", key=key) from exc
                latest = self._latest.get(key)
                if latest is not None and latest != seen:
                    seen = latest
                    report(*latest)  # a checkpoint: raises JobCancelled when asked to stop
                if cancelled():
                    raise JobCancelled(f"task {key} was cancelled")
        except JobCancelled:
            self._cancel(distributed, client, future, cancel_name)
            raise
        finally:
            self._latest.pop(key, None)

    def _connected(self, distributed):
        """The client once it is connected: while it reconnects to a restarted scheduler,
        wait up to the connect timeout, then :class:`TaskLost` (the job is retried)."""
        client = self.client
        deadline = time.monotonic() + self._connect_timeout
        while client.status != "running":
            if time.monotonic() > deadline:
                raise TaskLost(f"the Dask scheduler has not answered for "
                               f"{self._connect_timeout:.0f} s (client {client.status}); the "
                               "job is retried")
            time.sleep(0.1)
            client = self.client
        return client

    @staticmethod
    def _cancel(distributed, client, future, cancel_name: str) -> None:
        try:
            distributed.Event(cancel_name, client=client).set()
            future.cancel()
        except Exception:  # noqa: BLE001 - the job is recorded cancelled either way
            log.debug("cancelling %s on the cluster failed", future.key, exc_info=True)

    def slots(self) -> int:
        info = self.client.scheduler_info()
        return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def describe(self) -> dict:
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        return {"executor": "dask", "address": info.get("address"), "workers": len(workers),
                "threads": sum(int(w.get("nthreads", 1)) for w in workers.values())}

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            cluster, self._cluster = self._cluster, None
        if client is not None and self._owns_client:
            client.close()
        if cluster is not None:
            cluster.close()

    def __repr__(self) -> str:
        return f"<DaskExecutor {self._target!r}>"


def _remote_task(fn: TaskFn, spec: dict, key: str, cancel_name: str) -> Any:
    """The wrapper every workbench task runs in on a worker: throttled progress events to the
    client, a throttled look at the cancel event."""
    from distributed import Event, get_client, get_worker

    worker = get_worker()
    last_report = 0.0
    last_check = 0.0
    stop = False

    def report(done: int, total: int | None, message: str) -> None:
        nonlocal last_report
        now = time.monotonic()
        if now - last_report >= 0.25:
            last_report = now
            worker.log_event(PROGRESS_TOPIC, {"key": key, "done": done, "total": total,
                                              "message": message, "worker": worker.address})

    def cancelled() -> bool:
        nonlocal last_check, stop
        now = time.monotonic()
        if not stop and now - last_check >= 1.0:
            last_check = now
            try:
                stop = Event(cancel_name, client=get_client()).is_set()
            except Exception:  # noqa: BLE001 - a failed look is not a cancel
                stop = False
        return stop

    return fn(spec, report, cancelled)


def _scratch_plugin():
    """A worker plugin that closes the worker's private workbenches when the worker stops
    (their database files are released and checkpointed, not left to the interpreter)."""
    from distributed import WorkerPlugin

    class ScratchCleanup(WorkerPlugin):
        idempotent = True

        def teardown(self, worker) -> None:
            from ..portfolio.remote import close_scratch

            close_scratch()

    return ScratchCleanup()


_REGISTRY: dict[str, Callable[[Any, int], Executor]] = {}


def register_executor(name: str, factory: Callable[[Any, int], Executor]) -> None:
    """Add an adapter: ``factory(spec, threads)`` builds it for specifications named ``name``."""
    _REGISTRY[name] = factory


register_executor("local", lambda spec, threads: LocalExecutor(threads))
register_executor("dask", lambda spec, threads: DaskExecutor(spec))


def executor_kind(spec: Any) -> str:
    """The registry name a specification selects (``local``, ``dask`` or a registered one)."""
    if spec is None or spec == "" or spec == "local":
        return "local"
    if isinstance(spec, str):
        if spec.startswith(("tcp://", "tls://", "inproc://", "ucx://", "local-cluster")):
            return "dask"
        scheme = spec.split(":", 1)[0]
        if scheme in _REGISTRY:
            return scheme
        raise ExecutorUnavailable(
            f"unknown executor {spec!r}; use local, a Dask scheduler address "
            "(tcp://host:8786) or local-cluster[:N] (known adapters: "
            f"{', '.join(sorted(_REGISTRY))})")
    module = type(spec).__module__.split(".", 1)[0]
    if module in ("distributed", "dask_jobqueue", "dask_kubernetes") or hasattr(
            spec, "scheduler_address"):
        return "dask"
    raise ExecutorUnavailable(f"cannot run jobs on a {type(spec).__name__}; give an executor "
                              "name, a scheduler address, a distributed.Client or a cluster")


def open_executor(spec: Any = None, *, threads: int = 2) -> Executor:
    """The executor a specification names (see the module docstring); an :class:`Executor`
    is returned as it is. Raises :class:`ExecutorUnavailable` naming the fix."""
    if isinstance(spec, (LocalExecutor, DaskExecutor)):
        return spec
    kind = executor_kind(spec)
    if kind == "dask":
        _import_distributed()  # fail now, with the install hint, not at the first job
    return _REGISTRY[kind](spec, threads)


def worker_scratch_dir(base: str | None = None) -> str:
    """A directory of this worker process's own (under ``base``, by default the temp dir,
    one folder per process), where it keeps its clones and its private database."""
    import tempfile

    root = base or os.path.join(tempfile.gettempdir(), "workbench-workers")
    return os.path.join(root, f"worker-{os.getpid()}")

"""Portfolio verbs: map many repositories at once, report on each, one summary table.

:class:`Portfolio` is reached as ``wb.portfolio``; the facade's ``map_all`` and ``report_all``
delegate here. Every repository is an ordinary ``map`` job (its row, attempts, progress,
cancel and retry work as for one map); where its work runs is the workbench's executor:

* ``local``: the job pool's threads map into the database directly;
* ``dask``: each map runs as a task on a cluster worker (:mod:`.remote`), which writes Parquet
  under the data root; this process ingests it (:class:`~.parquet.Ingestor`, the one writer).

Failures are retried per repository (``retries`` more attempts after the job's own transient
retries; a refused ref, which fails the same way again, is not), progress is aggregated over all of them, and the result is a summary DataFrame.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..errors import InvalidRef, JobCancelled, WorkbenchError
from ..jobs import Progress
from .parquet import Ingestor

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..domain import Project
    from ..facade import Workbench

SUMMARY_COLUMNS = ("project", "status", "job_id", "snapshot_id", "commit", "files", "nodes",
                   "edges", "attempts", "seconds", "worker", "error")
_INTEGER_COLUMNS = ("job_id", "snapshot_id", "files", "nodes", "edges", "attempts")


def read_project_list(path) -> list[str]:
    """Projects named in a text file: one name, URL or path a line; ``#`` starts a comment."""
    from pathlib import Path

    from .errors import PortfolioError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PortfolioError(f"cannot read the project list {path}: {exc.strerror}; give a "
                             "text file with one project name, URL or path a line",
                             path=str(path)) from None
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [n for n in names if n]


@dataclass
class _Board:
    """Aggregated progress of many jobs, handed to one callback as a :class:`Progress`."""

    total: int
    callback: Callable[[Progress], None] | None
    ok: int = 0
    failed: int = 0
    messages: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, name: str) -> Callable[[Progress], None]:
        def on_progress(p: Progress) -> None:
            with self.lock:
                if p.status == "running":
                    self.messages[name] = p.message
                self._tell(f"{name}: {p.message}" if p.status == "running" else "")
        return on_progress

    def end(self, name: str, ok: bool, retrying: bool = False) -> None:
        with self.lock:
            self.messages.pop(name, None)
            if not retrying:
                self.ok += ok
                self.failed += not ok
            self._tell(f"{name}: {'done' if ok else 'retrying' if retrying else 'failed'}")

    def _tell(self, latest: str) -> None:
        if self.callback is None:
            return
        text = (f"{self.ok}/{self.total} mapped, {self.failed} failed, "
                f"{len(self.messages)} running")
        state = Progress(0, done=self.ok + self.failed, total=self.total,
                         message=f"{text}; {latest}" if latest else text,
                         status="running" if self.ok + self.failed < self.total else "succeeded")
        try:
            self.callback(state)
        except Exception:  # noqa: BLE001 - a broken progress bar must not stop the portfolio
            pass


@dataclass
class PortfolioRun:
    """The outcome of :meth:`Portfolio.map_all`: one summary row per repository."""

    summary: "pd.DataFrame"
    seconds: float
    executor: dict
    ingest_rows: int = 0
    ingest_seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        return list(self.summary.loc[~self.summary["status"].isin(["mapped", "reused"]),
                                     "project"])

    def to_text(self) -> str:
        ok = len(self.summary) - len(self.failed)
        from ..text_tables import table_text

        lines = [table_text(self.summary), "",
                 f"{ok}/{len(self.summary)} repositories mapped in {self.seconds:.1f} s on "
                 f"{self.executor.get('executor')} ({self.executor.get('workers')} workers, "
                 f"{self.executor.get('threads')} threads)"]
        if self.ingest_rows:
            rate = self.ingest_rows / self.ingest_seconds if self.ingest_seconds else 0
            lines.append(f"ingested {self.ingest_rows} rows in {self.ingest_seconds:.2f} s "
                         f"({rate:,.0f} rows/s)")
        return "\n".join(lines)


class Portfolio:
    """Many repositories at once over the workbench's executor (``wb.portfolio``)."""

    def __init__(self, wb: "Workbench") -> None:
        self.wb = wb
        self.ingestor = Ingestor(wb.store)

    # -- one map on the cluster ------------------------------------------------------------------

    def remote_map_work(self, project: "Project", params: dict[str, Any]):
        """The work of a ``map`` job whose mapping runs on a cluster worker."""
        from .remote import map_to_parquet

        wb = self.wb
        cfg = wb.config

        def work(job) -> dict:
            patterns = params.get("exclude")
            exclude = list(cfg.exclude) if patterns is None else list(patterns)
            spec = {
                "project": project.name, "source": project.source, "ref": params.get("ref"),
                "force": bool(params.get("force")), "exclude": exclude,
                "fetch": params.get("fetch", True), "root": cfg.parquet_root,
                "key": f"job{job.id}a{job.attempt}-{uuid.uuid4().hex[:6]}",
                "scratch": cfg.worker_dir,
                "token_env": project.token_env, "username": project.username,
                "settings": {"git_timeout": cfg.git_timeout, "max_file_bytes": cfg.max_file_bytes,
                             "workers": 1, "exclude": tuple(cfg.exclude)},
            }
            job.report(0, None, "waiting for a cluster worker")
            wb.store.projects.update(project.id, status="mapping")
            try:
                manifest = wb.executor.run(map_to_parquet, spec,
                                           key=f"map-{project.name}-{spec['key']}",
                                           report=job.report, cancelled=job.cancelled)
                job.report(1, 1, f"ingesting {manifest['rows']} rows")
                result = self.ingestor.ingest(
                    manifest, project_id=project.id, job=job, force=bool(params.get("force")),
                    default_head=params.get("ref") is None and tuple(exclude) == tuple(cfg.exclude),
                    given_ref=params.get("ref") or manifest.get("branch") or manifest["commit"],
                    extra={"worker": manifest.get("worker"),
                           "task_seconds": manifest.get("seconds_total"),
                           "peak_rss_bytes": manifest.get("peak_rss_bytes")})
            except BaseException:
                wb.store.projects.update(project.id, status="failed")
                raise
            wb._announce("map.completed", {
                "project": project.name, "snapshot_id": int(result["snapshot_id"]),
                "commit": result["commit"], "reused": bool(result.get("reused")),
                "job_id": job.id})
            return result

        return work

    # -- many maps -------------------------------------------------------------------------------

    def map_all(self, targets: Iterable[Any] | None = None, *, ref: str | None = None,
                force: bool = False, retries: int = 1,
                exclude: "list[str] | tuple[str, ...] | None" = None, fetch: bool = True,
                progress: Callable[[Progress], None] | None = None) -> PortfolioRun:
        """Map every project in ``targets`` (names, URLs or paths; None: every registered
        project) at once over the executor; wait for all of them.

        A repository whose job failed (after the job's own attempts) runs again up to
        ``retries`` more times. ``progress`` receives one aggregated :class:`Progress`
        (done = repositories finished, total = repositories). Returns a :class:`PortfolioRun`
        whose ``summary`` has the columns ``project, status, job_id, snapshot_id, commit, files,
        nodes, edges, attempts, seconds, worker, error`` (status: mapped, reused, failed,
        cancelled). Never raises for one repository's failure; it is in its row: a target
        that names no project and no repository (a mistyped name in a ``--from`` list) is a
        ``failed`` row of its own, with the reason and no job, and the others are mapped.
        Raises :class:`PortfolioError` only when there is nothing to map at all.
        """
        import pandas as pd

        from ..mapping.excludes import normalise

        wb = self.wb
        started = time.perf_counter()
        unresolved: dict[str, str] = {}
        order = self._each(targets, unresolved)
        projects = [p for _, p in order if p is not None]
        patterns = None if exclude is None else list(normalise(exclude))
        params: dict[str, Any] = {"ref": ref, "force": force}
        if patterns is not None:
            params["exclude"] = patterns
        if not fetch:
            params["fetch"] = False
        executor = wb.executor
        wb.jobs.ensure_threads(min(max(1, len(projects)), max(wb.config.job_threads,
                                                               2 * executor.slots())))
        board = _Board(len(projects), progress)
        rows: dict[str, dict] = {}
        tries: dict[str, int] = {}
        pending: dict[concurrent.futures.Future, tuple[str, int]] = {}
        ingest_before = (self.ingestor.stats.rows, self.ingestor.stats.seconds)
        for project in projects:
            handle = wb.jobs.submit("map", wb._map_work(project, params), project_id=project.id,
                                    params=params, on_progress=board.watch(project.name),
                                    wait=False)
            tries[project.name] = 1
            pending[handle.future] = (project.name, handle.id)
        while pending:
            done, _ = concurrent.futures.wait(list(pending),
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                name, job_id = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    board.end(name, True)
                    rows[name] = self._row(name, job_id, tries[name], future.result())
                    continue
                # a refused ref (none, or a repository without commits) fails again the same way
                if not isinstance(exc, (JobCancelled, InvalidRef)) and tries[name] <= retries:
                    tries[name] += 1
                    board.end(name, False, retrying=True)
                    handle = wb.jobs.retry(job_id, wait=False, on_progress=board.watch(name))
                    pending[handle.future] = (name, job_id)
                    continue
                board.end(name, False)
                status = "cancelled" if isinstance(exc, JobCancelled) else "failed"
                rows[name] = self._row(name, job_id, tries[name], None, status=status,
                                       error=_describe(exc))
        for target, reason in unresolved.items():
            rows[target] = {**dict.fromkeys(SUMMARY_COLUMNS), "project": target,
                            "status": "failed", "attempts": 0, "error": _first_line(reason)}
        summary = pd.DataFrame([rows[p.name if p is not None else t] for t, p in order],
                               columns=list(SUMMARY_COLUMNS))
        # counts and ids stay integers beside a failed row's missing ones (not 33.0)
        summary = summary.astype({c: "Int64" for c in _INTEGER_COLUMNS})
        return PortfolioRun(summary=summary, seconds=time.perf_counter() - started,
                            executor=executor.describe(),
                            ingest_rows=self.ingestor.stats.rows - ingest_before[0],
                            ingest_seconds=self.ingestor.stats.seconds - ingest_before[1])

    def _resolve(self, targets, unresolved: dict[str, str] | None = None) -> "list[Project]":
        """The projects ``targets`` name, once each (None: every registered one).

        With ``unresolved``, a target that names none is put there (target -> the reason)
        instead of raising.
        """
        return [p for _, p in self._each(targets, unresolved) if p is not None]

    def _each(self, targets, unresolved: dict[str, str] | None = None) -> "list[tuple[str, Project | None]]":
        """(target, its project or None when it is in ``unresolved``), in the given order."""
        order: list[tuple[str, Any]] = []
        if targets is None:
            order = [(p.name, p) for p in self.wb.projects()]
        else:
            for t in targets:
                if hasattr(t, "id") and hasattr(t, "source"):
                    order.append((t.name, t))
                    continue
                try:
                    order.append((str(t), self.wb.resolve_project(str(t))))
                except WorkbenchError as exc:
                    if unresolved is None:
                        raise
                    unresolved[str(t)] = str(exc)
                    order.append((str(t), None))
        if not any(p is not None for _, p in order) and not unresolved:
            from .errors import PortfolioError

            raise PortfolioError("no projects to map: register some with `workbench add NAME "
                                 "SOURCE` or name them (`workbench map --from FILE`)")
        seen: dict[str, tuple[str, Any]] = {}
        for target, project in order:
            seen.setdefault(project.name if project is not None else f"\0{target}", (target, project))
        return list(seen.values())

    def _row(self, name: str, job_id: int, tries: int, result: dict | None, *,
             status: str | None = None, error: str | None = None) -> dict:
        info = self.wb.store.jobs.get(job_id)
        result = dict(result or {})
        if result.get("snapshot_id") is not None and not isinstance(result.get("nodes"), int):
            sid = int(result["snapshot_id"])
            result["nodes"], result["edges"] = self.wb.store.db.query(
                "SELECT (SELECT count(*) FROM nodes WHERE snapshot_id = ?),"
                " (SELECT count(*) FROM edges WHERE snapshot_id = ?)", [sid, sid])[0]
        return {
            "project": name,
            "status": status or ("reused" if result.get("reused") else "mapped"),
            "job_id": job_id, "snapshot_id": result.get("snapshot_id"),
            "commit": (result.get("commit") or "")[:12] or None,
            "files": result.get("files"), "nodes": result.get("nodes"),
            "edges": result.get("edges"),
            "attempts": max(tries, info.attempts),
            "seconds": result.get("task_seconds") or (
                _job_seconds(info) if result.get("reused") else result.get("seconds")),
            "worker": result.get("worker") or ("local" if result else None),
            "error": _first_line(error or info.error),
        }

    # -- many reports ----------------------------------------------------------------------------

    def report_all(self, targets: Iterable[Any] | None = None, *,
                   progress: Callable[[Progress], None] | None = None) -> "pd.DataFrame":
        """Run the system map report notebook for each project at once over the executor.

        Returns a DataFrame ``project, status, job_id, html, seconds, error``. On a cluster
        each papermill run is a task on a worker that reads the data directory (it must be
        shared), never writes the database.
        """
        import pandas as pd

        wb = self.wb
        projects = self._resolve(targets)
        for project in projects:
            wb.snapshot(project.name)  # fail early, with the fix, for a project never mapped
        executor = wb.executor
        wb.jobs.ensure_threads(min(len(projects), max(wb.config.job_threads,
                                                      2 * executor.slots())))
        board = _Board(len(projects), progress)
        handles = {}
        for project in projects:
            spec = {"data_dir": str(wb.data_dir), "project": project.name,
                    "runs_dir": str(wb.config.runs_dir)}

            def work(job, spec=spec):
                job.report(0, 1, f"report of {spec['project']}")
                return executor.run(run_report_task, spec,
                                    key=f"report-{spec['project']}-job{job.id}-"
                                        f"{uuid.uuid4().hex[:6]}",
                                    report=job.report, cancelled=job.cancelled)

            handles[project.name] = wb.jobs.submit("report", work, project_id=project.id,
                                                   params={}, wait=False,
                                                   on_progress=board.watch(project.name))
        rows = []
        for name, handle in handles.items():
            try:
                result = handle.result()
                board.end(name, True)
                rows.append({"project": name, "status": "succeeded", "job_id": handle.id,
                             "html": result["html"], "seconds": result["seconds"],
                             "error": None})
            except Exception as exc:  # noqa: BLE001 - each failure goes in its row
                board.end(name, False)
                rows.append({"project": name, "status": "failed", "job_id": handle.id,
                             "html": None, "seconds": None,
                             "error": _first_line(_describe(exc))})
        return pd.DataFrame(rows, columns=["project", "status", "job_id", "html", "seconds",
                                           "error"])


def run_report_task(spec: dict, report, cancelled) -> dict:
    """One project's report notebook (papermill), where the executor runs it."""
    from pathlib import Path

    from ..batch.report import run_report

    result = run_report(Path(spec["data_dir"]), spec["project"],
                        runs_dir=Path(spec["runs_dir"]))
    return {"notebook": str(result.notebook), "html": str(result.html),
            "seconds": result.seconds}


def _job_seconds(info: Any) -> float | None:
    """Wall-clock seconds of a finished job (a reused map's own time, not the old map's)."""
    started, finished = getattr(info, "started_at", None), getattr(info, "finished_at", None)
    if started is None or finished is None:
        return None
    return round((finished - started).total_seconds(), 4)


def _describe(exc: BaseException) -> str:
    """An error for a summary row: a workbench error's message, otherwise the exception's type
    and message (never empty: some exceptions have no message)."""
    text = str(exc).strip()
    if isinstance(exc, WorkbenchError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _first_line(error: str | None) -> str | None:
    """The first non-blank line of ``error``, cut at 200 characters (None when there is none)."""
    lines = [line.strip() for line in (error or "").splitlines() if line.strip()]
    return lines[0][:200] if lines else None

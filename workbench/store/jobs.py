"""Reads and writes of the ``jobs`` table: each unit of background work and its progress.

A row records who runs the job (pid, host name and the process's start time, so a later
process can tell a dead owner from a live one), every attempt's error, a cancel flag that any
process may set, and a heartbeat that the owner refreshes while the job runs.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ..domain import JobInfo, JobStatus
from ..errors import JobFailed
from .database import Database, updated

_COLUMNS = (
    "id, type, project_id, status, params, progress_done, progress_total, message, attempts,"
    " error, result, created_at, started_at, finished_at, heartbeat_at, max_attempts, errors,"
    " pid, hostname, process_started, cancel_requested"
)

#: Statuses of work that has not ended.
ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
#: Statuses a job can be started again from with ``retry``.
RETRYABLE = (JobStatus.FAILED.value, JobStatus.DEAD.value, JobStatus.CANCELLED.value,
             JobStatus.INTERRUPTED.value)


def _job(row: tuple) -> JobInfo:
    values = list(row)
    values[4] = json.loads(values[4]) if values[4] else {}
    values[10] = json.loads(values[10]) if values[10] else None
    values[15] = values[15] or 1
    values[16] = tuple(json.loads(values[16])) if values[16] else ()
    values[20] = bool(values[20])
    return JobInfo(*values)



def _missing(job_id: int) -> JobFailed:
    return JobFailed(f"no job #{job_id}; list jobs with `workbench status`", job_id=job_id)

class JobsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, type: str, project_id: int | None, params: dict[str, Any], *,
               max_attempts: int = 1, owner: tuple[int, str, float | None] | None = None,
               running: bool = False) -> int:
        """Insert a queued job; with ``running`` one already started (its first attempt), in
        the same transaction, for work that runs at once in the caller's thread."""
        pid, host, started = owner or (None, None, None)
        status = JobStatus.RUNNING.value if running else JobStatus.QUEUED.value
        return self.db.write(
            lambda cur: cur.execute(
                "INSERT INTO jobs (type, project_id, params, status, max_attempts, errors, pid,"
                " hostname, process_started, attempts, started_at, heartbeat_at)"
                " VALUES (?, ?, ?, ?, ?, '[]', ?, ?, ?, ?, CASE WHEN ? THEN now() END,"
                " CASE WHEN ? THEN now() END) RETURNING id",
                [type, project_id, json.dumps(params), status, max_attempts, pid, host, started,
                 int(running), running, running],
            ).fetchone()[0]
        )

    def start(self, job_id: int, owner: tuple[int, str, float | None] | None = None, *,
              from_status: str = JobStatus.QUEUED.value) -> int | None:
        """Mark the job running (one more attempt) and return the attempt number.

        Only a job in ``from_status`` without a cancel request starts; otherwise None (it was
        cancelled, or another runner took it), so no job ever runs twice at once.
        """
        pid, host, started = owner or (None, None, None)

        def work(cur):
            if not updated(cur, (
                    "UPDATE jobs SET status = ?, attempts = attempts + 1, started_at = now(),"
                    " heartbeat_at = now(), finished_at = NULL, pid = coalesce(?, pid),"
                    " hostname = coalesce(?, hostname),"
                    " process_started = coalesce(?, process_started)"
                    " WHERE id = ? AND status = ? AND NOT coalesce(cancel_requested, false)"),
                    [JobStatus.RUNNING.value, pid, host, started, job_id, from_status]):
                return None
            return cur.execute("SELECT attempts FROM jobs WHERE id = ?", [job_id]).fetchone()

        row = self.db.write(work)
        return None if row is None else row[0]

    def cancel_queued(self, job_id: int) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE jobs SET status = ?, finished_at = now(), message = 'cancelled before it "
            "started' WHERE id = ? AND status = ?",
            [JobStatus.CANCELLED.value, job_id, JobStatus.QUEUED.value]))

    def progress(self, job_id: int, done: int, total: int | None, message: str | None) -> bool:
        """Record progress and a heartbeat; return whether a cancel was requested."""
        def work(cur):
            updated(cur, "UPDATE jobs SET progress_done = ?, progress_total = ?, message = ?,"
                         " heartbeat_at = now() WHERE id = ?", [done, total, message, job_id])
            return cur.execute("SELECT cancel_requested FROM jobs WHERE id = ?",
                               [job_id]).fetchone()

        row = self.db.write(work)
        return bool(row and row[0])

    def heartbeat(self, job_ids: Iterable[int]) -> list[int]:
        """Record a heartbeat of running jobs; return those whose cancel was requested."""
        ids = list(job_ids)
        if not ids:
            return []
        self.db.write(lambda cur: updated(
            cur, "UPDATE jobs SET heartbeat_at = now() WHERE list_contains(?, id) AND status = ?",
            [ids, JobStatus.RUNNING.value]))
        # read apart: the write stays one short statement (a longer one beside a job's end
        # kept its checkpoint from running)
        return [job_id for (job_id,) in self.db.query(
            "SELECT id FROM jobs WHERE list_contains(?, id) AND status = ?"
            " AND coalesce(cancel_requested, false)", [ids, JobStatus.RUNNING.value])]

    def finish(self, job_id: int, result: dict[str, Any] | None = None, cur=None) -> bool:
        """Mark the job succeeded. Inside the caller's transaction (``cur``, with the work it
        writes) a job whose cancel was requested is left as it is and False returned: the
        caller rolls its work back (a cancel committed meanwhile makes this update conflict,
        and :meth:`Database.write` runs the transaction again, seeing it). True otherwise."""
        sql = (
            "UPDATE jobs SET status = ?, result = ?, finished_at = now(), heartbeat_at = now(),"
            " progress_done = coalesce(progress_total, progress_done), message = 'done'"
            " WHERE id = ?"
        )
        params = [JobStatus.SUCCEEDED.value, json.dumps(result or {}), job_id]
        if cur is not None:
            # the flag is written too: DuckDB finds write-write conflicts per column, so an
            # update of other columns would not see a cancel committed after it began
            guarded = sql.replace(" WHERE id = ?", ", cancel_requested = false WHERE id = ?"
                                  " AND NOT coalesce(cancel_requested, false)")
            return updated(cur, guarded, params) > 0
        self.db.write(lambda c: c.execute(sql, params))
        return True

    def record_error(self, job_id: int, attempt: int, error: str, *, transient: bool,
                     status: str, message: str | None = None) -> None:
        """Append one attempt's error and set the status (running while a retry waits)."""
        def work(cur):
            row = cur.execute("SELECT errors, CAST(now() AS VARCHAR) FROM jobs WHERE id = ?",
                              [job_id]).fetchone()
            errors = json.loads(row[0]) if row and row[0] else []
            errors.append({"attempt": attempt, "error": error, "transient": transient,
                           "at": row[1] if row else None})
            cur.execute(
                "UPDATE jobs SET errors = ?, error = ?, status = ?, message = coalesce(?, message),"
                " finished_at = CASE WHEN ? THEN NULL ELSE now() END WHERE id = ?",
                [json.dumps(errors), error, status, message, status == JobStatus.RUNNING.value,
                 job_id],
            )

        self.db.write(work)

    def fail(self, job_id: int, error: str, *, status: str = JobStatus.FAILED.value) -> None:
        self.db.write(
            lambda cur: cur.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = now() WHERE id = ?",
                [status, error, job_id],
            )
        )

    def set_status(self, job_id: int, status: str, message: str | None = None) -> None:
        self.db.write(lambda cur: cur.execute(
            "UPDATE jobs SET status = ?, message = coalesce(?, message),"
            " finished_at = CASE WHEN list_contains(?, ?) THEN NULL ELSE now() END WHERE id = ?",
            [status, message, list(ACTIVE), status, job_id]))

    def request_cancel(self, job_id: int) -> str:
        """Flag the job for cancelling; a queued job is cancelled at once. Returns its status."""
        def work(cur):
            row = cur.execute("SELECT status FROM jobs WHERE id = ?", [job_id]).fetchone()
            if row is None:
                raise _missing(job_id)
            if row[0] not in ACTIVE:
                return row[0]
            cur.execute("UPDATE jobs SET cancel_requested = true WHERE id = ?", [job_id])
            return row[0]

        return self.db.write(work)

    def cancel_requested(self, job_id: int, *, if_open: bool = False) -> bool | None:
        """Whether a cancel of the job was asked for (in its row, by any process). With
        ``if_open``, ``None`` when this process has let go of the file (it is not opened)."""
        sql, params = "SELECT cancel_requested FROM jobs WHERE id = ?", [job_id]
        if if_open:
            rows = self.db.read_if_open(lambda cur: cur.execute(sql, params).fetchall())
            if rows is None:
                return None
        else:
            rows = self.db.query(sql, params)
        return bool(rows and rows[0][0])

    def requeue(self, job_id: int, *, owner: tuple[int, str, float | None]) -> JobInfo:
        """Put a failed, dead, cancelled or interrupted job back in the queue (errors kept)."""
        pid, host, started = owner

        def work(cur):
            row = cur.execute("SELECT status FROM jobs WHERE id = ?", [job_id]).fetchone()
            if row is None:
                raise _missing(job_id)
            if row[0] not in RETRYABLE:
                return None
            cur.execute(
                "UPDATE jobs SET status = ?, attempts = 0, cancel_requested = false,"
                " finished_at = NULL, error = NULL, pid = ?, hostname = ?, process_started = ?,"
                " message = 'queued again' WHERE id = ?",
                [JobStatus.QUEUED.value, pid, host, started, job_id])
            return row[0]

        previous = self.db.write(work)
        if previous is None:
            info = self.get(job_id)
            raise ValueError(f"job {job_id} has status {info.status}; only {', '.join(RETRYABLE)} jobs "
                             "can be retried")
        return self.get(job_id)

    def mark_interrupted(self, job_ids: list[int]) -> None:
        if job_ids:
            self.db.write(lambda cur: cur.execute(
                "UPDATE jobs SET status = ?, finished_at = now(),"
                " message = 'interrupted: its process ended while it ran' "
                "WHERE list_contains(?, id) AND list_contains(?, status)",
                [JobStatus.INTERRUPTED.value, job_ids, list(ACTIVE)]))

    def get(self, job_id: int) -> JobInfo:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id])
        if not rows:
            raise _missing(job_id)
        return _job(rows[0])

    def active(self) -> list[JobInfo]:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE list_contains(?, status) "
                             "ORDER BY id", [list(ACTIVE)])
        return [_job(r) for r in rows]

    def with_status(self, status: str, *, limit: int = 100) -> list[JobInfo]:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE status = ? ORDER BY id DESC "
                             "LIMIT ?", [status, limit])
        return [_job(r) for r in rows]

    def list(self, *, limit: int = 50, project_id: int | None = None) -> list[JobInfo]:
        if project_id is None:
            rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?", [limit])
        else:
            rows = self.db.query(
                f"SELECT {_COLUMNS} FROM jobs WHERE project_id = ? ORDER BY id DESC LIMIT ?",
                [project_id, limit],
            )
        return [_job(r) for r in rows]

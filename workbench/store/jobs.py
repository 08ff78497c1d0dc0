"""Reads and writes of the ``jobs`` table: each unit of background work and its progress."""

from __future__ import annotations

import json
from typing import Any

from ..domain import JobInfo, JobStatus
from .database import Database

_COLUMNS = (
    "id, type, project_id, status, params, progress_done, progress_total, message, attempts,"
    " error, result, created_at, started_at, finished_at"
)


def _job(row: tuple) -> JobInfo:
    values = list(row)
    values[4] = json.loads(values[4]) if values[4] else {}
    values[10] = json.loads(values[10]) if values[10] else None
    return JobInfo(*values)


class JobsTable:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, type: str, project_id: int | None, params: dict[str, Any]) -> int:
        return self.db.write(
            lambda cur: cur.execute(
                "INSERT INTO jobs (type, project_id, params, status) VALUES (?, ?, ?, ?) RETURNING id",
                [type, project_id, json.dumps(params), JobStatus.QUEUED.value],
            ).fetchone()[0]
        )

    def start(self, job_id: int) -> None:
        self.db.write(
            lambda cur: cur.execute(
                "UPDATE jobs SET status = ?, attempts = attempts + 1, started_at = now(),"
                " heartbeat_at = now() WHERE id = ?",
                [JobStatus.RUNNING.value, job_id],
            )
        )

    def progress(self, job_id: int, done: int, total: int | None, message: str | None) -> None:
        self.db.write(
            lambda cur: cur.execute(
                "UPDATE jobs SET progress_done = ?, progress_total = ?, message = ?,"
                " heartbeat_at = now() WHERE id = ?",
                [done, total, message, job_id],
            )
        )

    def finish(self, job_id: int, result: dict[str, Any] | None = None, cur=None) -> None:
        sql = (
            "UPDATE jobs SET status = ?, result = ?, finished_at = now(), heartbeat_at = now(),"
            " progress_done = coalesce(progress_total, progress_done), message = 'done'"
            " WHERE id = ?"
        )
        params = [JobStatus.SUCCEEDED.value, json.dumps(result or {}), job_id]
        if cur is not None:
            cur.execute(sql, params)
        else:
            self.db.write(lambda c: c.execute(sql, params))

    def fail(self, job_id: int, error: str) -> None:
        self.db.write(
            lambda cur: cur.execute(
                "UPDATE jobs SET status = ?, error = ?, finished_at = now() WHERE id = ?",
                [JobStatus.FAILED.value, error, job_id],
            )
        )

    def get(self, job_id: int) -> JobInfo:
        rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", [job_id])
        if not rows:
            raise KeyError(job_id)
        return _job(rows[0])

    def list(self, *, limit: int = 50, project_id: int | None = None) -> list[JobInfo]:
        if project_id is None:
            rows = self.db.query(f"SELECT {_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?", [limit])
        else:
            rows = self.db.query(
                f"SELECT {_COLUMNS} FROM jobs WHERE project_id = ? ORDER BY id DESC LIMIT ?",
                [project_id, limit],
            )
        return [_job(r) for r in rows]
